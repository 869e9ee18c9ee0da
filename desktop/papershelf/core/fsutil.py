"""Writing to a path the user named (an export, a backup) without harming what is already there.

Use :func:`write_user_file` for text or bytes, or :func:`replacing` when another
library (SQLite's backup API) writes the file itself. Both:

* write through symbolic links (chains and relative links too): the link's
  final target is replaced atomically in *its* folder and the link is kept;
  a dangling link gets the file it points to;
* write FIFOs, character devices, ``/proc/self/fd/N`` and ``-`` (standard
  output) directly, and never rename over anything but a regular file;
* keep an existing file's permission bits; a new file is 0600 and a new
  folder (:func:`make_private_dirs`) 0700, as the data is the user's private notes;
* refuse, before anything is opened, a target that is a :class:`Protected`
  file or lies in a protected folder (the library, its -wal/-shm, its
  backups), compared by device and inode so symlinks and hard links are
  caught. They only ``os.stat`` protected files: opening and closing an
  SQLite file drops the locks of every connection this process holds on it.

Failures raise :class:`OSError` (with ``filename`` set); :class:`UnsafeTarget`
is the one for a target refused on purpose.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, overload

#: Permission bits of a file the app creates (umask may only narrow them).
NEW_FILE_MODE = 0o600
#: Permission bits of a folder the app creates.
NEW_FOLDER_MODE = 0o700
#: Longest chain of symbolic links followed (Linux's own limit).
MAX_LINKS = 40

# How a target is written (Target.kind).
STDOUT = "stdout"  # "-": the process's standard output
STREAM = "stream"  # a FIFO, a character device, /proc/self/fd/N: opened and written directly
REPLACE = "replace"  # an existing regular file: a temporary file renamed over it
CREATE = "create"  # no file yet (or a dangling link): a temporary file renamed into place


class UnsafeTarget(OSError):
    """A path refused, with the reason in words: the library, a backup, a disk, a link to a missing folder."""

    def __init__(self, path: str | os.PathLike[str], reason: str, code: int | None = None):
        super().__init__(*((code, reason) if code is not None else (reason,)))
        self.filename = os.fspath(path)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Protected:
    """Files and folders a write to a user-named path must never land on.

    ``files`` and ``folders`` pair a path with what it is, for the message
    ("the library itself"). A file is matched by identity (device and inode)
    when it exists and by folder and name when it does not (a -wal that SQLite
    will create); a folder protects everything below it, and a hard link
    elsewhere to a file in it.
    """

    files: tuple[tuple[Path, str], ...] = ()
    folders: tuple[tuple[Path, str], ...] = ()

    @classmethod
    def library(cls, library: str | os.PathLike[str], backups: str | os.PathLike[str] | None = None) -> Protected:
        """An SQLite library, the files SQLite keeps beside it, and its backups folder."""
        library = Path(library)
        files = [(library, "the library itself")]
        # SQLite keeps its side files beside the file a link points to: protect both places.
        for place in dict.fromkeys([library, Path(os.path.realpath(library))]):
            for suffix, what in (("-wal", "write-ahead log"), ("-shm", "shared-memory file"), ("-journal", "journal")):
                files.append((place.with_name(place.name + suffix), f"the library's {what}"))
        folders = [(Path(backups), "in the library's backups folder")] if backups is not None else []
        return cls(tuple(files), tuple(folders))


@dataclass(frozen=True)
class Target:
    """Where a write to a user-named path really goes (see :func:`resolve_target`)."""

    path: Path  # the file the bytes land in: a link's final target, or the path as given for a stream
    kind: str  # STDOUT, STREAM, REPLACE or CREATE
    mode: int | None = None  # REPLACE: the permission bits to keep
    owner: tuple[int, int] | None = None  # REPLACE: (uid, gid) to keep


def resolve_target(path: str | os.PathLike[str]) -> Target:
    """How to write ``path`` without destroying anything; raises OSError for a folder, disk or socket."""
    if os.fspath(path) == "-":
        return Target(Path("-"), STDOUT)
    path = Path(path)
    try:
        st = os.stat(path)  # the kernel follows every link, /proc/self/fd/N included
    except FileNotFoundError:
        st = None
    if st is None:
        real, _ = follow_links(path)  # a dangling link: create what it points to
        if real != path and not real.parent.is_dir():
            raise UnsafeTarget(path, f"links to {real}, whose folder does not exist", errno.ENOENT)
        return Target(real, CREATE)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if stat.S_ISBLK(st.st_mode):
        raise UnsafeTarget(path, "is a disk device, not a file")
    if stat.S_ISSOCK(st.st_mode):
        raise UnsafeTarget(path, "is a socket, not a file")
    if not stat.S_ISREG(st.st_mode):
        return Target(path, STREAM)  # FIFO or character device: nothing to rename
    real, through_kernel = follow_links(path)
    if through_kernel or not _same_file(real, st):
        # /proc/self/fd/N or /dev/stdout on a file: the link names no path we could rename over.
        return Target(path, STREAM)
    return Target(real, REPLACE, stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid))


def follow_links(path: str | os.PathLike[str]) -> tuple[Path, bool]:
    """The path a chain of symbolic links ends at (which may not exist), and whether a link was a kernel one.

    A relative link is relative to the folder the link is in. Kernel links
    (``/proc/self/fd/1`` -> ``pipe:[123]``) are not paths; the second value
    says one was met. Raises OSError(ELOOP) for a loop.
    """
    current = Path(path)
    through_kernel = False
    for _ in range(MAX_LINKS + 1):
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return current, through_kernel
        if not stat.S_ISLNK(st.st_mode):
            return current, through_kernel
        through_kernel = through_kernel or st.st_dev == _proc_device()
        # os.path.join keeps an absolute link as it is; ".." is left for the kernel to resolve.
        current = Path(os.path.join(os.path.dirname(current), os.readlink(current)))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), os.fspath(path))


def check_not_protected(path: str | os.PathLike[str], protect: Protected | None) -> None:
    """Raise :class:`UnsafeTarget` if writing ``path`` would land on a protected file or folder.

    Uses ``os.stat`` only: never opens a protected file.
    """
    if protect is None or os.fspath(path) == "-":
        return
    try:
        st: os.stat_result | None = os.stat(path)
    except OSError:
        st = None
    real, _ = follow_links(path)
    _check_identity(path, st, real, protect)


def check_stream_not_protected(stream: IO[Any], name: str | os.PathLike[str], protect: Protected | None) -> None:
    """:func:`check_not_protected` for an open stream (``-`` redirected to the library: ``>> library.sqlite3``)."""
    if protect is None:
        return
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return  # not a real file (a test's captured output)
    _check_identity(name, st, None, protect)


def _check_identity(
    path: str | os.PathLike[str], st: os.stat_result | None, real: Path | None, protect: Protected
) -> None:
    """The checks behind :func:`check_not_protected`; ``real`` is None for an open stream."""
    identity = (st.st_dev, st.st_ino) if st is not None else None
    # The folder and name the write lands at, for a protected file that does not exist yet.
    place = (_folder_identity(real.parent), real.name) if real is not None else None
    for file, what in protect.files:
        if identity is not None and identity == _identity(file):
            raise UnsafeTarget(path, f"is {what}; nothing was written")
        if place is not None and place[0] is not None and place == (_folder_identity(file.parent), file.name):
            raise UnsafeTarget(path, f"is {what}; nothing was written")
    for folder, what in protect.folders:
        top = _folder_identity(folder)
        if top is None:
            continue
        if real is not None and top in _ancestor_identities(real.parent):
            raise UnsafeTarget(path, f"is {what} ({folder}); nothing was written")
        if st is not None and stat.S_ISREG(st.st_mode) and identity in _file_identities(folder):
            raise UnsafeTarget(path, f"is a hard link to a file {what} ({folder}); nothing was written")


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str], *, protect: Protected | None = None) -> Iterator[Path]:
    """Yield an empty temporary file beside ``path``'s real target; on success it replaces the target.

    For writers that need a path rather than a stream (SQLite's backup API).
    ``path`` must be a regular file, a new file or a link to one: anything else
    raises :class:`UnsafeTarget`. The temporary file is 0600; the result keeps
    the old file's permission bits (0600 when new). On any exception it is
    removed and ``path`` is untouched. The caller makes the data durable
    (flush and fsync) before the ``with`` block ends.
    """
    check_not_protected(path, protect)
    target = resolve_target(path)
    if target.kind not in (REPLACE, CREATE):
        raise UnsafeTarget(path, "is not a regular file")
    with _replacing(target, path) as tmp:
        yield tmp


# Text for mode "w", bytes for "wb": the overloads tell the type checker which.
@overload
def write_user_file(
    path: str | os.PathLike[str],
    mode: Literal["w"] = "w",
    encoding: str | None = "utf-8",
    *,
    protect: Protected | None = None,
) -> contextlib.AbstractContextManager[IO[str]]: ...
@overload
def write_user_file(
    path: str | os.PathLike[str],
    mode: Literal["wb"],
    encoding: str | None = "utf-8",
    *,
    protect: Protected | None = None,
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
@contextlib.contextmanager
def write_user_file(
    path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8", *, protect: Protected | None = None
) -> Iterator[IO[Any]]:
    """Open ``path`` for writing the safe way; the one place that writes a user-named path.

    ``"-"`` is standard output (left open). A FIFO, a character device or
    ``/proc/self/fd/N`` is opened and written directly. Otherwise the data goes
    to a temporary file beside the real target (through symlinks), flushed and
    fsync'ed, then renamed over it: a reader sees the old file or the whole new
    one, and on any exception the old file is left as it was. ``protect`` is
    checked first, before anything is opened. Text is written with
    ``newline=""`` so "\\n" stays "\\n" on every platform.
    """
    if mode not in ("w", "wb"):
        raise ValueError("write_user_file supports mode 'w' or 'wb' only")
    if os.fspath(path) == "-":
        out = sys.stdout.buffer if mode == "wb" else sys.stdout
        check_stream_not_protected(out, path, protect)
        yield out
        out.flush()
        return
    check_not_protected(path, protect)
    target = resolve_target(path)
    if target.kind == STREAM:
        with _open_stream(target.path, mode, encoding) as stream:
            yield stream
        return
    with _replacing(target, path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        with _fdopen(fd, mode, encoding) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())


#: The former name of :func:`write_user_file`.
atomic_write = write_user_file


def make_private_dirs(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and any missing parents as 0700 folders; an existing folder is left as it is."""
    path = Path(path)
    missing = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, NEW_FOLDER_MODE)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), os.fspath(path))
    return path


@contextlib.contextmanager
def _replacing(target: Target, given: str | os.PathLike[str]) -> Iterator[Path]:
    folder = target.path.parent
    # Same folder as the target: os.replace is atomic only within one file system.
    tmp = _create_temp(folder, target.path.name)
    try:
        yield tmp
        if target.mode is not None:
            os.chmod(tmp, target.mode)
        if target.owner is not None and hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # only root can give a file away; keeping it is a courtesy
                os.chown(tmp, *target.owner)
        _check_still_regular(target.path, given)
        os.replace(tmp, target.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


@contextlib.contextmanager
def _open_stream(path: Path, mode: str, encoding: str | None) -> Iterator[IO[Any]]:
    """A FIFO, device or kernel link, written in place. A regular file behind one is truncated first."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    if stat.S_ISREG(os.stat(path).st_mode):
        flags |= os.O_TRUNC
    with _fdopen(os.open(path, flags), mode, encoding) as stream:
        yield stream


def _fdopen(fd: int, mode: str, encoding: str | None) -> IO[Any]:
    if mode == "wb":
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding=encoding, newline="")


def _create_temp(folder: Path, name: str) -> Path:
    """A new, exclusive, empty temporary file readable by the user only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, flags, NEW_FILE_MODE))
            return tmp
        except FileExistsError:
            continue


def _check_still_regular(path: Path, given: str | os.PathLike[str]) -> None:
    """Just before the rename: something else may have appeared at ``path`` meanwhile."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeTarget(given, "was replaced by something that is not a file while writing; nothing was written")


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _same_file(path: Path, st: os.stat_result) -> bool:
    return _identity(path) == (st.st_dev, st.st_ino)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _folder_identity(folder: Path) -> tuple[int, int] | None:
    return _identity(folder) if folder.is_dir() else None


def _ancestor_identities(folder: Path) -> set[tuple[int, int]]:
    """The folder and every folder above it, resolved (so ``backups/..`` is not inside ``backups``)."""
    found = set()
    current = Path(os.path.realpath(folder))
    while True:
        identity = _identity(current)
        if identity is not None:
            found.add(identity)
        if current.parent == current:
            return found
        current = current.parent


def _file_identities(folder: Path, limit: int = 10_000) -> set[tuple[int, int]]:
    """Identities of the files in ``folder`` and its subfolders (backups: a few dozen)."""
    found: set[tuple[int, int]] = set()
    pending = [folder]
    while pending and len(found) < limit:
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        found.add((st.st_dev, st.st_ino))
    return found


@functools.cache
def _proc_device() -> int | None:
    """The device of /proc, whose links (``/proc/self/fd/1``) the kernel resolves itself."""
    try:
        return os.stat("/proc").st_dev
    except OSError:
        return None
