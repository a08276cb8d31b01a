"""Alembic's entry point; :func:`activelab.store.database.migrate` runs it with a connection."""

from __future__ import annotations

from alembic import context

from activelab.store.schema import Base


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


# pytest's doctest collection imports this file too; only Alembic sets up the context proxy.
if getattr(context, "_proxy", None) is not None:
    run_migrations()
