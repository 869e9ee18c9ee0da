"""The library's database: SQLite's engine, pragmas, transactions, FTS5 and checks; and every statement that differs.

The rest of the core talks to the engine through :func:`read` and
:func:`write`, and builds statements with SQLAlchemy plus the few helpers here
that compile differently per backend (:func:`insert`, :func:`nocase`,
:func:`ids_in`, :class:`Day`, :class:`group_concat`, the full-text search).
What is PostgreSQL's own (connecting, its schema, tsvector) is in :mod:`pg`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ClauseElement,
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    Select,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.functions import GenericFunction

from .errors import LibraryError, PapershelfError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, ExceptionContext
    from sqlalchemy.pool import ConnectionPoolEntry
    from sqlalchemy.sql.compiler import SQLCompiler

#: The newest schema revision this version of Papershelf knows. A test checks
#: that it equals Alembic's head, so opening an up-to-date library does not
#: need to import Alembic at all (that keeps start-up fast).
SCHEMA_HEAD = "0007"

#: SQLite's header field for "which program's file is this" ("PShf").
APPLICATION_ID = int.from_bytes(b"PShf", "big")

#: Long enough for a large import in another process to finish its transaction.
BUSY_TIMEOUT_MS = 30_000

#: Files SQLite keeps beside a database while it is open.
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


# --- Which library files this process holds open -------------------------------
#
# Closing *any* file descriptor on a database file drops every POSIX lock the
# process holds on it (SQLite's "How To Corrupt An SQLite Database File",
# section 2.2), so nothing but SQLite may open a library, or its -wal/-shm,
# while a connection to it exists. We count live connections per file, and an
# audit hook refuses Python-level opens of those files.

_connected: dict[str, int] = {}
_connected_lock = threading.Lock()


def _file_key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(os.fspath(path)))


def _track(key: str, delta: int) -> None:
    with _connected_lock:
        count = _connected.get(key, 0) + delta
        if count > 0:
            _connected[key] = count
        else:
            _connected.pop(key, None)


def connected_files() -> frozenset[str]:
    """The real paths of the database files this process has connections to."""
    with _connected_lock:
        return frozenset(_connected)


def is_connected(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a library file (or its -wal/-shm/-journal) with a live connection here."""
    if not _connected:
        return False
    key = _file_key(path)
    if key in _connected:
        return True
    return any(key.endswith(suffix) and key[: -len(suffix)] in _connected for suffix in SIDE_SUFFIXES)


class LibraryFileOpened(RuntimeError):
    """Python code tried to open a library file that SQLite holds open in this process."""


def _open_guard(event_name: str, args: tuple[Any, ...]) -> None:  # an audit event's arguments: any values
    if event_name != "open" or not _connected:
        return
    target = args[0] if args else None
    if target is None or isinstance(target, int):
        return
    try:
        hit = is_connected(target)
    except (TypeError, ValueError, OSError):
        return
    if hit:
        violations.append(os.fsdecode(target))
        raise LibraryFileOpened(
            f"{os.fsdecode(target)}: only SQLite may open a library file while this process is connected to it"
        )


_guard_installed = False

#: Every refused open, for the test suite to fail on even where a caller swallowed the error.
violations: list[str] = []


def install_open_guard() -> None:
    """Refuse Python-level ``open`` of a connected library file, process-wide (idempotent).

    An audit hook cannot be removed, so this lasts for the life of the process.
    The CLI, the app and the test suite all install it.
    """
    global _guard_installed
    if not _guard_installed:
        sys.addaudithook(_open_guard)
        _guard_installed = True


def sqlite_uri(path: str | os.PathLike[str], *, readonly: bool = False, immutable: bool = False) -> str:
    """A ``file:`` URI for ``path`` with every special character quoted.

    ``%``, ``?`` and ``#`` in a file name are part of the name, never URI
    syntax: ``x%41.sqlite`` must open ``x%41.sqlite``, not ``xA.sqlite``.
    """
    uri = Path(os.path.abspath(os.fspath(path))).as_uri()
    # immutable: a file no one else writes (a backup); SQLite then creates no -wal/-shm beside it.
    return uri + ("?mode=ro" if readonly else "") + ("&immutable=1" if readonly and immutable else "")


def connect(path: str | os.PathLike[str], *, readonly: bool = False, immutable: bool = False) -> sqlite3.Connection:
    """A raw sqlite3 connection on ``path``; tracked until :func:`disconnect`.

    ``readonly`` never creates or changes the file (a damaged or foreign file
    stays as it is).
    """
    key = _file_key(path)
    conn = _open_uri(sqlite_uri(path, readonly=readonly, immutable=immutable))
    _track(key, +1)
    return conn


def _open_uri(uri: str) -> sqlite3.Connection:
    """The one place a connection is made: URI syntax, our busy timeout, usable from any thread."""
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)


def disconnect(conn: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    """Close a connection made by :func:`connect`."""
    try:
        conn.close()
    finally:
        _track(_file_key(path), -1)


@contextlib.contextmanager
def connection(
    path: str | os.PathLike[str], *, readonly: bool = False, immutable: bool = False
) -> Iterator[sqlite3.Connection]:
    """:func:`connect` as a context manager."""
    conn = connect(path, readonly=readonly, immutable=immutable)
    try:
        yield conn
    finally:
        disconnect(conn, path)


def make_engine(path: Path) -> Engine:
    """An engine on ``path`` with our pragmas and explicit BEGIN handling.

    The connection comes from :func:`sqlite_uri` (a ``sqlite:///`` URL would
    un-quote ``%41`` in the file name) and is counted as long as it is open.
    """
    key = _file_key(path)
    uri = sqlite_uri(path)

    def creator() -> sqlite3.Connection:
        return _open_uri(uri)

    # A file's pool, said outright: for "sqlite://" SQLAlchemy assumes :memory: and keeps one
    # connection per thread for at most 5 threads, closing another thread's connection, even in
    # the middle of its transaction, when a sixth thread connects (the app has more threads).
    engine = create_engine("sqlite://", creator=creator, poolclass=QueuePool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        _track(key, +1)
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

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        _track(key, -1)

    @event.listens_for(engine, "close_detached")
    def _on_close_detached(_dbapi_conn: DBAPIConnection) -> None:
        _track(key, -1)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
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
    it upgrades a read lock. On a shared library the transaction also tells
    every member what changed (``NOTIFY``, delivered at the commit; see
    :func:`pg.notify`).
    """
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            conn.info.pop(CHANGES_INFO, None)
            yield conn
            if _is_pg(conn):
                from . import pg

                pg.notify(conn, conn.info.pop(CHANGES_INFO, None))
    after = _after_write.get(engine)
    if after is not None:
        after()


#: ``conn.info`` key under which a write leaves what it changed (an ``operations.Changes``) for the notification.
CHANGES_INFO = "papershelf.changes"

_after_write: weakref.WeakKeyDictionary[Engine, Callable[[], None]] = weakref.WeakKeyDictionary()


def on_write(engine: Engine, callback: Callable[[], None]) -> None:
    """Call ``callback`` after every committed :func:`write` transaction on ``engine``."""
    _after_write[engine] = callback


# --- Full-text search --------------------------------------------------------

FTS_TABLE = "paper_fts"
#: The full-text index of attached PDFs (migration 0006): rowid = attachment.id, pages joined by form feeds.
PDF_FTS_TABLE = "pdf_fts"
#: Every FTS5 table: backups leave their content out (restore rebuilds paper_fts and re-reads the PDFs).
FTS_TABLES = (FTS_TABLE, PDF_FTS_TABLE)

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

    wanted = sorted(set(paper_ids))
    if not wanted:
        return
    if _is_pg(conn):
        from . import pg

        pg.reindex(conn, wanted)
        return
    ids = json.dumps(wanted)
    conn.execute(_REINDEX_DELETE, {"ids": ids})
    conn.execute(_REINDEX_INSERT, {"ids": ids})


def fts_quote(term: str, prefix: bool) -> str:
    """One FTS5 string token: ``"term"`` (``*`` for a prefix match)."""
    return '"' + term.replace('"', '""') + '"' + ("*" if prefix else "")


def fts_table() -> FromClause:
    """The search index as a selectable with its ``rowid`` (= ``paper.id``)."""
    from sqlalchemy import Integer, column, table

    return table(FTS_TABLE, column("rowid", Integer))


class FtsMatch(ColumnElement[bool]):
    """``paper_fts MATCH …`` on SQLite, ``paper_fts.doc @@ tsquery`` on PostgreSQL, for an FTS5 expression."""

    inherit_cache = False

    def __init__(self, match: str):
        self.fts5 = match  # not "match" nor "expression": ColumnElement has both


@compiles(FtsMatch, "sqlite")
def _fts_match_sqlite(element: FtsMatch, compiler: SQLCompiler, **kw: Any) -> str:
    from sqlalchemy import bindparam

    # unique=True: a query holds several matches (positive words, each negated
    # word); one shared name would bind them all to the same value.
    return f"{FTS_TABLE} MATCH " + compiler.process(bindparam("m", element.fts5, unique=True), **kw)


@compiles(FtsMatch, "postgresql")
def _fts_match_pg(element: FtsMatch, compiler: SQLCompiler, **kw: Any) -> str:
    from . import pg

    return f"{FTS_TABLE}.doc @@ " + compiler.process(pg.tsquery(element.fts5), **kw)


def fts_matches(match: str) -> ColumnElement[bool]:
    """The condition that the search index matches an FTS5 expression (a tsquery on PostgreSQL)."""
    return FtsMatch(match)


class FtsExcludes(ColumnElement[bool]):
    """A paper whose metadata does not match an FTS5 expression (a negated word).

    SQLite: ``paper.id NOT IN (SELECT rowid … MATCH …)``, the subquery run
    once. PostgreSQL: ``NOT EXISTS`` on the paper's own row of the index, so
    only the papers the rest of the query left are checked (``NOT IN`` made it
    find every paper holding the word first: about a second for "-vi" at
    100,000 papers).
    """

    inherit_cache = False

    def __init__(self, column: ColumnElement[int], match: str):
        self.column = column
        self.fts5 = match


@compiles(FtsExcludes, "sqlite")
def _fts_excludes_sqlite(element: FtsExcludes, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.column.not_in(fts_match_ids(element.fts5)), **kw))


@compiles(FtsExcludes, "postgresql")
def _fts_excludes_pg(element: FtsExcludes, compiler: SQLCompiler, **kw: Any) -> str:
    from . import pg

    column = compiler.process(element.column, **kw)
    query = compiler.process(pg.tsquery(element.fts5), **kw)
    return f"NOT EXISTS (SELECT 1 FROM {FTS_TABLE} AS x WHERE x.rowid = {column} AND x.doc @@ {query})"


def fts_excludes(column: ColumnElement[int], match: str) -> ColumnElement[bool]:
    """``column`` (a paper id) names a paper whose metadata does not match an FTS5 expression."""
    return FtsExcludes(column, match)


def fts_match_ids(match: str) -> Select[int]:
    """A ``paper.id IN (…)`` subquery for an FTS5 match expression."""
    from sqlalchemy import select

    fts = fts_table()
    return select(fts.c.rowid).where(fts_matches(match))


class InGathered(ColumnElement[bool]):
    """``column IN (subquery)``, where PostgreSQL must run the subquery on its own first (see :func:`in_gathered`)."""

    inherit_cache = False

    def __init__(self, column: ColumnElement[int], subquery: Select[int]):
        self.column = column
        self.subquery = subquery


@compiles(InGathered, "sqlite")
def _in_gathered_sqlite(element: InGathered, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.subquery), **kw))


@compiles(InGathered, "postgresql")
def _in_gathered_pg(element: InGathered, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY({compiler.process(element.subquery, **kw)}))"


def in_gathered(column: ColumnElement[int], subquery: Select[int]) -> ColumnElement[bool]:
    """``column IN (subquery)``, the subquery's ids gathered first, then their rows fetched by primary key.

    PostgreSQL otherwise may join the subquery in, walking the sort order and
    testing each paper, which for a word in a few thousand papers costs
    several times more than finding them in the index (``pg.few_matches``).
    SQLite runs an ``IN (subquery)`` that way already.
    """
    return InGathered(column, subquery)


def fts_few_matches(conn: Connection, match: str, limit: int) -> bool:
    """Whether to gather every paper matching ``match`` and sort them, rather than walk the sort order to ``limit``.

    Always false on SQLite, where FTS5 gives no estimate (and needs none: an
    ``IN (subquery)`` is gathered there).
    """
    if not _is_pg(conn):
        return False
    from . import pg

    return pg.few_matches(conn, match, limit)


# --- The text of attached PDFs (pdf_fts: rowid = attachment.id, pages joined by "\f") ---

#: Marks the highlight() of a PDF match wraps around matched words (never in extracted text: control characters).
PDF_MARK_START, PDF_MARK_END = "\x02", "\x03"


def pdf_fts_put(conn: Connection, attachment_id: int, body: str | None) -> None:
    """Replace an attachment's text in the PDF index (``None``: take it out), in the caller's transaction."""
    if _is_pg(conn):
        from . import pg

        pg.pdf_fts_put(conn, attachment_id, body)
        return
    conn.execute(text(f"DELETE FROM {PDF_FTS_TABLE} WHERE rowid = :id"), {"id": attachment_id})
    if body is not None:
        conn.execute(
            text(f"INSERT INTO {PDF_FTS_TABLE}(rowid, body) VALUES (:id, :body)"), {"id": attachment_id, "body": body}
        )


def pdf_fts_body(conn: Connection, attachment_id: int) -> str | None:
    """An attachment's indexed text, or ``None`` when it has none."""
    if _is_pg(conn):
        from . import pg

        return pg.pdf_fts_body(conn, attachment_id)
    found = conn.execute(text(f"SELECT body FROM {PDF_FTS_TABLE} WHERE rowid = :id"), {"id": attachment_id}).scalar()
    return None if found is None else str(found)


def pdf_match_papers(conn: Connection, match: str) -> set[int]:
    """The papers with an attached PDF whose text matches an FTS5 expression."""
    if _is_pg(conn):
        from . import pg

        return pg.pdf_match_papers(conn, match)
    rows = driver_connection(conn).execute(
        f"SELECT a.paper_id FROM {PDF_FTS_TABLE} AS f JOIN attachment AS a ON a.id = f.rowid"
        f" WHERE {PDF_FTS_TABLE} MATCH ?",
        (match,),
    )
    return {row[0] for row in rows}


def pdf_highlights(conn: Connection, match: str, paper_ids: Iterable[int]) -> list[tuple[int, int, str]]:
    """``(paper_id, attachment_id, body)`` for these papers' PDFs that match, matched words between the marks.

    The body comes whole (its page breaks tell the page); the caller cuts the snippet.
    """
    import json

    if _is_pg(conn):
        from . import pg

        return pg.pdf_highlights(conn, match, paper_ids, (PDF_MARK_START, PDF_MARK_END))
    ids = json.dumps(sorted(set(paper_ids)))
    rows = driver_connection(conn).execute(
        f"SELECT a.paper_id, a.id, highlight({PDF_FTS_TABLE}, 0, ?, ?) FROM {PDF_FTS_TABLE} AS f"
        f" JOIN attachment AS a ON a.id = f.rowid"
        f" WHERE {PDF_FTS_TABLE} MATCH ? AND f.rowid IN"
        f" (SELECT id FROM attachment WHERE paper_id IN (SELECT value FROM json_each(?)))"
        f" ORDER BY a.paper_id, a.id",
        (PDF_MARK_START, PDF_MARK_END, match, ids),
    )
    return [(row[0], row[1], str(row[2])) for row in rows]


def driver_connection(conn: Connection) -> sqlite3.Connection:
    """The DBAPI connection under ``conn``, for reads that skip SQLAlchemy's per-row work.

    The SQL is SQLite's, with ``?`` parameters; on PostgreSQL a thin wrapper
    (:class:`pg.RawConnection`) translates the few SQLite forms it uses.
    """
    if _is_pg(conn):
        from . import pg

        return cast(sqlite3.Connection, pg.RawConnection(cast(Any, conn.connection.driver_connection)))
    # A live pooled connection always has one: make_engine's creator opens it with sqlite3.
    return cast(sqlite3.Connection, conn.connection.driver_connection)


def fetch_ids(conn: Connection, statement: ClauseElement) -> list[int]:
    """The first column of every row, fetched straight from the driver.

    For id lists of 100,000 rows SQLAlchemy's per-row result processing costs
    as much as the query; ids need none of it. Every parameter our search
    builds is a plain str or int, which sqlite3 binds as is.
    """
    if _is_pg(conn):
        return [int(row[0]) for row in conn.execute(cast("Select[Any]", statement))]
    # A SELECT compiles with the dialect's SQL compiler, which has the positional parameter order.
    compiled = cast("SQLCompiler", statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True}))
    params = compiled.construct_params()
    args = [params[name] for name in compiled.positiontup] if compiled.positiontup else []
    cursor = driver_connection(conn).execute(str(compiled), args)
    try:
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


# --- What differs between SQLite and PostgreSQL in a statement ----------------------


def _is_pg(conn: Connection) -> bool:
    return bool(conn.dialect.name == "postgresql")


def is_shared(engine: Engine) -> bool:
    """True for a shared library's engine (PostgreSQL)."""
    return bool(engine.dialect.name == "postgresql")


def insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT for ``table``, with ``on_conflict_do_nothing``/``on_conflict_do_update``."""
    if _is_pg(conn):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


class NoCase(ColumnElement[str]):
    """A name compared and sorted without case: ``COLLATE NOCASE`` on SQLite; on PostgreSQL ``citext``.

    ``sort``: a sort key only, ``lower(x)`` on PostgreSQL (the same order, and what its sort indexes hold).
    """

    inherit_cache = False

    def __init__(self, column: ColumnElement[str], sort: bool = False):
        self.column = column
        self.sort = sort
        self.type = column.type


@compiles(NoCase, "sqlite")
def _nocase_sqlite(element: NoCase, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw)) + " COLLATE NOCASE"


@compiles(NoCase, "postgresql")
def _nocase_pg(element: NoCase, compiler: SQLCompiler, **kw: Any) -> str:
    inner = str(compiler.process(element.column, **kw))
    return f"lower({inner})" if element.sort else f"CAST({inner} AS citext)"


def nocase(column: ColumnElement[str], *, sort: bool = False) -> ColumnElement[str]:
    """``column`` compared (or, with ``sort``, only sorted) without case, the same on both backends."""
    return NoCase(column, sort)


class IdsIn(ColumnElement[bool]):
    """``column IN (ids)`` for any number of ids as one parameter: a JSON array (SQLite), an array (PostgreSQL)."""

    inherit_cache = False

    def __init__(self, column: ColumnElement[int], ids: Iterable[int]):
        self.column = column
        self.ids = list(ids)


@compiles(IdsIn, "sqlite")
def _ids_in_sqlite(element: IdsIn, compiler: SQLCompiler, **kw: Any) -> str:
    import json

    from sqlalchemy import bindparam

    param = compiler.process(bindparam("ids", json.dumps(element.ids), type_=String, unique=True), **kw)
    return str(compiler.process(element.column, **kw)) + f" IN (SELECT value FROM json_each({param}))"


@compiles(IdsIn, "postgresql")
def _ids_in_pg(element: IdsIn, compiler: SQLCompiler, **kw: Any) -> str:
    from sqlalchemy import BigInteger, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    param = compiler.process(bindparam("ids", element.ids, type_=ARRAY(BigInteger), unique=True), **kw)
    return str(compiler.process(element.column, **kw)) + f" = ANY({param})"


def ids_in(column: ColumnElement[int], ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN (ids)`` with one parameter however many ids there are."""
    return IdsIn(column, ids)


class Day(ColumnElement[str]):
    """A ``YYYY-MM-DD`` date to compare a Date column with: text on SQLite (as stored), a date on PostgreSQL."""

    inherit_cache = False

    def __init__(self, value: str):
        self.value = value
        self.type = String()


@compiles(Day, "sqlite")
def _day_sqlite(element: Day, compiler: SQLCompiler, **kw: Any) -> str:
    from sqlalchemy import bindparam

    return str(compiler.process(bindparam("day", element.value, type_=String, unique=True), **kw))


@compiles(Day, "postgresql")
def _day_pg(element: Day, compiler: SQLCompiler, **kw: Any) -> str:
    from sqlalchemy import bindparam

    return (
        "CAST(" + str(compiler.process(bindparam("day", element.value, type_=String, unique=True), **kw)) + " AS DATE)"
    )


class group_concat(GenericFunction[str]):
    """SQLite's ``group_concat(x, sep)``; ``string_agg`` on PostgreSQL."""

    type = String()
    inherit_cache = True


@compiles(group_concat, "postgresql")
def _group_concat_pg(element: group_concat, compiler: SQLCompiler, **kw: Any) -> str:
    value, separator = list(element.clauses)
    return f"string_agg(CAST({compiler.process(value, **kw)} AS TEXT), {compiler.process(separator, **kw)})"


# --- Opening a file ------------------------------------------------------------


def inspect_file(path: Path, full_check: bool | str = True, *, immutable: bool = False) -> str | None:
    """Check an existing file through SQLite, read-only; return its schema revision.

    Never opens the file with Python's ``open()`` (see the top of this module).
    Returns ``None`` for an SQLite file that holds nothing at all (a 0-byte
    file): whether to adopt it is the caller's decision. Raises
    :class:`LibraryError` when the file is not a Papershelf library, is damaged
    or is busy. ``full_check`` runs SQLite's ``integrity_check``, which reads
    every page and every index (``"quick"``: ``quick_check``, every page but no
    index cross-check); without it only the header and schema are read.
    """
    try:
        conn = connect(path, readonly=True, immutable=immutable)
    except sqlite3.Error as exc:
        raise LibraryError(f"{path}: cannot open the library ({one_line(exc)})") from None
    try:
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            has_schema = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
            user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise _NotADatabase(exc) from None
            raise
        if not has_schema and app_id == 0 and user_version == 0:
            return None
        if app_id not in (0, APPLICATION_ID):
            raise LibraryError(f"{path}: not a Papershelf library (an SQLite database of another program)")
        if "alembic_version" not in tables or "paper" not in tables:
            raise LibraryError(f"{path}: not a Papershelf library (an SQLite database of another program)")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if row is None:
            raise LibraryError(f"{path}: not a Papershelf library (no schema version)")
        revision: str = row[0]
        if full_check == "quick":
            quick_check(conn, path)
        elif full_check:
            integrity_check(conn, path)
        return revision
    except _NotADatabase as exc:
        not_a_database = exc.args[0]
    except UnicodeDecodeError:
        # A damaged schema page (or SQLite's report quoting one) holds bytes that are not UTF-8.
        raise LibraryDamagedError(
            damage_message(path, "text that is not UTF-8 where SQLite keeps its schema")
        ) from None
    except sqlite3.DatabaseError as exc:
        # Only SQLite's damage codes mean damage: a disk that is full or fails,
        # or a -shm that cannot be created, is not a reason to restore.
        if is_damage(exc):
            raise LibraryDamagedError(damage_message(path, exc)) from None
        known = translate_error(exc, path)
        if known is not None:
            raise (known if isinstance(known, LibraryError) else LibraryError(str(known))) from None
        raise LibraryError(f"{path}: cannot read the library ({one_line(exc)})") from None
    finally:
        disconnect(conn, path)
    # Our connection is closed now: the header may be read, unless another is open.
    if _has_sqlite_header(path):
        raise LibraryDamagedError(damage_message(path, not_a_database))
    raise LibraryError(f"{path}: not a Papershelf library (not an SQLite database)")


class _NotADatabase(Exception):
    """SQLite says "file is not a database": damaged, or not SQLite at all (the header tells)."""


def _has_sqlite_header(path: Path) -> bool:
    """True when the file starts as SQLite files do: one that then fails to open is damaged, not foreign.

    Reading it with Python is safe only while this process has no connection
    to it (see the top of this module); with one, it was a database anyway.
    """
    if is_connected(path):
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return os.read(fd, len(SQLITE_MAGIC)) == SQLITE_MAGIC
    finally:
        os.close(fd)


SQLITE_MAGIC = b"SQLite format 3\x00"


def one_line(exc: object) -> str:
    """SQLite's message on one line (its damage reports span several)."""
    return " ".join(str(exc).split())


def integrity_check(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`LibraryError` unless SQLite's integrity check says ``ok``.

    Unlike ``quick_check`` it also finds damaged indexes ("row N missing from
    index"), which a write through that index would make worse.
    """
    _run_check(conn, path, "integrity_check")


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`LibraryDamagedError` unless SQLite's quick check (every page, no index cross-check) says ok."""
    _run_check(conn, path, "quick_check")


def _run_check(conn: sqlite3.Connection, path: Path, pragma: str) -> None:
    try:
        rows = conn.execute(f"PRAGMA {pragma}(5)").fetchall()
    except UnicodeDecodeError:
        # SQLite's report quoted damaged bytes that are not UTF-8 (Python cannot even build the message).
        raise LibraryDamagedError(damage_message(path, f"{pragma} found damage it could not put in words")) from None
    if not rows or rows[0][0] != "ok":
        found = "; ".join(one_line(r[0]) for r in rows) if rows else "no answer"
        raise LibraryDamagedError(damage_message(path, found))


def check_file(path: Path) -> None:
    """The full check of an existing library, read-only (the GUI runs it after the first paint)."""
    inspect_file(path, full_check=True)


# --- Errors SQLite reports while working ----------------------------------------
#
# Any statement can meet a damaged page (SQLITE_CORRUPT, SQLITE_NOTADB) or
# another program's write lock (SQLITE_BUSY once the busy timeout has run
# out). SQLAlchemy wraps these in multi-line messages; translate_error turns
# them into the one line a user reads, and an EngineGuard makes sure that once
# a library was seen damaged nothing more is written to it in this process.


class LibraryBusyError(LibraryError):
    """Another program held the library's write lock for the whole busy timeout; nothing was written."""


class LibraryDamagedError(LibraryError):
    """SQLite found the library file damaged; no further write is made to it in this process."""


#: Called (from a timer thread) when a write has waited a second for another
#: program's lock; the CLI sets it to say so on a terminal.
on_lock_wait: Callable[[], None] | None = None

#: How long a write waits before :data:`on_lock_wait` is called.
LOCK_WAIT_NOTICE_S = 1.0

_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
# For errors that carry no code (older drivers, messages re-raised as text).
_DAMAGE_WORDS = ("database disk image is malformed", "file is not a database", "malformed database schema")

#: The file, not the data: a full disk, a read-only file or folder, a failing disk.
_FILE_ERRORS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the library cannot be written (a read-only file or folder)",
    sqlite3.SQLITE_IOERR: "the disk reported an error while reading or writing the library",
    sqlite3.SQLITE_CANTOPEN: "the library cannot be opened (its folder or side files cannot be written)",
    sqlite3.SQLITE_PERM: "the library cannot be written (permission denied)",
}

#: SQLite's INTEGER is 64-bit signed.
SQLITE_MAX_INT = 2**63 - 1


def driver_error(exc: BaseException) -> BaseException:
    """The sqlite3 (or other) exception under SQLAlchemy's wrapper."""
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def is_damage(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver error it wraps) says the database file is damaged."""
    cause = driver_error(exc)
    if not isinstance(cause, sqlite3.DatabaseError):
        return False
    code = getattr(cause, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _DAMAGE_CODES:
        return True
    return any(word in str(cause) for word in _DAMAGE_WORDS)


def damage_message(path: Path | str | None, detail: object, *, wrote_before: bool = False) -> str:
    """The one line for a damaged library (``wrote_before``: this process committed changes earlier)."""
    where = f"{path}: " if path is not None else ""
    written = "nothing more was written" if wrote_before else "nothing was written"
    return (
        f"{where}the library file is damaged (SQLite: {one_line(detail)}); {written}. "
        "Run `papershelf restore` to put back the newest backup."
    )


def translate_error(
    exc: BaseException, path: Path | str | None, *, wrote_before: bool = False
) -> PapershelfError | None:
    """The user's one-line error for a failure SQLite reported while working, or None for a bug.

    Covers a damaged file, a lock held by another program past the busy
    timeout, and values SQLite cannot store (text that is not UTF-8, integers
    beyond 64 bits). Works on SQLAlchemy's wrapped exceptions and on plain
    sqlite3 ones (the fast read paths use the driver directly).
    """
    cause = driver_error(exc)
    where = f"{path}: " if path is not None else ""
    if any(kind.__module__.startswith("psycopg") for kind in type(cause).__mro__):  # deadline.NoAnswer too
        from . import pg

        return pg.translate_error(cause, where)
    if is_damage(cause):
        return LibraryDamagedError(
            damage_message(Path(path) if path is not None else None, cause, wrote_before=wrote_before)
        )
    if isinstance(cause, sqlite3.OperationalError):
        code = getattr(cause, "sqlite_errorcode", None)
        if (isinstance(code, int) and code & 0xFF in _BUSY_CODES) or "database is locked" in str(cause):
            return LibraryBusyError(
                f"{where}the library is busy in another program (still locked after {BUSY_TIMEOUT_MS / 1000:g} s); "
                "nothing was written. Try again when that program has finished."
            )
    if isinstance(cause, sqlite3.DatabaseError):
        code = getattr(cause, "sqlite_errorcode", None)
        reason = _FILE_ERRORS.get(code & 0xFF) if isinstance(code, int) else None
        if reason is not None:
            return PapershelfError(f"{where}{reason} ({one_line(cause)}); nothing was written")
        return None
    # The two below are about a value, not the file: no path in front.
    if isinstance(cause, UnicodeEncodeError) and "surrogates" in str(cause):
        # A lone surrogate: bytes that were not UTF-8, smuggled in by surrogateescape.
        bad = cause.object[cause.start : cause.end].encode("utf-8", "surrogateescape")
        return PapershelfError(
            f"text that is not UTF-8 (byte 0x{bad[0]:02x} at offset {cause.start}); nothing was written"
        )
    if isinstance(cause, OverflowError) and "SQLite INTEGER" in str(cause):
        return PapershelfError(f"a number too large for the library (over {SQLITE_MAX_INT}); nothing was written")
    return None


class EngineGuard:
    """Watches one library's engine: refuses every write once damage was seen; notices waits for a lock.

    Damage is remembered from any statement through the engine (``handle_error``)
    and from :meth:`translate` (errors of the driver-level read paths). A write
    is refused when its ``BEGIN IMMEDIATE`` would start and, for a write already
    under way in another thread, when it would commit.
    """

    def __init__(self, engine: Engine, path: Path | str):
        self.path = path
        self.damage: str | None = None
        self.wrote = False
        self._timers: dict[int, threading.Timer] = {}
        # insert=True: run before make_engine's listener issues the BEGIN.
        event.listen(engine, "begin", self._on_begin, insert=True)
        event.listen(engine, "commit", self._on_commit, insert=True)
        event.listen(engine, "handle_error", self._on_error)
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "after_cursor_execute", self._after_execute)

    def translate(self, exc: BaseException) -> PapershelfError | None:
        """:func:`translate_error` for this library, remembering damage."""
        if is_damage(exc):
            self.damage = self.damage or one_line(driver_error(exc))
        return translate_error(exc, self.path, wrote_before=self.wrote)

    def _refusal(self) -> LibraryDamagedError:
        return LibraryDamagedError(damage_message(self.path, self.damage, wrote_before=self.wrote))

    @staticmethod
    def _is_write(conn: Connection) -> bool:
        return conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE"

    def _on_begin(self, conn: Connection) -> None:
        if self.damage is not None and self._is_write(conn):
            raise self._refusal()

    def _on_commit(self, conn: Connection) -> None:
        if self.damage is not None and self._is_write(conn):
            raise self._refusal()  # the caller's transaction then rolls back
        if self._is_write(conn):
            self.wrote = True

    def _on_error(self, context: ExceptionContext) -> None:
        self._stop_timer(context.connection)
        if is_damage(context.original_exception):
            self.damage = self.damage or one_line(context.original_exception)

    def _before_execute(
        self, conn: Connection, _cursor: DBAPICursor, statement: str, _params: object, _context: object, _many: bool
    ) -> None:
        notice = on_lock_wait
        if notice is not None and statement.startswith("BEGIN IMMEDIATE"):
            timer = threading.Timer(LOCK_WAIT_NOTICE_S, notice)
            timer.daemon = True
            self._timers[id(conn)] = timer
            timer.start()

    def _after_execute(self, conn: Connection, *_args: object) -> None:
        self._stop_timer(conn)

    def _stop_timer(self, conn: Connection | None) -> None:
        timer = self._timers.pop(id(conn), None) if self._timers else None
        if timer is not None:
            timer.cancel()
