"""Mark the file as Papershelf's: SQLite's application_id header field.

With it, a library is told apart from any other program's SQLite file (or an
empty one) without guessing from table names.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Equal to papershelf.core.db.APPLICATION_ID ("PShf"); a migration keeps its own copy.
APPLICATION_ID = 0x50536866


def upgrade() -> None:
    # Part of the migration's transaction: a failed upgrade leaves it unset.
    op.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def downgrade() -> None:
    op.execute("PRAGMA application_id = 0")
