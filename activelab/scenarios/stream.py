"""Stream-based selective sampling: items arrive one at a time; label a few on the spot.

A :class:`StreamLearner` reads a stream (any iterator of items or mini-batches, or a
file read in chunks), and for every item it decides at once whether to pay for its
label. Three parts make the decision:

* a **decision rule** (:func:`stream_rule` by name): fixed, variable and randomised
  variable uncertainty, split (Žliobaitė et al., 2014), density-based (Ienco et al.,
  2014), a "prefer uncertain" filter over a running mean and spread of recent scores,
  and random sampling as the baseline;
* a :class:`BudgetManager` that holds the label budget, a fraction of the stream, over
  **every** window of ``window`` consecutive items: it never allows a label that would
  make any such window spend more than ``floor(budget * window)``;
* a training policy, the same objects :class:`~activelab.ActiveLoop` takes
  (:mod:`activelab.training`): ``partial_fit`` on each new label
  (:class:`~activelab.training.Incremental` with the classes known up front), or a
  :class:`~activelab.training.FullRefit` on the sliding window of the most recent labels
  the learner keeps.

Evaluation is prequential (test-then-train): each item is predicted before its label,
if bought, can train the model.

>>> from sklearn.linear_model import SGDClassifier
>>> from activelab.data.streams import sea_stream
>>> from activelab.scenarios.stream import StreamLearner
>>> learner = StreamLearner(SGDClassifier(loss="log_loss", random_state=0),
...                         rule="variable_uncertainty", budget=0.05, classes=[0, 1],
...                         random_state=0)
>>> history = learner.run(sea_stream(5_000, random_state=0))
>>> history.n_queried <= 0.05 * 5_000 and history.max_window_spend(1_000) <= 50
True
"""

from __future__ import annotations

import difflib
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..training import (
    FullRefit,
    Incremental,
    TrainingContext,
    TrainingPolicy,
    ready_to_fit,
    train_model,
)
from ..validation import check_int, check_random_state, first_line

__all__ = [
    "BudgetManager",
    "DensityBased",
    "FixedUncertainty",
    "PreferUncertain",
    "RandomSampling",
    "RandomizedVariableUncertainty",
    "Split",
    "StreamHistory",
    "StreamLearner",
    "StreamRule",
    "VariableUncertainty",
    "available_rules",
    "max_window_spend",
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


class BudgetManager:
    """Holds a label budget over every window of ``window`` consecutive items.

    ``cap = floor(budget * window)`` labels are allowed in any ``window`` consecutive
    items. :meth:`allows` says yes only while fewer than ``cap`` labels were bought among
    the previous ``window - 1`` items, so any window's last label saw every earlier label
    of that window and the window never holds more than ``cap``. With ``pace=True`` it
    also waits while a running estimate of the spend rate (Žliobaitė et al.'s, with
    memory ``window``) is at or above ``budget``, which spreads the labels out instead of
    spending a window's share at its start.

    >>> manager = BudgetManager(0.25, window=4)
    >>> [manager.step(True) for _ in range(6)]
    [True, False, False, False, True, False]
    """

    def __init__(self, budget: float, window: int = 1000, pace: bool = True) -> None:
        self.budget = check_budget(budget)
        self.window = check_int(window, "window")
        self.pace = pace
        self.cap = math.floor(self.budget * self.window + 1e-9)
        if self.cap < 1:
            raise ActiveLabError(
                f"a budget of {self.budget} over windows of {self.window} items allows no label; "
                f"use a window of at least {math.ceil(1 / self.budget)} items or a larger budget"
            )
        self.reset()

    def reset(self) -> None:
        self.position = 0
        self.spent = 0
        self._recent: deque[int] = deque()
        self._rate = 0.0

    def allows(self) -> bool:
        """Whether a label for the current item keeps every window within budget."""
        while self._recent and self._recent[0] <= self.position - self.window:
            self._recent.popleft()
        if len(self._recent) >= self.cap:
            return False
        return not (self.pace and self._rate >= self.budget)

    def record(self, queried: bool) -> None:
        """Close the current item (``queried``: whether its label was bought); move on."""
        if queried:
            if not self.allows():
                raise ActiveLabError(
                    f"item {self.position}: the label budget does not allow a label here; "
                    "ask allows() first"
                )
            self._recent.append(self.position)
            self.spent += 1
        self._rate += (float(queried) - self._rate) / self.window
        self.position += 1

    def step(self, wants: bool) -> bool:
        """Buy the current item's label if wanted and allowed; returns whether it was bought."""
        queried = bool(wants) and self.allows()
        self.record(queried)
        return queried


def max_window_spend(queried_positions: Iterable[int], window: int) -> int:
    """The most labels bought in any ``window`` consecutive stream positions (brute force).

    >>> max_window_spend([0, 1, 5, 9], window=5)
    2
    """
    positions = np.sort(np.asarray(list(queried_positions), dtype=np.int64))
    if len(positions) == 0:
        return 0
    ends = np.searchsorted(positions, positions + window, side="left")
    return int(np.max(ends - np.arange(len(positions))))


# --------------------------------------------------------------------------- rules


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


class RandomSampling(StreamRule):
    """Wants items at random, whatever they hold: the baseline at equal budget.

    With ``probability`` given, it wants each item with that probability. By default it
    spends the budget the way variable uncertainty does, so the two compare at equal
    spend: it wants an item when a uniform draw falls below a threshold that, while the
    budget is open, shrinks by ``step`` after a label and grows by ``step`` otherwise.
    """

    def __init__(self, probability: float | None = None, step: float = 0.01) -> None:
        self.probability = probability
        self.step = step

    def start(self, budget: float) -> None:
        super().start(budget)
        self._theta = budget if self.probability is None else check_budget(self.probability)

    def decide(self, x: np.ndarray, confidence: float, open: bool, rng: np.random.Generator) -> bool:
        wants = bool(rng.random() < self._theta)
        if self.probability is None and open:
            self._theta *= (1 - self.step) if wants else (1 + self.step)
        return wants


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


_RULES: dict[str, type[StreamRule]] = {
    "random": RandomSampling,
    "fixed_uncertainty": FixedUncertainty,
    "variable_uncertainty": VariableUncertainty,
    "randomized_variable_uncertainty": RandomizedVariableUncertainty,
    "split": Split,
    "density": DensityBased,
    "prefer_uncertain": PreferUncertain,
}
_ALIASES = {"randomised_variable_uncertainty": "randomized_variable_uncertainty",
            "density_based": "density"}


def available_rules() -> list[str]:
    """The names :func:`stream_rule` accepts."""
    return sorted(_RULES)


def stream_rule(name: str, **params: Any) -> StreamRule:
    """A new decision rule by name (case and ``-``/``_`` do not matter).

    >>> stream_rule("variable-uncertainty", step=0.02)
    VariableUncertainty(threshold=1.0, step=0.02)
    """
    key = str(name).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _RULES:
        close = difflib.get_close_matches(key, list(_RULES) + list(_ALIASES), n=1)
        hint = f" (did you mean {_ALIASES.get(close[0], close[0])!r}?)" if close else ""
        raise ActiveLabError(
            f"unknown stream rule {name!r}{hint}; available: {', '.join(available_rules())}"
        )
    try:
        return _RULES[key](**params)
    except TypeError as err:
        raise ActiveLabError(f"stream rule {key!r} does not take those parameters: {err}") from err


# --------------------------------------------------------------------------- learner


@dataclass
class StreamHistory:
    """What happened over a stream, item by item.

    ``correct`` holds, for each item whose true label was known, whether the model
    predicted it right before seeing its label (prequential, test-then-train); items
    seen before the model could be fit, or without a known label, are NaN.
    """

    n_seen: int = 0
    queried: list[int] = field(default_factory=list)
    correct: list[float] = field(default_factory=list)

    @property
    def n_queried(self) -> int:
        return len(self.queried)

    @property
    def spent_fraction(self) -> float:
        return self.n_queried / self.n_seen if self.n_seen else 0.0

    def accuracy(self) -> float:
        """Prequential accuracy over every item that was tested."""
        values = np.asarray(self.correct, dtype=float)
        tested = values[~np.isnan(values)]
        return float(tested.mean()) if len(tested) else math.nan

    def accuracy_curve(self, block: int = 1000) -> np.ndarray:
        """``[[items seen, accuracy within the block], ...]`` over consecutive blocks."""
        values = np.asarray(self.correct, dtype=float)
        rows = []
        for start in range(0, len(values), block):
            part = values[start:start + block]
            part = part[~np.isnan(part)]
            rows.append([start + block, part.mean() if len(part) else math.nan])
        return np.array(rows, dtype=float).reshape(-1, 2)

    def max_window_spend(self, window: int) -> int:
        return max_window_spend(self.queried, window)


class StreamLearner:
    """Selective sampling over a stream, with a budget that holds in every window.

    Parameters
    ----------
    model : estimator
        A scikit-learn-style classifier with ``predict_proba`` (or ``decision_function``).
        With ``training="partial_fit"`` it needs ``partial_fit``; it is updated in place.
    rule : str or StreamRule
        The decision rule (see :func:`available_rules`).
    budget : float
        The share of the stream that may be labeled, in (0, 1].
    window : int
        The budget holds over every ``window`` consecutive items.
    classes : sequence, optional
        Every class the stream can hold; ``partial_fit`` needs them up front.
    training : "partial_fit", "window" or TrainingPolicy
        Update ``model`` in place on each new label with ``partial_fit``
        (``Incremental("partial_fit", classes=classes)``), or refit it in place on the last
        ``window_labels`` labels every ``refit_every`` new labels (:class:`FullRefit` on the
        labels the learner keeps). Any :class:`~activelab.training.TrainingPolicy` works
        too: it trains every ``refit_every`` new labels on the last ``window_labels``
        labels, and is told the new ones. Like :class:`~activelab.ActiveLoop`, the learner
        trains the model object you pass.
    window_labels : int
        How many of the most recent labels the learner keeps to train on.
    refit_every : int
        With ``training="window"`` or a policy: how many new labels between two fits (the
        first fit comes as soon as the labels allow one).
    pace : bool
        Spread the labels out (see :class:`BudgetManager`).
    random_state : int, Generator or None
        Seeds the randomised rules, so a run is reproducible.

    Drive it with :meth:`run` over a whole stream, or item by item with :meth:`ask`
    (which items of this batch to label) and :meth:`tell` (their labels).
    """

    def __init__(
        self,
        model: Any,
        rule: str | StreamRule = "variable_uncertainty",
        budget: float = 0.05,
        *,
        window: int = 1000,
        classes: Iterable[Any] | None = None,
        training: str = "partial_fit",
        window_labels: int = 500,
        refit_every: int = 10,
        pace: bool = True,
        random_state: Any = None,
    ) -> None:
        self.model = model
        self.rule = stream_rule(rule) if isinstance(rule, str) else rule
        if not isinstance(self.rule, StreamRule):
            raise ActiveLabError(
                f"rule must be a name ({', '.join(available_rules())}) or a StreamRule; "
                f"got {type(rule).__name__}"
            )
        self.budget = BudgetManager(budget, window, pace=pace)
        self.classes = None if classes is None else np.asarray(list(classes))
        self.training = training
        self.window_labels = check_int(window_labels, "window_labels", minimum=2)
        self.refit_every = check_int(refit_every, "refit_every")
        self.policy, self._fit_every = self._training_policy(model, training)
        self.random_state = random_state
        self.reset()

    def _training_policy(self, model: Any, training: Any) -> tuple[Any, int]:
        """The training policy of ``training`` and how many new labels come between fits."""
        if isinstance(training, TrainingPolicy) or callable(getattr(training, "train", None)):
            return training, self.refit_every
        if training not in ("partial_fit", "window"):
            raise ActiveLabError(
                f"training must be 'partial_fit', 'window' or a TrainingPolicy such as "
                f"activelab.training.FullRefit(); got {training!r}"
            )
        if training == "window":
            if not callable(getattr(model, "fit", None)):
                raise ActiveLabError(f"model must have fit(X, y); got {type(model).__name__}")
            return FullRefit(), self.refit_every
        if not callable(getattr(model, "partial_fit", None)):
            raise ActiveLabError(
                f"{type(model).__name__} has no partial_fit; use training='window' "
                "or a model such as SGDClassifier or GaussianNB"
            )
        if self.classes is None:
            raise ActiveLabError("training='partial_fit' needs classes=[...]: every class "
                                 "the stream can hold, known up front")
        return Incremental("partial_fit", classes=self.classes), 1

    def reset(self) -> None:
        """Forget the stream so far (the model's own state is left as it is)."""
        self.rng = check_random_state(self.random_state)
        self.budget.reset()
        self.rule.start(self.budget.budget)
        self.fitted = False
        self._kept_X: np.ndarray | None = None   # the last window_labels labeled rows
        self._kept_y: np.ndarray | None = None
        self._since_fit = 0
        self._n_labels = 0
        self._n_fits = 0
        self.history = StreamHistory()

    # ---- one batch at a time

    def confidence(self, X: np.ndarray) -> np.ndarray:
        """The model's largest class probability per row (0 before the model can be fit)."""
        if not self.fitted:
            return np.zeros(len(X))
        try:
            if hasattr(self.model, "predict_proba"):
                return np.asarray(self.model.predict_proba(X)).max(axis=1)
            decision = np.asarray(self.model.decision_function(X), dtype=float)
        except Exception as err:
            raise ActiveLabError(f"the model could not score the stream items: {first_line(err)}") from err
        if decision.ndim == 1:
            return 1.0 / (1.0 + np.exp(-np.abs(decision)))
        shifted = np.exp(decision - decision.max(axis=1, keepdims=True))
        return 1.0 / shifted.sum(axis=1)

    def _score(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Confidence and prediction per row, from one call to the model when it has predict_proba."""
        if not self.fitted:
            return np.zeros(len(X)), None
        if hasattr(self.model, "predict_proba") and hasattr(self.model, "classes_"):
            try:
                proba = np.asarray(self.model.predict_proba(X))
            except Exception as err:
                raise ActiveLabError(
                    f"the model could not score the stream items: {first_line(err)}"
                ) from err
            return proba.max(axis=1), np.asarray(self.model.classes_)[proba.argmax(axis=1)]
        return self.confidence(X), self.predict(X)

    def predict(self, X: Any) -> np.ndarray:
        X = _as_rows(X)
        if not self.fitted:
            raise ActiveLabError("the model has not learned from any label yet; tell it some first")
        try:
            return np.asarray(self.model.predict(X))
        except Exception as err:
            raise ActiveLabError(f"the model could not predict: {first_line(err)}") from err

    def ask(self, X: Any) -> np.ndarray:
        """Decide, item by item and in order, which rows of ``X`` to label: a boolean mask.

        The items count as seen and the budget as spent on the chosen ones, so pass each
        item once and :meth:`tell` the labels of the chosen ones.
        """
        X = _as_rows(X)
        return self._decide(X, self.confidence(X))

    def _decide(self, X: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        chosen = np.zeros(len(X), dtype=bool)
        for i in range(len(X)):
            open_ = self.budget.allows()
            wants = self.rule.decide(X[i], float(confidence[i]), open_, self.rng)
            if wants and open_:
                chosen[i] = True
                self.history.queried.append(self.budget.position)
            self.budget.record(chosen[i])
        self.history.n_seen += len(X)
        return chosen

    def tell(self, X: Any, y: Any) -> None:
        """Learn from labeled rows (the ones :meth:`ask` chose)."""
        X = _as_rows(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ActiveLabError(f"tell got {len(X)} items but {len(y)} labels")
        if len(y) == 0:
            return
        all_X = np.concatenate([X] if self._kept_X is None else [self._kept_X, X])  # copies
        all_y = np.concatenate([y] if self._kept_y is None else [self._kept_y, y])
        kept_X, kept_y = all_X[-self.window_labels:], all_y[-self.window_labels:]
        since, n_labels = self._since_fit + len(y), self._n_labels + len(y)
        if (not self.fitted or since >= self._fit_every) and ready_to_fit(
            self.policy, self.model, kept_y
        ):
            n_new = min(since, len(all_y))
            context = TrainingContext(
                pool=None, new_ids=np.arange(n_labels - n_new, n_labels), n_fits=self._n_fits,
                new_X=all_X[-n_new:], new_y=all_y[-n_new:],
            )
            self.model = train_model(self.policy, self.model, kept_X, kept_y, context,
                                     errors=(Exception,))
            since = 0
            self._n_fits += 1
            self.fitted = True
        # a tell whose fit failed leaves no trace
        self._kept_X, self._kept_y, self._since_fit, self._n_labels = kept_X, kept_y, since, n_labels

    # ---- a whole stream

    def run(
        self,
        stream: Iterable[Any],
        oracle: Callable[[np.ndarray], Any] | None = None,
        on_batch: Callable[[StreamLearner], None] | None = None,
    ) -> StreamHistory:
        """Process a whole stream, test-then-train; returns the :class:`StreamHistory`.

        ``stream`` yields items or mini-batches of items (``X``), or ``(X, y)`` pairs when
        the labels are known (a simulation: the labels of chosen items are revealed, and
        every item with a label is scored before training). Without labels, ``oracle``
        labels the chosen items: a callable ``oracle(X) -> labels``, or an activelab
        Oracle whose ``label(ids)`` takes stream positions.
        """
        for batch in stream:
            X, y = _split_batch(batch)
            start = self.budget.position
            confidence, predicted = self._score(X)
            if y is not None and self.fitted:
                self.history.correct.extend((predicted == y).astype(float).tolist())
            elif y is not None:
                self.history.correct.extend([math.nan] * len(X))
            chosen = self._decide(X, confidence)
            if not chosen.any():
                continue
            if y is not None:
                labels = y[chosen]
            elif oracle is None:
                raise ActiveLabError("the stream has no labels; pass an oracle to run()")
            else:
                labels = _ask_oracle(oracle, X[chosen], start + np.flatnonzero(chosen))
            self.tell(X[chosen], labels)
            if on_batch is not None:
                on_batch(self)
        return self.history


def _ask_oracle(oracle: Any, X: np.ndarray, positions: np.ndarray) -> np.ndarray:
    try:
        if callable(getattr(oracle, "label", None)):
            answers = oracle.label(positions)
            labels = np.asarray(answers.labels)
        else:
            labels = np.asarray(oracle(X))
    except ActiveLabError:
        raise
    except Exception as err:
        raise ActiveLabError(
            f"the oracle failed on stream item {int(positions[0])}: {first_line(err)}"
        ) from err
    if len(labels) != len(X):
        raise ActiveLabError(
            f"the oracle returned {len(labels)} labels for {len(X)} stream items; "
            "skipping is not supported in a stream"
        )
    return labels


def _as_rows(X: Any) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2:
        raise ActiveLabError(f"stream items must be vectors or 2-D batches; got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ActiveLabError("a stream item holds NaN or infinite values; clean the stream first")
    return X


def _split_batch(batch: Any) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(batch, tuple) and len(batch) == 2:
        X, y = _as_rows(batch[0]), np.atleast_1d(np.asarray(batch[1]))
        if len(y) != len(X):
            raise ActiveLabError(f"a stream batch has {len(X)} items but {len(y)} labels")
        return X, y
    return _as_rows(batch), None
