"""The strategy contract as a check, in the spirit of scikit-learn's ``check_estimator``.

>>> from activelab.strategies import MarginSampling
>>> from activelab.testing import check_strategy
>>> check_strategy(MarginSampling())

``check_strategy`` raises ``AssertionError`` naming the broken promise. Every strategy
that activelab ships passes it (``tests/test_strategy_contract.py``), and a user's own
strategy should too. A strategy says which kinds of model it works with in its
``contract_models`` class attribute (names from :data:`MODEL_KINDS`); the check runs it
with each of them, on dense, sparse and DataFrame pools with string ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp

from .outputs import ModelOutputs
from .pool import Pool
from .strategies.base import Query, Strategy

__all__ = ["MODEL_KINDS", "check_strategy", "contract_data"]

INPUT_KINDS = ("dense", "sparse", "dataframe")


def _logistic() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression()


def _linear_svc() -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC()


def _bagged_logistic() -> Any:
    from sklearn.ensemble import BaggingClassifier
    from sklearn.linear_model import LogisticRegression

    return BaggingClassifier(LogisticRegression(), n_estimators=5, random_state=0)


def _ridge() -> Any:
    from sklearn.linear_model import Ridge

    return Ridge()


def _dense(X: Any) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X)


def _bayesian_ridge() -> Any:
    """``predict(X, return_std=True)`` works through the pipeline; it needs dense input."""
    from sklearn.linear_model import BayesianRidge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(FunctionTransformer(_dense, accept_sparse=True), BayesianRidge())


def _bagged_ridge() -> Any:
    from sklearn.ensemble import BaggingRegressor
    from sklearn.linear_model import Ridge

    return BaggingRegressor(Ridge(), n_estimators=5, random_state=0)


def _one_vs_rest_logistic() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(LogisticRegression())


def _torch_classifier(**params: Any) -> Any:
    """A tiny :class:`activelab.models.TorchClassifier`; skips the calling test without torch."""
    try:
        from .models.torch_model import TorchClassifier
    except ImportError as err:
        import unittest

        raise unittest.SkipTest(
            f"torch is not installed ({err}): pip install 'activelab[torch]'"
        ) from err
    return TorchClassifier(hidden=(16,), epochs=15, mc_samples=8, random_state=0, **params)


def _mc_dropout() -> Any:
    return _torch_classifier()


def _learning_loss() -> Any:
    return _torch_classifier(loss_prediction=True)


#: kind -> (task of the data, factory of an unfitted model)
MODEL_KINDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "proba": ("classification", _logistic),
    "decision": ("classification", _linear_svc),
    "ensemble": ("classification", _bagged_logistic),
    "regressor": ("regression", _ridge),
    "regressor_std": ("regression", _bayesian_ridge),
    "ensemble_regressor": ("regression", _bagged_ridge),
    "multilabel": ("multilabel", _one_vs_rest_logistic),
    # PyTorch (the torch extra): MC-dropout samples, embed, augmented_proba, predict_loss
    "mc_dropout": ("classification", _mc_dropout),
    "augment": ("classification", _mc_dropout),
    "learning_loss": ("classification", _learning_loss),
}


def contract_data(task: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, y, initially_labeled_positions)`` for a task: 150 items, 6 features."""
    from sklearn.datasets import (
        make_classification,
        make_multilabel_classification,
        make_regression,
    )

    if task == "classification":
        X, y = make_classification(
            n_samples=150, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
            n_clusters_per_class=1, random_state=seed,
        )
        labeled = np.concatenate([np.flatnonzero(y == c)[:3] for c in np.unique(y)])
    elif task == "regression":
        X, y = make_regression(n_samples=150, n_features=6, noise=5.0, random_state=seed)
        labeled = np.arange(12)
    elif task == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=150, n_features=6, n_classes=4, random_state=seed, allow_unlabeled=False
        )
        labeled = np.arange(20)
    else:
        raise ValueError(f"unknown task {task!r}")
    return X.astype(float), y, labeled


def _as_input(X: np.ndarray, kind: str) -> Any:
    if kind == "sparse":
        return sp.csr_matrix(X)
    if kind == "dataframe":
        import pandas as pd

        return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    return X


def _count_fits(model: Any) -> Any:
    """Wrap ``fit`` and ``partial_fit`` so a strategy that refits the model is caught."""
    model.n_fits = 0
    for method in ("fit", "partial_fit"):
        original = getattr(model, method, None)
        if original is None:
            continue

        def counted(*args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            model.n_fits += 1
            return _original(*args, **kwargs)

        setattr(model, method, counted)
    return model


def _scenarios(model_kinds: tuple[str, ...]) -> Iterator[tuple[str, str, Pool, Any]]:
    for model_kind in model_kinds:
        if model_kind not in MODEL_KINDS:
            raise AssertionError(
                f"unknown model kind {model_kind!r} in contract_models; use {sorted(MODEL_KINDS)}"
            )
        task, factory = MODEL_KINDS[model_kind]
        X, y, labeled = contract_data(task)
        ids = np.array([f"item-{i:03d}" for i in range(len(X))])[::-1].copy()
        for input_kind in INPUT_KINDS:
            pool = Pool(_as_input(X, input_kind), ids=ids)
            pool.add_labels(ids[labeled], y[labeled])
            model = factory()
            model.fit(*pool.labeled_data())
            yield input_kind, model_kind, pool, _count_fits(model)


def check_strategy(
    strategy: Strategy,
    model_kinds: tuple[str, ...] | None = None,
    batch_size: int = 7,
) -> None:
    """Assert that ``strategy`` keeps the query contract.

    With every model kind in ``model_kinds`` (default: the strategy's
    ``contract_models``) and on dense, sparse and DataFrame pools with string ids, it
    checks: the ids are unlabeled pool ids, unique, ``batch_size`` long (all that is left
    when fewer remain), identical under the same ``random_state``, with one finite score
    each sorted from high to low; the model is not refit; shared ``ModelOutputs`` give
    the same answer as none; and given ``ModelOutputs`` over a subset of candidates, the
    ids come from that subset.
    """
    assert isinstance(strategy, Strategy), "a strategy must subclass activelab.strategies.Strategy"
    kinds = model_kinds if model_kinds is not None else type(strategy).contract_models
    for input_kind, model_kind, pool, model in _scenarios(tuple(kinds)):
        where = f"[{type(strategy).__name__}, {input_kind} pool, {model_kind} model]"

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
        assert model.n_fits == 0, f"{where} the strategy refit the caller's model"


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
