"""Merging duplicates into one paper, and marking papers as not duplicates.

:class:`MergePapers` keeps one paper (KEEP) and folds the others into it, in one
transaction:

- **Fields.** Each field is KEEP's unless ``prefer`` names another paper for it;
  a field KEEP lacks (empty) is filled from the first other paper that has it,
  in the order given, because an empty field is never a choice the user made
  (a preprint without a journal, a journal entry without an abstract). A
  preferred paper's value is taken as it is, also when it is empty: that is an
  explicit choice. The field names are those of :data:`FIELDS`, plus any extra
  BibTeX field (``journal``, ``volume``, ``pages``, ``doi``, …); ``year`` means
  ``date``, which brings the ``year``, ``month`` and ``day`` fields with it,
  and ``venue`` means ``journal`` and ``booktitle`` together.
- **Everything else is a union.** Tags; notes (moved to KEEP); reading lists
  (KEEP takes the earliest place any of them had); sightings (listing
  history, one per listing); the most advanced read status (read > reading >
  unread) with the earliest read date; the highest priority; the earliest
  listing date; arXiv metadata KEEP lacks; pairs marked "not a duplicate" with
  a third paper.
- **Keys.** The others' citation keys, and keys merged into them before, become
  aliases of KEEP (table ``key_alias``): ``papershelf show OLDKEY`` finds KEEP,
  no new paper may take the key, and the BibTeX export writes them as biblatex
  ``ids``, so ``\\cite{oldkey}`` still resolves with biber. Entries that
  ``crossref`` an old key name KEEP's key instead, as after a key change.
- **BibTeX source.** KEEP's stays; a field taken (or filled in) from another paper
  moves into it from that paper's source, with its raw text, its import
  fingerprint and the ``@string``\\ s it uses, so the lossless export writes it
  exactly as the other .bib file had it (:func:`merged_source`). A field taken
  from a paper with no source for it is encoded afresh (its fingerprint
  differs). A KEEP without a source (an arXiv listing) takes the source of the
  first other paper that has one.

The others are deleted. The inverse (:class:`UndoMerge`) deletes the merged
KEEP and puts back every paper, alias and pair from a snapshot taken before, as
``RestorePapers`` does for a delete; its own inverse is the merge again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from .. import bibsource, db, normalize
from ..errors import ConflictError, NotFoundError, PapershelfError
from ..records import STATUSES, Paper
from ..schema import KA, LE, ND, PT, A, B, N, P, S
from .attachments import move_attachments
from .base import Changes, Operation, Outcome, papers, require
from .papers import DeletePapers, PutChildSources, RestorePapers, _follow_parent_key, snapshot

#: Merge fields modelled by the paper itself: name -> the Paper attribute (or column) it is.
FIELDS: dict[str, str] = {
    "type": "entry_type",
    "title": "title",
    "authors": "authors",
    "date": "published",
    "url": "url",
    "arxiv": "arxiv_id",
    "abstract": "abstract",
    "code": "code_urls",
    "project": "project_url",
    "class": "primary_class",
}
#: Other names a user may give a field (``--prefer year=3``).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    # The date and the BibTeX fields it is written from go together.
    "date": ("date", "year", "month", "day"),
    "year": ("date", "year", "month", "day"),
    "published": ("date", "year", "month", "day"),
    "entry_type": ("type",),
    "arxiv_id": ("arxiv",),
    "venue": ("journal", "booktitle"),
}


#: Extra fields chosen with the date (never on their own in the app).
_WITH_DATE = frozenset({"year", "month", "day"})


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def values_of(paper: Paper | Mapping[str, Any]) -> dict[str, Any]:
    """A paper's merge fields by name (extra BibTeX fields by their own lowercase name)."""

    def get(name: str) -> Any:
        return paper[name] if isinstance(paper, Mapping) else getattr(paper, name)

    values = {name: get(attribute) for name, attribute in FIELDS.items()}
    for name, value in (get("extra_fields") or {}).items():
        values.setdefault(name.lower(), value)
    return values


def shown(value: object) -> str:
    """A field's value as one line of text (authors joined by "; ")."""
    if _empty(value):
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return " ".join(str(value).split())


def differing_fields(papers_: Sequence[Paper]) -> list[str]:
    """The merge fields whose values are not the same for all these papers, in a stable order."""
    values = [values_of(p) for p in papers_]
    names = list(FIELDS) + sorted({n for v in values for n in v} - set(FIELDS) - _WITH_DATE)
    return [n for n in names if len({shown(v.get(n)) for v in values}) > 1]


def expand_prefer(prefer: Iterable[tuple[str, int]]) -> dict[str, int]:
    """``prefer`` with aliases resolved and names lowercased; raise on an empty name."""
    out: dict[str, int] = {}
    for name, pid in prefer:
        low = name.strip().lower()
        if not low:
            raise PapershelfError("--prefer needs FIELD=ID, e.g. title=12")
        for real in FIELD_ALIASES.get(low, (low,)):
            out[real] = pid
    return out


def merged_values(
    keep: Mapping[str, Any], others: Sequence[Mapping[str, Any]], chosen: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """KEEP's merge fields after the merge: chosen ones, KEEP's own, else the first other's."""
    result = dict(keep)
    for values in others:
        for name, value in values.items():
            if _empty(result.get(name)) and not _empty(value):
                result[name] = value
    for name, values in chosen.items():
        result[name] = values.get(name)
    return result


def providers(
    keep: int, others: Sequence[int], values: Mapping[int, Mapping[str, Any]], prefer: Mapping[str, int]
) -> dict[str, int]:
    """Merge field name -> the paper whose value KEEP has after the merge (as :func:`merged_values` picks)."""
    names = {n for v in values.values() for n in v}
    out: dict[str, int] = {}
    for name in names:
        if name in prefer:
            out[name] = prefer[name]
        elif not _empty(values[keep].get(name)):
            out[name] = keep
        else:
            out[name] = next((p for p in others if not _empty(values[p].get(name))), keep)
    return out


#: BibTeX fields whose decoded value is a merge field of another name.
_SOURCE_FIELD_OWNER = {
    "author": "authors",
    "eprint": "arxiv",
    "archiveprefix": "arxiv",
    "eprinttype": "arxiv",
    "primaryclass": "class",
    "eprintclass": "class",
}
#: Source fields a merge never moves: the union of tags, and KEEP's aliases (written from the library).
_NOT_MOVED = frozenset({"keywords", "ids"})


def merged_source(
    base_id: int, base: Mapping[str, Any], sources: Mapping[int, Mapping[str, Any]], chosen: Mapping[str, int]
) -> dict[str, Any]:
    """KEEP's ``bibtex_source`` row after the merge: ``base`` (the paper ``base_id``'s source) with each
    field whose value comes from another paper written as that paper's source has it.

    Lossless rule: a field taken from (or filled in from) another paper goes out
    exactly as that paper's .bib file wrote it. Its raw value, its import
    fingerprint and the ``@string``\\ s it uses move into KEEP's source; a field
    of ``base`` whose value now comes from a paper without that field in its
    source keeps its raw text and old fingerprint, so the export encodes the
    new value afresh. A field whose ``@string`` is defined otherwise in
    ``base`` is not moved (it is encoded afresh instead).
    """
    fields = [list(pair) for pair in base["fields"]]
    views_ = dict(base["views"])
    strings = [list(pair) for pair in base["strings"]]
    entry_type = base["entry_type"]
    index = {name.lower(): i for i, (name, _) in enumerate(fields)}
    for pid, source in sources.items():
        if pid == base_id:
            continue
        if chosen.get("type") == pid:
            entry_type = source["entry_type"]
        theirs = {name.lower(): raw for name, raw in source["strings"]}
        for name, raw in source["fields"]:
            low = name.lower()
            if low in _NOT_MOVED or chosen.get(_SOURCE_FIELD_OWNER.get(low, low)) != pid:
                continue
            mine = {n.lower(): r for n, r in strings}
            needed = [n for n in bibsource.needed_strings(raw, theirs) if n in theirs]
            if any(n in mine and mine[n] != theirs[n] for n in needed):
                continue
            for s_name, s_raw in source["strings"]:
                if s_name.lower() in needed and s_name.lower() not in mine:
                    strings.append([s_name, s_raw])
                    mine[s_name.lower()] = s_raw
            if low in index:
                fields[index[low]] = [fields[index[low]][0], raw]
            else:
                index[low] = len(fields)
                fields.append([name, raw])
            if low in source["views"]:
                views_[low] = source["views"][low]
            else:
                views_.pop(low, None)
    row = dict(base)
    row.update(entry_type=entry_type, fields=fields, views=views_, strings=strings)
    row["parent_key"] = bibsource.BibSource.from_row(
        entry_type, row["citation_key"], fields, views_, strings
    ).parent_key
    return row


# --- Merge ---------------------------------------------------------------------------------


def _rows(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = {r.id: dict(r._mapping) for r in conn.execute(select(P).where(P.c.id.in_(list(ids))))}
    for pid, abstract in conn.execute(select(A.c.paper_id, A.c.abstract).where(A.c.paper_id.in_(list(ids)))):
        rows[pid]["abstract"] = abstract
    for row in rows.values():
        row.setdefault("abstract", "")
    return rows


def _links(conn: Connection, ids: Sequence[int]) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[int, int], ...]]:
    """The alias rows and not-duplicate pairs that name these papers."""
    aliases = tuple((k, p) for k, p in conn.execute(select(KA.c.key, KA.c.paper_id).where(KA.c.paper_id.in_(ids))))
    pairs = tuple(
        (a, b)
        for a, b in conn.execute(
            select(ND.c.paper_a, ND.c.paper_b).where(or_(ND.c.paper_a.in_(ids), ND.c.paper_b.in_(ids)))
        )
    )
    return aliases, pairs


@dataclass(frozen=True)
class MergePapers(Operation):
    """Fold ``others`` into ``keep`` (see the module's description); the result is ``keep``."""

    keep: int
    others: tuple[int, ...]
    #: (field, paper id) pairs: take that field from that paper.
    prefer: tuple[tuple[str, int], ...] = ()

    @property
    def label(self) -> str:
        return f"Merge {papers(len(self.others) + 1)}"

    def apply(self, conn: Connection) -> Outcome:
        others = list(dict.fromkeys(self.others))
        if not others:
            raise PapershelfError("merge needs at least two papers: KEEP and one other")
        if self.keep in others:
            raise PapershelfError(f"paper {self.keep} is the one kept: it cannot also be merged into itself")
        ids = require(conn, [self.keep, *others])
        prefer = expand_prefer(self.prefer)
        for name, pid in prefer.items():
            if pid not in ids:
                raise PapershelfError(f"--prefer {name}={pid}: paper {pid} is not one of the papers merged")
        before = snapshot(conn, ids)
        links = _links(conn, ids)
        rows = _rows(conn, ids)
        keep_row = rows[self.keep]
        values = {pid: values_of(rows[pid]) for pid in ids}
        for name, _ in self.prefer:
            low = name.strip().lower()
            if low not in FIELDS and low not in FIELD_ALIASES and not any(low in v for v in values.values()):
                raise PapershelfError(f"--prefer {low}: no paper merged has a field named {low!r}")
        merged = merged_values(
            values[self.keep], [values[p] for p in others], {n: values[p] for n, p in prefer.items()}
        )
        # What the rest of the papers carry, read before they go.
        other_rows = [rows[p] for p in others]
        aliases = [rows[p]["citation_key"] for p in others] + [k for k, p in links[0] if p in others]
        third_pairs = {
            tuple(sorted((self.keep, b if a in others else a)))
            for a, b in links[1]
            if (a in others) != (b in others) and self.keep not in (a, b)
        }
        places = self._places(conn, ids)

        # Notes and sightings move; tags are added; then the others go, with what is left of them.
        conn.execute(update(N).where(N.c.paper_id.in_(others)).values(paper_id=self.keep))
        move_attachments(conn, others, self.keep)  # their PDFs too (a file KEEP has already goes to the trash)
        seen = {
            (src, day)
            for src, day in conn.execute(select(S.c.source, S.c.listing_date).where(S.c.paper_id == self.keep))
        }
        for sid, src, day in conn.execute(
            select(S.c.id, S.c.source, S.c.listing_date)
            .where(S.c.paper_id.in_(others))
            .order_by(S.c.listing_date, S.c.id)
        ).all():
            if (src, day) not in seen:
                seen.add((src, day))
                conn.execute(update(S).where(S.c.id == sid).values(paper_id=self.keep))
        tag_ids = set(conn.execute(select(PT.c.tag_id).where(PT.c.paper_id.in_(others))).scalars())
        if tag_ids:
            conn.execute(
                db.insert(conn, PT).on_conflict_do_nothing(),
                [{"paper_id": self.keep, "tag_id": t} for t in sorted(tag_ids)],
            )
        # KEEP's source (or, without one, the first other's), with the fields taken from others as they wrote them.
        sources = {r.paper_id: dict(r._mapping) for r in conn.execute(select(B).where(B.c.paper_id.in_(ids)))}
        base_id = next((p for p in [self.keep, *others] if p in sources), None)
        conn.execute(delete(P).where(P.c.id.in_(others)))

        if base_id is not None:
            chosen = providers(self.keep, others, values, prefer)
            if base_id != self.keep:  # the adopted source speaks for KEEP's own fields too
                chosen = {name: base_id if pid == self.keep else pid for name, pid in chosen.items()}
            source = merged_source(base_id, sources[base_id], sources, chosen)
            conn.execute(delete(B).where(B.c.paper_id == self.keep))
            conn.execute(insert(B).values({**source, "paper_id": self.keep}))
        taken = set(conn.execute(select(func.lower(KA.c.key))).scalars())
        new_aliases = []
        for key in dict.fromkeys(aliases):
            if key.lower() not in taken and key.lower() != keep_row["citation_key"].lower():
                taken.add(key.lower())
                new_aliases.append({"key": key, "paper_id": self.keep})
        if new_aliases:
            conn.execute(insert(KA), new_aliases)
        if third_pairs:
            conn.execute(
                db.insert(conn, ND).on_conflict_do_nothing(),
                [{"paper_a": a, "paper_b": b} for a, b in sorted(third_pairs)],
            )
        for list_id, position in places.items():
            conn.execute(
                db.insert(conn, LE)
                .values(list_id=list_id, paper_id=self.keep, position=position)
                .on_conflict_do_update(index_elements=[LE.c.list_id, LE.c.paper_id], set_={"position": position})
            )
        conn.execute(update(P).where(P.c.id == self.keep).values(**self._row(keep_row, other_rows, merged, prefer)))
        abstract = merged.get("abstract") or ""
        conn.execute(delete(A).where(A.c.paper_id == self.keep))
        if abstract:
            conn.execute(insert(A).values(paper_id=self.keep, abstract=abstract))
        # Entries that crossref an old key name KEEP instead (bibtex wants the parent's own key).
        children: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for other in other_rows:
            children += [c for c in _follow_parent_key(conn, other["citation_key"], keep_row["citation_key"])]
        children = [c for c in children if c[0] not in others]
        db.reindex(conn, ids)
        changes = Changes(
            papers=frozenset({self.keep, *(pid for pid, _, _ in children)}),
            removed=frozenset(others),
            tags=bool(tag_ids),
            lists=bool(places),
            statuses=True,
            notes=True,
        )
        inverse = UndoMerge(self, before, links, tuple(children))
        return Outcome(changes, inverse, self.keep)

    def _places(self, conn: Connection, ids: Sequence[int]) -> dict[int, int]:
        """Each list holding an other paper -> the earliest place any of the papers has in it."""
        places: dict[int, int] = {}
        holding: set[int] = set()
        for list_id, pid, position in conn.execute(
            select(LE.c.list_id, LE.c.paper_id, LE.c.position).where(LE.c.paper_id.in_(list(ids)))
        ):
            places[list_id] = min(position, places.get(list_id, position))
            if pid != self.keep:
                holding.add(list_id)
        return {lid: pos for lid, pos in places.items() if lid in holding}

    def _row(
        self,
        keep: Mapping[str, Any],
        others: Sequence[Mapping[str, Any]],
        merged: Mapping[str, Any],
        prefer: Mapping[str, int],
    ) -> dict[str, Any]:
        """KEEP's new column values."""
        everyone = [keep, *others]
        row: dict[str, Any] = {attribute: merged.get(name) for name, attribute in FIELDS.items() if name != "abstract"}
        row["entry_type"] = row["entry_type"] or keep["entry_type"]
        row["title"] = row["title"] or keep["title"]
        row["authors"] = list(row["authors"] or [])
        row["code_urls"] = list(row["code_urls"] or [])
        row["title_key"] = normalize.title_key(row["title"])
        row["first_author"] = row["authors"][0] if row["authors"] else ""
        title_from = next((r for r in everyone if r["title"] == row["title"]), keep)
        row["title_edited"] = title_from["title_edited"]
        row["extra_fields"] = {
            name: value for name, value in merged.items() if name not in FIELDS and not _empty(value)
        }
        # Read status: the most advanced, read on the earliest day anyone read it.
        status = max((r["status"] for r in everyone), key=STATUSES.index)
        row["status"] = status
        read = [r["read_at"] for r in everyone if r["status"] == "read" and r["read_at"] is not None]
        row["read_at"] = min(read) if status == "read" and read else None
        row["priority"] = max(r["priority"] for r in everyone)
        listed = [r["listed_on"] for r in everyone if r["listed_on"] is not None]
        row["listed_on"] = min(listed) if listed else None
        metadata: dict[str, Any] = {}
        for r in reversed(everyone):
            metadata.update(r["metadata"] or {})
        row["metadata"] = metadata
        return row


@dataclass(frozen=True)
class UndoMerge(Operation):
    """Put back the papers of a merge exactly as they were; its inverse is the merge again."""

    merge: MergePapers
    removed: dict[str, list[Any]] = field(compare=False)
    links: tuple[tuple[tuple[str, int], ...], tuple[tuple[int, int], ...]] = field(compare=False)
    #: Entries whose crossref followed an old key to KEEP's, as they were.
    children: tuple[tuple[int, dict[str, Any], dict[str, Any]], ...] = field(default=(), compare=False)

    @property
    def label(self) -> str:
        return self.merge.label

    def apply(self, conn: Connection) -> Outcome:
        keep, others = self.merge.keep, list(self.merge.others)
        if conn.execute(select(P.c.id).where(P.c.id == keep)).scalar() is None:
            raise NotFoundError(f"paper {keep} was deleted since; the merge cannot be undone")
        DeletePapers((keep,)).apply(conn)
        RestorePapers(self.removed).apply(conn)
        aliases, pairs = self.links
        ids = [keep, *others]
        conn.execute(delete(KA).where(KA.c.paper_id.in_(ids)))
        if aliases:
            clash = conn.execute(select(KA.c.key).where(KA.c.key.in_([k for k, _ in aliases]))).scalar()
            if clash is not None:
                raise ConflictError(f"the key {clash!r} was given to another paper since; the merge cannot be undone")
            conn.execute(insert(KA), [{"key": k, "paper_id": p} for k, p in aliases])
        conn.execute(delete(ND).where(or_(ND.c.paper_a.in_(ids), ND.c.paper_b.in_(ids))))
        if pairs:
            conn.execute(db.insert(conn, ND).on_conflict_do_nothing(), [{"paper_a": a, "paper_b": b} for a, b in pairs])
        if self.children:
            PutChildSources(self.children).apply(conn)
        changed = frozenset(ids) | {pid for pid, _, _ in self.children}
        changes = Changes(papers=changed, added=frozenset(others), tags=True, lists=True, statuses=True, notes=True)
        return Outcome(changes, self.merge, keep)


# --- Not duplicates ------------------------------------------------------------------------


def _pairs(ids: Sequence[int]) -> list[tuple[int, int]]:
    unique = sorted(set(ids))
    return [(a, b) for i, a in enumerate(unique) for b in unique[i + 1 :]]


@dataclass(frozen=True)
class MarkNotDuplicate(Operation):
    """Say these papers are different works: no two of them are grouped as duplicates again."""

    ids: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"Mark {papers(len(set(self.ids)))} as not duplicates"

    def apply(self, conn: Connection) -> Outcome:
        ids = require(conn, self.ids)
        if len(ids) < 2:
            raise PapershelfError("mark at least two different papers as not duplicates")
        wanted = _pairs(ids)
        known = set(
            conn.execute(select(ND.c.paper_a, ND.c.paper_b).where(ND.c.paper_a.in_(ids), ND.c.paper_b.in_(ids))).all()
        )
        new = [pair for pair in wanted if tuple(pair) not in {tuple(k) for k in known}]
        if new:
            conn.execute(insert(ND), [{"paper_a": a, "paper_b": b} for a, b in new])
        return Outcome(Changes(papers=frozenset(ids)), UnmarkNotDuplicate(tuple(new)), len(new))


@dataclass(frozen=True)
class UnmarkNotDuplicate(Operation):
    """Forget that these pairs (smaller id first) were said to be different works."""

    pairs: tuple[tuple[int, int], ...]

    @property
    def label(self) -> str:
        return "Forget not-duplicate marks"

    def apply(self, conn: Connection) -> Outcome:
        for a, b in self.pairs:
            conn.execute(delete(ND).where(ND.c.paper_a == a, ND.c.paper_b == b))
        ids = frozenset(p for pair in self.pairs for p in pair)
        return Outcome(Changes(papers=ids), _Remark(self.pairs), len(self.pairs))


@dataclass(frozen=True)
class _Remark(Operation):
    """Redo of :class:`UnmarkNotDuplicate`: the same pairs again."""

    pairs: tuple[tuple[int, int], ...]

    @property
    def label(self) -> str:
        return "Mark papers as not duplicates"

    def apply(self, conn: Connection) -> Outcome:
        if self.pairs:
            conn.execute(
                db.insert(conn, ND).on_conflict_do_nothing(), [{"paper_a": a, "paper_b": b} for a, b in self.pairs]
            )
        ids = frozenset(p for pair in self.pairs for p in pair)
        return Outcome(Changes(papers=ids), UnmarkNotDuplicate(self.pairs), len(self.pairs))


def alias_owner(conn: Connection, key: str) -> int | None:
    """The paper whose alias ``key`` is (ignoring case), or None."""
    found: int | None = conn.execute(select(KA.c.paper_id).where(func.lower(KA.c.key) == key.lower())).scalar()
    return found
