"""The text and annotations of attached PDFs: into the search index, and into the paper's notes.

:func:`index_pending` reads each attachment whose text is still 'pending'
through the sandbox (a separate process with time and memory limits, never
in this one), then writes, in one transaction per file (:class:`StoreText`,
an operation with an inverse like every change): the text into ``pdf_fts``
(pages joined by form feeds), the page count and text state (with
:func:`cut_note` in ``text_error`` when the text stopped at the reader's limit
on pages or characters, e.g. "text of the first 5000 of 6000 pages read"), the annotations
into ``pdf_annotation``, and the annotations as a note, one per attachment:

    Highlights from paper.pdf

    > the highlighted words (p. 3)
    the comment written on it

Control and bidi-formatting characters in a name, quote or comment are
written as visible marks (``<U+202E>``), as the CLI shows them: a note is plain
text wherever it is shown. ``pdf_annotation`` keeps the raw text.

Reading the file again after its annotations changed in a viewer updates that
note in place. A note the user has edited since the app wrote it is never
rewritten: the new or changed excerpts are added at its end. A deleted note is
written anew. The paper's own search row is untouched except for its notes.

:func:`pdf_hits` says where a search matched inside a paper's PDFs ("in the
PDF, page 4: …"), and :func:`annotations_of` lists what was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from .. import db, search
from ..display import mark, visible
from ..errors import NotFoundError, PapershelfError
from ..operations.base import Changes, Operation, Outcome, now
from ..records import Note
from ..schema import AT, PA, N

if TYPE_CHECKING:
    from ..library import Library
    from .reader import PdfContent

#: ``progress(done, total, name)``: after each file (``name`` is the file's name as the user knows it).
IndexProgress = Callable[[int, int, str], None]

#: Longest quote or comment written into a note (a PDF's text is untrusted and may be huge).
MAX_EXCERPT_CHARS = 5_000
#: Characters a snippet shows before and after the first matched word.
SNIPPET_BEFORE, SNIPPET_AFTER = 40, 80

#: Control characters other than tab, newline and form feed (the page break) never reach the index.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0d-\x1f\x7f]")
#: The longest mark :func:`papershelf.core.display.mark` writes (``<U+10FFFF>``): a cut never splits one.
_LONGEST_MARK = len(mark("\U0010ffff"))


@dataclass(frozen=True, slots=True)
class IndexResult:
    """What reading one attached file did."""

    attachment_id: int
    paper_id: int
    #: The file's name as the user knows it.
    name: str
    #: "done" or "failed".
    state: str
    #: For "failed": one line, e.g. "could not read: not a PDF".
    error: str | None = None
    pages: int = 0
    annotations: int = 0
    #: The note the annotations went into (None: the file has none).
    note_id: int | None = None
    #: For "done": what :func:`cut_note` says when the text stopped at a limit (None: all of it was read).
    cut: str | None = None

    @property
    def text_read(self) -> str:
        """``text of 12 pages read``, or where it was cut: ``text of the first 5000 of 6000 pages read``."""
        return self.cut or f"text of {self.pages} page{'' if self.pages == 1 else 's'} read"


@dataclass(frozen=True, slots=True)
class PdfHit:
    """Where a search matched in a paper's PDF: its first match."""

    page: int
    #: Plain text around the match, on one line, with "…" where it was cut.
    snippet: str
    attachment_id: int = 0


@dataclass(frozen=True, slots=True)
class PdfAnnotation:
    """One annotation read from an attached PDF, as :func:`annotations_of` lists it."""

    attachment_id: int
    #: The file's name as the user knows it.
    file: str
    page: int
    kind: str
    quote: str
    comment: str
    author: str
    modified: str | None
    position: float = 0.0


# --- Reading the files --------------------------------------------------------------


def _file_path(library: Library, kind: str, path: str) -> Path:
    """An attachment's file: stored ones live in the library's files folder, linked ones where they are."""
    if kind == "stored":
        from ...paths import files_dir

        return files_dir(library.path) / path
    return Path(path)


def index_pending(
    library: Library,
    attachment_ids: Iterable[int] | None = None,
    *,
    progress: IndexProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[IndexResult]:
    """Read the text and annotations of attachments: those whose text is pending, or those given.

    Each file is read by the sandbox, then written in one transaction; a file
    that cannot be read (damaged, hostile, vanished) is marked 'failed' with
    one line saying why, and the next file is read. ``cancelled`` is asked
    before each file; what was written stays.
    """
    from .sandbox import PdfError, extract

    with db.read(library.engine) as conn:
        statement = select(AT.c.id, AT.c.paper_id, AT.c.kind, AT.c.path, AT.c.name, AT.c.sha256).order_by(AT.c.id)
        if attachment_ids is None:
            statement = statement.where(AT.c.text_state == "pending")
        else:
            statement = statement.where(AT.c.id.in_(sorted(set(attachment_ids))))
        todo = list(conn.execute(statement))
    results: list[IndexResult] = []
    for done, row in enumerate(todo):
        if cancelled is not None and cancelled():
            break
        path = _file_path(library, row.kind, row.path)
        content: PdfContent | None = None
        error: str | None = None
        if not path.is_file():
            error = "could not read: the file is missing"
        else:
            try:
                content = extract(path)
            except PdfError as exc:
                error = _reason(str(exc), path)
            except OSError as exc:
                error = f"could not read: {exc.strerror or exc}"
        try:
            results.append(library.run(StoreText(row.id, content, error, row.sha256)).result)
        except NotFoundError:
            pass  # the attachment went, or its file changed, while the file was read: not this text
        if progress is not None:
            progress(done + 1, len(todo), row.name)
    return results


def _reason(message: str, path: Path) -> str:
    """The sandbox's one line without the file in front (the attachment already names its file)."""
    first = " ".join(message.split())
    prefix = f"{path}: "
    reason = first[len(prefix) :] if first.startswith(prefix) else first
    return reason if reason.startswith("could not read") else f"could not read: {reason}"


def cut_note(content: PdfContent) -> str | None:
    """Where the text went into the index no further, or None when it all did.

    ``text of the first 5000 of 6000 pages read`` (the page limit), or ``text of the
    first 5000000 characters read, up to page 2999 of 6000`` (the character limit).
    Stored in the attachment's ``text_error`` while its text state is 'done'.
    """
    read, total = len(content.pages), content.page_count
    if content.chars_cut:
        chars = sum(len(page) for page in content.pages)
        return f"text of the first {chars} characters read, up to page {read} of {total}"
    if read < total:
        return f"text of the first {read} of {total} pages read"
    return None


def _body(pages: Sequence[str]) -> str:
    return "\f".join(_CONTROL.sub(" ", page.replace("\f", " ")) for page in pages)


# --- Annotations into a note ----------------------------------------------------------


def _shown(value: str) -> str:
    """Untrusted text as a note shows it: control and bidi characters as visible marks (``<U+202E>``).

    A note is plain text everywhere (the app's editor, ``show``, exports), so a
    right-to-left override in a comment must not turn what follows around.
    Tab and newline stay; the raw text stays in ``pdf_annotation``.
    """
    return visible(value, multiline=True)


def _bounded(text: str) -> str:
    """``text`` cut to :data:`MAX_EXCERPT_CHARS` with "…", never inside a ``<U+…>`` mark."""
    if len(text) <= MAX_EXCERPT_CHARS:
        return text
    cut = text[: MAX_EXCERPT_CHARS - 1]
    start = cut.rfind("<U+", len(cut) - _LONGEST_MARK)
    if start >= 0 and ">" not in cut[start:]:
        cut = cut[:start]
    return cut + "…"


def _one_line(value: str) -> str:
    """A quote as one line: PDFs break highlighted text wherever the line ended."""
    return _bounded(" ".join(_shown(value).split()))


def excerpt(page: int, quote: str, comment: str) -> str:
    """One annotation in a note: ``> quote (p. N)`` and the comment below it (its line breaks kept)."""
    quote = _one_line(quote)
    lines = [f"> {quote} (p. {page})" if quote else f"(p. {page})"]
    comment = _bounded(_shown(comment).strip())
    if comment:
        lines.append(comment)
    return "\n".join(lines)


def render_note(name: str, rows: Iterable[dict[str, Any]]) -> str:
    """The note the app writes for one file's annotations, in page and position order."""
    ordered = sorted(rows, key=lambda r: (r["page"], r["position"], r["ident"]))
    parts = [f"Highlights from {visible(name)}"] + [excerpt(r["page"], r["quote"], r["comment"]) for r in ordered]
    return "\n\n".join(parts)


def _excerpts(rows: Iterable[dict[str, Any]]) -> list[str]:
    ordered = sorted(rows, key=lambda r: (r["page"], r["position"], r["ident"]))
    return [excerpt(r["page"], r["quote"], r["comment"]) for r in ordered]


def _appended(text: str, additions: Sequence[str]) -> str:
    """``text`` exactly as it is, then the new excerpts after a blank line."""
    gap = "" if text.endswith("\n\n") or not text else ("\n" if text.endswith("\n") else "\n\n")
    return text + gap + "\n\n".join(additions)


# --- The write: one operation per file ------------------------------------------------


@dataclass(frozen=True)
class _State:
    """Everything :class:`StoreText` changes for one attachment, to put it back."""

    attachment_id: int
    paper_id: int
    text_state: str
    text_error: str | None
    pages: int | None
    note_id: int | None
    note_text: str | None
    body: str | None
    annotations: tuple[dict[str, Any], ...]
    #: The note ``note_id`` names, as it was (None: none, or deleted by the user).
    note: Note | None = field(compare=False)


def _capture(conn: Connection, attachment_id: int) -> _State:
    row = conn.execute(select(AT).where(AT.c.id == attachment_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"no attached file with id {attachment_id}")
    annotations = tuple(
        dict(r._mapping)
        for r in conn.execute(select(PA).where(PA.c.attachment_id == attachment_id).order_by(PA.c.ident))
    )
    note = None
    if row.note_id is not None:
        found = conn.execute(select(N).where(N.c.id == row.note_id)).one_or_none()
        if found is not None:
            note = Note(found.id, found.paper_id, found.text, found.created_at, found.updated_at)
    return _State(
        attachment_id,
        row.paper_id,
        row.text_state,
        row.text_error,
        row.pages,
        row.note_id if note is not None else None,
        row.note_text,
        db.pdf_fts_body(conn, attachment_id),
        annotations,
        note,
    )


def _put(conn: Connection, state: _State, current: _State) -> bool:
    """Write ``state`` over ``current``; True when a note changed."""
    conn.execute(
        update(AT)
        .where(AT.c.id == state.attachment_id)
        .values(text_state=state.text_state, text_error=state.text_error, pages=state.pages, note_text=state.note_text)
    )
    if state.body != current.body:
        db.pdf_fts_put(conn, state.attachment_id, state.body)
    if state.annotations != current.annotations:
        conn.execute(delete(PA).where(PA.c.attachment_id == state.attachment_id))
        if state.annotations:
            conn.execute(insert(PA), [dict(a) for a in state.annotations])
    note_changed = False
    if current.note is not None and (state.note is None or state.note.id != current.note.id):
        conn.execute(delete(N).where(N.c.id == current.note.id))  # a note this operation had written
        note_changed = True
    if state.note is not None:
        note = state.note
        if current.note is not None and current.note.id == note.id:
            if current.note.text != note.text:
                conn.execute(update(N).where(N.c.id == note.id).values(text=note.text, updated_at=note.updated))
                note_changed = True
        else:
            conn.execute(
                insert(N).values(
                    id=note.id, paper_id=note.paper_id, text=note.text, created_at=note.created, updated_at=note.updated
                )
            )
            note_changed = True
    conn.execute(update(AT).where(AT.c.id == state.attachment_id).values(note_id=state.note_id))
    if note_changed:
        db.reindex(conn, [state.paper_id])
    return note_changed


@dataclass(frozen=True)
class RestoreText(Operation):
    """Put an attachment's text, annotations and annotation note back as they were (undo of :class:`StoreText`)."""

    state: _State = field(compare=False)

    @property
    def label(self) -> str:
        return "Read a PDF's text"

    def apply(self, conn: Connection) -> Outcome:
        current = _capture(conn, self.state.attachment_id)
        notes = _put(conn, self.state, current)
        return Outcome(Changes(papers=frozenset({current.paper_id}), notes=notes), RestoreText(current))


@dataclass(frozen=True)
class StoreText(Operation):
    """Write what was read from one attached file (``content``), or why it could not be read (``error``).

    The result is an :class:`IndexResult`.
    """

    attachment_id: int
    content: PdfContent | None = field(compare=False)
    error: str | None = None
    #: The hash of the file that was read: if the attachment holds another file now, nothing is written.
    sha256: str | None = None

    @property
    def label(self) -> str:
        return "Read a PDF's text"

    def apply(self, conn: Connection) -> Outcome:
        current = _capture(conn, self.attachment_id)
        name, sha256 = conn.execute(select(AT.c.name, AT.c.sha256).where(AT.c.id == self.attachment_id)).one()
        if self.sha256 is not None and sha256 != self.sha256:
            raise NotFoundError(f"{name}: the file changed while it was read; it will be read again")
        content = self.content
        if content is None or self.error is not None:
            error = self.error or "could not read"
            wanted = _State(
                current.attachment_id,
                current.paper_id,
                "failed",
                error,
                current.pages,
                current.note_id,
                current.note_text,
                None,
                current.annotations,
                current.note,
            )
            notes = _put(conn, wanted, current)
            result = IndexResult(current.attachment_id, current.paper_id, name, "failed", error)
            return Outcome(Changes(papers=frozenset({current.paper_id}), notes=notes), RestoreText(current), result)
        rows = _annotation_rows(self.attachment_id, content)
        note, note_text = _note_for(current, name, rows)
        cut = cut_note(content)
        wanted = _State(
            current.attachment_id,
            current.paper_id,
            "done",
            cut,
            content.page_count,
            note.id if note is not None else None,
            note_text,
            _body(content.pages),
            rows,
            note,
        )
        if note is not None and note.id == 0:  # a new note: its id comes from the insert
            note_id = _new_note_id(conn)
            note = Note(note_id, note.paper_id, note.text, note.created, note.updated)
            wanted = _with_note(wanted, note)
        notes = _put(conn, wanted, current)
        result = IndexResult(
            current.attachment_id,
            current.paper_id,
            name,
            "done",
            None,
            content.page_count,
            len(rows),
            wanted.note_id,
            cut,
        )
        return Outcome(Changes(papers=frozenset({current.paper_id}), notes=notes), RestoreText(current), result)


def _with_note(state: _State, note: Note) -> _State:
    return _State(
        state.attachment_id,
        state.paper_id,
        state.text_state,
        state.text_error,
        state.pages,
        note.id,
        state.note_text,
        state.body,
        state.annotations,
        note,
    )


def _new_note_id(conn: Connection) -> int:
    from sqlalchemy import func

    return int(conn.execute(select(func.coalesce(func.max(N.c.id), 0) + 1)).scalar_one())


def _annotation_rows(attachment_id: int, content: PdfContent) -> tuple[dict[str, Any], ...]:
    rows: dict[str, dict[str, Any]] = {}
    for a in content.annotations:
        rows.setdefault(
            a.ident,
            {
                "attachment_id": attachment_id,
                "ident": a.ident,
                "page": a.page,
                "position": float(a.position),
                "kind": a.kind,
                "quote": a.quote,
                "comment": a.comment,
                "author": a.author,
                "modified": a.modified,
            },
        )
    return tuple(rows[ident] for ident in sorted(rows))


def _note_for(current: _State, name: str, rows: tuple[dict[str, Any], ...]) -> tuple[Note | None, str | None]:
    """The annotation note after this read, and the text the app wrote into it.

    - no note yet (or the user deleted it): a new one, if there is anything to write;
    - the note as the app last wrote it, holding nothing but the old annotations: rewritten;
    - a note the user has edited: kept as it is, with the new or changed excerpts added at its end.
    """
    stamp = now()
    note = current.note
    if note is None:
        if not rows:
            return None, None
        text = render_note(name, rows)
        return Note(0, current.paper_id, text, stamp, stamp), text
    untouched = note.text == current.note_text
    if untouched and note.text == render_note(name, current.annotations):
        text = render_note(name, rows)
    else:
        before = set(_excerpts(current.annotations))
        additions = [e for e in _excerpts(rows) if e not in before and e not in note.text]
        if not additions:
            return note, current.note_text
        text = _appended(note.text, additions)
    if text == note.text:
        return note, current.note_text
    return Note(note.id, note.paper_id, text, note.created, stamp), text


# --- Reading it back --------------------------------------------------------------------


def annotations_of(library: Library, paper_id: int) -> list[PdfAnnotation]:
    """The annotations read from a paper's PDFs, file by file, in page and position order."""
    statement = (
        select(
            AT.c.id,
            AT.c.name,
            PA.c.page,
            PA.c.kind,
            PA.c.quote,
            PA.c.comment,
            PA.c.author,
            PA.c.modified,
            PA.c.position,
        )
        .select_from(PA.join(AT, AT.c.id == PA.c.attachment_id))
        .where(AT.c.paper_id == paper_id)
        .order_by(AT.c.id, PA.c.page, PA.c.position, PA.c.ident)
    )
    with db.read(library.engine) as conn:
        return [PdfAnnotation(*row) for row in conn.execute(statement)]


def pdf_hits(library: Library, query: str, paper_ids: Iterable[int]) -> dict[int, PdfHit]:
    """Where the query's words are in these papers' PDFs: the first match's page and the text around it.

    Papers whose PDFs hold none of the words are left out. Meant for the
    papers on screen (or printed): each matching PDF's text is read whole.
    """
    try:
        words = search.plan(query).words
    except search.QueryError:
        return {}
    ids = list(paper_ids)
    if not words or not ids:
        return {}
    hits: dict[int, PdfHit] = {}
    with db.read(library.engine) as conn:
        try:
            found = db.pdf_highlights(conn, " OR ".join(words), ids)
        except PapershelfError:
            return {}
    for paper_id, attachment_id, marked in found:
        if paper_id in hits:
            continue
        hit = _hit(marked, attachment_id)
        if hit is not None:
            hits[paper_id] = hit
    return hits


def _hit(marked: str, attachment_id: int) -> PdfHit | None:
    """The first match's page (1 + the page breaks before it) and its words around it, cut at spaces."""
    start = marked.find(db.PDF_MARK_START)
    if start < 0:
        return None
    end = marked.find(db.PDF_MARK_END, start)
    end = len(marked) if end < 0 else end
    page = 1 + marked.count("\f", 0, start)
    page_start = marked.rfind("\f", 0, start) + 1
    page_end = marked.find("\f", end)
    page_end = len(marked) if page_end < 0 else page_end
    left = max(page_start, start - SNIPPET_BEFORE)
    right = min(page_end, max(end, start + SNIPPET_AFTER))
    if left > page_start:
        space = marked.find(" ", left, start)
        left = space + 1 if space >= 0 else left
    if right < page_end:
        space = marked.rfind(" ", end, right)
        right = space if space >= 0 else right
    piece = marked[left:right].replace(db.PDF_MARK_START, "").replace(db.PDF_MARK_END, "")
    snippet = " ".join(piece.split())
    return PdfHit(page, ("…" if left > page_start else "") + snippet + ("…" if right < page_end else ""), attachment_id)


__all__ = [
    "IndexResult",
    "PdfAnnotation",
    "PdfHit",
    "RestoreText",
    "StoreText",
    "annotations_of",
    "cut_note",
    "excerpt",
    "index_pending",
    "pdf_hits",
    "render_note",
]
