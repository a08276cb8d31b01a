"""ActiveLoop: fit → query → label → update, until a stopping rule fires.

Two ways to drive it:

* ``loop.run()`` with an oracle that answers at once (a simulator, a console prompt);
* ``loop.ask()`` / ``loop.tell(ids, labels)`` when the labels come back later, the way
  Optuna's ask/tell interface works for trials.

>>> import numpy as np
>>> from sklearn.datasets import load_iris
>>> from sklearn.linear_model import LogisticRegression
>>> from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
>>> from activelab.stopping import LabelBudget
>>> X, y = load_iris(return_X_y=True)
>>> pool = Pool(X)
>>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
>>> loop = ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("margin"),
...                   SimulatedOracle(y), batch_size=5, stopping=[LabelBudget(23)],
...                   eval_set=(X, y), random_state=0)
>>> history = loop.run()
>>> [r.n_labeled for r in history]
[3, 8, 13, 18, 23]

Without a strategy the loop uses ``auto`` (:mod:`activelab.strategies.autopilot`), which
chooses one each round and says which in the round's ``info["query"]``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import stop_gain  # noqa: F401  (registers the "expected_gain" stopping rule)
from .control import RandomControl, round_rng, with_control
from .errors import ActiveLabError
from .loop_checks import check_answer_of, check_parts
from .metrics import Metric, resolve_metric
from .oracles.asking import as_oracle, ask
from .oracles.base import LabelRequest, Oracle
from .outputs import ModelOutputs
from .pool import Pool, _same_label, to_python
from .query_model import warn_if_query_model_differs
from .records import History, RoundRecord, log_round
from .stopping import StoppingRule
from .strategies.base import Query, Strategy, check_batch_size
from .strategies.random_sampling import RandomSampling
from .strategies.registry import DEFAULT_STRATEGY
from .strategies.registry import get as get_strategy
from .training import FullRefit, TrainingContext, TrainingPolicy, ready_to_fit, train_model
from .validation import check_instances, check_random_state, first_line, seed_unseeded_model

__all__ = ["ActiveLoop", "History", "RoundRecord", "log_round"]  # records: activelab.records

#: In :meth:`ActiveLoop.run`, an id answered "unsure" this many times is not asked again.
MAX_UNSURE = 2


class ActiveLoop:
    """Runs active learning on a pool.

    Parameters
    ----------
    model : estimator
        A scikit-learn-style model (``fit`` and ``predict_proba`` or ``decision_function``).
        The loop fits this object in place; after ``run()`` it is the final model.
    pool : Pool
        The items; labels already in it are the initial labeled set.
    strategy : Strategy, optional
        Chooses what to label each round. Defaults to ``strategies.get("auto")``, which
        starts with TypiClust while there are fewer than 3 labels per class, then follows
        cluster-margin (see :mod:`activelab.strategies.autopilot`).
    oracle : Oracle, optional
        Answers the queries in :meth:`run`. Not needed for :meth:`ask` / :meth:`tell`.
    batch_size : int
        How many items each round asks for.
    stopping : sequence of StoppingRule
        The loop stops when any rule fires, or when nothing is left to ask.
    eval_set : (X, y), optional
        Held-out data scored after every fit.
    metrics : sequence of str or callable
        scikit-learn scorer names (``"accuracy"``, ``"f1_macro"``, ...) or callables
        ``metric(model, X, y) -> float``.
    training : TrainingPolicy
        How the model is refit. Defaults to :class:`~activelab.training.FullRefit`.
    cold_start : Strategy
        Used while the model cannot be fit yet (no labels, or one class only).
        Defaults to the strategy itself when it can start cold (``auto`` does, with
        TypiClust), else to random sampling.
    control : float
        The share of each batch drawn uniformly at random from the candidates (0: none,
        the default). Those items are trained on like any other; from them each round's
        :attr:`RoundRecord.control` estimates the model's accuracy on the unlabeled pool
        and active learning's gain over random, with ``control_confidence`` intervals
        (:mod:`activelab.control`).
    query_model : estimator, optional
        A second model, fit on the same labels after every fit, that the strategy queries
        instead of ``model`` (say, a cheaper one). The loop warns once when it is not the
        same kind of model with the same parameters as ``model``.
    callbacks : sequence of callables
        ``callback(loop, record)``, called after every fit and evaluation.
    random_state : int, Generator or None
        Seeds every round's query, so a run is reproducible. An int also becomes the
        ``random_state`` of a model whose own is ``None`` (a ``Committee``'s members too).
    """

    def __init__(
        self,
        model: Any,
        pool: Pool,
        strategy: Strategy | None = None,
        oracle: Oracle | None = None,
        *,
        batch_size: int = 10,
        stopping: Sequence[StoppingRule] = (),
        eval_set: tuple[Any, Any] | None = None,
        metrics: Sequence[str | Metric] = ("accuracy",),
        training: TrainingPolicy | None = None,
        cold_start: Strategy | None = None,
        callbacks: Sequence[Callable[[ActiveLoop, RoundRecord], None]] = (),
        random_state: Any = None,
        control: float = 0.0,
        control_confidence: float = 0.9,
        query_model: Any = None,
    ) -> None:
        if not isinstance(pool, Pool):
            raise ActiveLabError(f"pool must be an activelab Pool; got {type(pool).__name__}")
        if strategy is None:
            strategy = get_strategy(DEFAULT_STRATEGY)
        if not isinstance(strategy, Strategy):
            raise ActiveLabError(
                f"strategy must be an activelab Strategy, e.g. strategies.get('margin'); "
                f"got {type(strategy).__name__}"
            )
        if not callable(getattr(model, "fit", None)):
            raise ActiveLabError(
                f"model must have a fit(X, y) method, like a scikit-learn estimator; "
                f"got {type(model).__name__}"
            )
        if oracle is not None:
            oracle = as_oracle(oracle)
        if eval_set is not None and (not hasattr(eval_set, "__len__") or len(eval_set) != 2):
            raise ActiveLabError("eval_set must be a pair (X_eval, y_eval)")
        self.model = model
        self.pool = pool
        self.strategy = strategy
        self.oracle = oracle
        self.batch_size = check_batch_size(batch_size)
        self.stopping = check_instances(stopping, StoppingRule, "stopping",
                                        "stopping=[LabelBudget(100)]", ("reason", "remaining"))
        self.eval_set = eval_set
        self.metrics = [metrics] if isinstance(metrics, str) or callable(metrics) else list(metrics)
        self.training = training if training is not None else FullRefit()
        if cold_start is None:
            cold = getattr(strategy, "handles_cold_start", False)
            cold_start = strategy if cold else RandomSampling()
        self.cold_start = cold_start
        self.callbacks = list(callbacks)
        check_parts(self.training, self.cold_start, self.callbacks)
        seed_unseeded_model(model, random_state)
        self.random_state = random_state
        self.control = RandomControl(control, control_confidence) if control else None
        self.query_model = query_model
        if query_model is not None:
            warn_if_query_model_differs(query_model, model)
        #: How many labels :meth:`tell` got for ids that were not asked (a person may label
        #: items they chose themselves; those labels count like any other).
        self.n_told_unasked = 0
        self._warned_one_class = False

        self.history = History()
        self.total_cost = 0.0
        self.stop_reason: str | None = None
        self._scorers = [resolve_metric(m) for m in self.metrics]
        self._rng = check_random_state(random_state)
        self._fitted_version: int | None = None
        self._model_fitted = False
        self._skipped = np.zeros(len(pool), dtype=bool)
        self._unsure_here = np.zeros(len(pool), dtype=np.int64)
        self._pending: list[tuple[Strategy, Query]] = []
        self._stop_requested: str | None = None
        self._n_fits = 0
        self._labeled_at_fit = np.zeros(len(pool), dtype=bool)
        self._events_at_fit = 0
        self._corrected_outside = np.zeros(0, dtype=pool.ids.dtype)
        self._chosen: list[Any] = []  # ids the strategy chose that were labeled, in order

    # ---- ask / tell -------------------------------------------------------------------

    def ask(self, batch_size: int | None = None, *, random_state: Any = None) -> Query:
        """Fit the model on the labels so far (if they changed) and query the next batch.

        Ids that were asked and not yet told or skipped are not asked again, so several
        annotators can each ``ask()`` before anyone answers. ``random_state`` seeds this
        query instead of the next seed the loop draws (a labeling server re-ranks its
        queue with the project's seed after every retrain).
        """
        record = self._refresh()
        k = check_batch_size(self.batch_size if batch_size is None else batch_size)
        allowed = self._labels_allowed()
        if allowed is not None:
            if allowed == 0:
                raise ActiveLabError("the label budget is used up; there is nothing left to ask")
            k = min(k, allowed)
        candidates = self._candidates()
        if len(candidates) == 0:
            raise ActiveLabError("no unlabeled items are left to ask about")
        strategy = self.strategy if self._model_fitted else self.cold_start
        model = self._querying_model() if self._model_fitted else None
        seed = int(self._rng.integers(2**63 - 1)) if random_state is None else random_state
        started = time.perf_counter()
        controls = self._draw_control(candidates, k, seed, record)
        candidates = candidates[~np.isin(candidates, controls)]
        query = Query(ids=candidates[:0], scores=np.zeros(0), strategy=strategy.name)
        if k > len(controls) and len(candidates):
            outputs = ModelOutputs(model, self.pool, ids=candidates)
            query = strategy.query(model, self.pool, k - len(controls), random_state=seed,
                                   outputs=outputs)
            check_answer_of(strategy, query, candidates, k - len(controls))
        elapsed = time.perf_counter() - started
        self._pending.append((strategy, query))
        if query.info:
            record.info["query"] = query.info
        if len(controls):
            query = with_control(query, controls, round_rng(seed, record.round, 1))
            record.info["control_items"] = record.info.get("control_items", 0) + len(controls)
        record.query_time = (record.query_time or 0.0) + elapsed
        record.query_ids += [to_python(i) for i in query.ids]
        record.strategy = strategy.name
        return query

    def tell(
        self,
        ids: Sequence[Any] | np.ndarray,
        labels: Sequence[Any] | np.ndarray,
        annotator: str | Sequence[str | None] | None = None,
        cost: float = 0.0,
        *,
        costs: Sequence[float] | np.ndarray | None = None,
        rationales: Sequence[Any] | None = None,
    ) -> None:
        """Record labels for ``ids``; the next :meth:`ask` refits the model on them.

        ``cost`` is what the whole batch cost (added to :attr:`total_cost`; when it is 0 and
        ``costs`` are given, their sum is added); ``annotator`` one name or one per id;
        ``costs`` and ``rationales`` (one per id) go into the pool's label log. Each strategy whose query held some of ``ids`` is told about
        those, through :meth:`Strategy.update`, with the scores it gave them.
        """
        if (isinstance(cost, bool) or not isinstance(cost, (int, float, np.number))
                or not np.isfinite(cost) or cost < 0):
            raise ActiveLabError(f"cost must be a finite number >= 0; got {to_python(cost)!r}")
        ids = np.asarray(ids).reshape(-1)
        asked = [query.ids for _, query in self._pending]
        unasked = ~np.isin(ids, np.concatenate(asked)) if asked else np.ones(len(ids), bool)
        self.pool.add_labels(ids, labels, annotator=annotator, costs=costs, rationales=rationales)
        if unasked.any():
            if self.n_told_unasked == 0:
                logging.getLogger("activelab").info(
                    "tell() got labels for ids that were not asked, e.g. %s; they count like "
                    "any other (loop.n_told_unasked counts them)",
                    [to_python(i) for i in ids[unasked][:3]])
            self.n_told_unasked += int(unasked.sum())
        if cost == 0 and costs is not None:
            cost = float(np.sum(np.asarray(costs, dtype=float)))
        self.total_cost += float(cost)
        for strategy, answered in self._settle(ids):
            self._chosen += answered.ids.tolist()
            strategy.update(self.pool, answered, self.pool.labels_of(answered.ids))
        if self.control is not None and self.control.pending:
            for round_ in set(self.control.labeled(ids, self.pool.labels_of(ids))):
                self.history[round_].control = self.control.estimate(round_)

    def skip(self, ids: Sequence[Any] | np.ndarray) -> None:
        """Never ask about ``ids`` again in this loop (the oracle could not label them)."""
        ids = np.asarray(ids).reshape(-1)
        self._skipped[self.pool.positions(ids)] = True
        self._settle(ids)
        if self.control is not None:
            self.control.drop(ids)

    def withdraw(self) -> None:
        """Forget every query asked and not yet answered: its ids may be asked again.

        For a caller that replaces its whole queue after each :meth:`ask`, such as the
        labeling server; strategies are not told about withdrawn ids.
        """
        self._pending = []
        if self.control is not None:
            self.control.drop()

    def fit(self) -> RoundRecord:
        """Fit (and evaluate) the model if the labels changed since the last fit, as
        :meth:`ask` does first; returns that round's record."""
        return self._refresh()

    def check_stop(self) -> str | None:
        """Why the loop should stop now, or ``None``: every stopping rule measures the
        latest fit (as in :meth:`run`). For ask/tell callers, after :meth:`fit` or
        :meth:`ask`."""
        return self._stop_check()

    def replace_pool(self, pool: Pool, *, rows_changed: bool = False) -> None:
        """Go on with ``pool``, which holds every id of :attr:`pool` and may hold more.

        For a pool that mirrors an outside source of truth, e.g. a labeling server's store
        after items were imported or an answer was retracted: the labels are ``pool``'s,
        the next fit refits, and the training policy and stopping rules go on as in one
        loop. Ids whose label changed or went away since the last fit count as corrected
        at that fit (every labeled id when ``rows_changed``: the items' features were
        computed anew, so an incremental update cannot continue); skipped ids stay
        skipped; unanswered queries are withdrawn.
        """
        if not isinstance(pool, Pool):
            raise ActiveLabError(f"pool must be an activelab Pool; got {type(pool).__name__}")
        old = self.pool
        missing = ~np.isin(old.ids, pool.ids)
        if missing.any():
            raise ActiveLabError(
                f"the new pool lacks ids of the old one, e.g. {old.ids[missing][:3].tolist()};"
                " replace_pool may only add items"
            )
        fitted = old.ids[self._labeled_at_fit]
        now_labeled = pool.is_labeled(fitted)
        same = np.zeros(len(fitted), dtype=bool)
        same[now_labeled] = [_same_label(a, b) for a, b in zip(
            old.labels_of(fitted[now_labeled]), pool.labels_of(fitted[now_labeled]))]
        recent = old._events[self._events_at_fit:]
        corrected = [e.id for e in recent if e.kind == "correction"]
        if rows_changed:
            same[:] = False
        self._corrected_outside = np.union1d(
            fitted[~same], fitted[np.isin(fitted, corrected)])
        at = pool.positions(old.ids)
        for name in ("_skipped", "_unsure_here", "_labeled_at_fit"):
            carried = np.zeros(len(pool), dtype=getattr(self, name).dtype)
            carried[at] = getattr(self, name)
            setattr(self, name, carried)
        self._events_at_fit = len(pool._events)
        self.withdraw()
        self._fitted_version = None
        self.pool = pool

    def request_stop(self, reason: str) -> None:
        """Ask :meth:`run` to stop after the current round (callbacks may call this)."""
        self._stop_requested = reason

    @property
    def metric_names(self) -> list[str]:
        """The names under which each round's metrics are recorded."""
        return [name for name, _ in self._scorers]

    # ---- run ---------------------------------------------------------------------------

    def run(self, max_rounds: int | None = None) -> History:
        """Fit, query, label and update until a stopping rule fires; returns the history.

        Ids the oracle neither answers nor skips are treated as skipped, so an oracle that
        cannot answer never makes the loop ask the same thing forever.
        """
        if self.oracle is None:
            raise ActiveLabError(
                "run() needs an oracle, e.g. SimulatedOracle(y); or use ask()/tell()"
            )
        self._stop_requested = None
        rounds = 0
        while True:
            self._refresh()
            reason = self._stop_check()
            if reason is None and max_rounds is not None and rounds >= max_rounds:
                reason = f"{max_rounds} rounds done"
            if reason is not None:
                break
            query = self.ask()
            if len(query.ids) == 0:
                reason = (f"{query.strategy} returned no items (nothing left that it may "
                          "pick, e.g. no item fits the cost budget)")
                break
            answers = ask(self.oracle, LabelRequest(
                query.ids, model=self.model if self._model_fitted else None, pool=self.pool))
            answered = np.asarray(answers.ids).reshape(-1)
            unsure = self._record_unsure(answers, query.ids)
            if len(answered):
                self.tell(answered, answers.labels, annotator=answers.annotator_of_each(),
                          cost=answers.total_cost, costs=answers.costs,
                          rationales=answers.rationales)
            else:
                self.total_cost += answers.total_cost
            if len(answers.revised_ids):
                self._correct(answers.revised_ids, answers.revised_labels)
            unanswered = query.ids[~np.isin(query.ids, answered) & ~np.isin(query.ids, unsure)]
            self.skip(unanswered)
            self.history[-1].cost = self.total_cost
            rounds += 1
            if answers.stop:
                self._refresh()
                reason = "the oracle asked to stop"
                break
        self.stop_reason = reason
        self.history[-1].stop_reason = reason
        return self.history

    # ---- internals ---------------------------------------------------------------------

    def _record_unsure(self, answers: Any, asked: np.ndarray) -> np.ndarray:
        """Log "unsure" answers in the pool; such ids stay askable until MAX_UNSURE of them.

        Returns the unsure ids that stay askable (they are settled, not skipped).
        """
        unsure = np.asarray(answers.unsure).reshape(-1)
        who = answers.unsure_annotators
        if who is None or len(who) != len(unsure):
            who = [answers.annotator] * len(unsure)
        keep = np.isin(unsure, asked)
        unsure, who = unsure[keep], [w for w, k in zip(who, keep) if k]
        if len(unsure) == 0:
            return unsure
        share = float(answers.unsure_cost) / len(answers.unsure) if len(answers.unsure) else 0.0
        self.pool.add_unsure(unsure, annotator=who, costs=[share] * len(unsure))
        open_ = np.unique(unsure[~np.isin(unsure, answers.ids)])
        if len(open_) == 0:
            return open_
        pos = self.pool.positions(open_)
        self._unsure_here[pos] += 1
        self._settle(open_)
        return open_[self._unsure_here[pos] < MAX_UNSURE]

    def _correct(self, ids: np.ndarray, labels: np.ndarray) -> None:
        """Aggregated labels that later votes changed: logged as corrections."""
        ids = np.asarray(ids).reshape(-1)
        known = self.pool.is_labeled(ids)
        if known.any():
            self.pool.correct_labels(ids[known], np.asarray(labels)[known], annotator="aggregate")

    def _refresh(self) -> RoundRecord:
        """Fit and evaluate if the labels changed since the last fit."""
        if self._fitted_version == self.pool.version and self.history:
            return self.history[-1]
        X, y = self.pool.labeled_data()
        started = time.perf_counter()
        self._model_fitted = ready_to_fit(self.training, self.model, y)
        context = None
        if self._model_fitted:
            context = self._training_context()
            self.model = train_model(self.training, self.model, X, y, context)
            if self.query_model is not None:
                self.query_model.fit(X, y)
            self._warn_if_one_class()
        fit_time = time.perf_counter() - started
        if context is not None:
            self._n_fits += 1
            self._labeled_at_fit = self.pool._labeled.copy()
            self._events_at_fit = len(self.pool._events)
            self._corrected_outside = self._corrected_outside[:0]
        record = RoundRecord(
            round=len(self.history),
            n_labeled=self.pool.n_labeled,
            metrics=self._evaluate(y),
            fit_time=fit_time,
            model_fitted=self._model_fitted,
            cost=self.total_cost,
            info=dict(context.info) if context is not None else {},
            labels_cost=self.total_cost,
        )
        self._fitted_version = self.pool.version
        self.history.append(record)
        for callback in self.callbacks:
            callback(self, record)
        return record

    def _querying_model(self) -> Any:
        return self.model if self.query_model is None else self.query_model

    def _draw_control(self, candidates: np.ndarray, k: int, seed: Any,
                      record: RoundRecord) -> np.ndarray:
        if self.control is None or not self._model_fitted:
            return candidates[:0]
        return self.control.draw(self.model, self.pool, candidates, k, seed, record.round,
                                 record.n_labeled, self._chosen)

    def _warn_if_one_class(self) -> None:
        """Warn once when the fitted model knows a single class: it scores every item the
        same, so its queries are arbitrary (a model that does not say it is a classifier
        can be fit on labels of one class)."""
        classes = getattr(self.model, "classes_", None)
        if self._warned_one_class or classes is None or np.ndim(classes) != 1 or len(classes) != 1:
            return
        self._warned_one_class = True
        warnings.warn(
            f"{type(self.model).__name__} was fit on labels of one class only "
            f"({to_python(classes[0])!r}): it gives every item the same score, so "
            f"{self.strategy.name}'s queries are arbitrary until another class is labeled; "
            "label an item of another class, or pass a classifier (ClassifierMixin) so the "
            "loop waits for two classes", UserWarning, stacklevel=4)

    def _training_context(self) -> TrainingContext:
        """The labels new or corrected since the last fit, for the training policy."""
        recent = self.pool._events[self._events_at_fit:]
        corrected = [e.id for e in recent if e.kind == "correction"]
        corrected += self._corrected_outside.tolist()  # see replace_pool
        new = self.pool._labeled & ~self._labeled_at_fit
        return TrainingContext(
            pool=self.pool, new_ids=self.pool.ids[new],
            corrected_ids=self.pool.ids[np.isin(self.pool.ids, corrected)],
            n_fits=self._n_fits,
        )

    def _evaluate(self, y_train: np.ndarray) -> dict[str, float]:
        if self.eval_set is None or not self._scorers:
            return {}
        X_eval, y_eval = self.eval_set
        model = self.model if self._model_fitted else _constant_model(y_train)
        if model is None:
            return {}
        try:
            return {name: float(score(model, X_eval, y_eval)) for name, score in self._scorers}
        except ValueError as err:
            raise ActiveLabError(
                f"scoring {type(model).__name__} on eval_set failed ({first_line(err)}); check "
                "that eval_set holds the same kind of features and labels as the pool"
            ) from err

    def _labels_allowed(self) -> int | None:
        limits = [r.remaining(self) for r in self.stopping]
        limits = [x for x in limits if x is not None]
        return min(limits) if limits else None

    def _candidates(self) -> np.ndarray:
        """Unlabeled ids that were neither skipped nor are waiting for an answer."""
        open_ = ~self.pool._labeled & ~self._skipped
        for _, query in self._pending:
            open_[self.pool.positions(query.ids)] = False
        if self.control is not None and self.control.pending:
            open_[self.pool.positions(np.array(list(self.control.pending)))] = False
        return self.pool.ids[open_]

    def _settle(self, ids: np.ndarray) -> list[tuple[Strategy, Query]]:
        """Take ``ids`` out of the pending queries; return the parts they answered."""
        settled, still_pending = [], []
        for strategy, query in self._pending:
            hit = np.isin(query.ids, ids)
            if hit.any():
                settled.append((strategy, _subset(query, hit)))
            if not hit.all():
                still_pending.append((strategy, _subset(query, ~hit)))
        self._pending = still_pending
        return settled

    def _stop_check(self) -> str | None:
        if self._stop_requested is not None:
            return self._stop_requested
        # every rule sees every round (some note measurements in it), the first one decides
        reasons = [rule.reason(self) for rule in self.stopping]
        reason = next((r for r in reasons if r is not None), None)
        if reason is not None:
            return reason
        if len(self._candidates()) == 0:
            return "no unlabeled items left"
        return None


def _subset(query: Query, keep: np.ndarray) -> Query:
    return Query(ids=query.ids[keep], scores=query.scores[keep], strategy=query.strategy,
                 info=query.info)


def _constant_model(y: np.ndarray) -> Any:
    """Before a real fit is possible, the score of always predicting the most common label."""
    if len(y) == 0:
        return None
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y), 1)), y)
