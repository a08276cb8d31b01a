"""The random control slice measured in the bench (``activelab bench --control SHARE``).

With a control share every simulated run is an ``ActiveLoop(control=share)``
(:mod:`activelab.control`), and the bench knows what the loop cannot: the truth. Each round
with a control estimate is written down with

* ``estimate``, ``low``, ``high``: the control's accuracy estimate and its interval;
* ``pool_truth``: what the estimate targets, the accuracy on the unlabeled pool of the
  models it pools, weighted by their control items as the estimate weights them
  (``record.control["rounds"]``); each model is scored on the items unlabeled when it was
  fit, the items its control items were drawn from;
* ``pool_accuracy``: the latest model's accuracy on the unlabeled pool;
* ``test_accuracy``: the latest model's accuracy on the held-out test split;
* ``gain``, ``gain_low``, ``gain_high``, ``gain_at``: the gain-over-random estimate.

**Coverage** is the share of rounds whose interval holds a truth; the bench reports it for
``pool_truth`` (the estimand: a stated 90% interval should cover it in about 90% of
rounds) and, for reference, for the latest model's pool and test accuracy. The **cost of
the slice** is the AULC of the same strategy without a control share minus its AULC with
one, paired by seed (both runs start from the same split and initial labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..records import History, RoundRecord

__all__ = ["PoolAccuracy", "control_rounds", "control_summary", "coverage",
           "check_control_share", "suite_control"]

#: The truths a round's interval is held against, the first one being the estimand.
TRUTHS = ("pool_truth", "pool_accuracy", "test_accuracy")


def check_control_share(share: Any) -> float:
    """``share`` as a float in [0, 1), or a one-line error saying what to give."""
    if isinstance(share, bool) or not isinstance(share, (int, float, np.number)) or not (
            0 <= share < 1):
        raise ActiveLabError(
            f"--control must be the share of each batch drawn at random, a number from 0 "
            f"(no control) up to but not including 1, e.g. 0.1; got {share!r}")
    return float(share)


class PoolAccuracy:
    """A loop callback: each fitted round's model accuracy on the then unlabeled items of
    the pool (``values[round]``), with the pool's true labels ``y``."""

    def __init__(self, X: Any, y: np.ndarray) -> None:
        self.X, self.y = X, np.asarray(y)
        self.values: dict[int, float] = {}

    def __call__(self, loop: Any, record: RoundRecord) -> None:
        unseen = loop.pool.unlabeled_ids
        if record.model_fitted and len(unseen):
            predicted = np.asarray(loop.model.predict(self.X[unseen]))
            self.values[record.round] = float(np.mean(predicted == self.y[unseen]))


def control_rounds(history: History, pool_accuracy: dict[int, float],
                   metric: str = "accuracy") -> list[dict[str, Any]]:
    """One row per round that has a control estimate (see the module docstring)."""
    rows = []
    for record in history:
        control = record.control
        if control is None or record.round not in pool_accuracy:
            continue
        accuracy = control["accuracy"]
        weights = {r: w for r, w in control["rounds"] if r in pool_accuracy}
        truth = sum(pool_accuracy[r] * w for r, w in weights.items()) / sum(weights.values())
        gain = control.get("gain") or {}
        rows.append({
            "round": record.round, "n_labeled": record.n_labeled,
            "estimate": accuracy["estimate"], "low": accuracy["low"], "high": accuracy["high"],
            "items": accuracy["items"], "pool_truth": truth,
            "pool_accuracy": pool_accuracy[record.round],
            "test_accuracy": record.metrics.get(metric),
            "gain": gain.get("estimate"), "gain_low": gain.get("low"),
            "gain_high": gain.get("high"), "gain_at": gain.get("at_labels"),
        })
    return rows


def coverage(rows: Sequence[dict[str, Any]], truth: str = "pool_truth") -> dict[str, Any]:
    """``covered`` (share of ``rows`` whose ``[low, high]`` holds ``row[truth]``),
    ``mean_error`` (mean of ``estimate - row[truth]``) and ``rounds``; ``None`` values
    with no rows."""
    rows = [row for row in rows if row.get(truth) is not None]
    if not rows:
        return {"covered": None, "mean_error": None, "rounds": 0}
    held = [row["low"] <= row[truth] <= row["high"] for row in rows]
    errors = [row["estimate"] - row[truth] for row in rows]
    return {"covered": float(np.mean(held)), "mean_error": float(np.mean(errors)),
            "rounds": len(rows)}


def final_gain(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The last round's gain estimate of one run: ``estimate``, ``half`` (half the
    interval's width) and ``at_labels``; ``None`` when no round had one."""
    with_gain = [row for row in rows if row["gain"] is not None]
    if not with_gain:
        return None
    last = with_gain[-1]
    return {"estimate": last["gain"], "half": (last["gain_high"] - last["gain_low"]) / 2,
            "at_labels": last["gain_at"]}


def control_summary(rounds: Sequence[list[dict[str, Any]]], aulc_with: Sequence[float],
                    aulc_without: Sequence[float]) -> dict[str, Any]:
    """One strategy's control entry from its runs' ``rounds`` (one list per seed) and the
    per-seed AULCs with and without the control share."""
    pooled = [row for run in rounds for row in run]
    finals = [g for g in (final_gain(run) for run in rounds) if g is not None]
    cost = np.asarray(aulc_without, dtype=float) - np.asarray(aulc_with, dtype=float)
    return {
        "rounds": [list(run) for run in rounds],
        "coverage": {truth: coverage(pooled, truth) for truth in TRUTHS},
        "final_gain": {
            "per_repeat": [g["estimate"] for g in finals],
            "mean": float(np.mean([g["estimate"] for g in finals])) if finals else None,
            "mean_half_width": float(np.mean([g["half"] for g in finals])) if finals else None,
            "mean_at_labels": float(np.mean([g["at_labels"] for g in finals]))
            if finals else None,
        },
        "aulc_without_control": [float(a) for a in aulc_without],
        "aulc_cost": {"per_repeat": cost.tolist(), "mean": float(cost.mean()),
                      "std": float(cost.std())},
    }


def suite_control(runs: dict[str, dict[str, Any]], names: Sequence[str],
                  alpha: float) -> dict[str, Any] | None:
    """The suite's control section, per strategy: coverage pooled over every round of every
    data set, and the AULC cost (mean over data sets; data sets where the paired test finds
    the control runs significantly lower / higher). ``None`` without a control share."""
    from .compare import paired_test

    first = next(iter(runs.values()))
    if not first["settings"].get("control"):
        return None
    per_strategy = {}
    for name in names:
        entries = [run["strategies"][name]["control"] for run in runs.values()]
        pooled = [row for entry in entries for run in entry["rounds"] for row in run]
        tests = [paired_test(run["strategies"][name]["control"]["aulc_without_control"],
                             run["strategies"][name]["aulc"]["per_repeat"], alpha)
                 for run in runs.values()]
        per_strategy[name] = {
            "coverage": {truth: coverage(pooled, truth) for truth in TRUTHS},
            "aulc_cost_mean": float(np.mean([e["aulc_cost"]["mean"] for e in entries])),
            "aulc_cost_per_dataset": {d: run["strategies"][name]["control"]["aulc_cost"]["mean"]
                                      for d, run in runs.items()},
            "coverage_per_dataset": {
                d: run["strategies"][name]["control"]["coverage"]["pool_truth"]["covered"]
                for d, run in runs.items()},
            "costly_datasets": sum(t["outcome"] == "win" for t in tests),
            "gainful_datasets": sum(t["outcome"] == "loss" for t in tests),
        }
    return {"share": first["settings"]["control"], "confidence": first["control"]["confidence"],
            "strategies": per_strategy}
