"""Alembic's entry point: runs the revisions on the connection that backend.store.upgrade hands over, inside
the transaction it opened."""
from alembic import context

from backend.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the store's migrations through backend.store.upgrade, which passes a connection")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
