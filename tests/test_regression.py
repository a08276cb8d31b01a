"""Regression strategies against references computed independently in the test."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import raises_user_error
from sklearn.datasets import make_regression
from sklearn.ensemble import BaggingClassifier, BaggingRegressor, RandomForestRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, WhiteKernel
from sklearn.linear_model import BayesianRidge, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activelab import Pool, strategies
from activelab.strategies.regression import EMCM, CommitteeVariance, PredictiveStd
from activelab.testing import check_strategy


def regression_pool(n: int = 80, n_labeled: int = 15, seed: int = 0) -> tuple[Pool, np.ndarray]:
    X, y = make_regression(n_samples=n, n_features=5, noise=3.0, random_state=seed)
    pool = Pool(X)
    pool.add_labels(np.arange(n_labeled), y[:n_labeled])
    return pool, X


def all_scores(strategy: Any, model: Any, pool: Pool, seed: int = 0) -> dict[int, float]:
    """Every unlabeled id's score, by asking for the whole pool."""
    query = strategy.query(model, pool, pool.n_unlabeled, random_state=seed)
    return dict(zip(query.ids.tolist(), query.scores.tolist()))


def assert_scores(got: dict[int, float], ids: np.ndarray, expected: np.ndarray) -> None:
    assert sorted(got) == sorted(ids.tolist())
    np.testing.assert_allclose([got[i] for i in ids.tolist()], expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls", [CommitteeVariance, PredictiveStd, EMCM])
def test_contract(cls: type) -> None:
    check_strategy(cls())


def test_registered_names() -> None:
    assert isinstance(strategies.get("qbc_variance"), CommitteeVariance)
    assert isinstance(strategies.get("predictive_std"), PredictiveStd)
    assert isinstance(strategies.get("emcm"), EMCM)


# --- committee variance ------------------------------------------------------------------


def test_committee_variance_with_feature_subsets_matches_hand_computed_variance() -> None:
    pool, X = regression_pool()
    model = BaggingRegressor(Ridge(), n_estimators=6, max_features=3, bootstrap_features=False,
                             random_state=1).fit(*pool.labeled_data())
    subsets = [tuple(f) for f in model.estimators_features_]
    assert len(set(subsets)) > 1 and all(len(f) == 3 for f in subsets)  # really subsets
    ids = pool.unlabeled_ids
    predictions = np.array([
        [member.predict(X[[i]][:, features])[0] for member, features
         in zip(model.estimators_, model.estimators_features_)]
        for i in ids
    ])
    expected = np.array([np.var(row) for row in predictions])
    assert_scores(all_scores(CommitteeVariance(), model, pool), ids, expected)


def test_committee_variance_of_a_forest_is_the_variance_of_its_trees() -> None:
    pool, X = regression_pool()
    model = RandomForestRegressor(n_estimators=7, random_state=0).fit(*pool.labeled_data())
    ids = pool.unlabeled_ids
    trees = np.column_stack([tree.predict(X[ids]) for tree in model.estimators_])
    mean = trees.sum(axis=1) / trees.shape[1]
    expected = ((trees - mean[:, None]) ** 2).sum(axis=1) / trees.shape[1]
    assert_scores(all_scores(CommitteeVariance(), model, pool), ids, expected)


def test_committee_variance_through_a_pipeline() -> None:
    pool, X = regression_pool()
    model = make_pipeline(StandardScaler(), BaggingRegressor(Ridge(), n_estimators=4,
                                                             random_state=0))
    model.fit(*pool.labeled_data())
    ids = pool.unlabeled_ids
    scaled = model[0].transform(X[ids])
    members = model[-1].estimators_
    trees = np.column_stack([m.predict(scaled[:, f]) for m, f in
                             zip(members, model[-1].estimators_features_)])
    assert_scores(all_scores(CommitteeVariance(), model, pool), ids, trees.var(axis=1))


def test_committee_variance_refuses_a_model_without_members() -> None:
    pool, _ = regression_pool()
    with raises_user_error(r"qbc_variance needs a fitted ensemble regressor .*got Ridge"):
        CommitteeVariance().query(Ridge().fit(*pool.labeled_data()), pool, 3)


def test_committee_variance_refuses_a_classifier_committee() -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    pool = Pool(X)
    pool.add_labels(np.arange(10), np.arange(10) % 2)
    model = BaggingClassifier(LogisticRegression(), n_estimators=3, random_state=0)
    model.fit(*pool.labeled_data())
    with raises_user_error("BaggingClassifier is a classifier"):
        CommitteeVariance().query(model, pool, 3)


# --- predictive std ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: GaussianProcessRegressor(RBF(10.0) + WhiteKernel(0.1), normalize_y=True,
                                         optimizer=None),
        lambda: make_pipeline(StandardScaler(), BayesianRidge()),
    ],
    ids=["gp", "pipeline-bayesian-ridge"],
)
def test_predictive_std_is_the_models_own_std(make: Any) -> None:
    pool, X = regression_pool()
    model = make().fit(*pool.labeled_data())
    ids = pool.unlabeled_ids
    _, std = model.predict(X[ids], return_std=True)
    assert_scores(all_scores(PredictiveStd(), model, pool), ids, std)


def test_predictive_std_refuses_a_model_without_return_std() -> None:
    pool, _ = regression_pool()
    model = make_pipeline(StandardScaler(), Ridge()).fit(*pool.labeled_data())
    with raises_user_error(r"predict\(X, return_std=True\).*got Ridge"):
        PredictiveStd().query(model, pool, 3)


# --- EMCM ----------------------------------------------------------------------------------


class RecordingRidge(Ridge):
    """Ridge that remembers every training set it was fit on (clones share the list)."""

    fits: list[tuple[np.ndarray, np.ndarray]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RecordingRidge:
        RecordingRidge.fits.append((np.array(X), np.array(y)))
        return super().fit(X, y, sample_weight)


def naive_emcm(f: Ridge, members: list[Any], X: np.ndarray) -> np.ndarray:
    """(1/K) sum_k ||(f(x) - f_k(x)) x||, one item and one member at a time."""
    scores = []
    for x in X:
        total = 0.0
        for member in members:
            gap = f.predict(x[None, :])[0] - member.predict(x[None, :])[0]
            total += np.sqrt(np.sum((gap * x) ** 2))
        scores.append(total / len(members))
    return np.array(scores)


def test_emcm_bootstrap_members_match_a_naive_loop() -> None:
    pool, X = regression_pool()
    X_lab, y_lab = pool.labeled_data()
    model = RecordingRidge(alpha=0.5).fit(X_lab, y_lab)
    RecordingRidge.fits = []
    got = all_scores(EMCM(n_members=5), model, pool, seed=3)
    fits = RecordingRidge.fits
    assert len(fits) == 5
    labeled_rows = {tuple(row) for row in X_lab}
    members = []
    for X_boot, y_boot in fits:
        assert len(X_boot) == len(X_lab)  # a bootstrap resample of the labeled items
        assert {tuple(row) for row in X_boot} <= labeled_rows
        assert len({tuple(row) for row in X_boot}) < len(X_lab)  # drawn with replacement
        members.append(Ridge(alpha=0.5).fit(X_boot, y_boot))
    assert len({X_boot.tobytes() for X_boot, _ in fits}) == 5
    ids = pool.unlabeled_ids
    assert_scores(got, ids, naive_emcm(model, members, X[ids]))


def test_emcm_is_seeded() -> None:
    pool, _ = regression_pool()
    model = Ridge().fit(*pool.labeled_data())
    first = EMCM().query(model, pool, 10, random_state=4)
    again = EMCM().query(model, pool, 10, random_state=4)
    other = EMCM().query(model, pool, 10, random_state=5)
    np.testing.assert_array_equal(first.ids, again.ids)
    np.testing.assert_array_equal(first.scores, again.scores)
    assert not np.array_equal(first.scores, other.scores)


def test_emcm_reads_the_members_of_a_bagged_linear_model() -> None:
    pool, X = regression_pool()
    model = BaggingRegressor(Ridge(), n_estimators=4, random_state=2).fit(*pool.labeled_data())
    assert all(len(f) == X.shape[1] for f in model.estimators_features_)
    ids = pool.unlabeled_ids
    got = all_scores(EMCM(n_members=99), model, pool)
    assert_scores(got, ids, naive_emcm(model, model.estimators_, X[ids]))


def test_emcm_uses_the_features_a_pipeline_feeds_its_linear_model() -> None:
    pool, X = regression_pool()
    X_lab, y_lab = pool.labeled_data()
    model = BaggingRegressor(Ridge(), n_estimators=3, random_state=0)
    pipeline = make_pipeline(StandardScaler(), model).fit(X_lab, y_lab)
    ids = pool.unlabeled_ids
    scaled = pipeline[0].transform(X[ids])
    expected = []
    for x in scaled:
        f = pipeline[-1].predict(x[None, :])[0]
        gaps = [abs(f - m.predict(x[None, :])[0]) * np.linalg.norm(x)
                for m in pipeline[-1].estimators_]
        expected.append(np.mean(gaps))
    assert_scores(all_scores(EMCM(), pipeline, pool), ids, np.array(expected))


def test_emcm_refuses_a_classifier_and_a_bad_member_count() -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    pool = Pool(X)
    pool.add_labels(np.arange(10), np.arange(10) % 2)
    with raises_user_error("emcm needs a fitted regressor.*got LogisticRegression"):
        EMCM().query(LogisticRegression().fit(*pool.labeled_data()), pool, 3)
    regression, _ = regression_pool()
    ridge = Ridge().fit(*regression.labeled_data())
    with raises_user_error("n_members must be"):
        EMCM(n_members=0).query(ridge, regression, 3)


def test_gsy_and_emcm_share_one_prediction_per_round():
    from sklearn.linear_model import Ridge

    from activelab import ModelOutputs, Pool
    from activelab.strategies import EMCM, GreedySamplingY

    calls = []

    class CountingRidge(Ridge):
        def predict(self, X):
            calls.append(len(X))
            return super().predict(X)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    pool = Pool(X)
    pool.add_labels(range(10), X[:10, 0])
    model = CountingRidge().fit(*pool.labeled_data())
    outputs = ModelOutputs(model, pool)
    GreedySamplingY().query(model, pool, 3, random_state=0, outputs=outputs)
    EMCM().query(model, pool, 3, random_state=0, outputs=outputs)
    # one shared prediction for both strategies, plus one per EMCM bootstrap clone (4)
    assert calls == [40] * 5
