"""Errors the user sees: each carries a one-line message naming the file and place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PapershelfError(Exception):
    """A problem the user can act on; its message is shown as is, without a traceback."""


class ListingError(PapershelfError):
    """An import file that cannot be read; nothing was written."""


class ExportError(PapershelfError):
    """An export that could not be written; any existing file is untouched."""


class LibraryError(PapershelfError):
    """The library file cannot be opened (newer schema, not a library, damaged)."""


class NotFoundError(PapershelfError):
    """An id, list, tag or note that does not exist."""


class ConflictError(PapershelfError):
    """A change that would break a uniqueness rule, such as a taken citation key."""


@dataclass(frozen=True)
class Clash:
    """One value two people changed differently: as the edit started, as the library has it now, as the user wrote it."""

    #: "text" for a note; a BibTeX field name ("title", "abstract", …) for a paper's field.
    field: str
    base: str
    #: None: the note was deleted meanwhile.
    theirs: str | None
    mine: str
    #: Both changes in one text (``textmerge.merge3``), or None when they changed the same lines.
    merged: str | None


class EditConflict(PapershelfError):
    """Someone else changed what the user was editing, differently: nothing was saved, and both versions are here.

    ``clashes`` holds every value in conflict (one for a note). ``base``,
    ``theirs``, ``mine`` and ``merged`` are the first clash's, which for a
    note is the whole story. ``what`` names the note or paper ("note 12 of
    paper 3"); ``paper_id`` and ``note_id`` say which (None where not known).
    """

    def __init__(self, what: str, clashes: Sequence[Clash], *, paper_id: int | None = None, note_id: int | None = None):
        if not clashes:
            raise ValueError("an edit conflict needs at least one clash")
        self.what = what
        self.clashes = tuple(clashes)
        self.paper_id = paper_id
        self.note_id = note_id
        first = self.clashes[0]
        self.base, self.theirs, self.mine, self.merged = first.base, first.theirs, first.mine, first.merged
        super().__init__(self._message())

    @property
    def deleted(self) -> bool:
        """The note was deleted by someone else while the user edited it."""
        return self.theirs is None

    def _message(self) -> str:
        if self.deleted:
            return f"{self.what} was deleted by someone else while you edited it; nothing was saved"
        if self.note_id is not None:
            return f"{self.what} was changed by someone else while you edited it; nothing was saved"
        names = [c.field for c in self.clashes]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb, it = ("was", "it") if len(names) == 1 else ("were", "them")
        return f"the {listed} of {self.what} {verb} changed by someone else while you edited {it}; nothing was saved"

    def __reduce__(self) -> tuple[object, ...]:
        return (_edit_conflict, (self.what, self.clashes, self.paper_id, self.note_id))


def _edit_conflict(what: str, clashes: Sequence[Clash], paper_id: int | None, note_id: int | None) -> EditConflict:
    return EditConflict(what, clashes, paper_id=paper_id, note_id=note_id)
