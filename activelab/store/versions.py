"""Model versions: each retrain's scores, stored in chunks, then switched to atomically.

The queue (:mod:`activelab.store.queue`) reads the scores of the project's
``queue_version_id``; :meth:`ModelVersions.add_model_version` writes a whole new version
before one short transaction points the project at it, so annotators never see half of one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select

from .base import StoreBase, iso
from .guesses import GuessRow, guess_rows
from .schema import Guess, ModelVersion, QueryRound, Score

__all__ = ["ModelVersions"]


class ModelVersions(StoreBase):
    """The trained models' versions, their ranked scores, and the query rounds."""

    def model_versions(self, name: str) -> list[dict[str, Any]]:
        with self._session() as session:
            project = self._project(session, name)
            return [{"number": v.number, "kind": v.kind, "n_labels": v.n_labels,
                     "metrics": dict(v.metrics), "time": iso(v.created_at)}
                    for v in session.scalars(select(ModelVersion).where(
                        ModelVersion.project_id == project.id).order_by(ModelVersion.number))]

    def add_model_version(
        self,
        name: str,
        kind: str,
        n_labels: int,
        metrics: dict[str, Any],
        ranked: Iterable[tuple[int, float]],
        use_for_queue: bool = True,
        trigger: str = "auto",
        chunk_size: int = 500,
        started_at: float | None = None,
        guesses: Iterable[GuessRow] = (),
    ) -> int:
        """Store a model version with its ranked scores, then switch to it atomically.

        The scores are written in chunks of ``chunk_size`` rows (short transactions, so
        annotators are not held up); nothing reads them until the last transaction points
        the project at the new version. ``kind="diversity"`` is the cold-start order
        (version 0). ``guesses`` are the model's guesses ``(item_id, value, confidence)``
        (:mod:`activelab.store.guesses`), written in chunks too. Returns the version number.
        """
        started_at = self.clock() if started_at is None else started_at
        with self._transaction() as session:
            project = self._project(session, name, lock=True)
            if kind == "diversity":
                number = 0
            else:
                number = 1 + (session.scalar(select(func.max(ModelVersion.number)).where(
                    ModelVersion.project_id == project.id)) or 0)
            version = ModelVersion(project_id=project.id, number=number, kind=kind,
                                   n_labels=n_labels, metrics=metrics, created_at=self.clock())
            session.add(version)
            session.flush()
            version_id = version.id
        n_scored = self._insert_chunks(Score, (
            {"model_version_id": version_id, "item_id": int(item_id), "rank": rank,
             "score": float(score)} for rank, (item_id, score) in enumerate(ranked)), chunk_size)
        self._insert_chunks(Guess, guess_rows(version_id, guesses), chunk_size)
        self._analyze("scores", "guesses")
        with self._transaction() as session:
            project = self._project(session, name, lock=True)
            if kind == "model":
                project.current_version_id = version_id
            if use_for_queue:
                project.queue_version_id = version_id
            session.add(QueryRound(project_id=project.id, model_version_id=version_id,
                                   trigger=trigger, strategy=project.strategy,
                                   n_scored=n_scored, status="done", started_at=started_at,
                                   finished_at=self.clock()))
        return number

    def _insert_chunks(self, table: Any, rows: Iterable[dict[str, Any]],
                       chunk_size: int) -> int:
        """Insert ``rows`` into ``table``, one short transaction per ``chunk_size`` rows;
        returns how many."""
        chunk: list[dict[str, Any]] = []
        n = 0
        for row in rows:
            chunk.append(row)
            if len(chunk) >= chunk_size:
                n += self._insert_chunk(table, chunk)
                chunk = []
        return n + (self._insert_chunk(table, chunk) if chunk else 0)

    def _insert_chunk(self, table: Any, rows: list[dict[str, Any]]) -> int:
        with self._transaction() as session:
            session.execute(insert(table), rows)
        return len(rows)

    def query_rounds(self, name: str) -> list[dict[str, Any]]:
        with self._session() as session:
            project = self._project(session, name)
            return [{"model_version_id": r.model_version_id, "trigger": r.trigger,
                     "strategy": r.strategy, "n_scored": r.n_scored, "status": r.status,
                     "seconds": round(r.finished_at - r.started_at, 3)}
                    for r in session.scalars(select(QueryRound).where(
                        QueryRound.project_id == project.id).order_by(QueryRound.id))]

    def has_version(self, name: str, kind: str) -> bool:
        with self._session() as session:
            project = self._project(session, name)
            return session.scalar(select(func.count()).select_from(ModelVersion).where(
                ModelVersion.project_id == project.id, ModelVersion.kind == kind)) > 0
