"""Undoing an import as one operation: the journal an import keeps, and the operations that put rows back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from .. import db
from ..schema import FD, A, P, S
from .base import Batch, Changes, Operation, Outcome, papers, plain_rows
from .complete import PutFieldSources, sources_of
from .papers import DeletePapers

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
        had = dict(plain_rows(conn.execute(select(A.c.paper_id, A.c.abstract).where(A.c.paper_id.in_(ids)))))
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


@dataclass(frozen=True)
class PutFetchedDay(Operation):
    """Set what the library remembers of fetching one day: a ``fetched_day`` row, or none."""

    day: dt.date
    row: dict[str, Any] | None = field(compare=False, default=None)

    @property
    def label(self) -> str:
        return f"Restore the fetch of {self.day.isoformat()}"

    def apply(self, conn: Connection) -> Outcome:
        found = conn.execute(select(FD).where(FD.c.day == self.day)).first()
        before = dict(found._mapping) if found is not None else None
        conn.execute(delete(FD).where(FD.c.day == self.day))
        if self.row is not None:
            conn.execute(insert(FD).values(**self.row))
        return Outcome(Changes(), PutFetchedDay(self.day, before))


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
        #: ``field_source`` rows of library papers before the import first filled them in.
        self.sources: dict[int, tuple[dict[str, Any], ...]] = {}
        #: The API day this import fetched, and its ``fetched_day`` row before (None: there was none).
        self.fetched: tuple[dt.date, dict[str, Any] | None] | None = None

    def before_fill(self, conn: Connection, ids: Iterable[int]) -> None:
        """Remember the rows of library papers (not ones this import added) before they are filled in."""
        added = set(self.added)
        wanted = [pid for pid in ids if pid not in self.rows and pid not in added]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in conn.execute(select(P).where(P.c.id.in_(chunk))):
                self.rows[row.id] = dict(row._mapping)
                self.sources[row.id] = ()
            for source in sources_of(conn, chunk):
                self.sources[source["paper_id"]] += (source,)

    def inverse(self) -> Operation:
        """The operation that takes the import back out."""
        added = set(self.added)
        steps: list[Operation] = []
        if self.rows:
            steps.append(PutRows(tuple(self.rows.values())))
            steps.append(PutFieldSources(tuple(self.sources), tuple(r for rows in self.sources.values() for r in rows)))
        if self.abstracts:
            steps.append(SetAbstracts(tuple((pid, None) for pid in sorted(self.abstracts))))
        sightings = tuple(s for s in self.sightings if s[0] not in added)
        if sightings:
            steps.append(SetSightings(remove=sightings))
        if self.added:
            steps.append(DeletePapers(tuple(self.added)))
        if self.fetched is not None:
            steps.append(PutFetchedDay(*self.fetched))  # undone, the day is offered again
        return Batch(tuple(steps), f"Import {PurePath(self.name).name or self.name}")
