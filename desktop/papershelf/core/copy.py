"""Copying a library into an empty one, whole or one reading list of it: a file or a shared library, either way.

``papershelf copy SRC DEST`` takes a shared library home as a file, puts a
local library on the server, or copies file to file and server to server.
Every table of the schema is copied row by row with its ids, through
SQLAlchemy Core on :mod:`schema`'s tables, so each value goes through its
column type on both backends (JSON, dates and times, ``citext`` names). The
source is read in one snapshot and the destination written in one
transaction: a copy that fails leaves the destination as empty as it was.
On the destination the search index is rebuilt (each backend cuts its own
words), a PDF's extracted text is copied page for page, and on PostgreSQL
each id sequence continues after the highest copied id.

Left out on purpose (:data:`SKIPPED`): the export cache (rebuilt on demand)
and live files (``export --keep-updated``): those are paths on one computer,
and two libraries writing one file would overwrite each other's exports.

Stored PDFs are files, not rows: they are copied from the source's files
folder to the destination's (by content hash, as attaching does). A shared
library's files folder is this computer's (every member has their own), so a
PDF stored by another member is not here to copy: its row is copied and the
report counts it as missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Integer, Table, and_, false, func, insert, select, text

from . import db, stored_files
from .errors import PapershelfError
from .operations.base import list_id
from .schema import AT, LE, PT, RL, Base, P

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from .library import Library

#: Rows per read and per INSERT statement.
BATCH = 1000

#: Tables a copy leaves out, and why. Every other table of the schema is copied (a test checks that
#: each table is one or the other, so a new table is a decision, not an omission).
SKIPPED = {
    "entry_cache": "encoded export entries, made again on demand",
    "autoexport": "live files are paths on one computer",
}

#: Tables that belong to the library as a whole, not to any paper: copied with the whole library only.
LIBRARY_WIDE = ("saved_search", "setting", "fetched_day", "download")

#: How the report names a table's rows, one and many.
LABELS = {
    "paper": ("paper", "papers"),
    "note": ("note", "notes"),
    "tag": ("tag", "tags"),
    "reading_list": ("reading list", "reading lists"),
    "saved_search": ("saved search", "saved searches"),
    "attachment": ("PDF", "PDFs"),
}


Progress = Callable[[str, int], None]


class CopyError(PapershelfError):
    """A copy that cannot be made (a destination that is not empty, a value it cannot hold); nothing was copied."""


@dataclass
class Report:
    """What a copy wrote: rows per table, and what happened to the stored PDFs."""

    source: str
    dest: str
    list_name: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    #: Stored PDFs copied into the destination's files folder, and where that is.
    files_copied: int = 0
    files_dir: Path | None = None
    #: Stored PDFs the source's files folder does not have (their rows are copied all the same).
    files_missing: list[str] = field(default_factory=list)
    #: Linked PDFs: their rows name files where they are, which stay there.
    linked: int = 0
    #: Live files of the source, not copied.
    live_files: int = 0

    def describe(self) -> str:
        """``12 papers, 3 notes, 2 tags, 1 reading list, 1 PDF``: the rows a user knows by name."""
        parts = []
        for table, (one, many) in LABELS.items():
            count = self.rows.get(table, 0)
            if count or table == "paper":
                parts.append(f"{count} {one if count == 1 else many}")
        return ", ".join(parts)


@dataclass
class _Scope:
    """The rows a copy takes: everything, or one reading list's papers with what they carry."""

    list_id: int | None = None
    papers: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    attachments: list[int] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        return self.list_id is None

    def condition(self, table: Table) -> ColumnElement[bool] | None:
        """The rows of ``table`` this copy takes (None: all of them)."""
        if self.whole:
            return None
        name = table.name
        if name in LIBRARY_WIDE:
            return false()
        if name == "paper":
            return db.ids_in(P.c.id, self.papers)
        if name == "tag":
            return db.ids_in(table.c.id, self.tags)
        if name == "reading_list":
            return RL.c.id == self.list_id
        if name == "list_entry":
            return LE.c.list_id == self.list_id
        if name == "not_duplicate":
            return and_(db.ids_in(table.c.paper_a, self.papers), db.ids_in(table.c.paper_b, self.papers))
        if name == "pdf_annotation":
            return db.ids_in(table.c.attachment_id, self.attachments)
        if "paper_id" in table.c:
            return db.ids_in(table.c.paper_id, self.papers)
        raise AssertionError(f"copy: no rule for which rows of {name} a reading list's copy takes")


def tables() -> list[Table]:
    """The tables a copy writes, parents before children (foreign keys)."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def copy_library(
    source: Library, dest: Library, *, list_name: str | None = None, progress: Progress | None = None
) -> Report:
    """Copy ``source`` (or the papers of its reading list ``list_name``) into the empty library ``dest``.

    Raises :class:`CopyError` (one line, nothing copied) when ``dest`` holds
    anything, is ``source`` itself, or refuses a value; NotFoundError for a
    list that does not exist.
    """
    if _same(source, dest):
        raise CopyError(f"copy: {source.name} is both the source and the destination; nothing was copied")
    report = Report(source.name, dest.name, list_name)
    with db.read(source.engine) as src:
        scope = _scope(src, list_name)
        report.live_files = src.execute(
            select(func.count()).select_from(Base.metadata.tables["autoexport"])
        ).scalar_one()
        stored = _copy_stored_files(src, source, dest, scope, report)  # files first: the rows then name them
        try:
            with db.write(dest.engine) as dst:
                _check_empty(dst, dest)
                # PostgreSQL's text cannot hold a NUL character: such a value is named, not sent.
                nul_refused = dest.name if db.is_shared(dest.engine) else None
                copied_papers: list[int] = []
                for table in tables():
                    count = _copy_rows(src, dst, table, scope, stored, progress, copied_papers, nul_refused)
                    report.rows[table.name] = count
                if db.is_shared(dest.engine):
                    _continue_sequences(dst)
                _rebuild_search(src, dst, copied_papers, scope, progress, nul_refused)
        except PapershelfError:
            raise
        except Exception as exc:
            problem = _value_problem(exc, dest)
            if problem is None:
                raise
            raise CopyError(problem) from exc
    if db.is_shared(dest.engine):
        # The planner's statistics, now rather than whenever autovacuum comes: until then it plans the
        # search of a full library as for an empty one (bench/shared_library.py).
        with dest.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return report


def _same(source: Library, dest: Library) -> bool:
    if source.shared or dest.shared:
        return source.shared and dest.shared and source.name == dest.name
    try:
        return os.path.samefile(source.path, dest.path)
    except OSError:
        return False


def _scope(src: Connection, list_name: str | None) -> _Scope:
    if list_name is None:
        return _Scope()
    found = list_id(src, list_name)  # NotFoundError names a list that does not exist
    papers = list(src.execute(select(LE.c.paper_id).where(LE.c.list_id == found).order_by(LE.c.position)).scalars())
    tags = sorted(set(src.execute(select(PT.c.tag_id).where(db.ids_in(PT.c.paper_id, papers))).scalars()))
    attachments = list(src.execute(select(AT.c.id).where(db.ids_in(AT.c.paper_id, papers))).scalars())
    return _Scope(found, papers, tags, attachments)


def _check_empty(dst: Connection, dest: Library) -> None:
    """Refuse a destination that holds anything (in the copy's own transaction: no one fills it meanwhile)."""
    held = []
    for table in Base.metadata.sorted_tables:
        if dst.execute(select(text("1")).select_from(table).limit(1)).first() is not None:
            held.append(table.name)
    if not held:
        return
    papers = dst.execute(select(func.count()).select_from(P)).scalar_one()
    if papers:
        what = f"{papers} paper{'s' if papers != 1 else ''}"
    else:
        what = ", ".join(LABELS.get(t, (t, t.replace("_", " ")))[1] for t in held)
    raise CopyError(
        f"copy: {dest.name} is not empty (it holds {what}); a copy goes into a new library file or an empty "
        "shared library (papershelf init-shared URL); nothing was copied"
    )


def _rows(src: Connection, table: Table, condition: ColumnElement[bool] | None) -> Iterator[list[dict[str, Any]]]:
    """The rows of ``table`` in batches, in primary key order, each value as its column type reads it."""
    statement = select(table).order_by(*table.primary_key.columns)
    if condition is not None:
        statement = statement.where(condition)
    result = src.execution_options(yield_per=BATCH).execute(statement)
    for part in result.partitions(BATCH):
        yield [dict(row._mapping) for row in part]


def _copy_rows(
    src: Connection,
    dst: Connection,
    table: Table,
    scope: _Scope,
    stored: dict[str, str],
    progress: Progress | None,
    copied_papers: list[int],
    nul_refused: str | None = None,
) -> int:
    """Copy the rows of ``table`` the scope takes; ``nul_refused``: the destination's name, if it refuses NULs."""
    condition = scope.condition(table)
    count = 0
    for rows in _rows(src, table, condition):
        if table.name == "attachment":
            for row in rows:  # where its stored file went in the destination's files folder
                if row["kind"] == "stored":
                    row["path"] = stored.get(row["path"], row["path"])
        if table.name == "paper":
            copied_papers.extend(row["id"] for row in rows)
        if nul_refused is not None:
            _refuse_nul(src, nul_refused, table, rows)
        dst.execute(insert(table), rows)
        count += len(rows)
        if progress is not None:
            progress(table.name, count)
    return count


def _continue_sequences(dst: Connection) -> None:
    """On PostgreSQL, each table's id sequence goes on after the highest copied id (rows came with their ids)."""
    quote = dst.dialect.identifier_preparer.quote
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer) or keys[0].foreign_keys:
            continue
        column = keys[0].name
        sequence = dst.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column}
        ).scalar()
        if sequence is None:
            continue
        highest = dst.execute(text(f"SELECT max({quote(column)}) FROM {quote(table.name)}")).scalar()
        dst.execute(text("SELECT setval(:sequence, :next, false)"), {"sequence": sequence, "next": (highest or 0) + 1})


def _rebuild_search(
    src: Connection,
    dst: Connection,
    papers: list[int],
    scope: _Scope,
    progress: Progress | None,
    nul_refused: str | None = None,
) -> None:
    """The destination's search index for the copied papers, and the text of their PDFs page for page."""
    for start in range(0, len(papers), BATCH):
        db.reindex(dst, papers[start : start + BATCH])
        if progress is not None:
            progress("search index", min(start + BATCH, len(papers)))
    statement = select(AT.c.id).order_by(AT.c.id)
    if not scope.whole:
        statement = statement.where(db.ids_in(AT.c.id, scope.attachments))
    for attachment_id in list(src.execute(statement).scalars()):
        body = db.pdf_fts_body(src, attachment_id)
        if body is not None and nul_refused is not None and "\x00" in body:
            row = src.execute(select(AT.c.paper_id, AT.c.name).where(AT.c.id == attachment_id)).one()
            what = f"the text of its PDF {_quoted(row.name)}"
            raise CopyError(_nul_message(nul_refused, _paper_name(src, row.paper_id), what))
        if body is not None:
            db.pdf_fts_put(dst, attachment_id, body)


def _copy_stored_files(
    src: Connection, source: Library, dest: Library, scope: _Scope, report: Report
) -> dict[str, str]:
    """Copy the stored PDFs the copied rows name into the destination's files folder; their new relative paths.

    The copy keeps each file's modification time (``files --verify`` compares it).
    """
    statement = select(AT.c.kind, AT.c.path).order_by(AT.c.id)
    if not scope.whole:
        statement = statement.where(db.ids_in(AT.c.id, scope.attachments))
    rows = src.execute(statement).all()
    report.linked = sum(1 for kind, _ in rows if kind == "linked")
    wanted = list(dict.fromkeys(path for kind, path in rows if kind == "stored"))
    if not wanted:
        return {}
    root = stored_files.files_dir(source)
    report.files_dir = stored_files.files_dir(dest)
    moved: dict[str, str] = {}
    for relative in wanted:
        place = root / relative
        if not stored_files.safe_relative(relative) or not stored_files.is_stored_file(place):
            report.files_missing.append(relative)
            continue
        new, _sha, _size, _mtime = stored_files.store_file(dest, place)
        with contextlib.suppress(OSError):
            st = os.stat(place)
            os.utime(report.files_dir / new, ns=(st.st_atime_ns, st.st_mtime_ns))
        moved[relative] = new
        report.files_copied += 1
    return moved


# --- A NUL character: SQLite keeps it, PostgreSQL's text cannot hold it -------------------------

#: How the message names a column of a paper's own rows ("its ..."); others are named by table and column.
_PAPER_FIELDS = {
    ("paper", "title"): "title",
    ("paper", "title_key"): "title",
    ("paper", "authors"): "authors",
    ("paper", "first_author"): "authors",
    ("paper", "citation_key"): "citation key",
    ("paper", "extra_fields"): "BibTeX field",
    ("paper", "metadata"): "arXiv metadata",
    ("paper_abstract", "abstract"): "abstract",
    ("bibtex_source", "fields"): "BibTeX source, field",
    ("bibtex_source", "strings"): "BibTeX source, @string",
    ("key_alias", "key"): "former citation key",
}


def _refuse_nul(src: Connection, dest_name: str, table: Table, rows: list[dict[str, Any]]) -> None:
    """Raise :class:`CopyError` naming the first value of ``rows`` that holds a NUL character, and where it is.

    PostgreSQL's text cannot hold U+0000 (its JSON cannot give it back as
    text either), and a copy never drops a character: the user removes it.
    """
    for row in rows:
        for column, value in row.items():
            inside = _nul_in(value)
            if inside is not None:
                subject, what = _nul_place(src, table, row, column, inside)
                raise CopyError(_nul_message(dest_name, subject, what))


def _nul_in(value: Any) -> str | None:
    """Where ``value`` holds a NUL: "" for the value itself, a JSON key or field name inside it; None if nowhere."""
    if isinstance(value, str):
        return "" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key) or _nul_in(item) is not None:
                return str(key)
    if isinstance(value, (list, tuple)):
        for item in value:
            found = _nul_in(item)
            if found is not None:
                # BibTeX source fields are [name, value] pairs: the pair's name says which field.
                pair = isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)
                return item[0] if pair and found == "" else found
    return None


def _nul_place(src: Connection, table: Table, row: dict[str, Any], column: str, inside: str) -> tuple[str, str]:
    """``(subject, what)``: the paper (or tag, list, saved search, setting) and which of its texts holds the NUL."""
    name = table.name
    detail = f" {_quoted(inside)}" if inside else ""
    if name == "note":
        return _paper_name(src, row["paper_id"]), f"its note {row['id']}"
    if (name, column) in _PAPER_FIELDS:
        paper_id = row["paper_id"] if "paper_id" in row else row["id"]
        return _paper_name(src, paper_id), f"its {_PAPER_FIELDS[name, column]}{detail}"
    if name == "paper":
        return _paper_name(src, row["id"]), f"its {column.replace('_', ' ')}{detail}"
    if name == "attachment":
        return _paper_name(src, row["paper_id"]), f"its PDF {_quoted(row['name'])} ({column.replace('_', ' ')})"
    if name == "pdf_annotation":
        found = src.execute(select(AT.c.paper_id, AT.c.name).where(AT.c.id == row["attachment_id"])).one()
        return _paper_name(src, found.paper_id), f"an annotation ({column}) of its PDF {_quoted(found.name)}"
    if name == "tag":
        carrier = src.execute(select(PT.c.paper_id).where(PT.c.tag_id == row["id"]).limit(1)).scalar()
        on = f" (on {_paper_name(src, carrier)})" if carrier is not None else ""
        return f"the tag {_quoted(row['name'])}{on}", "its name"
    if name == "reading_list":
        return f"the reading list {_quoted(row['name'])}", "its name"
    if name == "saved_search":
        return f"the saved search {_quoted(row['name'])}", f"its {'name' if column == 'name' else 'query'}"
    if name == "setting":
        return f"the setting {_quoted(row['key'])}", f"its value{detail}"
    if "paper_id" in row:
        return _paper_name(src, row["paper_id"]), f"its {name.replace('_', ' ')} ({column.replace('_', ' ')}{detail})"
    return f"a row of {name}", f"its {column.replace('_', ' ')}{detail}"


def _paper_name(src: Connection, paper_id: int) -> str:
    """``paper 12 (smith2020deep)``: its id, and its citation key when that can be shown."""
    key = src.execute(select(P.c.citation_key).where(P.c.id == paper_id)).scalar()
    return f"paper {paper_id} ({key})" if key and "\x00" not in key else f"paper {paper_id}"


def _quoted(text: str) -> str:
    """A name in a message: quoted, on one line, its NUL (and any control character) shown as a mark."""
    from .display import visible

    return repr(visible(text))


def _nul_message(dest_name: str, subject: str, what: str) -> str:
    return (
        f"copy: {dest_name}: {subject}: {what} holds a NUL character (U+0000), which a shared library cannot store; "
        "remove it and copy again; nothing was copied"
    )


def _value_problem(exc: BaseException, dest: Library) -> str | None:
    """The one line for a row the destination's database refuses (a NUL in a text on PostgreSQL, a name twice)."""
    translated = db.translate_error(exc, dest.name)
    if translated is not None:
        return f"copy: {translated}" + ("" if "nothing was" in str(translated) else "; nothing was copied")
    cause = getattr(exc, "orig", None) or exc
    kind = type(cause).__name__
    if kind in (
        "UniqueViolation",
        "IntegrityError",
        "DataError",
        "StringDataRightTruncation",
        "NumericValueOutOfRange",
    ):
        detail = " ".join(str(cause).split())
        return f"copy: {dest.name} cannot hold a row of the source ({detail}); nothing was copied"
    return None


def counts(library: Library, list_name: str | None = None) -> dict[str, int]:
    """Rows per copied table of ``library`` (or of what a copy of its reading list ``list_name`` takes)."""
    with db.read(library.engine) as conn:
        scope = _scope(conn, list_name)
        found = {}
        for table in tables():
            statement = select(func.count()).select_from(table)
            condition = scope.condition(table)
            if condition is not None:
                statement = statement.where(condition)
            found[table.name] = conn.execute(statement).scalar_one()
        return found
