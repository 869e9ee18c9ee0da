"""A paper's PDFs: listing them, attaching one (stored by content hash or linked in place), and dropped PDFs.

The files folder and its trash are ``core/stored_files.py``'s; checking files
changed or moved outside the app is ``core/attachment_check.py``'s (both
re-exported here). Linked files stay where the user keeps them and are never
moved, changed or deleted. Every change to the library goes through an
operation (``core/operations/attachments.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from . import db, normalize
from . import operations as ops
from .attachment_check import verify
from .errors import NotFoundError, PapershelfError
from .schema import AT, P
from .stored_files import (
    TRASH,
    absolute,
    check_file,
    files_dir,
    in_place,
    is_pdf,
    settle,
    sha256_of,
    store_file,
    stored_name,
)

if TYPE_CHECKING:
    from .library import Library

__all__ = [
    "ATTACHED",
    "FOUND_AGAIN",
    "TRASH",
    "UNCHANGED",
    "Attachment",
    "Dropped",
    "absolute",
    "all_attachments",
    "attach",
    "attach_dropped",
    "attach_file",
    "attachments_of",
    "check_file",
    "detach",
    "drop",
    "files_dir",
    "find_paper",
    "in_files_dir",
    "is_pdf",
    "pdf_for",
    "prepare_attach",
    "prepare_dropped",
    "prepare_file",
    "run_attaching",
    "settle",
    "settle_copies",
    "sha256_of",
    "store_file",
    "stored_name",
    "verify",
]

_log = logging.getLogger("papershelf.attachments")


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
        missing=_missing(row, path),
        text_state=row.text_state,
        text_error=row.text_error,
        pages=row.pages,
    )


def _missing(row: Any, path: Path) -> bool:
    """Not there now: a stored file's place holds no regular file (a link is not one), a linked file is gone;
    or :func:`verify` found something else in its place (not a PDF) and it is not a PDF yet."""
    if not in_place(row.kind, path):
        return True
    return row.missing_since is not None and not is_pdf(path)


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
    """The file Enter and ``papershelf open`` open: the paper's first attached PDF that is there, can be
    opened and whose text could be read (or is not read yet); else the first one there whose text could not
    be read (a viewer may open what the sandbox's reader cannot: a password, a damaged file); else None."""
    fallback: Path | None = None
    for attachment in attachments_of(library, [paper_id]).get(paper_id, []):
        if attachment.missing or not os.access(attachment.path, os.R_OK):
            continue
        if attachment.text_state != "failed":
            return attachment.path
        fallback = fallback or attachment.path
    return fallback


# --- Attaching ---------------------------------------------------------------------------


def _paper_exists(library: Library, paper_id: int) -> None:
    with db.read(library.engine) as conn:
        if conn.execute(select(P.c.id).where(P.c.id == paper_id)).first() is None:
            raise NotFoundError(f"no paper with id {paper_id}")


def prepare_file(library: Library, source: Path, *, link: bool = False, origin: str = "attached") -> dict[str, Any]:
    """Check ``source`` and store it (or take it as a link): the attachment row, without ``paper_id``.

    A file inside the library's files folder is never linked: it is taken as
    the stored file it is (a link to it would go missing when the stored copy
    moves to the trash). The GUI calls this on its worker, then runs
    :class:`AttachPdf` with the row.
    """
    source = Path(source)
    st = check_file(source, library.path)
    try:
        if link and not in_files_dir(library, source):
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
    return row | _new_row_facts(source, origin)


def in_files_dir(library: Library, path: Path) -> bool:
    """Whether ``path`` (symbolic links resolved) is inside the library's files folder (its trash included)."""
    try:
        real, root = os.path.realpath(path), os.path.realpath(files_dir(library))
    except (OSError, ValueError):
        return False
    return real.startswith(root.rstrip(os.sep) + os.sep)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def prepare_attach(
    library: Library, paper_id: int, source: Path, *, link: bool | None = False, origin: str = "attached"
) -> ops.AttachPdf:
    """The :class:`AttachPdf` for ``source`` on paper ``paper_id``, its file already stored (copied first).

    The file's hash is compared with the paper's PDFs before anything is copied:

    * the paper has this content, its file in place: nothing is copied, and the
      operation changes nothing (its result says so);
    * the paper has this content but its file went missing: the file is stored
      (or linked) and the operation points that attachment to it
      (``AttachPdf.replaces``); ``link=None`` keeps the way the missing one was
      kept (stored or linked), else it is stored;
    * otherwise the file is stored (or linked) for a new attachment.
    """
    _paper_exists(library, paper_id)
    source = Path(source)
    check_file(source, library.path)
    sha = _hash(source)
    with db.read(library.engine) as conn:
        same = conn.execute(select(AT).where(AT.c.paper_id == paper_id, AT.c.sha256 == sha)).first()
    if same is not None and in_place(same.kind, absolute(library, same.kind, same.path)):
        # Nothing will change: the row is the one the paper has (attached as new if it went meanwhile).
        row = {name: getattr(same, name) for name in ("kind", "path", "size", "sha256", "mtime")}
        return ops.AttachPdf(row | _new_row_facts(source, origin) | {"paper_id": paper_id})
    if link is None:
        link = same is not None and same.kind == "linked"
    row = prepare_file(library, source, link=link, origin=origin) | {"paper_id": paper_id}
    return ops.AttachPdf(row, replaces=None if same is None else int(same.id))


def _hash(source: Path) -> str:
    try:
        return sha256_of(source)
    except OSError as exc:
        raise PapershelfError(f"{source}: cannot be read ({exc.strerror or exc}); nothing was attached") from None


def _new_row_facts(source: Path, origin: str) -> dict[str, Any]:
    """The columns of a new attachment row that do not depend on where its file is kept."""
    # The name is only what the user knows the file by: bytes that are not UTF-8 show as U+FFFD.
    name = os.fsencode(source.name).decode("utf-8", "replace")
    return {"name": name, "origin": origin, "added_at": ops.now(), "text_state": "pending"}


#: What :func:`attach_file` did: attached anew, found a missing PDF of the paper again, or nothing.
ATTACHED, FOUND_AGAIN, UNCHANGED = "attached", "found again", "unchanged"


def attach_file(
    library: Library, paper_id: int, source: Path, *, link: bool | None = False, origin: str = "attached"
) -> tuple[Attachment, str]:
    """Attach ``source`` to a paper (see :func:`prepare_attach`): the attachment, and what was done:
    ``ATTACHED``, ``FOUND_AGAIN`` (a missing PDF of the paper with this content now points to it)
    or ``UNCHANGED`` (the paper has this very file)."""
    operation = prepare_attach(library, paper_id, source, link=link, origin=origin)
    outcome = run_attaching(library, operation, operation.row)
    aid, changed = outcome.result
    done = (FOUND_AGAIN if operation.replaces == aid else ATTACHED) if changed else UNCHANGED
    return _by_id(library, aid), done


def run_attaching(library: Library, operation: ops.Operation, row: dict[str, Any]) -> ops.Outcome:
    """Run an operation attaching ``row``'s file; a stored copy it did not keep (failed, or the
    paper had that file already) leaves the files folder for its trash, so no unreferenced file stays."""
    try:
        return library.run(operation)
    finally:
        if row["kind"] == "stored":
            settle(library, [row["path"]])


def settle_copies(library: Library, operation: ops.Operation) -> None:
    """After an operation that attaches files ran, or failed: a stored copy it brought in that no attachment
    references (the paper went meanwhile, or had that file already) leaves the files folder for its trash.

    :func:`run_attaching` does this at once; the app queues it on its writer thread right after the operation
    (its attach, drop and Locate… prepare the copy on a worker, then run the operation as an undoable step).
    """
    if isinstance(operation, ops.AttachPdf | ops.AttachToNewPaper):
        rows = [operation.row]
    elif isinstance(operation, ops.UpdateAttachments):
        rows = [values for _aid, values in operation.updates]
    else:
        rows = []
    settle(library, [row["path"] for row in rows if row.get("kind") == "stored" and row.get("path")])


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
            value = func.lower(func.trim(P.c.extra_fields["doi"].as_string()))
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
    #: The paper's PDF with this content had gone missing: it now points to the dropped file.
    found_again: bool = False


def prepare_dropped(library: Library, source: Path) -> tuple[ops.Operation, Dropped]:
    """Identify a dropped PDF and store it (see :func:`prepare_attach`): the operation that attaches it,
    and where it will go.

    Its arXiv id or DOI (from its first page or metadata, read in the sandbox)
    picks the paper, else a paper that has this very file already; a PDF that
    matches none makes a paper from its metadata (title, authors, arXiv id,
    DOI; the file name when it has no title).
    """
    source = Path(source)
    check_file(source, library.path)
    title, authors, arxiv, doi = _identify(source)
    pid = find_paper(library, arxiv, None) if arxiv else None
    how = f"arXiv id {normalize.arxiv_id(arxiv)}" if pid is not None else ""
    if pid is None and doi:
        pid = find_paper(library, None, doi)
        how = f"DOI {doi}" if pid is not None else ""
    if pid is None:  # the very file, dropped again: not a second paper
        pid = _paper_with_file(library, _hash(source))
        how = "content hash" if pid is not None else ""
    if pid is not None:  # a missing PDF of that paper with this content is found again, kept as it was
        return prepare_attach(library, pid, source, link=None), Dropped(pid, False, True, how)
    row = prepare_file(library, source)
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
    found = isinstance(operation, ops.AttachPdf) and operation.replaces == aid and attached
    return Dropped(dropped.paper_id, False, attached, dropped.matched_by, aid, found)


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


def detach(library: Library, *attachment_ids: int) -> None:
    """Take PDFs off their papers (a stored file nothing else uses moves to the trash; a linked file is
    never touched): one undoable operation."""
    steps = tuple(ops.DetachPdf(aid) for aid in attachment_ids)
    if not steps:
        return
    library.run(steps[0] if len(steps) == 1 else ops.Batch(steps, f"Remove {len(steps)} PDFs"))
