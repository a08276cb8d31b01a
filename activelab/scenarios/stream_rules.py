"""Decision rules of stream-based selective sampling: is this item's label wanted?

A rule sees every item once, in stream order, with the model's confidence and whether the
label budget allows a label now (see :class:`~activelab.scenarios.stream.StreamLearner`).
:func:`stream_rule` makes one by name: fixed, variable and randomised variable
uncertainty, split (Žliobaitė et al., 2014), density-based (Ienco et al., 2014), a
"prefer uncertain" filter over a running mean and spread of recent scores, and random
sampling as the baseline.

>>> rule = stream_rule("fixed_uncertainty", threshold=0.6)
>>> rule.start(0.1)
>>> [rule.decide(None, c, True, None) for c in (0.55, 0.9)]
[True, False]
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..registry import Registry, snake_case
from ..strategies.random_sampling import random_keys
from ..validation import check_int

__all__ = [
    "DensityBased",
    "FixedUncertainty",
    "PreferUncertain",
    "RULES",
    "RandomRule",
    "RandomSampling",
    "RandomizedVariableUncertainty",
    "Split",
    "StreamRule",
    "VariableUncertainty",
    "available_rules",
    "check_budget",
    "stream_rule",
]


def check_budget(budget: Any) -> float:
    """``budget`` as a float in (0, 1], or a one-line error."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)):
        raise ActiveLabError(f"budget must be a fraction in (0, 1], e.g. 0.05; got {budget!r}")
    if not (math.isfinite(budget) and 0 < budget <= 1):
        raise ActiveLabError(
            f"budget must be a fraction in (0, 1] of the stream, e.g. 0.05 for 5%; got {budget}"
        )
    return float(budget)



class StreamRule:
    """Decides, item by item, whether a label is wanted.

    :meth:`decide` sees every item once, in stream order, with the model's confidence
    (its largest class probability) and whether the budget allows a label now. It
    returns whether it wants the label; the learner buys it only when the budget allows.
    A rule that adapts a threshold (as Žliobaitė et al.'s do) adapts it only while the
    budget is open. :meth:`start` resets the state at the start of a stream.
    """

    def start(self, budget: float) -> None:
        self.budget = budget

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.startswith("_") and k != "budget")
        return f"{type(self).__name__}({params})"


class RandomRule(StreamRule):
    """Wants items at random, whatever they hold: the baseline at equal budget.

    With ``probability`` given, it wants each item with that probability. By default it
    spends the budget the way variable uncertainty does, so the two compare at equal
    spend: it wants an item when a uniform draw falls below a threshold that, while the
    budget is open, shrinks by ``step`` after a label and grows by ``step`` otherwise.
    The draw is the pool baseline's random key
    (:func:`~activelab.strategies.random_sampling.random_keys`), one per item.
    """

    def __init__(self, probability: float | None = None, step: float = 0.01) -> None:
        self.probability = probability
        self.step = step

    def start(self, budget: float) -> None:
        super().start(budget)
        self._theta = budget if self.probability is None else check_budget(self.probability)

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        wants = bool(random_keys(1, rng)[0] < self._theta)
        if self.probability is None and open:
            self._theta *= (1 - self.step) if wants else (1 + self.step)
        return wants


#: Deprecated name of :class:`RandomRule` (it clashed with the pool strategy
#: :class:`activelab.strategies.RandomSampling`); goes away in the next release.
RandomSampling = RandomRule


class FixedUncertainty(StreamRule):
    """Wants an item whose confidence is below a fixed ``threshold`` (Žliobaitė et al., 2014)."""

    def __init__(self, threshold: float = 0.7) -> None:
        self.threshold = threshold

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        return confidence < self.threshold


class VariableUncertainty(StreamRule):
    """Confidence below a threshold that adapts (Žliobaitė et al., 2014).

    While the budget is open: a label shrinks the threshold by ``step`` (ask only about
    harder items), an item let go raises it by ``step`` (ask more). So the rule spends
    the budget whatever the model's confidence level, and on the most uncertain items.
    """

    def __init__(self, threshold: float = 1.0, step: float = 0.01) -> None:
        self.threshold = threshold
        self.step = step

    def start(self, budget: float) -> None:
        super().start(budget)
        self._theta = float(self.threshold)

    def _below(self, confidence: float, rng: np.random.Generator) -> bool:
        return confidence < self._theta

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        if not open:
            return False
        wants = self._below(confidence, rng)
        self._theta *= (1 - self.step) if wants else (1 + self.step)
        return wants


class RandomizedVariableUncertainty(VariableUncertainty):
    """Variable uncertainty with a randomised threshold ``theta * N(1, delta)`` (Žliobaitė et al.).

    The noise lets it label some confident items too, so it notices drift where the model
    is confidently wrong.
    """

    def __init__(self, threshold: float = 1.0, step: float = 0.01, delta: float = 1.0) -> None:
        super().__init__(threshold, step)
        self.delta = delta

    def _below(self, confidence: float, rng: np.random.Generator) -> bool:
        return confidence < self._theta * rng.normal(1.0, self.delta)


class Split(VariableUncertainty):
    """With probability ``random_share`` label at random, else variable uncertainty (Žliobaitė et al.)."""

    def __init__(self, random_share: float = 0.5, threshold: float = 1.0, step: float = 0.01) -> None:
        super().__init__(threshold, step)
        self.random_share = random_share

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        if not open:
            return False
        if rng.random() < self.random_share:
            return True
        return super().decide(x, confidence, open, rng)


class DensityBased(VariableUncertainty):
    """Variable uncertainty restricted to items in dense regions (Ienco et al., 2014, DBALStream).

    It keeps the last ``memory`` items and each one's distance to its nearest neighbour
    among them. An arriving item is in a dense region when it would become the nearest
    neighbour of at least one remembered item; only such items may be labeled, and then
    only when variable uncertainty wants them.
    """

    def __init__(self, memory: int = 100, threshold: float = 1.0, step: float = 0.01) -> None:
        super().__init__(threshold, step)
        self.memory = memory

    def start(self, budget: float) -> None:
        super().start(budget)
        self._items: deque[np.ndarray] = deque(maxlen=check_int(self.memory, "memory"))
        self._nearest: deque[float] = deque(maxlen=self.memory)

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        x = np.asarray(x, dtype=float).ravel()
        if self._items:
            distances = np.linalg.norm(np.asarray(self._items) - x, axis=1)
            nearest = np.asarray(self._nearest)
            closer = distances < nearest
            dense = bool(closer.any())
            updated = np.where(closer, distances, nearest)
            self._nearest = deque(updated.tolist(), maxlen=self.memory)
            own = float(distances.min())
        else:
            dense, own = True, math.inf
        self._items.append(x)
        self._nearest.append(own)
        return dense and super().decide(x, confidence, open, rng)


class PreferUncertain(StreamRule):
    """Wants an item whose uncertainty is high relative to the recent ones.

    Keeps the uncertainty (``1 - confidence``) of the last ``memory`` items and wants an
    item scoring at least ``mean + z * std`` of them. ``z`` starts at the normal quantile
    that would let a ``budget`` share through (1.64 at 5%); while the budget is open it
    rises by ``step`` after a label and falls by ``step`` otherwise, because uncertainty
    scores are bounded and skewed, not normal.
    """

    def __init__(self, memory: int = 500, z: float | None = None, step: float = 0.01) -> None:
        self.memory = memory
        self.z = z
        self.step = step

    def start(self, budget: float) -> None:
        from scipy.stats import norm

        super().start(budget)
        self._scores: deque[float] = deque(maxlen=check_int(self.memory, "memory", minimum=2))
        self._sum = 0.0
        self._sum_sq = 0.0
        if self.z is not None:
            self._z = float(self.z)
        else:
            self._z = float(norm.ppf(1 - budget)) if budget < 1 else 0.0

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        score = 1.0 - confidence
        n = len(self._scores)
        if n >= 2:
            mean = self._sum / n
            spread = math.sqrt(max(self._sum_sq / n - mean * mean, 0.0))
            wants = score >= mean + self._z * spread
        else:
            wants = True
        if open:
            self._z += self.step if wants else -self.step
        if n == self._scores.maxlen:
            old = self._scores[0]
            self._sum -= old
            self._sum_sq -= old * old
        self._scores.append(score)
        self._sum += score
        self._sum_sq += score * score
        return wants


#: Every decision rule by name (case and ``-``/``_`` do not matter).
RULES: Registry[type[StreamRule]] = Registry("stream rule", normalise=snake_case)
RULES.add("random", RandomRule)
RULES.add("fixed_uncertainty", FixedUncertainty)
RULES.add("variable_uncertainty", VariableUncertainty)
RULES.add("randomized_variable_uncertainty", RandomizedVariableUncertainty,
          aliases=["randomised_variable_uncertainty"])
RULES.add("split", Split)
RULES.add("density", DensityBased, aliases=["density_based"])
RULES.add("prefer_uncertain", PreferUncertain)


def available_rules() -> list[str]:
    """The names :func:`stream_rule` accepts."""
    return RULES.available()


def stream_rule(name: str, **params: Any) -> StreamRule:
    """A new decision rule by name (case and ``-``/``_`` do not matter).

    >>> stream_rule("variable-uncertainty", step=0.02)
    VariableUncertainty(threshold=1.0, step=0.02)
    """
    return RULES.create(name, **params)
