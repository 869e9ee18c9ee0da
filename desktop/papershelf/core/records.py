"""Plain data records passed between the core and its callers.

Importers yield :class:`PaperRecord`; the library returns :class:`Paper` and
:class:`PaperRow`. None of these hold a database session, so the GUI and the
CLI can keep them as long as they like.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .bibsource import BibSource

if TYPE_CHECKING:
    from .operations import Operation

STATUSES = ("unread", "reading", "read")


@dataclass(slots=True)
class PaperRecord:
    """One paper as an importer read it from a file, before it meets the library."""

    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    url: str | None = None
    code_urls: list[str] = field(default_factory=list)
    project_url: str | None = None
    published: dt.date | None = None
    listing_date: dt.date | None = None
    position: int = 0
    #: Where it came from, e.g. "hf-daily" or "bibtex".
    source: str = "hf-daily"
    #: Where in the file it starts ("line 12", "item 3"), for error messages.
    where: str = ""
    primary_class: str | None = None
    # Fields only a BibTeX import fills in.
    entry_type: str | None = None
    citation_key: str | None = None
    tags: list[str] = field(default_factory=list)
    extra_fields: dict[str, str] = field(default_factory=dict)
    #: The entry as written, kept so that what the user does not change is exported as it came.
    bibtex: BibSource | None = None


@dataclass(slots=True)
class Note:
    id: int
    paper_id: int
    text: str
    created: dt.datetime
    updated: dt.datetime
    #: The row's version: one more on every change of it (``schema.NoteTable.version``).
    version: int = 1


@dataclass(slots=True)
class Sighting:
    source: str
    listing_date: dt.date
    position: int


@dataclass(slots=True)
class Paper:
    """Everything the library knows about one paper."""

    id: int
    title: str
    abstract: str
    authors: list[str]
    arxiv_id: str | None
    url: str | None
    code_urls: list[str]
    project_url: str | None
    published: dt.date | None
    added_at: dt.datetime
    status: str
    read_at: dt.datetime | None
    priority: int
    citation_key: str
    entry_type: str
    primary_class: str | None
    extra_fields: dict[str, str]
    tags: list[str]
    lists: list[str]
    notes: list[Note]
    sightings: list[Sighting]
    #: The BibTeX entry the paper was imported from, as written (None: not imported from BibTeX).
    bibtex: BibSource | None = None
    #: The key was exported, copied, edited or imported: it never changes.
    key_pinned: bool = True
    #: "auto": cite the published version once there is one; "preprint": always the arXiv preprint.
    cite_as: str = "auto"
    #: What arXiv says that is not a BibTeX field: categories, journal_ref, comment, version.
    metadata: dict[str, Any] = field(default_factory=dict)
    #: field -> (source, when) for the fields an online source filled in.
    filled_by: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    #: Citation keys of papers merged into this one (``key_alias``): exports write them as biblatex ``ids``.
    aliases: list[str] = field(default_factory=list)

    @property
    def listing_dates(self) -> list[dt.date]:
        return sorted({s.listing_date for s in self.sightings})

    @property
    def link(self) -> str | None:
        """The best page for the paper: its own URL, else its arXiv abstract page."""
        if self.url:
            return self.url
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        return None


@dataclass(slots=True)
class PaperRow:
    """The columns the paper table shows, fetched for visible rows only."""

    id: int
    title: str
    first_author: str
    status: str
    priority: int
    tags: str
    listed_on: dt.date | None
    added_at: dt.datetime


@dataclass(slots=True)
class ImportResult:
    """What one import did (or, for a preview, would do)."""

    file: str
    format: str
    added: int = 0
    existing: int = 0
    #: Papers of the listing not in the library, left out by a completion (``only_existing``).
    unmatched: int = 0
    #: The papers the import added or matched, in listing order.
    paper_ids: list[int] = field(default_factory=list)
    listing_dates: list[dt.date] = field(default_factory=list)
    #: Entries skipped with a reason (BibTeX), each naming the file and line.
    problems: list[str] = field(default_factory=list)
    #: Entries imported with a change worth knowing (an undefined @string kept as text).
    warnings: list[str] = field(default_factory=list)
    #: BibTeX entries merged into a library paper, and why: "k (line 3) into paper 7 (same key)".
    merged: list[str] = field(default_factory=list)
    #: BibTeX entries added although they look like another paper (same title and year).
    duplicates: list[str] = field(default_factory=list)
    #: The operation that takes this import back out (None for a preview).
    undo: Operation | None = None

    @property
    def total(self) -> int:
        return self.added + self.existing

    def notes(self) -> list[str]:
        """Every message of the import, one line each, labelled as the CLI and the preview show them."""
        return (
            [f"merged: {m}" for m in self.merged]
            + [f"possible duplicate: {d}" for d in self.duplicates]
            + [f"warning: {w}" for w in self.warnings]
            + [f"skipped: {p}" for p in self.problems]
        )
