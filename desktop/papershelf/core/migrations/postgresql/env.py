"""Alembic environment of a shared (PostgreSQL) library: run programmatically by ``papershelf.core.pg``.

The caller passes an open connection in ``config.attributes["connection"]``;
all pending revisions run inside one transaction on it (PostgreSQL's DDL is
transactional).
"""

from alembic import context

from papershelf.core.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    transaction_per_migration=False,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
