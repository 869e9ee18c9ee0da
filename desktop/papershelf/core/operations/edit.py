"""Editing a paper's fields by their BibTeX names, as one operation (the entry editor and ``papershelf edit``).

:class:`EditFields` sets any of: the entry type (``type``), the citation key
(``key``, through :class:`SetCitationKey`, which pins it and renames crossref
children), ``author`` and the other name lists, ``title``, ``year``,
``month``, ``day`` and ``date`` (the paper's date follows them, as an import
reads it), ``url``, ``abstract``, ``doi`` and any other field, which the
library keeps as an extra field. A value of None (or, from the command line,
nothing after the ``=``) removes a field. Values are text as the library keeps
it, decoded (``Müller``, an en dash in ``12–34``), not LaTeX; name lists
are BibTeX name-list syntax (``Last, First and {Org Name}``).

Every value is checked first (:func:`check_value`), so a bad one changes
nothing and its message names the field. The lossless rules need nothing
special: a field is written from its source until its decoded value changes,
and an edited name list keeps every name the user left as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from .. import db, textmerge
from ..errors import Clash, EditConflict, PapershelfError
from ..exporters import citekeys
from ..exporters.common import MONTHS, NAME_FIELDS, month_macro, split_name_list, strip_doi_resolver
from ..records import Paper
from ..schema import FS, A, B, P
from .base import Batch, Changes, Operation, Outcome, require
from .complete import PutFieldSources, sources_of
from .imports import PutRows, SetAbstracts
from .papers import SetCitationKey


class InvalidField(PapershelfError):
    """A field name or value an edit refuses: one line naming the field; nothing was changed."""


#: What a field's value is, for a change: text, None (remove), or names kept as the library keeps them.
Value = str | tuple[str, ...] | None

#: Fields that are not the paper's own data here: what to do instead.
NOT_EDITABLE = {
    "keywords": "keywords are the paper's tags: use papershelf tag / untag",
    "eprint": "the arXiv id is not edited here",
    "archiveprefix": "the arXiv id is not edited here",
    "eprinttype": "the arXiv id is not edited here",
    "primaryclass": "the arXiv class is not edited here",
    "eprintclass": "the arXiv class is not edited here",
    "ids": "ids holds the paper's other citation keys, which imports and merges keep; they are not edited here",
    "crossref": "a crossref is not edited here",
    "xref": "a crossref is not edited here",
}
#: Fields of the paper itself that cannot be removed.
REQUIRED = frozenset({"title", "type", "key"})
#: The fields that make up the paper's date.
DATE_FIELDS = ("year", "month", "day", "date")

_FIELD_NAME_RE = re.compile(r"[a-z][a-z0-9_\-:.+]*")
_YEAR_RE = re.compile(r"\d{4}")
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DOI_RE = re.compile(r"10\.\d{4,9}/\S+")
_PAGE = r"(?:[A-Za-z]{0,3}\d+(?:[:.]\d+)?[A-Za-z]{0,2}|[ivxlcdm]+|[IVXLCDM]+)"
_PAGES_RE = re.compile(
    rf"{_PAGE}(?:\s*(?:-{{1,3}}|–|—)\s*{_PAGE})?(?:\s*,\s*{_PAGE}(?:\s*(?:-{{1,3}}|–|—)\s*{_PAGE})?)*"
)
_URL_RE = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
_TYPE_RE = re.compile(r"[A-Za-z]+")
_AND_RE = re.compile(r"\sand\s", re.IGNORECASE)
_RANGE_RE = re.compile(r"(?<![\w.:])(\d+)\s*(?:-{1,3}|–|—)\s*(\d+)(?![\w.:])")
#: How much of a value ``edit`` prints before it shortens it.
SHOWN_CHARS = 120


def _empty_name(value: str) -> bool:
    """Whether a name list has an empty name: "and" (outside braces) first, last or twice in a row."""
    words: list[str] = []
    depth = 0
    word = ""
    for ch in value + " ":
        if ch.isspace() and depth == 0:
            if word:
                words.append(word.lower())
            word = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        word += ch
    ands = [w == "and" for w in words]
    return bool(ands) and (ands[0] or ands[-1] or any(a and b for a, b in zip(ands, ands[1:])))


def _short(text: str) -> str:
    """``text``, or its first characters and how long it is, for a line on the terminal."""
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text)} characters)"


def field_name(name: str) -> str:
    """The lowercase field name, or :class:`InvalidField` for one that cannot be a BibTeX field or is not edited here."""
    low = name.strip().lower()
    if low == "entrytype":
        low = "type"
    if not _FIELD_NAME_RE.fullmatch(low):
        raise InvalidField(f"field {name!r}: not a BibTeX field name (letters, digits and - _ : . +)")
    if low in NOT_EDITABLE:
        raise InvalidField(f"field {low!r}: {NOT_EDITABLE[low]}")
    return low


def check_value(name: str, value: str) -> str:
    """``value`` as field ``name`` keeps it (white space trimmed, a DOI without resolver), or :class:`InvalidField`.

    An empty value is returned as it is (it removes the field, where allowed).
    """
    low = field_name(name)
    value = value.strip()
    control = next((ch for ch in value if ch not in "\t\n\r" and unicodedata.category(ch) == "Cc"), None)
    if control is not None:
        # The exports cannot carry one (BibTeX and LaTeX drop or choke on it): refused, not lost later.
        raise InvalidField(f"{low}: holds the control character U+{ord(control):04X}, which no export can carry")
    if not value:
        if low in REQUIRED:
            raise InvalidField(f"{low}: cannot be empty")
        return ""
    if low == "title":
        return " ".join(value.split())
    if low == "year":
        if not _YEAR_RE.fullmatch(value) or not 1000 <= int(value) <= 2100:
            raise InvalidField(f"year {value!r}: give a year of four digits, 1000 to 2100")
    elif low == "date":
        if _date(value) is None:
            raise InvalidField(f"date {value!r}: give YYYY, YYYY-MM or YYYY-MM-DD")
    elif low == "month":
        if month_macro(value) is None:
            raise InvalidField(f"month {value!r}: give 1 to 12 or a month name")
    elif low == "day":
        if not value.isdigit() or not 1 <= int(value) <= 31:
            raise InvalidField(f"day {value!r}: give 1 to 31")
    elif low == "doi":
        value = strip_doi_resolver(value)
        if not _DOI_RE.fullmatch(value):
            raise InvalidField(f"doi {value!r}: a DOI looks like 10.1234/abc (https://doi.org/ may go before it)")
    elif low == "pages":
        if not _PAGES_RE.fullmatch(value):
            raise InvalidField(f"pages {value!r}: give a page or a range (12, 12--34, e123, S1--S5)")
        for first, last in _RANGE_RE.findall(value):
            if int(first) > int(last):
                raise InvalidField(f"pages {value!r}: the range {first}--{last} runs backwards")
        # The library keeps decoded text, as an import does: TeX's "--" is an en dash.
        return value.replace("---", "—").replace("--", "–")
    elif low == "url":
        if not _URL_RE.fullmatch(value):
            raise InvalidField(f"url {value!r}: give an http:// or https:// address without spaces")
    elif low == "type":
        if not _TYPE_RE.fullmatch(value):
            raise InvalidField(f"type {value!r}: an entry type is one word of letters (article, inproceedings)")
        return value.lower()
    elif low == "key":
        if not citekeys.is_valid_user_key(value):
            raise InvalidField(f"key {value!r}: use letters, digits and - _ : . / +, starting with a letter or digit")
    elif low in NAME_FIELDS:
        from .. import names  # the BibTeX name parser loads only when a name is edited

        try:
            names.parse_name_list(value)
        except PapershelfError as exc:
            raise InvalidField(f"{low}: {exc}") from exc
        if _empty_name(value):
            raise InvalidField(f"{low} {_short(value)!r}: a name is empty ('and' at an end, or 'and and')")
    return value


def _date(text: str) -> dt.date | None:
    """The date of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (missing parts 1), None when not one."""
    m = _DATE_RE.fullmatch(text.strip())
    if not m or not 1000 <= int(m.group(1)) <= 2100:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def parse_change(name: str, text: str) -> tuple[str, Value]:
    """One ``FIELD=VALUE`` of the command line as a change: name lists in BibTeX syntax, empty removes."""
    from .. import names

    low = field_name(name)
    value = check_value(low, text)
    if low in NAME_FIELDS:
        return low, tuple(names.stored_from_bibtex(raw) for raw in names.split_list(value))
    return low, value or None


def date_changes(fields: Mapping[str, str], text: str) -> dict[str, Value]:
    """The changes for a "year or date" typed in the editor, in the style the entry already uses.

    ``fields``: the paper's extra fields. An entry with a ``date`` field gets
    its ``date`` set; any other gets ``year``, ``month`` and ``day`` as the
    text gives them (a year alone takes month and day away); what already
    means the same is left out, and an empty text removes them all.
    """
    text = text.strip()
    if not text:
        return {name: None for name in DATE_FIELDS if fields.get(name)}
    if _date(text) is None:
        if _YEAR_RE.fullmatch(text):
            check_value("year", text)  # out of range: its own message
        raise InvalidField(f"year or date {text!r}: give YYYY, YYYY-MM or YYYY-MM-DD")
    if fields.get("date"):
        return {} if fields["date"].strip() == text else {"date": text}
    parts = [*text.split("-"), None, None]
    changes: dict[str, Value] = {}
    if str(fields.get("year", "")).strip() != parts[0]:
        changes["year"] = parts[0]
    month = str(int(parts[1])) if parts[1] else None
    if month_macro(str(fields.get("month", ""))) != (month_macro(month) if month else None):
        changes["month"] = month
    day = str(int(parts[2])) if parts[2] else None
    had_day = str(fields.get("day", "")).strip()
    if (str(int(had_day)) if had_day.isdigit() else had_day or None) != day:
        changes["day"] = day
    return changes


# --- The operation -------------------------------------------------------------------------


@dataclass(frozen=True)
class EditFields(Operation):
    """Set or remove fields of one paper; the result is ``[(field, before, after), …]`` for what changed."""

    paper_id: int
    #: (lowercase field name, value) in order; see :data:`Value`.
    changes: tuple[tuple[str, Value], ...] = field(compare=False)
    #: The values the user saw, by field (see :func:`seen_values`), for the fields they changed. A field
    #: someone else changed since (the library's value is no longer this) and the user changed to
    #: something else is a conflict: :class:`EditConflict` names every such field and nothing is saved.
    #: A field only the other person changed keeps their value. Fields not here are written as given.
    base: Mapping[str, Value] | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls,
        paper_id: int,
        changes: Mapping[str, Value] | Iterable[tuple[str, Value]],
        base: Mapping[str, Value] | None = None,
    ) -> EditFields:
        items = changes.items() if isinstance(changes, Mapping) else changes
        return cls(paper_id, tuple(items), None if base is None else dict(base))

    @property
    def label(self) -> str:
        fields = list(dict.fromkeys(_shown_name(n) for n, _ in self.changes))
        if len(fields) > 3:
            return f"Edit {len(fields)} fields"
        if not fields:
            return "Edit nothing"
        return "Edit the " + (", ".join(fields[:-1]) + " and " + fields[-1] if len(fields) > 1 else fields[0])

    def apply(self, conn: Connection) -> Outcome:
        require(conn, [self.paper_id])
        row = dict(conn.execute(select(P).where(P.c.id == self.paper_id)).one()._mapping)
        wanted = self._checked(row)
        abstract = conn.execute(select(A.c.abstract).where(A.c.paper_id == self.paper_id)).scalar()
        if self.base is not None:
            wanted = self._unclashed(wanted, row, abstract)
        source = conn.execute(select(B.c.fields).where(B.c.paper_id == self.paper_id)).scalar()
        written = {str(n).lower() for n, _ in (source or [])}
        sources_before = sources_of(conn, [self.paper_id])

        values: dict[str, Any] = {}
        extra = dict(row["extra_fields"] or {})
        touched: list[str] = []  # field_source names no longer true
        shown: list[tuple[str, str, str]] = []
        new_abstract: str | None = abstract
        key: str | None = None
        dates = False
        for name, value in wanted.items():
            before = _current(name, row, extra, abstract)
            if name == "key":
                key = str(value)
                after = key
            elif name == "title":
                if value != row["title"]:
                    values["title"], values["title_edited"] = value, 1
                after = str(value)
            elif name == "type":
                values["entry_type"] = value
                after = str(value)
            elif name == "author":
                authors = list(value or ())
                values["authors"], values["first_author"] = authors, authors[0] if authors else ""
                touched.append("authors")
                after = " and ".join(authors)
            elif name == "url":
                values["url"] = value
                touched.append("url")
                after = str(value or "")
            elif name == "abstract":
                new_abstract = str(value) if value else None
                touched.append("abstract")
                after = new_abstract or ""
            else:
                text = " and ".join(value) if isinstance(value, tuple) else value
                if name in DATE_FIELDS:
                    dates = True
                    if name == "date":
                        # The year, month and day an import read from the old date follow it
                        # (exports write a date as year and month).
                        parts = dict(zip(("year", "month", "day"), (text or "").split("-")))
                        for derived in ("year", "month", "day"):
                            if derived in wanted or derived in written and derived not in parts:
                                continue
                            if derived in parts:
                                extra[derived] = str(int(parts[derived]))
                            else:
                                extra.pop(derived, None)
                if text:
                    extra[name] = text
                else:
                    extra.pop(name, None)
                touched.append(name)
                after = text or ""
            if before != after:
                shown.append((_shown_name(name), before, after))
        if extra != (row["extra_fields"] or {}):
            values["extra_fields"] = extra
        if dates:
            values["published"] = published(extra)
            touched.append("published")

        steps: list[Operation] = []
        changed_ids = {self.paper_id}
        if key is not None and key != row["citation_key"]:
            outcome = SetCitationKey(self.paper_id, key).apply(conn)
            steps.append(outcome.inverse)
            changed_ids |= outcome.changes.papers
        elif key is not None and not row["key_pinned"]:
            values["key_pinned"] = 1  # a key the user confirms is theirs
        values = {k: v for k, v in values.items() if row[k] != v}
        if values:
            conn.execute(update(P).where(P.c.id == self.paper_id).values(**values))
        if self.base is None:
            steps.append(PutRows((row,)))
        else:
            # A shared library: the undo puts back only what this edit changed (down to each extra field),
            # so what others changed since in the paper's other fields, status or tags stays.
            had = row["extra_fields"] or {}
            keys = sorted(k for k in set(had) | set(extra) if had.get(k) != extra.get(k))
            steps.append(
                RestoreFields(
                    self.paper_id,
                    tuple((k, row[k]) for k in values if k != "extra_fields"),
                    tuple((k, had.get(k)) for k in keys),
                )
            )
        if new_abstract != abstract:
            steps.append(SetAbstracts(((self.paper_id, abstract),)))
            SetAbstracts(((self.paper_id, new_abstract),)).apply(conn)
        gone = [s for s in sources_before if s["field"] in touched]
        if gone:
            conn.execute(FS.delete().where(FS.c.paper_id == self.paper_id, FS.c.field.in_([s["field"] for s in gone])))
            steps.append(PutFieldSources((self.paper_id,), sources_before))
        db.reindex(conn, [self.paper_id])
        inverse: Operation = Batch(tuple(steps), self.label)
        if self.base is not None:
            # An undo never overwrites a field someone else changed since: it is refused, naming it.
            left = _texts(conn, self.paper_id, wanted)
            puts = {name: _current(name, row, row["extra_fields"] or {}, abstract) for name in wanted}
            inverse = IfUnchanged(self.paper_id, tuple(left.items()), tuple(puts.items()), inverse)
        return Outcome(Changes(papers=frozenset(changed_ids)), inverse, shown)

    def _unclashed(self, wanted: dict[str, Value], row: Mapping[str, Any], abstract: str | None) -> dict[str, Value]:
        """``wanted`` less the fields the user left as they saw them; :class:`EditConflict` for any changed both ways."""
        assert self.base is not None
        seen = {field_name(name): as_text(value) for name, value in self.base.items()}
        extra = row["extra_fields"] or {}
        kept: dict[str, Value] = {}
        clashes: list[Clash] = []
        for name, value in wanted.items():
            if name not in seen:
                kept[name] = value
                continue
            base, mine, theirs = seen[name], as_text(value), _current(name, row, extra, abstract)
            if mine == base:
                continue  # not the user's change: whatever the library holds now stays
            if theirs not in (base, mine):
                clashes.append(Clash(name, base, theirs, mine, textmerge.merge3(base, mine, theirs)))
            kept[name] = value
        if clashes:
            raise EditConflict(f"paper {self.paper_id} ({row['citation_key']})", clashes, paper_id=self.paper_id)
        return kept

    def _checked(self, row: Mapping[str, Any]) -> dict[str, Value]:
        """The changes with names and values checked; the last change of a field wins."""
        from .. import names

        wanted: dict[str, Value] = {}
        for name, value in self.changes:
            low = field_name(name)
            if isinstance(value, tuple):
                if low not in NAME_FIELDS:
                    raise InvalidField(f"{low}: not a list of names")
                # Names the paper has already pass as they are: only new ones are checked.
                had = set(row["authors"] or []) if low == "author" else set()
                if low != "author":
                    had = set(split_name_list(str((row["extra_fields"] or {}).get(low, ""))))
                for one in value:
                    if one in had:
                        continue
                    problem = names.check(names.from_stored(one))
                    if problem or not one.strip():
                        raise InvalidField(f"{low}: {problem or 'a name is empty'}")
                wanted[low] = tuple(" ".join(one.split()) for one in value)
                continue
            text = check_value(low, value or "")
            if low in NAME_FIELDS:
                wanted[low] = tuple(names.stored_from_bibtex(raw) for raw in names.split_list(text))
            else:
                wanted[low] = text or None
        for low, kept in wanted.items():
            if low != "author" and isinstance(kept, tuple) and any(_AND_RE.search(one) for one in kept):
                # The library keeps these lists as one text, "A and B": such a name would split.
                raise InvalidField(f"{low}: a name holding 'and' can only be an author")
        return wanted


@dataclass(frozen=True)
class RestoreFields(Operation):
    """Put back some columns of a paper and some of its extra fields (None: not there), leaving the rest as it is."""

    paper_id: int
    columns: tuple[tuple[str, Any], ...] = field(compare=False)
    extra: tuple[tuple[str, str | None], ...] = field(compare=False)

    @property
    def label(self) -> str:
        return "Restore fields"

    def apply(self, conn: Connection) -> Outcome:
        require(conn, [self.paper_id])
        row = dict(conn.execute(select(P).where(P.c.id == self.paper_id)).one()._mapping)
        had = dict(row["extra_fields"] or {})
        extra = dict(had)
        for key, value in self.extra:
            if value is None:
                extra.pop(key, None)
            else:
                extra[key] = value
        values = dict(self.columns) | ({"extra_fields": extra} if self.extra else {})
        if values:
            conn.execute(update(P).where(P.c.id == self.paper_id).values(**values))
            db.reindex(conn, [self.paper_id])
        inverse = RestoreFields(
            self.paper_id, tuple((k, row[k]) for k, _ in self.columns), tuple((k, had.get(k)) for k, _ in self.extra)
        )
        return Outcome(Changes(papers=frozenset({self.paper_id})), inverse)


@dataclass(frozen=True)
class IfUnchanged(Operation):
    """``inner`` (an edit's undo, or its redo) unless a field it puts back was changed by someone else since.

    ``left``: (field, text) as the change left them; ``puts``: as ``inner`` puts them back. A field that
    holds neither is an :class:`EditConflict`; nothing is changed.
    """

    paper_id: int
    left: tuple[tuple[str, str], ...]
    puts: tuple[tuple[str, str], ...]
    inner: Operation = field(compare=False)

    @property
    def label(self) -> str:
        return self.inner.label

    def apply(self, conn: Connection) -> Outcome:
        require(conn, [self.paper_id])
        names = [name for name, _ in self.left]
        now = _texts(conn, self.paper_id, names)
        puts = dict(self.puts)
        clashes = [
            Clash(name, text, now[name], puts[name], textmerge.merge3(text, puts[name], now[name]))
            for name, text in self.left
            if now[name] not in (text, puts[name])
        ]
        if clashes:
            key = conn.execute(select(P.c.citation_key).where(P.c.id == self.paper_id)).scalar()
            raise EditConflict(f"paper {self.paper_id} ({key})", clashes, paper_id=self.paper_id)
        outcome = self.inner.apply(conn)
        redo = IfUnchanged(self.paper_id, self.puts, self.left, outcome.inverse)
        return Outcome(outcome.changes, redo, outcome.result)


def _texts(conn: Connection, paper_id: int, names: Iterable[str]) -> dict[str, str]:
    """Fields of a paper as text, as :func:`_current` gives them."""
    row = dict(conn.execute(select(P).where(P.c.id == paper_id)).one()._mapping)
    abstract = conn.execute(select(A.c.abstract).where(A.c.paper_id == paper_id)).scalar()
    return {name: _current(name, row, row["extra_fields"] or {}, abstract) for name in names}


def _shown_name(name: str) -> str:
    return {"type": "entry type", "key": "citation key"}.get(name, name)


def as_text(value: Value) -> str:
    """A field's value as text, as :func:`_current` gives it: names joined by " and ", nothing as ""."""
    if isinstance(value, tuple):
        return " and ".join(value)
    return value or ""


def seen_values(paper: Paper, names: Iterable[str]) -> dict[str, str]:
    """The fields ``names`` of ``paper`` as the user saw them: the ``base`` of an :class:`EditFields`."""
    extra = paper.extra_fields or {}
    row = {
        "citation_key": paper.citation_key,
        "title": paper.title,
        "entry_type": paper.entry_type,
        "authors": paper.authors,
        "url": paper.url,
    }
    return {field_name(name): _current(field_name(name), row, extra, paper.abstract) for name in names}


def _current(name: str, row: Mapping[str, Any], extra: Mapping[str, str], abstract: str | None) -> str:
    """A field's value before the edit, as text."""
    if name == "key":
        return str(row["citation_key"])
    if name == "title":
        return str(row["title"])
    if name == "type":
        return str(row["entry_type"] or "misc")
    if name == "author":
        return " and ".join(row["authors"] or [])
    if name == "url":
        return str(row["url"] or "")
    if name == "abstract":
        return abstract or ""
    return str(extra.get(name, ""))


def published(extra: Mapping[str, str]) -> dt.date | None:
    """The paper's date from its ``date`` field, else ``year``/``month``/``day`` (missing parts 1), as an import reads it."""
    when = _date(str(extra.get("date", "")).split("/")[0]) if extra.get("date") else None
    if when is not None and not extra.get("year"):
        return when
    year = str(extra.get("year", "")).strip()
    if not _YEAR_RE.fullmatch(year):
        return when
    macro = month_macro(str(extra.get("month", "")))
    month = MONTHS.index(macro) + 1 if macro else 1
    day = str(extra.get("day", "")).strip()
    try:
        return dt.date(int(year), month, int(day) if day.isdigit() else 1)
    except ValueError:
        return dt.date(int(year), month, 1)


def describe(shown: Sequence[tuple[str, str, str]]) -> list[str]:
    """``title: 'Old' -> 'New'`` lines for what an edit changed."""
    return [
        f"{name}: {_short(before)!r} -> {_short(after)!r}" if before else f"{name}: {_short(after)!r}"
        for name, before, after in shown
    ]
