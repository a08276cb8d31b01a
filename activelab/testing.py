"""The strategy contract as a check, in the spirit of scikit-learn's ``check_estimator``.

>>> from activelab.strategies import MarginSampling
>>> from activelab.testing import check_strategy
>>> check_strategy(MarginSampling())

``check_strategy`` raises ``AssertionError`` naming the broken promise. Every strategy
that activelab ships passes it (``tests/test_strategy_contract.py``), and a user's own
strategy should too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

from .outputs import ModelOutputs
from .pool import Pool
from .strategies.base import Query, Strategy

__all__ = ["check_strategy"]

INPUT_KINDS = ("dense", "sparse", "dataframe")
MODEL_KINDS = ("proba", "decision")


def _classification_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=150, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
        n_clusters_per_class=1, random_state=seed,
    )


def _as_input(X: np.ndarray, kind: str) -> Any:
    if kind == "sparse":
        return sp.csr_matrix(X)
    if kind == "dataframe":
        import pandas as pd

        return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    return X


def _model(kind: str) -> Any:
    """A model that counts its fits, so a strategy that refits it is caught."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    base = LogisticRegression if kind == "proba" else LinearSVC

    class FitCounting(base):  # type: ignore[misc, valid-type]
        n_fits = 0

        def fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
            type(self).n_fits += 1
            return super().fit(X, y, **kwargs)

    return FitCounting()


def _scenarios(model_kinds: tuple[str, ...]) -> Iterator[tuple[str, str, Pool, Any]]:
    X, y = _classification_data()
    ids = np.array([f"item-{i:03d}" for i in range(len(X))])[::-1].copy()
    labeled = np.concatenate([np.flatnonzero(y == c)[:3] for c in np.unique(y)])
    for input_kind in INPUT_KINDS:
        for model_kind in model_kinds:
            pool = Pool(_as_input(X, input_kind), ids=ids)
            pool.add_labels(ids[labeled], y[labeled])
            model = _model(model_kind)
            model.fit(*pool.labeled_data())
            yield input_kind, model_kind, pool, model


def _fingerprint(model: Any) -> list[np.ndarray]:
    return [np.array(getattr(model, a), copy=True) for a in ("coef_", "intercept_")]


def check_strategy(
    strategy: Strategy,
    model_kinds: tuple[str, ...] = MODEL_KINDS,
    batch_size: int = 7,
) -> None:
    """Assert that ``strategy`` keeps the query contract.

    It checks, on dense, sparse and DataFrame pools with string ids, and with a
    ``predict_proba`` model and a ``decision_function``-only model (``model_kinds``):
    the ids are unlabeled pool ids, unique, ``batch_size`` long (all that is left when
    fewer remain), identical under the same ``random_state``, with one finite score each
    sorted from high to low; the model is not refit; shared ``ModelOutputs`` give the
    same answer as none; and given ``ModelOutputs`` over a subset of candidates, the ids
    come from that subset.
    """
    assert isinstance(strategy, Strategy), "a strategy must subclass activelab.strategies.Strategy"
    for input_kind, model_kind, pool, model in _scenarios(model_kinds):
        where = f"[{type(strategy).__name__}, {input_kind} pool, {model_kind} model]"
        fits_before, params_before = type(model).n_fits, _fingerprint(model)

        def ask(k: int, seed: Any = 0, outputs: ModelOutputs | None = None,
                pool: Pool = pool, model: Any = model) -> Query:
            return strategy.query(model, pool, k, random_state=seed, outputs=outputs)

        query = ask(batch_size)
        _check_query(query, pool, batch_size, where)
        again = ask(batch_size)
        assert np.array_equal(query.ids, again.ids), f"{where} the same random_state gave other ids"
        shared = ask(batch_size, outputs=ModelOutputs(model, pool))
        assert np.array_equal(query.ids, shared.ids), (
            f"{where} shared ModelOutputs gave other ids than computing them afresh"
        )
        subset = pool.unlabeled_ids[::3]
        inside = ask(batch_size, outputs=ModelOutputs(model, pool, ids=subset))
        _check_query(inside, pool, min(batch_size, len(subset)), where)
        assert np.isin(inside.ids, subset).all(), (
            f"{where} ids must come from the candidates in outputs.ids"
        )
        rest = pool.n_unlabeled
        everything = ask(rest + 5)
        _check_query(everything, pool, rest, where)
        assert type(model).n_fits == fits_before, f"{where} the strategy refit the caller's model"
        for before, after in zip(params_before, _fingerprint(model)):
            assert np.array_equal(before, after), f"{where} the strategy changed the model"


def _check_query(query: Any, pool: Pool, expected: int, where: str) -> None:
    assert isinstance(query, Query), f"{where} query() must return a Query, got {type(query)}"
    ids, scores = np.asarray(query.ids), np.asarray(query.scores, dtype=float)
    assert len(ids) == min(expected, pool.n_unlabeled), (
        f"{where} asked for {expected} ids, got {len(ids)} ({pool.n_unlabeled} unlabeled)"
    )
    assert len(set(ids.tolist())) == len(ids), f"{where} the ids are not unique"
    known = set(pool.ids.tolist())
    unknown = [i for i in ids.tolist() if i not in known]
    assert not unknown, f"{where} ids {unknown[:3]} are not pool ids (positions instead of ids?)"
    assert not pool.is_labeled(ids).any(), f"{where} a returned id is already labeled"
    assert scores.shape == ids.shape, f"{where} there must be one score per id"
    assert np.isfinite(scores).all(), f"{where} the scores must be finite"
    assert np.all(np.diff(scores) <= 0), f"{where} the scores must be sorted, highest first"


