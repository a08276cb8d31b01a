"""Decision rules of stream-based selective sampling: is this item's label wanted?

A rule sees every item once, in stream order, with the model's confidence and whether the
label budget allows a label now (see :class:`~activelab.scenarios.stream.StreamLearner`).
:func:`stream_rule` makes one by name: fixed, variable and randomised variable
uncertainty, split (Žliobaitė et al., 2014), density-based (Ienco et al., 2014), a
"prefer uncertain" filter over a running mean and spread of recent scores, CogDQS
(Liu et al., 2021), stream PAL (probabilistic active learning with a balanced
incremental quantile filter, as scikit-activeml's ``StreamProbabilisticAL``), and random
and periodic sampling as the baselines.

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
    "CognitiveDualQuery",
    "DensityBased",
    "FixedUncertainty",
    "Periodic",
    "PreferUncertain",
    "RULES",
    "RandomRule",
    "RandomSampling",
    "RandomizedVariableUncertainty",
    "Split",
    "StreamPAL",
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

    def learn(self, X: np.ndarray, y: np.ndarray) -> None:  # noqa: B027
        """Hook: the learner was told these labels. Default: nothing (a rule that counts
        labels near an item, as stream PAL does, keeps them)."""

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


class Periodic(StreamRule):
    """Wants every ``period``-th item, the budget's pace without looking at the items.

    It wants an item when ``seen * rate - bought >= 1``, ``rate = 1 / period`` (default:
    the budget), so it asks at items ``period, 2 period, ...`` and, when the budget
    manager refused one, catches up on the next (scikit-activeml's ``PeriodicSampling``).
    """

    def __init__(self, period: int | None = None) -> None:
        self.period = period

    def start(self, budget: float) -> None:
        super().start(budget)
        self._rate = budget if self.period is None else 1.0 / check_int(self.period, "period")
        self._seen = 0
        self._bought = 0

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        self._seen += 1
        wants = self._seen * self._rate - self._bought >= 1 - 1e-9
        self._bought += int(wants and open)
        return wants


class CognitiveDualQuery(RandomizedVariableUncertainty):
    """CogDQS: randomised variable uncertainty in dense regions of a cognition window.

    Liu, Xue, Wu, Zhou, Yang, Li & Cao, 2021 ("Online active learning for drifting data
    streams", IEEE TNNLS). The rule keeps at most ``memory`` representative items. Each
    has a nearest-neighbour distance among the items seen after it, an activation count
    ``a`` and the time ``t_a`` it was last activated. An arriving item activates every
    kept item it is closer to than that item's nearest neighbour so far (their count
    goes up, their time becomes now, their distance shrinks); the number activated is
    the local density factor. When the window is full, the item with the weakest
    memory, ``exp(-(t - t_a) / (a + 1))`` (Ebbinghaus's forgetting curve), makes room.
    Only an item that activates at least ``density_threshold`` kept items may be
    labeled, and then when randomised variable uncertainty wants it (its threshold
    adapts only on those items).
    """

    def __init__(self, memory: int = 10, density_threshold: int = 1, threshold: float = 1.0,
                 step: float = 0.01, delta: float = 1.0) -> None:
        super().__init__(threshold, step, delta)
        self.memory = memory
        self.density_threshold = density_threshold

    def start(self, budget: float) -> None:
        super().start(budget)
        self._capacity = check_int(self.memory, "memory")
        self._items: list[np.ndarray] = []
        self._nearest: list[float] = []
        self._activations: list[int] = []
        self._activated_at: list[int] = []
        self._time = 0

    def density_factor(self, x: np.ndarray) -> int:
        """Update the cognition window with ``x``; return how many kept items it activated."""
        x = np.asarray(x, dtype=float).ravel()
        now, factor, own = self._time, 0, math.inf
        if self._items:
            distances = np.linalg.norm(np.asarray(self._items) - x, axis=1)
            for i in np.flatnonzero(distances < np.asarray(self._nearest)):
                self._nearest[i] = float(distances[i])
                self._activations[i] += 1
                self._activated_at[i] = now
                factor += 1
            own = float(distances.min())
        if len(self._items) >= self._capacity:
            strength = [math.exp(-(now - t) / (a + 1))
                        for t, a in zip(self._activated_at, self._activations)]
            weakest = int(np.argmin(strength))
            for kept in (self._items, self._nearest, self._activations, self._activated_at):
                kept.pop(weakest)
        self._items.append(x)
        self._nearest.append(own)
        self._activations.append(0)
        self._activated_at.append(now)
        self._time += 1
        return factor

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        dense = self.density_factor(x) >= self.density_threshold
        return dense and super().decide(x, confidence, open, rng)


class StreamPAL(StreamRule):
    """Stream probabilistic active learning: McPAL's gain, through a balanced quantile filter.

    The gain of a label at ``x`` is McPAL's
    (:func:`~activelab.strategies.probabilistic.expected_error_reduction_mcpal`, ``prior``,
    ``m_max``) on ``k(x)``, the kernel frequencies of the labels the learner was told (the
    last ``memory`` of them; RBF kernel, ``gamma`` a number or ``"mean"`` for the mean
    criterion on those labels). The decision is the balanced incremental quantile filter
    of Kottke, Krempl & Spiliopoulou (2015, "Probabilistic active learning in datastreams",
    IDA), scikit-activeml's default for ``StreamProbabilisticAL``: among the gains of the
    last ``w`` items, want an item whose gain is at least the ``1 - budget`` quantile,
    lowered by ``(max - min) * (budget * seen - bought) / w_tol`` when behind the budget
    (raised when ahead). The defaults are scikit-activeml's.
    """

    def __init__(self, prior: float = 1e-3, m_max: int = 2, gamma: float | str = "mean",
                 memory: int = 500, w: int = 100, w_tol: float = 50.0) -> None:
        self.prior = prior
        self.m_max = m_max
        self.gamma = gamma
        self.memory = memory
        self.w = w
        self.w_tol = w_tol

    def start(self, budget: float) -> None:
        super().start(budget)
        self._gains: deque[float] = deque(maxlen=check_int(self.w, "w"))
        if isinstance(self.w_tol, bool) or not isinstance(self.w_tol, (int, float)) or self.w_tol <= 0:
            raise ActiveLabError(f"w_tol must be a positive number; got {self.w_tol!r}")
        self._X: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._seen = 0
        self._bought = 0

    def learn(self, X: np.ndarray, y: np.ndarray) -> None:
        from ..models.parzen import ParzenWindowClassifier

        keep = check_int(self.memory, "memory")
        X = np.asarray(X, dtype=float).reshape(len(y), -1)
        self._X = X if self._X is None else np.vstack([self._X, X])[-keep:]
        self._y = np.asarray(y) if self._y is None else np.concatenate([self._y, y])[-keep:]
        self._parzen = ParzenWindowClassifier(gamma=self.gamma).fit(self._X, self._y)

    def gain(self, x: np.ndarray) -> float:
        """McPAL's gain at ``x`` from the labels learned so far."""
        from ..strategies.probabilistic import expected_error_reduction_mcpal

        if self._y is None:
            k = np.zeros((1, 2))
        else:
            k = self._parzen.predict_freq(np.asarray(x, dtype=float).reshape(1, -1))
            if k.shape[1] == 1:
                k = np.hstack([k, np.zeros((1, 1))])
        return float(expected_error_reduction_mcpal(k, self.prior, check_int(self.m_max, "m_max"))[0])

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        gain = self.gain(x)
        self._seen += 1
        self._gains.append(gain)
        history = np.asarray(self._gains)
        behind = self.budget * self._seen - self._bought
        threshold = np.quantile(history, 1 - self.budget) - np.ptp(history) * behind / self.w_tol
        wants = bool(gain >= threshold)
        self._bought += int(wants and open)
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
RULES.add("periodic", Periodic)
RULES.add("cogdqs", CognitiveDualQuery, aliases=["cognitive_dual_query"])
RULES.add("pal", StreamPAL, aliases=["stream_pal"])


def available_rules() -> list[str]:
    """The names :func:`stream_rule` accepts."""
    return RULES.available()


def stream_rule(name: str, **params: Any) -> StreamRule:
    """A new decision rule by name (case and ``-``/``_`` do not matter).

    >>> stream_rule("variable-uncertainty", step=0.02)
    VariableUncertainty(threshold=1.0, step=0.02)
    """
    return RULES.create(name, **params)
