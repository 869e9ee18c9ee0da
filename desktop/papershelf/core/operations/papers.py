"""Operations on papers themselves: status, priority, citation key, title, deleting and restoring."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, func, insert, select, update

from .. import db
from ..bibsource import PARENT_FIELDS, fingerprint
from ..errors import ConflictError, PapershelfError
from ..exporters import citekeys
from ..records import STATUSES
from ..schema import FS, KA, LE, PT, RL, A, B, N, P, S
from .attachments import forget_attachments, restore_attachments, snapshot_attachments
from .base import (
    Batch,
    Changes,
    Operation,
    Outcome,
    drop_unused_tags,
    ensure_tags,
    list_id,
    now,
    papers,
    plain_rows,
    require,
    tag_pairs,
)

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
        before = plain_rows(conn.execute(select(P.c.id, P.c.status, P.c.read_at).where(P.c.id.in_(ids))))
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
        before = plain_rows(conn.execute(select(P.c.id, P.c.status, P.c.read_at).where(P.c.id.in_(ids))))
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
        before = plain_rows(conn.execute(select(P.c.id, P.c.priority).where(P.c.id.in_(ids))))
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
        before = plain_rows(conn.execute(select(P.c.id, P.c.priority).where(P.c.id.in_(ids))))
        conn.execute(
            update(P).where(P.c.id == bindparam("pid")).values(priority=bindparam("new_priority")),
            [{"pid": pid, "new_priority": priority} for pid, priority in self.pairs],
        )
        return Outcome(Changes(papers=frozenset(ids)), RestorePriority(before, self.label))


# --- Citation key and title ------------------------------------------------------------


@dataclass(frozen=True)
class SetCitationKey(Operation):
    paper_id: int
    key: str
    #: Undo puts back whatever key the paper had, even one Papershelf would not let a user type.
    check: bool = True
    #: Whether the key is pinned afterwards (None: pinned, as any key a user sets).
    pinned: bool | None = None
    #: Whether entries that crossref the old key follow it (undo puts them back itself).
    follow: bool = True

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
        alias_of = conn.execute(select(KA.c.paper_id).where(func.lower(KA.c.key) == key.lower())).scalar()
        if self.check and alias_of is not None and alias_of != self.paper_id:
            raise ConflictError(f"citation key {key!r} is the old key of a paper merged into paper {alias_of}")
        before = conn.execute(select(P.c.citation_key).where(P.c.id == self.paper_id)).scalar_one()
        was_pinned = bool(conn.execute(select(P.c.key_pinned).where(P.c.id == self.paper_id)).scalar_one())
        children = _follow_parent_key(conn, before, key) if self.follow else ()
        # A key the user sets is theirs: it never changes again (undo puts the old state back).
        pinned = self.pinned if self.pinned is not None else True
        conn.execute(update(P).where(P.c.id == self.paper_id).values(citation_key=key, key_pinned=int(pinned)))
        inverse: Operation = SetCitationKey(self.paper_id, before, check=False, pinned=was_pinned, follow=False)
        if children:  # the children's sources back exactly as they were (a key differing in case too)
            inverse = Batch((inverse, PutChildSources(children)), inverse.label)
        return Outcome(Changes(papers=frozenset({self.paper_id, *(row[0] for row in children)})), inverse)


@dataclass(frozen=True)
class PutChildSources(Operation):
    """Put back the sources and extra fields of entries whose crossref followed a renamed parent."""

    rows: tuple[tuple[int, dict[str, Any], dict[str, Any]], ...] = field(compare=False)

    @property
    def label(self) -> str:
        return f"Restore the crossrefs of {papers(len(self.rows))}"

    def apply(self, conn: Connection) -> Outcome:
        before = _child_rows(conn, [pid for pid, _, _ in self.rows])
        for pid, source, extra in self.rows:
            conn.execute(update(B).where(B.c.paper_id == pid).values(**source))
            conn.execute(update(P).where(P.c.id == pid).values(extra_fields=extra))
        return Outcome(Changes(papers=frozenset(pid for pid, _, _ in self.rows)), PutChildSources(before))


def _child_rows(conn: Connection, ids: Sequence[int]) -> tuple[tuple[int, dict[str, Any], dict[str, Any]], ...]:
    sources = {r.paper_id: dict(r._mapping) for r in conn.execute(select(B).where(B.c.paper_id.in_(list(ids))))}
    extras = dict(plain_rows(conn.execute(select(P.c.id, P.c.extra_fields).where(P.c.id.in_(list(ids))))))
    return tuple((pid, sources[pid], dict(extras[pid] or {})) for pid in ids if pid in sources)


def _follow_parent_key(conn: Connection, old: str, new: str) -> tuple[tuple[int, dict[str, Any], dict[str, Any]], ...]:
    """Make the entries that crossref (or xref) the key ``old`` name ``new`` instead; their rows before.

    Their ``crossref`` is rewritten in the source, the decoded value and its
    fingerprint alike: renaming a parent is the user's edit, and an export must
    still find the parent for each child.
    """
    if old == new:
        return ()
    children = conn.execute(select(B.c.paper_id).where(B.c.parent_key == old.lower())).scalars().all()
    before = _child_rows(conn, children)
    for pid, source, _ in before:
        fields, views = source["fields"], source["views"]
        renamed = [[n, "{" + new + "}" if n.lower() in PARENT_FIELDS else v] for n, v in fields]
        views = dict(views) | {n.lower(): fingerprint(new) for n, _ in fields if n.lower() in PARENT_FIELDS}
        extra = dict(conn.execute(select(P.c.extra_fields).where(P.c.id == pid)).scalar_one() or {})
        extra |= {n: new for n in PARENT_FIELDS if n in extra}
        conn.execute(update(B).where(B.c.paper_id == pid).values(fields=renamed, views=views, parent_key=new.lower()))
        conn.execute(update(P).where(P.c.id == pid).values(extra_fields=extra))
    return before


@dataclass(frozen=True)
class PinKeys(Operation):
    """Pin (or unpin) papers' citation keys: an exported or copied key never changes again."""

    ids: tuple[int, ...]
    pinned: bool = True

    @property
    def label(self) -> str:
        return f"{'Pin' if self.pinned else 'Unpin'} the keys of {papers(len(set(self.ids)))}"

    def apply(self, conn: Connection) -> Outcome:
        # The ids as one JSON array: every export pins its papers, 100,000 of them too, and
        # SQLAlchemy's expanding IN took longer to build (10,000 parameters a chunk) than the export.
        ids = json.dumps(list(dict.fromkeys(self.ids)))
        wanted, pinned = "id IN (SELECT value FROM json_each(?)) AND key_pinned != ?", int(self.pinned)
        raw = db.driver_connection(conn)
        changed = [pid for (pid,) in raw.execute(f"SELECT id FROM paper WHERE {wanted}", (ids, pinned)).fetchall()]
        if changed:
            raw.execute(f"UPDATE paper SET key_pinned = ? WHERE {wanted}", (pinned, ids, pinned))
        return Outcome(Changes(), PinKeys(tuple(changed), not self.pinned), len(changed))


@dataclass(frozen=True)
class SetCiteAs(Operation):
    """Cite papers as their published version once known ("auto") or always as the preprint ("preprint")."""

    ids: tuple[int, ...]
    cite_as: str = "preprint"

    @property
    def label(self) -> str:
        what = "the preprint" if self.cite_as == "preprint" else "the published version"
        return f"Cite {papers(len(set(self.ids)))} as {what}"

    def apply(self, conn: Connection) -> Outcome:
        if self.cite_as not in ("auto", "preprint"):
            raise PapershelfError(f"cite as {self.cite_as!r}: use auto or preprint")
        ids = require(conn, self.ids)
        before = plain_rows(conn.execute(select(P.c.id, P.c.cite_as).where(P.c.id.in_(ids))))
        conn.execute(update(P).where(P.c.id.in_(ids)).values(cite_as=self.cite_as))
        inverse = Batch(tuple(SetCiteAs((pid,), value) for pid, value in before), self.label)
        return Outcome(Changes(papers=frozenset(ids)), inverse)


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


# --- Deleting and restoring papers --------------------------------------------------------------


def snapshot(conn: Connection, ids: Sequence[int]) -> dict[str, list[Any]]:
    """Everything the library holds about these papers, as plain rows."""
    ids = list(ids)
    return {
        "paper": [dict(r._mapping) for r in conn.execute(select(P).where(P.c.id.in_(ids)))],
        "paper_abstract": [dict(r._mapping) for r in conn.execute(select(A).where(A.c.paper_id.in_(ids)))],
        "bibtex_source": [dict(r._mapping) for r in conn.execute(select(B).where(B.c.paper_id.in_(ids)))],
        "field_source": [dict(r._mapping) for r in conn.execute(select(FS).where(FS.c.paper_id.in_(ids)))],
        "note": [dict(r._mapping) for r in conn.execute(select(N).where(N.c.paper_id.in_(ids)))],
        "sighting": [dict(r._mapping) for r in conn.execute(select(S).where(S.c.paper_id.in_(ids)))],
        "tags": sorted(tag_pairs(conn, ids)),
        "lists": [
            (pid, name, position)
            for pid, name, position in conn.execute(
                select(LE.c.paper_id, RL.c.name, LE.c.position)
                .join(RL, RL.c.id == LE.c.list_id)
                .where(LE.c.paper_id.in_(ids))
            )
        ],
        # Attached PDFs and their annotations (their stored files move to the trash after the commit).
        **snapshot_attachments(conn, ids),
    }


@dataclass(frozen=True)
class DeletePapers(Operation):
    """Delete papers with their notes, tags, list places, sightings and BibTeX source; the result is the snapshot."""

    ids: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"Delete {papers(len(set(self.ids)))}"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, self.ids)
        removed = snapshot(conn, ids)
        forget_attachments(conn, removed["attachment"])
        # Notes, tags, list entries, sightings, the abstract and attachments go by cascade.
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
        # SQLite hands a deleted paper's id (or a note's) to the next one made, by another
        # program too: such a paper is not overwritten, and nothing is put back.
        ids = [row["id"] for row in rows["paper"]]
        taken = conn.execute(select(P.c.id).where(P.c.id.in_(ids))).scalar()
        if taken is not None:
            raise ConflictError(f"paper {taken} was replaced by another paper since; the delete cannot be undone")
        note_ids = [row["id"] for row in rows["note"]]
        if note_ids and conn.execute(select(N.c.id).where(N.c.id.in_(note_ids))).first() is not None:
            raise ConflictError("a note's place was taken by another note since; the delete cannot be undone")
        conn.execute(insert(P), rows["paper"])
        for table, key in ((A, "paper_abstract"), (B, "bibtex_source"), (FS, "field_source"), (N, "note")):
            if rows.get(key):
                conn.execute(insert(table), rows[key])
        if rows["sighting"]:
            sightings = rows["sighting"]
            if conn.execute(select(S.c.id).where(S.c.id.in_([r["id"] for r in sightings]))).first() is not None:
                # Their ids were reused meanwhile; a sighting is only ever found by its paper.
                sightings = [{k: v for k, v in row.items() if k != "id"} for row in sightings]
            conn.execute(insert(S), sightings)
        if rows["tags"]:
            tag_ids = ensure_tags(conn, {name for _, name in rows["tags"]})
            conn.execute(
                insert(PT), [{"paper_id": pid, "tag_id": tag_ids[name.casefold()]} for pid, name in rows["tags"]]
            )
        for pid, name, position in rows["lists"]:
            if conn.execute(select(RL.c.id).where(RL.c.name == name)).scalar() is None:
                conn.execute(insert(RL).values(name=name, created_at=now()))
            conn.execute(insert(LE).values(list_id=list_id(conn, name), paper_id=pid, position=position))
        # Snapshots from before PDFs existed (an undo kept across the upgrade) have no attachments.
        restore_attachments(conn, rows.get("attachment", ()), rows.get("pdf_annotation", ()))
        db.reindex(conn, ids)
        changes = Changes(
            papers=frozenset(ids),
            added=frozenset(ids),
            tags=bool(rows["tags"]),
            lists=bool(rows["lists"]),
            statuses=True,
            notes=True,
        )
        return Outcome(changes, DeletePapers(tuple(ids)))
