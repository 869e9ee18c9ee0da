"""Papers without a listing date sort first going up, as in a library file: the index says so too.

SQLite orders NULL below every value, PostgreSQL above: sorted by listing
date, a shared library put the papers that have none last where a file puts
them first. ``Library.search_ids`` now says ``NULLS FIRST`` (``LAST`` going
down), and this index in the same order lets the first page still come from
walking it (pg0004 made it in PostgreSQL's default order).

Revision ID: pg0006
Revises: pg0005
"""

from alembic import op

revision = "pg0006"
down_revision = "pg0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX ix_paper_listed_on_id")
    op.execute("CREATE INDEX ix_paper_listed_on_id ON paper (listed_on NULLS FIRST, id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_paper_listed_on_id")
    op.execute("CREATE INDEX ix_paper_listed_on_id ON paper (listed_on, id)")
