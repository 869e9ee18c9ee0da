"""File-system helpers shared by exports and backups."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path``.

    The data is flushed and fsync'ed before ``os.replace``, so a reader sees
    either the old file or the complete new one. If the ``with`` body or any
    step raises, the temporary file is removed, ``path`` is untouched and the
    exception propagates.
    """
    if mode not in ("w", "wb"):
        raise ValueError("atomic_write supports mode 'w' or 'wb' only")
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(21, "is a directory", str(target))
    folder = target.parent
    # Same folder as the target: os.replace is atomic only within one file system.
    tmp_name, fd = _create_temp(folder, target.name)
    try:
        if mode == "wb":
            stream = os.fdopen(fd, "wb")
        else:
            # newline="" keeps "\n" as written on every platform.
            stream = os.fdopen(fd, "w", encoding=encoding, newline="")
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        _copy_mode(target, tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(folder)


def _create_temp(folder: Path, name: str) -> tuple[str, int]:
    """A new, exclusive temporary file; mode 0666 minus the umask, like open()."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp_name = str(folder / f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp_name, os.open(tmp_name, flags, 0o666)
        except FileExistsError:
            continue


def _copy_mode(target: Path, tmp_name: str) -> None:
    """Keep an existing file's permissions when replacing it."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp_name, target.stat().st_mode & 0o7777)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
