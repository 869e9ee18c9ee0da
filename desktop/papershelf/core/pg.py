"""A shared library on PostgreSQL: connecting, the schema, transactions and full-text search.

Everything PostgreSQL-specific lives here; :mod:`db` calls into it where a
statement differs (its full-text helpers, upserts and id lists switch on the
connection's dialect). The connection string goes to libpq as the user wrote
it, so ``~/.pgpass``, service files (``postgresql:///?service=lab``), ``PG*``
variables and ``sslmode=verify-full`` work as they do for ``psql``; no
password is ever stored by Papershelf, and none is shown in a message.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Engine, create_engine, event, text

from .errors import LibraryError, PapershelfError

if TYPE_CHECKING:
    import psycopg
    from alembic.config import Config

#: The newest revision of the shared schema (``migrations/postgresql``); a test checks it is Alembic's head.
SCHEMA_HEAD = "pg0006"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations" / "postgresql"

#: Every write transaction takes this advisory lock first: writers queue one after the other, as
#: SQLite's BEGIN IMMEDIATE makes them, so an operation's reads and writes see no one else's half-done
#: change. Readers never wait (MVCC).
WRITE_LOCK = 0x50536866  # "PShf"

#: libpq's options that notice a connection gone without a word (the watcher of core/live.py uses them too).
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,
}

#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT_S = 10

_SCHEMES = ("postgresql://", "postgres://")


#: The keywords a libpq connection string ("host=db dbname=papers user=alice") may start with.
_CONNINFO_KEYS = frozenset(
    "host hostaddr port dbname user password passfile service options sslmode sslrootcert sslcert sslkey "
    "application_name connect_timeout target_session_attrs channel_binding gssencmode requiressl".split()
)
_CONNINFO = re.compile(r"\s*([A-Za-z_]+)\s*=")


def is_url(location: object) -> bool:
    """True for a PostgreSQL connection: a URL (``postgresql://…``, ``postgres://…``, any case) or a
    libpq keyword string (``host=db dbname=papers``), as ``psql`` takes them."""
    if not isinstance(location, str):
        return False
    text_ = location.strip()
    if text_.lower().startswith(_SCHEMES):
        return True
    found = _CONNINFO.match(text_)
    return found is not None and found.group(1).lower() in _CONNINFO_KEYS


def looks_like_url(location: str) -> bool:
    """A scheme in front (``postgresq://…``, ``postgresql:/…``, ``http://…``): meant as a URL, never a file name.

    Two letters at least, so that ``C:/Users/…`` stays a Windows path.
    """
    return re.match(r"\s*[A-Za-z][A-Za-z0-9+.-]+:/", location) is not None


def display(url: str) -> str:
    """The connection as messages show it: any password replaced by ``***`` (URL or keyword form)."""
    shown = _mask_userinfo(url)
    shown = re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", shown)
    return re.sub(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)", r"\1***", shown)


def _mask_userinfo(url: str) -> str:
    """``scheme://user:***@…``: the password runs to the last ``@`` before the query, even one holding ``/`` or ``@``.

    A password typed with an unencoded ``/`` or ``@`` is no valid URL, but it
    is still the user's password: it must not reach a message (a mistyped
    scheme is masked too).
    """
    found = re.match(r"(\s*[A-Za-z][\w+.-]*:/*)(.*)", url, re.DOTALL)
    if found is None:
        return url
    head, rest = found.groups()
    authority = rest.split("?", 1)[0]
    at = authority.rfind("@")
    user, colon, _password = authority[: max(at, 0)].partition(":")
    if at < 0 or not colon or "/" in user:
        return url
    return f"{head}{user}:***{rest[at:]}"


def check_url(url: str) -> None:
    """Refuse a URL whose user or password holds an unencoded ``@`` or ``/``: libpq would take part of the
    password for the host, and show it in its error."""
    found = re.match(r"\s*postgres(?:ql)?://([^?]*)", url, re.IGNORECASE)
    if found is None:
        return
    authority = found.group(1)
    userinfo = authority[: max(authority.rfind("@"), 0)]
    if "@" in userinfo or "/" in userinfo:
        raise LibraryError(
            f"{display(url)}: the user name or password in the URL holds an @ or a /; write them as %40 and %2F,"
            " or keep the password in ~/.pgpass"
        )


def anchor(url: str, data_dir: Path) -> Path:
    """A local stand-in path for the shared library: where its per-user folders (PDFs, backups) hang.

    Never created as a file. Named after the URL without its password, so two
    members' URLs for one server differ only if they name it differently.
    """
    shown = display(url)
    digest = hashlib.sha1(shown.encode()).hexdigest()[:10]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", shown.split("://", 1)[-1].split("?", 1)[0]).strip("-")[:40] or "shared"
    return data_dir / "shared" / f"{name}-{digest}.pg"


def _connect(url: str) -> psycopg.Connection[Any]:
    from . import deadline

    # Keepalives and a TCP timeout: a network that drops silently is noticed in about a minute, not hours.
    # A server that hangs answers nothing at all: the window's thread gives up on it (core/deadline.py).
    # prepare_threshold=None: psycopg prepares a statement run five times, and the server may then plan it
    # once for any value; a search's plan depends on its words ("llm a": 2 ms planned for it, 380 ms generic).
    deadline.check()  # the server did not answer this thread just before: fail now, not after connect_timeout
    connection = deadline.Connection.connect(
        libpq_url(url),
        connect_timeout=deadline.connect_timeout(CONNECT_TIMEOUT_S),
        application_name="papershelf",
        prepare_threshold=None,
        **KEEPALIVES,
    )
    # No parallel workers: this session's queries are a window's, each a few milliseconds, and starting
    # workers costs more than that (the first page of "rein" at 97,000 papers: 28 ms with two, 9 ms without).
    try:
        connection.execute("SET max_parallel_workers_per_gather = 0")
        connection.commit()
    except BaseException:
        connection.close()
        raise
    return connection


def libpq_url(url: str) -> str:
    """The connection as libpq takes it: a URL's scheme in lower case (POSTGRESQL://… is the same URL)."""
    return re.sub(r"^\s*postgres(?:ql)?://", lambda m: m.group(0).strip().lower(), url, flags=re.IGNORECASE)


def make_engine(url: str) -> Engine:
    """An engine on the shared library at ``url``: writes serialized by :data:`WRITE_LOCK`, reads on a snapshot."""
    # The creator hands the URL to libpq untouched (SQLAlchemy's URL parser would drop service= and friends).
    engine = create_engine("postgresql+psycopg://", creator=lambda: _connect(url), pool_pre_ping=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.info.pop(_NOTIFIED, None)
        if conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        else:
            # One snapshot for the whole read, as a read transaction on SQLite's WAL sees.
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Connection) -> None:
        # A write that did not say what it changed (an import runs its own transaction) tells the members
        # "everything may have changed": none of them misses a committed change.
        if conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE" and not conn.info.pop(_NOTIFIED, False):
            notify(conn, None)

    return engine


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def revision(engine: Engine) -> str | None:
    """The schema revision of the shared library, or None when the database holds none."""
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
        if not exists:
            return None
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)


def open_engine(url: str, *, create: bool = False) -> Engine:
    """An engine on an up-to-date shared library; ``create``: make the schema in an empty database.

    Raises :class:`LibraryError` with one line naming the database when the
    server cannot be reached, the database holds no Papershelf library (and
    ``create`` is false), or it was made by a newer Papershelf.
    """
    check_url(url)
    engine = make_engine(url)
    try:
        current = revision(engine)
    except Exception as exc:
        engine.dispose()
        raise connection_failure(exc, f"{display(url)}: ", action=OPEN_FAILED) from None
    if current == SCHEMA_HEAD:
        return engine
    if current is None and not create:
        engine.dispose()
        raise LibraryError(
            f"{display(url)}: this database holds no Papershelf library; create one with: papershelf init-shared URL"
        )
    if current is not None and current not in known_revisions():
        engine.dispose()
        raise LibraryError(
            f"{display(url)}: made by a newer version of Papershelf (schema {current}); update Papershelf to open it"
        )
    try:
        upgrade(engine)
    except Exception as exc:
        engine.dispose()
        raise LibraryError(
            f"{display(url)}: cannot create the shared library's tables ({connect_problem(exc)})"
        ) from None
    return engine


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def alembic_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def upgrade(engine: Engine) -> None:
    """Run every pending migration in one transaction, under the write lock."""
    from alembic import command

    config = _alembic_config()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()


#: What a member without write access is told when a change is refused (after the library's name and ": ").
READ_ONLY = "you have read-only access to this shared library; nothing was changed"

#: What a connection that failed while opening the shared library was for (see :func:`connection_failure`).
OPEN_FAILED = "cannot open the shared library"

#: How to give libpq a password, for a login the server refused (README: "Passwords and TLS").
PASSWORD_HINT = (
    "give the password in ~/.pgpass (mode 0600), in PGPASSWORD or in a service file (see README: Passwords and TLS)"
)
#: ... when one was given, and refused.
WRONG_PASSWORD_HINT = "the password given is not the one the server has for this role: check it where it is kept"


def translate_error(cause: BaseException, where: str) -> PapershelfError | None:
    """The one line for what the server answered (``where``: the library's name and ": "), or None for a bug."""
    import psycopg

    if isinstance(cause, psycopg.errors.InsufficientPrivilege):
        return ReadOnlyError(f"{where}{READ_ONLY}")
    if isinstance(cause, psycopg.OperationalError) and (login_refused(cause) or unreachable(cause)):
        return connection_failure(cause, where, outcome="nothing was written")
    if isinstance(cause, psycopg.OperationalError):
        # A statement or lock timeout, a serialization failure: the server answered, and said no.
        return PapershelfError(f"{where}the server refused the change ({connect_problem(cause)}); nothing was written")
    if isinstance(cause, psycopg.DataError) and "NUL" in str(cause):
        return PapershelfError(
            f"{where}text with a NUL character cannot be stored in a shared library; nothing was written"
        )
    return None


#: SQLSTATEs of a server that is going or not there yet: shutting down (57P01, 57P02), starting (57P03), full (53300).
GONE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def gone(error: BaseException) -> bool:
    """Whether a psycopg error says the server cannot be reached: libpq's own (no SQLSTATE), class 08, or GONE_STATES."""
    state = getattr(error, "sqlstate", None)
    return state is None or state.startswith("08") or state in GONE_STATES


def may_write(conn: Connection) -> bool:
    """Whether the connected role may change the shared library (``papershelf grant --read-write``)."""
    return bool(conn.execute(text("SELECT has_table_privilege('paper', 'INSERT')")).scalar())


class ReadOnlyError(PapershelfError):
    """The member's PostgreSQL role may read the shared library but not change it."""


class ServerUnreachableError(LibraryError):
    """The connection to the shared library's server failed or was lost; the change was not made."""


class LoginRefusedError(LibraryError):
    """The server answered, and refused the login (no password, a wrong one, no such role, no pg_hba.conf entry)."""


# A connection attempt's error carries no SQLSTATE: libpq's words (or the server's, after "FATAL:") tell.
_LOGIN_WORDS = re.compile(
    r"password authentication failed|no password supplied|authentication failed for user|SCRAM|"
    r"password retrieved from file|no pg_hba\.conf entry|role \"[^\"]*\" does not exist",
    re.IGNORECASE,
)
#: The server answered a connection attempt (or failed to prove who it is): it was reached.
_ANSWERED_WORDS = re.compile(r"FATAL:|SSL error|certificate|does not match host name", re.IGNORECASE)
#: ... unless what it answered is that it is going, starting or full.
_GOING_WORDS = re.compile(
    r"starting up|shutting down|in recovery mode|too many clients|terminating connection|not accepting connections",
    re.IGNORECASE,
)


def login_refused(exc: BaseException) -> bool:
    """Whether the server refused the login (SQLSTATE class 28, or libpq's words for it when connecting)."""
    from .db import driver_error

    cause = driver_error(exc)
    state = getattr(cause, "sqlstate", None)
    return (state is not None and state.startswith("28")) or (
        type(cause).__module__.startswith("psycopg") and _LOGIN_WORDS.search(str(cause)) is not None
    )


def unreachable(exc: BaseException) -> bool:
    """Whether the server could not be reached (or the connection to it was lost); not a refused login."""
    import psycopg

    from .db import driver_error

    cause = driver_error(exc)
    if not isinstance(cause, psycopg.OperationalError) or not gone(cause) or login_refused(cause):
        return False
    words = str(cause)
    return _ANSWERED_WORDS.search(words) is None or _GOING_WORDS.search(words) is not None


def connection_failure(
    exc: BaseException, where: str, *, action: str | None = None, outcome: str | None = None
) -> LibraryError:
    """The one line for a connection to the shared library's server that failed; every place says it alike.

    ``where``: the library's name and ": "; ``action``: what could not be
    done (:data:`OPEN_FAILED`); ``outcome``: what was left undone ("nothing
    was written"). A server that cannot be reached says so (libpq's words
    name its host and port; no password is shown); a refused login says how
    to give a password.
    """
    problem = connect_problem(exc)
    lead = f"{where}{action}: " if action else where
    tail = f"; {outcome}" if outcome else ""
    if login_refused(exc):
        if re.search(r"password authentication failed", problem, re.IGNORECASE):
            hint = WRONG_PASSWORD_HINT
        elif re.search(r"password|SCRAM", problem, re.IGNORECASE):
            hint = PASSWORD_HINT
        else:
            hint = "check the user name, or ask the server's administrator to let this role in"
        return LoginRefusedError(f"{lead}the shared library's server refused the login ({problem}){tail}; {hint}")
    if unreachable(exc):
        return ServerUnreachableError(f"{lead}the shared library's server cannot be reached ({problem}){tail}")
    return LibraryError(f"{where}{action or OPEN_FAILED} ({problem}){tail}")


def connect_problem(exc: BaseException) -> str:
    """What went wrong talking to the server, on one line (libpq's words, without a password)."""
    cause = getattr(exc, "orig", None) or exc
    words = " ".join(str(cause).split()) or type(cause).__name__
    return display(words)


def insecure_passfile(url: str | None = None) -> Path | None:
    """The password file libpq would read for ``url``, when it is readable by others (else None).

    libpq ignores such a file, and prints a warning of its own to stderr on
    every connection. Like libpq: a URL's ``passfile=``, else ``PGPASSFILE``,
    else ``~/.pgpass``; none is read when the URL or ``PGPASSWORD`` gives a
    password, and Windows has no such check.
    """
    if os.name != "posix" or os.environ.get("PGPASSWORD"):
        return None
    params = _conninfo(url) if url is not None else {}
    if params.get("password"):
        return None
    named = url_passfile(url) if url is not None else None
    if not named:
        named = os.environ.get("PGPASSFILE") or str(Path.home() / ".pgpass")
    try:
        found = os.stat(named)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode) or not found.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None
    return Path(named)


def url_passfile(url: str) -> str | None:
    """The password file a connection string names itself (``passfile=``), or None."""
    found = _conninfo(url).get("passfile")
    return str(found) if found else None


def _conninfo(url: str) -> dict[str, Any]:
    try:
        from psycopg.conninfo import conninfo_to_dict

        return dict(conninfo_to_dict(libpq_url(url)))
    except Exception:  # not a connection string libpq takes: it says so itself when connecting
        return {}


# --- Full-text search: tsvector over words cut as FTS5 cuts them -------------------

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> str:
    """``text`` as FTS5's ``unicode61 remove_diacritics 2`` sees it: lowercase words without accents, space-separated
    (each spelled by :func:`_spelled`).

    Both the documents and the queries go through this, so PostgreSQL's own
    parser only ever sees plain words ("0.5B" is "0 5b", as in FTS5, not a
    number and a "b").
    """
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.lower())  # not NFKD: FTS5 keeps ligatures and full-width letters
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_spelled(word) for word in _WORD.findall(plain))


def _spelled(word: str) -> str:
    """A word in letters PostgreSQL's parser keeps whatever the server's locale: [a-z0-9] only.

    Its parser drops what the locale does not call a letter or digit ("①" in
    C.UTF-8), which FTS5 keeps. Each other character becomes ``q`` and six
    hex digits, and ``q`` itself ``qq``: one code per character and none the
    start of another, so a prefix of a word is still a prefix of its spelling.
    """
    if word.isascii() and "q" not in word:
        return word
    return "".join(ch if ch.isascii() and ch != "q" else ("qq" if ch == "q" else f"q{ord(ch):06x}") for ch in word)


def _fts5_terms(match: str) -> list[tuple[str, bool]]:
    """``(phrase, prefix)`` pairs of an FTS5 expression made by ``db.fts_quote`` (joined by `` AND ``)."""
    return [(body.replace('""', '"'), star == "*") for body, star in re.findall(r'"((?:[^"]|"")*)"(\*?)', match)]


_NOTHING = "'\x01' & !'\x01'"


def tsquery_parts(match: str) -> list[str]:
    """The ``to_tsquery`` text of each phrase of an FTS5 expression: its words in a row (``<->``).

    A prefix phrase's last word gets ``:*``; a phrase with no word matches nothing.
    """
    parts = []
    for phrase, prefix in _fts5_terms(match):
        found = words(phrase).split()
        if not found:
            parts.append(_NOTHING)
            continue
        lexemes = [f"'{w}'" for w in found]
        if prefix:
            lexemes[-1] += ":*"
        parts.append(" <-> ".join(lexemes))
    return parts or [_NOTHING]


def tsquery_text(match: str) -> str:
    """The ``to_tsquery`` text of an FTS5 expression: all its phrases (``&``)."""
    return " & ".join(f"({part})" for part in tsquery_parts(match))


def _matching_attachments(match: str) -> tuple[str, dict[str, str]]:
    """SQL for the attachments whose pages together hold every phrase (each phrase on one page), and its parameters."""
    parts = tsquery_parts(match)
    params = {f"q{i}": part for i, part in enumerate(parts)}
    sql = " INTERSECT ".join(
        f"SELECT attachment_id FROM pdf_fts WHERE doc @@ to_tsquery('simple', :q{i})" for i in range(len(parts))
    )
    return sql, params


def tsquery(match: str) -> ColumnElement[Any]:
    """``to_tsquery('simple', …)`` of an FTS5 expression, its parameter unique in any statement."""
    from sqlalchemy import String, bindparam, func, literal_column

    return func.to_tsquery(literal_column("'simple'"), bindparam("q", tsquery_text(match), type_=String, unique=True))


#: Papers gathered from the index per paper checked on a walk down the sort order, at equal cost.
#: Measured on the 97,000-paper bench library (no parallel workers, see _connect): with a 200-row
#: page the two plans cost the same at about 3,500 matches ("dif": 3,667 matches, 24 ms walked,
#: 26 ms gathered), so 3,500**2 = 0.6 * 200 * 97,000. Walks check more papers than an even spread
#: predicts: the newest papers are not the likeliest to hold a given word.
WALK_PER_GATHERED = 0.6


def few_matches(conn: Connection, match: str, limit: int) -> bool:
    """Whether the papers matching ``match`` are few enough to gather and sort, rather than walk the sort order.

    Walking the sort order (a paper index) and testing each paper's words
    stops at the ``limit``-th match: it checks about ``limit * papers /
    matches`` papers, cheap for a common word, slow for a rare one. Gathering
    costs one step per match. PostgreSQL's planner weighs the two itself but
    prices a word test as a trivial operator, so it walks for words in a few
    thousand papers that take it 60-120 ms to find (15 ms gathered). Its row
    estimate is good (the tsvector statistics know each lexeme's frequency),
    so it is asked for that and the choice is made here.
    """
    found = conn.execute(
        text("EXPLAIN (FORMAT JSON) SELECT 1 FROM paper_fts WHERE doc @@ to_tsquery('simple', :q)"),
        {"q": tsquery_text(match)},
    ).scalar_one()
    plan = found if isinstance(found, list) else json.loads(found)
    matches = float(plan[0]["Plan"]["Plan Rows"])
    papers = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'paper_fts'::regclass")).scalar_one()
    if papers is None or papers < 0:  # never analyzed: no statistics to go by, so leave it to the planner
        return False
    return matches * matches < WALK_PER_GATHERED * limit * float(papers)


def reindex(conn: Connection, paper_ids: list[int]) -> None:
    """Rewrite these papers' rows of the search index (gone papers' rows went with them: ON DELETE CASCADE)."""
    found = conn.execute(
        text(
            """
            SELECT p.id, p.title, (SELECT a.abstract FROM paper_abstract AS a WHERE a.paper_id = p.id),
                (SELECT string_agg(j, ', ' ORDER BY o) FROM json_array_elements_text(p.authors)
                    WITH ORDINALITY AS x(j, o)),
                (SELECT string_agg(n.text, chr(10) ORDER BY n.id) FROM note AS n WHERE n.paper_id = p.id),
                (SELECT string_agg(t.name::text, ' ') FROM paper_tag AS pt JOIN tag AS t ON t.id = pt.tag_id
                    WHERE pt.paper_id = p.id)
            FROM paper AS p WHERE p.id = ANY(:ids)
            """
        ),
        {"ids": paper_ids},
    ).all()
    if not found:
        return
    rows = [{"id": row[0], "words": words(" ".join(part or "" for part in row[1:]))} for row in found]
    conn.execute(
        text(
            "INSERT INTO paper_fts (rowid, words) VALUES (:id, :words)"
            " ON CONFLICT (rowid) DO UPDATE SET words = EXCLUDED.words"
        ),
        rows,
    )


def pdf_fts_put(conn: Connection, attachment_id: int, body: str | None) -> None:
    """Replace an attachment's text, one row per page (pages split at form feeds)."""
    conn.execute(text("DELETE FROM pdf_fts WHERE attachment_id = :id"), {"id": attachment_id})
    if body is not None:
        rows = [
            {"id": attachment_id, "page": n, "body": page, "words": words(page)}
            for n, page in enumerate(body.split("\f"))
        ]
        conn.execute(
            text("INSERT INTO pdf_fts (attachment_id, page, body, words) VALUES (:id, :page, :body, :words)"), rows
        )


def pdf_fts_body(conn: Connection, attachment_id: int) -> str | None:
    pages = conn.execute(
        text("SELECT body FROM pdf_fts WHERE attachment_id = :id ORDER BY page"), {"id": attachment_id}
    ).scalars()
    found = list(pages)
    return None if not found else "\f".join(found)


def pdf_match_papers(conn: Connection, match: str) -> set[int]:
    """Papers with a PDF whose pages together hold every phrase of an FTS5 expression (as one FTS5 document would)."""
    wanted, params = _matching_attachments(match)
    rows = conn.execute(text(f"SELECT DISTINCT paper_id FROM attachment WHERE id IN ({wanted})"), params)
    return {row[0] for row in rows}


def pdf_highlights(
    conn: Connection, match: str, paper_ids: Iterable[int], marks: tuple[str, str]
) -> list[tuple[int, int, str]]:
    """``(paper_id, attachment_id, body)`` of matching PDFs, matched words between ``marks``.

    Its body comes back whole, pages joined by form feeds; every word of the
    query is marked where it stands in the extracted text.
    """
    wanted, params = _matching_attachments(match)
    rows = conn.execute(
        text(
            f"""
            SELECT a.paper_id, a.id, f.body
            FROM attachment AS a JOIN pdf_fts AS f ON f.attachment_id = a.id
            WHERE a.paper_id = ANY(:papers) AND a.id IN ({wanted})
            ORDER BY a.paper_id, a.id, f.page
            """
        ),
        {**params, "papers": sorted(set(paper_ids))},
    ).all()
    terms = [
        (w.split(":")[0].strip("'"), w.endswith(":*")) for w in re.findall(r"'[^']*'(?::\*)?", tsquery_text(match))
    ]
    found: dict[tuple[int, int], list[str]] = {}
    for paper_id, attachment_id, body in rows:
        found.setdefault((paper_id, attachment_id), []).append(_mark(body, terms, marks))
    return [(pid, aid, "\f".join(pages)) for (pid, aid), pages in found.items()]


def _mark(body: str, terms: list[tuple[str, bool]], marks: tuple[str, str]) -> str:
    """``body`` with every word that is one of ``terms`` (or starts with a prefix term) between ``marks``."""

    def one(word: re.Match[str]) -> str:
        plain = words(word.group())
        hit = any(plain == t or (prefix and plain.startswith(t)) for t, prefix in terms)
        return marks[0] + word.group() + marks[1] if hit else word.group()

    return re.sub(r"[^\W_]+", one, body)


class RawConnection:
    """A psycopg connection that runs the SQLite-flavoured SQL of the core's fast read paths.

    They use ``?`` parameters, ``json_each(?)`` for an id list given as a JSON
    array, and ``json_extract``; JSON columns come back as text (as sqlite3
    returns them), which the callers parse.
    """

    def __init__(self, conn: psycopg.Connection[Any]):
        self._conn = conn

    def cursor(self) -> _RawCursor:
        return _RawCursor(self._conn)

    def execute(self, sql: str, params: Any = ()) -> _RawCursor:
        # Explicit transaction statements map to psycopg's own (it begins a transaction by itself).
        if sql == "BEGIN":
            return self.cursor()
        if sql == "COMMIT":
            self._conn.commit()
            return self.cursor()
        return self.cursor().execute(sql, params)


class _RawCursor:
    def __init__(self, conn: psycopg.Connection[Any]):
        from psycopg.types.string import TextLoader

        self._cursor = conn.cursor()
        for name in ("json", "jsonb"):
            self._cursor.adapters.register_loader(name, TextLoader)

    def execute(self, sql: str, params: Any = ()) -> _RawCursor:
        self._cursor.execute(translate(sql), tuple(params))
        return self

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetchmany(self, size: int) -> list[Any]:
        return self._cursor.fetchmany(size)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)

    def close(self) -> None:
        self._cursor.close()


def _json_path(column: str, path: str) -> str:
    steps = re.findall(r"\.(\w+)|\[(\d+)\]", path)
    return (
        f"(CAST({column} AS json)"
        + "".join(f" -> '{key}'" if key else f" -> {index}" for key, index in steps[:-1])
        + (f" ->> '{steps[-1][0]}')" if steps[-1][0] else f" ->> {steps[-1][1]})")
    )


def translate(sql: str) -> str:
    """SQLite's forms in the core's raw SQL, in PostgreSQL's words (``?`` → ``%s``)."""
    sql = sql.replace("%", "%%")
    sql = sql.replace(
        "(SELECT value FROM json_each(?))",
        "(SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(? AS json)))",
    )
    sql = re.sub(r"json_extract\((\w+), '([^']*)'\)", lambda m: _json_path(m.group(1), m.group(2)), sql)
    return sql.replace("?", "%s")


# --- Telling the other members what changed (LISTEN/NOTIFY) ------------------------

#: The channel every write of a shared library notifies on.
CHANNEL = "papershelf"

#: This process, in the notifications it sends (a window skips its own: it has refreshed already).
CLIENT = uuid.uuid4().hex[:12]

#: PostgreSQL refuses a payload of 8,000 bytes or more; past this, "everything changed".
MAX_PAYLOAD = 7000

_FLAGS = ("tags", "lists", "saved_searches", "statuses", "notes")


def notify(conn: Connection, changes: Any | None) -> None:
    """Queue the notification of this transaction's changes (an ``operations.Changes``, or None: unknown).

    PostgreSQL delivers it to every listener when (and only if) the transaction commits.
    """
    conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload(changes)})
    conn.info[_NOTIFIED] = True


#: ``conn.info`` key: this transaction has queued its notification.
_NOTIFIED = "papershelf.notified"


def payload(changes: Any | None) -> str:
    """The JSON a notification carries: the changed papers and which kinds of things changed."""
    import json

    if changes is None:
        return json.dumps({"client": CLIENT, "all": True})
    body: dict[str, Any] = {
        "client": CLIENT,
        "papers": sorted(changes.papers),
        "removed": sorted(changes.removed),
        "added": sorted(changes.added),
    }
    body.update({flag: True for flag in _FLAGS if getattr(changes, flag)})
    text_ = json.dumps(body, separators=(",", ":"))
    if len(text_) > MAX_PAYLOAD:
        return json.dumps({"client": CLIENT, "all": True})
    return text_


@contextlib.contextmanager
def admin_connection(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A plain autocommit connection (setting up roles and the schema)."""
    conn = _connect(url)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()
