"""The one authority on file locations.

Every path the app uses comes from here. ``PAPERSHELF_LIBRARY`` points at a
library file, or names a shared library by its ``postgresql://`` URL; ``PAPERSHELF_HOME`` moves *all* app folders (data, backups,
settings, logs) under one folder, which is what the tests and ``make run`` in a
sandbox use, so that nothing touches the real profile.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "Papershelf"
LIBRARY_FILENAME = "library.sqlite3"


def _home() -> Path | None:
    value = os.environ.get("PAPERSHELF_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Where the default library and its backups live."""
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Where answers from the network are cached (safe to delete at any time)."""
    home = _home()
    if home is not None:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Where the app's log file goes: the platform's log folder (on Linux under ``~/.local/state``)."""
    home = _home()
    if home is not None:
        return home / "log"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_library() -> Path:
    return data_dir() / LIBRARY_FILENAME


#: How a shared library's location starts (``core.pg.is_url``; repeated here so that choosing the
#: library loads no database module).
URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: object) -> bool:
    """True for a shared library's connection (a ``postgresql://`` URL or a libpq ``host=… dbname=…`` string)."""
    from .core import pg

    return pg.is_url(location)


def library_path(cli_value: str | os.PathLike[str] | None = None) -> Path | str:
    """The library to open: ``--library``, else ``PAPERSHELF_LIBRARY``, else the default.

    A shared library's URL comes back as the string it is (``Path`` would fold
    its ``//`` and make it a file name); a file, as a ``Path`` with ``~`` expanded.
    """
    value = cli_value or os.environ.get("PAPERSHELF_LIBRARY")
    if not value:
        return default_library()
    if is_url(value):
        return str(value).strip()
    from .core import pg

    if isinstance(value, str) and pg.looks_like_url(value):
        # A mistyped URL (postgresql:/…, postgresq://…) would become a new library file named after it,
        # its password in the name: refused, the password not shown.
        from .core.errors import LibraryError

        raise LibraryError(
            f"{pg.display(value)}: not a library file, and not a shared library's URL "
            "(those start with postgresql://, or are libpq's host=… dbname=… form)"
        )
    return Path(value).expanduser()


def backups_dir(library: Path | None = None) -> Path:
    """Where a library's backups go: the data dir's ``backups`` folder.

    Another library than the default one gets a subfolder of its own, named
    after the file and a hash of its full path, so two ``library.sqlite3``
    files in different folders never share backups.
    """
    root = data_dir() / "backups"
    if library is None or library.resolve() == default_library().resolve():
        return root
    import hashlib

    digest = hashlib.sha1(str(library.resolve()).encode()).hexdigest()[:8]
    return root / f"{library.stem}-{digest}"


def files_dir(library: Path) -> Path:
    """Where a library's stored PDFs live: a folder beside the library file.

    The default library's is the data dir's ``files``; another library's is
    ``<name> files`` beside it, so a library and its PDFs move (and back up)
    together and two libraries in one folder never share files. Inside it:
    ``ab/<sha256>.pdf`` (by content hash), ``.trash/`` (files of deleted papers,
    for undo) and ``.partial/`` (downloads not finished yet).
    """
    if library.resolve() == default_library().resolve():
        return library.parent / "files"
    return library.parent / f"{library.stem} files"


def resources_dir() -> Path:
    """The top-level ``resources/`` folder, in a checkout or a frozen bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    here = Path(__file__).resolve().parent
    for candidate in (here / "resources", here.parent.parent / "resources"):
        if candidate.is_dir():
            return candidate
    return here.parent.parent / "resources"


def sample_listing() -> Path:
    return resources_dir() / "samples" / "hf-daily-papers-sep-11.txt"
