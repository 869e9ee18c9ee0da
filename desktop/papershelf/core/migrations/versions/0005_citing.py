"""What citing from a reading list needs: live .bib files, key aliases, duplicates, cached entries.

- ``autoexport``: a reading list, tag or saved search bound to a file and a
  format, rewritten after every change that alters its content ("keep
  updated"). The last error writing it is kept for the app and the CLI.
- ``key_alias``: the citation keys of papers merged into another one, so an
  existing ``\\cite{oldkey}`` still resolves (written as biblatex ``ids``).
- ``not_duplicate``: pairs the user said are different papers (smaller id first).
- ``entry_cache``: each paper's encoded entry per export variant, dropped in
  the transaction that changes the paper, so live files and big exports do
  not encode unchanged papers again.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "autoexport",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("path", sa.Text, nullable=False, unique=True),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("options", sa.JSON, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("written_at", sa.DateTime),
        sa.Column("error", sa.Text),
        sa.CheckConstraint("kind IN ('list', 'tag', 'search')", name="ck_autoexport_kind"),
    )
    op.create_table(
        "key_alias",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_key_alias_paper_id", "key_alias", ["paper_id"])
    op.create_index("ix_key_alias_key_lower", "key_alias", [sa.text("lower(key)")], unique=True)
    op.create_table(
        "not_duplicate",
        sa.Column("paper_a", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_b", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.CheckConstraint("paper_a < paper_b", name="ck_not_duplicate_order"),
    )
    op.create_table(
        "entry_cache",
        sa.Column("paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("variant", sa.String, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("entry_cache")
    op.drop_table("not_duplicate")
    op.drop_index("ix_key_alias_key_lower", "key_alias")
    op.drop_index("ix_key_alias_paper_id", "key_alias")
    op.drop_table("key_alias")
    op.drop_table("autoexport")
