"""The first schema: papers, tags, lists, notes, sightings, saved searches, FTS5.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_key", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False, server_default="[]"),
        sa.Column("first_author", sa.Text, nullable=False, server_default=""),
        sa.Column("arxiv_id", sa.String, unique=True),
        sa.Column("url", sa.Text),
        sa.Column("code_urls", sa.JSON, nullable=False, server_default="[]"),
        sa.Column("project_url", sa.Text),
        sa.Column("published", sa.Date),
        sa.Column("primary_class", sa.String),
        sa.Column("listed_on", sa.Date),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String, nullable=False, server_default="unread"),
        sa.Column("read_at", sa.DateTime),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("citation_key", sa.String, nullable=False),
        sa.Column("title_edited", sa.Integer, nullable=False, server_default="0"),
        sa.Column("entry_type", sa.String, nullable=False, server_default="misc"),
        sa.Column("extra_fields", sa.JSON, nullable=False, server_default="{}"),
        sa.CheckConstraint("status IN ('unread', 'reading', 'read')", name="ck_paper_status"),
        sa.CheckConstraint("priority BETWEEN 0 AND 3", name="ck_paper_priority"),
    )
    # Abstracts live in their own table: they are most of a paper's bytes, and
    # keeping them out of `paper` keeps scans and sorts over 100k rows fast.
    op.create_table(
        "paper_abstract",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("abstract", sa.Text, nullable=False),
    )
    op.create_index("ix_paper_title_key", "paper", ["title_key"])
    op.create_index("ix_paper_listed_on", "paper", ["listed_on"])
    op.create_index("ix_paper_added_at", "paper", ["added_at"])
    op.create_index("ix_paper_status", "paper", ["status"])
    op.execute("CREATE UNIQUE INDEX ix_paper_citation_key ON paper (lower(citation_key))")
    op.execute("CREATE INDEX ix_paper_title_sort ON paper (title COLLATE NOCASE)")
    op.execute("CREATE INDEX ix_paper_first_author_sort ON paper (first_author COLLATE NOCASE)")

    op.create_table(
        "tag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(collation="NOCASE"), nullable=False, unique=True),
    )
    op.create_table(
        "paper_tag",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag_id", sa.Integer, sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_paper_tag_tag_id", "paper_tag", ["tag_id"])
    op.create_table(
        "reading_list",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(collation="NOCASE"), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "list_entry",
        sa.Column("list_id", sa.Integer, sa.ForeignKey("reading_list.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_list_entry_paper_id", "list_entry", ["paper_id"])
    op.create_table(
        "note",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_note_paper_id", "note", ["paper_id"])
    op.create_table(
        "sighting",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("listing_date", sa.Date, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.UniqueConstraint("paper_id", "source", "listing_date"),
    )
    op.create_index("ix_sighting_paper_id", "sighting", ["paper_id"])
    op.create_index("ix_sighting_listing_date", "sighting", ["listing_date"])
    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(collation="NOCASE"), nullable=False, unique=True),
        sa.Column("query", sa.Text, nullable=False),
    )
    # The search index; its rowid is paper.id. Kept in sync by db.reindex()
    # inside every write transaction. The prefix index makes as-you-type
    # prefix queries of two and three letters fast at 100k papers (one letter
    # is matched as a whole word: see search.MIN_PREFIX).
    op.execute(
        "CREATE VIRTUAL TABLE paper_fts USING fts5("
        "title, abstract, authors, notes, tags, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )


def downgrade() -> None:
    op.execute("DROP TABLE paper_fts")
    for table in (
        "saved_search",
        "sighting",
        "note",
        "list_entry",
        "reading_list",
        "paper_tag",
        "tag",
        "paper_abstract",
        "paper",
    ):
        op.drop_table(table)
