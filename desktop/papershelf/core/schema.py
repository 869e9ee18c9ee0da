"""The library's tables, as SQLAlchemy 2 typed mapped classes.

The schema itself is owned by the Alembic migrations in ``migrations/``; these
classes must match the head revision (``tests/migrations`` checks it).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: A name compared without case: SQLite's NOCASE collation, PostgreSQL's citext.
NAME = String(collation="NOCASE").with_variant(CITEXT(), "postgresql")


class Base(DeclarativeBase):
    if TYPE_CHECKING:
        # Every class here is mapped to a Table (declarative, with __tablename__); SQLAlchemy
        # types __table__ as the wider FromClause, which insert() and update() do not accept.
        __table__: ClassVar[Table]


class PaperTable(Base):
    __tablename__ = "paper"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    #: Normalised title (see ``normalize.title_key``): the fallback dedup key.
    title_key: Mapped[str] = mapped_column(Text, index=True)
    #: Author names in order, as a JSON array of strings.
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_author: Mapped[str] = mapped_column(Text, default="")
    arxiv_id: Mapped[str | None] = mapped_column(String, unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    code_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    project_url: Mapped[str | None] = mapped_column(Text)
    published: Mapped[dt.date | None] = mapped_column(Date)
    primary_class: Mapped[str | None] = mapped_column(String)
    #: The date of the first listing the paper was seen in.
    listed_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String, default="unread", index=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    citation_key: Mapped[str] = mapped_column(String)
    #: Set once the user edits the title, so imports never overwrite it.
    title_edited: Mapped[bool] = mapped_column(Integer, default=0)
    #: BibTeX entry type for papers imported from BibTeX; arXiv papers are misc.
    entry_type: Mapped[str] = mapped_column(String, default="misc")
    #: BibTeX fields Papershelf does not model (journal, pages, doi, …).
    extra_fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: The key was exported, copied, edited or imported: it never changes again.
    key_pinned: Mapped[bool] = mapped_column(Integer, default=1, server_default="1")
    #: "auto" (the published version once known) or "preprint".
    cite_as: Mapped[str] = mapped_column(String, default="auto", server_default="auto")
    #: What arXiv says that is not a BibTeX field: categories, journal_ref, comment, version.
    metadata_: Mapped[dict[str, object]] = mapped_column("metadata", JSON, default=dict, server_default="{}")
    #: Raised by one on every UPDATE of the row, by the database itself (migration 0007's trigger, pg0002's).
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    tags: Mapped[list[TagTable]] = relationship(secondary="paper_tag", back_populates="papers")
    notes: Mapped[list[NoteTable]] = relationship(back_populates="paper", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("status IN ('unread', 'reading', 'read')", name="ck_paper_status"),
        CheckConstraint("priority BETWEEN 0 AND 3", name="ck_paper_priority"),
        # Keys are unique case-insensitively; sort indexes for the paper table.
        Index("ix_paper_citation_key", func.lower(citation_key), unique=True),
        Index("ix_paper_title_sort", text("title COLLATE NOCASE")),
        Index("ix_paper_first_author_sort", text("first_author COLLATE NOCASE")),
    )


class AbstractTable(Base):
    """A paper's abstract, kept apart so the ``paper`` table stays narrow."""

    __tablename__ = "paper_abstract"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    abstract: Mapped[str] = mapped_column(Text)


class BibtexSourceTable(Base):
    """The BibTeX entry a paper was imported from, as written (see ``bibsource.BibSource``)."""

    __tablename__ = "bibtex_source"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    entry_type: Mapped[str] = mapped_column(String)
    citation_key: Mapped[str] = mapped_column(String)
    #: [[name, raw value], ...] in file order.
    fields: Mapped[list[list[str]]] = mapped_column(JSON)
    #: {lowercase name: fingerprint of the decoded value at import}.
    views: Mapped[dict[str, str]] = mapped_column(JSON)
    #: [[name, raw value], ...]: the @string definitions the fields use.
    strings: Mapped[list[list[str]]] = mapped_column(JSON)
    #: The crossref (or xref) target, lowercase: exports add the parent after its children.
    parent_key: Mapped[str | None] = mapped_column(String, index=True)


class FieldSourceTable(Base):
    """Which source filled which field of a paper, and when (``show`` prints it)."""

    __tablename__ = "field_source"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String)
    filled_at: Mapped[dt.datetime] = mapped_column(DateTime)


class FetchedDayTable(Base):
    """A daily listing fetched from the API: when, and how many papers it held."""

    __tablename__ = "fetched_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime)
    papers: Mapped[int] = mapped_column(Integer)


class AutoexportTable(Base):
    """A reading list, tag or saved search bound to a file that is kept up to date ("keep updated")."""

    __tablename__ = "autoexport"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "list", "tag" or "search".
    kind: Mapped[str] = mapped_column(String)
    #: The list's, tag's or saved search's name.
    name: Mapped[str] = mapped_column(String)
    #: The file as the user named it (a symlink stays a symlink: writes go to its target).
    path: Mapped[str] = mapped_column(Text, unique=True)
    #: An export format name (``exporters.FORMATS``).
    format: Mapped[str] = mapped_column(String)
    options: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: When the file was last replaced (not when it was last found unchanged).
    written_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Why the last rewrite failed, or None.
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("kind IN ('list', 'tag', 'search')", name="ck_autoexport_kind"),)


class KeyAliasTable(Base):
    """A citation key of a paper merged into another one: ``\\cite{oldkey}`` still finds the kept paper."""

    __tablename__ = "key_alias"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)

    __table_args__ = (Index("ix_key_alias_key_lower", func.lower(key), unique=True),)


class NotDuplicateTable(Base):
    """Two papers the user said are different, smaller id first."""

    __tablename__ = "not_duplicate"

    paper_a: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    paper_b: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (CheckConstraint("paper_a < paper_b", name="ck_not_duplicate_order"),)


class EntryCacheTable(Base):
    """A paper's encoded export entry per variant (see ``exporters/cache.py``).

    Migration 0005's triggers drop a paper's rows in the statement that changes what its entry is made of.
    """

    __tablename__ = "entry_cache"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(String, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    #: Where the paper's abstract goes back into ``text`` (left out of it), or None.
    abstract_at: Mapped[int | None] = mapped_column(Integer)
    #: The entry's own ``@string`` definitions (a JSON list of [name, value]), written before it
    #: where the export has not written them yet; None when it has none.
    strings: Mapped[str | None] = mapped_column(Text)


class AttachmentTable(Base):
    """A PDF of a paper: stored in the files folder by content hash, or linked where it is (migration 0006)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)
    #: "stored" (copied into the files folder) or "linked" (left where the user keeps it).
    kind: Mapped[str] = mapped_column(String)
    #: Stored: relative to the library's files folder; linked: absolute.
    path: Mapped[str] = mapped_column(Text)
    #: The file name the user knows it by (the original name, or "2501.01234.pdf").
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String, index=True)
    #: The file's modification time when it was last checked.
    mtime: Mapped[float | None] = mapped_column(Float)
    #: "attached" (by the user) or "downloaded" (from arXiv).
    origin: Mapped[str] = mapped_column(String)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: When the file was first found missing; None while it is where the library says.
    missing_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: "pending", "done" or "failed". ``text_error``: why it failed, or, when done, that the text stopped at a limit.
    text_state: Mapped[str] = mapped_column(String, server_default="pending", index=True)
    text_error: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int | None] = mapped_column(Integer)
    #: The note its annotations are written into, and that note's text as the app last wrote it.
    note_id: Mapped[int | None] = mapped_column(ForeignKey("note.id", ondelete="SET NULL"))
    note_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("kind IN ('stored', 'linked')", name="ck_attachment_kind"),
        CheckConstraint("origin IN ('attached', 'downloaded')", name="ck_attachment_origin"),
        CheckConstraint("text_state IN ('pending', 'done', 'failed')", name="ck_attachment_text_state"),
        UniqueConstraint("paper_id", "sha256", name="uq_attachment_paper_sha256"),
    )


class PdfAnnotationTable(Base):
    """A highlight or comment read from an attached PDF; ``ident`` is stable while the annotation is unchanged."""

    __tablename__ = "pdf_annotation"

    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True)
    ident: Mapped[str] = mapped_column(String, primary_key=True)
    #: 1-based page number.
    page: Mapped[int] = mapped_column(Integer)
    #: Reading order within the page (top to bottom).
    position: Mapped[float] = mapped_column(Float, server_default="0")
    #: "highlight", "underline", "strikeout", "squiggly", "note" or "freetext".
    kind: Mapped[str] = mapped_column(String)
    quote: Mapped[str] = mapped_column(Text, server_default="")
    comment: Mapped[str] = mapped_column(Text, server_default="")
    author: Mapped[str] = mapped_column(Text, server_default="")
    modified: Mapped[str | None] = mapped_column(String)


class DownloadTable(Base):
    """A PDF asked for and not yet arrived: downloads resume from here after a restart."""

    __tablename__ = "download"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    #: Why the last attempt failed, or None.
    error: Mapped[str | None] = mapped_column(Text)


class SettingTable(Base):
    """A library-wide setting (e.g. ``auto_download``), its value as JSON."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class TagTable(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    papers: Mapped[list[PaperTable]] = relationship(secondary="paper_tag", back_populates="tags")


class PaperTagTable(Base):
    __tablename__ = "paper_tag"

    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True)


class ReadingListTable(Base):
    __tablename__ = "reading_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ListEntryTable(Base):
    __tablename__ = "list_entry"

    list_id: Mapped[int] = mapped_column(ForeignKey("reading_list.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True, index=True)
    #: Order within the list; new entries go to the end.
    position: Mapped[int] = mapped_column(Integer)


class NoteTable(Base):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: Raised by one on every UPDATE of the row, by the database itself (migration 0007's trigger, pg0002's).
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    paper: Mapped[PaperTable] = relationship(back_populates="notes")


class SightingTable(Base):
    """A paper seen in one listing: which listing (source and date) and where in it."""

    __tablename__ = "sighting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String)
    listing_date: Mapped[dt.date] = mapped_column(Date, index=True)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("paper_id", "source", "listing_date"),)


class SavedSearchTable(Base):
    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    query: Mapped[str] = mapped_column(Text)


# The tables by short name, for the Core statements of library.py and operations.py.
P = PaperTable.__table__
A = AbstractTable.__table__
B = BibtexSourceTable.__table__
FS = FieldSourceTable.__table__
FD = FetchedDayTable.__table__
T = TagTable.__table__
PT = PaperTagTable.__table__
RL = ReadingListTable.__table__
LE = ListEntryTable.__table__
N = NoteTable.__table__
S = SightingTable.__table__
SS = SavedSearchTable.__table__
AE = AutoexportTable.__table__
KA = KeyAliasTable.__table__
ND = NotDuplicateTable.__table__
EC = EntryCacheTable.__table__
AT = AttachmentTable.__table__
PA = PdfAnnotationTable.__table__
DL = DownloadTable.__table__
ST = SettingTable.__table__
