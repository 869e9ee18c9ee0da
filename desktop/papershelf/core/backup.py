"""Backups of the library with SQLite's online backup API, and restoring them.

A backup is a complete, consistent copy taken while the library may be in
use. Restoring first backs up the current library, then swaps the file in
atomically; nothing is ever overwritten without a copy kept.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from . import db
from .errors import LibraryError, PapershelfError

KEEP = 10
_STAMP = "%Y%m%d-%H%M%S"


def _name(library: Path, reason: str, when: dt.datetime | None = None) -> str:
    return f"{library.stem}-{reason}-{(when or dt.datetime.now()).strftime(_STAMP)}.sqlite3"


def list_backups(folder: Path) -> list[Path]:
    """Backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("*.sqlite3") if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def prune(folder: Path, keep: int = KEEP) -> None:
    """Keep the newest ``keep`` automatic backups; never delete a manual one."""
    stamped = []
    for path in list_backups(folder):
        match = re.search(r"-(?:daily|before-[\w-]+?)-(\d{8}-\d{6})\.sqlite3$", path.name)
        if match:
            stamped.append((match.group(1), path))
    stamped.sort(reverse=True)
    for _stamp, old in stamped[keep:]:
        try:
            old.unlink()
        except OSError:
            pass


def backup(
    library: Path, dest: Path | None = None, *, folder: Path, reason: str = "manual", when: dt.datetime | None = None
) -> Path:
    """Write a backup of ``library`` to ``dest`` (or into ``folder``) and return its path."""
    if not library.exists():
        raise PapershelfError(f"{library}: no library to back up")
    db.inspect_file(library)
    if dest is None:
        dest = folder / _name(library, reason, when)
    elif dest.is_dir():
        dest = dest / _name(library, reason, when)
    try:
        return db.backup_file(library, dest)
    except OSError as exc:
        raise PapershelfError(f"{dest}: cannot write the backup ({exc.strerror or exc})") from None


def restore(library: Path, source: Path | None = None, *, folder: Path) -> tuple[Path, Path | None]:
    """Replace ``library`` with the backup ``source`` (default: the newest good one).

    The current library, if any, is backed up first (or, if damaged, moved
    aside untouched). Returns the backup used and where the old library went.
    """
    if source is None:
        source = newest_good(folder)
        if source is None:
            raise PapershelfError(f"no usable backup in {folder}")
    if not source.is_file():
        raise PapershelfError(f"{source}: no such backup file")
    try:
        db.inspect_file(source)
    except LibraryError as exc:
        raise PapershelfError(f"{source}: not a usable backup ({exc})") from None
    kept = None
    if library.exists():
        try:
            kept = backup(library, folder=folder, reason="before-restore")
        except (LibraryError, PapershelfError):
            # A damaged library cannot be copied with SQLite; keep the file itself.
            kept = set_aside(library)
    tmp = library.with_name(library.name + ".restoring")
    db.backup_file(source, tmp)
    for suffix in ("-wal", "-shm"):
        stale = Path(str(library) + suffix)
        if stale.exists():
            stale.unlink()
    os.replace(tmp, library)
    return source, kept


def set_aside(library: Path) -> Path:
    """Move a broken library out of the way, untouched, and return its new path."""
    target = library.with_name(f"{library.stem}-damaged-{dt.datetime.now().strftime(_STAMP)}{library.suffix}")
    os.replace(library, target)
    for suffix in ("-wal", "-shm"):
        side = Path(str(library) + suffix)
        if side.exists():
            os.replace(side, Path(str(target) + suffix))
    return target


def daily(library: Path, folder: Path, keep: int = KEEP, today: dt.date | None = None) -> Path | None:
    """Take the day's automatic backup unless one exists already; prune old ones.

    Called at each launch of the app; only the first launch of a day writes.
    Returns the new backup, or ``None`` when there was nothing to do.
    """
    if not library.exists() or library.stat().st_size == 0:
        return None
    now = dt.datetime.now()
    when = dt.datetime.combine(today, now.time()) if today else now
    day = when.strftime("%Y%m%d")
    if any(p.name.startswith(f"{library.stem}-daily-{day}-") for p in list_backups(folder)):
        return None
    made = backup(library, folder=folder, reason="daily", when=when)
    prune(folder, keep)
    return made


def newest_good(folder: Path) -> Path | None:
    """The newest backup that passes SQLite's quick check."""
    for candidate in list_backups(folder):
        try:
            db.inspect_file(candidate)
            return candidate
        except LibraryError:
            continue
    return None
