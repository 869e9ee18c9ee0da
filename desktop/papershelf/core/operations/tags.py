"""Operations on tags: adding and removing them, and the exact pairs undo puts back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select

from .. import db
from ..schema import PT, T
from .base import (
    Changes,
    Operation,
    Outcome,
    clean_tag,
    drop_unused_tags,
    ensure_tags,
    papers,
    plain_rows,
    require,
    tag_pairs,
)

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
        return TagPairs(tuple((pid, name) for pid in ids for name in names), self.label).apply(conn)


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
        removed = tuple(sorted((pid, name) for pid, name in tag_pairs(conn, ids) if name.casefold() in wanted))
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
        before = tag_pairs(conn, ids)
        tag_ids = ensure_tags(conn, {name for _, name in self.pairs})
        if self.pairs:
            conn.execute(
                db.insert(conn, PT).on_conflict_do_nothing(),
                [{"paper_id": pid, "tag_id": tag_ids[name.casefold()]} for pid, name in self.pairs],
            )
        added = tuple(sorted(tag_pairs(conn, ids) - before))
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
        present = tag_pairs(conn, ids)
        wanted = {(pid, name.casefold()) for pid, name in self.pairs}
        removed = tuple(sorted((pid, name) for pid, name in present if (pid, name.casefold()) in wanted))
        if removed:
            names = sorted({name for _, name in removed})
            tag_of = dict(plain_rows(conn.execute(select(T.c.name, T.c.id).where(T.c.name.in_(names)))))
            conn.execute(
                delete(PT).where(PT.c.paper_id == bindparam("pid"), PT.c.tag_id == bindparam("tid")),
                [{"pid": pid, "tid": tag_of[name]} for pid, name in removed],
            )
        drop_unused_tags(conn)
        db.reindex(conn, ids)
        return Outcome(Changes(papers=frozenset(ids), tags=True), TagPairs(removed, self.label))
