"""Operations on notes: add, edit, delete and put back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, update

from .. import db, textmerge
from ..errors import Clash, EditConflict, NotFoundError
from ..records import Note
from ..schema import N
from .base import Changes, Operation, Outcome, now, require

# --- Notes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddNote(Operation):
    """Add a note; the result is its id."""

    paper_id: int
    text: str

    @property
    def label(self) -> str:
        return "Add a note"

    def apply(self, conn: Connection) -> Outcome:
        require(conn, [self.paper_id])
        stamp = now()
        note_id = conn.execute(
            insert(N)
            .values(paper_id=self.paper_id, text=self.text, created_at=stamp, updated_at=stamp)
            .returning(N.c.id)
        ).scalar_one()
        db.reindex(conn, [self.paper_id])
        return Outcome(_note_changes(self.paper_id), DeleteNote(note_id), note_id)


@dataclass(frozen=True)
class UpdateNote(Operation):
    """Give a note a new text.

    ``base``: the text the user started editing from. When given and the
    library's text is no longer it, someone else changed the note meanwhile:
    unless they wrote the very same text, nothing is written and
    :class:`EditConflict` carries both versions and their merge (a note deleted
    meanwhile is a conflict too, with ``theirs`` None). Without ``base`` the
    text is written whatever the note holds.
    """

    note_id: int
    text: str
    #: Undo puts back the old time too; a new edit takes the time of day.
    updated: dt.datetime | None = None
    base: str | None = None

    @property
    def label(self) -> str:
        return "Edit a note"

    def apply(self, conn: Connection) -> Outcome:
        row = conn.execute(select(N.c.paper_id, N.c.text, N.c.updated_at).where(N.c.id == self.note_id)).one_or_none()
        if row is None:
            if self.base is not None:
                raise EditConflict(
                    f"note {self.note_id}", [Clash("text", self.base, None, self.text, None)], note_id=self.note_id
                )
            raise NotFoundError(f"no note with id {self.note_id}")
        if self.base is not None and row.text not in (self.base, self.text):
            merged = textmerge.merge3(self.base, self.text, row.text)
            raise EditConflict(
                f"note {self.note_id} of paper {row.paper_id}",
                [Clash("text", self.base, row.text, self.text, merged)],
                paper_id=row.paper_id,
                note_id=self.note_id,
            )
        if self.base is not None and row.text == self.text:
            # Nothing to write: the note already says this (their edit was the same, or nothing was typed).
            return Outcome(Changes(), UpdateNote(self.note_id, row.text, row.updated_at, base=row.text))
        conn.execute(update(N).where(N.c.id == self.note_id).values(text=self.text, updated_at=self.updated or now()))
        db.reindex(conn, [row.paper_id])
        # An undo of an edit made against a base is checked the same way: it never overwrites a later edit.
        base = None if self.base is None else self.text
        return Outcome(_note_changes(row.paper_id), UpdateNote(self.note_id, row.text, row.updated_at, base=base))


@dataclass(frozen=True)
class DeleteNote(Operation):
    """Delete a note; the result is the :class:`Note` as it was."""

    note_id: int

    @property
    def label(self) -> str:
        return "Delete a note"

    def apply(self, conn: Connection) -> Outcome:
        row = conn.execute(select(N).where(N.c.id == self.note_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no note with id {self.note_id}")
        conn.execute(delete(N).where(N.c.id == self.note_id))
        db.reindex(conn, [row.paper_id])
        note = Note(row.id, row.paper_id, row.text, row.created_at, row.updated_at, row.version)
        return Outcome(_note_changes(row.paper_id), RestoreNote(note), note)


@dataclass(frozen=True)
class RestoreNote(Operation):
    """Put a deleted note back with its id and times."""

    note: Note = field(compare=False)

    @property
    def label(self) -> str:
        return "Delete a note"

    def apply(self, conn: Connection) -> Outcome:
        note = self.note
        require(conn, [note.paper_id])
        conn.execute(
            insert(N).values(
                id=note.id,
                paper_id=note.paper_id,
                text=note.text,
                created_at=note.created,
                updated_at=note.updated,
                version=note.version,
            )
        )
        db.reindex(conn, [note.paper_id])
        return Outcome(_note_changes(note.paper_id), DeleteNote(note.id))


def _note_changes(paper_id: int) -> Changes:
    return Changes(papers=frozenset({paper_id}), notes=True)
