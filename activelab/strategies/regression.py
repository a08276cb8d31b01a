"""Strategies for regression: ask where the model's prediction is least settled.

* **qbc_variance** — the variance of an ensemble's member predictions (query by committee
  for regression).
* **predictive_std** — the model's own predictive standard deviation (a Gaussian process,
  Bayesian ridge).
* **emcm** — expected model change: how far the parameters of a linear model would move
  if the item were labeled, with the label guessed by bootstrap members.

A model wrapped in a scikit-learn ``Pipeline`` works too: the preprocessing steps are
applied first and the last step is what these strategies look into.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..validation import check_int
from .base import ScoringStrategy
from .expected import fit_clone
from .registry import register

__all__ = ["EMCM", "CommitteeVariance", "PredictiveStd"]


def _final_step(model: Any) -> tuple[Any, Any]:
    """``(preprocessing, estimator)``: a Pipeline's leading steps and its last step."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and hasattr(model, "__getitem__"):
        return (model[:-1] if len(steps) > 1 else None), steps[-1][1]
    return None, model


def _is_classifier(estimator: Any) -> bool:
    from sklearn.base import is_classifier

    return bool(is_classifier(estimator)) or hasattr(estimator, "predict_proba")


def _dense_or_csr(rows: Any) -> Any:
    """Rows as a NumPy array or CSR matrix, the way an ensemble hands them to its members."""
    if sp.issparse(rows):
        return rows.tocsr()
    if hasattr(rows, "to_numpy"):
        return rows.to_numpy()
    return np.asarray(rows)


def _members(model: Any, who: str) -> tuple[Any, list[tuple[Any, np.ndarray | None]]]:
    """The preprocessing and ``(member, feature subset)`` pairs of a fitted ensemble regressor."""
    preprocessing, ensemble = _final_step(model)
    members = getattr(ensemble, "estimators_", None)
    if not isinstance(members, list):
        raise ActiveLabError(
            f"{who} needs a fitted ensemble regressor with a list of members in estimators_ "
            f"(BaggingRegressor, RandomForestRegressor); got {type(ensemble).__name__}"
        )
    if _is_classifier(ensemble):
        raise ActiveLabError(
            f"{who} measures how far a regression ensemble's predictions spread; "
            f"{type(ensemble).__name__} is a classifier: use a classification committee strategy"
        )
    if len(members) < 2:
        raise ActiveLabError(
            f"{who} needs at least 2 ensemble members to measure disagreement; "
            f"{type(ensemble).__name__} has {len(members)}"
        )
    subsets = getattr(ensemble, "estimators_features_", None)
    if subsets is None:
        subsets = [None] * len(members)
    return preprocessing, list(zip(members, subsets))


def _member_predict(preprocessing: Any, member: Any, features: np.ndarray | None) -> Any:
    """``rows -> predictions`` of one member, on the columns it was trained on."""

    def predict(rows: Any) -> np.ndarray:
        if preprocessing is not None:
            rows = preprocessing.transform(rows)
        if features is not None or not hasattr(member, "feature_names_in_"):
            rows = _dense_or_csr(rows)
        if features is not None:
            rows = rows[:, features]
        return _one_target(member.predict(rows))

    return predict


def _one_target(predictions: Any) -> np.ndarray:
    values = np.asarray(predictions, dtype=float)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ActiveLabError(
            f"the regression strategies need one predicted number per item; the model predicts "
            f"shape {values.shape}: fit one model per target"
        )
    return values


def _member_predictions(outputs: ModelOutputs, who: str) -> list[np.ndarray]:
    preprocessing, members = _members(outputs.model, who)
    return [
        outputs.of_items(f"member{i}_pred", _member_predict(preprocessing, member, features))
        for i, (member, features) in enumerate(members)
    ]


def _variance(predictions: list[np.ndarray]) -> np.ndarray:
    """Population variance across the list, by Welford's update: no members x items array."""
    mean = np.zeros_like(predictions[0], dtype=float)
    spread = np.zeros_like(mean)
    for k, values in enumerate(predictions, start=1):
        delta = values - mean
        mean += delta / k
        spread += delta * (values - mean)
    return spread / len(predictions)


@register("qbc_variance")
class CommitteeVariance(ScoringStrategy):
    """Query by committee for regression: the variance of the members' predictions.

    ``score(x) = (1/M) sum_m (f_m(x) - mean_m f_m(x))^2`` over the ``M`` fitted members in
    the model's ``estimators_`` (RayChaudhuri & Hamey, 1995; Burbidge, Rowland & King,
    2007, IDEAL). A ``BaggingRegressor`` member sees only its own ``estimators_features_``
    columns, as it did when fit.

    Needs a fitted ensemble regressor with ``estimators_`` (``BaggingRegressor``,
    ``RandomForestRegressor``, ``ExtraTreesRegressor``, ``VotingRegressor``), or a
    ``Pipeline`` ending in one. Cost per query: one prediction per member over the
    candidates, ``O(M n)`` time and memory (each member's predictions are cached in the
    round's :class:`~activelab.outputs.ModelOutputs` under ``member{i}_pred``).

    >>> import numpy as np
    >>> from sklearn.ensemble import BaggingRegressor
    >>> from activelab import Pool
    >>> from activelab.strategies.regression import CommitteeVariance
    >>> X = np.linspace(0, 1, 40).reshape(-1, 1)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(0, 40, 4), 3 * X[::4, 0])
    >>> model = BaggingRegressor(n_estimators=5, random_state=0).fit(*pool.labeled_data())
    >>> len(CommitteeVariance().query(model, pool, 3).ids)
    3
    """

    contract_models = ("ensemble_regressor",)

    per_item_scores = True

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        return _variance(_member_predictions(outputs, "qbc_variance"))


def _has_return_std(model: Any) -> bool:
    import inspect

    _, estimator = _final_step(model)
    predict = getattr(estimator, "predict", None)
    if predict is None:
        return False
    try:
        return "return_std" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return False


@register("predictive_std")
class PredictiveStd(ScoringStrategy):
    """The model's own predictive standard deviation: ``predict(X, return_std=True)[1]``.

    Uncertainty sampling for probabilistic regressors (the variance criterion of MacKay,
    1992, "Information-based objective functions for active data selection", Neural
    Computation; with Gaussian processes, Seo, Wallat, Graepel & Obermayer, 2000).

    Needs a fitted model whose ``predict`` takes ``return_std``:
    ``GaussianProcessRegressor``, ``BayesianRidge``, ``ARDRegression``, or a ``Pipeline``
    ending in one (``Pipeline.predict`` passes ``return_std`` on). Cost per query: one
    ``predict`` over the candidates, ``O(n)`` memory (a Gaussian process costs
    ``O(n m^2)`` time for ``m`` labels).

    >>> import numpy as np
    >>> from sklearn.linear_model import BayesianRidge
    >>> from activelab import Pool
    >>> from activelab.strategies.regression import PredictiveStd
    >>> X = np.linspace(0, 1, 40).reshape(-1, 1)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(10, 30, 4), 3 * X[10:30:4, 0])
    >>> model = BayesianRidge().fit(*pool.labeled_data())
    >>> q = PredictiveStd().query(model, pool, 2)
    >>> q.ids.tolist()  # the far end of the line, farthest from the labels' centre
    [39, 38]
    """

    contract_models = ("regressor_std",)

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        model = outputs.model
        if model is None or not _has_return_std(model):
            name = "None" if model is None else type(_final_step(model)[1]).__name__
            raise ActiveLabError(
                f"predictive_std needs a fitted model whose predict(X, return_std=True) gives a "
                f"standard deviation (GaussianProcessRegressor, BayesianRidge, or a Pipeline "
                f"ending in one); got {name}"
            )
        return outputs.of_items(
            "predictive_std", lambda rows: _one_target(model.predict(rows, return_std=True)[1])
        )


def _take(items: Any, positions: np.ndarray) -> Any:
    if sp.issparse(items) or isinstance(items, np.ndarray):
        return items[positions]
    if hasattr(items, "iloc"):
        return items.iloc[positions]
    return [items[int(p)] for p in positions]


def _row_norms(rows: Any) -> np.ndarray:
    if sp.issparse(rows):
        return np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1), dtype=float).ravel())
    values = np.asarray(rows, dtype=float)
    return np.sqrt(np.einsum("ij,ij->i", values, values))


@register("emcm")
class EMCM(ScoringStrategy):
    """Expected model change maximization for regression (Cai, Zhang & Zhou, 2013, ICDM).

    For a linear model ``f(x) = w . x`` under squared loss, labeling ``x`` with ``y`` moves
    the parameters along the loss gradient ``(f(x) - y) x``. The label is unknown, so
    ``K`` bootstrap members ``f_k`` stand in for it:

    ``score(x) = (1/K) sum_k ||(f(x) - f_k(x)) x~|| = ||x~|| * (1/K) sum_k |f(x) - f_k(x)|``

    where ``f`` is the caller's model and ``x~`` is the item as the linear model sees it
    (after a ``Pipeline``'s preprocessing steps; the intercept's gradient component is left
    out). The members are found in this order:

    * if the model (or a ``Pipeline``'s last step) is a fitted ensemble with
      ``estimators_`` (a ``BaggingRegressor`` of linear models), its members are used and
      ``n_members`` is ignored;
    * otherwise ``n_members`` **clones** of the whole model are fit, inside the query, on
      bootstrap resamples of the labeled items, drawn from ``random_state``. The caller's
      model is never refit.

    Needs a fitted regressor with ``predict`` (linear, for the gradient to mean what the
    paper says; any regressor runs). Cost per query: ``K`` fits on the labeled items plus
    ``K + 1`` predictions over the candidates; ``O((K + 1) n)`` memory.

    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from activelab import Pool
    >>> from activelab.strategies.regression import EMCM
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.3, size=60)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(8), y[:8])
    >>> model = Ridge().fit(*pool.labeled_data())
    >>> len(EMCM(n_members=4).query(model, pool, 5, random_state=0).ids)
    5
    """

    contract_models = ("regressor",)

    def __init__(self, n_members: int = 4, selector: Any = None) -> None:
        super().__init__(selector)
        self.n_members = n_members

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        model = outputs.model
        _, final = _final_step(model)
        if model is None or not hasattr(final, "predict") or _is_classifier(final):
            name = "None" if model is None else type(final).__name__
            raise ActiveLabError(
                f"emcm needs a fitted regressor (a linear one such as Ridge, as in the paper); "
                f"got {name}"
            )
        prediction = _one_target(outputs.predict())
        if isinstance(getattr(final, "estimators_", None), list):
            members = _member_predictions(outputs, "emcm")
        else:
            members = self._bootstrap_predictions(outputs, rng)
        change = np.zeros(len(prediction))
        for member in members:
            change += np.abs(prediction - member)
        change /= len(members)
        return change * outputs.of_items("emcm_feature_norms", self._norms(model))

    @staticmethod
    def _norms(model: Any) -> Any:
        preprocessing, _ = _final_step(model)

        def norms(rows: Any) -> np.ndarray:
            if preprocessing is not None:
                return _row_norms(preprocessing.transform(rows))
            return _row_norms(_dense_or_csr(rows))

        return norms

    def _bootstrap_predictions(
        self, outputs: ModelOutputs, rng: np.random.Generator
    ) -> list[np.ndarray]:
        k = check_int(self.n_members, "n_members")
        pool = outputs.pool
        in_id_order = np.sort(pool.labeled_ids)
        items, labels = pool.items(in_id_order), pool.labels_of(in_id_order)
        if len(labels) == 0:
            raise ActiveLabError("emcm needs labeled items to bootstrap its members; label some first")
        draw = int(rng.integers(2**62))
        resample = np.random.default_rng(draw)
        predictions = []
        for i in range(k):
            rows = resample.integers(0, len(labels), size=len(labels))
            member = fit_clone(outputs.model, _take(items, rows), labels[rows], draw % 2**31)
            predictions.append(
                outputs.of_items(
                    f"emcm_{draw}_member{i}_pred",
                    lambda chunk, member=member: _one_target(member.predict(chunk)),
                )
            )
        return predictions
