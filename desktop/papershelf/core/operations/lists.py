"""Operations on reading lists and saved searches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from .. import db, search
from ..errors import ConflictError, PapershelfError
from ..schema import AE, LE, RL, SS
from .autoexport import drop_bindings
from .base import Batch, Changes, Operation, Outcome, clean_list_name, list_id, now, papers, plain_rows, require

# --- Reading lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateList(Operation):
    name: str

    @property
    def label(self) -> str:
        return f"Create the reading list {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        return RestoreList(self.name, now(), ()).apply(conn)


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
        # A live file bound to the list follows it (undo renames both back).
        conn.execute(update(AE).where(AE.c.kind == "list", db.nocase(AE.c.name) == old).values(name=new))
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
        entries = plain_rows(
            conn.execute(select(LE.c.paper_id, LE.c.position).where(LE.c.list_id == lid).order_by(LE.c.position))
        )
        conn.execute(delete(RL).where(RL.c.id == lid))
        # Its live files go with it (the files stay); a new list of this name starts unbound.
        rebind = drop_bindings(conn, "list", name)
        members = [pid for pid, _ in entries]
        inverse: Operation = RestoreList(name, created, entries)
        if rebind:
            inverse = Batch((inverse, *rebind), inverse.label)
        return Outcome(Changes(papers=frozenset(members), lists=True), inverse, members)


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
        entries = plain_rows(
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
    #: The row id to put it back under (undoing a delete), when that id is free.
    id: int | None = None

    @property
    def label(self) -> str:
        return f"Save the search {self.name}"

    def apply(self, conn: Connection) -> Outcome:
        name = " ".join(self.name.split())
        if not name:
            raise PapershelfError("a saved search needs a name")
        search.where_clause(self.query)  # refuse a query that cannot run
        old = conn.execute(select(SS.c.query).where(SS.c.name == name)).scalar()
        values: dict[str, object] = {"name": name, "query": self.query}
        if (
            self.id is not None
            and old is None
            and conn.execute(select(SS.c.id).where(SS.c.id == self.id)).first() is None
        ):
            values["id"] = self.id  # back in its place, before any saved since
        conn.execute(
            db.insert(conn, SS)
            .values(**values)
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
        row = conn.execute(select(SS.c.id, SS.c.query).where(SS.c.name == self.name)).first()
        conn.execute(delete(SS).where(SS.c.name == self.name))
        inverse: Operation = Batch(()) if row is None else SaveSearch(self.name, row.query, row.id)
        rebind = drop_bindings(conn, "search", self.name) if row is not None else []
        if rebind:  # its live files go with it, and come back with the undo
            inverse = Batch((inverse, *rebind), inverse.label)
        return Outcome(Changes(saved_searches=True), inverse)
