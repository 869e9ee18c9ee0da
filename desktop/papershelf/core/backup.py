"""Backups of the library, and restoring them, all through SQLite.

A backup is a zip archive (``NAME-KIND-STAMP.sqlite3.zip``) holding a
consistent copy of the library taken with SQLite's online backup API, minus
the search index (it is rebuilt on restore), plus ``manifest.json``: what kind
of backup it is, when it was taken and how many papers, notes and lists it
holds. The manifest, never the file name, decides what may be pruned.

Restoring is all or nothing: the backup is unpacked beside the library,
checked like a library, upgraded and re-indexed first. Then, holding the
library's write lock, a safety backup of the current library is written and
the backup's rows replace the current ones in one transaction, so other
programs using the library wait for it and keep working on the restored
content. Only a damaged library is moved aside instead (SQLite cannot write
into it).

A backup "with files" is the same archive plus the library's PDFs
(``backup_files``); restoring it puts them back too. Daily backups never
carry files.

Nothing here opens a library file with Python's ``open()``: see ``db``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import sqlite3
import stat
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import backup_files, db, fsutil
from .errors import LibraryError, PapershelfError

KEEP = 10
_log = logging.getLogger("papershelf.backup")
SUFFIX = ".sqlite3.zip"
LEGACY_SUFFIX = ".sqlite3"
MEMBER = "library.sqlite3"
MANIFEST = "manifest.json"
FORMAT = 1
#: Kinds of backup that :func:`prune` may delete; "manual" ones are kept forever.
AUTOMATIC = frozenset({"daily", "before-restore", "before-schema"})
_STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class Summary:
    """What a library or a backup holds, for choosing and for warning before a restore."""

    path: Path
    kind: str  # "library", "daily", "manual", "before-restore", "before-schema", "legacy"
    taken: dt.datetime | None
    schema: str | None
    papers: int
    notes: int
    lists: int
    tags: int
    files: int | None = None  # PDFs in a backup with files; None: a library-only backup

    def describe(self) -> str:
        """``2026-11-29 08:00 · daily · 120 papers, 3 notes, 2 lists`` (`` · with 4 PDFs`` when it has files)."""
        when = f"{self.taken:%Y-%m-%d %H:%M} · " if self.taken else ""
        text = f"{when}{self.kind} · {_counted(self.papers, 'paper')}, {_counted(self.notes, 'note')}, " + _counted(
            self.lists, "list"
        )
        return text if self.files is None else f"{text} · with {_counted(self.files, 'PDF')}"


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def losses(current: Summary, backup: Summary) -> list[str]:
    """What restoring ``backup`` over ``current`` would drop, in words (empty when nothing)."""
    lost = []
    for noun, now, then in (
        ("paper", current.papers, backup.papers),
        ("note", current.notes, backup.notes),
        ("list", current.lists, backup.lists),
    ):
        if now > then:
            lost.append(_counted(now - then, noun))
    return lost


def _name(library: Path, kind: str, when: dt.datetime | None = None) -> str:
    return f"{library.stem}-{kind}-{(when or dt.datetime.now()).strftime(_STAMP)}{SUFFIX}"


def list_backups(folder: Path) -> list[Path]:
    """Backups in ``folder`` (archives and older plain copies), newest first."""
    if not folder.is_dir():
        return []
    # Hidden files are backups and restores still being written.
    found = [
        p
        for p in folder.iterdir()
        if p.name.endswith((SUFFIX, LEGACY_SUFFIX)) and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


# --- Taking a backup -------------------------------------------------------------------


def _scalar(conn: sqlite3.Connection, sql: str) -> int:
    value: int = conn.execute(sql).fetchone()[0]
    return value


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        "papers": _scalar(conn, "SELECT count(*) FROM paper"),
        "notes": _scalar(conn, "SELECT count(*) FROM note"),
        "lists": _scalar(conn, "SELECT count(*) FROM reading_list"),
        "tags": _scalar(conn, "SELECT count(*) FROM tag"),
    }


def _require_library_file(library: Path) -> None:
    """A regular file (through links), as opening a library requires: not a folder, a FIFO or a device."""
    from .migrate import file_kind

    if not os.path.lexists(library):
        raise PapershelfError(f"{library}: no library to back up")
    kind = file_kind(library)
    if kind != "file":
        raise PapershelfError(f"{library}: is {kind}, not a library file")


def _private_temp(work_dir: Path, prefix: str) -> Path:
    """A new, empty 0600 file in ``work_dir`` (made 0700 if new), hidden from :func:`list_backups`."""
    fsutil.make_private_dirs(work_dir)
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".sqlite3", dir=work_dir)
    os.close(fd)
    return Path(name)


def _snapshot(library: Path, work_dir: Path) -> tuple[Path, dict[str, int | str]]:
    """Copy ``library`` into a private temporary file in ``work_dir``, without the search index's content.

    One read transaction on the library gives a consistent copy while it is
    in use. The schema is copied as SQLite stores it; the rows of every table
    but the search index (more than half of the file at 100k papers, and
    rebuilt on restore) follow, then the indexes. The copy is built from
    scratch, so its indexes match its rows; SQLite's quick check then
    verifies every page. Returns the file and its manifest facts.
    """
    tmp = _private_temp(work_dir, ".papershelf-backup-")
    try:
        with db.connection(tmp) as copy:
            copy.isolation_level = None
            copy.execute("PRAGMA journal_mode=OFF")  # a scratch file: removed on any failure
            # Read-write (nothing is written to it): as the last connection, SQLite
            # then removes the -wal/-shm that a read-only one would leave behind.
            copy.execute("ATTACH DATABASE ? AS src", (db.sqlite_uri(library),))
            copy.execute("BEGIN")
            schema = copy.execute(
                "SELECT type, name, sql FROM src.sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE ? AND name NOT LIKE ? ORDER BY rowid",
                tuple(name + "_%" for name in db.FTS_TABLES),
            ).fetchall()
            for kind, table, sql in schema:
                if kind == "table":
                    copy.execute(sql)
                    if table not in db.FTS_TABLES:
                        copy.execute(f'INSERT INTO main."{table}" SELECT * FROM src."{table}"')
            if copy.execute("SELECT 1 FROM src.sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
                copy.execute("DELETE FROM main.sqlite_sequence")
                copy.execute("INSERT INTO main.sqlite_sequence SELECT * FROM src.sqlite_sequence")
            for kind, _name, sql in schema:
                if kind != "table":
                    copy.execute(sql)
            for pragma in ("application_id", "user_version"):
                value = int(copy.execute(f"PRAGMA src.{pragma}").fetchone()[0])
                copy.execute(f"PRAGMA main.{pragma} = {value}")
            copy.execute("COMMIT")
            copy.execute("DETACH DATABASE src")
            copy.execute("PRAGMA journal_mode=DELETE")
            db.quick_check(copy, library)  # damage in the copy came from the library
            facts: dict[str, int | str] = dict(_counts(copy))  # and the schema revision, a str
            facts["schema"] = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        return tmp, facts
    except BaseException:
        _remove(tmp)
        raise


def _write_archive(
    snapshot: Path,
    dest: Path,
    facts: dict[str, int | str],
    kind: str,
    when: dt.datetime,
    library: Path,
    files_dir: Path | None = None,
) -> tuple[Path, backup_files.Written | None]:
    """Zip ``snapshot`` and its manifest into ``dest`` (atomically, through links, 0600).

    With ``files_dir``, the PDFs the snapshot's attachments reference follow
    the library, and the manifest (with their checksums) comes last.
    """
    from .. import __version__

    manifest = {
        "format": FORMAT,
        "kind": kind,
        "taken": when.isoformat(timespec="seconds"),
        "library": str(library),
        "papershelf": __version__,
        **facts,
    }
    # Level 1: at 100k papers 81 MB in 4 s, against 70 MB in 18 s at level 6.
    with (
        fsutil.write_user_file(dest, "wb") as stream,
        zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
    ):
        if files_dir is None:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
            archive.write(snapshot, MEMBER)
            return dest, None
        archive.write(snapshot, MEMBER)
        more, written = backup_files.write_files(archive, snapshot, files_dir)
        archive.writestr(MANIFEST, json.dumps({**manifest, **more}, indent=1))
    return dest, written


def backup(
    library: Path,
    dest: Path | None = None,
    *,
    folder: Path,
    reason: str = "manual",
    when: dt.datetime | None = None,
    backups_root: Path | None = None,
) -> Path:
    """Write a backup of ``library`` to ``dest`` (or into ``folder``) and return its path.

    ``dest`` may be a folder, a new file, a link (written through), a FIFO or
    ``-``. It may not be the library itself, one of its side files (through
    links too), or an existing backup in ``folder`` or ``backups_root``.
    """
    return _backup(library, dest, folder=folder, reason=reason, when=when, backups_root=backups_root)[0]


def backup_with_files(
    library: Path,
    dest: Path | None = None,
    *,
    folder: Path,
    files_dir: Path,
    when: dt.datetime | None = None,
    backups_root: Path | None = None,
) -> tuple[Path, backup_files.Written]:
    """:func:`backup` plus every PDF the library's attachments reference (a manual backup, never pruned).

    Returns the archive and what went into it; a referenced file that is
    missing is left out and named in ``Written.problems`` (the rest is written).
    """
    made, written = _backup(
        library, dest, folder=folder, reason="manual", when=when, backups_root=backups_root, files_dir=files_dir
    )
    assert written is not None
    return made, written


def _backup(
    library: Path,
    dest: Path | None,
    *,
    folder: Path,
    reason: str,
    when: dt.datetime | None,
    backups_root: Path | None,
    files_dir: Path | None = None,
) -> tuple[Path, backup_files.Written | None]:
    library = Path(library)
    _require_library_file(library)
    when = when or dt.datetime.now()
    label = reason if files_dir is None else f"{reason}-with-files"
    if dest is None:
        dest = folder / _name(library, label, when)
    elif dest.is_dir():
        dest = dest / _name(library, label, when)
    if db.inspect_file(library, full_check=False) is None:
        raise PapershelfError(f"{library}: an empty file, not a Papershelf library; nothing to back up")
    try:
        protect = fsutil.Protected.library(library)
        if os.fspath(dest) == "-":
            fsutil.check_stream_not_protected(sys.stdout, "-", protect)
        else:
            fsutil.check_not_protected(dest, protect)
            _refuse_existing_backup(dest, [folder] + ([backups_root] if backups_root else []))
        if dest.parent == folder:
            fsutil.make_private_dirs(folder)
        work_dir = _work_dir(dest, folder)
        try:
            snapshot, facts = _snapshot(library, work_dir)
        except sqlite3.DatabaseError as exc:
            if db.is_damage(exc):
                raise LibraryError(db.damage_message(library, exc)) from None
            raise PapershelfError(f"{dest}: cannot write the backup ({db.one_line(exc)})") from None
        try:
            made, written = _write_archive(snapshot, dest, facts, reason, when, library, files_dir)
        finally:
            _remove(snapshot)
        _log.info("backup taken (%s%s) of %s: %s", reason, "" if written is None else ", with files", library, made)
        return made, written
    except OSError as exc:
        raise PapershelfError(f"{dest}: cannot write the backup ({_reason(exc)})") from None


def _refuse_existing_backup(dest: Path, folders: list[Path]) -> None:
    """A backup never replaces another one (through links and hard links too): backups are only ever added."""
    try:
        st = os.stat(dest)
    except OSError:
        return  # a new file
    for top in folders:
        if not top.is_dir():
            continue
        for existing in top.rglob("*"):
            try:
                other = existing.stat()
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                raise fsutil.UnsafeTarget(dest, f"is an existing backup ({existing}); nothing was written")


def _work_dir(dest: Path, folder: Path) -> Path:
    """Where the temporary copy goes: beside a regular destination, else the backups folder."""
    target = fsutil.resolve_target(dest)
    return target.path.parent if target.kind in (fsutil.REPLACE, fsutil.CREATE) else folder


def _reason(exc: OSError) -> str:
    from .exporters import _reason as reason

    return reason(exc)


def _remove(path: Path) -> None:
    for victim in (path, *(Path(str(path) + suffix) for suffix in db.SIDE_SUFFIXES)):
        with contextlib.suppress(FileNotFoundError):
            victim.unlink()


# --- Reading a backup -----------------------------------------------------------------


def _manifest(path: Path) -> dict[str, Any] | None:
    """The manifest of a backup archive, or None for an older plain copy."""
    if db.is_connected(path) or not zipfile.is_zipfile(path):  # by content: a backup may be renamed
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise PapershelfError(f"{path}: not a Papershelf backup ({exc})") from None
    if not isinstance(manifest, dict):  # any zip may sit in the folder
        raise PapershelfError(f"{path}: not a Papershelf backup (its manifest is not a JSON object)")
    return manifest


def summarize(path: Path) -> Summary:
    """What a backup file holds (from its manifest; an older plain copy is read through SQLite)."""
    manifest = _manifest(path)
    if manifest is not None:
        try:
            return Summary(
                path,
                manifest["kind"],
                dt.datetime.fromisoformat(manifest["taken"]),
                manifest.get("schema"),
                int(manifest["papers"]),
                int(manifest["notes"]),
                int(manifest["lists"]),
                int(manifest["tags"]),
                len(manifest["files"]) if isinstance(manifest.get("files"), list) else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PapershelfError(f"{path}: not a Papershelf backup (manifest: {exc})") from None
    return _summarize_sqlite(path, "legacy", dt.datetime.fromtimestamp(path.stat().st_mtime))


def summarize_library(library: Path) -> Summary:
    """What the library holds now (read-only, through SQLite)."""
    return _summarize_sqlite(library, "library", None)


def _summarize_sqlite(path: Path, kind: str, taken: dt.datetime | None) -> Summary:
    try:
        # immutable for backups: reading one never leaves -wal/-shm files beside it.
        immutable = kind != "library"
        revision = db.inspect_file(path, full_check=False, immutable=immutable)
        # The library read-write (nothing is written): the last connection removes -wal/-shm.
        with db.connection(path, readonly=immutable, immutable=immutable) as conn:
            counts = _counts(conn) if revision else {"papers": 0, "notes": 0, "lists": 0, "tags": 0}
    except (LibraryError, sqlite3.DatabaseError) as exc:
        raise PapershelfError(f"{path}: cannot read it ({db.one_line(exc)})") from None
    return Summary(path, kind, taken, revision, **counts)


@contextlib.contextmanager
def _unpacked(source: Path, work_dir: Path) -> Iterator[Path]:
    """A private, writable copy of the library inside backup ``source``, checked, upgraded and re-indexed."""
    tmp = _private_temp(work_dir, ".papershelf-restore-")
    try:
        if _manifest(source) is not None:
            with zipfile.ZipFile(source) as archive, archive.open(MEMBER) as packed, open(tmp, "wb") as out:
                while chunk := packed.read(1 << 20):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        else:
            try:
                with db.connection(source, readonly=True, immutable=True) as old, db.connection(tmp) as copy:
                    old.backup(copy)
                    copy.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.DatabaseError as exc:
                raise PapershelfError(f"{source}: not a usable backup ({db.one_line(exc)})") from None
        _prepare(tmp, source, _check_backup(tmp, source))
        yield tmp
    except (zipfile.BadZipFile, KeyError) as exc:
        raise PapershelfError(f"{source}: not a Papershelf backup ({exc})") from None
    finally:
        _remove(tmp)


def _check_backup(candidate: Path, source: Path) -> str:
    """Check the unpacked backup like a library (integrity, a known schema); return its revision."""
    from . import migrate

    try:
        revision = db.inspect_file(candidate, full_check=True)
    except LibraryError as exc:
        raise PapershelfError(f"{source}: not a usable backup ({str(exc).split(': ', 1)[-1]})") from None
    if revision is None:
        raise PapershelfError(f"{source}: not a usable backup (it holds no library)")
    if revision != db.SCHEMA_HEAD and revision not in migrate.known_revisions():
        raise PapershelfError(
            f"{source}: not a usable backup (written by a newer version of Papershelf, schema {revision})"
        )
    return revision


def _prepare(candidate: Path, source: Path, revision: str) -> None:
    """Bring the checked backup to this version's schema and rebuild its search index."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from . import migrate
    from .schema import PaperTable

    engine = db.make_engine(candidate)
    try:
        if revision != db.SCHEMA_HEAD:
            migrate.upgrade(engine)
        with db.write(engine) as conn:
            conn.exec_driver_sql(f"DELETE FROM {db.FTS_TABLE}")
            db.reindex(conn, conn.execute(select(PaperTable.id)).scalars())
            # A backup holds no PDF text: the files are read again once they are back.
            conn.exec_driver_sql("UPDATE attachment SET text_state = 'pending', text_error = NULL")
    except (SQLAlchemyError, sqlite3.Error) as exc:
        # Papershelf's tables are not all there, or not as this version wrote them.
        raise PapershelfError(f"{source}: not a usable backup ({db.one_line(getattr(exc, 'orig', exc))})") from None
    finally:
        engine.dispose()
    with db.connection(candidate) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")


def newest_good(folder: Path) -> Path | None:
    """The newest backup that unpacks and passes SQLite's integrity check."""
    for candidate in list_backups(folder):
        try:
            with _unpacked(candidate, folder):
                return candidate
        except (PapershelfError, OSError, sqlite3.Error):
            continue
    return None


# --- Restoring ------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    source: Path
    kept: Path | None  # the safety backup of the library as it was, or where a damaged one was moved
    before: Summary | None
    after: Summary
    files: backup_files.FilesRestored | None = None  # a backup with files: what became of them
    untrashed: int = 0  # stored files the restored library references, brought back from the trash


class WouldDropError(PapershelfError):
    """Restoring would drop papers, notes or lists the library holds; nothing was restored."""

    def __init__(self, message: str, lost: list[str], before: Summary, after: Summary):
        super().__init__(message)
        self.lost, self.before, self.after = lost, before, after


def restore(
    library: Path, source: Path | None = None, *, folder: Path, force: bool = False, files_dir: Path | None = None
) -> Restored:
    """Replace the content of ``library`` with the backup ``source`` (default: the newest good one).

    All or nothing: on any failure (a bad backup, a full disk, a busy library)
    the library is as it was. Unless ``force``, it raises
    :class:`WouldDropError` when the library holds papers, notes or lists the
    backup does not (compared by what they are, in the unpacked backup, not by
    counts). The current library is backed up first, under its write lock.
    Only a damaged library is moved aside; another program's file, an empty
    file or one written by a newer Papershelf is refused, unchanged.

    A backup with files also puts its PDFs back into ``files_dir`` (see
    ``backup_files``: checked first, nothing overwritten); without
    ``files_dir`` they stay in the archive.
    """
    if source is None:
        source = newest_good(folder)
        if source is None:
            raise PapershelfError(f"no usable backup in {folder}")
    if not source.is_file():
        raise PapershelfError(f"{source}: no such backup file")
    live, _is_link = fsutil.follow_links(library)
    exists = os.path.lexists(live)
    if exists:
        _require_library_file(live)
        if os.path.samefile(live, source):
            raise PapershelfError(f"{source}: is the library itself, not a backup; nothing was restored")
        if live.stat().st_size == 0:
            raise PapershelfError(f"{library}: an empty file, not a Papershelf library; nothing was restored")
    damaged = False
    if exists:
        try:
            revision = db.inspect_file(live, full_check=True)
        except db.LibraryDamagedError:
            damaged = True
        except LibraryError as exc:
            raise PapershelfError(f"{exc}; nothing was restored") from None
        else:
            _require_current_schema(live, revision)
    try:
        try:
            meta: Summary | None = summarize(source)
            manifest = _manifest(source)
        except PapershelfError:
            meta, manifest = None, None
        with _unpacked(source, live.parent) as candidate:
            # What the backup really holds, with the manifest's kind and date.
            after = _summarize_sqlite(candidate, meta.kind if meta else "backup", meta.taken if meta else None)
            after = dataclasses.replace(after, files=meta.files if meta else None)
            before = None
            if exists and not damaged:
                before = summarize_library(live)
                lost = _lost(live, candidate)
                if lost and not force:
                    raise WouldDropError(
                        f"{source}: restoring it would drop {' and '.join(lost)} from {library}; nothing was restored",
                        lost,
                        before,
                        after,
                    )
            with _files_staged(source, manifest, candidate, files_dir) as plan:
                kept = None
                if not exists:
                    os.replace(candidate, live)
                elif damaged:
                    kept = set_aside(live)
                    os.replace(candidate, live)
                else:
                    kept = _swap_in(live, candidate, folder)
                files = plan.place() if plan is not None else None
            untrashed = _untrash(library, files_dir) if files_dir is not None else 0
            if files is not None:
                files.untrashed = untrashed
            return Restored(source, kept, before, after, files, untrashed)
    except OSError as exc:
        raise PapershelfError(f"{library}: nothing was restored ({_reason(exc)})") from None
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise PapershelfError(f"{library}: nothing was restored: the library is busy in another program") from None
        raise PapershelfError(f"{library}: nothing was restored ({db.one_line(exc)})") from None


@contextlib.contextmanager
def _files_staged(
    source: Path, manifest: dict[str, Any] | None, candidate: Path, files_dir: Path | None
) -> Iterator[backup_files.Plan | None]:
    """The files of a backup with files, extracted and checked beside their places (None: nothing to put back)."""
    if files_dir is None or manifest is None or backup_files.manifest_files(manifest) is None:
        yield None
        return
    with backup_files.staged(source, manifest, candidate, files_dir) as plan:
        yield plan


def _untrash(library: Path, files_dir: Path) -> int:
    """Bring back from the files folder's trash the stored files the restored library references; how many.

    Deleting a paper moves its stored files to ``.trash/``; restoring a backup
    from before the delete references them again, as an undo would. The move
    is ``stored_files.settle``'s (never over other content). The library is
    restored by now, so a failure here is logged, never raised.
    """
    from . import stored_files
    from .library import Library

    trash = files_dir / stored_files.TRASH
    try:
        with db.connection(library, readonly=True) as conn:
            paths = [str(p) for (p,) in conn.execute("SELECT DISTINCT path FROM attachment WHERE kind = 'stored'")]
        back = [
            p
            for p in paths
            if stored_files.safe_relative(p) and _plain_file(trash / p) and not os.path.lexists(files_dir / p)
        ]
        if not back:
            return 0
        with Library(library, check="header") as opened:
            if stored_files.files_dir(opened) != files_dir:
                return 0  # settle works on the library's own files folder only
            stored_files.settle(opened, back)
    except (PapershelfError, OSError, sqlite3.Error) as exc:
        _log.warning("%s: could not bring stored files back from the trash: %s", library, exc)
        return 0
    return sum(os.path.lexists(files_dir / p) for p in back)


def _plain_file(path: Path) -> bool:
    """A regular file itself (a link in the trash is not a stored PDF, whatever it points to)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _require_current_schema(live: Path, revision: str | None) -> None:
    """A library written by a newer Papershelf is refused; an older one is upgraded first, as any open does."""
    from . import migrate

    if revision is None:
        raise PapershelfError(f"{live}: an empty SQLite database, not a Papershelf library; nothing was restored")
    if revision == db.SCHEMA_HEAD:
        return
    if revision not in migrate.known_revisions():
        raise PapershelfError(
            f"{live}: written by a newer version of Papershelf (schema {revision}); nothing was restored"
        )
    migrate.open_library_engine(live, backups_dir=None, check="header").dispose()


def _lost(live: Path, candidate: Path) -> list[str]:
    """What the library holds that the unpacked backup does not: papers (by id and key), notes, lists."""
    with db.connection(candidate) as conn:
        conn.execute("ATTACH DATABASE ? AS live", (db.sqlite_uri(live),))
        papers = _scalar(
            conn,
            "SELECT count(*) FROM live.paper AS l WHERE NOT EXISTS "
            "(SELECT 1 FROM main.paper AS m WHERE m.id = l.id AND m.citation_key = l.citation_key)",
        )
        notes = _scalar(
            conn,
            "SELECT count(*) FROM live.note AS l JOIN live.paper AS lp ON lp.id = l.paper_id WHERE NOT EXISTS "
            "(SELECT 1 FROM main.note AS m JOIN main.paper AS mp ON mp.id = m.paper_id "
            "WHERE mp.citation_key = lp.citation_key AND m.text = l.text)",
        )
        lists = _scalar(
            conn,
            "SELECT count(*) FROM live.reading_list AS l WHERE NOT EXISTS "
            "(SELECT 1 FROM main.reading_list AS m WHERE m.name = l.name)",
        )
        conn.execute("DETACH DATABASE live")
    return [_counted(n, noun) for n, noun in ((papers, "paper"), (notes, "note"), (lists, "list")) if n]


def _swap_in(live: Path, candidate: Path, folder: Path) -> Path:
    """Under the write lock: back up ``live``, then replace its rows with ``candidate``'s, in one transaction."""
    writer = db.connect(live)
    try:
        writer.isolation_level = None
        writer.execute("ATTACH DATABASE ? AS restored", (db.sqlite_uri(candidate),))
        writer.execute("BEGIN IMMEDIATE")
        try:
            # No one else can commit now; the snapshot's own connection reads
            # exactly what the transaction below replaces.
            snapshot, facts = _snapshot(live, folder)
            try:
                when = dt.datetime.now()
                kept, _none = _write_archive(
                    snapshot, folder / _name(live, "before-restore", when), facts, "before-restore", when, live
                )
            finally:
                _remove(snapshot)
            writer.execute("PRAGMA defer_foreign_keys=ON")
            for table, columns in _tables(writer):
                cols = ", ".join(f'"{c}"' for c in columns)
                writer.execute(f'DELETE FROM main."{table}"')
                writer.execute(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM restored."{table}"')
            writer.execute("COMMIT")
        except BaseException:
            if writer.in_transaction:
                writer.execute("ROLLBACK")
            raise
        writer.execute("DETACH DATABASE restored")
    finally:
        db.disconnect(writer, live)
    prune(folder)
    return kept


def _tables(conn: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    """Every table whose rows a restore copies: ours, the search index, and SQLite's sequence table."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type='table' AND name NOT LIKE ? AND name NOT LIKE ? "
            "AND (name NOT LIKE 'sqlite_%' OR name = 'sqlite_sequence') ORDER BY name",
            tuple(name + "_%" for name in db.FTS_TABLES),
        )
    ]
    tables = []
    for name in names:
        columns = [r[1] for r in conn.execute(f'PRAGMA main.table_info("{name}")')]
        tables.append((name, ["rowid", *columns] if name in db.FTS_TABLES else columns))
    return tables


def set_aside(library: Path) -> Path:
    """Move a damaged library out of the way, untouched, and return its new path.

    Its -wal goes with it (it may hold the last changes); its -shm is only an
    index of the -wal and is removed, so no stray side files are left behind.
    """
    target = library.with_name(f"{library.stem}-damaged-{dt.datetime.now().strftime(_STAMP)}{library.suffix}")
    os.replace(library, target)
    wal = Path(str(library) + "-wal")
    if wal.exists():
        os.replace(wal, Path(str(target) + "-wal"))
    with contextlib.suppress(FileNotFoundError):
        Path(str(library) + "-shm").unlink()
    return target


# --- Daily backups and pruning ---------------------------------------------------------


def _kind(path: Path) -> str | None:
    try:
        manifest = _manifest(path)
    except PapershelfError:
        return None
    return manifest.get("kind") if manifest else None


def prune(folder: Path, keep: int = KEEP) -> None:
    """Keep the newest ``keep`` automatic backups; never delete a manual one.

    Whether a backup is automatic is read from its manifest, never guessed
    from its name (a library may well be called ``thesis-before-defense``).
    """
    automatic = [p for p in list_backups(folder) if p.name.endswith(SUFFIX) and _kind(p) in AUTOMATIC]
    for old in automatic[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()


def taken_today(library: Path, folder: Path, today: dt.date) -> bool:
    """True when a daily backup of ``library`` was taken on ``today``."""
    for path in list_backups(folder):
        if not path.name.endswith(SUFFIX):
            continue
        try:
            summary = summarize(path)
        except PapershelfError:
            continue
        if summary.kind == "daily" and summary.taken and summary.taken.date() == today:
            return True
    return False


def daily(library: Path, folder: Path, keep: int = KEEP, today: dt.date | None = None) -> Path | None:
    """Take the day's automatic backup unless one exists already; prune old ones.

    Returns the new backup, or ``None`` when there was nothing to do.
    """
    if not library.exists() or library.stat().st_size == 0:
        return None
    now = dt.datetime.now()
    when = dt.datetime.combine(today, now.time()) if today else now
    if taken_today(library, folder, when.date()):
        return None
    made = backup(library, folder=folder, reason="daily", when=when)
    prune(folder, keep)
    return made
