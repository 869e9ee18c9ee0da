"""A shared library on the command line: ``init-shared``, ``grant`` and ``copy``, and what a shared library refuses.

Every other command works on a shared library as on a file, given its URL
(``--library postgresql://USER@HOST/DATABASE`` or ``PAPERSHELF_LIBRARY``).
The commands about the library file itself (``backup``, ``restore``,
``backups``) answer with one line saying what to do instead; that is
:class:`NotForShared`, exit status 2 like a usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import paths

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    import psycopg

    from .core.copy import Report
    from .core.library import Library

EXIT_OK, EXIT_USER = 0, 1


class NotForShared(Exception):
    """A command about the library file, asked of a shared library: one line, exit status 2."""


#: What a command about the library file says for a shared library, after "<URL> is a shared library: ".
FILE_ONLY = {
    "backup": "it is backed up on its server (pg_dump), or copied to a file with: papershelf copy URL FILE",
    "restore": "it is restored on its server (pg_restore), or filled from a library file with: papershelf copy FILE "
    "URL (into an empty one)",
    "backups": "its backups are kept on its server (pg_dump); a copy in a file: papershelf copy URL FILE",
}


def file_only_message(command: str, url: str) -> str:
    """``backup: postgresql://lab@db/papers is a shared library: it is backed up on its server …``."""
    from .core import pg

    what = FILE_ONLY.get(command, "this command works on a library file only")
    return f"{command}: {pg.display(url)} is a shared library: {what}"


def library_name(location: Path | str) -> Path | str:
    """How messages name the library: its path, or its URL without a password."""
    if isinstance(location, str):
        from .core import pg

        return pg.display(location)
    return location


def pin_keys(library: Library, ids: list[int]) -> None:
    """Exported keys are in someone's document now: pin those not pinned yet (no write when there are none).

    A read-only member of a shared library cannot pin them: the export is
    written all the same, and one warning says the keys may still change.
    """
    from sqlalchemy import select

    from .core import db, pg
    from .core import operations as ops
    from .core.schema import P

    if not ids:
        return
    with db.read(library.engine) as conn:  # the ids as one parameter, however many
        loose = list(conn.execute(select(P.c.id).where(P.c.key_pinned == 0, db.ids_in(P.c.id, ids))).scalars())
    if not loose:
        return
    try:
        library.run(ops.PinKeys(tuple(loose)))
    except pg.ReadOnlyError:
        count = f"{len(loose)} exported citation key{'s are' if len(loose) != 1 else ' is'}"
        print(
            f"papershelf: warning: {library.name}: read-only access: {count} not pinned and may still change "
            "when a member edits the paper",
            file=sys.stderr,
        )


def route_driver_logs() -> None:
    """psycopg's and SQLAlchemy's own log records go to our log file, never to stderr.

    Without a handler of their own, Python's last resort prints their
    warnings (psycopg's "error ignored terminating <psycopg.Pipeline [BAD]>"
    when the server goes in the middle of a copy) beside our one line. They
    are handed to the ``papershelf`` logger (whatever file :func:`logs.setup`
    gave it), keeping their own names. Safe to call again.
    """
    for name in ("psycopg", "sqlalchemy"):
        driver = logging.getLogger(name)
        if not any(isinstance(h, _ToOurLog) for h in driver.handlers):
            driver.addHandler(_ToOurLog())
        driver.propagate = False


class _ToOurLog(logging.Handler):
    """Hands a library's log record to the ``papershelf.driver`` logger (and so to our log file)."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("papershelf.driver").handle(record)


def check_password_file(locations: list[str]) -> None:
    """Say in one line that the password file is readable by others (libpq then ignores it), and keep libpq quiet.

    libpq prints its own "WARNING: password file … has group or world
    access" to stderr on every connection. This runs once, before any
    connection and any thread: when the file comes from ``PGPASSFILE`` or is
    ``~/.pgpass``, ``PGPASSFILE`` is pointed at a path that cannot exist, so
    libpq reads no file and says nothing, which is what it does with that
    file anyway. A ``passfile=`` in the URL itself wins over ``PGPASSFILE``:
    then libpq's own line is printed too.
    """
    from .core import pg

    urls = [location for location in locations if pg.is_url(location)]
    found = next((f for f in (pg.insecure_passfile(url) for url in urls) if f is not None), None)
    if found is None:
        return
    home = Path.home()
    shown = f"~/{found.relative_to(home)}" if found.is_relative_to(home) else str(found)
    print(
        f"papershelf: warning: {shown} is readable by others, so libpq ignores it: chmod 600 {shown}",
        file=sys.stderr,
    )
    if not any(pg.url_passfile(url) for url in urls):
        os.environ["PGPASSFILE"] = os.path.join(os.devnull, "ignored-password-file-readable-by-others")


def refuse_read_only(library: Library) -> None:
    """A change a read-only member of a shared library cannot make is refused before it is tried: one line.

    Otherwise an import of papers the library already holds writes nothing,
    so nothing refuses it, and its report reads as if papers were merged.
    """
    from .core import pg

    if library.read_only:
        raise pg.ReadOnlyError(f"{library.name}: {pg.READ_ONLY}")


# --- The commands -------------------------------------------------------------------------------


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "init-shared",
        help="create a shared library in an empty PostgreSQL database",
        description="Create Papershelf's tables in an empty PostgreSQL database, for a lab to share one library. "
        "Run it as the role that should own the library (it needs CREATE in the database). The URL goes to "
        "libpq as it is: ~/.pgpass, service files (postgresql:///?service=lab), PG* variables and "
        "sslmode=verify-full work as for psql; Papershelf stores no password. A database that already holds "
        "tables is refused.",
    )
    p.add_argument("url", metavar="URL", help="postgresql://USER@HOST[:PORT]/DATABASE[?sslmode=verify-full]")

    p = sub.add_parser(
        "grant",
        help="let a PostgreSQL role read, or read and change, a shared library",
        description="Give a PostgreSQL role (a lab member's login) access to the shared library at URL: "
        "--read-only lets it search, list, show and export; --read-write also change anything; --none takes "
        "its access away. Run it as the library's owner (the role that ran init-shared). The role must exist "
        "(CREATE ROLE name LOGIN PASSWORD '…', or createuser --pwprompt name).",
    )
    p.add_argument("url", metavar="URL", help="the shared library, connecting as its owner")
    p.add_argument("role", metavar="ROLE")
    access = p.add_mutually_exclusive_group(required=True)
    access.add_argument("--read-only", dest="access", action="store_const", const="read-only")
    access.add_argument("--read-write", dest="access", action="store_const", const="read-write")
    access.add_argument("--none", dest="access", action="store_const", const="none")

    p = sub.add_parser(
        "copy",
        help="copy a library, or one reading list of it, into a new file or an empty shared library",
        description="Copy every paper with its abstract, notes, tags, reading lists, sightings, saved searches, "
        "BibTeX source, PDFs and settings from SRC to DEST, keeping ids. Each is a library file or a shared "
        "library's postgresql:// URL, in either direction. DEST must be empty: a new file, an empty database "
        "(its tables are created), or a shared library just made by init-shared. With --list, only that reading "
        "list's papers, with everything they carry. Stored PDFs are copied from SRC's files folder to DEST's. "
        "Live files (export --keep-updated) are not copied: they are paths on one computer.",
    )
    p.add_argument("source", metavar="SRC", help="the library to copy (a file, or postgresql://…)")
    p.add_argument("dest", metavar="DEST", help="a new library file, or an empty shared library's URL")
    p.add_argument("--list", metavar="NAME", help="copy only this reading list's papers")


def commands() -> dict[str, Callable[[argparse.Namespace], int]]:
    return {"init-shared": cmd_init_shared, "grant": cmd_grant, "copy": cmd_copy}


def cmd_init_shared(args: argparse.Namespace) -> int:
    from .core import pg
    from .core.errors import PapershelfError
    from .core.library import Library

    url = _url(args.url, "init-shared")
    name = pg.display(url)
    state, detail = database_state(url)
    if state == "library":
        raise PapershelfError(f"{name}: already a Papershelf library (schema {detail}); nothing was changed")
    if state != "empty":
        raise PapershelfError(f"{name}: {detail}; nothing was changed. A shared library needs an empty database")
    Library(url, create=True).close()
    print(f"created a shared Papershelf library in {name} (schema {pg.SCHEMA_HEAD})")
    print("next:")
    print("  let each member's PostgreSQL role in (run as this owner):")
    print("    papershelf grant URL ROLE --read-write   (search, read and change)")
    print("    papershelf grant URL ROLE --read-only    (search, read and export; no changes)")
    print("  fill it from a library file:  papershelf copy library.sqlite3 URL")
    print("  use it:  papershelf --library URL list, or File > Open Shared Library… in the app")
    return EXIT_OK


def cmd_grant(args: argparse.Namespace) -> int:
    from .core import pg

    url = _url(args.url, "grant")
    grant(url, args.role, args.access)
    name = pg.display(url)
    said = {
        "read-only": "may now search, read and export",
        "read-write": "may now search, read and change",
        "none": "no longer has access to",
    }[args.access]
    print(f"{args.role} {said} {name}")
    if args.access != "none":
        print(
            f"it opens it with: papershelf --library postgresql://{args.role}@HOST/DATABASE (its password in ~/.pgpass)"
        )
    return EXIT_OK


def cmd_copy(args: argparse.Namespace) -> int:
    from .core import copy
    from .core.display import visible
    from .core.errors import PapershelfError

    for value in (args.source, args.dest):
        if not value.strip():
            raise PapershelfError("copy: an empty library name; give a file or a postgresql:// URL")
    source_at = paths.library_path(args.source)
    dest_at = paths.library_path(args.dest)
    if isinstance(source_at, Path) and not source_at.exists():
        raise PapershelfError(f"copy: {source_at}: no such library file; nothing was copied")
    fresh = _Fresh(dest_at)
    with _open(source_at) as source:
        try:
            with _open_dest(dest_at) as dest:
                report = copy.copy_library(source, dest, list_name=args.list, progress=_progress())
        except BaseException:
            fresh.remove()  # a file this command made is not left behind half-filled
            raise
        finally:
            if sys.stderr.isatty():
                sys.stderr.write("\r\x1b[K")
    what = f"reading list {visible(args.list)!r}: " if args.list else ""
    print(visible(f"copied {what}{report.describe()} from {report.source} to {report.dest}"))
    _say_files(report)
    return EXIT_OK


# --- Helpers ------------------------------------------------------------------------------------


def _url(value: str, command: str) -> str:
    from .core.errors import PapershelfError

    if not paths.is_url(value):
        raise PapershelfError(f"{command}: {value!r} is not a postgresql:// URL; nothing was changed")
    return value.strip()


def _admin(url: str) -> psycopg.Connection[Any]:
    """A plain autocommit connection to the server, or one line naming the library (without a password)."""
    import psycopg

    from .core import pg

    pg.check_url(url)
    try:
        return psycopg.connect(
            url, autocommit=True, connect_timeout=pg.CONNECT_TIMEOUT_S, application_name="papershelf"
        )
    except Exception as exc:
        raise pg.connection_failure(exc, f"{pg.display(url)}: ") from None


def _tables(conn: psycopg.Connection[Any]) -> tuple[str | None, list[str]]:
    """The current schema (where the library's tables go) and the tables, views and sequences-free relations in it."""
    schema = conn.execute("SELECT current_schema()").fetchone()
    rows = conn.execute(
        "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname"
    ).fetchall()
    return (schema[0] if schema else None), [row[0] for row in rows]


def database_state(url: str) -> tuple[str, str | None]:
    """What the database at ``url`` holds: ``("library", revision)``, ``("empty", None)`` or ``("other", why)``.

    "Other" is anything a new library must not be mixed into: tables of
    another program (an Alembic table that is not ours too), or no schema to
    create tables in.
    """
    from .core import pg

    with _admin(url) as conn:
        schema, tables = _tables(conn)
        if schema is None:
            return "other", "no schema to create the tables in (search_path names none that exists)"
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if row is not None and (row[0] in pg.known_revisions() or row[0].startswith("pg")):
                return "library", str(row[0])
        if tables:
            shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
            return "other", f"the database already holds tables of something else in schema {schema} ({shown})"
        return "empty", None


#: The privileges each kind of access gives, on every table and sequence of the library's schema.
_TABLE_RIGHTS = {"read-only": "SELECT", "read-write": "SELECT, INSERT, UPDATE, DELETE"}


def grant(url: str, role: str, access: str) -> None:
    """Set ``role``'s access to the shared library at ``url``: ``read-only``, ``read-write`` or ``none``.

    Replaces what the role had (a read-write member made read-only loses
    INSERT, UPDATE and DELETE), for the tables there now and, through default
    privileges, for tables later versions of Papershelf add. Schema changes
    stay the owner's: no member may change ``alembic_version``.
    """
    from psycopg import sql

    from .core import pg
    from .core.errors import PapershelfError

    name = pg.display(url)
    with _admin(url) as conn:
        found = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if found is None:
            raise PapershelfError(
                f"grant: {name}: the server has no role {role!r}; create it first: "
                f"CREATE ROLE {sql.Identifier(role).as_string(conn)} LOGIN PASSWORD '…' "
                f"(or: createuser --pwprompt {role})"
            )
        schema, tables = _tables(conn)
        if schema is None or "alembic_version" not in tables or "paper" not in tables:
            raise PapershelfError(
                f"grant: {name}: this database holds no Papershelf library; create one with: papershelf init-shared URL"
            )
        owned = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'paper'"
        ).fetchone()
        owner = str(owned[0]) if owned else ""
        if role == owner or (found[0] and access != "read-write"):
            why = "owns the library" if role == owner else "is a superuser"
            raise PapershelfError(f"grant: {role} {why}: PostgreSQL lets it do anything there; nothing was changed")
        ids = {
            "schema": sql.Identifier(schema),
            "role": sql.Identifier(role),
            "owner": sql.Identifier(owner),
            "db": sql.Identifier(conn.info.dbname),
        }
        statements = [
            "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
            "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {role}",
        ]
        if access != "none":
            rights = _TABLE_RIGHTS[access]
            statements += [
                "GRANT CONNECT ON DATABASE {db} TO {role}",
                "GRANT USAGE ON SCHEMA {schema} TO {role}",
                f"GRANT {rights} ON ALL TABLES IN SCHEMA {{schema}} TO {{role}}",
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {{owner}} IN SCHEMA {{schema}} GRANT {rights} ON TABLES TO {{role}}",
            ]
        if access == "read-write":
            statements += [
                "REVOKE INSERT, UPDATE, DELETE ON {schema}.alembic_version FROM {role}",
                # UPDATE: `papershelf copy` into an empty shared library sets the id sequences past the copied ids.
                "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
                "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role}",
                "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
            ]
        try:
            with conn.transaction():
                for statement in statements:
                    conn.execute(sql.SQL(statement).format(**ids))
        except Exception as exc:
            raise PapershelfError(
                f"grant: {name}: the server refused ({pg.connect_problem(exc)}); nothing was changed. "
                "Run it as the library's owner"
            ) from None


def _open(location: Path | str) -> Library:
    from .core.library import Library

    if isinstance(location, str):
        return Library(location)
    return Library(location, backups_dir=paths.backups_dir(location), check="daily")


def _open_dest(location: Path | str) -> Library:
    """The destination: a file (made if new), or a shared library (its tables made in an empty database)."""
    from .core import pg
    from .core.errors import PapershelfError
    from .core.library import Library

    if not isinstance(location, str):
        return _open(location)
    state, detail = database_state(location)
    if state == "other":
        raise PapershelfError(f"copy: {pg.display(location)}: {detail}; nothing was copied")
    return Library(location, create=state == "empty")


class _Fresh:
    """A destination file (and its files folder) that did not exist before: removed again if the copy fails."""

    def __init__(self, location: Path | str):
        self.file: Path | None = None
        self.folder: Path | None = None
        if isinstance(location, Path) and not os.path.lexists(location):
            self.file = location
            folder = paths.files_dir(location)
            self.folder = None if os.path.lexists(folder) else folder

    def remove(self) -> None:
        if self.file is None:
            return
        from .core.db import SIDE_SUFFIXES

        for suffix in ("", *SIDE_SUFFIXES):
            try:
                os.unlink(f"{self.file}{suffix}")
            except FileNotFoundError:
                pass
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _progress() -> Callable[[str, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(what: str, done: int) -> None:
        sys.stderr.write(f"\r\x1b[Kcopying {what.replace('_', ' ')}: {done:,}…")
        sys.stderr.flush()

    return show


def _say_files(report: Report) -> None:
    from .core.display import visible

    if report.files_copied:
        many = "s" if report.files_copied != 1 else ""
        print(visible(f"stored PDFs: {report.files_copied} file{many} copied to {report.files_dir}"))
    if report.files_missing:
        count = len(report.files_missing)
        print(
            visible(
                f"papershelf: warning: {count} stored PDF{'s were' if count != 1 else ' was'} not in this computer's "
                "files folder of the source (a shared library's PDFs are kept by each member): "
                "their entries are copied and show as missing; attach them again, or look with: papershelf files --verify"
            ),
            file=sys.stderr,
        )
    if report.linked:
        print(f"linked PDFs: {report.linked} (they stay where they are; the copy links the same files)")
    if report.live_files:
        count = report.live_files
        print(
            f"live files: {count} not copied (paths on one computer); bind them again with: "
            "papershelf export --list NAME -o FILE --keep-updated"
        )
