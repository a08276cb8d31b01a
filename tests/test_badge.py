"""BADGE against gradient embeddings materialised here, and its memory promise."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import raises_user_error
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activelab import ModelOutputs, Pool, strategies
from activelab.strategies.badge import (
    BADGE,
    gradient_inputs,
    gradient_parts,
    gradient_sq_distances,
    gradient_sq_norms,
)
from activelab.testing import check_strategy


def problem(n=80, d=5, classes=3, sparse=False, seed=0):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=min(d, 4),
                               n_redundant=0, n_classes=classes, n_clusters_per_class=1,
                               random_state=seed)
    ids = np.random.default_rng(seed).permutation(n) * 3 + 7
    pool = Pool(sp.csr_matrix(X) if sparse else X, ids=ids)
    labeled = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(classes)])
    pool.add_labels(ids[labeled], y[labeled])
    model = LogisticRegression(max_iter=500).fit(*pool.labeled_data())
    return X, ids, pool, model


def materialised_embeddings(model, X_candidates):
    """g_x = (p - e_argmax) ⊗ [x, 1], one explicit row per candidate."""
    rows = []
    for p, x in zip(model.predict_proba(X_candidates), X_candidates):
        r = p.copy()
        r[np.argmax(p)] -= 1
        rows.append(np.kron(r, np.append(x, 1.0)))
    return np.array(rows)


def naive_kmeans_pp(G, ids, k, rng):
    n = len(G)
    norms = (G**2).sum(axis=1)
    first = max(range(n), key=lambda i: (norms[i], -ids[i]))
    picks, scores = [first], [norms[first]]
    in_id_order = sorted(range(n), key=lambda i: ids[i])
    while len(picks) < k:
        D2 = np.array([min(((G[i] - G[c]) ** 2).sum() for c in picks) for i in range(n)])
        D2[picks] = 0
        weights = [D2[i] for i in in_id_order]
        u = rng.random() * sum(weights)
        chosen = next(i for i, total in zip(in_id_order, np.cumsum(weights)) if total > u)
        picks.append(chosen)
        scores.append(D2[chosen])
    return ids[picks], np.minimum.accumulate(scores)


@pytest.mark.parametrize("sparse", [False, True])
def test_implicit_distances_equal_distances_between_materialised_embeddings(sparse):
    X, ids, pool, model = problem(sparse=sparse)
    outputs = ModelOutputs(model, pool)
    G = materialised_embeddings(model, X[pool.positions(outputs.ids)])
    residual, inputs = gradient_parts(outputs)
    norms = gradient_sq_norms(residual, inputs)
    assert np.allclose(norms, (G**2).sum(axis=1))
    for i in (0, 17, len(G) - 1):
        assert np.allclose(gradient_sq_distances(residual, inputs, norms, i),
                           ((G - G[i]) ** 2).sum(axis=1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_picks_equal_naive_kmeans_pp_on_the_materialised_matrix(seed):
    X, ids, pool, model = problem(seed=seed)
    unlabeled = pool.unlabeled_ids
    G = materialised_embeddings(model, X[pool.positions(unlabeled)])
    expected_ids, expected_scores = naive_kmeans_pp(G, unlabeled, 10,
                                                    np.random.default_rng(seed + 40))
    query = BADGE().query(model, pool, 10, random_state=seed + 40)
    assert query.ids.tolist() == expected_ids.tolist()
    assert np.allclose(query.scores, expected_scores)
    assert query.ids[0] == unlabeled[np.argmax((G**2).sum(axis=1))]


def test_no_candidates_by_classes_times_dim_array_is_built():
    n, d, classes, per_row = 2000, 20000, 10, 40
    rng = np.random.default_rng(0)
    columns = np.sort(rng.integers(d, size=(n, per_row)), axis=1).ravel()
    X = sp.csr_matrix((rng.random(n * per_row), columns, np.arange(0, n * per_row + 1, per_row)),
                      shape=(n, d))
    pool = Pool(X)
    pool.add_labels([0, 1], [0, 1])
    model = LogisticRegression()
    model.classes_, model.n_features_in_ = np.arange(classes), d
    model.coef_, model.intercept_ = rng.normal(size=(classes, d)), np.zeros(classes)
    outputs = ModelOutputs(model, pool)
    outputs.proba()
    outputs.features()
    tracemalloc.start()
    try:
        query = BADGE().query(model, pool, 20, random_state=0, outputs=outputs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    materialised = (n - 2) * classes * (d + 1) * 8
    assert len(query.ids) == 20
    assert peak < 16 * 2**20 < materialised / 100


def test_a_pipeline_feeds_its_transformed_items_and_embed_wins():
    X, ids, pool, _ = problem()
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(*pool.labeled_data())
    outputs = ModelOutputs(pipeline, pool)
    expected = pipeline[:-1].transform(X[pool.positions(outputs.ids)])
    assert np.allclose(gradient_inputs(outputs), expected)
    assert len(BADGE().query(pipeline, pool, 4, random_state=0).ids) == 4

    class Embedded(LogisticRegression):
        def embed(self, items):
            return np.asarray(items)[:, :2] * 10

    model = Embedded().fit(*pool.labeled_data())
    outputs = ModelOutputs(model, pool)
    assert np.allclose(gradient_inputs(outputs), X[pool.positions(outputs.ids), :2] * 10)


def test_duplicate_gradients_fall_back_to_the_smallest_id_left():
    X = np.array([[0.0], [0.0], [0.0], [5.0]])
    pool = Pool(X, ids=[40, 30, 20, 10])
    pool.add_labels([10], [1])
    model = LogisticRegression().fit(np.array([[-1.0], [1.0]]), [0, 1])
    query = BADGE().query(model, pool, 3, random_state=0)
    assert query.ids.tolist() == [20, 30, 40]
    assert query.scores[1:].tolist() == [0.0, 0.0]


def test_registered_and_keeps_the_contract():
    assert isinstance(strategies.get("badge"), BADGE)
    check_strategy(BADGE())


def test_a_model_without_probabilities_or_decisions_is_refused():
    from sklearn.linear_model import Ridge

    X, ids, pool, _ = problem()
    model = Ridge().fit(*pool.labeled_data())
    with raises_user_error("Ridge has no decision_function"):
        BADGE().query(model, pool, 3)
