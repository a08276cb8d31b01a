"""How the model is (re)trained between rounds.

A policy's :meth:`TrainingPolicy.train` gets the model, every real label so far, and a
:class:`TrainingContext` from the loop: the pool, the ids labeled (or corrected) since
the last fit, how many fits came before, and a dict in which the policy may note what it
did (it ends up in the round's :attr:`~activelab.RoundRecord.info`).

* :class:`FullRefit` refits from scratch every round (the default);
* :class:`Incremental` updates the model with ``partial_fit`` on the new labels only (or
  warm-starts it on all of them), with a full refit every ``refit_every`` fits;
* :class:`SelfTraining` adds confident pseudo-labels from the unlabeled pool;
* :class:`CEAL` pseudo-labels low-entropy items with a threshold that decays each round
  (Wang et al., 2016);
* :class:`~activelab.augmentation.GenerativeAugmentation` (in its own module) adds samples
  a generator draws around each labeled item (BGADL-style, Tran et al., 2019).

Pseudo-labels only ever reach the model: they are never written into the pool.

Every learner fits through the same step, :func:`train_model` (after :func:`ready_to_fit`
said the labels suffice): :class:`~activelab.ActiveLoop` on the pool's labels, the
:class:`~activelab.scenarios.stream.StreamLearner` on the labels it keeps from a stream,
the :class:`~activelab.scenarios.synthesis.SynthesisLoop` on its synthesised points.

>>> import numpy as np
>>> from sklearn.datasets import load_iris
>>> from sklearn.naive_bayes import GaussianNB
>>> from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
>>> from activelab.stopping import LabelBudget
>>> from activelab.training import Incremental
>>> X, y = load_iris(return_X_y=True)
>>> pool = Pool(X)
>>> pool.add_labels([0, 50, 100], y[[0, 50, 100]])
>>> loop = ActiveLoop(GaussianNB(), pool, strategies.get("entropy"), SimulatedOracle(y),
...                   batch_size=5, stopping=[LabelBudget(18)], training=Incremental(),
...                   random_state=0)
>>> [r.info["training"] for r in loop.run()]
['full refit', 'partial_fit', 'partial_fit', 'partial_fit']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .errors import ActiveLabError
from .outputs import ModelOutputs, entropy
from .registry import Registry, snake_case
from .validation import first_line

if TYPE_CHECKING:
    from .pool import Pool

__all__ = [
    "CEAL",
    "FullRefit",
    "Incremental",
    "SelfTraining",
    "TRAINING_POLICIES",
    "TrainingContext",
    "TrainingPolicy",
    "can_fit",
    "ready_to_fit",
    "train_model",
    "training_policy",
]

#: Training policies by name, for the bench's ``--training`` and a server project's
#: ``--training``: ``full_refit`` (also ``full``), ``incremental``, ``self_training``, ``ceal``,
#: and :mod:`activelab.augmentation`'s ``generative_augmentation`` (also ``bgadl``).
TRAINING_POLICIES: Registry[type[TrainingPolicy]] = Registry("training policy",
                                                             normalise=snake_case)


def can_fit(model: Any, y: np.ndarray) -> bool:
    """Whether ``y`` is enough to fit ``model``: two classes for a classifier, two labels otherwise."""
    from sklearn.base import is_classifier

    if len(y) == 0:
        return False
    if is_classifier(model) or hasattr(model, "predict_proba"):
        return len(np.unique(y)) >= 2
    return len(y) >= 2


@dataclass
class TrainingContext:
    """What the loop tells a training policy about the round it fits for.

    ``new_ids`` are the ids labeled since the last fit (all labels at the first fit),
    ``corrected_ids`` those whose label was corrected since then, ``n_fits`` how many
    fits came before this one in the loop. A policy writes what it did into ``info``.

    A learner without a pool (a stream, a synthesis loop) passes ``pool=None`` and the new
    labels themselves as ``new_X`` and ``new_y``; :meth:`new_labels` reads either.
    """

    pool: Pool | None
    new_ids: np.ndarray
    corrected_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    n_fits: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    new_X: Any = None
    new_y: np.ndarray | None = None

    @classmethod
    def first_fit(cls, pool: Pool) -> TrainingContext:
        """The context of a first fit on every label in ``pool``."""
        return cls(pool=pool, new_ids=pool.labeled_ids)

    def new_labels(self) -> tuple[Any, np.ndarray]:
        """The items and labels that are new since the last fit."""
        if self.new_y is not None:
            return self.new_X, np.asarray(self.new_y)
        if self.pool is None:
            raise ActiveLabError(
                "this training policy needs the new labels: give the TrainingContext a pool "
                "or new_X and new_y"
            )
        return self.pool.items(self.new_ids), self.pool.labels_of(self.new_ids)


class TrainingPolicy:
    """Fits the model on the labeled items.

    Subclasses override :meth:`fit` when the labels are all they need, or :meth:`train`
    when they also need the pool or the new labels (the loop always calls ``train``).
    """

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement fit or train")

    def train(self, model: Any, X: Any, y: np.ndarray, context: TrainingContext) -> Any:
        """Fit ``model`` on ``(X, y)``, every real label so far; returns the fitted model."""
        return self.fit(model, X, y)

    def check_model(self, model: Any) -> None:
        """Refuse, before any labeling, a model this policy cannot train (an ActiveLabError
        that says what the policy needs); every model passes by default."""

    def ready(self, model: Any, y: np.ndarray) -> bool:
        """Whether the labels ``y`` are enough to train ``model`` (see :func:`can_fit`)."""
        return can_fit(model, y)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


def training_policy(name: str) -> TrainingPolicy:
    """A new policy of :data:`TRAINING_POLICIES` named ``name``, with its defaults.

    >>> training_policy("self-training")
    SelfTraining(threshold=0.9, max_per_class=None)
    """
    return TRAINING_POLICIES.lookup(name)()


@TRAINING_POLICIES.register("full_refit", aliases=["full"])
class FullRefit(TrainingPolicy):
    """Refit from scratch on every labeled item, every round (``model.fit(X, y)``)."""

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        model.fit(X, y)
        return model

    def train(self, model: Any, X: Any, y: np.ndarray, context: TrainingContext) -> Any:
        context.info["training"] = "full refit"
        return self.fit(model, X, y)


def ready_to_fit(policy: Any, model: Any, y: np.ndarray) -> bool:
    """Whether ``policy`` can train ``model`` on the labels ``y`` yet.

    A policy's :meth:`TrainingPolicy.ready`; for a policy without one, :func:`can_fit`.
    """
    ready = getattr(policy, "ready", None)
    return bool(ready(model, y)) if callable(ready) else can_fit(model, y)


def train_model(
    policy: Any, model: Any, X: Any, y: np.ndarray, context: TrainingContext,
    errors: tuple[type[Exception], ...] = (ValueError,),
) -> Any:
    """The fit step every learner shares: train ``model`` with ``policy``; returns the model.

    An error of one of the ``errors`` types that the model raises becomes one
    :class:`ActiveLabError` naming the model and the number of labels (an
    :class:`ActiveLabError` passes as it is). The loop wraps ``ValueError`` only; the
    stream and synthesis learners, which drive user models unattended, wrap any error.
    """
    try:
        if hasattr(policy, "train"):
            return policy.train(model, X, y, context)
        return policy.fit(model, X, y)  # a policy written before train() existed
    except ActiveLabError:
        raise
    except errors as err:
        raise ActiveLabError(
            f"fitting {type(model).__name__} on {len(y)} labels failed: {first_line(err)}"
        ) from err


# ---- incremental ---------------------------------------------------------------------------


def _final_step(model: Any) -> Any:
    """The estimator at the end of a pipeline, or the model itself."""
    return model[-1] if hasattr(model, "steps") else model


def _is_ensemble(estimator: Any) -> bool:
    from sklearn.ensemble import BaseEnsemble

    return isinstance(estimator, BaseEnsemble)


def _warm_start_param(model: Any) -> str | None:
    """The ``set_params`` name of the final step's ``warm_start``, if it means "continue"."""
    final = _final_step(model)
    if _is_ensemble(final) or "warm_start" not in getattr(final, "get_params", dict)():
        return None  # an ensemble's warm_start adds members, it does not continue training
    return f"{model.steps[-1][0]}__warm_start" if hasattr(model, "steps") else "warm_start"


@TRAINING_POLICIES.register("incremental")
class Incremental(TrainingPolicy):
    """Update the model instead of refitting it: ``partial_fit`` or warm start.

    Parameters
    ----------
    method : {"auto", "partial_fit", "warm_start"}
        ``partial_fit`` calls ``partial_fit`` on the labels that are new since the last
        fit only, with ``classes=`` the classes the model already knows. ``warm_start``
        sets the model's ``warm_start=True`` and fits on every label, starting from the
        last solution. ``auto`` takes ``partial_fit`` when the model (or a pipeline's
        last step) has it, else ``warm_start``.
    refit_every : int or None
        Every ``refit_every``-th fit is a full refit (``model.fit`` from scratch); the
        first fit always is. ``None``: only the first. ``refit_every=1`` is
        :class:`FullRefit`.
    classes : sequence, optional
        Every class the labels can hold, known up front (``partial_fit`` only). Then the
        first fit is a ``partial_fit`` too, one label is enough to start (see
        :meth:`ready`), and a label of another class is an error: what a stream needs,
        where the learner cannot refit on every label
        (:class:`~activelab.scenarios.stream.StreamLearner` uses ``Incremental("partial_fit",
        classes=...)`` for ``training="partial_fit"``).

    A full refit also happens when a label was corrected (an update cannot unlearn it)
    or when a new label is of a class the model has not seen (neither ``partial_fit``
    nor a warm-started solver can add a class). In a
    pipeline, the steps before the last are fit at full refits only and only transform
    in between. An ensemble's ``warm_start`` (which adds members) does not count.

    >>> from sklearn.linear_model import SGDClassifier
    >>> Incremental(refit_every=5).method_for(SGDClassifier())
    'partial_fit'
    """

    def __init__(self, method: str = "auto", refit_every: int | None = None,
                 classes: Any = None) -> None:
        if method not in ("auto", "partial_fit", "warm_start"):
            raise ActiveLabError(
                f"method must be 'auto', 'partial_fit' or 'warm_start'; got {method!r}"
            )
        if refit_every is not None and (
            isinstance(refit_every, bool) or not isinstance(refit_every, (int, np.integer))
            or refit_every < 1
        ):
            raise ActiveLabError(
                f"refit_every must be a positive integer or None; got {refit_every!r}"
            )
        if classes is not None and method == "warm_start":
            raise ActiveLabError("classes= is for method='partial_fit'; a warm start refits on "
                                 "every label and learns the classes from them")
        self.method = method
        self.refit_every = refit_every
        self.classes = None if classes is None else np.asarray(list(classes))

    def ready(self, model: Any, y: np.ndarray) -> bool:
        """With ``classes`` known up front, one label is enough to start; else :func:`can_fit`."""
        if self.classes is not None and not hasattr(model, "steps"):
            return len(y) > 0
        return can_fit(model, y)

    def check_model(self, model: Any) -> None:
        self.method_for(model)

    def method_for(self, model: Any) -> str:
        """The update this policy uses for ``model``; refuses a model that has neither."""
        final = _final_step(model)
        if self.method in ("auto", "partial_fit") and callable(getattr(final, "partial_fit", None)):
            return "partial_fit"
        if self.method in ("auto", "warm_start") and _warm_start_param(model) is not None:
            return "warm_start"
        wanted = {"auto": "partial_fit or a warm_start parameter",
                  "partial_fit": "partial_fit", "warm_start": "a warm_start parameter"}
        raise ActiveLabError(
            f"Incremental(method={self.method!r}) needs a model with {wanted[self.method]} "
            f"(e.g. SGDClassifier, GaussianNB, MLPClassifier, LogisticRegression); "
            f"{type(final).__name__} has not: use FullRefit"
        )

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        raise ActiveLabError(
            "Incremental needs to know which labels are new: use it as "
            "ActiveLoop(training=Incremental()), or call train(model, X, y, context)"
        )

    def train(self, model: Any, X: Any, y: np.ndarray, context: TrainingContext) -> Any:
        method = self.method_for(model)
        reason = self._full_refit_reason(model, method, context)
        if reason is not None:
            context.info["training"] = "full refit"
            if reason != "scheduled":
                context.info["full_refit_reason"] = reason
            if method == "warm_start":
                model.set_params(**{_warm_start_param(model): False})
            model.fit(X, y)
            return model
        context.info["training"] = method
        if method == "warm_start":
            model.set_params(**{_warm_start_param(model): True})
            model.fit(X, y)
            return model
        if len(context.new_ids) == 0:
            return model
        X_new, y_new = context.new_labels()
        final = _final_step(model)
        if hasattr(model, "steps"):
            X_new = model[:-1].transform(X_new)
        if self.classes is not None:
            kwargs = {"classes": self.classes}
        else:
            kwargs = {"classes": final.classes_} if hasattr(final, "classes_") else {}
        final.partial_fit(X_new, y_new, **kwargs)
        return model

    def _full_refit_reason(self, model: Any, method: str, context: TrainingContext) -> str | None:
        if context.n_fits == 0 and (self.classes is None or hasattr(model, "steps")):
            return "scheduled"  # a pipeline's first steps are fit at full refits only
        if self.refit_every and context.n_fits and context.n_fits % self.refit_every == 0:
            return "scheduled"
        if len(context.corrected_ids):
            return "labels were corrected"
        if len(context.new_ids):  # neither partial_fit nor a warm start can add a class
            if self.classes is not None:
                unknown = np.setdiff1d(_new_y(context), self.classes)
                if len(unknown):
                    raise ActiveLabError(
                        f"label {unknown[:1].tolist()[0]!r} is not one of "
                        f"classes={self.classes.tolist()}"
                    )
                return None
            known = getattr(_final_step(model), "classes_", None)
            if known is not None and not np.isin(_new_y(context), known).all():
                return "a new class appeared"
        return None


def _new_y(context: TrainingContext) -> np.ndarray:
    """The labels new since the last fit, without reading their items."""
    if context.new_y is not None:
        return np.asarray(context.new_y)
    return context.new_labels()[1] if context.pool is None else context.pool.labels_of(
        context.new_ids)


# ---- pseudo-labels ---------------------------------------------------------------------------


def _stack(X_a: Any, X_b: Any) -> Any:
    """Rows of ``X_b`` under those of ``X_a``, in ``X_a``'s container type."""
    if sp.issparse(X_a):
        return sp.vstack([X_a, X_b], format="csr")
    if hasattr(X_a, "iloc"):
        import pandas as pd

        return pd.concat([X_a, X_b], ignore_index=True)
    if isinstance(X_a, np.ndarray):
        return np.concatenate([X_a, X_b])
    return list(X_a) + list(X_b)


class _PseudoLabeling(TrainingPolicy):
    """Fit on the labels, pseudo-label confident unlabeled items, fit again on both."""

    max_per_class: int | None

    def confident(self, proba: np.ndarray, n_fits: int) -> np.ndarray:
        """A mask of the rows of ``proba`` confident enough to pseudo-label."""
        raise NotImplementedError

    def confidence(self, proba: np.ndarray) -> np.ndarray:
        """Higher is more confident; decides which items a per-class cap keeps."""
        return proba.max(axis=1)

    def describe(self, n_fits: int) -> dict[str, Any]:
        """What to note in the round's info besides the number of pseudo-labels."""
        return {}

    def check_model(self, model: Any) -> None:
        if not hasattr(model, "predict_proba"):
            raise ActiveLabError(
                f"{type(self).__name__} pseudo-labels from class probabilities, and "
                f"{type(model).__name__} has no predict_proba; use a probabilistic "
                "classifier or FullRefit")

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        raise ActiveLabError(
            f"{type(self).__name__} needs the unlabeled pool: use it as "
            f"ActiveLoop(training={type(self).__name__}()), or call train(model, X, y, context)"
        )

    def train(self, model: Any, X: Any, y: np.ndarray, context: TrainingContext) -> Any:
        model.fit(X, y)
        if not hasattr(model, "predict_proba"):
            raise ActiveLabError(
                f"{type(self).__name__} pseudo-labels from predict_proba, which "
                f"{type(model).__name__} lacks; use a probabilistic model or FullRefit"
            )
        pool = context.pool
        if pool is None:
            raise ActiveLabError(
                f"{type(self).__name__} pseudo-labels items of an unlabeled pool, and this "
                "learner has none (a stream or synthesis learner); use FullRefit or Incremental"
            )
        ids = pool.unlabeled_ids
        chosen = np.zeros(0, dtype=int)
        if len(ids):
            proba = ModelOutputs(model, pool, ids=ids).proba()
            chosen = self._choose(proba, context.n_fits)
        context.info["training"] = type(self).__name__
        context.info.update(self.describe(context.n_fits))
        context.info["n_pseudo_labels"] = len(chosen)
        if len(chosen) == 0:
            return model
        classes = np.asarray(model.classes_)
        pseudo_y = classes[np.argmax(proba[chosen], axis=1)]
        model.fit(_stack(X, pool.items(ids[chosen])), np.concatenate([y, pseudo_y]))
        return model

    def _choose(self, proba: np.ndarray, n_fits: int) -> np.ndarray:
        """Positions of the items to pseudo-label; a per-class cap keeps the most confident."""
        chosen = np.flatnonzero(self.confident(proba, n_fits))
        if self.max_per_class is None or len(chosen) == 0:
            return chosen
        predicted = np.argmax(proba[chosen], axis=1)
        conf = self.confidence(proba[chosen])
        keep = []
        for c in np.unique(predicted):
            members = chosen[predicted == c]
            order = np.lexsort((members, -conf[predicted == c]))  # most confident, then by position
            keep.append(members[order[: self.max_per_class]])
        return np.sort(np.concatenate(keep))


def _check_cap(max_per_class: int | None) -> int | None:
    if max_per_class is not None and (
        isinstance(max_per_class, bool) or not isinstance(max_per_class, (int, np.integer))
        or max_per_class < 1
    ):
        raise ActiveLabError(f"max_per_class must be a positive integer or None; got {max_per_class!r}")
    return max_per_class


@TRAINING_POLICIES.register("self_training")
class SelfTraining(_PseudoLabeling):
    """Self-training: unlabeled items predicted with probability >= ``threshold`` join the fit.

    Each fit: fit on the real labels, predict the unlabeled pool, give every item whose
    top probability is at least ``threshold`` its predicted class as a pseudo-label
    (at most ``max_per_class`` per class, the most confident first), and fit again on
    the real and pseudo-labels together. Pseudo-labels are chosen afresh each round and
    never written into the pool. The round's ``info`` holds ``n_pseudo_labels``.

    >>> SelfTraining(threshold=0.95, max_per_class=50)
    SelfTraining(threshold=0.95, max_per_class=50)
    """

    def __init__(self, threshold: float = 0.9, max_per_class: int | None = None) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not (
            0 < threshold <= 1
        ):
            raise ActiveLabError(f"threshold must be a probability in (0, 1]; got {threshold!r}")
        self.threshold = threshold
        self.max_per_class = _check_cap(max_per_class)

    def confident(self, proba: np.ndarray, n_fits: int) -> np.ndarray:
        return proba.max(axis=1) >= self.threshold


@TRAINING_POLICIES.register("ceal")
class CEAL(_PseudoLabeling):
    """Cost-Effective Active Learning (Wang et al., 2016): pseudo-label the low-entropy items.

    The strategy's queries (use an uncertainty strategy, e.g. ``entropy``) get real labels
    from the oracle; at each fit, the unlabeled items whose predictive entropy (nats) is
    below ``threshold_at(n_fits) = max(initial_threshold - decay * n_fits, 0)`` are
    pseudo-labeled with the predicted class, and the model is fit on both. The threshold
    shrinks every round, so fewer pseudo-labels are trusted as real ones accumulate.

    >>> CEAL(initial_threshold=0.05, decay=0.01).threshold_at(3)
    0.02
    """

    def __init__(
        self, initial_threshold: float = 0.05, decay: float = 0.0033,
        max_per_class: int | None = None,
    ) -> None:
        for name, value in [("initial_threshold", initial_threshold), ("decay", decay)]:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                np.isfinite(value) and value >= 0
            ):
                raise ActiveLabError(f"{name} must be a non-negative number; got {value!r}")
        self.initial_threshold = initial_threshold
        self.decay = decay
        self.max_per_class = _check_cap(max_per_class)

    def threshold_at(self, n_fits: int) -> float:
        """The entropy threshold of the fit that has ``n_fits`` fits before it."""
        return round(max(self.initial_threshold - self.decay * n_fits, 0.0), 12)

    def confident(self, proba: np.ndarray, n_fits: int) -> np.ndarray:
        return entropy(proba) < self.threshold_at(n_fits)

    def describe(self, n_fits: int) -> dict[str, Any]:
        return {"entropy_threshold": self.threshold_at(n_fits)}

    def confidence(self, proba: np.ndarray) -> np.ndarray:
        return -entropy(proba)
