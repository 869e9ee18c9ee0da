"""Completing papers from an online source: fill in what is missing, never overwrite, say who filled what.

A :class:`Completion` is what one source (the daily papers API, the arXiv API)
says about one paper. :class:`CompletePapers` applies many in one transaction:
a field is filled only while the paper has no value for it, each filled field
is recorded in ``field_source`` with the source and the time, and a key made
before the paper had authors becomes the author style once they arrive, unless
it is pinned (exported, copied, edited or imported). Its inverse puts every
row back as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from .. import db
from ..exporters import citekeys
from ..schema import FS, KA, A, P
from .base import Batch, Changes, Operation, Outcome, now, papers, require


@dataclass(frozen=True)
class Completion:
    """What one source says about one paper; empty values say nothing."""

    paper_id: int
    source: str
    arxiv_id: str | None = None
    authors: tuple[str, ...] = ()
    published: dt.date | None = None
    primary_class: str | None = None
    doi: str | None = None
    abstract: str | None = None
    code_urls: tuple[str, ...] = ()
    project_url: str | None = None
    url: str | None = None
    #: BibTeX fields the library does not model (journal, pages…): each filled in if the paper lacks it.
    extra: Mapping[str, str] = field(default_factory=dict)
    #: Facts that are not BibTeX fields (categories, journal_ref, comment, version): always the latest.
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PutFieldSources(Operation):
    """Give papers exactly these ``field_source`` rows (undoing a completion)."""

    ids: tuple[int, ...]
    rows: tuple[dict[str, Any], ...] = field(compare=False)

    @property
    def label(self) -> str:
        return f"Restore where the fields of {papers(len(self.ids))} came from"

    def apply(self, conn: Connection) -> Outcome:
        current = sources_of(conn, self.ids)
        conn.execute(delete(FS).where(FS.c.paper_id.in_(self.ids)))
        if self.rows:
            conn.execute(insert(FS), list(self.rows))
        return Outcome(Changes(papers=frozenset(self.ids)), PutFieldSources(self.ids, current))


def sources_of(conn: Connection, ids: Sequence[int]) -> tuple[dict[str, Any], ...]:
    return tuple(dict(r._mapping) for r in conn.execute(select(FS).where(FS.c.paper_id.in_(list(ids)))))


@dataclass(frozen=True)
class CompletePapers(Operation):
    """Fill in papers from completions; the result is how many papers gained something."""

    completions: tuple[Completion, ...] = field(compare=False)
    name: str = "Complete papers"

    @property
    def label(self) -> str:
        return self.name

    def apply(self, conn: Connection) -> Outcome:
        from .imports import PutRows, SetAbstracts  # imports.py builds on this module's neighbours

        ids = require(conn, [c.paper_id for c in self.completions])
        before = {r.id: dict(r._mapping) for r in conn.execute(select(P).where(P.c.id.in_(ids)))}
        sources_before = sources_of(conn, ids)
        had_abstract = set(conn.execute(select(A.c.paper_id).where(A.c.paper_id.in_(ids))).scalars())
        stamp = now()
        changed: set[int] = set()
        abstracts: list[int] = []
        for completion in self.completions:
            row = dict(before[completion.paper_id]) if completion.paper_id not in changed else _row(conn, completion)
            values, filled = fill_in(conn, row, completion)
            if completion.abstract and completion.paper_id not in had_abstract:
                conn.execute(insert(A).values(paper_id=completion.paper_id, abstract=completion.abstract))
                had_abstract.add(completion.paper_id)
                abstracts.append(completion.paper_id)
                filled.append("abstract")
            if values:
                conn.execute(update(P).where(P.c.id == completion.paper_id).values(**values))
            if filled or values:
                changed.add(completion.paper_id)
            record_sources(conn, completion.paper_id, filled, completion.source, stamp)
        if changed:
            db.reindex(conn, changed)
        steps: list[Operation] = [PutRows(tuple(before[pid] for pid in ids if pid in changed))]
        if abstracts:
            steps.append(SetAbstracts(tuple((pid, None) for pid in abstracts)))
        steps.append(PutFieldSources(tuple(ids), sources_before))
        return Outcome(Changes(papers=frozenset(changed)), Batch(tuple(steps), f"Undo: {self.name}"), len(changed))


def _row(conn: Connection, completion: Completion) -> dict[str, Any]:
    return dict(conn.execute(select(P).where(P.c.id == completion.paper_id)).one()._mapping)


def fill_in(conn: Connection, row: Mapping[str, Any], completion: Completion) -> tuple[dict[str, Any], list[str]]:
    """(column values to update, names of the fields filled) for one paper row; never overwrites a value."""
    values: dict[str, Any] = {}
    filled: list[str] = []
    if completion.arxiv_id and not row["arxiv_id"]:
        clash = conn.execute(select(P.c.id).where(P.c.arxiv_id == completion.arxiv_id)).scalar()
        if clash is None:
            values["arxiv_id"] = completion.arxiv_id
            filled.append("arxiv_id")
    if completion.authors and not row["authors"]:
        values["authors"] = list(completion.authors)
        values["first_author"] = completion.authors[0]
        filled.append("authors")
    for name in ("url", "project_url", "published", "primary_class"):
        value = getattr(completion, name)
        if value and not row[name]:
            values[name] = value
            filled.append(name)
    urls = list(row["code_urls"] or [])
    new_urls = [u for u in completion.code_urls if u not in urls]
    if new_urls:
        values["code_urls"] = urls + new_urls
        filled.append("code_urls")
    extra = dict(row["extra_fields"] or {})
    gained = {k: v for k, v in completion.extra.items() if k not in extra}
    if completion.doi and not extra.get("doi"):
        gained["doi"] = completion.doi
    if gained:
        values["extra_fields"] = extra | gained
        filled += list(gained)
    metadata = dict(row["metadata"] or {})
    fresh = {k: v for k, v in completion.metadata.items() if v not in (None, "", [], ()) and metadata.get(k) != v}
    if fresh:
        values["metadata"] = metadata | fresh
        filled += sorted(fresh)
    if "authors" in values and not row["key_pinned"]:
        key = new_key(conn, row, completion.authors, values.get("published") or row["published"])
        if key is not None:
            values["citation_key"] = key
            filled.append("citation_key")
    return values, filled


def new_key(conn: Connection, row: Mapping[str, Any], authors: Sequence[str], published: Any) -> str | None:
    """The author-style key for a paper that just got its authors, or None to keep its key."""
    year = published.year if published else (row["listed_on"] or row["added_at"]).year
    base = citekeys.base_key(list(authors), year, row["title"])
    if row["citation_key"].lower().startswith(base.lower()):
        return None
    taken = _TakenKeys(conn, row["id"])
    return citekeys.unique_key(base, taken)


class _TakenKeys:
    """``in``: whether another paper has the key (ignoring case), asked of the unique index."""

    def __init__(self, conn: Connection, paper_id: int):
        self._conn = conn
        self._paper_id = paper_id

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        lower = func.lower(P.c.citation_key)
        found = self._conn.execute(select(P.c.id).where(lower == key.lower(), P.c.id != self._paper_id)).first()
        alias = self._conn.execute(select(KA.c.key).where(func.lower(KA.c.key) == key.lower())).first()
        return found is not None or alias is not None  # nor the old key of a merged paper


def record_sources(conn: Connection, paper_id: int, fields: Iterable[str], source: str, at: dt.datetime) -> None:
    """Say that ``source`` filled these fields of the paper at ``at`` (replacing an older record of a field)."""
    names = list(dict.fromkeys(fields))
    if not names:
        return
    conn.execute(delete(FS).where(FS.c.paper_id == paper_id, FS.c.field.in_(names)))
    conn.execute(insert(FS), [{"paper_id": paper_id, "field": n, "source": source, "filled_at": at} for n in names])
