"""Agreement between annotators: Cohen's kappa per pair (scikit-learn) and Fleiss' kappa
over items with the same number of votes (statsmodels); and the items whose votes tie, for
review (:func:`disagreement_rows`).

>>> answers = [(1, "a", "x"), (1, "b", "x"), (2, "a", "y"), (2, "b", "y"), (3, "a", "x"),
...            (3, "b", "y")]
>>> report = agreement(answers, labels=["x", "y"])
>>> report["pairs"][0]["cohen_kappa"], report["fleiss_kappa"]
(0.4, 0.3333)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["agreement", "disagreement_rows"]


def agreement(answers: Sequence[tuple[int, str, str]], labels: Sequence[str]) -> dict[str, Any]:
    """``answers`` are ``(item, annotator, label)``; returns pairwise Cohen's kappa (pairs with
    at least two shared items) and Fleiss' kappa over the items that have the most common
    number of votes (at least two), or ``None`` where it is not defined."""
    from sklearn.metrics import cohen_kappa_score

    by_annotator: dict[str, dict[int, str]] = defaultdict(dict)
    by_item: dict[int, list[str]] = defaultdict(list)
    for item, annotator, label in answers:
        by_annotator[annotator][item] = label
        by_item[item].append(label)
    pairs = []
    for a, b in combinations(sorted(by_annotator), 2):
        shared = sorted(set(by_annotator[a]) & set(by_annotator[b]))
        if len(shared) < 2:
            continue
        left = [by_annotator[a][i] for i in shared]
        right = [by_annotator[b][i] for i in shared]
        kappa = cohen_kappa_score(left, right, labels=list(labels)) \
            if len(set(left) | set(right)) > 1 else float("nan")
        pairs.append({"annotators": [a, b], "n_items": len(shared),
                      "cohen_kappa": None if np.isnan(kappa) else round(float(kappa), 4)})
    return {"pairs": pairs, "fleiss_kappa": _fleiss(by_item, labels)}


def _fleiss(by_item: dict[int, list[str]], labels: Sequence[str]) -> float | None:
    from statsmodels.stats.inter_rater import fleiss_kappa

    sizes = [len(votes) for votes in by_item.values() if len(votes) >= 2]
    if not sizes:
        return None
    k = max(set(sizes), key=lambda size: (sizes.count(size), size))
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((sum(1 for s in sizes if s == k), len(labels)))
    row = 0
    for votes in by_item.values():
        if len(votes) == k:
            for label in votes:
                table[row, index[label]] += 1
            row += 1
    if len(table) < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        value = fleiss_kappa(table, method="fleiss")
    return None if not np.isfinite(value) else round(float(value), 4)


def disagreement_rows(store: Store, project: str) -> list[dict[str, Any]]:
    """The items of ``project`` whose votes tie, each with its ``votes``, for review."""
    resolved = store.resolved_labels(project)
    rows = []
    for item_id, entry in resolved.items():
        if entry["status"] == "disagreement":
            item = store.item(project, item_id)
            rows.append({**item, "votes": entry["votes"]})
    return rows
