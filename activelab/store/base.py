"""What every part of the store shares: the engine, the clock, transactions and lookups.

Each part of :class:`~activelab.store.Store` (accounts, projects, the lease queue, the label
log, model versions, reports) is a mixin over :class:`StoreBase` and owns its own queries;
this module holds only what they all use.

Every write is one transaction (:meth:`StoreBase._transaction`). On SQLite every
transaction is ``BEGIN IMMEDIATE`` (:func:`~activelab.store.database.open_engine`), so
writes run one at a time. On PostgreSQL they run side by side and lock only the rows they
change, always in the same order: the annotator (:meth:`StoreBase._lock_user`, so one
annotator's requests run one at a time), then the item (``_item(..., lock=True)``). Changes
to a project's settings or current model version lock the project row
(``_project(..., lock=True)``). Every lock is ``FOR NO KEY UPDATE``, which leaves the
foreign-key checks of concurrent inserts (leases, answers, scores) free to run.

>>> iso(0)
'1970-01-01T00:00:00.000+00:00'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session as OrmSession

from .database import migrate, open_engine
from .errors import NotFoundError
from .schema import Item, ModelVersion, Project, User

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
        self._versions_seen: dict[int, tuple[int, str]] = {}  # see _version_facts
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
            query = query.with_for_update(key_share=True)
        project = session.scalar(query)
        if project is None:
            raise NotFoundError(f"no project {name!r}")
        return project

    def _version_facts(self, session: OrmSession, version_id: int) -> tuple[int, str]:
        """``(number, kind)`` of the model version ``version_id``, read once per store:
        a stored version never changes, and every ``next`` and answer asks."""
        if version_id not in self._versions_seen:
            row = session.execute(select(ModelVersion.number, ModelVersion.kind).where(
                ModelVersion.id == version_id)).one()
            self._versions_seen[version_id] = (int(row.number), str(row.kind))
        return self._versions_seen[version_id]

    def _analyze(self, *tables: str) -> None:
        """PostgreSQL: refresh the planner's statistics of ``tables`` after a bulk insert.
        Until autovacuum gets to them, a new project's tables look empty to the planner,
        and it would choose a plan for ``next`` that reads the whole pool on every call."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"ANALYZE {', '.join(tables)}")

    @staticmethod
    def _plan_whole_project(session: OrmSession) -> None:
        """PostgreSQL: hash joins, not nested loops, for the rest of this transaction. A
        report that tallies every answer of a project is right to read them all once;
        planned from statistics older than the last few hundred answers, a nested loop
        re-tallied them per item (72 s for 2,000 items and 1,000 labels)."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL enable_nestloop = off"))

    def _lock_user(self, session: OrmSession, user_id: int) -> None:
        """Hold the user's row lock for the transaction: one annotator's writes (leases,
        answers, undo) run one at a time, whichever server process they reach."""
        session.execute(select(User.id).where(User.id == user_id)
                        .with_for_update(key_share=True))

    def _item(self, session: OrmSession, project: Project, item_id: Any,
              lock: bool = False) -> Item:
        """The item ``item_id`` of ``project`` (404 if none, or if it is another project's);
        ``lock`` takes its row lock for the transaction (and reads it fresh)."""
        valid = isinstance(item_id, int) and 0 < item_id < 2**31
        if not valid:
            item = None
        elif lock:
            item = session.get(Item, item_id, with_for_update={"key_share": True},
                               populate_existing=True)
        else:
            item = session.get(Item, item_id)
        if item is None or item.project_id != project.id:
            raise NotFoundError(f"no item {item_id!r} in project {project.name!r}")
        return item


def iso(seconds: float) -> str:
    """Unix seconds as an ISO 8601 string in UTC, to the millisecond (the API's times)."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="milliseconds")
