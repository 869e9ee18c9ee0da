"""What completing papers online needs: where each field came from, pinned keys, fetched days.

- ``paper.key_pinned``: the citation key was exported, copied, edited or
  imported from a .bib file, so it never changes again. Existing keys are
  pinned, except the title-word keys of papers without authors
  (``docthinkerexplainable2025``), which get the author style once authors
  arrive: the one change the key rule allows.
- ``paper.cite_as``: ``auto`` (the published version once known) or ``preprint``.
- ``paper.metadata``: what arXiv says that is not a BibTeX field (categories,
  journal reference, comment, latest version).
- ``field_source``: which source filled which field of a paper, and when.
- ``fetched_day``: the daily listings fetched, and when.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (constant defaults): no copy of a 100,000-paper table.
    op.add_column("paper", sa.Column("key_pinned", sa.Integer, nullable=False, server_default="1"))
    op.add_column("paper", sa.Column("cite_as", sa.String, nullable=False, server_default="auto"))
    op.add_column("paper", sa.Column("metadata", sa.JSON, nullable=False, server_default="{}"))
    # Papers without authors keep an unpinned key (see above): a key of title words and a year.
    op.execute(
        "UPDATE paper SET key_pinned = 0 WHERE authors = '[]' AND id NOT IN (SELECT paper_id FROM bibtex_source)"
    )
    op.create_table(
        "field_source",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("field", sa.String, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("filled_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "fetched_day",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("fetched_at", sa.DateTime, nullable=False),
        sa.Column("papers", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fetched_day")
    op.drop_table("field_source")
    with op.batch_alter_table("paper") as batch:
        batch.drop_column("metadata")
        batch.drop_column("cite_as")
        batch.drop_column("key_pinned")
