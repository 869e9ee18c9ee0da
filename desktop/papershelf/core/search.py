"""The search query syntax, turned into SQL.

Syntax: free words (matched as prefixes, for search as you type), "quoted
phrases", and filters ``tag:NAME``, ``list:NAME`` (quotes allowed),
``status:unread|reading|read``, ``date:YYYY-MM-DD`` (or ``YYYY-MM``, the
listing date), ``has:notes``, ``has:code`` and ``has:pdf`` (a PDF attached).
All terms must hold (AND); ``-term`` negates a term.

Free words and phrases match a paper when its metadata (title, abstract,
authors, notes, tags: ``paper_fts``) holds them all, or the text of one of
its attached PDFs does (``pdf_fts``). A negated word (``-vision``) looks at
the metadata only: nearly every PDF mentions everything once.

A filter that cannot select anything the user meant is a :class:`QueryError`
with a one-line message, never a silent "no match": a missing value
(``tag:``), an impossible value (``date:2025-13``) or, checked against the
library by :func:`check_names`, a tag or list that does not exist.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    func,
    not_,
    or_,
    select,
    true,
)

from . import db
from .errors import PapershelfError
from .records import STATUSES
from .schema import (
    AttachmentTable,
    ListEntryTable,
    NoteTable,
    PaperTable,
    PaperTagTable,
    ReadingListTable,
    SightingTable,
    TagTable,
)

FILTERS = ("tag", "list", "status", "date", "has")
_TERM = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)("?)|(\S+))')
_WORDISH = re.compile(r"\w", re.UNICODE)
_BARE_FILTER = re.compile(r"(\w+):")
#: What each filter needs, for the message when its value is missing.
NEEDS = {
    "tag": "a tag name (tag:NAME)",
    "list": "a list name (list:NAME)",
    "status": "a status (status:unread, status:reading or status:read)",
    "date": "a date (date:YYYY-MM-DD or date:YYYY-MM)",
    "has": "has:notes, has:code or has:pdf",
}


class QueryError(PapershelfError):
    """A filter with a value it cannot take, such as ``status:done``."""


@dataclass(frozen=True, slots=True)
class Term:
    negated: bool
    #: ``None`` for free text, else one of :data:`FILTERS`.
    field: str | None
    value: str
    #: Free text whose last word may be a prefix: bare words, and a phrase
    #: whose closing quote has not been typed yet.
    prefix: bool = True


def parse(query: str) -> list[Term]:
    """Split a query into terms; an unknown ``word:`` prefix is plain text.

    Never raises (the GUI highlights with it while the user types): a filter
    with no value (``tag:``) is a term with an empty value, refused by :func:`plan`.
    """
    terms = []
    for match in _TERM.finditer(query):
        negated, field, quoted, closed, bare = match.groups()
        value = quoted if quoted is not None else bare
        empty = _BARE_FILTER.fullmatch(bare or "")
        if field is None and empty and empty.group(1).lower() in FILTERS:
            terms.append(Term(bool(negated), empty.group(1).lower(), "", prefix=False))
            continue
        if field and field.lower() not in FILTERS:
            value = f"{field}:{value}"
            field = None
        if field:
            field = field.lower()
        if value is None or (not value.strip() and field is None):
            continue
        if field is None and not _WORDISH.search(value):
            continue  # punctuation alone matches nothing useful in FTS5
        exact = quoted is not None and bool(closed)
        terms.append(Term(bool(negated), field, value.strip(), prefix=field is None and not exact))
    return terms


def highlight_terms(query: str) -> list[str]:
    """The words and phrases a match should highlight (positive free text only)."""
    return [t.value for t in parse(query) if t.field is None and not t.negated]


#: A word shorter than this is matched whole, not as a prefix. One letter
#: would match nearly every paper (``d*`` hits 98% of abstracts), so typing the
#: first letter of a word would redraw the whole library for nothing; from
#: the second letter on, prefixes are served by the FTS5 prefix index.
MIN_PREFIX = 2


def _fts_expression(term: Term) -> str:
    last_word = re.split(r"\W+", term.value.strip())[-1] if term.value.strip() else ""
    return db.fts_quote(term.value, prefix=term.prefix and len(last_word) >= MIN_PREFIX)


def _filter(term: Term) -> ColumnElement[bool]:
    """A condition for one filter term.

    Filters over other tables are ``id IN (SELECT …)`` rather than correlated
    ``EXISTS``: SQLite runs the subquery once, which is far faster at 100k rows.
    """
    paper = PaperTable.__table__.c
    value = term.value
    if not value:
        raise QueryError(f'search: "{term.field}:" needs {NEEDS[str(term.field)]}')
    if term.field == "tag":
        return paper.id.in_(
            select(PaperTagTable.paper_id)
            .join(TagTable, TagTable.id == PaperTagTable.tag_id)
            .where(TagTable.name == value)
        )
    if term.field == "list":
        return paper.id.in_(
            select(ListEntryTable.paper_id)
            .join(ReadingListTable, ReadingListTable.id == ListEntryTable.list_id)
            .where(ReadingListTable.name == value)
        )
    if term.field == "status":
        if value.lower() not in STATUSES:
            raise QueryError(
                f'search: "status:{value}" is not a status (use status:unread, status:reading or status:read)'
            )
        return paper.status == value.lower()
    if term.field == "date":
        day = _date(value)
        condition: ColumnElement[bool]
        if len(value) == 7:  # a month: YYYY-MM
            condition = SightingTable.listing_date.between(db.Day(value + "-01"), db.Day(_month_end(day)))
        else:
            # Compared as text (the column's storage), so the index is used.
            condition = SightingTable.listing_date == db.Day(day.isoformat())
        return paper.id.in_(select(SightingTable.paper_id).where(condition))
    if term.field == "has":
        if value.lower() == "notes":
            return paper.id.in_(select(NoteTable.paper_id).where(NoteTable.text != ""))
        if value.lower() == "code":
            return func.json_array_length(paper.code_urls) > 0
        if value.lower() == "pdf":
            return paper.id.in_(select(AttachmentTable.paper_id))
        raise QueryError(f'search: "has:{value}": use has:notes, has:code or has:pdf')
    raise AssertionError(term.field)


def _month_end(day: dt.date) -> str:
    """The last day of ``day``'s month, as text."""
    import calendar

    return day.replace(day=calendar.monthrange(day.year, day.month)[1]).isoformat()


def _date(value: str) -> dt.date:
    """The day of ``date:YYYY-MM-DD``, or the first of the month of ``date:YYYY-MM``; a month 13 is no date."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}", value):
            return dt.date(int(value[:4]), int(value[5:]), 1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise QueryError(f'search: "date:{value}" is not a date (use date:YYYY-MM-DD or date:YYYY-MM)')


#: How many close names a message suggests.
SUGGESTIONS = 3
#: Names looked at for suggestions; past this, a library with that many tags gets no "did you mean".
MAX_SUGGESTION_CANDIDATES = 20_000


def _close_names(value: str, names: Sequence[str]) -> list[str]:
    """Names that start like ``value`` (a half-typed name), then names spelled alike (difflib), by case-folded text."""
    if len(names) > MAX_SUGGESTION_CANDIDATES:
        return []
    by_folded: dict[str, str] = {}
    for name in names:
        by_folded.setdefault(name.casefold(), name)
    wanted = value.casefold()
    starting = sorted(folded for folded in by_folded if folded.startswith(wanted))
    alike = difflib.get_close_matches(wanted, list(by_folded), n=SUGGESTIONS)
    chosen = list(dict.fromkeys(starting[:SUGGESTIONS] + alike))[:SUGGESTIONS]
    return [by_folded[folded] for folded in chosen]


def _unknown_name(kind: str, value: str, names: Sequence[str]) -> QueryError:
    message = f'search: no {kind} named "{value}"'
    close = _close_names(value, names)
    if close:
        quoted = [f'"{name}"' for name in close]
        choices = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        message += f"; did you mean {choices}?"
    elif not names:
        message += f" (the library has no {'tags' if kind == 'tag' else 'reading lists'} yet)"
    return QueryError(message)


def check_names(conn: Connection, query: str) -> None:
    """Raise :class:`QueryError` for a ``tag:`` or ``list:`` filter naming no tag or list in the library.

    A typo would otherwise match nothing (or, negated, everything) and look
    like an answer. Names compare without case, as the filters do.
    """
    for term in parse(query):
        if term.field not in ("tag", "list") or not term.value:
            continue
        model = TagTable if term.field == "tag" else ReadingListTable
        # The column's NOCASE collation makes this the same comparison as the filter's.
        if conn.execute(select(model.id).where(model.name == term.value)).first() is not None:
            continue
        names = list(conn.execute(select(model.name).limit(MAX_SUGGESTION_CANDIDATES + 1)).scalars())
        raise _unknown_name("tag" if term.field == "tag" else "reading list", term.value, names)


@dataclass(slots=True)
class Plan:
    """A query taken apart: one FTS5 match for the positive words, the rest as SQL conditions."""

    match: str | None
    #: Conditions on ``paper`` other than the positive words (filters, negated words).
    conditions: list[ColumnElement[bool]]
    #: The positive words one by one (FTS5 expressions), to show where a PDF holds one of them.
    words: list[str] = field(default_factory=list)


def plan(query: str) -> Plan:
    """Compile ``query``; raises :class:`QueryError` for a filter value it cannot take."""
    paper = PaperTable.__table__.c
    conditions: list[ColumnElement[bool]] = []
    positive_text: list[str] = []
    for term in parse(query):
        if term.field is None:
            expression = _fts_expression(term)
            if term.negated:
                conditions.append(db.fts_excludes(paper.id, expression))
            else:
                positive_text.append(expression)
        else:
            condition = _filter(term)
            conditions.append(not_(condition) if term.negated else condition)
    # One MATCH for all positive words: FTS5 intersects them itself.
    return Plan(" AND ".join(positive_text) or None, conditions, positive_text)


def pdf_matched_ids(conn: Connection, compiled: Plan) -> list[int]:
    """Papers with an attached PDF whose text holds every positive word (filters and negated words not applied).

    One FTS5 query on ``pdf_fts``, which holds no more documents than the
    library has PDFs: a millisecond even for a prefix every PDF holds. The
    words are not split between the metadata and a PDF (looking each word up
    in both indexes made a common prefix cost a second at 100,000 papers); a
    paper's PDF holds its own title and abstract anyway.
    """
    if not compiled.match:
        return []
    return sorted(db.pdf_match_papers(conn, compiled.match))


def where_clause(query: str, pdf_ids: Sequence[int] = ()) -> ColumnElement[bool]:
    """A condition on the ``paper`` table that selects the papers matching ``query``.

    ``pdf_ids``: papers that match the positive words through their PDFs'
    text (:func:`pdf_matched_ids`); the filters still apply to them.
    """
    return plan_clause(plan(query), pdf_ids)


def plan_clause(compiled: Plan, pdf_ids: Sequence[int] = (), *, gather: bool = False) -> ColumnElement[bool]:
    """:func:`where_clause` for a query already compiled by :func:`plan` (callers that need both compile once).

    ``gather``: the papers matching the words are few (``db.fts_few_matches``):
    find them all first, rather than test papers one by one in sort order.
    """
    conditions = list(compiled.conditions)
    if compiled.match:
        column, matching = PaperTable.__table__.c.id, db.fts_match_ids(compiled.match)
        text_condition = db.in_gathered(column, matching) if gather else column.in_(matching)
        if pdf_ids:
            text_condition = or_(text_condition, among(pdf_ids))
        conditions.insert(0, text_condition)
    return and_(true(), *conditions)


def among(paper_ids: Sequence[int]) -> ColumnElement[bool]:
    """``paper.id IN (…)`` for a list of ids of any length (one parameter, not one per id)."""
    return db.ids_in(PaperTable.__table__.c.id, paper_ids)
