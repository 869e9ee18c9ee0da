"""Search as you type on a shared library: sort indexes that carry the id, and the search vector kept in the row.

Measured on a 100,000-paper copy (bench/shared_library.py):

- SQLite's index on a sort column holds the rowid; PostgreSQL's does not, so
  a first page of a common prefix in "newest first" order sorted every
  matching paper: ``(column, id)`` indexes let it walk the order and stop at
  the page (93 ms to 1.6 ms for "re").
- A paper's tsvector (about 2 KB) was stored out of line (TOAST), so every
  document checked cost a second read: kept in the row (STORAGE MAIN, rows up
  to a page), checking them all went from 979 to 132 ms.

Revision ID: pg0004
Revises: pg0003
"""

from alembic import op

revision = "pg0004"
down_revision = "pg0003"
branch_labels = None
depends_on = None

#: The paper table's sort keys (library.SORT_COLUMNS), as the window's ORDER BY writes them.
_SORT_KEYS = {
    "added_at": "added_at",
    "listed_on": "listed_on",
    "status": "status",
    "priority": "priority",
    "title": "lower(title)",
    "first_author": "lower(first_author)",
}


def upgrade() -> None:
    for name, key in _SORT_KEYS.items():
        op.execute(f"CREATE INDEX ix_paper_{name}_id ON paper ({key}, id)")
    op.execute("ALTER TABLE paper_fts ALTER COLUMN doc SET STORAGE MAIN")
    op.execute("ALTER TABLE paper_fts ALTER COLUMN words SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE paper_fts SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    for name in _SORT_KEYS:
        op.execute(f"DROP INDEX ix_paper_{name}_id")
    op.execute("ALTER TABLE paper_fts ALTER COLUMN doc SET STORAGE EXTENDED")
    op.execute("ALTER TABLE paper_fts ALTER COLUMN words SET STORAGE EXTENDED")
    op.execute("ALTER TABLE paper_fts RESET (toast_tuple_target)")
