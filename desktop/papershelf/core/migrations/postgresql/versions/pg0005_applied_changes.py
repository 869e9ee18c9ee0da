"""A change sent again after its connection died is applied once: the tokens of the changes applied.

A COMMIT whose answer is lost with the connection (the server restarted, the
network dropped at that moment) may or may not have landed. The app sends
such a change again once the server is back; without a record of it, an
added note or an import would land twice. Each change the app sends carries
a token, stored here in the change's own transaction (``Library.run``); a
token found here means the change is in already. Tokens older than
``once.TOKEN_DAYS`` are dropped as new ones come. A local library has
no such table: SQLite's COMMIT is answered on the same machine.

Revision ID: pg0005
Revises: pg0004
"""

from alembic import op

revision = "pg0005"
down_revision = "pg0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE applied_change (token text PRIMARY KEY, result text,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    op.execute("CREATE INDEX ix_applied_change_applied_at ON applied_change (applied_at)")


def downgrade() -> None:
    op.execute("DROP TABLE applied_change")
