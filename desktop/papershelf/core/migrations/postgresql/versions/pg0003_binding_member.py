"""A live file of a shared library belongs to the member who bound it.

A binding is a path on one member's computer. Kept in the shared table with
no owner, every member's Papershelf rewrote every member's paths on its own
computer: a path another member chose is not one to write to. ``member`` is
the PostgreSQL role that made the binding (``current_user``), and each
member's Papershelf syncs only its own (``autoexport.bindings``). A local
library has one user and no such column.

Revision ID: pg0003
Revises: pg0002
"""

from alembic import op

revision = "pg0003"
down_revision = "pg0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE autoexport ADD COLUMN member text NOT NULL DEFAULT current_user")


def downgrade() -> None:
    op.execute("ALTER TABLE autoexport DROP COLUMN member")
