"""A random control share: what the model's accuracy is, and what active learning gained,
measured on the user's own data without a test set.

``ActiveLoop(control=0.1)`` sends about 10% of every batch to items drawn uniformly at
random from the candidates (the unlabeled items not skipped or waiting). They are labeled
and trained on like any other; what makes them useful is *when* they were drawn:

* **Accuracy.** An item drawn at random after the model was fit is a uniform sample of
  the items that model has not seen, so whether the model (its prediction is kept at the
  draw) gets it right is an unbiased sample of its accuracy *on the unlabeled pool of
  that round*. Precisely: the pool is the candidates of the ``ask`` that drew the item
  (unlabeled, not skipped, not waiting for an answer to an earlier ``ask``; in
  :meth:`~activelab.ActiveLoop.run`, every unlabeled item not skipped), *including* the items
  the strategy picks for the same batch, since the control is drawn first; the model is
  the loop's model (not a ``query_model``) as fit at the start of that ``ask``. Not the
  pool left after the batch: an uncertainty strategy takes hard items, so what remains
  is more accurate (by 0.4 to 2 points in ``tests/test_control.py``'s settings).
  Pooling the control items of the recent rounds (the models fit on at least
  ``1 - window`` times the current label count) gives the estimate with a Wilson score
  interval. It estimates the mean accuracy of those models, weighted by their control
  items: when accuracy still rises it is a little below the latest model's (conservative).
* **Gain over random.** At each draw, two reference models are fit (clones of the model):
  one on the *base* labels (those neither the strategy nor the control chose: the initial
  set, labels given outside the queue) plus the first ``m`` control labels, one on the
  base plus the first ``m`` labels the strategy chose (``m``: the smaller of the two
  counts so far). Both have the same count
  ``N = base + m`` and neither saw the items drawn now, so on those items the paired
  difference of their correctness is an unbiased estimate of what ``m`` chosen labels
  gained over ``m`` random ones at ``N`` labels (assumption: the strategy's first ``m``
  picks behave like its picks in a run of ``N`` labels, true for a full refit). Interval:
  normal, with the variance of the differences plus one ``+1`` and one ``-1``
  pseudo-difference, so it is never of zero width.

Both intervals are two-sided at ``confidence`` (90% by default). The estimates describe a
round's model, so they are written to that round's :class:`~activelab.RoundRecord`
(``record.control``) once its control items are labeled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ActiveLabError
from .pool import Pool, _same_label, to_python
from .strategies.base import Query
from .validation import check_number

__all__ = ["ControlDraw", "RandomControl", "describe", "round_rng", "wilson_interval",
           "with_control"]


def _z(confidence: float, two_sided: bool = True) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - confidence) / (2 if two_sided else 1)))


def wilson_interval(successes: float, n: int, confidence: float = 0.9) -> tuple[float, float]:
    """The Wilson score interval of a proportion (Wilson, 1927).

    >>> [round(v, 4) for v in wilson_interval(8, 10, 0.95)]
    [0.4902, 0.9433]
    """
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class ControlDraw:
    """One control item: the round whose model it measures, and what was predicted."""

    id: Any
    round: int
    n_labeled: int
    predicted: Any
    reference: tuple[Any, Any] | None = None  # (strategy's reference, random reference)
    reference_labels: int = 0
    label: Any = None
    labeled: bool = False

    @property
    def correct(self) -> bool:
        return _same_label(self.predicted, self.label)

    def gain(self) -> int:
        """+1 when only the strategy's reference model was right, -1 when only random's."""
        assert self.reference is not None
        mine, random = (_same_label(p, self.label) for p in self.reference)
        return int(mine) - int(random)


class RandomControl:
    """The control items of one loop and the estimates drawn from them (module docstring).

    ``share`` of each batch (rounded at random, so the expected share is exact), interval
    ``confidence``, and ``window``: the accuracy pools the models fit on at least
    ``(1 - window)`` times the latest label count.
    """

    def __init__(self, share: float, confidence: float = 0.9, window: float = 0.5) -> None:
        self.share = check_number(share, "control", 0, 1)
        self.confidence = check_number(confidence, "control_confidence", 0.5, 0.999)
        self.window = check_number(window, "control window", 0, 1)
        self.pending: dict[Any, ControlDraw] = {}
        self.draws: list[ControlDraw] = []

    def count(self, k: int, rng: np.random.Generator) -> int:
        """How many of a batch of ``k`` go to random control items."""
        expected = self.share * k
        whole = int(math.floor(expected))
        return min(k, whole + int(rng.random() < expected - whole))

    @property
    def labeled_ids(self) -> list[Any]:
        """The control items labeled so far, in the order they were labeled."""
        return [d.id for d in self.draws]

    def add(self, draws: list[ControlDraw]) -> None:
        for draw in draws:
            self.pending[draw.id] = draw

    def labeled(self, ids: np.ndarray, labels: Any) -> list[int]:
        """Record the labels of pending control items; the rounds they measure."""
        rounds = []
        for id_, label in zip(np.asarray(ids).tolist(), list(labels)):
            draw = self.pending.pop(id_, None)
            if draw is not None:
                draw.label, draw.labeled = label, True
                self.draws.append(draw)
                rounds.append(draw.round)
        return rounds

    def drop(self, ids: np.ndarray | None = None) -> None:
        """Forget pending draws (all, or ``ids``): they were withdrawn or skipped."""
        if ids is None:
            self.pending.clear()
        for id_ in [] if ids is None else np.asarray(ids).tolist():
            self.pending.pop(id_, None)

    def estimate(self, round_: int) -> dict[str, Any] | None:
        """The estimates for the model of round ``round_``, from the control items of the
        models fit on at least ``(1 - window)`` times its labels; ``None`` without any."""
        mine = [d for d in self.draws if d.round == round_]
        if not mine:
            return None
        latest = mine[0].n_labeled
        used = [d for d in self.draws
                if d.round <= round_ and d.n_labeled >= (1 - self.window) * latest]
        correct = sum(d.correct for d in used)
        low, high = wilson_interval(correct, len(used), self.confidence)
        rounds = sorted({d.round for d in used})
        return {
            "share": self.share,
            "confidence": self.confidence,
            "accuracy": {
                "estimate": correct / len(used), "low": low, "high": high, "items": len(used),
                "labels_from": min(d.n_labeled for d in used), "labels_to": latest,
                "on": "unlabeled pool",
            },
            "gain": self._gain([d for d in used if d.reference is not None]),
            "rounds": [[r, sum(d.round == r for d in used)] for r in rounds],
        }

    def _gain(self, used: list[ControlDraw]) -> dict[str, Any] | None:
        if len(used) < 2:
            return None
        differences = np.array([d.gain() for d in used], dtype=float)
        mean = float(differences.mean())
        padded = np.concatenate([differences, [1.0, -1.0]])
        half = _z(self.confidence) * float(padded.std(ddof=1)) / math.sqrt(len(used))
        return {"estimate": mean, "low": max(-1.0, mean - half), "high": min(1.0, mean + half),
                "items": len(used),
                "at_labels": int(round(np.mean([d.reference_labels for d in used])))}

    def draw(self, model: Any, pool: Pool, candidates: np.ndarray, k: int, seed: Any,
             round_: int, n_labeled: int, chosen: list[Any]) -> np.ndarray:
        """This round's control items, drawn uniformly from ``candidates``; what ``model``
        (fit on ``n_labeled`` labels in round ``round_``) and the two reference models
        predict for them is kept for when they are labeled. ``chosen``: the ids the
        strategy chose that were labeled, in order."""
        if getattr(model, "classes_", None) is None or np.ndim(model.classes_) != 1:
            raise ActiveLabError(
                f"the random control measures accuracy, so it needs a classifier with one "
                f"label per item; {type(model).__name__} has no classes_ (use control=0)")
        rng = round_rng(seed, round_, 0)
        n = self.count(min(k, len(candidates)), rng)
        if n == 0:
            return candidates[:0]
        ids = np.sort(rng.choice(candidates, n, replace=False))
        rows = pool.items(ids)
        predicted = np.asarray(model.predict(rows))
        references = reference_predictions(model, pool, chosen, self.labeled_ids, rows)
        self.add([
            ControlDraw(id=id_, round=round_, n_labeled=n_labeled, predicted=predicted[i],
                        reference=None if references is None else
                        (references[0][i], references[1][i]),
                        reference_labels=0 if references is None else references[2])
            for i, id_ in enumerate(ids.tolist())])
        return ids

    def accuracy_curve(self) -> np.ndarray:
        """``[[labels of the model, 1 if it was right else 0], ...]``, one row per item."""
        rows = [[d.n_labeled, float(d.correct)] for d in self.draws]
        return np.array(rows, dtype=float).reshape(-1, 2)


def reference_predictions(model: Any, pool: Pool, chosen: list[Any], control: list[Any],
                          rows: Any) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Predictions on ``rows`` of clones of ``model`` fit on base + the first ``m`` chosen
    labels and on base + the first ``m`` control labels, ``m`` the smaller count of the
    two; ``None`` when that cannot be done (``m = 0``, a clone that cannot be made or
    fit, one class only)."""
    m = min(len(control), len(chosen))
    if m == 0:
        return None
    from sklearn.base import clone

    labeled = pool.labeled_ids
    base = labeled[~np.isin(labeled, np.asarray(chosen + control, dtype=labeled.dtype))]
    predictions = []
    for extra in (chosen[:m], control[:m]):
        ids = np.concatenate([base, np.asarray(extra, dtype=labeled.dtype)])
        y = pool.labels_of(ids)
        if len(np.unique(np.asarray(y, dtype=object).astype(str))) < 2:
            return None
        try:
            reference = clone(model).fit(pool.items(ids), y)
            predictions.append(np.asarray(reference.predict(rows)))
        except (TypeError, ValueError, RuntimeError):
            return None
    return predictions[0], predictions[1], len(base) + m


def describe(control: dict[str, Any]) -> str:
    """One sentence for people: the accuracy estimate and the gain over random.

    >>> print(describe({"confidence": 0.9, "accuracy": {"estimate": 0.8, "low": 0.7,
    ...     "high": 0.88, "labels_to": 120}, "gain": {"estimate": 0.05, "low": 0.01,
    ...     "high": 0.09, "at_labels": 30}}))
    accuracy on the unlabeled pool 80.0% (90% interval 70.0-88.0%) at 120 labels; active learning is ahead of random by 5.0 ± 4.0 points at 30 labels
    """
    accuracy = control["accuracy"]
    level = f"{100 * control['confidence']:g}%"
    text = (f"accuracy on the unlabeled pool {100 * accuracy['estimate']:.1f}% ({level} "
            f"interval {100 * accuracy['low']:.1f}-{100 * accuracy['high']:.1f}%) at "
            f"{accuracy['labels_to']} labels")
    gain = control.get("gain")
    if gain:
        word = "ahead of" if gain["estimate"] >= 0 else "behind"
        half = 100 * (gain["high"] - gain["low"]) / 2
        text += (f"; active learning is {word} random by {100 * abs(gain['estimate']):.1f} ± "
                 f"{half:.1f} points at {gain['at_labels']} labels")
    return text


def round_rng(seed: Any, round_: int, stream: int) -> np.random.Generator:
    """A generator for one use (``stream``) in round ``round_``: the round is mixed in, so
    a caller that passes one seed every round (a labeling server) still gets other draws
    and other places in the queue each round."""
    from .validation import check_random_state

    return np.random.default_rng(
        [int(check_random_state(seed).integers(2**63 - 1)), round_, stream])


def with_control(query: Query, controls: np.ndarray, rng: np.random.Generator) -> Query:
    """The strategy's query with the control ids put in at random places; a control id
    takes the score of the id before it (the first place: the best score), so the scores
    stay sorted."""
    n = len(query.ids) + len(controls)
    places = np.sort(rng.choice(n, len(controls), replace=False))
    is_control = np.zeros(n, dtype=bool)
    is_control[places] = True
    ids = np.empty(n, dtype=np.result_type(query.ids.dtype, controls.dtype))
    ids[is_control], ids[~is_control] = controls, query.ids
    own = np.asarray(query.scores, dtype=float)
    top = own[0] if len(own) else 0.0
    scores = np.full(n, np.nan)
    scores[~is_control] = own
    for place in np.flatnonzero(is_control):
        scores[place] = scores[place - 1] if place else top
    return Query(ids=ids, scores=scores, strategy=query.strategy,
                 info={**query.info, "control_ids": [to_python(i) for i in controls]})
