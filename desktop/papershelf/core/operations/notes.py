"""Operations on notes: add, edit, delete and put back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, update

from .. import db
from ..errors import NotFoundError
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
    note_id: int
    text: str
    #: Undo puts back the old time too; a new edit takes the time of day.
    updated: dt.datetime | None = None

    @property
    def label(self) -> str:
        return "Edit a note"

    def apply(self, conn: Connection) -> Outcome:
        row = conn.execute(select(N.c.paper_id, N.c.text, N.c.updated_at).where(N.c.id == self.note_id)).one_or_none()
        if row is None:
            raise NotFoundError(f"no note with id {self.note_id}")
        conn.execute(update(N).where(N.c.id == self.note_id).values(text=self.text, updated_at=self.updated or now()))
        db.reindex(conn, [row.paper_id])
        return Outcome(_note_changes(row.paper_id), UpdateNote(self.note_id, row.text, row.updated_at))


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
        note = Note(row.id, row.paper_id, row.text, row.created_at, row.updated_at)
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
                id=note.id, paper_id=note.paper_id, text=note.text, created_at=note.created, updated_at=note.updated
            )
        )
        db.reindex(conn, [note.paper_id])
        return Outcome(_note_changes(note.paper_id), DeleteNote(note.id))


def _note_changes(paper_id: int) -> Changes:
    return Changes(papers=frozenset({paper_id}), notes=True)
