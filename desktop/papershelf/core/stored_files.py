"""The files folder behind stored PDFs: checking a file to attach, copying it in by content hash, and the trash.

Stored files live in the library's files folder (``paths.files_dir``) as
``ab/<sha256>.pdf`` (``ab``: the hash's first two characters) and are copied in
*before* the transaction that records them. They are never deleted: one that no
attachment references any more moves to the folder's ``.trash/`` (same relative
path) after the change committed, and comes back from there when an undo
references it again (:func:`settle`). Nothing here ever moves a file over
anything but a regular file, or over other content.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from . import db, fsutil
from .errors import PapershelfError
from .schema import AT

if TYPE_CHECKING:
    from .library import Library

_log = logging.getLogger("papershelf.attachments")

#: The name of the folder (inside the files folder) holding stored files of deleted papers.
TRASH = ".trash"
_CHUNK = 1024 * 1024


def files_dir(library: Library) -> Path:
    """The library's files folder (see ``paths.files_dir``)."""
    from .. import paths

    return paths.files_dir(library.path)


def absolute(library: Library, kind: str, path: str) -> Path:
    """Where an attachment's file is: a stored file's path is relative to the files folder."""
    return files_dir(library) / path if kind == "stored" else Path(path)


def is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_stored_file(path: Path) -> bool:
    """Whether a stored file's place holds a regular file itself: never followed through a link (a link
    in the files folder is not a stored PDF, whatever it points to)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def in_place(kind: str, path: Path) -> bool:
    """Whether an attachment's file is there: a stored one a regular file itself, a linked one through links."""
    return is_stored_file(path) if kind == "stored" else is_regular_file(path)


def is_pdf(path: Path) -> bool:
    """Whether ``path`` is a regular file starting like a PDF (the sandbox's check: "%PDF-" in its first 1024 bytes)."""
    from .pdf.sandbox import is_pdf as sandbox_is_pdf

    return sandbox_is_pdf(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(source: Path, library_path: Path | None = None) -> os.stat_result:
    """The file to attach, checked: a readable regular file that is a PDF; else one line naming it.

    The library file and SQLite's files beside it are refused by identity
    (``os.stat`` only): nothing but SQLite ever opens them.
    """
    try:
        st = os.stat(source)
    except FileNotFoundError:
        raise PapershelfError(f"{source}: no such file; nothing was attached") from None
    except OSError as exc:
        raise PapershelfError(f"{source}: cannot be read ({exc.strerror or exc}); nothing was attached") from None
    if stat.S_ISDIR(st.st_mode):
        raise PapershelfError(f"{source}: is a folder, not a PDF; nothing was attached")
    if not stat.S_ISREG(st.st_mode):
        raise PapershelfError(f"{source}: is not a regular file; nothing was attached")
    if library_path is not None:
        for file, what in fsutil.Protected.library(library_path).files:
            with contextlib.suppress(OSError):
                if os.path.samestat(st, os.stat(file)):
                    raise PapershelfError(f"{source}: is {what}, not a PDF; nothing was attached")
    if not os.access(source, os.R_OK):
        raise PapershelfError(f"{source}: cannot be read (permission denied); nothing was attached")
    if not is_pdf(source):
        raise PapershelfError(f"{source}: not a PDF (it does not start with %PDF-); nothing was attached")
    return st


def stored_name(sha256: str) -> str:
    """A stored file's path relative to the files folder."""
    return f"{sha256[:2]}/{sha256}.pdf"


def store_file(library: Library, source: Path) -> tuple[str, str, int, float]:
    """Copy ``source`` into the files folder by content hash: (relative path, sha256, size, mtime).

    The bytes go to a temporary file in the files folder, are fsync'ed, hashed
    on the way, and renamed to ``ab/<sha256>.pdf``. A file already there with
    that content is reused (the copy is dropped); one there with other content
    (edited in place by a viewer) is kept, and the copy takes the next free name.
    """
    root = fsutil.make_private_dirs(files_dir(library))
    digest = hashlib.sha256()
    fd, tmp_name = _temp_in(root)
    tmp = Path(tmp_name)
    try:
        with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        folder = fsutil.make_private_dirs(root / sha[:2])
        for n in range(1, 1000):
            relative = stored_name(sha) if n == 1 else f"{sha[:2]}/{sha}-{n}.pdf"
            target = root / relative
            try:
                st = os.lstat(target)
            except FileNotFoundError:
                os.replace(tmp, target)
                fsutil.fsync_dir(folder)
                break
            if stat.S_ISREG(st.st_mode) and sha256_of(target) == sha:
                break  # the same bytes are already stored: the copy goes
        else:
            raise PapershelfError(f"{source}: the files folder {root} has too many versions of this file")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    st = os.stat(target)
    return relative, sha, st.st_size, st.st_mtime


def _temp_in(folder: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=".attach-", suffix=".tmp", dir=folder)


# --- After a change: stored files to and from the trash ---------------------------------------


def settle(library: Library, relative_paths: Iterable[str]) -> list[str]:
    """Move stored files no attachment references any more to ``.trash/``, and referenced ones back.

    Run after a change committed, driven by what the library now says (so a
    failed or rolled-back change moves nothing). Returns problems, one line
    each; they are logged, never raised: the change itself is done.
    """
    wanted = sorted({p for p in relative_paths if safe_relative(p)})
    if not wanted:
        return []
    with db.read(library.engine) as conn:
        referenced = set(conn.execute(select(AT.c.path).where(AT.c.kind == "stored", AT.c.path.in_(wanted))).scalars())
    root = files_dir(library)
    problems: list[str] = []
    for relative in wanted:
        live, trashed = root / relative, root / TRASH / relative
        source, target = (trashed, live) if relative in referenced else (live, trashed)
        if not is_stored_file(source) or (relative in referenced and is_stored_file(target)):
            continue  # nothing to move (already in place, or never stored)
        try:
            move_file(source, target)
        except OSError as exc:
            problems.append(f"{source}: could not be moved to {target}: {exc}")
    for line in problems:
        _log.warning("%s", line)
    return problems


def move_file(source: Path, target: Path) -> None:
    """Move a file to ``target``: never over anything but a regular file, and never over other content.

    A file already at ``target`` with other bytes (a stored file a viewer
    edited in place, trashed earlier) moves aside to a free name first.
    """
    fsutil.make_private_dirs(target.parent)
    if os.path.lexists(target):
        if not stat.S_ISREG(os.lstat(target).st_mode):
            raise OSError(f"{target} is in the way and is not a file")
        if sha256_of(target) != sha256_of(source):
            for n in range(1, 1000):
                aside = target.with_name(f"{target.stem}.{n}{target.suffix}")
                if not os.path.lexists(aside):
                    os.replace(target, aside)
                    break
            else:
                raise OSError(f"{target.parent} has too many versions of {target.name}")
    os.replace(source, target)
    fsutil.fsync_dir(target.parent)


def safe_relative(path: str) -> bool:
    """A stored path the app wrote (``ab/<hash>.pdf``), not one leading out of the files folder."""
    parts = Path(path).parts
    return len(parts) == 2 and not Path(path).is_absolute() and ".." not in parts and parts[0] != TRASH
