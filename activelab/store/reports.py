"""Reports over a project: its statistics, and the rows of a labels or events export.

These only read; they combine the label log (:mod:`activelab.store.labels`), the items
and the model versions. The server and the CLI write the rows as CSV or JSONL.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from ..errors import ActiveLabError
from .labels import LabelLog
from .schema import Item, Lease
from .task_types import task_of
from .versions import ModelVersions

__all__ = ["Reports"]


class Reports(LabelLog, ModelVersions):
    """A project's statistics and exports."""

    def stats(self, name: str) -> dict[str, Any]:
        info = self.project_info(name)
        resolved = self.resolved_labels(name)
        answers = self.answers(name)
        kind, _config = task_of(info["settings"])
        per_class = kind.label_counts(
            [r["label"] for r in resolved.values() if r["label"] is not None], info["labels"])
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
            "n_labeled_items": sum(1 for r in resolved.values() if r["label"] is not None),
            "n_labels": sum(per_annotator.values()),
            "n_skipped": sum(1 for a in answers if a[2] == "skip"),
            "n_disagreements": sum(1 for r in resolved.values() if r["status"] == "disagreement"),
            "n_leased": n_leased,
            "labels_per_class": per_class,
            "labels_per_annotator": dict(per_annotator),
            "model_version": info["model_version"],
            "model_trained_on": info["model_trained_on"],
            "versions": self.model_versions(name),
        }

    def export_rows(self, name: str, kind: str = "labels") -> list[dict[str, Any]]:
        """``labels``: one row per item with a resolved label; ``events``: the whole log."""
        if kind == "events":
            return self.events(name)
        if kind != "labels":
            raise ActiveLabError(f"export kind must be labels or events; got {kind!r}")
        resolved = self.resolved_labels(name)
        single = task_of(self.project_info(name)["settings"])[0].name == "single"
        rows = []
        for item_id, external_id, content in self.items(name):
            entry = resolved.get(item_id)
            if entry is None or entry["label"] is None or entry["status"] == "pending":
                continue
            votes = sum(entry["votes"].values())
            rows.append({"external_id": external_id, "content": content,
                         "label": entry["label"], "n_votes": votes,
                         "agreement": (round(entry["votes"].get(entry["label"], 0) / votes, 4)
                                       if single else entry["agreement"]) if votes else None,
                         "reviewed": entry["reviewed"]})
        return rows
