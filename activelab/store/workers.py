"""What several server processes on one database share: the training lease and secrets.

Each project's model is trained by one process at a time: the process about to train
takes the project's training lease (:meth:`Workers.take_training_lease`) for a few
seconds, renews it while it trains (a heartbeat) and drops it when done. Another process
takes it over only once it has expired, so a holder that dies (killed, its host lost)
blocks training for at most one lease period. Taking and renewing are one conditional
``UPDATE`` (or ``INSERT``), atomic on SQLite and PostgreSQL alike.

>>> from activelab.store import ProjectSettings, Store
>>> from activelab.store.importer import ImportedItem
>>> store = Store("sqlite://")
>>> _ = store.create_project("p", [ImportedItem("a", "x", 1)], ProjectSettings(labels=("y", "n")))
>>> store.clock = lambda: 100.0
>>> store.take_training_lease("p", "host:1:a", seconds=30)
True
>>> store.take_training_lease("p", "host:2:b", seconds=30)  # held by another
False
>>> store.clock = lambda: 131.0                               # expired: taken over
>>> store.take_training_lease("p", "host:2:b", seconds=30)
True
>>> store.training_lease("p")
('host:2:b', 161.0)
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .base import StoreBase
from .schema import Item, ModelVersion, ServerSecret, TrainingLease

__all__ = ["TRAINING_LEASE_SECONDS", "Workers", "process_holder_id"]

#: Seconds a trainer holds its project's training lease between heartbeats, by default
#: (``activelab serve --training-lease``).
TRAINING_LEASE_SECONDS = 60.0


def process_holder_id() -> str:
    """This process's name as a lease holder: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Workers(StoreBase):
    """The training lease of each project and the server's shared secrets."""

    def take_training_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Take (or renew) ``name``'s training lease for ``holder`` until ``seconds`` from
        now; false when another holder's lease has not expired."""
        now = self.clock()
        with self._transaction() as session:
            project_id = self._project(session, name).id
            taken = session.execute(
                update(TrainingLease)
                .where(TrainingLease.project_id == project_id,
                       or_(TrainingLease.holder == holder, TrainingLease.expires_at <= now))
                .values(holder=holder, acquired_at=now, expires_at=now + seconds)
            ).rowcount
            if taken:
                return True
            if session.get(TrainingLease, project_id) is not None:
                return False
        try:
            with self._transaction() as session:
                session.add(TrainingLease(project_id=project_id, holder=holder,
                                          acquired_at=now, expires_at=now + seconds))
        except IntegrityError:  # another process inserted it first
            return False
        return True

    def drop_training_lease(self, name: str, holder: str) -> None:
        """End ``holder``'s training lease of ``name`` (nothing if another holds it)."""
        with self._transaction() as session:
            project_id = self._project(session, name).id
            session.execute(delete(TrainingLease).where(
                TrainingLease.project_id == project_id, TrainingLease.holder == holder))

    def training_lease(self, name: str) -> tuple[str, float] | None:
        """``(holder, expires_at)`` of ``name``'s training lease, or ``None``."""
        with self._session() as session:
            lease = session.get(TrainingLease, self._project(session, name).id)
            return None if lease is None else (lease.holder, lease.expires_at)

    def item_count(self, name: str) -> int:
        """How many items ``name`` has (another process may have imported some)."""
        with self._session() as session:
            project = self._project(session, name)
            return session.scalar(select(func.count()).select_from(Item).where(
                Item.project_id == project.id)) or 0

    def last_model_metrics(self, name: str) -> dict[str, Any]:
        """The metrics of the newest model version, whichever process trained it (``{}``
        before any): the trainer records there the labels and items it counted."""
        with self._session() as session:
            project = self._project(session, name)
            metrics = session.scalar(
                select(ModelVersion.metrics).where(ModelVersion.project_id == project.id,
                                                   ModelVersion.kind == "model")
                .order_by(ModelVersion.number.desc()).limit(1))
            return dict(metrics or {})

    def shared_secret(self, name: str) -> str:
        """The secret ``name`` (64 hex digits), created once for every process of the
        database."""
        with self._session() as session:
            found = session.get(ServerSecret, name)
            if found is not None:
                return found.value
        try:
            with self._transaction() as session:
                session.add(ServerSecret(name=name, value=secrets.token_hex(32)))
        except IntegrityError:  # another process created it first
            pass
        with self._session() as session:
            return session.get(ServerSecret, name).value  # type: ignore[union-attr]
