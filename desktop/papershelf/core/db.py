"""Everything SQLite-specific: engine, pragmas, transactions, FTS5, schema checks.

Keeping these here means another SQLAlchemy backend only has to replace this
module. The rest of the core talks to the engine through :func:`read` and
:func:`write`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text

from .errors import LibraryError

#: The newest schema revision this version of Papershelf knows. A test checks
#: that it equals Alembic's head, so opening an up-to-date library does not
#: need to import Alembic at all (that keeps start-up fast).
SCHEMA_HEAD = "0001"

#: Long enough for a large import in another process to finish its transaction.
BUSY_TIMEOUT_MS = 30_000

SQLITE_MAGIC = b"SQLite format 3\x00"


def make_engine(path: Path) -> Engine:
    """An engine on ``path`` with our pragmas and explicit BEGIN handling."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let us issue BEGIN ourselves: pysqlite's implicit transactions start
        # too late and never as IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a committed note survives a power cut, not only a crash.
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read transaction: a consistent snapshot that never blocks writers (WAL)."""
    with engine.connect() as conn, conn.begin():
        yield conn


@contextlib.contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction, all or nothing.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a second writer waits
    (up to the busy timeout) instead of failing with "database is locked" when
    it upgrades a read lock.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


# --- Full-text search --------------------------------------------------------

FTS_TABLE = "paper_fts"

_REINDEX_DELETE = text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT value FROM json_each(:ids))")
_REINDEX_INSERT = text(
    f"""
    INSERT INTO {FTS_TABLE}(rowid, title, abstract, authors, notes, tags)
    SELECT p.id, p.title, (SELECT a.abstract FROM paper_abstract AS a WHERE a.paper_id = p.id),
        (SELECT group_concat(j.value, ', ') FROM json_each(p.authors) AS j),
        (SELECT group_concat(n.text, char(10)) FROM note AS n WHERE n.paper_id = p.id),
        (SELECT group_concat(t.name, ' ') FROM paper_tag AS pt JOIN tag AS t ON t.id = pt.tag_id
            WHERE pt.paper_id = p.id)
    FROM paper AS p WHERE p.id IN (SELECT value FROM json_each(:ids))
    """
)


def reindex(conn: Connection, paper_ids: Iterable[int]) -> None:
    """Bring the search index up to date for these papers, in the caller's transaction."""
    import json

    ids = json.dumps(sorted(set(paper_ids)))
    if ids == "[]":
        return
    conn.execute(_REINDEX_DELETE, {"ids": ids})
    conn.execute(_REINDEX_INSERT, {"ids": ids})


def fts_quote(term: str, prefix: bool) -> str:
    """One FTS5 string token: ``"term"`` (``*`` for a prefix match)."""
    return '"' + term.replace('"', '""') + '"' + ("*" if prefix else "")


def fts_table():
    """The FTS5 table as a selectable with its ``rowid`` (= ``paper.id``)."""
    from sqlalchemy import Integer, column, table

    return table(FTS_TABLE, column("rowid", Integer))


def fts_matches(match: str):
    """The ``paper_fts MATCH …`` condition for an FTS5 expression."""
    from sqlalchemy import bindparam

    # unique=True: a query holds several matches (positive words, each negated
    # word); one shared name would bind them all to the same value.
    return text(f"{FTS_TABLE} MATCH :m").bindparams(bindparam("m", match, unique=True))


def fts_match_ids(match: str):
    """A ``paper.id IN (…)`` subquery for an FTS5 match expression."""
    from sqlalchemy import select

    fts = fts_table()
    return select(fts.c.rowid).where(fts_matches(match))


def fetch_ids(conn: Connection, statement) -> list[int]:
    """The first column of every row, fetched straight from the driver.

    For id lists of 100,000 rows SQLAlchemy's per-row result processing costs
    as much as the query; ids need none of it. Every parameter our search
    builds is a plain str or int, which sqlite3 binds as is.
    """
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args = [params[name] for name in compiled.positiontup] if compiled.positiontup else []
    cursor = conn.connection.driver_connection.execute(str(compiled), args)
    try:
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


# --- Opening a file ------------------------------------------------------------


def inspect_file(path: Path, full_check: bool = True) -> str | None:
    """Check an existing file without changing it; return its schema revision.

    Returns ``None`` for an empty SQLite database (a new library). Raises
    :class:`LibraryError` when the file is not a Papershelf library or is
    damaged. ``full_check`` runs ``PRAGMA quick_check``, which reads every
    page (about half a second at 100,000 papers); without it only the header
    and the schema are read.
    """
    with open(path, "rb") as fh:
        magic = fh.read(len(SQLITE_MAGIC))
    if magic != SQLITE_MAGIC:
        raise LibraryError(f"{path}: not a Papershelf library (not an SQLite database)")
    try:
        # Read-only, so a damaged or foreign file is never modified.
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise LibraryError(f"{path}: cannot open the library ({exc})") from None
    try:
        if full_check:
            quick_check(conn, path)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return None
        if "alembic_version" not in tables or "paper" not in tables:
            raise LibraryError(f"{path}: not a Papershelf library (an SQLite database of another program)")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if row is None:
            raise LibraryError(f"{path}: not a Papershelf library (no schema version)")
        return row[0]
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise LibraryError(f"{path}: the library is busy in another program; try again") from None
        raise LibraryError(f"{path}: the library file is damaged ({exc})") from None
    finally:
        conn.close()


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`LibraryError` unless SQLite's quick check says ``ok``."""
    result = conn.execute("PRAGMA quick_check").fetchone()
    if not result or result[0] != "ok":
        raise LibraryError(f"{path}: the library file is damaged ({result[0] if result else 'no answer'})")


def check_file(path: Path) -> None:
    """The full check of an existing library, read-only (the GUI runs it after the first paint)."""
    inspect_file(path, full_check=True)


def backup_file(src: Path, dest: Path) -> Path:
    """Copy a library with SQLite's online backup API (safe while it is in use)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    source = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    import os

    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    return dest
