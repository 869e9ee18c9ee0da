"""A shared library's schema, all at once: what the SQLite library has at its revision 0006.

A PostgreSQL library starts here rather than replaying the SQLite history
(the application id, batch table copies, FTS5). What differs:

- names compared without case (tags, lists, saved searches) are ``citext``,
  and the sort indexes are on ``lower()``, where SQLite uses ``NOCASE``;
- the search index is a ``tsvector`` column with a GIN index over words
  Papershelf cuts itself as FTS5's ``unicode61 remove_diacritics 2`` does
  ('simple' configuration: no stemming); a PDF's text is one row per page (a
  tsvector holds at most 1 MB);
- the entry cache's triggers are PL/pgSQL.

Revision ID: pg0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "pg0001"
down_revision = None
branch_labels = None
depends_on = None

#: The paper columns an exported entry is made of (as in SQLite's 0005).
_EXPORTED_COLUMNS = (
    "title", "authors", "arxiv_id", "url", "published", "primary_class", "citation_key", "entry_type",
    "extra_fields", "cite_as", "metadata",
)  # fmt: skip
_EXPORTED_PARTS = ("paper_abstract", "paper_tag", "note", "sighting", "bibtex_source", "key_alias")


def upgrade() -> None:
    # A "trusted" extension: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public")
    op.create_table(
        "autoexport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("options", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('list', 'tag', 'search')", name="ck_autoexport_kind"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    op.create_table(
        "fetched_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("first_author", sa.Text(), server_default="", nullable=False),
        sa.Column("arxiv_id", sa.String(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("code_urls", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("project_url", sa.Text(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("primary_class", sa.String(), nullable=True),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(), server_default="unread", nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("citation_key", sa.String(), nullable=False),
        sa.Column("title_edited", sa.Integer(), server_default="0", nullable=False),
        sa.Column("entry_type", sa.String(), server_default="misc", nullable=False),
        sa.Column("extra_fields", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("key_pinned", sa.Integer(), server_default="1", nullable=False),
        sa.Column("cite_as", sa.String(), server_default="auto", nullable=False),
        sa.Column("metadata", sa.JSON(), server_default="{}", nullable=False),
        sa.CheckConstraint("status IN ('unread', 'reading', 'read')", name="ck_paper_status"),
        sa.CheckConstraint("priority BETWEEN 0 AND 3", name="ck_paper_priority"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("arxiv_id"),
    )
    op.create_index(op.f("ix_paper_added_at"), "paper", ["added_at"], unique=False)
    op.create_index("ix_paper_citation_key", "paper", [sa.literal_column("lower(citation_key)")], unique=True)
    op.create_index("ix_paper_first_author_sort", "paper", [sa.literal_column("lower(first_author)")], unique=False)
    op.create_index(op.f("ix_paper_listed_on"), "paper", ["listed_on"], unique=False)
    op.create_index(op.f("ix_paper_status"), "paper", ["status"], unique=False)
    op.create_index(op.f("ix_paper_title_key"), "paper", ["title_key"], unique=False)
    op.create_index("ix_paper_title_sort", "paper", [sa.literal_column("lower(title)")], unique=False)
    op.create_table(
        "reading_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", postgresql.CITEXT(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", postgresql.CITEXT(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", postgresql.CITEXT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "bibtex_source",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("entry_type", sa.String(), server_default="misc", nullable=False),
        sa.Column("citation_key", sa.String(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("views", sa.JSON(), nullable=False),
        sa.Column("strings", sa.JSON(), nullable=False),
        sa.Column("parent_key", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    op.create_index(op.f("ix_bibtex_source_parent_key"), "bibtex_source", ["parent_key"], unique=False)
    op.create_table(
        "download",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    op.create_table(
        "entry_cache",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("abstract_at", sa.Integer(), nullable=True),
        sa.Column("strings", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id", "variant"),
    )
    op.create_table(
        "field_source",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("filled_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id", "field"),
    )
    op.create_table(
        "key_alias",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_key_alias_key_lower", "key_alias", [sa.literal_column("lower(key)")], unique=True)
    op.create_index(op.f("ix_key_alias_paper_id"), "key_alias", ["paper_id"], unique=False)
    op.create_table(
        "list_entry",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["reading_list.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("list_id", "paper_id"),
    )
    op.create_index(op.f("ix_list_entry_paper_id"), "list_entry", ["paper_id"], unique=False)
    op.create_table(
        "not_duplicate",
        sa.Column("paper_a", sa.Integer(), nullable=False),
        sa.Column("paper_b", sa.Integer(), nullable=False),
        sa.CheckConstraint("paper_a < paper_b", name="ck_not_duplicate_order"),
        sa.ForeignKeyConstraint(["paper_a"], ["paper.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_b"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_a", "paper_b"),
    )
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_note_paper_id"), "note", ["paper_id"], unique=False)
    op.create_table(
        "paper_abstract",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    op.create_table(
        "paper_tag",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id", "tag_id"),
    )
    op.create_index(op.f("ix_paper_tag_tag_id"), "paper_tag", ["tag_id"], unique=False)
    op.create_table(
        "sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("listing_date", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("paper_id", "source", "listing_date"),
    )
    op.create_index(op.f("ix_sighting_listing_date"), "sighting", ["listing_date"], unique=False)
    op.create_index(op.f("ix_sighting_paper_id"), "sighting", ["paper_id"], unique=False)
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=True),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("missing_since", sa.DateTime(), nullable=True),
        sa.Column("text_state", sa.String(), server_default="pending", nullable=False),
        sa.Column("text_error", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("note_text", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('stored', 'linked')", name="ck_attachment_kind"),
        sa.CheckConstraint("origin IN ('attached', 'downloaded')", name="ck_attachment_origin"),
        sa.CheckConstraint("text_state IN ('pending', 'done', 'failed')", name="ck_attachment_text_state"),
        sa.ForeignKeyConstraint(["note_id"], ["note.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("paper_id", "sha256", name="uq_attachment_paper_sha256"),
    )
    op.create_index(op.f("ix_attachment_paper_id"), "attachment", ["paper_id"], unique=False)
    op.create_index(op.f("ix_attachment_sha256"), "attachment", ["sha256"], unique=False)
    op.create_index(op.f("ix_attachment_text_state"), "attachment", ["text_state"], unique=False)
    op.create_table(
        "pdf_annotation",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("ident", sa.String(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("position", sa.Float(), server_default="0", nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("quote", sa.Text(), server_default="", nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("author", sa.Text(), server_default="", nullable=False),
        sa.Column("modified", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("attachment_id", "ident"),
    )
    # ### end Alembic commands ###

    # The search index: one row per paper, written by db.reindex in every write transaction. Its words
    # are cut by Papershelf (pg.words: FTS5's unicode61 rules, accents removed), so both backends
    # find the same papers for the same query; PostgreSQL only indexes them.
    op.execute(
        "CREATE TABLE paper_fts (rowid integer PRIMARY KEY REFERENCES paper(id) ON DELETE CASCADE,"
        " words text NOT NULL, doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED)"
    )
    op.execute("CREATE INDEX ix_paper_fts_doc ON paper_fts USING gin (doc)")
    # A PDF's text, one row per page (a tsvector holds at most 1 MB), as extracted and as words.
    op.execute(
        "CREATE TABLE pdf_fts (attachment_id integer REFERENCES attachment(id) ON DELETE CASCADE,"
        " page integer NOT NULL, body text NOT NULL, words text NOT NULL,"
        " doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', left(words, 200000))) STORED,"
        " PRIMARY KEY (attachment_id, page))"
    )
    op.execute("CREATE INDEX ix_pdf_fts_doc ON pdf_fts USING gin (doc)")

    # The entry cache's triggers (see SQLite's 0005): a paper's cached entries go in the
    # statement that changes what they are made of. Compared as text: a change of case is a change.
    changed = " OR ".join(f"OLD.{c}::text IS DISTINCT FROM NEW.{c}::text" for c in _EXPORTED_COLUMNS)
    op.execute(
        "CREATE FUNCTION entry_cache_drop_paper() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN DELETE FROM entry_cache WHERE paper_id = NEW.id; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER entry_cache_paper AFTER UPDATE ON paper FOR EACH ROW WHEN ({changed})"
        " EXECUTE FUNCTION entry_cache_drop_paper()"
    )
    op.execute(
        "CREATE FUNCTION entry_cache_drop_tag() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN DELETE FROM entry_cache WHERE paper_id IN (SELECT paper_id FROM paper_tag WHERE tag_id = NEW.id);"
        " RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER entry_cache_tag AFTER UPDATE OF name ON tag FOR EACH ROW"
        " WHEN (OLD.name::text IS DISTINCT FROM NEW.name::text) EXECUTE FUNCTION entry_cache_drop_tag()"
    )
    op.execute(
        "CREATE FUNCTION entry_cache_drop_part() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF TG_OP <> 'INSERT' THEN DELETE FROM entry_cache WHERE paper_id = OLD.paper_id; END IF;"
        " IF TG_OP <> 'DELETE' THEN DELETE FROM entry_cache WHERE paper_id = NEW.paper_id; END IF;"
        " RETURN NULL; END $$"
    )
    for table in _EXPORTED_PARTS:
        op.execute(
            f"CREATE TRIGGER entry_cache_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION entry_cache_drop_part()"
        )


def downgrade() -> None:
    raise NotImplementedError("a shared library's first schema is not taken down by a migration; drop the database")
