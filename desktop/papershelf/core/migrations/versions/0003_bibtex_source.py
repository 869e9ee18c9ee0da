"""Keep each imported BibTeX entry as written, so that an export gives back what was not changed.

Papers imported before this revision have no source and keep the generated
BibTeX output they always had.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bibtex_source",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("entry_type", sa.String, nullable=False),
        sa.Column("citation_key", sa.String, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("views", sa.JSON, nullable=False),
        sa.Column("strings", sa.JSON, nullable=False),
        sa.Column("parent_key", sa.String),
    )
    op.create_index("ix_bibtex_source_parent_key", "bibtex_source", ["parent_key"])


def downgrade() -> None:
    op.drop_index("ix_bibtex_source_parent_key", "bibtex_source")
    op.drop_table("bibtex_source")
