"""Binding a reading list, tag or saved search to a live file ("keep updated"), and removing the binding.

The file checks (a folder, a FIFO, the library itself) happen before the
operation is made, in :func:`papershelf.core.autoexport.prepare`; these
operations only change the ``autoexport`` table, so binding and unbinding are
one transaction each and undo like any other change.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from .. import db
from ..errors import ConflictError, NotFoundError, PapershelfError
from ..schema import AE, RL, SS, T
from .base import Changes, Operation, Outcome, now

KINDS = ("list", "tag", "search")
#: What each kind is called in a message.
KIND_NAMES = {"list": "reading list", "tag": "tag", "search": "saved search"}


def source_name(conn: Connection, kind: str, name: str) -> str:
    """The list's, tag's or saved search's name as the library spells it; NotFoundError if there is none."""
    table = {"list": RL, "tag": T, "search": SS}.get(kind)
    if table is None:
        raise PapershelfError(f"unknown kind {kind!r} of live file (use {', '.join(KINDS)})")
    cleaned = " ".join(name.split())
    # The name columns compare without case (NOCASE), as the search filters do.
    found = conn.execute(select(table.c.name).where(table.c.name == cleaned)).scalar()
    if found is None:
        raise NotFoundError(f"no {KIND_NAMES[kind]} named {cleaned!r}")
    return str(found)


def same_file(a: str, b: str) -> bool:
    """Whether two bound paths name one file: the same file when both exist, the same resolved path otherwise.

    A relative spelling, a ``..`` detour, a symlink and its target are all
    one file, which two bindings would fight over. Only ``os.stat``: nothing
    is opened.
    """
    if a == b:
        return True
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def binding_of_file(conn: Connection, path: str) -> Any:
    """The binding row that writes ``path``'s file (by any spelling of it), or None."""
    rows = conn.execute(select(AE).order_by(AE.c.id)).all()
    exact = [row for row in rows if row.path == path]
    if exact:
        return exact[0]
    return next((row for row in rows if same_file(row.path, path)), None)


def drop_bindings(conn: Connection, kind: str, name: str) -> list[Operation]:
    """Remove the bindings of a list or saved search being deleted; the operations that put them back.

    Deleting a list takes its live files along (the files stay as they
    are), so a new list of the same name does not silently adopt the old
    file and empty it; undoing the delete brings the bindings back.
    """
    rows = conn.execute(select(AE).where(AE.c.kind == kind, db.nocase(AE.c.name) == name)).all()
    if rows:
        conn.execute(delete(AE).where(AE.c.id.in_([row.id for row in rows])))
    return [_restore(row._mapping) for row in rows]


def _changes(kind: str) -> Changes:
    """The sidebar section that shows a binding of this kind."""
    return Changes(lists=kind == "list", tags=kind == "tag", saved_searches=kind == "search")


@dataclass(frozen=True)
class Bind(Operation):
    """Keep ``path`` updated with a list, tag or saved search in ``format``; the result is the binding's id.

    Binding a path bound to the same list, tag or search again changes its
    format and options (running the same ``export --keep-updated`` twice is
    not an error); a path bound to something else is refused, so one command
    never silently takes over a file another binding writes.
    """

    kind: str
    name: str
    #: Absolute, ``~`` expanded, links not resolved (writes go through them).
    path: str
    format: str
    options: dict[str, Any] = field(default_factory=dict)
    #: Undoing an unbind puts the row back as it was.
    id: int | None = None
    created: dt.datetime | None = None
    written: dt.datetime | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"Keep {self.path} updated"

    def apply(self, conn: Connection) -> Outcome:
        # Putting a removed binding back (undo) does not ask for its list: it may be gone, as it was then.
        name = self.name if self.created is not None else source_name(conn, self.kind, self.name)
        old = binding_of_file(conn, self.path)
        if old is not None and (old.kind, old.name.casefold()) != (self.kind, name.casefold()):
            raise ConflictError(conflict(self.path, old.kind, old.name, old.id))
        values: dict[str, object] = {
            "kind": self.kind,
            "name": name,
            "format": self.format,
            "options": dict(self.options),
        }
        if self.created is not None:  # putting a row back: its state too
            values.update(written_at=self.written, error=self.error)
        elif self.written is not None:  # the caller has just written the file
            values.update(written_at=self.written, error=None)
        if old is not None:
            conn.execute(update(AE).where(AE.c.id == old.id).values(**values))
            inverse: Operation = _restore(old._mapping)
            return Outcome(_changes(self.kind), inverse, old.id)
        row = {**values, "path": self.path, "created_at": self.created or now()}
        if self.id is not None and conn.execute(select(AE.c.id).where(AE.c.id == self.id)).first() is None:
            row["id"] = self.id
        new_id = conn.execute(insert(AE).values(**row).returning(AE.c.id)).scalar_one()
        return Outcome(_changes(self.kind), Unbind(self.path), new_id)


@dataclass(frozen=True)
class Unbind(Operation):
    """Stop keeping ``path`` updated (the file stays as it is); the result is the removed binding's id."""

    path: str

    @property
    def label(self) -> str:
        return f"Stop keeping {self.path} updated"

    def apply(self, conn: Connection) -> Outcome:
        old = conn.execute(select(AE).where(AE.c.path == self.path)).first()
        if old is None:
            raise NotFoundError(f"{self.path} is not kept updated")
        conn.execute(delete(AE).where(AE.c.id == old.id))
        return Outcome(_changes(old.kind), _restore(old._mapping), old.id)


#: How to free a file bound to something else: the CLI's command (the app says its sidebar's menu item).
REMOVE_HINT = "remove that first (papershelf autoexport remove {id})"


def conflict(path: str, kind: str, name: str, binding_id: int, hint: str = REMOVE_HINT) -> str:
    """The one-line refusal for a file another list, tag or search keeps updated."""
    how = hint.format(id=binding_id, name=os.path.basename(path), source=f"{KIND_NAMES[kind]} {name!r}")
    return f"{path} is already kept updated from the {KIND_NAMES[kind]} {name!r}; {how}"


def _restore(row: Any) -> Bind:
    """The Bind that puts a binding row back exactly."""
    return Bind(
        row["kind"],
        row["name"],
        row["path"],
        row["format"],
        dict(row["options"] or {}),
        id=row["id"],
        created=row["created_at"],
        written=row["written_at"],
        error=row["error"],
    )
