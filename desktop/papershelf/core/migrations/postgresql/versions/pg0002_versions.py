"""Every paper and note carries a version, raised by the database on every change of its row (SQLite's 0007).

A BEFORE UPDATE trigger adds one to the row's version in the UPDATE itself,
whatever wrote it (any member's Papershelf, psql): no write path can forget
it. An UPDATE that sets the version higher itself keeps it; one that sets it
back (an undo putting a whole old row back) still goes forward. A paper's
version is its own row's: its notes have theirs, its tags and lists none.
ADD COLUMN with a constant default rewrites no rows (PostgreSQL 11+).

Revision ID: pg0002
Revises: pg0001
"""

import sqlalchemy as sa
from alembic import op

revision = "pg0002"
down_revision = "pg0001"
branch_labels = None
depends_on = None

_TABLES = ("paper", "note")


def upgrade() -> None:
    op.execute(
        "CREATE FUNCTION next_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.version <= OLD.version THEN NEW.version := OLD.version + 1; END IF;"
        " RETURN NEW; END $$"
    )
    for table in _TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        op.execute(
            f"CREATE TRIGGER {table}_version BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION next_version()"
        )


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        op.drop_column(table, "version")
    op.execute("DROP FUNCTION IF EXISTS next_version()")
