"""Membership query synthesis: the learner builds new inputs and asks the oracle about them.

When the oracle can label *any* input (a simulator, an experiment, a black-box function),
the learner need not wait for a pool: it can construct the most informative point
itself. The parts:

* :class:`InputSpace` (:mod:`~activelab.scenarios.space`) — where points may lie: bounds,
  integer and categorical features, and an optional validity check;
* oracles — any :class:`~activelab.oracles.Oracle`, asked with a
  :class:`~activelab.oracles.LabelRequest` holding the points, or a plain function
  ``f(x) -> label``: :class:`~activelab.oracles.function.FunctionOracle` wraps a Python
  callable (errors it raises name the point);
  :class:`~activelab.oracles.nearest.NearestItemOracle` is the human-facing fallback that
  asks about the real pool item nearest to each synthesised point (both now live in
  :mod:`activelab.oracles` and are re-exported here for one release);
* synthesisers (:mod:`~activelab.scenarios.synthesisers`) — :class:`BoundaryBisection` (bisect between differently labeled points
  until the model is maximally uncertain, after Wang et al., 2015),
  :class:`ScoreOptimisation` (maximise a strategy's score within the bounds, with
  restarts), :class:`LatentSynthesis` (sample through a generative model fit on unlabeled
  data, as GAAL and BGADL do, without their training cost) and
  :class:`SynthesiseThenMatch` (query the real item nearest to a synthesised one);
* :class:`SynthesisLoop` — fit → synthesise → label → update, like
  :class:`~activelab.loop.ActiveLoop`, with ``run()`` or ``ask()`` / ``tell()``, and with
  its training policies (:mod:`activelab.training`) and stopping rules
  (:mod:`activelab.stopping`).

>>> import numpy as np
>>> from sklearn.svm import SVC
>>> from activelab.scenarios.synthesis import BoundaryBisection, InputSpace, SynthesisLoop
>>> space = InputSpace(lower=[0, 0], upper=[1, 1])
>>> loop = SynthesisLoop(SVC(C=100), BoundaryBisection(), lambda x: int(x[0] > 0.3),
...                      space, initial=6, random_state=0)
>>> history = loop.run(n_queries=20)
>>> loop.n_calls
26
>>> loop.model.predict([[0.2, 0.5], [0.4, 0.5]]).tolist()
[0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..oracles.asking import as_oracle, as_point_oracle, ask  # noqa: F401  (see below)
from ..oracles.base import LabelRequest
from ..oracles.function import FunctionOracle, PointAnswers, PointOracle  # noqa: F401
from ..oracles.nearest import NearestItemOracle, nearest_items
from ..stopping import StoppingRule, TargetScore
from ..training import FullRefit, TrainingContext, TrainingPolicy, ready_to_fit, train_model
from ..validation import check_int, check_random_state
from .space import InputSpace
from .synthesisers import (
    GENERATORS,
    BoundaryBisection,
    DecoderGenerator,
    GaussianMixtureGenerator,
    Generator,
    LatentSynthesis,
    PCAGenerator,
    RandomInputs,
    ScoreOptimisation,
    Synthesiser,
)
from .synthesisers import (
    strategy_scores as strategy_scores,  # importable from here, as before the split
)

# FunctionOracle, NearestItemOracle, nearest_items, PointAnswers, PointOracle and
# as_point_oracle moved to activelab.oracles; their names here stay for one release.
__all__ = [
    "BoundaryBisection",
    "DecoderGenerator",
    "FunctionOracle",
    "GENERATORS",
    "GaussianMixtureGenerator",
    "Generator",
    "InputSpace",
    "LatentSynthesis",
    "NearestItemOracle",
    "PCAGenerator",
    "PointAnswers",
    "RandomInputs",
    "ScoreOptimisation",
    "SynthesisLoop",
    "SynthesisRecord",
    "SynthesiseThenMatch",
    "Synthesiser",
]


# --------------------------------------------------------------------------- matching


class SynthesiseThenMatch(Synthesiser):
    """Synthesise with ``synthesiser``, then propose the nearest real item not yet proposed.

    The learner still steers by synthesis, but every query is a real record from
    ``items``, which people can label and which is a valid input by construction.
    ``matched`` lists the positions in ``items`` proposed so far.
    """

    def __init__(self, synthesiser: Synthesiser, items: Any) -> None:
        self.synthesiser = synthesiser
        self.items = np.asarray(items, dtype=float)
        if self.items.ndim != 2 or len(self.items) == 0:
            raise ActiveLabError("items must be a non-empty 2-D array of real items")
        self.matched: list[int] = []

    def fit(self, X_unlabeled: np.ndarray) -> SynthesiseThenMatch:
        self.synthesiser.fit(X_unlabeled)
        return self

    def propose(self, model, X, y, space, n, rng):
        points = self.synthesiser.propose(model, X, y, space, n, rng)
        positions = nearest_items(self.items, points, exclude=self.matched)
        self.matched.extend(positions.tolist())
        return self.items[positions]


# --------------------------------------------------------------------------- loop


@dataclass
class SynthesisRecord:
    """One step: the model fit on ``n_calls`` oracle answers, its scores, what it asked next.

    ``round``, ``n_labeled`` (the labeled points, fewer than ``n_calls`` when the oracle
    skips some) and ``info`` are what stopping rules read and write, as in a
    :class:`~activelab.loop.RoundRecord`.
    """

    n_calls: int
    metrics: dict[str, float]
    model_fitted: bool
    asked: list[list[float]] = field(default_factory=list)
    round: int = 0
    n_labeled: int = 0
    info: dict[str, Any] = field(default_factory=dict)


class SynthesisLoop:
    """fit → synthesise → label → update, until the oracle-call budget is spent.

    Parameters
    ----------
    model : estimator
        A scikit-learn-style classifier; fit in place on every labeled point.
    synthesiser : Synthesiser
        Proposes the points to label.
    oracle : callable or oracle
        ``f(x) -> label`` (wrapped in :class:`FunctionOracle`), or an oracle whose
        ``label(request)`` answers about ``request.points``, such as
        :class:`NearestItemOracle`; its answers' ``points`` are what the model learns.
    space : InputSpace
        Where points may lie.
    initial : int
        Random points labeled before the first synthesis (more are drawn, one at a time,
        until two classes are seen).
    batch_size : int
        Points synthesised per step.
    unlabeled : array, optional
        Unlabeled data for synthesisers that learn from it (:class:`LatentSynthesis`).
    eval_set : (X, y), optional
        Scored (accuracy) after every fit.
    training : TrainingPolicy
        How the model is fit on the labeled points; defaults to
        :class:`~activelab.training.FullRefit`, as in :class:`~activelab.ActiveLoop`.
    stopping : sequence of StoppingRule
        :meth:`run` also stops when one of these fires (checked after every step). The
        rules that read the labels, the metrics or the model apply:
        :class:`~activelab.stopping.LabelBudget` (labeled points, which also caps the last
        batch), :class:`~activelab.stopping.TargetScore`,
        :class:`~activelab.stopping.LabelsNeededForecast`, and the per-round rules given a
        ``stop_set`` (there is no pool to measure).
    random_state : int, Generator or None
    """

    def __init__(
        self,
        model: Any,
        synthesiser: Synthesiser,
        oracle: Any,
        space: InputSpace,
        *,
        initial: int = 4,
        batch_size: int = 1,
        unlabeled: Any = None,
        eval_set: tuple[Any, Any] | None = None,
        training: TrainingPolicy | None = None,
        stopping: Sequence[StoppingRule] = (),
        random_state: Any = None,
    ) -> None:
        if not callable(getattr(model, "fit", None)) or not callable(getattr(model, "predict", None)):
            raise ActiveLabError("model must have fit(X, y) and predict(X), like a scikit-learn classifier")
        if not isinstance(synthesiser, Synthesiser):
            raise ActiveLabError(
                f"synthesiser must be an activelab Synthesiser (BoundaryBisection(), ...); "
                f"got {type(synthesiser).__name__}"
            )
        if not isinstance(space, InputSpace):
            raise ActiveLabError(f"space must be an InputSpace; got {type(space).__name__}")
        self.model = model
        self.synthesiser = synthesiser
        self.oracle = as_oracle(oracle, functions=True)
        self.space = space
        self.initial = check_int(initial, "initial", minimum=0)
        self.batch_size = check_int(batch_size, "batch_size")
        self.eval_set = eval_set
        self.training = training if training is not None else FullRefit()
        self.stopping = list(stopping)
        bad = [r for r in self.stopping if not isinstance(r, StoppingRule)]
        if bad:
            raise ActiveLabError(
                f"stopping must hold activelab StoppingRules, e.g. LabelBudget(50); "
                f"got {type(bad[0]).__name__}"
            )
        self.rng = check_random_state(random_state)
        self.X = np.zeros((0, space.n_features))
        self.y = np.zeros(0)
        self.n_calls = 0
        self.fitted = False
        self.stop_reason: str | None = None
        self.history: list[SynthesisRecord] = []
        self._n_fitted_on = 0
        self._n_fits = 0
        if unlabeled is not None:
            synthesiser.fit(space.check(unlabeled))

    def ask(self, n: int | None = None) -> np.ndarray:
        """The next points to label: random ones until two classes are known, then synthesised."""
        n = self.batch_size if n is None else check_int(n, "n")
        if len(self.y) < self.initial:
            return self.space.sample(min(n, self.initial - len(self.y)), self.rng)
        if not self.fitted:
            return self.space.sample(1, self.rng)
        return self.space.check(self.synthesiser.propose(
            self.model, self.X, self.y, self.space, n, self.rng))

    def tell(self, X: Any, labels: Any) -> SynthesisRecord:
        """Add labeled points, refit, score; returns the step's record."""
        X = self.space.check(X)
        labels = np.asarray(labels)
        if len(labels) != len(X):
            raise ActiveLabError(f"tell got {len(X)} points but {len(labels)} labels")
        self.X = np.vstack([self.X, X])
        self.y = np.concatenate([self.y.astype(labels.dtype) if len(self.y) == 0 else self.y,
                                 labels])
        if ready_to_fit(self.training, self.model, self.y):
            self._fit()
        metrics = {}
        if self.fitted and self.eval_set is not None:
            X_eval, y_eval = self.eval_set
            metrics["accuracy"] = float(np.mean(self.model.predict(X_eval) == np.asarray(y_eval)))
        record = SynthesisRecord(self.n_calls, metrics, self.fitted, X.tolist(),
                                 round=len(self.history), n_labeled=len(self.y))
        self.history.append(record)
        return record

    def _fit(self) -> None:
        """Train through the training policy, telling it the points new since the last fit."""
        new = np.arange(self._n_fitted_on, len(self.y))
        context = TrainingContext(pool=None, new_ids=new, n_fits=self._n_fits,
                                  new_X=self.X[new], new_y=self.y[new])
        self.model = train_model(self.training, self.model, self.X, self.y, context,
                                 errors=(Exception,))
        self._n_fitted_on = len(self.y)
        self._n_fits += 1
        self.fitted = True

    @property
    def n_labeled(self) -> int:
        """How many labeled points the model learns from."""
        return len(self.y)

    @property
    def metric_names(self) -> list[str]:
        """The metrics each step records (accuracy, when there is an eval_set)."""
        return ["accuracy"] if self.eval_set is not None else []

    def step(self, n: int | None = None) -> SynthesisRecord:
        """Ask, label through the oracle, tell."""
        points = self.ask(n)
        answers = ask(self.oracle, LabelRequest.for_points(points), functions=True)
        self.n_calls += len(points)
        return self.tell(answers.points, answers.labels)

    def run(self, n_queries: int, target: float | None = None) -> list[SynthesisRecord]:
        """Spend ``n_queries`` oracle calls after the initial ones; returns the history.

        It stops earlier at ``target`` accuracy (a :class:`~activelab.stopping.TargetScore`
        on the eval_set) or when one of the loop's stopping rules fires; ``stop_reason``
        says why it stopped.
        """
        n_queries = check_int(n_queries, "n_queries", minimum=0)
        if target is not None and self.eval_set is None:
            raise ActiveLabError("a target accuracy needs an eval_set to measure it on")
        rules = self.stopping + ([TargetScore(target, "accuracy")] if target is not None else [])
        budget = self.n_calls + n_queries + max(self.initial - len(self.y), 0)
        self.stop_reason = f"{n_queries} oracle calls spent"
        while self.n_calls < budget:
            n = min(self.batch_size, budget - self.n_calls, self._labels_allowed(rules))
            if n == 0:
                self.stop_reason = "the label budget is used up"
                break
            self.step(n)
            reason = self._stop_check(rules)
            if reason is not None:
                self.stop_reason = reason
                break
        return self.history

    def _labels_allowed(self, rules: list[StoppingRule]) -> int:
        limits = [r.remaining(self) for r in rules]  # type: ignore[arg-type]
        return min([x for x in limits if x is not None], default=self.batch_size)

    def _stop_check(self, rules: list[StoppingRule]) -> str | None:
        """Like :class:`~activelab.ActiveLoop`: every rule sees every step, the first decides."""
        reasons = []
        for rule in rules:
            try:
                reasons.append(rule.reason(self))  # type: ignore[arg-type]
            except AttributeError as err:
                raise ActiveLabError(
                    f"{rule!r} reads {err.name!r}, which a SynthesisLoop does not have (it has "
                    "no pool and no costs); give the rule a stop_set, or use LabelBudget, "
                    "TargetScore or n_queries"
                ) from err
        return next((r for r in reasons if r is not None), None)
