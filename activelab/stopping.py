"""Stopping rules: when the loop stops asking for labels.

A rule looks at the loop after each fit and evaluation. :meth:`StoppingRule.reason`
returns why to stop (or ``None``), and :meth:`StoppingRule.remaining` how many more
labels it allows (or ``None`` for no limit), so the last batch never overshoots a budget.

* budgets: :class:`LabelBudget` (labels), :class:`CostBudget` (the oracle's cost units);
* quality: :class:`TargetScore` (on the loop's evaluation set, or a validation set);
* no labels needed: :class:`StabilizingPredictions` (Bloodgood & Vijay-Shanker, 2009),
  :class:`OverallUncertainty` and :class:`MaxUncertainty` (Zhu et al., 2008);
* :class:`LabelsNeededForecast` fits a learning curve to the scores so far and writes the
  labels still needed for a target into each round's ``info``.

>>> from activelab.stopping import LabelBudget, StabilizingPredictions, TargetScore
>>> rules = [LabelBudget(200), TargetScore(0.95, metric="accuracy"), StabilizingPredictions()]
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import ActiveLabError
from .metrics import resolve_metric
from .pool import to_python
from .registry import Registry, snake_case
from .validation import check_int, check_number

if TYPE_CHECKING:
    from .pool import Pool

__all__ = [
    "STOPPING_RULES",
    "CostBudget",
    "CurveForecast",
    "LabelBudget",
    "LabelsNeededForecast",
    "LoopState",
    "MaxUncertainty",
    "OverallUncertainty",
    "RoundState",
    "StabilizingPredictions",
    "StoppingRule",
    "TargetScore",
    "cohen_kappa",
    "forecast_labels",
]

#: Stopping rules that a threshold configures, by name (a labeling server project's
#: ``--stopping``): ``stabilizing_predictions``, ``overall_uncertainty``, ``max_uncertainty``,
#: and ``expected_gain`` (:mod:`activelab.stop_gain`, registered when the loop is imported).
STOPPING_RULES: Registry[type[StoppingRule]] = Registry("stopping rule", normalise=snake_case)


class RoundState(Protocol):
    """What a rule reads from one round (:class:`activelab.RoundRecord` is one)."""

    round: int
    n_labeled: int
    metrics: dict[str, float]
    model_fitted: bool
    info: dict[str, Any]


class LoopState(Protocol):
    """What a rule reads from the loop it watches (:class:`activelab.ActiveLoop` is one).

    Rules depend on this small protocol rather than on the loop's class, so the loop can
    import its rules without the rules importing the loop.
    """

    model: Any
    pool: Pool
    eval_set: Any
    total_cost: float

    @property
    def history(self) -> Sequence[RoundState]:
        """One record per fit, oldest first."""
        ...

    @property
    def metric_names(self) -> list[str]:
        """The names of the metrics measured on ``eval_set`` each round."""
        ...


class StoppingRule:
    """Base class of stopping rules."""

    def reason(self, loop: LoopState) -> str | None:
        """Why the loop should stop now, or ``None`` to go on."""
        return None

    def remaining(self, loop: LoopState) -> int | None:
        """How many more labels this rule allows; ``None`` for no limit."""
        return None

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


class LabelBudget(StoppingRule):
    """Stop once the pool holds ``max_labels`` labels (the initial ones included).

    A learner without a pool (a :class:`~activelab.scenarios.synthesis.SynthesisLoop`)
    counts its labeled points, ``loop.n_labeled``.
    """

    def __init__(self, max_labels: int) -> None:
        self.max_labels = check_int(max_labels, "max_labels")

    def remaining(self, loop: LoopState) -> int:
        n_labeled = loop.pool.n_labeled if hasattr(loop, "pool") else loop.n_labeled
        return max(self.max_labels - n_labeled, 0)

    def reason(self, loop: LoopState) -> str | None:
        if self.remaining(loop) == 0:
            return f"label budget of {self.max_labels} reached"
        return None


class CostBudget(StoppingRule):
    """Stop once the labels bought so far cost ``max_cost`` or more (``loop.total_cost``).

    The cost is what the oracle reports per answer (``Answers.total_cost``) or what
    ``loop.tell(..., cost=)`` is given. A batch is not cut short: the rule cannot know
    what the next labels will cost, so the last batch may go over the budget.

    >>> CostBudget(100.0)
    CostBudget(max_cost=100.0)
    """

    def __init__(self, max_cost: float) -> None:
        self.max_cost = check_number(max_cost, "max_cost", low=0)

    def reason(self, loop: LoopState) -> str | None:
        if loop.total_cost >= self.max_cost:
            return f"cost budget of {self.max_cost:g} reached (spent {loop.total_cost:g})"
        return None


class TargetScore(StoppingRule):
    """Stop once ``metric`` reaches ``target``.

    Without ``validation`` the rule reads the score the loop measured on its
    ``eval_set``; with ``validation=(X_val, y_val)`` it scores the current model on
    that set itself (a scikit-learn scorer name, or ``metric(model, X, y)``), so the
    loop's evaluation set can stay a held-out test set.
    """

    def __init__(self, target: float, metric: Any = "accuracy",
                 validation: tuple[Any, Any] | None = None) -> None:
        if not isinstance(target, (int, float)) or not math.isfinite(target):
            raise ActiveLabError(f"target must be a finite number; got {to_python(target)!r}")
        if validation is not None and len(validation) != 2:
            raise ActiveLabError("validation must be a pair (X_val, y_val)")
        self.target = target
        self.metric = metric
        self.validation = validation

    def score(self, loop: LoopState) -> float | None:
        """The current score, or ``None`` while no model is fit."""
        if self.validation is not None:
            if not loop.history or not loop.history[-1].model_fitted:
                return None
            _, scorer = resolve_metric(self.metric)
            return float(scorer(loop.model, *self.validation))
        if loop.eval_set is None or self.metric not in loop.metric_names:
            raise ActiveLabError(
                f"TargetScore watches {self.metric!r}, which the loop does not measure; "
                f"pass metrics=[{self.metric!r}] and an eval_set to ActiveLoop, "
                "or give TargetScore a validation=(X_val, y_val)"
            )
        if not loop.history or self.metric not in loop.history[-1].metrics:
            return None  # nothing measured yet: the model could not be fit
        return loop.history[-1].metrics[self.metric]

    def reason(self, loop: LoopState) -> str | None:
        value = self.score(loop)
        if value is not None and value >= self.target:
            where = " on the validation set" if self.validation is not None else ""
            name = getattr(self.metric, "__name__", self.metric)
            return f"{name} {value:.4f}{where} reached the target {self.target}"
        return None


class _PerRound(StoppingRule):
    """A rule that measures the model once per fitted round and remembers the measurements."""

    def _new_round(self, loop: LoopState) -> RoundState | None:
        """The latest record if this rule has not measured it yet and a model was fit."""
        if not loop.history or not loop.history[-1].model_fitted:
            return None
        record = loop.history[-1]
        seen = getattr(self, "_seen_", None)
        if seen is None or seen[0] is not loop or record.round < seen[1]:
            self._reset()  # a new loop, or the same rule reused from the start
        elif record.round == seen[1]:
            return None
        self._seen_ = (loop, record.round)
        return record

    def _reset(self) -> None:
        raise NotImplementedError


# ---- stabilizing predictions --------------------------------------------------------------


def cohen_kappa(a: Any, b: Any) -> float:
    """Cohen's kappa between two label vectors: ``(p_o - p_e) / (1 - p_e)``.

    ``p_o`` is the share of items on which they agree, ``p_e`` the agreement expected
    from each vector's label frequencies alone. Two identical constant vectors
    (``p_e = 1``) agree perfectly: kappa 1.

    >>> cohen_kappa([0, 1, 1, 0], [0, 1, 0, 0])
    0.5
    """
    a, b = np.asarray(a).reshape(-1), np.asarray(b).reshape(-1)
    if len(a) != len(b) or len(a) == 0:
        raise ActiveLabError(f"kappa needs two non-empty label vectors of one length; "
                             f"got {len(a)} and {len(b)}")
    labels, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    ca, cb = codes[: len(a)], codes[len(a):]
    p_o = float(np.mean(ca == cb))
    freq_a = np.bincount(ca, minlength=len(labels)) / len(a)
    freq_b = np.bincount(cb, minlength=len(labels)) / len(b)
    p_e = float(freq_a @ freq_b)
    if p_e >= 1.0:
        return 1.0 if p_o == 1.0 else 0.0
    return (p_o - p_e) / (1.0 - p_e)


def _stop_set_ids(pool: Any, size: int, seed: int) -> np.ndarray:
    """``size`` ids of ``pool`` drawn with ``seed`` (all of them when there are fewer), sorted."""
    ids = pool.ids
    if len(ids) > size:
        ids = np.sort(np.random.default_rng(seed).choice(ids, size, replace=False))
    return ids


@STOPPING_RULES.register("stabilizing_predictions")
class StabilizingPredictions(_PerRound):
    """Stop when successive models agree on a stop set (Bloodgood & Vijay-Shanker, 2009).

    After every fit the model predicts a fixed *stop set* of items, which needs no
    labels; Cohen's kappa between these predictions and the previous model's measures
    their agreement. The loop stops once the mean of the last ``window`` kappas is at
    least ``threshold`` (the paper: 0.99 over 3). ``stop_set`` defaults to
    ``stop_set_size`` items of the pool drawn once with ``random_state`` (their rows are
    read again when the loop's pool is replaced, e.g. by a labeling server after items
    were imported). ``kappas_`` holds every kappa measured, oldest first, and
    ``changes_`` the matching share of the stop set whose predicted class changed.

    >>> StabilizingPredictions(threshold=0.99, window=3)
    StabilizingPredictions(threshold=0.99, window=3, stop_set=None, stop_set_size=2000, random_state=0)
    """

    def __init__(self, threshold: float = 0.99, window: int = 3, stop_set: Any = None,
                 stop_set_size: int = 2000, random_state: int = 0) -> None:
        self.threshold = check_number(threshold, "threshold", -1, 1)
        self.window = check_int(window, "window")
        if self.window < 1:
            raise ActiveLabError(f"window must be at least 1; got {window}")
        self.stop_set = stop_set
        self.stop_set_size = check_int(stop_set_size, "stop_set_size")
        self.random_state = random_state
        self._reset()

    def _reset(self) -> None:
        self.kappas_: list[float] = []
        self.changes_: list[float] = []
        self._previous_: np.ndarray | None = None
        self._ids_: np.ndarray | None = None
        self._rows_: Any = None
        self._pool_: Any = None

    def _stop_rows(self, loop: LoopState) -> Any:
        """The stop set's rows, read from the loop's current pool."""
        if self.stop_set is not None:
            return self.stop_set
        if self._ids_ is None:
            self._ids_ = _stop_set_ids(loop.pool, self.stop_set_size, self.random_state)
        if self._pool_ is not loop.pool:
            self._rows_, self._pool_ = loop.pool.items(self._ids_), loop.pool
        return self._rows_

    def reason(self, loop: LoopState) -> str | None:
        if self._new_round(loop) is not None:
            predicted = np.asarray(loop.model.predict(self._stop_rows(loop)))
            if predicted.ndim != 1:
                raise ActiveLabError(
                    "StabilizingPredictions compares one predicted class per item; "
                    f"the model predicts shape {predicted.shape}"
                )
            if self._previous_ is not None:
                self.kappas_.append(cohen_kappa(self._previous_, predicted))
                self.changes_.append(float(np.mean(self._previous_ != predicted)))
            self._previous_ = predicted
        if len(self.kappas_) >= self.window:
            mean = float(np.mean(self.kappas_[-self.window:]))
            if mean >= self.threshold:
                return (f"predictions stabilized: mean kappa {mean:.4f} over the last "
                        f"{self.window} rounds reached {self.threshold}")
        return None


# ---- uncertainty ----------------------------------------------------------------------------


class _UncertaintyRule(_PerRound):
    """Normalised entropy (entropy / log(n_classes), 0..1) of the unlabeled items or a stop set."""

    summary_name = ""

    def __init__(self, threshold: float, stop_set: Any = None) -> None:
        self.threshold = check_number(threshold, "threshold", 0, 1)
        self.stop_set = stop_set
        self._reset()

    def _reset(self) -> None:
        self.values_: list[float] = []

    def _summary(self, uncertainty: np.ndarray) -> float:
        raise NotImplementedError

    def reason(self, loop: LoopState) -> str | None:
        record = self._new_round(loop)
        if record is not None:
            value = self._measure(loop)
            if value is None:
                return None
            self.values_.append(value)
            record.info[self.summary_name] = value
        elif not self.values_:
            return None
        if self.values_[-1] <= self.threshold:
            return (f"{self.summary_name.replace('_', ' ')} {self.values_[-1]:.4f} is at or "
                    f"below {self.threshold}")
        return None

    def _measure(self, loop: LoopState) -> float | None:
        from .outputs import ModelOutputs, entropy

        model = loop.model
        if not hasattr(model, "predict_proba"):
            raise ActiveLabError(
                f"{type(self).__name__} measures predict_proba, which "
                f"{type(model).__name__} lacks; use a probabilistic model"
            )
        if self.stop_set is not None:
            proba = np.asarray(model.predict_proba(self.stop_set))
        else:
            if loop.pool.n_unlabeled == 0:
                return None
            proba = ModelOutputs(model, loop.pool).proba()
        n_classes = proba.shape[1]
        if n_classes < 2:
            return 0.0
        return self._summary(entropy(proba) / math.log(n_classes))


@STOPPING_RULES.register("overall_uncertainty")
class OverallUncertainty(_UncertaintyRule):
    """Stop when the mean uncertainty of the unlabeled pool is at most ``threshold``.

    Zhu, Wang & Hovy (2008)'s overall-uncertainty criterion. Uncertainty is the
    normalised entropy of ``predict_proba`` (0: certain, 1: uniform). ``stop_set``
    measures a fixed set of items instead of the current unlabeled pool. The value of
    each round is written into its ``info["mean_uncertainty"]``.

    >>> OverallUncertainty(0.1)
    OverallUncertainty(threshold=0.1, stop_set=None)
    """

    summary_name = "mean_uncertainty"

    def _summary(self, uncertainty: np.ndarray) -> float:
        return float(np.mean(uncertainty))


@STOPPING_RULES.register("max_uncertainty")
class MaxUncertainty(_UncertaintyRule):
    """Stop when even the most uncertain unlabeled item is at most ``threshold`` uncertain.

    Zhu, Wang & Hovy (2008)'s max-uncertainty criterion: the item an uncertainty
    strategy would ask about next is already nearly certain. Same measure as
    :class:`OverallUncertainty`; each round's value is in ``info["max_uncertainty"]``.

    >>> MaxUncertainty(0.3)
    MaxUncertainty(threshold=0.3, stop_set=None)
    """

    summary_name = "max_uncertainty"

    def _summary(self, uncertainty: np.ndarray) -> float:
        return float(np.max(uncertainty))


# ---- forecast -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CurveForecast:
    """A learning-curve model fit to ``[[n_labels, score], ...]`` and what it predicts.

    ``method`` is ``"power_law"`` (``score = a - b * n**-c``) or, when that fit fails,
    ``"log_linear"`` (``score = a + b * log n``, ``c`` is NaN). ``labels_for_target`` is
    the forecast total number of labels at which the score reaches the target, or
    ``None`` when the fitted curve never does.
    """

    method: str
    a: float
    b: float
    c: float
    labels_for_target: float | None

    def predict(self, n: Any) -> np.ndarray:
        """The fitted score at ``n`` labels."""
        n = np.asarray(n, dtype=float)
        if self.method == "power_law":
            return self.a - self.b * n ** (-self.c)
        return self.a + self.b * np.log(n)


def _power_law(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a - b * n ** (-c)


def forecast_labels(curve: Any, target: float, max_score: float | None = 1.0) -> CurveForecast | None:
    """Fit a learning curve and forecast the labels at which it reaches ``target``.

    Fits the inverse power law ``a - b * n**-c`` (``a`` at most ``max_score``, ``b >= 0``,
    ``0.01 <= c <= 3``) by least squares (``scipy.optimize.curve_fit``); with fewer than
    four points, or when that fit fails, falls back to ``a + b * log n``. Returns
    ``None`` for fewer than two distinct label counts.

    >>> import numpy as np
    >>> n = np.arange(10, 200, 10)
    >>> fit = forecast_labels(np.column_stack([n, 0.9 - 1.2 * n ** -0.6]), target=0.85)
    >>> round(fit.a, 3), round(fit.c, 3), round(fit.labels_for_target)
    (0.9, 0.6, 200)
    """
    curve = np.asarray(curve, dtype=float).reshape(-1, 2)
    curve = curve[np.isfinite(curve).all(axis=1) & (curve[:, 0] > 0)]
    n, score = curve[:, 0], curve[:, 1]
    if len(np.unique(n)) < 2:
        return None
    fit = _fit_power_law(n, score, max_score) if len(np.unique(n)) >= 4 else None
    if fit is not None:
        a, b, c = fit
        needed = (b / (a - target)) ** (1.0 / c) if a > target and b > 0 else None
        if a > target and b <= 0:
            needed = float(n[0])
        return CurveForecast("power_law", a, b, c, needed)
    slope, intercept = np.polyfit(np.log(n), score, 1)
    needed = float(np.exp((target - intercept) / slope)) if slope > 0 else None
    return CurveForecast("log_linear", float(intercept), float(slope), math.nan, needed)


def _fit_power_law(n: np.ndarray, score: np.ndarray, max_score: float | None
                   ) -> tuple[float, float, float] | None:
    from scipy.optimize import OptimizeWarning, curve_fit

    upper_a = np.inf if max_score is None else max_score
    a0 = min(float(score.max()) + 0.01, upper_a)
    c0 = 0.5
    b0 = max((a0 - float(score[0])) * float(n[0]) ** c0, 1e-6)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(
                _power_law, n, score, p0=[a0, b0, c0],
                bounds=([-np.inf, 0.0, 0.01], [upper_a, np.inf, 3.0]), maxfev=5000,
            )
    except (RuntimeError, ValueError):
        return None
    if not np.isfinite(params).all():
        return None
    return float(params[0]), float(params[1]), float(params[2])


class LabelsNeededForecast(StoppingRule):
    """Forecast the labels still needed to reach ``target``, from the learning curve so far.

    After every fit, :func:`forecast_labels` is fit to the loop's curve of ``metric``
    (the rounds where a model was fit) and the round's ``info`` gets
    ``forecast_total_labels`` (``None``: the fitted curve never reaches ``target``) and
    ``forecast_labels_needed`` (beyond the labels already in the pool), also logged at
    INFO level to the ``activelab`` logger. The rule only
    stops the loop when ``give_up_above`` is set and the forecast total exceeds it (or
    the target looks unreachable): more labels are not worth buying for this target.
    The first ``min_rounds`` fitted rounds are not forecast from.

    >>> LabelsNeededForecast(0.9, give_up_above=500)
    LabelsNeededForecast(target=0.9, metric='accuracy', min_rounds=4, give_up_above=500, max_score=1.0)
    """

    def __init__(self, target: float, metric: str = "accuracy", min_rounds: int = 4,
                 give_up_above: int | None = None, max_score: float | None = 1.0) -> None:
        self.target = check_number(target, "target")
        self.metric = metric
        self.min_rounds = check_int(min_rounds, "min_rounds")
        if self.min_rounds < 2:
            raise ActiveLabError(f"min_rounds must be at least 2; got {min_rounds}")
        self.give_up_above = give_up_above
        self.max_score = max_score
        self.forecast_: CurveForecast | None = None

    def reason(self, loop: LoopState) -> str | None:
        if self.metric not in loop.metric_names or loop.eval_set is None:
            raise ActiveLabError(
                f"LabelsNeededForecast follows the curve of {self.metric!r}, which the loop "
                f"does not measure; pass metrics=[{self.metric!r}] and an eval_set to ActiveLoop"
            )
        if not loop.history:
            return None
        record = loop.history[-1]
        curve = [[r.n_labeled, r.metrics[self.metric]] for r in loop.history
                 if r.model_fitted and self.metric in r.metrics]
        if len(curve) < self.min_rounds:
            return None
        if curve[-1][1] >= self.target:
            record.info["forecast_total_labels"] = record.n_labeled
            record.info["forecast_labels_needed"] = 0
            return None
        self.forecast_ = forecast_labels(curve, self.target, self.max_score)
        total = None if self.forecast_ is None else self.forecast_.labels_for_target
        record.info["forecast_total_labels"] = None if total is None else math.ceil(total)
        record.info["forecast_labels_needed"] = (
            None if total is None else max(math.ceil(total) - record.n_labeled, 0)
        )
        logging.getLogger("activelab").info(
            "round %d: %s to reach %s %s (forecast from %d points)", record.round,
            "not reachable" if total is None
            else f"{record.info['forecast_labels_needed']} more labels",
            self.metric, self.target, len(curve),
        )
        if self.give_up_above is None or self.forecast_ is None:
            return None
        if total is None:
            return f"the learning curve is not forecast to reach {self.metric} {self.target}"
        if total > self.give_up_above:
            return (f"forecast: {math.ceil(total)} labels to reach {self.metric} {self.target}, "
                    f"more than {self.give_up_above}")
        return None
