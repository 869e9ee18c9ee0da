"""Every change to a library as an operation: one transaction, what it changed, and how to undo it.

An operation is a small immutable value that applies itself inside one write
transaction (:meth:`Library.run`). Applying it returns an :class:`Outcome`:
the :class:`Changes` the views refresh from, a result for the caller, and the
*inverse*, another operation that puts everything back exactly. Undo applies
the inverse; redo applies the inverse's inverse. Each is again one
transaction, so a crash in the middle of an undo leaves the library as it was
before or after, never half way.

Anki's ``CollectionOp``/``OpChanges`` is the model. The CLI and the GUI both
change the library only through these operations; the GUI runs them on a
worker thread (``gui/operations.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from sqlalchemy import Connection, Result, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import db, search
from .errors import ConflictError, NotFoundError, PapershelfError
from .exporters import citekeys
from .records import STATUSES, Note
from .schema import LE, PT, RL, SS, A, N, P, S, T


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def papers(n: int) -> str:
    """'1 paper', '3 papers'."""
    return f"{n} paper{'s' if n != 1 else ''}"


# --- What an operation changed ----------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """What an operation changed, so each view refreshes only what it shows."""

    #: Papers whose row, tags, notes or list places changed, or that came back.
    papers: frozenset[int] = frozenset()
    #: Papers that no longer exist.
    removed: frozenset[int] = frozenset()
    #: Papers that exist again (a delete undone), so lists of papers must be read again.
    added: frozenset[int] = frozenset()
    tags: bool = False
    lists: bool = False
    saved_searches: bool = False
    #: The status counts (Unread, Reading, Read) in the sidebar.
    statuses: bool = False
    notes: bool = False

    @property
    def sidebar(self) -> bool:
        """Whether any count or name in the sidebar may have moved."""
        return self.tags or self.lists or self.saved_searches or self.statuses or bool(self.removed or self.added)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            papers=(self.papers | other.papers) - other.removed,
            removed=(self.removed - other.added) | other.removed,
            added=(self.added - other.removed) | other.added,
            tags=self.tags or other.tags,
            lists=self.lists or other.lists,
            saved_searches=self.saved_searches or other.saved_searches,
            statuses=self.statuses or other.statuses,
            notes=self.notes or other.notes,
        )


@dataclass(frozen=True)
class Outcome:
    """What applying an operation did: the changes, the inverse, and a result for the caller."""

    changes: Changes
    inverse: Operation
    #: Whatever the caller asked for: a new note's id, tag names nobody had, how many were added.
    result: Any = None


class Operation:
    """One change, applied in the caller's write transaction by :meth:`apply`."""

    @property
    def label(self) -> str:
        """What the change is, for the Undo menu ("Mark 3 papers read")."""
        raise NotImplementedError

    def apply(self, conn: Connection) -> Outcome:
        raise NotImplementedError


# --- Shared checks ------------------------------------------------------------------


def require(conn: Connection, ids: Iterable[int]) -> list[int]:
    """The ids without repeats; refuse none, or any that does not exist."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise PapershelfError("no papers given")
    found = set(conn.execute(select(P.c.id).where(P.c.id.in_(wanted))).scalars())
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        raise NotFoundError(f"no paper with id {missing[0]}")
    return wanted


def clean_tag(tag: str) -> str:
    name = " ".join(tag.split())
    if not name:
        raise PapershelfError("a tag cannot be empty")
    if len(name) > 100:
        raise PapershelfError(f"tag {name[:20]!r}…: longer than 100 characters")
    return name


def ensure_tags(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Tag ids by case-folded name, creating missing tags with the spelling given."""
    cleaned = {clean_tag(n) for n in names}
    if not cleaned:
        return {}
    conn.execute(sqlite_insert(T).on_conflict_do_nothing(), [{"name": n} for n in sorted(cleaned)])
    rows = conn.execute(select(T.c.id, T.c.name).where(T.c.name.in_(cleaned)))
    return {name.casefold(): tid for tid, name in rows}


def drop_unused_tags(conn: Connection) -> None:
    """A tag no paper carries any more disappears from the sidebar."""
    conn.execute(delete(T).where(T.c.id.not_in(select(PT.c.tag_id))))


def clean_list_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PapershelfError("a reading list needs a name")
    return name


def list_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(RL.c.id).where(RL.c.name == " ".join(name.split()))).scalar()
    if found is None:
        raise NotFoundError(f"no reading list named {name!r}")
    return int(found)


def _tuples(result: Result[Any]) -> tuple[Any, ...]:
    """Rows as plain tuples, to keep in an inverse long after the connection is gone."""
    return tuple(tuple(row) for row in result)


def _tag_pairs(conn: Connection, ids: Sequence[int]) -> set[tuple[int, str]]:
    rows = conn.execute(
        select(PT.c.paper_id, T.c.name).join(T, T.c.id == PT.c.tag_id).where(PT.c.paper_id.in_(list(ids)))
    )
    return {(pid, name) for pid, name in rows}


# --- Grouping -------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch(Operation):
    """Several operations as one change (one transaction, one undo step)."""

    steps: tuple[Operation, ...]
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or "; ".join(step.label for step in self.steps)

    def apply(self, conn: Connection) -> Outcome:
        changes = Changes()
        inverses: list[Operation] = []
        results = []
        for step in self.steps:
            outcome = step.apply(conn)
            changes |= outcome.changes
            inverses.append(outcome.inverse)
            results.append(outcome.result)
        return Outcome(changes, Batch(tuple(reversed(inverses)), self.label), results)


# --- Status and priority -------------------------------------------------------------


@dataclass(frozen=True)
class SetStatus(Operation):
    ids: tuple[int, ...]
    status: str

    @property
    def label(self) -> str:
        return f"Mark {papers(len(set(self.ids)))} {self.status}"

    def apply(self, conn: Connection) -> Outcome:
        if self.status not in STATUSES:
            raise PapershelfError(f"unknown status {self.status!r}: use unread, reading or read")
        ids = require(conn, self.ids)
        before = _tuples(conn.execute(select(P.c.id, P.c.status, P.c.read_at).where(P.c.id.in_(ids))))
        # Marking a read paper read again keeps the day it was first read.
        read_at = case((P.c.status == "read", P.c.read_at), else_=now()) if self.status == "read" else None
        conn.execute(update(P).where(P.c.id.in_(ids)).values(status=self.status, read_at=read_at))
        return Outcome(Changes(papers=frozenset(ids), statuses=True), RestoreStatus(before, self.label))


@dataclass(frozen=True)
class RestoreStatus(Operation):
    """Put back exact (id, status, read_at) triples."""

    states: tuple[tuple[int, str, dt.datetime | None], ...]
    of: str = ""

    @property
    def label(self) -> str:
        return self.of or f"Restore the status of {papers(len(self.states))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, [pid for pid, _, _ in self.states])
        before = _tuples(conn.execute(select(P.c.id, P.c.status, P.c.read_at).where(P.c.id.in_(ids))))
        conn.execute(
            update(P).where(P.c.id == bindparam("pid")).values(status=bindparam("new_status"), read_at=bindparam("at")),
            [{"pid": pid, "new_status": status, "at": read_at} for pid, status, read_at in self.states],
        )
        return Outcome(Changes(papers=frozenset(ids), statuses=True), RestoreStatus(before, self.label))


@dataclass(frozen=True)
class SetPriority(Operation):
    ids: tuple[int, ...]
    priority: int

    @property
    def label(self) -> str:
        what = f"priority {self.priority}" if self.priority else "no priority"
        return f"Set {papers(len(set(self.ids)))} to {what}"

    def apply(self, conn: Connection) -> Outcome:
        if not 0 <= self.priority <= 3:
            raise PapershelfError(f"priority {self.priority}: use 0 (none) to 3 (highest)")
        ids = require(conn, self.ids)
        before = _tuples(conn.execute(select(P.c.id, P.c.priority).where(P.c.id.in_(ids))))
        conn.execute(update(P).where(P.c.id.in_(ids)).values(priority=self.priority))
        return Outcome(Changes(papers=frozenset(ids)), RestorePriority(before, self.label))


@dataclass(frozen=True)
class RestorePriority(Operation):
    pairs: tuple[tuple[int, int], ...]
    of: str = ""

    @property
    def label(self) -> str:
        return self.of or f"Restore the priority of {papers(len(self.pairs))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, [pid for pid, _ in self.pairs])
        before = _tuples(conn.execute(select(P.c.id, P.c.priority).where(P.c.id.in_(ids))))
        conn.execute(
            update(P).where(P.c.id == bindparam("pid")).values(priority=bindparam("new_priority")),
            [{"pid": pid, "new_priority": priority} for pid, priority in self.pairs],
        )
        return Outcome(Changes(papers=frozenset(ids)), RestorePriority(before, self.label))


# --- Tags -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddTags(Operation):
    ids: tuple[int, ...]
    tags: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"Tag {papers(len(set(self.ids)))} with {', '.join(self.tags)}"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, self.ids)
        names = [clean_tag(t) for t in self.tags]
        before = _tag_pairs(conn, ids)
        tag_ids = ensure_tags(conn, names)
        conn.execute(
            sqlite_insert(PT).on_conflict_do_nothing(),
            [{"paper_id": pid, "tag_id": tid} for pid in ids for tid in tag_ids.values()],
        )
        added = tuple(sorted(_tag_pairs(conn, ids) - before))
        db.reindex(conn, ids)
        return Outcome(Changes(papers=frozenset(ids), tags=True), UntagPairs(added, self.label))


@dataclass(frozen=True)
class RemoveTags(Operation):
    """Remove tags (compared without case); the result is the names none of the papers had."""

    ids: tuple[int, ...]
    tags: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"Remove {', '.join(self.tags)} from {papers(len(set(self.ids)))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, self.ids)
        names = list(dict.fromkeys(clean_tag(t) for t in self.tags))
        wanted = {n.casefold() for n in names}
        removed = tuple(sorted((pid, name) for pid, name in _tag_pairs(conn, ids) if name.casefold() in wanted))
        outcome = UntagPairs(removed, self.label).apply(conn)
        present = {name.casefold() for _, name in removed}
        missing = [name for name in names if name.casefold() not in present]
        return Outcome(Changes(papers=frozenset(ids), tags=True), outcome.inverse, missing)


@dataclass(frozen=True)
class TagPairs(Operation):
    """Give each paper its tag, spelled as given (the inverse of :class:`UntagPairs`)."""

    pairs: tuple[tuple[int, str], ...]
    of: str = ""

    @property
    def label(self) -> str:
        return self.of or f"Tag {papers(len({pid for pid, _ in self.pairs}))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = list(dict.fromkeys(pid for pid, _ in self.pairs))
        if ids:
            require(conn, ids)
        before = _tag_pairs(conn, ids)
        tag_ids = ensure_tags(conn, {name for _, name in self.pairs})
        if self.pairs:
            conn.execute(
                sqlite_insert(PT).on_conflict_do_nothing(),
                [{"paper_id": pid, "tag_id": tag_ids[name.casefold()]} for pid, name in self.pairs],
            )
        added = tuple(sorted(_tag_pairs(conn, ids) - before))
        db.reindex(conn, ids)
        return Outcome(Changes(papers=frozenset(ids), tags=True), UntagPairs(added, self.label))


@dataclass(frozen=True)
class UntagPairs(Operation):
    """Take each paper's tag off (the inverse of :class:`TagPairs`)."""

    pairs: tuple[tuple[int, str], ...]
    of: str = ""

    @property
    def label(self) -> str:
        return self.of or f"Untag {papers(len({pid for pid, _ in self.pairs}))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = list(dict.fromkeys(pid for pid, _ in self.pairs))
        present = _tag_pairs(conn, ids)
        wanted = {(pid, name.casefold()) for pid, name in self.pairs}
        removed = tuple(sorted((pid, name) for pid, name in present if (pid, name.casefold()) in wanted))
        if removed:
            names = sorted({name for _, name in removed})
            tag_of = dict(_tuples(conn.execute(select(T.c.name, T.c.id).where(T.c.name.in_(names)))))
            conn.execute(
                delete(PT).where(PT.c.paper_id == bindparam("pid"), PT.c.tag_id == bindparam("tid")),
                [{"pid": pid, "tid": tag_of[name]} for pid, name in removed],
            )
        drop_unused_tags(conn)
        db.reindex(conn, ids)
        return Outcome(Changes(papers=frozenset(ids), tags=True), TagPairs(removed, self.label))


# --- Citation key and title ------------------------------------------------------------


@dataclass(frozen=True)
class SetCitationKey(Operation):
    paper_id: int
    key: str
    #: Undo puts back whatever key the paper had, even one Papershelf would not let a user type.
    check: bool = True

    @property
    def label(self) -> str:
        return f"Set the citation key to {self.key}"

    def apply(self, conn: Connection) -> Outcome:
        key = self.key.strip() if self.check else self.key
        if self.check and not citekeys.is_valid_user_key(key):
            raise PapershelfError(
                f"citation key {key!r}: use letters, digits and - _ : . / +, starting with a letter or digit"
            )
        require(conn, [self.paper_id])
        clash = conn.execute(
            select(P.c.id).where(func.lower(P.c.citation_key) == key.lower(), P.c.id != self.paper_id)
        ).scalar()
        if clash is not None:
            raise ConflictError(f"citation key {key!r} is already used by paper {clash}")
        before = conn.execute(select(P.c.citation_key).where(P.c.id == self.paper_id)).scalar_one()
        conn.execute(update(P).where(P.c.id == self.paper_id).values(citation_key=key))
        return Outcome(Changes(papers=frozenset({self.paper_id})), SetCitationKey(self.paper_id, before, check=False))


@dataclass(frozen=True)
class SetTitle(Operation):
    paper_id: int
    title: str
    #: Whether the title counts as the user's own (an import then no longer replaces it).
    edited: bool = True

    @property
    def label(self) -> str:
        return "Edit the title"

    def apply(self, conn: Connection) -> Outcome:
        title = " ".join(self.title.split()) if self.edited else self.title
        if not title:
            raise PapershelfError("a title cannot be empty")
        require(conn, [self.paper_id])
        old, old_edited = conn.execute(select(P.c.title, P.c.title_edited).where(P.c.id == self.paper_id)).one()
        conn.execute(update(P).where(P.c.id == self.paper_id).values(title=title, title_edited=int(self.edited)))
        db.reindex(conn, [self.paper_id])
        return Outcome(Changes(papers=frozenset({self.paper_id})), SetTitle(self.paper_id, old, bool(old_edited)))


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


# --- Reading lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateList(Operation):
    name: str

    @property
    def label(self) -> str:
        return f"Create the reading list {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        name = clean_list_name(self.name)
        if conn.execute(select(RL.c.id).where(RL.c.name == name)).scalar() is not None:
            raise ConflictError(f"a reading list named {name!r} already exists")
        conn.execute(insert(RL).values(name=name, created_at=now()))
        return Outcome(Changes(lists=True), DeleteList(name))


@dataclass(frozen=True)
class RenameList(Operation):
    old: str
    new: str

    @property
    def label(self) -> str:
        return f"Rename the reading list {self.old} to {self.new}"

    def apply(self, conn: Connection) -> Outcome:
        new = clean_list_name(self.new)
        lid = list_id(conn, self.old)
        old = conn.execute(select(RL.c.name).where(RL.c.id == lid)).scalar_one()
        clash = conn.execute(select(RL.c.id).where(RL.c.name == new, RL.c.id != lid)).scalar()
        if clash is not None:
            raise ConflictError(f"a reading list named {new!r} already exists")
        conn.execute(update(RL).where(RL.c.id == lid).values(name=new))
        return Outcome(Changes(lists=True), RenameList(new, old))


@dataclass(frozen=True)
class DeleteList(Operation):
    """Delete a list, not its papers; the result is its paper ids in list order."""

    name: str

    @property
    def label(self) -> str:
        return f"Delete the reading list {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        lid = list_id(conn, self.name)
        name, created = conn.execute(select(RL.c.name, RL.c.created_at).where(RL.c.id == lid)).one()
        entries = _tuples(
            conn.execute(select(LE.c.paper_id, LE.c.position).where(LE.c.list_id == lid).order_by(LE.c.position))
        )
        conn.execute(delete(RL).where(RL.c.id == lid))
        members = [pid for pid, _ in entries]
        return Outcome(Changes(papers=frozenset(members), lists=True), RestoreList(name, created, entries), members)


@dataclass(frozen=True)
class RestoreList(Operation):
    """Bring a deleted list back with its creation time and its papers in their places."""

    name: str
    created: dt.datetime
    entries: tuple[tuple[int, int], ...]

    @property
    def label(self) -> str:
        return f"Delete the reading list {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        name = clean_list_name(self.name)
        if conn.execute(select(RL.c.id).where(RL.c.name == name)).scalar() is not None:
            raise ConflictError(f"a reading list named {name!r} already exists")
        conn.execute(insert(RL).values(name=name, created_at=self.created))
        outcome = RestoreEntries(name, self.entries).apply(conn)
        return Outcome(outcome.changes | Changes(lists=True), DeleteList(name))


@dataclass(frozen=True)
class AddToList(Operation):
    """Append papers to a list (those already in it stay where they are); the result is how many were added."""

    name: str
    ids: tuple[int, ...]
    #: Create the list if there is none by that name.
    create: bool = False

    @property
    def label(self) -> str:
        return f"Add {papers(len(set(self.ids)))} to {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, self.ids)
        name = clean_list_name(self.name)
        created = False
        if self.create and conn.execute(select(RL.c.id).where(RL.c.name == name)).scalar() is None:
            conn.execute(insert(RL).values(name=name, created_at=now()))
            created = True
        lid = list_id(conn, name)
        present = set(conn.execute(select(LE.c.paper_id).where(LE.c.list_id == lid)).scalars())
        position = conn.execute(
            select(func.coalesce(func.max(LE.c.position), 0)).where(LE.c.list_id == lid)
        ).scalar_one()
        rows = []
        for pid in ids:
            if pid not in present:
                position += 1
                rows.append({"list_id": lid, "paper_id": pid, "position": position})
        if rows:
            conn.execute(insert(LE), rows)
        added = tuple(row["paper_id"] for row in rows)
        inverse: Operation = DeleteList(name) if created else RemoveFromList(name, added)
        return Outcome(Changes(papers=frozenset(added), lists=True), inverse, len(rows))


@dataclass(frozen=True)
class RemoveFromList(Operation):
    """Take papers out of a list; the result is how many were in it."""

    name: str
    ids: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"Remove {papers(len(set(self.ids)))} from {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        lid = list_id(conn, self.name)
        name = conn.execute(select(RL.c.name).where(RL.c.id == lid)).scalar_one()
        wanted = list(dict.fromkeys(self.ids))
        entries = _tuples(
            conn.execute(
                select(LE.c.paper_id, LE.c.position)
                .where(LE.c.list_id == lid, LE.c.paper_id.in_(wanted))
                .order_by(LE.c.position)
            )
        )
        if entries:
            conn.execute(delete(LE).where(LE.c.list_id == lid, LE.c.paper_id.in_(wanted)))
        changed = frozenset(pid for pid, _ in entries)
        return Outcome(Changes(papers=changed, lists=True), RestoreEntries(name, entries), len(entries))


@dataclass(frozen=True)
class RestoreEntries(Operation):
    """Put papers back into a list at the places they had."""

    name: str
    entries: tuple[tuple[int, int], ...]

    @property
    def label(self) -> str:
        return f"Add {papers(len(self.entries))} to {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        lid = list_id(conn, self.name)
        if self.entries:
            require(conn, [pid for pid, _ in self.entries])
            conn.execute(insert(LE), [{"list_id": lid, "paper_id": pid, "position": pos} for pid, pos in self.entries])
        ids = tuple(pid for pid, _ in self.entries)
        return Outcome(Changes(papers=frozenset(ids), lists=True), RemoveFromList(self.name, ids), len(ids))


# --- Saved searches -------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveSearch(Operation):
    """Save a query under a name (replacing one of the same name)."""

    name: str
    query: str

    @property
    def label(self) -> str:
        return f"Save the search {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        name = " ".join(self.name.split())
        if not name:
            raise PapershelfError("a saved search needs a name")
        search.where_clause(self.query)  # refuse a query that cannot run
        old = conn.execute(select(SS.c.query).where(SS.c.name == name)).scalar()
        conn.execute(
            sqlite_insert(SS)
            .values(name=name, query=self.query)
            .on_conflict_do_update(index_elements=["name"], set_={"query": self.query})
        )
        inverse: Operation = DeleteSavedSearch(name) if old is None else SaveSearch(name, old)
        return Outcome(Changes(saved_searches=True), inverse)


@dataclass(frozen=True)
class DeleteSavedSearch(Operation):
    name: str

    @property
    def label(self) -> str:
        return f"Delete the saved search {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        old = conn.execute(select(SS.c.query).where(SS.c.name == self.name)).scalar()
        conn.execute(delete(SS).where(SS.c.name == self.name))
        inverse: Operation = Batch(()) if old is None else SaveSearch(self.name, old)
        return Outcome(Changes(saved_searches=True), inverse)


# --- Deleting and restoring papers --------------------------------------------------------------


def snapshot(conn: Connection, ids: Sequence[int]) -> dict[str, list[Any]]:
    """Everything the library holds about these papers, as plain rows."""
    ids = list(ids)
    return {
        "paper": [dict(r._mapping) for r in conn.execute(select(P).where(P.c.id.in_(ids)))],
        "paper_abstract": [dict(r._mapping) for r in conn.execute(select(A).where(A.c.paper_id.in_(ids)))],
        "note": [dict(r._mapping) for r in conn.execute(select(N).where(N.c.paper_id.in_(ids)))],
        "sighting": [dict(r._mapping) for r in conn.execute(select(S).where(S.c.paper_id.in_(ids)))],
        "tags": sorted(_tag_pairs(conn, ids)),
        "lists": [
            (pid, name, position)
            for pid, name, position in conn.execute(
                select(LE.c.paper_id, RL.c.name, LE.c.position)
                .join(RL, RL.c.id == LE.c.list_id)
                .where(LE.c.paper_id.in_(ids))
            )
        ],
    }


@dataclass(frozen=True)
class DeletePapers(Operation):
    """Delete papers with their notes, tags, list places and sightings; the result is the snapshot removed."""

    ids: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"Delete {papers(len(set(self.ids)))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, self.ids)
        removed = snapshot(conn, ids)
        # Notes, tags, list entries, sightings and the abstract go by cascade.
        conn.execute(delete(P).where(P.c.id.in_(ids)))
        drop_unused_tags(conn)
        db.reindex(conn, ids)
        changes = Changes(
            removed=frozenset(ids), tags=bool(removed["tags"]), lists=bool(removed["lists"]), statuses=True, notes=True
        )
        return Outcome(changes, RestorePapers(removed, self.label), removed)


@dataclass(frozen=True)
class RestorePapers(Operation):
    """Put back papers removed by :class:`DeletePapers`, with their ids and everything else."""

    removed: dict[str, list[Any]] = field(compare=False)
    of: str = ""

    @property
    def label(self) -> str:
        return self.of or f"Restore {papers(len(self.removed['paper']))}"

    def apply(self, conn: Connection) -> Outcome:
        rows = self.removed
        conn.execute(insert(P), rows["paper"])
        for table, key in ((A, "paper_abstract"), (N, "note"), (S, "sighting")):
            if rows[key]:
                conn.execute(insert(table), rows[key])
        if rows["tags"]:
            tag_ids = ensure_tags(conn, {name for _, name in rows["tags"]})
            conn.execute(
                insert(PT), [{"paper_id": pid, "tag_id": tag_ids[name.casefold()]} for pid, name in rows["tags"]]
            )
        for pid, name, position in rows["lists"]:
            if conn.execute(select(RL.c.id).where(RL.c.name == name)).scalar() is None:
                conn.execute(insert(RL).values(name=name, created_at=now()))
            conn.execute(insert(LE).values(list_id=list_id(conn, name), paper_id=pid, position=position))
        ids = tuple(row["id"] for row in rows["paper"])
        db.reindex(conn, ids)
        changes = Changes(
            papers=frozenset(ids),
            added=frozenset(ids),
            tags=bool(rows["tags"]),
            lists=bool(rows["lists"]),
            statuses=True,
            notes=True,
        )
        return Outcome(changes, DeletePapers(ids))


# --- Undoing an import -------------------------------------------------------------------------


@dataclass(frozen=True)
class PutRows(Operation):
    """Set papers' columns back to the values given (an import filled some in)."""

    rows: tuple[dict[str, Any], ...] = field(compare=False)

    @property
    def label(self) -> str:
        return f"Restore {papers(len(self.rows))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = [row["id"] for row in self.rows]
        if not ids:
            return Outcome(Changes(), PutRows(()))
        current = tuple(dict(r._mapping) for r in conn.execute(select(P).where(P.c.id.in_(ids))))
        for row in self.rows:
            conn.execute(update(P).where(P.c.id == row["id"]).values({k: v for k, v in row.items() if k != "id"}))
        db.reindex(conn, ids)
        return Outcome(Changes(papers=frozenset(ids)), PutRows(current))


@dataclass(frozen=True)
class SetAbstracts(Operation):
    """Give papers these abstracts; None takes a paper's abstract away."""

    pairs: tuple[tuple[int, str | None], ...] = field(compare=False)

    @property
    def label(self) -> str:
        return f"Restore the abstracts of {papers(len(self.pairs))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = [pid for pid, _ in self.pairs]
        if not ids:
            return Outcome(Changes(), SetAbstracts(()))
        had = dict(_tuples(conn.execute(select(A.c.paper_id, A.c.abstract).where(A.c.paper_id.in_(ids)))))
        conn.execute(delete(A).where(A.c.paper_id.in_(ids)))
        rows = [{"paper_id": pid, "abstract": text} for pid, text in self.pairs if text is not None]
        if rows:
            conn.execute(insert(A), rows)
        db.reindex(conn, ids)
        return Outcome(Changes(papers=frozenset(ids)), SetAbstracts(tuple((pid, had.get(pid)) for pid in ids)))


@dataclass(frozen=True)
class SetSightings(Operation):
    """Add sightings (full rows) and take others away (by paper, source and listing date)."""

    add: tuple[dict[str, Any], ...] = field(compare=False, default=())
    remove: tuple[tuple[int, str, dt.date], ...] = ()

    @property
    def label(self) -> str:
        return "Restore where papers were seen"

    def apply(self, conn: Connection) -> Outcome:
        removed: list[dict[str, Any]] = []
        for pid, source, day in self.remove:
            where = (S.c.paper_id == pid, S.c.source == source, S.c.listing_date == day)
            removed += [dict(r._mapping) for r in conn.execute(select(S).where(*where))]
            conn.execute(delete(S).where(*where))
        if self.add:
            conn.execute(insert(S), list(self.add))
        added = tuple((row["paper_id"], row["source"], row["listing_date"]) for row in self.add)
        ids = {pid for pid, _, _ in self.remove} | {pid for pid, _, _ in added}
        return Outcome(Changes(papers=frozenset(ids)), SetSightings(tuple(removed), added))


class ImportJournal:
    """What an import changed, gathered as it goes, so that it can be undone as one operation."""

    def __init__(self, name: str):
        self.name = name
        self.added: list[int] = []
        #: Rows of library papers as they were before the import first filled something in.
        self.rows: dict[int, dict[str, Any]] = {}
        #: Library papers that got an abstract from the import.
        self.abstracts: set[int] = set()
        #: Sightings the import added to library papers.
        self.sightings: list[tuple[int, str, dt.date]] = []

    def before_fill(self, conn: Connection, ids: Iterable[int]) -> None:
        """Remember the rows of library papers (not ones this import added) before they are filled in."""
        added = set(self.added)
        wanted = [pid for pid in ids if pid not in self.rows and pid not in added]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in conn.execute(select(P).where(P.c.id.in_(chunk))):
                self.rows[row.id] = dict(row._mapping)

    def inverse(self) -> Operation:
        """The operation that takes the import back out."""
        added = set(self.added)
        steps: list[Operation] = []
        if self.rows:
            steps.append(PutRows(tuple(self.rows.values())))
        if self.abstracts:
            steps.append(SetAbstracts(tuple((pid, None) for pid in sorted(self.abstracts))))
        sightings = tuple(s for s in self.sightings if s[0] not in added)
        if sightings:
            steps.append(SetSightings(remove=sightings))
        if self.added:
            steps.append(DeletePapers(tuple(self.added)))
        return Batch(tuple(steps), f"Import {PurePath(self.name).name or self.name}")
