"""Open a library file: create it, check it, back it up and upgrade its schema.

Alembic is imported only when a migration is actually needed, so an
up-to-date library opens without paying for it.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from . import db, fsutil
from .errors import LibraryError

if TYPE_CHECKING:  # imported where used: Alembic is slow to import and rarely needed
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def alembic_head() -> str | None:
    """The newest revision of the migration scripts (None: there are none)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def open_library_engine(
    path: Path, *, backups_dir: Path | None = None, check: str = "full", adopt_empty: bool = False
) -> Engine:
    """An engine on an up-to-date library at ``path``, creating it if needed.

    Refuses (with :class:`LibraryError`, leaving the file untouched) a file
    that is not a Papershelf library, is damaged, or was written by a newer
    Papershelf. Only a file Papershelf creates here, or one that carries its
    application id, is adopted; an existing empty file is taken only with
    ``adopt_empty`` (the app asks first). Before upgrading an existing library
    it takes a backup.

    ``check`` is how much of the file to verify first: ``"full"`` runs
    SQLite's integrity check (it reads every page); ``"daily"`` does that
    once a day per library, and again whenever the file changed while no
    Papershelf had it open (remembered in ``backups_dir``); ``"header"``
    reads only the header and schema (the GUI, which runs the full check
    after the first paint). A migration always gets the full check.
    """
    path = Path(path)
    created = False
    if not os.path.lexists(path):
        created = _create_file(path)
    kind = file_kind(path)
    if kind != "file":
        raise LibraryError(f"{path}: is {kind}, not a library file")
    size = path.stat().st_size
    if size == 0 and not (created or adopt_empty):
        raise EmptyFileError(f"{path}: an empty file, not a Papershelf library; delete it, or choose another file name")
    revision = None
    if size > 0:
        level = {"full": "full", "header": None}.get(check) or _check_needed(path, backups_dir)
        full = level is not None
        revision = db.inspect_file(path, full_check=level or False)
        if revision is None:
            raise LibraryError(f"{path}: an empty SQLite database that Papershelf did not create; not adopted")
        if full and check == "daily":
            remember_state(path, backups_dir)
        if revision != db.SCHEMA_HEAD and not full:
            db.check_file(path)
        if revision == db.SCHEMA_HEAD:
            return db.make_engine(path)
        if revision not in known_revisions():
            raise LibraryError(
                f"{path}: written by a newer version of Papershelf (schema {revision}); "
                "update Papershelf to open it. The file was not changed."
            )
        from . import backup

        backup.backup(path, folder=backups_dir or path.parent, reason="before-schema")
    engine = db.make_engine(path)
    upgrade(engine)
    if created:
        remember_state(path, backups_dir)  # new and whole: nothing to check until something else changes it
    return engine


class EmptyFileError(LibraryError):
    """The library path is an existing empty file that Papershelf did not just create."""


def file_kind(path: Path) -> str:
    """``"file"`` for a regular file (through links), else what it is, in words."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a link to nothing"
    except OSError as exc:
        raise LibraryError(f"{path}: cannot read the library ({exc.strerror})") from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _create_file(path: Path) -> bool:
    """Create a new, empty library file readable by the user only; True if this call made it."""
    try:
        fsutil.make_private_dirs(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise LibraryError(f"{path}: cannot create the library ({exc.strerror})") from None
    os.close(fd)
    return True


def _stamp(backups_dir: Path | None) -> Path | None:
    return backups_dir / "last-check" if backups_dir is not None else None


def _signature(path: Path) -> str:
    st = path.stat()
    return f"{dt.date.today().isoformat()} {st.st_size} {st.st_mtime_ns}"


def _check_needed(path: Path, backups_dir: Path | None) -> str | None:
    """Which check a ``"daily"`` open runs: ``"full"``, ``"quick"`` or None.

    ``"full"`` (SQLite's integrity check, which also reads every index: 5 s at
    100,000 papers) for a file Papershelf has not seen, or one changed by
    anything but Papershelf since (a sync client, a disk error, a byte flip:
    another size or modification time). ``"quick"`` (every page, no index
    cross-check: 1.2 s) once a day for a file as Papershelf left it, against
    silent disk decay. Nothing when that ran today already.
    """
    stamp = _stamp(backups_dir)
    try:
        day, size, mtime = stamp.read_text().split() if stamp is not None else ("", "", "")
    except (OSError, ValueError):
        return "full"
    today, now_size, now_mtime = _signature(path).split()
    if (size, mtime) != (now_size, now_mtime):
        return "full"
    return None if day == today else "quick"


def remember_state(path: Path, backups_dir: Path | None, *, checked: bool = True) -> None:
    """Record the file's size and time after a full check, or after a clean close of a file checked today.

    See :func:`_check_needed`.
    """
    stamp = _stamp(backups_dir)
    if stamp is None:
        return
    try:
        if not checked and not stamp.read_text().startswith(dt.date.today().isoformat() + " "):
            return
        fsutil.make_private_dirs(stamp.parent)
        fd = os.open(stamp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(_signature(path) + "\n")
    except OSError:
        pass  # the check simply runs again next time


def upgrade(engine: Engine) -> None:
    """Run every pending migration inside one transaction."""
    from alembic import command

    config = _alembic_config()
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
    except Exception:
        engine.dispose()
        raise
