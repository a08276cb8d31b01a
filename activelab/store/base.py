"""What every part of the store shares: the engine, the clock, transactions and lookups.

Each part of :class:`~activelab.store.Store` (accounts, projects, the lease queue, the label
log, model versions, reports) is a mixin over :class:`StoreBase` and owns its own queries;
this module holds only what they all use.

Every write is one transaction (:meth:`StoreBase._transaction`). Writes that hand out
leases or record answers lock the project row first (``_project(..., lock=True)``:
``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every transaction is ``BEGIN IMMEDIATE``,
see :func:`~activelab.store.database.open_engine`).

>>> iso(0)
'1970-01-01T00:00:00.000+00:00'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from .database import migrate, open_engine
from .errors import NotFoundError
from .schema import Item, Project

__all__ = ["StoreBase", "iso"]


class StoreBase:
    """A labeling database at ``url`` (``sqlite:///file.db`` or ``postgresql://...``).

    The schema is migrated to the newest version on opening.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        #: Where the store reads the time (Unix seconds); tests replace it to expire leases.
        self.clock: Callable[[], float] = time.time
        self.engine = open_engine(url)
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> OrmSession:
        """A session for reading (and for writers that manage their own transaction)."""
        return OrmSession(self.engine, expire_on_commit=False)

    @contextmanager
    def _transaction(self) -> Iterator[OrmSession]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._session() as session, session.begin():
            yield session

    def _project(self, session: OrmSession, name: str, lock: bool = False) -> Project:
        """The project ``name`` (404 if none); ``lock`` takes its row lock for the transaction."""
        query = select(Project).where(Project.name == name)
        if lock:
            query = query.with_for_update()
        project = session.scalar(query)
        if project is None:
            raise NotFoundError(f"no project {name!r}")
        return project

    def _item(self, session: OrmSession, project: Project, item_id: Any) -> Item:
        """The item ``item_id`` of ``project`` (404 if none, or if it is another project's)."""
        valid = isinstance(item_id, int) and 0 < item_id < 2**31
        item = session.get(Item, item_id) if valid else None
        if item is None or item.project_id != project.id:
            raise NotFoundError(f"no item {item_id!r} in project {project.name!r}")
        return item


def iso(seconds: float) -> str:
    """Unix seconds as an ISO 8601 string in UTC, to the millisecond (the API's times)."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="milliseconds")
