"""Open a library file: create it, check it, back it up and upgrade its schema.

Alembic is imported only when a migration is actually needed, so an
up-to-date library opens without paying for it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from . import db
from .errors import LibraryError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def open_library_engine(path: Path, *, backups_dir: Path | None = None, check: str = "full") -> Engine:
    """An engine on an up-to-date library at ``path``, creating it if needed.

    Refuses (with :class:`LibraryError`, leaving the file untouched) a file
    that is not a Papershelf library, is damaged, or was written by a newer
    Papershelf. Before upgrading an existing library it takes a backup.

    ``check`` is how much of the file to verify first: ``"full"`` runs
    SQLite's quick check (it reads every page); ``"daily"`` does that only
    once a day per library, remembered in ``backups_dir``; ``"header"`` reads
    only the header and schema (the GUI, which runs the full check after the
    first paint). A migration always gets the full check.
    """
    path = Path(path)
    if path.is_dir():
        raise LibraryError(f"{path}: is a folder, not a library file")
    revision = None
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        full = check == "full" or (check == "daily" and not _checked_today(path, backups_dir))
        revision = db.inspect_file(path, full_check=full)
        if full and check == "daily":
            _mark_checked(path, backups_dir)
        if revision not in (db.SCHEMA_HEAD, None) and not full:
            db.check_file(path)
        if revision == db.SCHEMA_HEAD:
            return db.make_engine(path)
        if revision is not None and revision not in known_revisions():
            raise LibraryError(
                f"{path}: written by a newer version of Papershelf (schema {revision}); "
                "update Papershelf to open it. The file was not changed."
            )
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"{path}: cannot create the library folder ({exc.strerror})") from None
    if revision is not None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = backups_dir or path.parent
        db.backup_file(path, folder / f"{path.stem}-before-schema-{db.SCHEMA_HEAD}-{stamp}.sqlite3")
    engine = db.make_engine(path)
    upgrade(engine)
    return engine


def _stamp(path: Path, backups_dir: Path | None) -> Path | None:
    return backups_dir / "last-check" if backups_dir is not None else None


def _checked_today(path: Path, backups_dir: Path | None) -> bool:
    stamp = _stamp(path, backups_dir)
    try:
        return stamp is not None and stamp.read_text().strip() == dt.date.today().isoformat()
    except OSError:
        return False


def _mark_checked(path: Path, backups_dir: Path | None) -> None:
    stamp = _stamp(path, backups_dir)
    if stamp is None:
        return
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(dt.date.today().isoformat() + "\n")
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
