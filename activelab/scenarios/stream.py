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

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..oracles.asking import ask
from ..oracles.base import LabelRequest
from ..training import (
    FullRefit,
    Incremental,
    TrainingContext,
    TrainingPolicy,
    ready_to_fit,
    train_model,
)
from ..validation import check_int, check_random_state, first_line
from .stream_rules import (
    DensityBased,
    FixedUncertainty,
    PreferUncertain,
    RandomizedVariableUncertainty,
    RandomRule,
    RandomSampling,
    Split,
    StreamRule,
    VariableUncertainty,
    available_rules,
    check_budget,
    stream_rule,
)

__all__ = [
    "BudgetManager",
    "DensityBased",
    "FixedUncertainty",
    "PreferUncertain",
    "RandomRule",
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
        How many of the most recent labels the learner keeps to train on (with
        ``window_unit="items"``: the labels of how many of the most recent stream items).
    window_unit : "labels" or "items"
        What ``window_labels`` counts. ``"labels"`` (default): the last ``window_labels``
        labels, however long ago they came. ``"items"``: the labels bought among the last
        ``window_labels`` stream items, as scikit-activeml's training window counts, so
        old labels leave the window even when few new ones arrive. Labels told before
        any item (seeding) count as item ``-1``.
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
        window_unit: str = "labels",
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
        if window_unit not in ("labels", "items"):
            raise ActiveLabError(f"window_unit must be 'labels' or 'items'; got {window_unit!r}")
        self.window_unit = window_unit
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
        self._kept_at = np.zeros(0, dtype=np.int64)  # their stream positions
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

    def tell(self, X: Any, y: Any, positions: Any = None) -> None:
        """Learn from labeled rows (the ones :meth:`ask` chose, or seed labels).

        ``positions``: the rows' stream positions, for ``window_unit="items"``; by default
        the last item seen (``-1`` before any item).
        """
        X = _as_rows(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ActiveLabError(f"tell got {len(X)} items but {len(y)} labels")
        if len(y) == 0:
            return
        if positions is None:
            positions = np.full(len(y), self.history.n_seen - 1)
        all_X = np.concatenate([X] if self._kept_X is None else [self._kept_X, X])  # copies
        all_y = np.concatenate([y] if self._kept_y is None else [self._kept_y, y])
        all_at = np.concatenate([self._kept_at, np.asarray(positions, dtype=np.int64)])
        if self.window_unit == "items":
            keep = all_at >= self.history.n_seen - self.window_labels
        else:
            keep = np.arange(len(all_y)) >= len(all_y) - self.window_labels
        kept_X, kept_y, kept_at = all_X[keep], all_y[keep], all_at[keep]
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
        self._kept_at = kept_at
        self.rule.learn(X, y)

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
        Oracle, asked with a :class:`~activelab.oracles.LabelRequest` whose ``ids`` are
        the stream positions and ``points`` the items.
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
            self.tell(X[chosen], labels, positions=start + np.flatnonzero(chosen))
            if on_batch is not None:
                on_batch(self)
        return self.history


def _ask_oracle(oracle: Any, X: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The labels of stream items ``X`` at ``positions``, in that order, from ``oracle``.

    A plain callable is ``oracle(X) -> labels`` (a vectorized FunctionOracle).
    """
    request = LabelRequest.for_points(X, ids=positions)
    try:
        answers = ask(oracle, request, functions=True, vectorized=True)
    except ActiveLabError:
        raise
    except Exception as err:
        raise ActiveLabError(
            f"the oracle failed on stream item {int(positions[0])}: {first_line(err)}"
        ) from err
    answered = np.asarray(answers.ids).reshape(-1)
    if len(answered) != len(X) or not np.isin(positions, answered).all():
        raise ActiveLabError(
            f"the oracle returned {len(answered)} labels for {len(X)} stream items; "
            "skipping is not supported in a stream"
        )
    order = {int(p): j for j, p in enumerate(answered.tolist())}
    return np.asarray(answers.labels)[[order[int(p)] for p in positions]]


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
