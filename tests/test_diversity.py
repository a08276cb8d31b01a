"""Diversity selectors and strategies against naive re-implementations written out here."""

import math

import numpy as np
import pytest
from conftest import raises_user_error
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.datasets import load_iris, make_blobs, make_regression
from sklearn.linear_model import LogisticRegression, Ridge

from activelab import ModelOutputs, Pool, strategies
from activelab.selection import (
    ClusterMarginSelector,
    KCenterGreedy,
    KMeansSelector,
    RankedBatch,
    StochasticTopK,
    neighbors,
)
from activelab.strategies import MarginSampling, cold_start
from activelab.strategies import diversity as div
from activelab.testing import check_strategy

REGISTERED = {
    "coreset": div.CoreSet,
    "gsx": div.GreedySamplingX,
    "gsy": div.GreedySamplingY,
    "igs": div.ImprovedGreedySampling,
    "kmeans": div.KMeansSampling,
    "cluster_stratified": div.ClusterStratified,
    "ranked_batch": div.RankedBatchSampling,
    "cluster_margin": div.ClusterMargin,
    "stochastic_margin": div.StochasticMargin,
    "typiclust": div.TypiClust,
    "probcover": div.ProbCover,
}


def pool_with(X, ids=None, labeled=(), labels=None):
    pool = Pool(X, ids=ids)
    if len(labeled):
        pool.add_labels(labeled, labels if labels is not None else np.zeros(len(labeled)))
    return pool


def rows_of(X, pool, ids):
    return [np.asarray(X[p], dtype=float) for p in pool.positions(ids)]


# ---- k-center greedy -------------------------------------------------------------------------


def brute_force_k_center(points, centres, ids, k, first_scores):
    """All-pairs farthest-first traversal; ties to the smaller id."""
    centres = list(centres)
    chosen, scores = [], []
    for _ in range(k):
        best = None
        for j, x in enumerate(points):
            if j in chosen:
                continue
            if centres:
                key = (min(math.dist(x, c) for c in centres), -ids[j])
            else:
                key = (first_scores[j], -ids[j])
            if best is None or key > best[0]:
                best = (key, j)
        chosen.append(best[1])
        scores.append(best[0][0] if centres else None)
        centres.append(points[best[1]])
    if scores and scores[0] is None:
        scores[0] = scores[1] if len(scores) > 1 else 0.0
    return [ids[j] for j in chosen], scores


@pytest.mark.parametrize("n_labeled", [5, 0])
def test_k_center_matches_an_all_pairs_brute_force_with_ties_broken_by_id(n_labeled):
    rng = np.random.default_rng(3)
    X = rng.integers(0, 6, size=(200, 2)).astype(float)  # a grid: many exact ties and duplicates
    ids = rng.permutation(1000)[:200]
    pool = pool_with(X, ids=ids, labeled=ids[:n_labeled])
    outputs = ModelOutputs(None, pool)
    first_scores = rng.integers(0, 3, size=len(outputs)).astype(float)
    got, got_scores = KCenterGreedy().select(outputs, first_scores, 45, rng)
    want, want_scores = brute_force_k_center(
        rows_of(X, pool, outputs.ids), rows_of(X, pool, pool.labeled_ids),
        outputs.ids.tolist(), 45, first_scores,
    )
    assert got.tolist() == want
    assert np.allclose(got_scores, want_scores)
    assert want_scores[-1] == 0  # the tail is all ties at distance 0, broken by id


def test_k_center_works_in_bounded_blocks_and_chunking_does_not_change_the_answer(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    pool = pool_with(X, labeled=np.arange(40))
    outputs = ModelOutputs(None, pool)
    scores = np.zeros(len(outputs))
    whole = KCenterGreedy().select(outputs, scores, 20, rng)
    shapes = []
    original = neighbors._nearest_sq

    def recording(A, a_sq, B, b_sq, out=None):
        shapes.append((A.shape[0], B.shape[0]))
        return original(A, a_sq, B, b_sq, out)

    monkeypatch.setattr(neighbors, "_nearest_sq", recording)
    chunked = KCenterGreedy(chunk_size=16).select(outputs, scores, 20, rng)
    assert np.array_equal(whole[0], chunked[0])
    assert np.allclose(whole[1], chunked[1])
    # A block holds at most chunk_size ** 2 distances: tall blocks of rows, few centres.
    assert max(rows * cols for rows, cols in shapes) <= 16 * 16
    assert max(cols for _, cols in shapes) <= 16
    assert (256, 1) in shapes  # a greedy step covers 256 rows per matrix-vector product
    assert sum(rows for rows, cols in shapes if cols == 1) == 20 * 260


def test_k_center_ignores_the_order_of_the_candidates():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, size=(80, 2)).astype(float)
    pool = pool_with(X, labeled=[0, 1])
    forward = ModelOutputs(None, pool)
    backward = ModelOutputs(None, pool, ids=pool.unlabeled_ids[::-1])
    a = KCenterGreedy().select(forward, np.zeros(78), 30, rng)[0]
    b = KCenterGreedy().select(backward, np.zeros(78), 30, rng)[0]
    assert a.tolist() == b.tolist()


def test_k_center_works_on_sparse_embeddings_as_on_dense():
    import scipy.sparse as sp

    X = np.random.default_rng(2).integers(0, 3, size=(60, 5)).astype(float)
    dense, sparse = pool_with(X, labeled=[0, 1]), pool_with(sp.csr_matrix(X), labeled=[0, 1])
    a = KCenterGreedy().select(ModelOutputs(None, dense), np.zeros(58), 15, None)
    b = KCenterGreedy().select(ModelOutputs(None, sparse), np.zeros(58), 15, None)
    assert a[0].tolist() == b[0].tolist() and np.allclose(a[1], b[1])


# ---- ranked batch ----------------------------------------------------------------------------


def naive_ranked_batch(points, labeled, uncertainty, ids, k, alpha):
    u = (uncertainty - uncertainty.min()) / (uncertainty.max() - uncertainty.min())
    centres, chosen, values = list(labeled), [], []
    n, n_labeled = len(points), len(labeled)
    for step in range(k):
        a = alpha if alpha is not None else (n - step) / (n - step + n_labeled + step)
        best = None
        for j, x in enumerate(points):
            if j in chosen:
                continue
            similarity = 1 / (1 + min(math.dist(x, c) for c in centres)) if centres else 0.0
            key = (a * (1 - similarity) + (1 - a) * u[j], -ids[j])
            if best is None or key > best[0]:
                best = (key, j)
        chosen.append(best[1])
        values.append(best[0][0])
        centres.append(points[best[1]])
    return [ids[j] for j in chosen], np.minimum.accumulate(values)


@pytest.mark.parametrize(("alpha", "n_labeled"), [(None, 6), (0.3, 6), (None, 0)])
def test_ranked_batch_matches_a_naive_reimplementation(alpha, n_labeled):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 3))
    ids = rng.permutation(500)[:60]
    pool = pool_with(X, ids=ids, labeled=ids[:n_labeled])
    outputs = ModelOutputs(None, pool)
    uncertainty = rng.random(len(outputs))
    got, got_scores = RankedBatch(alpha=alpha).select(outputs, uncertainty, 12, rng)
    want, want_scores = naive_ranked_batch(
        rows_of(X, pool, outputs.ids), rows_of(X, pool, pool.labeled_ids), uncertainty,
        outputs.ids.tolist(), 12, alpha,
    )
    assert got.tolist() == want
    assert np.allclose(got_scores, want_scores, atol=1e-6)


# ---- stochastic top-k ------------------------------------------------------------------------


def first_pick_frequencies(selector, scores, n_seeds=4000):
    outputs = ModelOutputs(None, Pool(np.zeros((len(scores), 1)), ids=np.arange(10, 10 + len(scores))))
    counts = np.zeros(len(scores))
    for seed in range(n_seeds):
        ids, _ = selector.select(outputs, scores, 2, np.random.default_rng(seed))
        counts[ids[0] - 10] += 1
    return counts / n_seeds


SCORES = np.array([0.0, 0.5, 1.0, 1.5, 2.0])


@pytest.mark.parametrize(
    ("selector", "weights"),
    [
        (StochasticTopK("softmax", 1.0), np.exp(SCORES)),
        (StochasticTopK("softmax", 0.5), np.exp(SCORES / 0.5)),
        (StochasticTopK("power", 1.0), np.array([1e-300, 0.5, 1.0, 1.5, 2.0])),
        (StochasticTopK("softrank", 1.0), 1 / np.array([5, 4, 3, 2, 1])),
    ],
)
def test_gumbel_top_k_draws_the_first_item_with_the_right_probabilities(selector, weights):
    frequencies = first_pick_frequencies(selector, SCORES)
    assert np.abs(frequencies - weights / weights.sum()).max() < 0.025


def test_stochastic_top_k_is_deterministic_spreads_out_and_returns_sorted_keys():
    outputs = ModelOutputs(None, Pool(np.zeros((50, 1))))
    scores = np.linspace(0, 1, 50)
    selector = StochasticTopK(temperature=0.2)
    a = selector.select(outputs, scores, 10, np.random.default_rng(5))
    b = selector.select(outputs, scores, 10, np.random.default_rng(5))
    assert a[0].tolist() == b[0].tolist() and np.all(np.diff(a[1]) <= 0)
    assert a[0].tolist() != list(range(49, 39, -1))
    everything = selector.select(outputs, scores, 50, np.random.default_rng(5))[0]
    assert sorted(everything.tolist()) == list(range(50))


def test_stochastic_margin_is_margin_with_a_stochastic_selector():
    X, y = load_iris(return_X_y=True)
    pool = pool_with(X, labeled=[0, 50, 100], labels=y[[0, 50, 100]])
    model = LogisticRegression().fit(*pool.labeled_data())
    by_name = strategies.get("stochastic_margin").query(model, pool, 8, random_state=3)
    composed = MarginSampling(selector=StochasticTopK("softmax", 0.1)).query(
        model, pool, 8, random_state=3
    )
    assert by_name.ids.tolist() == composed.ids.tolist()


# ---- greedy sampling for regression ----------------------------------------------------------


def naive_greedy_sampling(x, f, x_lab, y_lab, ids, k, kind):
    chosen, values = [], []
    for _ in range(k):
        best = None
        for j in range(len(x)):
            if j in chosen:
                continue
            dx = min([math.dist(x[j], c) for c in x_lab] + [math.dist(x[j], x[c]) for c in chosen])
            dy = min([abs(f[j] - t) for t in y_lab] + [abs(f[j] - f[c]) for c in chosen])
            utility = {"gsx": dx, "gsy": dy, "igs": dx * dy}[kind]
            if best is None or (utility, -ids[j]) > best[0]:
                best = ((utility, -ids[j]), j)
        chosen.append(best[1])
        values.append(best[0][0])
    return [ids[j] for j in chosen], values


@pytest.mark.parametrize("kind", ["gsx", "gsy", "igs"])
def test_greedy_sampling_matches_the_formulas_of_wu_lin_and_huang(kind):
    X, y = make_regression(n_samples=25, n_features=2, noise=3.0, random_state=4)
    ids = np.arange(100, 125)[::-1].copy()
    pool = pool_with(X, ids=ids, labeled=ids[:4], labels=y[:4])
    model = Ridge().fit(*pool.labeled_data())
    outputs = ModelOutputs(model, pool)
    query = strategies.get(kind).query(model, pool, 8)
    x = rows_of(X, pool, outputs.ids)
    want, values = naive_greedy_sampling(
        x, model.predict(np.array(x)), rows_of(X, pool, pool.labeled_ids),
        pool.labels_of(pool.labeled_ids), outputs.ids.tolist(), 8, kind,
    )
    assert query.ids.tolist() == want
    assert np.allclose(query.scores, values, rtol=1e-4)


def test_gsx_starts_from_the_candidate_nearest_the_mean_when_nothing_is_labeled():
    X = np.array([[0.0, 0.0], [4.0, 0.0], [1.9, 0.1], [0.0, 4.0], [3.0, 3.0]])
    ids = div.GreedySamplingX().query(None, Pool(X), 3).ids
    assert ids[0] == 2
    assert ids[1] == 3


def test_gsy_refuses_class_labels():
    X, y = load_iris(return_X_y=True)
    pool = pool_with(X, labeled=[0, 50, 100], labels=np.array(["a", "b", "c"]))
    model = LogisticRegression().fit(*pool.labeled_data())
    with raises_user_error("numeric labels"):
        div.GreedySamplingY().query(model, pool, 3)


# ---- clusters --------------------------------------------------------------------------------


def test_k_means_selector_takes_the_item_nearest_each_blob_centre():
    X, blob = make_blobs(n_samples=90, centers=3, cluster_std=0.4, random_state=1)
    outputs = ModelOutputs(None, Pool(X))
    ids, _ = KMeansSelector().select(outputs, np.zeros(90), 3, np.random.default_rng(0))
    want = set()
    for b in range(3):
        members = np.flatnonzero(blob == b)
        centre = X[members].mean(axis=0)
        want.add(int(members[np.argmin(((X[members] - centre) ** 2).sum(axis=1))]))
    assert set(ids.tolist()) == want


def test_cluster_stratified_takes_one_random_item_per_blob_and_depends_on_the_seed():
    X, blob = make_blobs(n_samples=90, centers=3, cluster_std=0.4, random_state=1)
    pool = Pool(X)
    runs = [div.ClusterStratified().query(None, pool, 3, random_state=s).ids for s in range(4)]
    for ids in runs:
        assert sorted(blob[ids].tolist()) == [0, 1, 2]
    assert len({tuple(sorted(ids.tolist())) for ids in runs}) > 1
    again = div.ClusterStratified().query(None, pool, 3, random_state=2).ids
    assert again.tolist() == runs[2].tolist()


def naive_cluster_margin(points, scores, ids, k, factor):
    order = sorted(range(len(ids)), key=lambda j: (-scores[j], ids[j]))[: k * factor]
    clusters = fcluster(
        linkage(np.array([points[j] for j in order]), method="average"), k, criterion="maxclust"
    )
    groups = {}
    for rank, j in enumerate(order):
        groups.setdefault(clusters[rank], []).append(j)
    visit = sorted(groups.values(), key=lambda g: (len(g), order.index(g[0])))
    picked = []
    for turn in range(max(len(g) for g in visit)):
        picked += [g[turn] for g in visit if turn < len(g)]
    return [ids[j] for j in picked[:k]]


def test_cluster_margin_round_robins_over_average_linkage_clusters_smallest_first():
    X, _ = make_blobs(n_samples=200, centers=6, cluster_std=1.0, random_state=5)
    rng = np.random.default_rng(0)
    ids = rng.permutation(1000)[:200]
    outputs = ModelOutputs(None, Pool(X, ids=ids))
    scores = rng.random(200)
    got, got_scores = ClusterMarginSelector(shortlist_factor=4).select(outputs, scores, 9, rng)
    assert got.tolist() == naive_cluster_margin(list(X), scores, ids.tolist(), 9, 4)
    assert np.all(np.diff(got_scores) <= 0)


def brute_force_typicality(points, n_neighbors=20):
    typicality = []
    for x in points:
        distances = sorted(math.dist(x, other) for other in points)[1 : n_neighbors + 1]
        typicality.append(1 / np.mean(distances))
    return np.array(typicality)


def test_typiclust_cold_start_picks_the_most_typical_point_of_the_dense_blob():
    rng = np.random.default_rng(0)
    blob = rng.normal(0.0, 0.05, size=(40, 2))
    scattered = rng.uniform(-5, 5, size=(40, 2))
    X = np.vstack([scattered, blob])
    query = div.TypiClust().query(None, Pool(X), 1, random_state=0)
    want = int(np.argmax(brute_force_typicality(list(X))))
    assert want >= 40
    assert query.ids.tolist() == [want]


def test_typiclust_prefers_the_cluster_without_labels():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 0.3, size=(30, 2)), rng.normal(10, 0.3, size=(30, 2))])
    pool = pool_with(X, labeled=[0])
    query = div.TypiClust().query(None, pool, 1, random_state=0)
    second = list(X[30:])
    assert query.ids.tolist() == [30 + int(np.argmax(brute_force_typicality(second)))]


# ---- ProbCover -------------------------------------------------------------------------------


def brute_force_max_coverage(points, labeled, ids, delta, k):
    everyone = points + labeled
    balls = [{i for i, y in enumerate(everyone) if math.dist(x, y) <= delta} for x in everyone]
    covered = set().union(*[balls[len(points) + i] for i in range(len(labeled))])
    chosen, gains = [], []
    for _ in range(k):
        best = max(
            ((len(balls[j] - covered), -ids[j]), j) for j in range(len(points)) if j not in chosen
        )
        if best[0][0] == 0:
            break
        chosen.append(best[1])
        gains.append(best[0][0])
        covered |= balls[best[1]]
    return [ids[j] for j in chosen], gains


def test_probcover_matches_a_brute_force_greedy_max_coverage():
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(40, 2))
    ids = rng.permutation(100)[:40]
    pool = pool_with(X, ids=ids, labeled=ids[:3])
    outputs = ModelOutputs(None, pool)
    query = div.ProbCover(delta=0.2).query(None, pool, 6, random_state=0)
    want, gains = brute_force_max_coverage(
        rows_of(X, pool, outputs.ids), rows_of(X, pool, pool.labeled_ids),
        outputs.ids.tolist(), 0.2, 6,
    )
    assert len(want) == 6
    assert query.ids.tolist() == want
    assert query.scores.tolist() == gains


def coverage(X, chosen, delta):
    distances = np.linalg.norm(X[:, None, :] - X[chosen][None, :, :], axis=2)
    return (distances.min(axis=1) <= delta).mean()


def test_probcover_covers_more_of_clustered_data_than_random_sampling():
    X, _ = make_blobs(n_samples=300, centers=10, cluster_std=0.5, random_state=0)
    pool = Pool(X)
    chosen = div.ProbCover(delta=1.0).query(None, pool, 10, random_state=0).ids
    random_cover = [
        coverage(X, np.random.default_rng(s).choice(300, 10, replace=False), 1.0) for s in range(20)
    ]
    assert coverage(X, chosen, 1.0) > max(random_cover)


def test_probcover_fills_the_batch_at_random_once_everything_is_covered():
    X = np.array([[0.0], [0.1], [5.0], [5.1], [5.2]])
    query = div.ProbCover(delta=1.0).query(None, Pool(X), 4, random_state=0)
    assert query.ids[:2].tolist() == [2, 0]
    assert query.scores.tolist() == [3.0, 2.0, 0.0, 0.0]
    assert len(set(query.ids.tolist())) == 4


def test_probcover_default_radius_is_the_median_distance_to_the_tenth_neighbour():
    X = np.random.default_rng(0).normal(size=(100, 2))
    from sklearn.neighbors import NearestNeighbors

    tenth = NearestNeighbors(n_neighbors=11).fit(X).kneighbors(X)[0][:, -1]
    a = div.ProbCover().query(None, Pool(X), 5, random_state=0)
    b = div.ProbCover(delta=float(np.median(tenth))).query(None, Pool(X), 5, random_state=0)
    assert a.ids.tolist() == b.ids.tolist()


# ---- the contract, determinism, errors -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_registered_by_name_and_keeps_the_contract(name):
    strategy = strategies.get(name)
    assert type(strategy) is REGISTERED[name]
    kinds = type(strategy).contract_models
    if not type(strategy).needs_model:
        # The model is ignored; tests/test_strategy_contract.py runs every kind by name.
        kinds = ("decision", "regressor")
    check_strategy(strategy, model_kinds=kinds)


@pytest.mark.parametrize("name", ["coreset", "kmeans", "typiclust", "probcover", "cluster_stratified"])
def test_model_free_strategies_are_deterministic_and_work_from_a_cold_start(name):
    X, _ = make_blobs(n_samples=120, centers=4, random_state=2)
    pool = Pool(X, ids=[f"x{i:03d}" for i in range(120)])
    a = strategies.get(name).query(None, pool, 6, random_state=11)
    b = strategies.get(name).query(None, pool, 6, random_state=11)
    assert a.ids.tolist() == b.ids.tolist() and len(set(a.ids.tolist())) == 6


class LengthEmbedder:
    """A text 'model' whose embedding is the length of the text and its count of 'a'."""

    def embed(self, texts):
        return np.array([[len(t), t.count("a")] for t in texts], dtype=float)


TEXTS = ["a", "bb", "ccc", "dddd", "aaaaaaaaaa", "bbbbbbbbbbbb", "ab", "abc"]


@pytest.mark.parametrize("name", ["coreset", "typiclust", "probcover", "kmeans"])
def test_raw_texts_need_an_embed_method(name):
    pool = Pool(TEXTS)
    with raises_user_error("numeric features"):
        strategies.get(name).query(None, pool, 2, random_state=0)
    assert len(strategies.get(name).query(LengthEmbedder(), pool, 2, random_state=0)) == 2


def test_coreset_measures_distances_in_the_embedding_space():
    pool = pool_with(TEXTS, labeled=[0])
    assert strategies.get("coreset").query(LengthEmbedder(), pool, 1).ids.tolist() == [4]


@pytest.mark.parametrize(
    ("thing", "message"),
    [
        (StochasticTopK(mode="greedy"), "mode must be one of"),
        (StochasticTopK(temperature=0), "temperature must be a positive number"),
        (RankedBatch(alpha=2), "alpha must be None or a number"),
        (ClusterMarginSelector(shortlist_factor=0), "shortlist_factor must be at least 1"),
        (KMeansSelector(pick="middle"), "pick must be one of"),
    ],
)
def test_selectors_refuse_bad_parameters(thing, message):
    outputs = ModelOutputs(None, Pool(np.arange(10.0).reshape(-1, 1)))
    with raises_user_error(message):
        thing.select(outputs, np.zeros(10), 3, np.random.default_rng(0))


def test_probcover_refuses_a_bad_radius_and_gsy_needs_a_model():
    pool = Pool(np.arange(10.0).reshape(-1, 1))
    with raises_user_error("delta must be None or a positive number"):
        div.ProbCover(delta=-1.0).query(None, pool, 2)
    with raises_user_error("needs a fitted regressor"):
        div.GreedySamplingY().query(None, pool, 2)


# ---- nearest-neighbour backends --------------------------------------------------------------


@pytest.mark.parametrize("name", ["typiclust", "probcover"])
def test_faiss_and_numpy_backends_pick_the_same_items(name):
    pytest.importorskip("faiss")
    X, _ = make_blobs(n_samples=400, centers=6, n_features=5, random_state=1)
    X = X + 100.0  # far from the origin
    ids = np.random.default_rng(0).permutation(1000)[:400]
    pool = pool_with(X, ids=ids, labeled=ids[:7])
    a = REGISTERED[name](backend="numpy").query(None, pool, 8, random_state=0)
    b = REGISTERED[name](backend="faiss").query(None, pool, 8, random_state=0)
    assert a.ids.tolist() == b.ids.tolist()
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-9)


@pytest.mark.parametrize("delta", [1.0, 1.5])
def test_faiss_radius_graph_equals_scikit_learns_with_items_exactly_on_the_radius(delta):
    pytest.importorskip("faiss")
    X = np.random.default_rng(5).integers(0, 5, size=(150, 2)).astype(float)  # many at exactly 1
    numpy_graph = cold_start._radius_graph(X, delta, chunk_size=32, backend="numpy")
    faiss_graph = cold_start._radius_graph(X, delta, chunk_size=32, backend="faiss")
    assert (numpy_graph != faiss_graph).nnz == 0
    brute = np.linalg.norm(X[:, None] - X[None], axis=2) <= delta
    assert np.array_equal(faiss_graph.toarray().astype(bool), brute)


def test_auto_backend_falls_back_to_numpy_without_faiss(monkeypatch):
    X = np.random.default_rng(2).normal(size=(80, 3))
    want = div.ProbCover(backend="numpy").query(None, Pool(X), 4, random_state=0)
    monkeypatch.setattr(neighbors, "_faiss", lambda: None)
    got = div.ProbCover(backend="auto").query(None, Pool(X), 4, random_state=0)
    assert got.ids.tolist() == want.ids.tolist()
    with raises_user_error("needs faiss"):
        div.ProbCover(backend="faiss").query(None, Pool(X), 4, random_state=0)


def test_backend_is_checked_and_faiss_refuses_sparse_rows():
    import scipy.sparse as sp

    with raises_user_error("backend must be 'auto', 'numpy' or 'faiss'"):
        div.TypiClust(backend="annoy").query(None, Pool(np.zeros((10, 2))), 2, random_state=0)
    pytest.importorskip("faiss")
    sparse = Pool(sp.csr_matrix(np.eye(10)))
    with raises_user_error("needs dense rows"):
        div.ProbCover(backend="faiss").query(None, sparse, 2, random_state=0)
    auto = div.ProbCover(backend="auto").query(None, sparse, 2, random_state=0)
    assert auto.ids.tolist() == div.ProbCover(backend="numpy").query(
        None, sparse, 2, random_state=0
    ).ids.tolist()
