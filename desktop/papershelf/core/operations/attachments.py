"""Attaching and detaching PDFs, a paper made from a dropped PDF, and which stored files a change touched.

The files themselves are handled outside the transaction (``core/attachments.py``):
a stored file is copied in *before* :class:`AttachPdf` runs, and a stored file no
attachment references any more moves to the files folder's ``.trash/`` only *after*
the transaction committed. Operations here only note, with :func:`touch_files`,
which stored files (by their path relative to the files folder) the change may
have orphaned or brought back; ``Library.run`` hands that note to the settle step
after the commit, so a failed or rolled-back change moves no file at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from .. import db, normalize
from ..errors import NotFoundError
from ..exporters import citekeys
from ..schema import AT, PA, N, P
from .base import Batch, Changes, Operation, Outcome, now, require

#: Where a transaction's connection keeps the stored files it touched (``Connection.info``).
_TOUCHED = "papershelf.touched_files"

#: Bounds on what a PDF's metadata may put into a new paper (it is untrusted text).
MAX_TITLE = 500
MAX_AUTHORS = 100
MAX_AUTHOR = 200


def touch_files(conn: Connection, paths: Iterable[str]) -> None:
    """Note stored files (relative paths) whose references this transaction changed."""
    conn.info.setdefault(_TOUCHED, set()).update(paths)


def take_touched_files(conn: Connection) -> set[str]:
    """The stored files noted by :func:`touch_files` on this connection, forgetting them."""
    found: set[str] = conn.info.pop(_TOUCHED, set())
    return found


def _drop_pdf_text(conn: Connection, attachment_ids: Sequence[int]) -> None:
    """Take attachments' text out of the PDF index (an id may be reused by the next attachment)."""
    for aid in attachment_ids:
        db.pdf_fts_put(conn, aid, None)


# --- Rows of deleted papers (DeletePapers / RestorePapers) -------------------------------


def snapshot_attachments(conn: Connection, paper_ids: Sequence[int]) -> dict[str, list[Any]]:
    """The attachment and annotation rows of these papers, as plain dicts."""
    rows = [dict(r._mapping) for r in conn.execute(select(AT).where(AT.c.paper_id.in_(list(paper_ids))))]
    ids = [row["id"] for row in rows]
    notes = [dict(r._mapping) for r in conn.execute(select(PA).where(PA.c.attachment_id.in_(ids)))] if ids else []
    return {"attachment": rows, "pdf_annotation": notes}


def forget_attachments(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Before the rows go (by cascade with their paper): their text leaves the index, their files are noted."""
    _drop_pdf_text(conn, [row["id"] for row in rows])
    touch_files(conn, [row["path"] for row in rows if row["kind"] == "stored"])


def restore_attachments(
    conn: Connection, rows: Sequence[dict[str, Any]], annotations: Sequence[dict[str, Any]]
) -> dict[int, int]:
    """Put attachment rows back (their text is read again: 'pending'); the new id of each old one."""
    new_ids: dict[int, int] = {}
    by_attachment: dict[int, list[dict[str, Any]]] = {}
    for note in annotations:
        by_attachment.setdefault(note["attachment_id"], []).append(note)
    for row in rows:
        new_ids[row["id"]] = _insert_attachment(conn, row, by_attachment.get(row["id"], ()))
    return new_ids


def _insert_attachment(conn: Connection, row: dict[str, Any], annotations: Iterable[dict[str, Any]]) -> int:
    values = dict(row) | {"text_state": "pending", "text_error": None}
    if values.get("id") is not None and conn.execute(select(AT.c.id).where(AT.c.id == values["id"])).first():
        del values["id"]  # its id was given to another attachment meanwhile
    if (
        values.get("note_id") is not None
        and conn.execute(select(N.c.id).where(N.c.id == values["note_id"])).first() is None
    ):
        values["note_id"] = None  # the note it wrote into is gone (as SET NULL would have done)
    aid = int(conn.execute(insert(AT).values(**values).returning(AT.c.id)).scalar_one())
    _drop_pdf_text(conn, [aid])
    notes = [dict(n) | {"attachment_id": aid} for n in annotations]
    if notes:
        conn.execute(insert(PA), notes)
    if values["kind"] == "stored":
        touch_files(conn, [values["path"]])
    return aid


def move_attachments(conn: Connection, from_ids: Sequence[int], to_id: int) -> bool:
    """Give papers' PDFs to another paper (a merge); one whose content that paper has already goes.

    Returns whether any PDF moved or went.
    """
    have = set(conn.execute(select(AT.c.sha256).where(AT.c.paper_id == to_id)).scalars())
    rows = [
        dict(r._mapping) for r in conn.execute(select(AT).where(AT.c.paper_id.in_(list(from_ids))).order_by(AT.c.id))
    ]
    for row in rows:
        if row["sha256"] in have:
            forget_attachments(conn, [row])
            conn.execute(delete(AT).where(AT.c.id == row["id"]))
        else:
            have.add(row["sha256"])
            conn.execute(update(AT).where(AT.c.id == row["id"]).values(paper_id=to_id))
    return bool(rows)


# --- Attach and detach -----------------------------------------------------------------


@dataclass(frozen=True)
class AttachPdf(Operation):
    """Give a paper a PDF: ``row`` is the attachment row (its file already stored or linked).

    The result is ``(attachment id, True)``, or ``(the id of the same file on that
    paper, False)`` when the paper already has a file with this content: then
    nothing changes. ``replaces`` names that paper's attachment with this
    content whose file went missing (seen before the run): it is found again,
    its row pointing to ``row``'s file (the result is ``(its id, True)``).
    """

    row: dict[str, Any] = field(compare=False)
    annotations: tuple[dict[str, Any], ...] = field(compare=False, default=())
    replaces: int | None = None

    @property
    def label(self) -> str:
        return f"Attach {self.row['name']}"

    def apply(self, conn: Connection) -> Outcome:
        pid = self.row["paper_id"]
        require(conn, [pid])
        same = conn.execute(select(AT).where(AT.c.paper_id == pid, AT.c.sha256 == self.row["sha256"])).first()
        if same is not None and same.id == self.replaces:
            values = {name: self.row[name] for name in ("kind", "path", "size", "mtime")} | {"missing_since": None}
            if same.text_state == "failed":  # it could not be read while it was missing
                values |= {"text_state": "pending", "text_error": None}
            found = UpdateAttachments(((same.id, values),), self.label).apply(conn)
            return Outcome(found.changes, found.inverse, (same.id, True))
        if same is not None:
            return Outcome(Changes(), Batch((), self.label), (int(same.id), False))
        aid = _insert_attachment(conn, self.row, self.annotations)
        return Outcome(Changes(papers=frozenset({pid})), DetachPdf(aid, self.label), (aid, True))


@dataclass(frozen=True)
class DetachPdf(Operation):
    """Take a PDF off its paper. A stored file nothing else references moves to the trash after the commit."""

    attachment_id: int
    of: str = ""

    @property
    def label(self) -> str:
        return self.of or "Remove the PDF"

    def apply(self, conn: Connection) -> Outcome:
        found = conn.execute(select(AT).where(AT.c.id == self.attachment_id)).first()
        if found is None:
            raise NotFoundError(f"no attached PDF with id {self.attachment_id}")
        row = dict(found._mapping)
        notes = tuple(
            dict(r._mapping) for r in conn.execute(select(PA).where(PA.c.attachment_id == self.attachment_id))
        )
        forget_attachments(conn, [row])
        conn.execute(delete(AT).where(AT.c.id == self.attachment_id))
        return Outcome(Changes(papers=frozenset({row["paper_id"]})), AttachPdf(row, notes), row)


@dataclass(frozen=True)
class UpdateAttachments(Operation):
    """Set columns of attachments (a file found changed, moved or missing); the inverse puts the old values back."""

    updates: tuple[tuple[int, dict[str, Any]], ...] = field(compare=False)
    name: str = "Check attached PDFs"

    @property
    def label(self) -> str:
        return self.name

    def apply(self, conn: Connection) -> Outcome:
        before: list[tuple[int, dict[str, Any]]] = []
        papers: set[int] = set()
        for aid, values in self.updates:
            found = conn.execute(select(AT).where(AT.c.id == aid)).first()
            if found is None:
                continue  # detached meanwhile: nothing to repair
            old = dict(found._mapping)
            before.append((aid, {name: old[name] for name in values}))
            papers.add(old["paper_id"])
            if values.get("text_state") == "pending":
                _drop_pdf_text(conn, [aid])
            conn.execute(update(AT).where(AT.c.id == aid).values(**values))
            if old["kind"] == "stored" or values.get("kind") == "stored":
                touch_files(conn, [p for p in (old["path"], values.get("path")) if p])
        return Outcome(Changes(papers=frozenset(papers)), UpdateAttachments(tuple(before), self.name))


# --- A paper made from a dropped PDF ---------------------------------------------------


def _bounded(value: str, limit: int) -> str:
    # Runs of spaces, tabs and line breaks are one space; NEL and other controls are kept (shown as marks).
    value = " ".join(filter(None, value.translate({9: 32, 10: 32, 13: 32}).split(" ")))
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class AttachToNewPaper(Operation):
    """Make a paper from a PDF's metadata and attach the PDF to it, as one change.

    ``row`` is the attachment row without its ``paper_id``. The result is
    ``(paper id, attachment id)``; undo deletes the paper (and so the
    attachment; its stored file moves to the trash).
    """

    title: str
    row: dict[str, Any] = field(compare=False)
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    doi: str | None = None

    @property
    def label(self) -> str:
        return f"Add a paper for {self.row['name']}"

    def apply(self, conn: Connection) -> Outcome:
        from .papers import DeletePapers

        title = _bounded(self.title, MAX_TITLE) or _bounded(self.row["name"], MAX_TITLE)
        authors = [a for a in (_bounded(a, MAX_AUTHOR) for a in self.authors[:MAX_AUTHORS]) if a]
        arxiv = normalize.arxiv_id(self.arxiv_id) if self.arxiv_id else None
        if arxiv and conn.execute(select(P.c.id).where(P.c.arxiv_id == arxiv)).first() is not None:
            arxiv = None  # another paper has it (arXiv ids are unique in the library)
        stamp = now()
        base = citekeys.base_key(authors, None, title)
        taken = {
            key.lower()
            for key in conn.execute(
                select(P.c.citation_key).where(func.lower(P.c.citation_key).like(base.lower() + "%"))
            ).scalars()
        }
        extra = {"doi": self.doi} if self.doi else {}
        values = {
            "title": title,
            "title_key": normalize.title_key(title),
            "authors": authors,
            "first_author": authors[0] if authors else "",
            "arxiv_id": arxiv,
            "url": None,
            "code_urls": [],
            "project_url": None,
            "published": None,
            "primary_class": None,
            "listed_on": None,
            "added_at": stamp,
            "status": "unread",
            "read_at": None,
            "priority": 0,
            "citation_key": citekeys.unique_key(base, taken),
            "title_edited": 0,
            "entry_type": "article" if self.doi else "misc",
            "extra_fields": extra,
            "key_pinned": 0,
        }
        pid = int(conn.execute(insert(P).values(**values).returning(P.c.id)).scalar_one())
        db.reindex(conn, [pid])
        attached = AttachPdf(dict(self.row) | {"paper_id": pid}).apply(conn)
        aid, _ = attached.result
        changes = Changes(papers=frozenset({pid}), added=frozenset({pid}), statuses=True)
        inverse = Batch((DeletePapers((pid,)),), self.label)
        return Outcome(changes, inverse, (pid, aid))
