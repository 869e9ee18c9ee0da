"""The search query syntax, turned into SQL.

Syntax: free words (matched as prefixes, for search as you type), "quoted
phrases", and filters ``tag:NAME``, ``list:NAME`` (quotes allowed),
``status:unread|reading|read``, ``date:YYYY-MM-DD`` (or ``YYYY-MM``, the
listing date), ``has:notes`` and ``has:code``. All terms must hold (AND);
``-term`` negates a term.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, and_, func, not_, select, true, type_coerce

from . import db
from .errors import PapershelfError
from .models import ListEntryModel, NoteModel, PaperModel, PaperTagModel, ReadingListModel, SightingModel, TagModel
from .records import STATUSES

FILTERS = ("tag", "list", "status", "date", "has")
_TERM = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)("?)|(\S+))')
_WORDISH = re.compile(r"\w", re.UNICODE)


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
    """Split a query into terms; an unknown ``word:`` prefix is plain text."""
    terms = []
    for match in _TERM.finditer(query):
        negated, field, quoted, closed, bare = match.groups()
        value = quoted if quoted is not None else bare
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
    paper = PaperModel.__table__.c
    value = term.value
    if term.field == "tag":
        return paper.id.in_(
            select(PaperTagModel.paper_id).join(TagModel, TagModel.id == PaperTagModel.tag_id).where(TagModel.name == value)
        )
    if term.field == "list":
        return paper.id.in_(
            select(ListEntryModel.paper_id)
            .join(ReadingListModel, ReadingListModel.id == ListEntryModel.list_id)
            .where(ReadingListModel.name == value)
        )
    if term.field == "status":
        if value.lower() not in STATUSES:
            raise QueryError(f"status:{value}: use status:unread, status:reading or status:read")
        return paper.status == value.lower()
    if term.field == "date":
        if re.fullmatch(r"\d{4}-\d{2}", value):
            condition = SightingModel.listing_date.between(
                type_coerce(value + "-01", String), type_coerce(value + "-31", String)
            )
        else:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                raise QueryError(f"date:{value}: use date:YYYY-MM-DD or date:YYYY-MM") from None
            # Compared as text (the column's storage), so the index is used.
            condition = SightingModel.listing_date == type_coerce(day.isoformat(), String)
        return paper.id.in_(select(SightingModel.paper_id).where(condition))
    if term.field == "has":
        if value.lower() == "notes":
            return paper.id.in_(select(NoteModel.paper_id).where(NoteModel.text != ""))
        if value.lower() == "code":
            return func.json_array_length(paper.code_urls) > 0
        raise QueryError(f"has:{value}: use has:notes or has:code")
    raise AssertionError(term.field)


@dataclass(slots=True)
class Plan:
    """A query taken apart: one FTS5 match for the positive words, the rest as SQL conditions."""

    match: str | None
    #: Conditions on ``paper`` other than the positive words (filters, negated words).
    conditions: list[ColumnElement[bool]]


def plan(query: str) -> Plan:
    """Compile ``query``; raises :class:`QueryError` for a filter value it cannot take."""
    paper = PaperModel.__table__.c
    conditions: list[ColumnElement[bool]] = []
    positive_text: list[str] = []
    for term in parse(query):
        if term.field is None:
            expression = _fts_expression(term)
            if term.negated:
                conditions.append(paper.id.not_in(db.fts_match_ids(expression)))
            else:
                positive_text.append(expression)
        else:
            condition = _filter(term)
            conditions.append(not_(condition) if term.negated else condition)
    # One MATCH for all positive words: FTS5 intersects them itself.
    return Plan(" AND ".join(positive_text) or None, conditions)


def where_clause(query: str) -> ColumnElement[bool]:
    """A condition on the ``paper`` table that selects the papers matching ``query``."""
    compiled = plan(query)
    conditions = list(compiled.conditions)
    if compiled.match:
        conditions.insert(0, PaperModel.__table__.c.id.in_(db.fts_match_ids(compiled.match)))
    return and_(true(), *conditions)
