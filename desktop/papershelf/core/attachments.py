"""A paper's PDFs on disk: storing them by content hash or linking them in place, and keeping the files right.

Stored files live in the library's files folder (``paths.files_dir``) as
``ab/<sha256>.pdf`` (``ab``: the hash's first two characters), are copied in
*before* the transaction that records them, and are never deleted: a stored file
no attachment references any more moves to the folder's ``.trash/`` (same
relative path) after the change committed, and comes back from there when an
undo references it again (:func:`settle`). Linked files stay where the user
keeps them and are never moved, changed or deleted.

:func:`verify` notices a file changed or moved outside the app and repairs the
link when it finds the file again; a row is never dropped. Every change to the
library goes through an operation (``core/operations/attachments.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from . import db, fsutil, normalize
from . import operations as ops
from .errors import NotFoundError, PapershelfError
from .schema import AT, P

if TYPE_CHECKING:
    from .library import Library

_log = logging.getLogger("papershelf.attachments")

#: The name of the folder (inside the files folder) holding stored files of deleted papers.
TRASH = ".trash"
_CHUNK = 1024 * 1024
#: How many folders and files :func:`verify` looks at when searching for one moved linked file.
_SEARCH_LIMIT = 5000


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """One PDF of a paper, as the GUI and CLI show it."""

    id: int
    paper_id: int
    kind: str  # "stored" or "linked"
    path: Path  # absolute
    name: str
    size: int
    sha256: str
    origin: str  # "attached" or "downloaded"
    added_at: dt.datetime
    #: The file is not where the library says (checked now, not only by :func:`verify`).
    missing: bool
    text_state: str  # "pending", "done" or "failed"
    text_error: str | None
    pages: int | None


def files_dir(library: Library) -> Path:
    """The library's files folder (see ``paths.files_dir``)."""
    from .. import paths

    return paths.files_dir(library.path)


def absolute(library: Library, kind: str, path: str) -> Path:
    """Where an attachment's file is: a stored file's path is relative to the files folder."""
    return files_dir(library) / path if kind == "stored" else Path(path)


def _attachment(library: Library, row: Any) -> Attachment:
    path = absolute(library, row.kind, row.path)
    return Attachment(
        id=row.id,
        paper_id=row.paper_id,
        kind=row.kind,
        path=path,
        name=row.name,
        size=row.size,
        sha256=row.sha256,
        origin=row.origin,
        added_at=row.added_at,
        missing=not _is_file(path),
        text_state=row.text_state,
        text_error=row.text_error,
        pages=row.pages,
    )


def attachments_of(library: Library, paper_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Each paper's PDFs in the order they were attached (papers without any are left out)."""
    wanted = list(dict.fromkeys(paper_ids))
    found: dict[int, list[Attachment]] = {}
    with db.read(library.engine) as conn:
        for start in range(0, len(wanted), 30_000):
            chunk = wanted[start : start + 30_000]
            rows = conn.execute(select(AT).where(AT.c.paper_id.in_(chunk)).order_by(AT.c.added_at, AT.c.id)).all()
            for row in rows:
                found.setdefault(row.paper_id, []).append(_attachment(library, row))
    return found


def all_attachments(library: Library) -> list[Attachment]:
    """Every attachment of the library, by paper, then in the order attached."""
    with db.read(library.engine) as conn:
        rows = conn.execute(select(AT).order_by(AT.c.paper_id, AT.c.added_at, AT.c.id)).all()
    return [_attachment(library, row) for row in rows]


def pdf_for(library: Library, paper_id: int) -> Path | None:
    """The file Enter and ``papershelf open`` open: the paper's first attached PDF that can be read now."""
    for attachment in attachments_of(library, [paper_id]).get(paper_id, []):
        if not attachment.missing and os.access(attachment.path, os.R_OK):
            return attachment.path
    return None


# --- Files -------------------------------------------------------------------------------


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


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


def check_file(source: Path) -> os.stat_result:
    """The file to attach, checked: a readable regular file that is a PDF; else one line naming it."""
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
                _fsync_dir(folder)
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


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- Attaching ---------------------------------------------------------------------------


def _paper_exists(library: Library, paper_id: int) -> None:
    with db.read(library.engine) as conn:
        if conn.execute(select(P.c.id).where(P.c.id == paper_id)).first() is None:
            raise NotFoundError(f"no paper with id {paper_id}")


def prepare_file(library: Library, source: Path, *, link: bool = False, origin: str = "attached") -> dict[str, Any]:
    """Check ``source`` and store it (or take it as a link): the attachment row, without ``paper_id``.

    The GUI calls this on its worker, then runs :class:`AttachPdf` with the row.
    """
    source = Path(source)
    st = check_file(source)
    try:
        if link:
            path = Path(os.path.abspath(source))
            if not _is_text(str(path)):
                raise PapershelfError(
                    f"{source}: its path is not valid UTF-8, so the library cannot record where it is; "
                    "rename it, or attach a stored copy (without --link); nothing was attached"
                )
            sha = sha256_of(path)
            row = {"kind": "linked", "path": str(path), "size": st.st_size, "sha256": sha, "mtime": st.st_mtime}
        else:
            relative, sha, size, mtime = store_file(library, source)
            row = {"kind": "stored", "path": relative, "size": size, "sha256": sha, "mtime": mtime}
    except OSError as exc:
        where = exc.filename or source
        raise PapershelfError(
            f"{source}: could not be attached ({where}: {exc.strerror or exc}); nothing was attached"
        ) from None
    # The name is only what the user knows the file by: bytes that are not UTF-8 show as U+FFFD.
    name = os.fsencode(source.name).decode("utf-8", "replace")
    return row | {"name": name, "origin": origin, "added_at": ops.now(), "text_state": "pending"}


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def prepare_attach(
    library: Library, paper_id: int, source: Path, *, link: bool = False, origin: str = "attached"
) -> ops.AttachPdf:
    """The :class:`AttachPdf` for ``source`` on paper ``paper_id``, its file already stored (copied first)."""
    _paper_exists(library, paper_id)
    return ops.AttachPdf(prepare_file(library, source, link=link, origin=origin) | {"paper_id": paper_id})


def attach_file(
    library: Library, paper_id: int, source: Path, *, link: bool = False, origin: str = "attached"
) -> tuple[Attachment, bool]:
    """Attach ``source`` to a paper: the attachment, and False when the paper already had this very file."""
    operation = prepare_attach(library, paper_id, source, link=link, origin=origin)
    outcome = run_attaching(library, operation, operation.row)
    aid, created = outcome.result
    return _by_id(library, aid), created


def run_attaching(library: Library, operation: ops.Operation, row: dict[str, Any]) -> ops.Outcome:
    """Run an operation attaching ``row``'s file; a stored copy it did not keep (failed, or the
    paper had that file already) leaves the files folder for its trash, so no unreferenced file stays."""
    try:
        return library.run(operation)
    finally:
        if row["kind"] == "stored":
            settle(library, [row["path"]])


def attach(
    library: Library, paper_id: int, source: Path, *, link: bool = False, origin: str = "attached"
) -> Attachment:
    """Attach ``source`` to a paper (stored by hash, or linked in place): one undoable operation."""
    return attach_file(library, paper_id, source, link=link, origin=origin)[0]


def _by_id(library: Library, attachment_id: int) -> Attachment:
    with db.read(library.engine) as conn:
        row = conn.execute(select(AT).where(AT.c.id == attachment_id)).first()
    if row is None:
        raise NotFoundError(f"no attached PDF with id {attachment_id}")
    return _attachment(library, row)


def find_paper(library: Library, arxiv_id: str | None, doi: str | None) -> int | None:
    """The paper with this arXiv id (any version) or DOI (any case), or None."""
    arxiv = normalize.arxiv_id(arxiv_id) if arxiv_id else None
    doi = (doi or "").strip().lower() or None
    with db.read(library.engine) as conn:
        if arxiv:
            found = conn.execute(select(P.c.id).where(P.c.arxiv_id == arxiv)).scalar()
            if found is not None:
                return int(found)
        if doi:
            value = func.lower(func.trim(func.json_extract(P.c.extra_fields, "$.doi")))
            found = conn.execute(select(P.c.id).where(value == doi).order_by(P.c.id)).scalar()
            if found is not None:
                return int(found)
    return None


@dataclass(frozen=True)
class Dropped:
    """Where a dropped PDF went."""

    paper_id: int
    created: bool  # a new paper was made from the PDF's metadata
    attached: bool  # False: that paper already had this very file
    #: How the paper was found: "arXiv id 2501.01234", "DOI 10.…", or "" for a new paper.
    matched_by: str = ""
    #: The attachment (once attached; the one the paper had already when ``attached`` is False).
    attachment_id: int = 0


def prepare_dropped(library: Library, source: Path) -> tuple[ops.Operation, Dropped]:
    """Identify a dropped PDF and store it: the operation that attaches it, and where it will go.

    Its arXiv id or DOI (from its first page or metadata, read in the sandbox)
    picks the paper, else a paper that has this very file already; a PDF that
    matches none makes a paper from its metadata (title, authors, arXiv id,
    DOI; the file name when it has no title).
    """
    source = Path(source)
    check_file(source)
    title, authors, arxiv, doi = _identify(source)
    pid = find_paper(library, arxiv, None) if arxiv else None
    how = f"arXiv id {normalize.arxiv_id(arxiv)}" if pid is not None else ""
    if pid is None and doi:
        pid = find_paper(library, None, doi)
        how = f"DOI {doi}" if pid is not None else ""
    row = prepare_file(library, source)
    if pid is None:  # the very file, dropped again: not a second paper
        pid = _paper_with_file(library, row["sha256"])
        how = "content hash" if pid is not None else ""
    if pid is not None:
        return ops.AttachPdf(row | {"paper_id": pid}), Dropped(pid, False, True, how)
    name = title or Path(row["name"]).stem.replace("_", " ")
    operation = ops.AttachToNewPaper(name, row, tuple(authors), arxiv, doi)
    return operation, Dropped(0, True, True, "")


def _paper_with_file(library: Library, sha256: str) -> int | None:
    with db.read(library.engine) as conn:
        found = conn.execute(select(AT.c.paper_id).where(AT.c.sha256 == sha256).order_by(AT.c.id)).scalar()
    return None if found is None else int(found)


def attach_dropped(library: Library, source: Path) -> tuple[int, bool]:
    """Attach a dropped PDF to the paper its arXiv id or DOI names, or to a new paper: (paper id, created)."""
    dropped = drop(library, source)
    return dropped.paper_id, dropped.created


def drop(library: Library, source: Path) -> Dropped:
    """:func:`attach_dropped`, saying also how the paper was found and whether it had the file already."""
    operation, dropped = prepare_dropped(library, source)
    row = operation.row if isinstance(operation, ops.AttachPdf | ops.AttachToNewPaper) else {"kind": ""}
    outcome = run_attaching(library, operation, row)
    if dropped.created:
        pid, aid = outcome.result
        return Dropped(pid, True, True, "", aid)
    aid, attached = outcome.result
    return Dropped(dropped.paper_id, False, attached, dropped.matched_by, aid)


def _identify(source: Path) -> tuple[str, list[str], str | None, str | None]:
    """Title, authors, arXiv id and DOI from the PDF's first page and metadata (read in the sandbox).

    A PDF the sandbox cannot read gives nothing: it is still attached (to a
    paper named after the file), and its text is listed as "could not read".
    """
    from .pdf.sandbox import PdfError, identify

    try:
        content = identify(source)
    except PdfError as exc:
        _log.info("%s", exc)
        return "", [], None, None
    return content.title or "", list(content.authors or []), content.arxiv_id, content.doi


# --- After a change: stored files to and from the trash ---------------------------------------


def settle(library: Library, relative_paths: Iterable[str]) -> list[str]:
    """Move stored files no attachment references any more to ``.trash/``, and referenced ones back.

    Run after a change committed, driven by what the library now says (so a
    failed or rolled-back change moves nothing). Returns problems, one line
    each; they are logged, never raised: the change itself is done.
    """
    wanted = sorted({p for p in relative_paths if _safe_relative(p)})
    if not wanted:
        return []
    with db.read(library.engine) as conn:
        referenced = set(conn.execute(select(AT.c.path).where(AT.c.kind == "stored", AT.c.path.in_(wanted))).scalars())
    root = files_dir(library)
    problems: list[str] = []
    for relative in wanted:
        live, trashed = root / relative, root / TRASH / relative
        source, target = (trashed, live) if relative in referenced else (live, trashed)
        if not _is_file(source) or (relative in referenced and _is_file(target)):
            continue  # nothing to move (already in place, or never stored)
        try:
            _move(source, target)
        except OSError as exc:
            problems.append(f"{source}: could not be moved to {target}: {exc}")
    for line in problems:
        _log.warning("%s", line)
    return problems


def _move(source: Path, target: Path) -> None:
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
    _fsync_dir(target.parent)


def _safe_relative(path: str) -> bool:
    """A stored path the app wrote (``ab/<hash>.pdf``), not one leading out of the files folder."""
    parts = Path(path).parts
    return len(parts) == 2 and not Path(path).is_absolute() and ".." not in parts and parts[0] != TRASH


# --- Checking the files -----------------------------------------------------------------------


def verify(library: Library) -> list[str]:
    """Check every attached file; repair what can be repaired. One line per problem found or repaired.

    * A file whose size or modification time changed is hashed again: new
      content updates the row (its text will be read again).
    * A missing file is looked for: a stored one by its hash in the files
      folder and its trash, a linked one by its name, size and hash in the
      folders around its old one and in the files folder. Found, the row points
      to it again; not found, the row is marked missing (never dropped).
    """
    root = files_dir(library)
    with db.read(library.engine) as conn:
        rows = conn.execute(select(AT).order_by(AT.c.paper_id, AT.c.id)).all()
    lines: list[str] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    stamp = ops.now()
    for row in rows:
        path = absolute(library, row.kind, row.path)
        where = f"paper {row.paper_id}: {row.name}"
        try:
            st = os.stat(path)
            ok = stat.S_ISREG(st.st_mode)
        except (OSError, ValueError):
            ok = False
        if ok:
            values: dict[str, Any] = {}
            if row.missing_since is not None:
                values["missing_since"] = None
                lines.append(f"{where}: found again at {path}")
            if st.st_size != row.size or row.mtime is None or abs(st.st_mtime - row.mtime) > 1e-6:
                try:
                    sha = sha256_of(path)
                except OSError as exc:
                    lines.append(f"{where}: {path} cannot be read ({exc.strerror or exc})")
                    continue
                values |= {"size": st.st_size, "mtime": st.st_mtime}
                if sha != row.sha256:
                    values |= {"sha256": sha, "text_state": "pending", "text_error": None, "pages": None}
                    lines.append(f"{where}: changed outside the app ({path}); its text will be read again")
            if values:
                updates.append((row.id, values))
            continue
        found = _look_for(root, row)
        if found is not None:
            kind, new_path, st = found
            shown = root / new_path if kind == "stored" else Path(new_path)
            updates.append(
                (
                    row.id,
                    {"kind": kind, "path": new_path, "mtime": st.st_mtime, "size": st.st_size, "missing_since": None},
                )
            )
            lines.append(f"{where}: was missing at {path}; found at {shown}")
            continue
        if row.missing_since is None:
            updates.append((row.id, {"missing_since": stamp}))
        lines.append(f"{where}: missing (the library expects it at {path})")
    if updates:
        _apply_updates(library, updates, lines)
    return lines


def _apply_updates(library: Library, updates: list[tuple[int, dict[str, Any]]], lines: list[str]) -> None:
    from sqlalchemy.exc import IntegrityError

    try:
        library.run(ops.UpdateAttachments(tuple(updates)))
    except (IntegrityError, PapershelfError):
        # One row's new content equals another PDF of the same paper: apply the others one by one.
        for update in updates:
            try:
                library.run(ops.UpdateAttachments((update,)))
            except (IntegrityError, PapershelfError) as exc:
                lines.append(f"attachment {update[0]}: not updated: {str(exc).splitlines()[0]}")


def _look_for(root: Path, row: Any) -> tuple[str, str, os.stat_result] | None:
    """Where a missing file is now: ("stored"|"linked", path for the row, its stat), or None."""
    stored = stored_name(row.sha256)
    if row.kind == "stored":
        for candidate in (root / row.path, root / stored):
            if _matches(candidate, row.size, row.sha256):
                return "stored", os.path.relpath(candidate, root).replace(os.sep, "/"), os.stat(candidate)
        for relative in (row.path, stored):  # in the trash: brought back where the row says
            trashed = root / TRASH / relative
            if _safe_relative(row.path) and _matches(trashed, row.size, row.sha256):
                target = root / row.path
                try:
                    _move(trashed, target)
                except OSError:
                    continue
                return "stored", row.path, os.stat(target)
        return None
    old = Path(row.path)
    renamed = _renamed_in(old.parent, row.size, row.sha256)
    if renamed is not None:
        return "linked", str(renamed), os.stat(renamed)
    for folder in _neighbours(old.parent):
        candidate = folder / old.name
        if _matches(candidate, row.size, row.sha256):
            return "linked", str(candidate), os.stat(candidate)
    if _matches(root / stored, row.size, row.sha256):
        return "stored", stored, os.stat(root / stored)
    return None


def _renamed_in(folder: Path, size: int, sha256: str) -> Path | None:
    """A file in ``folder`` with these bytes under another name (renamed in place); a bounded number looked at."""
    try:
        with os.scandir(folder) as entries:
            for n, entry in enumerate(entries):
                if n >= _SEARCH_LIMIT:
                    break
                same_size = entry.is_file(follow_symlinks=False) and entry.stat().st_size == size
                if same_size and _matches(Path(entry.path), size, sha256):
                    return Path(entry.path)
    except OSError:
        pass
    return None


def _neighbours(folder: Path) -> Iterator[Path]:
    """The old folder, its subfolders, its parent's other subfolders and theirs (a bounded number)."""
    seen: set[Path] = set()

    def children(of: Path) -> list[Path]:
        try:
            return sorted(p for p in of.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            return []

    order = [folder, *children(folder), folder.parent]
    for sibling in children(folder.parent):
        order += [sibling, *children(sibling)]
    for candidate in order:
        if candidate not in seen:
            seen.add(candidate)
            if len(seen) > _SEARCH_LIMIT:
                return
            yield candidate


def _matches(path: Path, size: int, sha256: str) -> bool:
    try:
        st = os.stat(path)
        return stat.S_ISREG(st.st_mode) and st.st_size == size and sha256_of(path) == sha256
    except (OSError, ValueError):
        return False


def detach(library: Library, attachment_id: int) -> None:
    """Take a PDF off its paper (a stored file nothing else uses moves to the trash): one undoable operation."""
    library.run(ops.DetachPdf(attachment_id))
