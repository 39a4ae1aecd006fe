"""Alembic's entry point: migrate the connection `producer.store.migrations` hands over.

It is already in a transaction (the caller's write lock), so Alembic starts none of its own and
all revisions commit together or not at all.
"""

from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
