"""Rationales: the features (or words) an annotator says decided a label, and learning from them.

* :class:`WithRationales` — wraps an oracle so each answer carries a simulated rationale:
  the features of the item that push hardest toward the label given, according to a
  linear "teacher" fit on the true labels (what a person highlights).
* :class:`RationaleWeighting` — a training policy after Sharma, Zhuang & Bilgic (2015,
  "Active learning with rationales for text classification"): in every labeled item that
  has a rationale, the rationale features are scaled by ``rationale_weight`` (1) and all
  other features by ``other_weight`` (0.01), so the model learns what the person pointed
  at. Items without a rationale, and the items it predicts, are left as they are.

:class:`~activelab.loop.ActiveLoop` stores each answer's rationale in the pool's label
log (:attr:`LabelEvent.rationale`, :meth:`Pool.rationales_of`), where the policy reads it.

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
>>> from activelab.oracles.rationales import RationaleWeighting, WithRationales
>>> from activelab.stopping import LabelBudget
>>> rng = np.random.default_rng(0)
>>> X = rng.random((200, 30)); y = (X[:, 0] > X[:, 1]).astype(int)
>>> pool = Pool(X); pool.add_labels([0, 1, 2, 3], y[:4])
>>> oracle = WithRationales(SimulatedOracle(y), X, y, max_features=2)
>>> loop = ActiveLoop(LogisticRegression(), pool, strategies.get("margin"), oracle,
...                   training=RationaleWeighting(pool), stopping=[LabelBudget(20)])
>>> _ = loop.run()
>>> pool.rationales_of(pool.labeled_ids[-1:])[0] is not None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..pool import IdIndex, Pool
from ..training import TrainingPolicy
from .asking import as_oracle, ask
from .base import Answers, LabelRequest, Oracle, with_context

__all__ = ["RationaleWeighting", "WithRationales"]


class WithRationales:
    """An oracle whose answers carry a simulated rationale (a list of feature indices).

    Parameters
    ----------
    oracle : Oracle
        Gives the labels (a simulated, noisy or panel oracle); it gets the whole request,
        so a panel sees the model.
    X : array-like
        The features of every item, in the order of ``ids``.
    y_true : array-like
        The true labels, to fit the teacher (a logistic regression).
    max_features : int
        At most this many features per rationale: those whose value times the teacher's
        weight for the given label is largest (and positive).
    ids : array-like, optional
    """

    def __init__(self, oracle: Oracle, X: Any, y_true: Any, max_features: int = 3,
                 ids: Sequence[Any] | np.ndarray | None = None) -> None:
        from sklearn.linear_model import LogisticRegression

        self.oracle = as_oracle(oracle)
        self.max_features = max_features
        self._X = X.tocsr() if sp.issparse(X) else np.asarray(X, dtype=float)
        self._index = IdIndex(ids, self._X.shape[0], owner="rationale features")
        teacher = LogisticRegression(max_iter=2000).fit(self._X, np.asarray(y_true))
        coef = teacher.coef_
        self._classes = teacher.classes_
        # one weight row per class; binary models have one row, for the second class
        self._weights = np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1 else coef

    def label(self, request: LabelRequest | Any, model: Any = None, pool: Any = None) -> Answers:
        """The wrapped oracle's answers to ``request``, each with its rationale.

        ``model`` and ``pool`` as arguments are deprecated: put them in the request.
        """
        request = with_context(request, model, pool, type(self).__name__)
        answers = ask(self.oracle, request)
        rows = self._X[self._index.positions(answers.ids)]
        rows = rows.toarray() if sp.issparse(rows) else rows
        reasons = []
        for row, label in zip(rows, answers.labels):
            where = np.flatnonzero(self._classes == label)
            if len(where) == 0:
                reasons.append(None)
                continue
            push = row * self._weights[where[0]]
            order = np.argsort(-push, kind="stable")[: self.max_features]
            reasons.append([int(f) for f in order if push[f] > 0] or None)
        return replace(answers, rationales=reasons)


class RationaleWeighting(TrainingPolicy):
    """Fit on features re-weighted by each item's rationale (Sharma et al., 2015).

    Parameters
    ----------
    pool : Pool
        The loop's pool; rationales are read from its label log.
    rationale_weight, other_weight : float
        Scale of the rationale features and of every other feature, in items that have a
        rationale.
    vocabulary : mapping, optional
        ``{word or column name: feature index}``, for rationales given as words; for a
        DataFrame pool column names work without it.
    """

    def __init__(self, pool: Pool, rationale_weight: float = 1.0, other_weight: float = 0.01,
                 vocabulary: Mapping[Any, int] | None = None) -> None:
        self.pool = pool
        self.rationale_weight = rationale_weight
        self.other_weight = other_weight
        self.vocabulary = vocabulary

    def fit(self, model: Any, X: Any, y: np.ndarray) -> Any:
        ids = self.pool.labeled_ids
        if X.shape[0] != len(ids):
            raise ActiveLabError(
                f"RationaleWeighting fits the pool's {len(ids)} labeled items but got "
                f"{X.shape[0]} rows; combine it only with the loop's own labeled data"
            )
        model.fit(self.reweight(X, self.pool.rationales_of(ids)), y)
        return model

    def reweight(self, X: Any, rationales: Sequence[Any]) -> Any:
        """``X`` with each row that has a rationale scaled feature by feature."""
        columns = list(X.columns) if hasattr(X, "columns") else None
        names = self.vocabulary or ({c: i for i, c in enumerate(columns)} if columns else {})
        values = X.to_numpy(dtype=float) if columns is not None else X
        n_features = values.shape[1]
        row_scale = np.ones(values.shape[0])
        cells_rows, cells_cols = [], []
        for row, reason in enumerate(rationales):
            if not reason:
                continue
            row_scale[row] = self.other_weight
            for feature in reason:
                index = names.get(feature, feature) if names else feature
                if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)) \
                        or not 0 <= index < n_features:
                    raise ActiveLabError(
                        f"rationale feature {feature!r} is not a feature index (0..{n_features - 1})"
                        "; for words or column names pass vocabulary={name: index}"
                    )
                cells_rows.append(row)
                cells_cols.append(int(index))
        rows, cols = np.array(cells_rows, dtype=np.intp), np.array(cells_cols, dtype=np.intp)
        # rows scaled by other_weight, then the rationale cells raised to rationale_weight
        if sp.issparse(values):
            weighted = sp.csr_matrix(sp.diags(row_scale) @ values)
            original = np.asarray(values[rows, cols]).ravel()
            extra = sp.csr_matrix(((self.rationale_weight - self.other_weight) * original,
                                   (rows, cols)), shape=values.shape)
            weighted = sp.csr_matrix(weighted + extra)
        else:
            values = np.asarray(values, dtype=float)
            weighted = values * row_scale[:, None]
            weighted[rows, cols] = self.rationale_weight * values[rows, cols]
        if columns is not None:
            import pandas as pd

            return pd.DataFrame(weighted, columns=columns, index=X.index)
        return weighted
