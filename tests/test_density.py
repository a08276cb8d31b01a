"""Density strategies against brute-force all-pairs references written out here."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import raises_user_error
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelab import ModelOutputs, Pool, strategies
from activelab.strategies import density
from activelab.strategies.density import (
    GraphDensity,
    InformationDensity,
    fixed_sample,
    mean_cosine_similarity,
    mean_euclidean_similarity,
)
from activelab.testing import check_strategy


def brute_mean_cosine(X):
    n = len(X)
    total = np.zeros(n)
    for i in range(n):
        for j in range(n):
            ni, nj = np.linalg.norm(X[i]), np.linalg.norm(X[j])
            total[i] += 0.0 if ni == 0 or nj == 0 else X[i] @ X[j] / (ni * nj)
    return total / n


def brute_mean_euclidean(X, R):
    return np.array([np.mean([1 / (1 + np.linalg.norm(x - r)) for r in R]) for x in X])


def brute_entropy(P):
    return np.array([-sum(p * math.log(p) for p in row if p > 0) for row in P])


@pytest.fixture
def nonnegative():
    rng = np.random.default_rng(3)
    X = rng.poisson(1.0, size=(40, 7)).astype(float)
    X[5] = 0.0
    return X


def test_closed_form_cosine_mean_equals_the_all_pairs_mean(nonnegative):
    mixed = np.random.default_rng(4).normal(size=(30, 5))
    for X in (nonnegative, mixed):
        expected = brute_mean_cosine(X)
        assert np.allclose(mean_cosine_similarity(X), expected)
        assert np.allclose(mean_cosine_similarity(sp.csr_matrix(X)), expected)


def test_euclidean_mean_in_blocks_equals_brute_force(nonnegative, monkeypatch):
    X, R = nonnegative, nonnegative[::3]
    expected = brute_mean_euclidean(X, R)
    monkeypatch.setattr(density, "_BLOCK_CELLS", 25)
    assert np.allclose(mean_euclidean_similarity(X, R), expected)
    assert np.allclose(mean_euclidean_similarity(sp.csr_matrix(X), sp.csr_matrix(R)), expected)


def _fitted_pool(X, y, labeled, ids=None):
    pool = Pool(X, ids=ids)
    pool.add_labels(np.asarray(pool.ids)[labeled], y[labeled])
    return LogisticRegression(max_iter=500).fit(*pool.labeled_data()), pool


def _ranking(ids, scores, k):
    return [i for _, i in sorted(zip(-np.asarray(scores), ids))][:k]


@pytest.mark.parametrize("sparse", [False, True])
def test_information_density_is_entropy_times_the_brute_force_mean_cosine(sparse):
    X, y = make_classification(n_samples=60, n_features=5, n_informative=3, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, random_state=0)
    X = np.abs(X)
    labeled = np.concatenate([np.flatnonzero(y == c)[:2] for c in range(3)])
    model, pool = _fitted_pool(sp.csr_matrix(X) if sparse else X, y, labeled)
    unlabeled = pool.unlabeled_ids
    expected = brute_entropy(model.predict_proba(X[unlabeled])) * brute_mean_cosine(
        X[unlabeled]
    ) ** 2.0
    strategy = InformationDensity(beta=2.0)
    scores = strategy.score(ModelOutputs(model, pool), np.random.default_rng(0))
    assert np.allclose(scores, expected)
    assert strategy.query(model, pool, 8).ids.tolist() == _ranking(unlabeled, expected, 8)


def test_margin_uncertainty_is_one_minus_the_gap_and_negative_means_count_zero():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    y = (X[:, 0] > 0).astype(int)
    model, pool = _fitted_pool(X, y, np.arange(8))
    unlabeled = pool.unlabeled_ids
    proba = np.sort(model.predict_proba(X[unlabeled]), axis=1)
    mean_cos = brute_mean_cosine(X[unlabeled])
    assert (mean_cos < 0).any()
    expected = (1 - (proba[:, -1] - proba[:, -2])) * np.maximum(mean_cos, 0)
    scores = InformationDensity(uncertainty="margin").score(
        ModelOutputs(model, pool), np.random.default_rng(0)
    )
    assert np.allclose(scores, expected)


def test_euclidean_density_with_every_item_as_reference_is_the_all_pairs_mean(nonnegative):
    pool = Pool(nonnegative)
    outputs = ModelOutputs(None, pool)
    strategy = InformationDensity(uncertainty=None, similarity="euclidean", n_reference=40)
    expected = brute_mean_euclidean(nonnegative, nonnegative)
    assert np.allclose(strategy.score(outputs, np.random.default_rng(0)), expected)


def test_euclidean_reference_sample_ignores_the_order_of_candidates(nonnegative):
    ids = np.arange(100, 140)
    shuffled = np.random.default_rng(2).permutation(ids)
    sample = fixed_sample(ids, 7)
    assert len(sample) == 7 and len(set(sample.tolist())) == 7
    assert sorted(ids[sample].tolist()) == sorted(shuffled[fixed_sample(shuffled, 7)].tolist())

    pool = Pool(nonnegative, ids=ids)
    strategy = InformationDensity(uncertainty=None, similarity="euclidean", n_reference=7)
    by_id = {}
    for order in (ids, shuffled):
        outputs = ModelOutputs(None, pool, ids=order)
        by_id[tuple(order)] = dict(zip(order.tolist(), strategy.score(outputs, None)))
    first, second = by_id.values()
    assert all(np.isclose(first[i], second[i]) for i in ids.tolist())
    reference = nonnegative[np.sort(ids[sample]) - 100]
    assert np.allclose([first[i] for i in ids.tolist()],
                       brute_mean_euclidean(nonnegative, reference))


def naive_graph_density(X, ids, k, batch):
    """RALF graph density and greedy batch on the full distance matrix."""
    n = len(X)
    D = np.array([[np.linalg.norm(a - b) for b in X] for a in X])
    P = np.zeros((n, n), dtype=bool)
    knn_distances = []
    for i in range(n):
        nearest = sorted((D[i, j], j) for j in range(n) if j != i)[:k]
        for d, j in nearest:
            P[i, j] = P[j, i] = True
            knn_distances.append(d)
    sigma = np.mean(knn_distances)
    W = np.where(P, np.exp(-(D**2) / (2 * sigma**2)), 0.0)
    start = W.sum(axis=1) / P.sum(axis=1)
    left = start.copy()
    picks, scores = [], []
    for _ in range(batch):
        best = max((i for i in range(n) if i not in picks), key=lambda i: (left[i], -ids[i]))
        value = left[best]
        for j in np.flatnonzero(P[best]):
            left[j] -= max(value, 0)
        left[best] = -np.inf
        picks.append(best)
        scores.append(value)
    return start, ids[picks], np.minimum.accumulate(scores)


def test_graph_density_matches_a_naive_dense_implementation():
    X = np.random.default_rng(5).normal(size=(60, 3))
    X[40:] += 4.0
    ids = np.random.default_rng(6).permutation(60) + 1000
    pool = Pool(X, ids=ids)
    start, expected_ids, expected_scores = naive_graph_density(X, ids, 6, 12)
    strategy = GraphDensity(n_neighbors=6)
    query = strategy.query(None, pool, 12)
    assert query.ids.tolist() == expected_ids.tolist()
    assert np.allclose(query.scores, expected_scores)
    assert np.allclose(strategy.score(ModelOutputs(None, pool), None), start)
    sparse_query = strategy.query(None, Pool(sp.csr_matrix(X), ids=ids), 12)
    assert sparse_query.ids.tolist() == expected_ids.tolist()


def test_graph_density_breaks_ties_by_id_and_spreads_the_batch():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 0.0]])
    query = GraphDensity(n_neighbors=1).query(None, Pool(X, ids=["d", "c", "b", "a"]), 4)
    assert query.ids.tolist() == ["a", "c", "b", "d"]
    assert np.allclose(query.scores, [np.exp(-0.5), np.exp(-0.5), 0.0, 0.0])


def test_registered_names_and_the_contract():
    assert isinstance(strategies.get("information_density"), InformationDensity)
    assert isinstance(strategies.get("graph-density"), GraphDensity)
    check_strategy(InformationDensity())
    check_strategy(InformationDensity(uncertainty="margin", similarity="euclidean", beta=0.5),
                   model_kinds=("proba",))
    check_strategy(GraphDensity())


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (InformationDensity(similarity="manhattan"), "similarity must be one of"),
        (InformationDensity(uncertainty="variance"), "uncertainty must be one of"),
        (InformationDensity(beta=-1.0), "beta must be a non-negative number"),
        (InformationDensity(n_reference=0, similarity="euclidean"), "n_reference must be"),
        (GraphDensity(n_neighbors=0), "n_neighbors must be at least 1"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(strategy, message):
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(int)
    model, pool = _fitted_pool(X, y, np.arange(6))
    with raises_user_error(message):
        strategy.query(model, pool, 3)


def test_graph_density_remembers_labeled_regions_like_a_naive_dense_reference():
    """Labeled items sit in the graph and discount their neighbours before any pick."""
    from activelab import ModelOutputs, Pool
    from activelab.strategies.density import GraphDensity

    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 2))
    labeled = np.array([3, 11, 12, 25, 30])
    pool = Pool(X)
    pool.add_labels(labeled, np.zeros(len(labeled), dtype=int))
    k_nn = 4

    d = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :k_nn]
    sigma = np.mean([d[i, j] for i in range(40) for j in nearest[i]])
    adjacency = np.zeros((40, 40), dtype=bool)
    for i in range(40):
        adjacency[i, nearest[i]] = True
    adjacency |= adjacency.T
    weight = np.where(adjacency, np.exp(-(d**2) / (2 * sigma**2)), 0.0)
    density = weight.sum(1) / adjacency.sum(1)

    def spend(row):
        if np.isfinite(density[row]):
            density[adjacency[row]] -= max(density[row], 0.0)
        density[row] = -np.inf

    for row in labeled:
        spend(row)
    expected = []
    for _ in range(6):
        pick = int(np.argmax(density))
        expected.append(pick)
        spend(pick)

    query = GraphDensity(n_neighbors=k_nn).query(None, pool, 6, outputs=ModelOutputs(None, pool))
    assert query.ids.tolist() == expected


def test_graph_density_faiss_and_numpy_backends_agree():
    pytest.importorskip("faiss")
    X = np.random.default_rng(7).normal(loc=30.0, size=(300, 6))
    pool = Pool(X, ids=np.random.default_rng(8).permutation(300))
    pool.add_labels(pool.ids[:5], np.zeros(5))
    a = GraphDensity(n_neighbors=8, backend="numpy").query(None, pool, 10)
    b = GraphDensity(n_neighbors=8, backend="faiss").query(None, pool, 10)
    assert a.ids.tolist() == b.ids.tolist()
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-9)
    numpy_graph = density.knn_graph(X, 8, backend="numpy")
    faiss_graph = density.knn_graph(X, 8, backend="faiss")
    assert np.array_equal(numpy_graph.indptr, faiss_graph.indptr)
    assert np.array_equal(numpy_graph.indices, faiss_graph.indices)
    np.testing.assert_allclose(numpy_graph.data, faiss_graph.data, rtol=1e-9)


def test_graph_density_refuses_an_unknown_backend():
    with raises_user_error("backend must be 'auto', 'numpy' or 'faiss'"):
        GraphDensity(backend="hnsw").query(None, Pool(np.zeros((5, 2))), 2)
