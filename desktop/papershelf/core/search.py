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

from sqlalchemy import ColumnElement, and_, func, not_, select, true

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


def _fts_expression(term: Term) -> str:
    return db.fts_quote(term.value, prefix=term.prefix)


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
            condition = func.substr(SightingModel.listing_date, 1, 7) == value
        else:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                raise QueryError(f"date:{value}: use date:YYYY-MM-DD or date:YYYY-MM") from None
            condition = SightingModel.listing_date == day
        return paper.id.in_(select(SightingModel.paper_id).where(condition))
    if term.field == "has":
        if value.lower() == "notes":
            return paper.id.in_(select(NoteModel.paper_id).where(NoteModel.text != ""))
        if value.lower() == "code":
            return func.json_array_length(paper.code_urls) > 0
        raise QueryError(f"has:{value}: use has:notes or has:code")
    raise AssertionError(term.field)


def where_clause(query: str) -> ColumnElement[bool]:
    """A condition on the ``paper`` table that selects the papers matching ``query``."""
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
    if positive_text:
        # One MATCH for all positive words: FTS5 intersects them itself.
        conditions.insert(0, paper.id.in_(db.fts_match_ids(" AND ".join(positive_text))))
    return and_(true(), *conditions)
