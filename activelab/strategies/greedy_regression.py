"""Greedy sampling for regression (GSy, iGS): spread the batch in output (and input) space.

Wu, Lin & Huang, "Active learning for regression using greedy sampling", Information
Sciences 474 (2019). GSx, the input-space member of the family, is the same traversal as
core-set and lives beside it in :mod:`~activelab.strategies.diversity`. Greedy methods
score a pick by its utility when it was picked, made non-increasing; ties go to the
smaller id.
"""

from __future__ import annotations

import numpy as np

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..pool import Pool
from ..selection.kcenter import greedy_farthest
from ..selection.neighbors import RunningMinDistance
from ..selection.topk import id_ranks
from .base import Query, Strategy
from .embedding_space import REGRESSORS, _labeled_embeddings, closeness_to_mean
from .registry import register

__all__ = ["GreedySamplingY", "ImprovedGreedySampling"]


def _predictions(outputs: ModelOutputs) -> np.ndarray:
    model = outputs.model
    if model is None or not hasattr(model, "predict"):
        raise ActiveLabError(
            "this strategy needs a fitted regressor with predict; "
            f"got {'model=None' if model is None else type(model).__name__}"
        )
    predictions = outputs.predict()
    try:
        return np.asarray(predictions, dtype=np.float64).reshape(len(outputs), -1)
    except (TypeError, ValueError) as err:
        raise ActiveLabError(
            f"{type(model).__name__}.predict returned non-numbers; greedy sampling in output "
            "space needs a regressor"
        ) from err


def _numeric_labels(pool: Pool) -> np.ndarray | None:
    if pool.n_labeled == 0:
        return None
    labels = pool.labels_of(pool.labeled_ids)
    try:
        return np.asarray(labels, dtype=np.float64).reshape(pool.n_labeled, -1)
    except (TypeError, ValueError) as err:
        raise ActiveLabError(
            "greedy sampling in output space needs numeric labels (a regression task); "
            "use gsx or coreset for classification"
        ) from err


class _GreedyRegression(Strategy):
    """Greedy sampling in output space, optionally times the distance in input space."""

    contract_models = REGRESSORS
    _use_inputs = False

    def __init__(self) -> None:
        pass

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        pool = outputs.pool
        labels = _numeric_labels(pool)
        spaces = [RunningMinDistance(_predictions(outputs), labels)]
        if self._use_inputs:
            spaces.append(
                RunningMinDistance(outputs.embeddings(), _labeled_embeddings(outputs))
            )
        first = closeness_to_mean(outputs.embeddings()) if pool.n_labeled == 0 else None
        positions, scores = greedy_farthest(
            spaces, _product, id_ranks(outputs.ids), k, first_scores=first
        )
        return Query(ids=outputs.ids[positions], scores=scores)


def _product(distances: list[np.ndarray], step: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.prod(distances, axis=0)


@register("gsy")
class GreedySamplingY(_GreedyRegression):
    """GSy: the candidate whose prediction is farthest from every known output.

    Wu, Lin & Huang, "Active learning for regression using greedy sampling",
    Information Sciences 474 (2019). The distance of a candidate is
    ``min |f(x) - y|`` over the labels ``y`` of the labeled items and, within a batch,
    the predictions ``f`` of the candidates already chosen (Euclidean for several
    outputs). Its score is that distance when picked. With nothing labeled the first
    pick is the candidate nearest the mean of the inputs (GSx's start).

    Needs a fitted regressor (``predict``) and numeric labels. ``O(k * n * outputs)``
    time, ``O(n)`` extra memory.

    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import GreedySamplingY
    >>> X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(5), y[:5])
    >>> model = Ridge().fit(*pool.labeled_data())
    >>> len(GreedySamplingY().query(model, pool, 3).ids)
    3
    """


@register("igs")
class ImprovedGreedySampling(_GreedyRegression):
    """iGS: the candidate with the largest product of input and output distances.

    Wu, Lin & Huang, "Active learning for regression using greedy sampling",
    Information Sciences 474 (2019). Utility ``d_x(x) * d_y(x)``: ``d_x`` the distance in
    input space to the nearest labeled or chosen item (as :class:`GreedySamplingX`),
    ``d_y`` the output distance of :class:`GreedySamplingY`. The score of a pick is its
    utility when picked. With nothing labeled the first pick is the candidate nearest the
    mean of the inputs.

    Needs a fitted regressor (``predict``) and numeric labels.
    ``O(k * n * (dim + outputs) + n * n_labeled * dim)`` time, ``O(n)`` extra memory.

    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from activelab import Pool
    >>> from activelab.strategies.diversity import ImprovedGreedySampling
    >>> X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    >>> pool = Pool(X)
    >>> pool.add_labels(range(5), y[:5])
    >>> model = Ridge().fit(*pool.labeled_data())
    >>> len(ImprovedGreedySampling().query(model, pool, 3).ids)
    3
    """

    _use_inputs = True
