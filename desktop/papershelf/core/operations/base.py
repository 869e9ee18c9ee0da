"""What an operation is (Operation, Outcome, Changes), Batch, and the checks every operation shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Result, delete, select

from .. import db
from ..errors import ConflictError, NotFoundError, PapershelfError
from ..schema import PT, RL, P, T


def now() -> dt.datetime:
    """The time a change is stamped with: local, to the second (as the library has always stored it)."""
    return dt.datetime.now().replace(microsecond=0)


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
    conn.execute(db.insert(conn, T).on_conflict_do_nothing(), [{"name": n} for n in sorted(cleaned)])
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


def plain_rows(result: Result[Any]) -> tuple[Any, ...]:
    """Rows as plain tuples, to keep in an inverse long after the connection is gone."""
    return tuple(tuple(row) for row in result)


def tag_pairs(conn: Connection, ids: Sequence[int]) -> set[tuple[int, str]]:
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


# --- Undo only what it was made for ------------------------------------------------


@dataclass(frozen=True)
class Guarded(Operation):
    """An inverse that applies only to the very papers it was made for.

    SQLite gives a deleted paper's id to the next paper made, also by another
    program (the CLI deletes paper 2 and imports a new one, which becomes
    paper 2): undoing must then refuse, not change a paper the user never
    touched. Papers are told apart by their id and the moment they were added.
    """

    inner: Operation
    papers: tuple[tuple[int, dt.datetime], ...]

    @property
    def label(self) -> str:
        return self.inner.label

    def apply(self, conn: Connection) -> Outcome:
        found = fingerprints(conn, [pid for pid, _ in self.papers])
        for pid, added in self.papers:
            if found.get(pid) != added:
                raise ConflictError(
                    f"paper {pid} was deleted or replaced by another program since; this cannot be undone"
                )
        return self.inner.apply(conn)


def fingerprints(conn: Connection, ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Each existing paper's id with the moment it was added."""
    wanted = list(ids)
    found: dict[int, dt.datetime] = {}
    for start in range(0, len(wanted), 30_000):
        chunk = wanted[start : start + 30_000]
        found.update((pid, added) for pid, added in conn.execute(select(P.c.id, P.c.added_at).where(P.c.id.in_(chunk))))
    return found


def guarded(conn: Connection, outcome: Outcome) -> Outcome:
    """``outcome`` with its inverse made to refuse if the papers it touched are not the same ones any more."""
    ids = outcome.changes.papers - outcome.changes.removed
    stamps = fingerprints(conn, ids)
    inverse = Guarded(outcome.inverse, tuple(sorted(stamps.items())))
    return Outcome(outcome.changes, inverse, outcome.result)
