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


def open_library_engine(path: Path, *, backups_dir: Path | None = None) -> Engine:
    """An engine on an up-to-date library at ``path``, creating it if needed.

    Refuses (with :class:`LibraryError`, leaving the file untouched) a file
    that is not a Papershelf library, is damaged, or was written by a newer
    Papershelf. Before upgrading an existing library it takes a backup.
    """
    path = Path(path)
    if path.is_dir():
        raise LibraryError(f"{path}: is a folder, not a library file")
    revision = None
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        revision = db.inspect_file(path)
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
