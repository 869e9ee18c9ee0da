"""What PDFs need: attached files, their text for search, their annotations, and queued downloads.

- ``attachment``: a PDF of a paper, either stored in the library's files
  folder (named by content hash; ``path`` relative to that folder) or linked
  where it is (``path`` absolute). Size, hash and modification time tell a file
  changed or moved outside the app. ``text_state`` is where its extraction
  stands ('pending', 'done', or 'failed' with ``text_error``). ``note_id`` is
  the note its annotations are written into, ``note_text`` that note's text
  as the app last wrote it (a different text now means the user edited it).
- ``pdf_fts``: the full-text index of attached PDFs (FTS5, the same
  tokenizer as ``paper_fts``); its rowid is ``attachment.id``, its ``body``
  the pages' text joined by form feeds, so a match's page is countable.
- ``pdf_annotation``: the highlights and comments read from a file, one row per
  annotation (``ident`` is stable across reads of an unchanged annotation).
- ``download``: PDFs asked for and not yet arrived, so downloads resume after
  a restart; a row goes when its file is attached.
- ``setting``: library-wide settings (JSON values), such as the tag or list
  whose papers get their PDF downloaded automatically.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("mtime", sa.Float),
        sa.Column("origin", sa.String, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("missing_since", sa.DateTime),
        sa.Column("text_state", sa.String, nullable=False, server_default="pending"),
        sa.Column("text_error", sa.Text),
        sa.Column("pages", sa.Integer),
        sa.Column("note_id", sa.Integer, sa.ForeignKey("note.id", ondelete="SET NULL")),
        sa.Column("note_text", sa.Text),
        sa.CheckConstraint("kind IN ('stored', 'linked')", name="ck_attachment_kind"),
        sa.CheckConstraint("origin IN ('attached', 'downloaded')", name="ck_attachment_origin"),
        sa.CheckConstraint("text_state IN ('pending', 'done', 'failed')", name="ck_attachment_text_state"),
        sa.UniqueConstraint("paper_id", "sha256", name="uq_attachment_paper_sha256"),
    )
    op.create_index("ix_attachment_paper_id", "attachment", ["paper_id"])
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])
    op.create_index("ix_attachment_text_state", "attachment", ["text_state"])
    op.execute(
        "CREATE VIRTUAL TABLE pdf_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    op.create_table(
        "pdf_annotation",
        sa.Column("attachment_id", sa.Integer, sa.ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("ident", sa.String, primary_key=True),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("position", sa.Float, nullable=False, server_default="0"),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("quote", sa.Text, nullable=False, server_default=""),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("author", sa.Text, nullable=False, server_default=""),
        sa.Column("modified", sa.String),
    )
    op.create_table(
        "download",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("setting")
    op.drop_table("download")
    op.drop_table("pdf_annotation")
    op.execute("DROP TABLE pdf_fts")
    op.drop_index("ix_attachment_text_state", "attachment")
    op.drop_index("ix_attachment_sha256", "attachment")
    op.drop_index("ix_attachment_paper_id", "attachment")
    op.drop_table("attachment")
