"""Reports over a project: its statistics, and the rows of a labels or events export.

These only read; they combine the label log (:mod:`activelab.store.labels`), the items
and the model versions. The server and the CLI write the rows as CSV or JSONL.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from ..errors import ActiveLabError
from .browse import Browse
from .schema import Item, Lease
from .task_types import task_of
from .versions import ModelVersions

__all__ = ["Reports"]


class Reports(Browse, ModelVersions):
    """A project's statistics and exports.

    With ``labels_per_item`` above 1, "labeled" means resolved: ``n_labeled_items`` counts
    the resolved items only, and ``n_pending`` (awaiting more votes) and ``n_disagreements``
    (tied) count the others, so the count never falls as more votes arrive."""

    def stats(self, name: str) -> dict[str, Any]:
        info = self.project_info(name)
        resolved = self.resolved_labels(name)
        answers = self.answers(name)
        kind, _config = task_of(info["settings"])
        per_class = kind.label_counts(
            [r["label"] for r in resolved.values() if r["status"] == "resolved"], info["labels"])
        # Single choice counts the statuses in SQL (the data page's rule); the other task
        # types resolve votes their own way (per-label majority, median, span sets).
        statuses = self.status_counts(name) if kind.name == "single" else Counter(
            {"resolved": 0, "pending": 0, "disagreement": 0,
             **Counter(r["status"] for r in resolved.values())})
        per_annotator = Counter(user for _i, user, kind, _l in answers if kind == "label")
        now = self.clock()
        with self._session() as session:
            project = self._project(session, name)
            n_items = session.scalar(select(func.count()).select_from(Item).where(
                Item.project_id == project.id)) or 0
            n_leased = session.scalar(select(func.count()).select_from(Lease).where(
                Lease.project_id == project.id, Lease.released_at.is_(None),
                Lease.expires_at > now)) or 0
        return {
            "project": name, "labels": info["labels"], "n_items": n_items,
            "n_labeled_items": statuses["resolved"], "n_pending": statuses["pending"],
            "n_labels": sum(per_annotator.values()),
            "n_skipped": sum(1 for a in answers if a[2] == "skip"),
            "n_disagreements": statuses["disagreement"],
            "n_unsure": sum(1 for a in answers if a[2] == "unsure"),
            "n_leased": n_leased,
            "labels_per_class": per_class,
            "labels_per_annotator": dict(per_annotator),
            "model_version": info["model_version"],
            "model_trained_on": info["model_trained_on"],
            "versions": self.model_versions(name),
        }

    def export_rows(self, name: str, kind: str = "labels") -> list[dict[str, Any]]:
        """``labels``: one row per item with a vote or a review, its ``status`` (resolved,
        pending or disagreement) and its label, empty unless resolved; ``events``: the
        whole log."""
        if kind == "events":
            return self.events(name)
        if kind != "labels":
            raise ActiveLabError(f"export kind must be labels or events; got {kind!r}")
        resolved = self.resolved_labels(name)
        single = task_of(self.project_info(name)["settings"])[0].name == "single"
        rows = []
        for item_id, external_id, content in self.items(name):
            entry = resolved.get(item_id)
            if entry is None:
                continue
            resolved_label = entry["label"] if entry["status"] == "resolved" else None
            votes = sum(entry["votes"].values())
            rows.append({"external_id": external_id, "content": content,
                         "label": resolved_label, "status": entry["status"], "n_votes": votes,
                         "agreement": (round(entry["votes"].get(resolved_label, 0) / votes, 4)
                                       if single else entry["agreement"])
                         if votes and resolved_label is not None else None,
                         "reviewed": entry["reviewed"]})
        return rows
