"""Alembic environment: always run programmatically by ``papershelf.core.migrate``.

The caller passes an open connection in ``config.attributes["connection"]``;
all pending revisions run inside one transaction on it.
"""

from alembic import context

from papershelf.core.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables.
    transaction_per_migration=False,
    # SQLite's DDL is transactional, but Alembic assumes it is not and then
    # commits after every revision: two pending revisions were not all or nothing.
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
