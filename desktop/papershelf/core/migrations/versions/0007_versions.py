"""Every paper and note carries a version, raised by the database on every change of its row.

- ``paper.version`` and ``note.version``: 1 for a new row; a trigger adds one
  after each UPDATE of the row, whatever wrote it (the app, the command line,
  an undo, another program with sqlite3), so no write path can forget it. An
  UPDATE that sets the version higher itself keeps it; one that sets it back
  (an undo putting a whole old row back) still goes forward. A paper's version
  is its own row's: its notes have theirs, its tags and lists none.

The trigger's own UPDATE does not fire it again: SQLite's recursive_triggers
is off (the default, which Papershelf never changes), and even with it on
the WHEN clause stops at the second round. ADD COLUMN with a constant default
is a change of the table's definition only (no copy, instant on 100,000
papers); a batch copy would have dropped migration 0005's triggers.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TABLES = ("paper", "note")


def _trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_version AFTER UPDATE ON {table} WHEN NEW.version <= OLD.version"
        f" BEGIN UPDATE {table} SET version = OLD.version + 1 WHERE id = NEW.id; END"
    )


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        op.execute(_trigger(table))


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_version")
        # SQLite 3.35+ drops a column in place (the triggers of 0005 stay).
        op.execute(f"ALTER TABLE {table} DROP COLUMN version")
