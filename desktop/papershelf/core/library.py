"""The operations users perform on their library.

Every public method is one transaction: it either happens completely or not at
all, and the search index is updated inside the same transaction. Methods take
and return plain values and :mod:`records`, never live ORM objects, so the GUI
and CLI can use the results after the session is gone.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from itertools import islice
from pathlib import Path
from typing import Any, NoReturn, TypedDict, TypeVar

from sqlalchemy import ColumnElement, Connection, Dialect, func, insert, select, update

from . import bibsource, db, fsutil, normalize, once, pg, search
from . import operations as ops
from .bibsource import BibSource
from .errors import NotFoundError, PapershelfError
from .exporters import citekeys
from .importers import Source, read_records
from .migrate import open_library_engine, remember_state
from .records import STATUSES, ImportResult, Note, Paper, PaperRecord, PaperRow, Sighting
from .schema import FD, KA, LE, PT, RL, SS, A, B, P, S, T

#: What a change lost with its connection at its COMMIT may have done (Library.run).
MAYBE_SAVED = "the change may have been saved just before; look before making it again"

#: Rows per bulk statement during an import (also the dedup lookup batch).
BATCH = 500

#: Sortable columns of the paper table, by name.
SORT_COLUMNS = {
    "title": db.nocase(P.c.title, sort=True),
    "first_author": db.nocase(P.c.first_author, sort=True),
    "status": P.c.status,
    "priority": P.c.priority,
    "listed_on": P.c.listed_on,
    "added_at": P.c.added_at,
    "id": P.c.id,
}

#: Sort columns a paper may leave empty: they come first going up (SQLite's order; pg0006 indexes it).
NULLABLE_SORTS = frozenset({"listed_on"})

Progress = Callable[[int], None]
_Item = TypeVar("_Item")


class Cancelled(PapershelfError):
    """The user cancelled a long operation; nothing was written."""


_now = ops.now


def _batched(items: Iterable[_Item], size: int) -> Iterator[list[_Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class _Keys(set[str]):
    """Citation keys taken, lowercase; ``in`` ignores case, as the unique index does."""

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)


def _paper_id(conn: Connection, condition: ColumnElement[bool]) -> int | None:
    """The id of the paper that meets ``condition``, or None."""
    found: int | None = conn.execute(select(P.c.id).where(condition)).scalar()
    return found


def _result_processor(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The column type's own conversion of a value sqlite3 returns (dates are stored as text); NULL stays None."""
    processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return processor if processor is not None else lambda value: value


class _Existing(TypedDict):
    """Library papers that may match one import batch (:meth:`Library._find_existing`)."""

    arxiv: dict[str, int]  # arXiv id -> paper id
    title: dict[str, list[int]]  # title key -> paper ids
    key: dict[str, int]  # lowercase citation key -> paper id
    arxiv_of: dict[int, str | None]
    year_of: dict[int, int | None]
    title_of: dict[int, str]


def _entry_label(record: PaperRecord) -> str:
    """How import messages name a BibTeX entry: ``smith2020 (line 12)``."""
    return f"{record.citation_key} ({record.where})" if record.citation_key else f"the entry at {record.where}"


def _clean_doi(value: object) -> str | None:
    """A DOI for matching (DOIs ignore case), or None for anything that is not one."""
    doi = str(value or "").strip().lower()
    return doi if doi.startswith("10.") else None


def _doi(record: PaperRecord) -> str | None:
    return _clean_doi(record.extra_fields.get("doi"))


def _source_row(paper_id: int, record: PaperRecord) -> dict[str, Any]:
    """The ``bibtex_source`` row of a paper added from ``record``, fingerprinted as it is stored."""
    assert record.bibtex is not None
    names = [name.lower() for name, _ in record.bibtex.fields]
    return {"paper_id": paper_id, **record.bibtex.to_row(), "views": bibsource.fingerprints(record, names)}


def _place(message: str) -> int:
    """The line or item number a message names, for sorting them in file order."""
    found = re.search(r": (?:line|item) (\d+)", message)
    return int(found.group(1)) if found else 0


#: Opening and closing (paths only) for the app's log; see papershelf.logs.
_log = logging.getLogger("papershelf.db")
_import_log = logging.getLogger("papershelf.import")


class Library:
    """A Papershelf library file."""

    def __init__(
        self,
        path: str | Path,
        *,
        backups_dir: Path | None = None,
        check: str = "full",
        adopt_empty: bool = False,
        create: bool = False,
    ):
        """Open (or create) the library at ``path``; see ``migrate.open_library_engine`` for the options.

        ``path`` may be a ``postgresql://`` URL: a shared library (see :mod:`pg`); ``create`` then makes
        its schema in an empty database (``papershelf init-shared``), where a file is always created.
        """
        from .. import paths

        self.location = str(path) if pg.is_url(path) else None
        self.backups_dir = backups_dir
        #: The tokens of the changes being sent (a shared library's, see :meth:`sending`) ...
        self._tokens = once.Tokens()
        #: ... and the outcomes of those whose COMMIT failed, by token, for when they are found landed.
        self._unsure: dict[str, ops.Outcome] = {}
        if self.location is not None:
            # A shared library has no file: its per-user folders hang from a stand-in path.
            self.path = pg.anchor(self.location, paths.data_dir())
            fsutil.make_private_dirs(self.path.parent)
            self.engine = pg.open_engine(self.location, create=create)
            self._guard = db.EngineGuard(self.engine, self.name)
            _log.info("shared library opened: %s", pg.display(self.location))
            return
        self.path = Path(path)
        self.engine = open_library_engine(self.path, backups_dir=backups_dir, check=check, adopt_empty=adopt_empty)
        # Our own commits (and the checkpoints they trigger) change the file:
        # remember it as ours, so the next open does not take it for outside damage.
        db.on_write(self.engine, lambda: remember_state(self.path, self.backups_dir, checked=False))
        self._guard = db.EngineGuard(self.engine, self.path)
        _log.info("library opened: %s", self.path)

    @property
    def shared(self) -> bool:
        """True for a shared library (PostgreSQL)."""
        return self.location is not None

    @property
    def read_only(self) -> bool:
        """True when this member of a shared library may read it but not change it (a file: never)."""
        if not self.shared:
            return False
        with db.read(self.engine) as conn:
            return not pg.may_write(conn)

    @property
    def name(self) -> str:
        """How messages name the library: its file, or its URL without a password."""
        return pg.display(self.location) if self.location is not None else str(self.path)

    def close(self) -> None:
        self.engine.dispose()
        if self.location is not None:
            _log.info("shared library closed: %s", pg.display(self.location))
            return
        remember_state(self.path, self.backups_dir, checked=False)
        _log.info("library closed: %s", self.path)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- Changing the library ---------------------------------------------------

    def sending(self, token: str) -> AbstractContextManager[None]:
        """Runs on this thread in this block are one try of the change ``token`` names (see :mod:`.once`).

        A shared library keeps the token with what the change wrote: the same
        change tried again (its COMMIT's answer was lost with the connection)
        is not applied twice, and returns the outcome it had.
        """
        return self._tokens.sending(token)

    def run(self, operation: ops.Operation) -> ops.Outcome:
        """Apply one operation in one write transaction; return what changed and its inverse.

        After the commit, stored PDFs the change left unreferenced move to the
        files folder's trash, and ones it references again come back
        (``attachments.settle``); a failed change moves no file.
        """
        token = self._tokens.next() if self.shared else None
        outcome: ops.Outcome | None = None
        try:
            with db.write(self.engine) as conn:
                ops.take_touched_files(conn)  # left on this connection by a change that failed
                if token is not None and (found := once.landed(conn, token)) is not None:
                    conn.info[db.CHANGES_INFO] = ops.Changes()
                    return self._unsure.pop(token, None) or _landed_outcome(operation, found)
                outcome = ops.guarded(conn, operation.apply(conn))
                if token is not None:
                    once.record(conn, token, outcome.result)
                touched = ops.take_touched_files(conn)
                conn.info[db.CHANGES_INFO] = outcome.changes
        except Exception as exc:
            if outcome is None:
                raise
            # It failed once applied: at its COMMIT, which may have landed with only the answer lost.
            if token is not None:
                self._unsure[token] = outcome  # sent again, it returns this if it had landed
            lost = self._guard.translate(exc)
            if isinstance(lost, pg.ServerUnreachableError):
                raise pg.connection_failure(db.driver_error(exc), f"{self.name}: ", outcome=MAYBE_SAVED) from None
            raise
        if token is not None:
            self._unsure.pop(token, None)
        if touched:
            from . import attachments

            attachments.settle(self, touched)
        return outcome

    # --- Finding papers -------------------------------------------------------

    def resolve(self, ident: str | int) -> int:
        """A paper id from a numeric id, a citation key or an arXiv id."""
        text = str(ident).strip()
        with db.read(self.engine) as conn:
            # ASCII only: "²" is a digit to str.isdigit but not to int(); and an
            # id beyond SQLite's 64-bit INTEGER cannot exist (binding it overflows).
            if text.isascii() and text.isdigit() and int(text) <= db.SQLITE_MAX_INT:
                found = _paper_id(conn, P.c.id == int(text))
                if found is not None:
                    return found
            found = _paper_id(conn, func.lower(P.c.citation_key) == text.lower())
            if found is None:  # the key of a paper merged into another one
                found = conn.execute(select(KA.c.paper_id).where(func.lower(KA.c.key) == text.lower())).scalar()
            if found is None and (arxiv := normalize.arxiv_id(text)):
                found = _paper_id(conn, P.c.arxiv_id == arxiv)
        if found is None:
            raise NotFoundError(f"no paper with id, citation key or arXiv id {text!r}")
        return found

    def resolve_many(self, idents: Iterable[str | int]) -> list[int]:
        return [self.resolve(i) for i in idents]

    def search_ids(
        self, query: str = "", *, sort: str = "id", descending: bool = False, limit: int | None = None
    ) -> list[int]:
        """Ids of the papers matching ``query``, in order, sorted in SQL.

        In id order (the order papers were added) a text query is driven by
        the FTS5 index itself, which yields rowids in order: with ``limit``
        it stops at the first page instead of collecting every match, which
        is what keeps search as you type instant at 100,000 papers. Papers
        whose attached PDF holds the words are few (no more than the PDFs):
        they are found apart (``search.pdf_matched_ids``) and merged in.
        """
        compiled = search.plan(query)
        with db.read(self.engine) as conn:
            search.check_names(conn, query)  # a tag or list that does not exist is named, not "no match"
            in_pdfs = search.pdf_matched_ids(conn, compiled)
            # A shared library's first page of a rare word: found in the index, then sorted (pg.few_matches).
            gather = bool(compiled.match and limit and db.fts_few_matches(conn, compiled.match, limit))
            if gather or not (compiled.match and sort == "id"):
                column = SORT_COLUMNS[sort]
                first = column.desc() if descending else column.asc()
                if sort in NULLABLE_SORTS:  # no date sorts first going up on both backends, as SQLite has it
                    first = first.nulls_last() if descending else first.nulls_first()
                order = [first, P.c.id.desc() if descending else P.c.id.asc()]
                condition = search.plan_clause(compiled, in_pdfs, gather=gather)
                return db.fetch_ids(conn, select(P.c.id).where(condition).order_by(*order).limit(limit))
            fts = db.fts_table()
            statement = (
                select(fts.c.rowid)
                .where(db.fts_matches(compiled.match))
                .order_by(fts.c.rowid.desc() if descending else fts.c.rowid.asc())
                .limit(limit)
            )
            if compiled.conditions:
                statement = statement.join(P, P.c.id == fts.c.rowid).where(*compiled.conditions)
            ids = db.fetch_ids(conn, statement)
            if in_pdfs:
                extra = db.fetch_ids(conn, select(P.c.id).where(search.among(in_pdfs), *compiled.conditions))
                ids = sorted(set(ids).union(extra), reverse=descending)[:limit]
            return ids

    def count(self, query: str = "") -> int:
        with db.read(self.engine) as conn:
            search.check_names(conn, query)
            compiled = search.plan(query)
            condition = search.plan_clause(compiled, search.pdf_matched_ids(conn, compiled))
            return conn.execute(select(func.count()).select_from(P).where(condition)).scalar_one()

    def rows(self, ids: Sequence[int]) -> dict[int, PaperRow]:
        """The table columns for these papers (the GUI asks only for visible rows)."""
        if not ids:
            return {}
        tags = (
            select(db.group_concat(T.c.name, ", "))
            .select_from(PT.join(T, T.c.id == PT.c.tag_id))
            .where(PT.c.paper_id == P.c.id)
            .scalar_subquery()
        )
        statement = select(
            P.c.id, P.c.title, P.c.first_author, P.c.status, P.c.priority, tags, P.c.listed_on, P.c.added_at
        ).where(db.ids_in(P.c.id, ids))  # one parameter: 200 bound ids cost more to compile than to run
        with db.read(self.engine) as conn:
            return {
                r.id: PaperRow(r[0], r[1], r[2], r[3], r[4], r[5] or "", r[6], r[7]) for r in conn.execute(statement)
            }

    def get(self, paper_id: int) -> Paper:
        """Everything about one paper."""
        papers = self.get_many([paper_id])
        if not papers:
            raise NotFoundError(f"no paper with id {paper_id}")
        return papers[0]

    #: Papers per read of iter_papers: few statements, and a batch small
    #: enough (a few MB) that the collector has little to walk when it resumes.
    _LOAD_BATCH = 1000

    def get_many(self, ids: Sequence[int]) -> list[Paper]:
        """Full papers for these ids, in the given order (missing ids are skipped)."""
        with db.read(self.engine) as conn:
            return self._load(conn, list(ids))

    def iter_papers(self, ids: Iterable[int], batch: int = _LOAD_BATCH) -> Iterator[Paper]:
        """Full papers in order, loaded in batches, for exports of any size.

        Each batch is its own short read transaction, so a long export never
        holds a snapshot open while it writes its file.
        """
        for chunk in _batched(ids, batch):
            yield from self.get_many(chunk)

    def bibtex_order(self, ids: Sequence[int]) -> list[int]:
        """``ids`` in the order a .bib file needs: every crossref (or xref) parent after its children.

        A parent that is not among ``ids`` is added, as bibtex requires it in
        the same file; parents of parents come after them. The other papers
        keep their order, and parents follow them in the order they were given.
        """
        with db.read(self.engine) as conn:
            links = conn.execute(select(B.c.paper_id, B.c.parent_key).where(B.c.parent_key.is_not(None))).all()
            if not links:
                return list(ids)
            lower = func.lower(P.c.citation_key)
            wanted = {key for _, key in links}
            by_key = {key: pid for key, pid in conn.execute(select(lower, P.c.id).where(lower.in_(wanted)))}
        parent_of = {child: by_key[key] for child, key in links if key in by_key and by_key[key] != child}
        order = list(dict.fromkeys(ids))
        position = {pid: i for i, pid in enumerate(order)}
        level: dict[int, int] = {}  # parent -> how many crossref steps below it the deepest given child is
        for pid in order:
            seen = {pid}
            step, parent = 1, parent_of.get(pid)
            while parent is not None and parent not in seen:  # a crossref loop ends where it closes
                seen.add(parent)
                level[parent] = max(level.get(parent, 0), step)
                step, parent = step + 1, parent_of.get(parent)
        if not level:
            return order
        parents = sorted(level, key=lambda p: (level[p], position.get(p, len(order)), p))
        return [pid for pid in order if pid not in level] + parents

    # Full papers are read below the ORM: an export reads every paper in the
    # library, and SQLAlchemy's per-row processing was most of the time it took
    # (~50 us a paper). The queries are plain SQL on the DBAPI connection,
    # inside ``conn``'s transaction, and each value is converted as its mapped
    # column type does. The ids go in as one JSON array, so a batch of any size
    # is one statement with one parameter (no SQLite variable limit).
    _IDS = "(SELECT value FROM json_each(?))"
    # The columns in the order of Paper's fields (checked below), so a row
    # becomes a Paper by position: keyword arguments cost ~1 us a paper.
    _LOAD_PAPERS = (
        "SELECT p.id, p.title, a.abstract, p.authors, p.arxiv_id, p.url, p.code_urls, p.project_url,"
        " p.published, p.added_at, p.status, p.read_at, p.priority, p.citation_key, p.entry_type,"
        " p.primary_class, p.extra_fields, p.key_pinned, p.cite_as, p.metadata"
        " FROM paper AS p LEFT JOIN paper_abstract AS a ON a.paper_id = p.id"
        f" WHERE p.id IN {_IDS}"
    )
    # ORDER BY the name columns uses their NOCASE collation, as the ORM query did.
    _LOAD_TAGS = (
        "SELECT pt.paper_id, t.name FROM paper_tag AS pt JOIN tag AS t ON t.id = pt.tag_id"
        f" WHERE pt.paper_id IN {_IDS} ORDER BY t.name"
    )
    _LOAD_LISTS = (
        "SELECT le.paper_id, rl.name FROM list_entry AS le JOIN reading_list AS rl ON rl.id = le.list_id"
        f" WHERE le.paper_id IN {_IDS} ORDER BY rl.name"
    )
    _LOAD_NOTES = (
        "SELECT paper_id, id, text, created_at, updated_at, version FROM note"
        f" WHERE paper_id IN {_IDS} ORDER BY created_at, id"
    )
    _LOAD_SOURCES = (
        f"SELECT paper_id, entry_type, citation_key, fields, views, strings FROM bibtex_source WHERE paper_id IN {_IDS}"
    )
    _LOAD_ALIASES = f"SELECT paper_id, key FROM key_alias WHERE paper_id IN {_IDS} ORDER BY key"
    _LOAD_FILLED = f"SELECT paper_id, field, source, filled_at FROM field_source WHERE paper_id IN {_IDS}"
    _LOAD_SIGHTINGS = (
        f"SELECT paper_id, source, listing_date, position FROM sighting WHERE paper_id IN {_IDS}"
        " ORDER BY listing_date, id"
    )
    if list(Paper.__match_args__[:17]) != [
        "id", "title", "abstract", "authors", "arxiv_id", "url", "code_urls", "project_url", "published",
        "added_at", "status", "read_at", "priority", "citation_key", "entry_type", "primary_class", "extra_fields",
    ]:  # fmt: skip
        raise TypeError("Library._LOAD_PAPERS no longer lists Paper's fields in order")

    def _load(self, conn: Connection, ids: list[int]) -> list[Paper]:
        if not ids:
            return []
        # A batch is thousands of new containers (papers, their lists and
        # dicts) that all survive until it is returned, so the collector, run
        # every few hundred allocations, would walk them again and again (~0.3 s
        # in an export of 100,000). Nothing here makes a reference cycle, so
        # it is paused while the batch is built.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._load_papers(conn, ids)
        finally:
            if collecting:
                gc.enable()

    def _load_papers(self, conn: Connection, ids: list[int]) -> list[Paper]:
        dialect = conn.dialect
        # The mapped Date and DateTime types' own result processors.
        to_date = _result_processor(P.c.published, dialect)
        to_datetime = _result_processor(P.c.added_at, dialect)
        # The mapped JSON type reads with json.loads (the engine sets no other
        # deserializer); NULL stays None. Most code_urls and extra_fields are
        # empty: those skip the parser.
        loads = json.loads
        cursor = db.driver_connection(conn).cursor()
        try:
            ids_json = (json.dumps(ids),)
            tags: dict[int, list[str]] = {}
            for pid, name in cursor.execute(self._LOAD_TAGS, ids_json):
                tags.setdefault(pid, []).append(name)
            lists: dict[int, list[str]] = {}
            for pid, name in cursor.execute(self._LOAD_LISTS, ids_json):
                lists.setdefault(pid, []).append(name)
            notes: dict[int, list[Note]] = {}
            for pid, nid, text, created, updated, version in cursor.execute(self._LOAD_NOTES, ids_json):
                notes.setdefault(pid, []).append(
                    Note(nid, pid, text, to_datetime(created), to_datetime(updated), version)
                )
            sightings: dict[int, list[Sighting]] = {}
            for pid, source, listing_date, position in cursor.execute(self._LOAD_SIGHTINGS, ids_json):
                sightings.setdefault(pid, []).append(Sighting(source, to_date(listing_date), position))
            filled: dict[int, dict[str, tuple[str, dt.datetime]]] = {}
            for pid, name, source, at in cursor.execute(self._LOAD_FILLED, ids_json):
                filled.setdefault(pid, {})[name] = (source, to_datetime(at))
            aliases: dict[int, list[str]] = {}
            for pid, alias in cursor.execute(self._LOAD_ALIASES, ids_json):
                aliases.setdefault(pid, []).append(alias)
            sources = {
                pid: BibSource.from_row(entry_type, key, loads(fields), loads(views), loads(strings))
                for pid, entry_type, key, fields, views, strings in cursor.execute(self._LOAD_SOURCES, ids_json)
            }
            by_id = {}
            for (pid, title, abstract, authors, arxiv_id, url, code_urls, project_url, published, added_at,
                 status, read_at, priority, citation_key, entry_type, primary_class, extra,
                 key_pinned, cite_as, metadata) in cursor.execute(
                self._LOAD_PAPERS, ids_json
            ):  # fmt: skip
                by_id[pid] = Paper(
                    pid,
                    title,
                    "" if abstract is None else abstract,  # no abstract row (the column is NOT NULL)
                    [] if authors is None else list(loads(authors) or ()),
                    arxiv_id,
                    url,
                    [] if code_urls is None or code_urls == "[]" else list(loads(code_urls) or ()),
                    project_url,
                    to_date(published),
                    to_datetime(added_at),
                    status,
                    to_datetime(read_at),
                    priority,
                    citation_key,
                    entry_type,
                    primary_class,
                    {} if extra is None or extra == "{}" else dict(loads(extra) or {}),
                    tags.get(pid, []),
                    lists.get(pid, []),
                    notes.get(pid, []),
                    sightings.get(pid, []),
                    sources.get(pid),
                    bool(key_pinned),
                    cite_as,
                    {} if metadata is None or metadata == "{}" else dict(loads(metadata) or {}),
                    filled.get(pid, {}),
                    aliases.get(pid, []),
                )
        finally:
            cursor.close()
        return [by_id[i] for i in ids if i in by_id]

    # --- Importing ------------------------------------------------------------

    def import_file(
        self,
        source: Source | str | Path,
        *,
        fmt: str = "auto",
        listing_date: dt.date | None = None,
        today: dt.date | None = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        dry_run: bool = False,
        origin: str | None = None,
        only_existing: bool = False,
        fetched: dt.date | None = None,
    ) -> ImportResult:
        """Import one listing as one transaction.

        ``dry_run`` does all the work and rolls it back: that is the preview,
        with exactly the counts the real import would have. ``cancelled`` is
        polled between batches; returning True rolls everything back and
        raises :class:`Cancelled`. ``origin`` (an online source's name) records
        which fields it filled in; ``only_existing`` completes papers already
        in the library and adds none (counted in ``result.unmatched``);
        ``fetched`` records the day as fetched from the API.
        """
        if not isinstance(source, Source):
            source = Source.from_path(source)
        reading = read_records(source, fmt, listing_date=listing_date, today=today)
        result = ImportResult(file=source.name, format=reading.format)
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            transaction = conn.begin()
            try:
                journal = ops.ImportJournal(source.name)
                self._import_records(
                    conn,
                    reading.records,
                    result,
                    progress,
                    cancelled,
                    journal,
                    origin=origin,
                    only_existing=only_existing,
                )
                if fetched is not None:
                    earlier = conn.execute(select(FD).where(FD.c.day == fetched)).first()
                    journal.fetched = (fetched, dict(earlier._mapping) if earlier is not None else None)
                    conn.execute(
                        db.insert(conn, FD)
                        .values(day=fetched, fetched_at=_now(), papers=result.total + result.unmatched)
                        .on_conflict_do_update(
                            index_elements=["day"],
                            set_={"fetched_at": _now(), "papers": result.total + result.unmatched},
                        )
                    )
                if not dry_run:
                    touched = set(journal.rows) | journal.abstracts | {pid for pid, _, _ in journal.sightings}
                    result.undo = ops.guarded(
                        conn,
                        ops.Outcome(ops.Changes(papers=frozenset(touched | set(journal.added))), journal.inverse()),
                    ).inverse
                result.problems = list(reading.skipped)
                result.warnings = sorted(reading.warnings + result.warnings, key=_place)
                if dry_run:
                    transaction.rollback()
                else:
                    transaction.commit()
            except BaseException:
                transaction.rollback()
                raise
        if not dry_run:  # counts and the file's name, never its text
            _import_log.info(
                "imported %s (%s): %d added, %d already in the library, %d skipped, %d merged",
                source.name,
                result.format,
                result.added,
                result.existing,
                len(result.problems),
                len(result.merged),
            )
        return result

    def _import_records(
        self,
        conn: Connection,
        records: Iterable[PaperRecord],
        result: ImportResult,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
        journal: ops.ImportJournal,
        *,
        origin: str | None = None,
        only_existing: bool = False,
    ) -> None:
        """Add or match each record, batch by batch; ``journal`` gathers what undoing it takes.

        Listings match the library and themselves by arXiv id, else by title
        (the same daily page imported twice adds nothing). BibTeX entries are
        stricter: distinct entries of one file are distinct papers, always;
        against the library an entry merges only on the same arXiv id, DOI or
        key, and every merge is named in ``result.merged``. An entry with the
        title and year of another paper is added and named in ``result.duplicates``.
        """
        taken_keys = _Keys(k for (k,) in conn.execute(select(func.lower(P.c.citation_key))))
        taken_keys |= {k for (k,) in conn.execute(select(func.lower(KA.c.key)))}  # merged papers' old keys
        # Papers met earlier in this same file, so in-file duplicates count once.
        # A paper added in the current batch has a negative placeholder id
        # until its row is inserted.
        seen_arxiv: dict[str, int] = {}
        seen_title: dict[str, list[int]] = {}
        arxiv_of: dict[int, str | None] = {}
        year_of: dict[int, int | None] = {}
        # BibTeX only: library papers an entry merged into, papers this file added
        # (by id) with their "key (line N)", DOIs in the library and in this file.
        claimed: set[int] = set()
        label_of: dict[int, str] = {}
        dois: dict[str, int] | None = None  # loaded at the first entry with a DOI
        seen_doi: dict[str, int] = {}
        doi_of: dict[int, str] = {}
        title_of: dict[int, str] = {}
        dates: set[dt.date] = set()
        now = _now()
        done = 0

        def compatible(record: PaperRecord, candidate: int) -> bool:
            # Same title but a different arXiv id is a different paper, and
            # so is one from another year (a journal version of a conference
            # paper, a new edition: BibTeX libraries hold both).
            other = arxiv_of.get(candidate)
            if record.arxiv_id and other and other != record.arxiv_id:
                return False
            other_year = year_of.get(candidate)
            return not (record.published and other_year and record.published.year != other_year)

        def match(record: PaperRecord, key: str, existing: _Existing) -> int | None:
            if record.arxiv_id:
                pid = seen_arxiv.get(record.arxiv_id) or existing["arxiv"].get(record.arxiv_id)
                if pid:
                    return pid
            for candidate in seen_title.get(key, []) + existing["title"].get(key, []):
                if compatible(record, candidate):
                    return candidate
            return None

        def describe(pid: int) -> str:
            if pid in label_of:
                return label_of[pid]
            title = title_of.get(pid, "")
            return f'paper {pid} "{title[:60]}{"…" if len(title) > 60 else ""}"'

        def match_entry(record: PaperRecord, key: str, existing: _Existing) -> int | None:
            nonlocal dois
            label = _entry_label(record)
            doi = _doi(record)
            if doi and dois is None:
                dois = self._doi_index(conn, doi_of, title_of, arxiv_of, year_of)
            candidates: list[tuple[int, str]] = []
            if record.arxiv_id:
                found = seen_arxiv.get(record.arxiv_id) or existing["arxiv"].get(record.arxiv_id)
                if found:
                    candidates.append((found, f"same arXiv id {record.arxiv_id}"))
            if doi:
                found = seen_doi.get(doi) or (dois or {}).get(doi)
                if found:
                    candidates.append((found, f"same DOI {doi}"))
            if record.citation_key:
                found = existing["key"].get(record.citation_key.lower())
                if found:
                    candidates.append((found, "same key"))
            for pid, why in candidates:
                if pid in label_of or pid in claimed:
                    continue  # added or merged into by another entry of this file: a distinct paper
                if why == "same key" and (
                    record.arxiv_id
                    and arxiv_of.get(pid) not in (None, record.arxiv_id)
                    or doi
                    and doi_of.get(pid) not in (None, doi)
                ):
                    continue  # the same key on another paper (another arXiv id or DOI)
                claimed.add(pid)
                result.merged.append(f"{label} into paper {pid} ({why})")
                return pid
            like = [(pid, f" ({why})") for pid, why in candidates if why != "same key"]
            titled = seen_title.get(key, []) + existing["title"].get(key, [])
            like += [(pid, "") for pid in islice((p for p in titled if compatible(record, p)), 1)]
            if like:
                pid, why = like[0]
                result.duplicates.append(f"{label} looks like {describe(pid)}{why}")
            return None

        for batch in _batched(records, BATCH):
            if cancelled is not None and cancelled():
                raise Cancelled("import cancelled; nothing was imported")
            keys = [normalize.title_key(r.title) for r in batch]
            existing = self._find_existing(
                conn,
                [r.arxiv_id for r in batch if r.arxiv_id],
                keys,
                [r.citation_key.lower() for r in batch if r.citation_key],
            )
            arxiv_of.update(existing["arxiv_of"])
            year_of.update(existing["year_of"])
            title_of.update(existing["title_of"])
            new_rows: list[dict[str, Any]] = []  # column values to insert
            new_records: list[PaperRecord] = []
            matched: list[tuple[int, PaperRecord]] = []
            for record, key in zip(batch, keys):
                if record.listing_date:
                    dates.add(record.listing_date)
                entry = record.source == "bibtex"
                pid = match_entry(record, key, existing) if entry else match(record, key, existing)
                if pid is not None:
                    matched.append((pid, record))
                    continue
                if only_existing:
                    result.unmatched += 1
                    continue
                if record.arxiv_id and (record.arxiv_id in seen_arxiv or record.arxiv_id in existing["arxiv"]):
                    # Another entry of this file has the id (arXiv ids are unique in the
                    # library): keep it as the entry's eprint field instead.
                    record.extra_fields.setdefault("eprint", record.arxiv_id)
                    record.extra_fields.setdefault("archiveprefix", "arXiv")
                    record.arxiv_id = None
                year = (record.published or record.listing_date or now.date()).year
                wanted_key = record.citation_key or citekeys.base_key(record.authors, year, record.title)
                citation_key = citekeys.unique_key(wanted_key, taken_keys)
                taken_keys.add(citation_key.lower())
                if record.citation_key and citation_key != record.citation_key:
                    result.warnings.append(
                        f"{result.file}: {record.where}: entry '{record.citation_key}': the key is taken "
                        f"(keys ignore case); imported as '{citation_key}'"
                    )
                placeholder = -(len(new_rows) + 1)
                new_rows.append(self._row_for(record, key, citation_key, now))
                new_records.append(record)
                seen_title.setdefault(key, []).append(placeholder)
                if record.arxiv_id:
                    seen_arxiv[record.arxiv_id] = placeholder
                arxiv_of[placeholder] = record.arxiv_id
                year_of[placeholder] = record.published.year if record.published else None
                if entry:
                    label_of[placeholder] = _entry_label(record)
                    doi = _doi(record)
                    if doi:
                        seen_doi.setdefault(doi, placeholder)
                        doi_of[placeholder] = doi
            new_ids: list[int] = []
            if new_rows:
                new_ids = list(
                    conn.execute(insert(P).returning(P.c.id, sort_by_parameter_order=True), new_rows).scalars()
                )
                real = {-(i + 1): pid for i, pid in enumerate(new_ids)}
                for index in (seen_arxiv, seen_doi):
                    for name, pid in index.items():
                        index[name] = real.get(pid, pid)
                for key in {row["title_key"] for row in new_rows}:
                    seen_title[key] = [real.get(pid, pid) for pid in seen_title[key]]
                abstracts = [
                    {"paper_id": pid, "abstract": r.abstract} for pid, r in zip(new_ids, new_records) if r.abstract
                ]
                if abstracts:
                    conn.execute(insert(A), abstracts)
                sources = [_source_row(pid, r) for pid, r in zip(new_ids, new_records) if r.bibtex is not None]
                if sources:
                    conn.execute(insert(B), sources)
                # Each map's values move from the placeholder to the real id as they are.
                id_maps: tuple[dict[int, Any], ...] = (arxiv_of, year_of, label_of, doi_of)
                for placeholder, pid in real.items():
                    for by_id in id_maps:
                        if placeholder in by_id:
                            by_id[pid] = by_id.pop(placeholder)
                matched = [(real.get(pid, pid), record) for pid, record in matched]
                self._add_tags_for_new(conn, zip(new_ids, new_records))
                journal.added += new_ids
            touched = self._fill_in(conn, matched, journal, origin)
            added_ids = set(journal.added)
            journal.sightings += [
                seen
                for seen in self._record_sightings(conn, list(zip(new_ids, new_records)) + matched)
                if seen[0] not in added_ids
            ]
            db.reindex(conn, set(new_ids) | touched)
            result.added += len(new_ids)
            result.existing += len(matched)
            result.paper_ids += new_ids + [pid for pid, _ in matched]
            done += len(batch)
            if progress is not None:
                progress(done)
        if cancelled is not None and cancelled():
            raise Cancelled("import cancelled; nothing was imported")
        result.listing_dates = sorted(dates)

    def _find_existing(
        self, conn: Connection, arxiv_ids: list[str], title_keys: list[str], citation_keys: list[str]
    ) -> _Existing:
        """Library papers with one of these arXiv ids, title keys or (lowercase) citation keys."""
        found: _Existing = {"arxiv": {}, "title": {}, "key": {}, "arxiv_of": {}, "year_of": {}, "title_of": {}}
        lower_key = func.lower(P.c.citation_key)
        statement = select(P.c.id, P.c.arxiv_id, P.c.title_key, P.c.published, lower_key, P.c.title).where(
            P.c.arxiv_id.in_(arxiv_ids) | P.c.title_key.in_(title_keys) | lower_key.in_(citation_keys)
        )
        for pid, arxiv, key, published, citation_key, title in conn.execute(statement):
            if arxiv:
                found["arxiv"][arxiv] = pid
            found["title"].setdefault(key, []).append(pid)
            found["key"][citation_key] = pid
            found["arxiv_of"][pid] = arxiv
            found["year_of"][pid] = published.year if published else None
            found["title_of"][pid] = title
        # An entry under the old key of a merged paper (a .bib imported again) is the kept paper.
        aliased = select(func.lower(KA.c.key), P.c.id, P.c.arxiv_id, P.c.published, P.c.title).join(
            P, P.c.id == KA.c.paper_id
        )
        for alias, pid, arxiv, published, title in conn.execute(aliased.where(func.lower(KA.c.key).in_(citation_keys))):
            found["key"].setdefault(alias, pid)
            found["arxiv_of"].setdefault(pid, arxiv)
            found["year_of"].setdefault(pid, published.year if published else None)
            found["title_of"].setdefault(pid, title)
        return found

    @staticmethod
    def _doi_index(
        conn: Connection,
        doi_of: dict[int, str],
        title_of: dict[int, str],
        arxiv_of: dict[int, str | None],
        year_of: dict[int, int | None],
    ) -> dict[str, int]:
        """Library papers by DOI (lowercase), read once per import: DOIs live in extra_fields."""
        doi = P.c.extra_fields["doi"].as_string()
        index: dict[str, int] = {}
        rows = conn.execute(select(P.c.id, doi, P.c.title, P.c.arxiv_id, P.c.published).where(doi.is_not(None)))
        for pid, value, title, arxiv, published in rows:
            value = _clean_doi(value)
            if value:
                index.setdefault(value, pid)
                doi_of[pid] = value
                title_of.setdefault(pid, title)
                arxiv_of.setdefault(pid, arxiv)
                year_of.setdefault(pid, published.year if published else None)
        return index

    @staticmethod
    def _row_for(record: PaperRecord, key: str, citation_key: str, now: dt.datetime) -> dict[str, Any]:
        return {
            "title": record.title,
            "title_key": key,
            "authors": list(record.authors),
            "first_author": record.authors[0] if record.authors else "",
            "arxiv_id": record.arxiv_id,
            "url": record.url,
            "code_urls": list(record.code_urls),
            "project_url": record.project_url,
            "published": record.published,
            "primary_class": record.primary_class,
            "listed_on": record.listing_date,
            "added_at": now,
            "status": "unread",
            "read_at": None,
            "priority": 0,
            "citation_key": citation_key,
            "title_edited": 0,
            "entry_type": record.entry_type or "misc",
            "extra_fields": dict(record.extra_fields),
            # A key from the user's own file never changes; a generated one may until it is used.
            "key_pinned": int(record.citation_key is not None),
        }

    def _fill_in(
        self,
        conn: Connection,
        matched: list[tuple[int, PaperRecord]],
        journal: ops.ImportJournal,
        origin: str | None = None,
    ) -> set[int]:
        """Fill in fields the library lacks; never overwrite what it has.

        A key made before the paper had authors takes the author style when
        they arrive, unless pinned; ``origin`` records which fields it filled.
        """
        if not matched:
            return set()
        ids = list({pid for pid, _ in matched})
        added = set(journal.added)
        current = {r.id: r for r in conn.execute(select(P).where(P.c.id.in_(ids)))}
        has_abstract = set(conn.execute(select(A.c.paper_id).where(A.c.paper_id.in_(ids))).scalars())
        touched: set[int] = set()
        for pid, record in matched:
            row = current[pid]
            # The rules of completing a paper (ops.fill_in), with what a listing or an entry says.
            completion = ops.Completion(
                paper_id=pid,
                source=origin or "",
                arxiv_id=record.arxiv_id,
                authors=tuple(record.authors),
                published=record.published,
                primary_class=record.primary_class,
                code_urls=tuple(record.code_urls),
                project_url=record.project_url,
                url=record.url,
                extra=record.extra_fields,
            )
            changes, filled = ops.fill_in(conn, dict(row._mapping), completion)
            got_abstract = bool(record.abstract) and pid not in has_abstract
            if got_abstract:
                conn.execute(insert(A).values(paper_id=pid, abstract=record.abstract))
                has_abstract.add(pid)
                touched.add(pid)
                if pid not in added:
                    journal.abstracts.add(pid)
            if record.listing_date and (row.listed_on is None or record.listing_date < row.listed_on):
                changes["listed_on"] = record.listing_date
            if changes or (got_abstract and origin):
                journal.before_fill(conn, [pid])
            if origin:
                ops.record_sources(conn, pid, filled + ["abstract"] * got_abstract, origin, _now())
            if changes:
                conn.execute(update(P).where(P.c.id == pid).values(**changes))
                # Later records for the same paper must see the filled-in values.
                current[pid] = conn.execute(select(P).where(P.c.id == pid)).one()
                touched.add(pid)
        return touched

    def _add_tags_for_new(self, conn: Connection, pairs: Iterable[tuple[int, PaperRecord]]) -> None:
        links = [(pid, tag) for pid, record in pairs for tag in record.tags]
        if not links:
            return
        tag_ids = ops.ensure_tags(conn, {tag for _, tag in links})
        conn.execute(
            db.insert(conn, PT).on_conflict_do_nothing(),
            [{"paper_id": pid, "tag_id": tag_ids[tag.casefold()]} for pid, tag in links],
        )

    @staticmethod
    def _record_sightings(conn: Connection, pairs: list[tuple[int, PaperRecord]]) -> list[tuple[int, str, dt.date]]:
        """Record where each paper was seen; return the sightings that were new."""
        rows = [
            {"paper_id": pid, "source": r.source, "listing_date": r.listing_date, "position": r.position}
            for pid, r in pairs
            if r.listing_date is not None
        ]
        if not rows:
            return []
        inserted = conn.execute(
            db.insert(conn, S).on_conflict_do_nothing().returning(S.c.paper_id, S.c.source, S.c.listing_date), rows
        )
        return [(pid, source, day) for pid, source, day in inserted]

    # --- Deleting ---------------------------------------------------------------

    def delete_papers(self, ids: Sequence[int]) -> dict[str, list[Any]]:
        """Delete papers with their notes, tags, list places and sightings; return what was removed."""
        removed: dict[str, list[Any]] = self.run(ops.DeletePapers(tuple(ids))).result  # rows by table
        return removed

    def restore_papers(self, snapshot: dict[str, list[Any]]) -> None:
        """Put back papers removed by :meth:`delete_papers`, with their ids and everything else."""
        self.run(ops.RestorePapers(snapshot))

    # --- Tags -----------------------------------------------------------------

    def add_tags(self, ids: Sequence[int], tags: Iterable[str]) -> None:
        self.run(ops.AddTags(tuple(ids), tuple(tags)))

    def remove_tags(self, ids: Sequence[int], tags: Iterable[str]) -> list[str]:
        """Remove tags from papers; return the (cleaned) names none of the papers had, so nothing was removed."""
        missing: list[str] = self.run(ops.RemoveTags(tuple(ids), tuple(tags))).result
        return missing

    def tags(self) -> list[tuple[str, int]]:
        """Every tag with the number of papers carrying it, by name."""
        statement = (
            select(T.c.name, func.count(PT.c.paper_id))
            .select_from(T.outerjoin(PT, PT.c.tag_id == T.c.id))
            .group_by(T.c.id)
            .order_by(db.nocase(T.c.name))
        )
        with db.read(self.engine) as conn:
            return [(n, c) for n, c in conn.execute(statement)]

    def tag_sets(self, ids: Sequence[int]) -> dict[int, list[str]]:
        """The tags of each paper (for undo)."""
        with db.read(self.engine) as conn:
            result: dict[int, list[str]] = {pid: [] for pid in ids}
            for pid, name in conn.execute(
                select(PT.c.paper_id, T.c.name).join(T, T.c.id == PT.c.tag_id).where(PT.c.paper_id.in_(list(ids)))
            ):
                result[pid].append(name)
            return result

    # --- Status, priority, key, title ----------------------------------------

    def set_status(self, ids: Sequence[int], status: str) -> None:
        self.run(ops.SetStatus(tuple(ids), status))

    def set_priority(self, ids: Sequence[int], priority: int) -> None:
        self.run(ops.SetPriority(tuple(ids), priority))

    def set_citation_key(self, paper_id: int, key: str) -> None:
        self.run(ops.SetCitationKey(paper_id, key))

    def set_title(self, paper_id: int, title: str) -> None:
        self.run(ops.SetTitle(paper_id, title))

    # --- Notes ----------------------------------------------------------------

    def add_note(self, paper_id: int, text: str) -> int:
        note_id: int = self.run(ops.AddNote(paper_id, text)).result
        return note_id

    def update_note(self, note_id: int, text: str) -> None:
        self.run(ops.UpdateNote(note_id, text))

    def delete_note(self, note_id: int) -> Note:
        """Delete a note and return it, so the caller can offer undo."""
        note: Note = self.run(ops.DeleteNote(note_id)).result
        return note

    def restore_note(self, note: Note) -> None:
        """Put a deleted note back with its id and times (for undo)."""
        self.run(ops.RestoreNote(note))

    # --- Reading lists --------------------------------------------------------

    def lists(self) -> list[tuple[str, int]]:
        """Every reading list with its number of papers, by name."""
        statement = (
            select(RL.c.name, func.count(LE.c.paper_id))
            .select_from(RL.outerjoin(LE, LE.c.list_id == RL.c.id))
            .group_by(RL.c.id)
            .order_by(db.nocase(RL.c.name))
        )
        with db.read(self.engine) as conn:
            return [(n, c) for n, c in conn.execute(statement)]

    def create_list(self, name: str) -> None:
        self.run(ops.CreateList(name))

    def rename_list(self, old: str, new: str) -> None:
        self.run(ops.RenameList(old, new))

    def delete_list(self, name: str) -> list[int]:
        """Delete a list (not its papers); return its paper ids in order."""
        paper_ids: list[int] = self.run(ops.DeleteList(name)).result
        return paper_ids

    def list_paper_ids(self, name: str) -> list[int]:
        """The papers of a list, in list order."""
        with db.read(self.engine) as conn:
            list_id = ops.list_id(conn, name)
            return list(
                conn.execute(select(LE.c.paper_id).where(LE.c.list_id == list_id).order_by(LE.c.position)).scalars()
            )

    def add_to_list(self, name: str, ids: Sequence[int], *, create: bool = False) -> int:
        """Append papers to a list (those already in it stay where they are); return how many were added."""
        added: int = self.run(ops.AddToList(name, tuple(ids), create)).result
        return added

    def remove_from_list(self, name: str, ids: Sequence[int]) -> int:
        removed: int = self.run(ops.RemoveFromList(name, tuple(ids))).result
        return removed

    # --- Listings and saved searches -----------------------------------------

    def listing_dates(self) -> list[tuple[dt.date, int]]:
        """Each listing date with its number of papers, newest first."""
        statement = (
            select(S.c.listing_date, func.count(func.distinct(S.c.paper_id)))
            .group_by(S.c.listing_date)
            .order_by(S.c.listing_date.desc())
        )
        with db.read(self.engine) as conn:
            return [(d, c) for d, c in conn.execute(statement)]

    def fetched_days(self) -> dict[dt.date, int]:
        """The days whose listing was fetched from the API, with how many papers it held."""
        with db.read(self.engine) as conn:
            return {day: count for day, count in conn.execute(select(FD.c.day, FD.c.papers).order_by(FD.c.day))}

    def record_fetched_day(self, day: dt.date, papers: int) -> None:
        """Remember that ``day`` was fetched (an empty day too, so it is not offered again)."""
        with db.write(self.engine) as conn:
            conn.execute(
                db.insert(conn, FD)
                .values(day=day, fetched_at=_now(), papers=papers)
                .on_conflict_do_update(index_elements=["day"], set_={"fetched_at": _now(), "papers": papers})
            )

    def saved_searches(self) -> list[tuple[str, str]]:
        with db.read(self.engine) as conn:
            return [(n, q) for n, q in conn.execute(select(SS.c.name, SS.c.query).order_by(SS.c.name))]

    def save_search(self, name: str, query: str) -> None:
        self.run(ops.SaveSearch(name, query))

    def delete_saved_search(self, name: str) -> None:
        self.run(ops.DeleteSavedSearch(name))

    def stats(self) -> dict[str, int]:
        """Counts for the sidebar: all papers and each status."""
        with db.read(self.engine) as conn:
            counts: dict[str, int] = dict(conn.execute(select(P.c.status, func.count()).group_by(P.c.status)).all())
        return {"all": sum(counts.values()), **{s: counts.get(s, 0) for s in STATUSES}}

    # --- Helpers --------------------------------------------------------------


# --- SQLite's errors on every operation ----------------------------------------
#
# Every public method runs through _translated: a damaged file, another
# program's lock or a value SQLite cannot store becomes one PapershelfError
# line instead of SQLAlchemy's multi-line message. Damage is remembered by
# the library's EngineGuard (db.py), which refuses every later write.


def _translated(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` with SQLite's errors translated by :func:`db.translate_error`."""

    def reraise(library: Library, exc: Exception) -> NoReturn:
        guard = getattr(library, "_guard", None)
        error = guard.translate(exc) if guard is not None else db.translate_error(exc, getattr(library, "path", None))
        if error is None:
            raise exc  # a bug, not the file: the caller's crash report gets it as it is
        raise error from exc

    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(self: Library, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except PapershelfError:
                raise
            except Exception as exc:
                reraise(self, exc)

        return generator

    @functools.wraps(method)
    def call(self: Library, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except PapershelfError:
            raise
        except Exception as exc:
            reraise(self, exc)

    return call


for _name, _member in list(vars(Library).items()):
    if inspect.isfunction(_member) and (_name == "__init__" or not _name.startswith("_")) and _name != "close":
        setattr(Library, _name, _translated(_member))
del _name, _member


def _landed_outcome(operation: ops.Operation, found: once.Landed) -> ops.Outcome:
    """A change found applied by an earlier try whose outcome is gone (the app was closed since): no undo for it."""
    everything = ops.Changes(tags=True, lists=True, saved_searches=True, statuses=True, notes=True)
    return ops.Outcome(everything, ops.Batch((), operation.label), found.result)
