"""Generative active learning: the VAE, GAAL-style LatentSearch, BGADL-style augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.augmentation import GenerativeAugmentation, sample_weight_parameter
from activelab.scenarios.generative import LatentGuard, LatentSearch
from activelab.scenarios.space import InputSpace
from activelab.stopping import LabelBudget
from activelab.training import TRAINING_POLICIES
from tests.conftest import raises_user_error


class LinearCodec:
    """A torch-free generator: codes are the first coordinates, decoding pads with zeros."""

    def __init__(self, latent_dim: int = 2) -> None:
        self.latent_dim = latent_dim
        self.fitted_on = None

    def fit(self, X):
        self.fitted_on = len(X)
        return self

    def encode(self, X):
        return np.asarray(X, dtype=float)[:, : self.latent_dim]

    def decode(self, Z):
        Z = np.asarray(Z, dtype=float)
        return np.hstack([Z, np.zeros((len(Z), 2))])


def two_blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[-2.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0]])
    y = rng.integers(0, 2, n)
    X = centres[y] + rng.normal(0, 0.8, (n, 4)) * [1, 1, 0, 0]
    return X, y


def hand_margin(model, X):
    p = np.sort(model.predict_proba(X), axis=1)
    return -(p[:, -1] - p[:, -2])


# ---- GAAL-style search ------------------------------------------------------------------------


def test_the_derivative_free_search_raises_the_score_over_its_starting_codes():
    X, y = two_blobs()
    model = LogisticRegression().fit(X, y)
    search = LatentSearch(LinearCodec(), n_starts=6, n_steps=15, radius=None).fit(X)
    space = InputSpace(np.full(4, -10.0), np.full(4, 10.0))
    points = search.propose(model, X[:20], y[:20], space, 3, np.random.default_rng(0))
    assert search.last_search_ == "random"
    assert np.all(search.found_scores_ >= search.start_scores_)
    assert search.found_scores_.mean() > search.start_scores_.mean() + 0.05
    # the scores it reports are the margin of the decoded codes, computed by hand
    decoded = LinearCodec().decode(search.found_codes_)
    np.testing.assert_allclose(search.found_scores_, hand_margin(model, decoded), atol=1e-12)
    # and it proposes the best of them: near the boundary x0 = 0, where margin is highest
    assert points.shape == (3, 4)
    np.testing.assert_allclose(hand_margin(model, points), np.sort(search.found_scores_)[::-1][:3])


def test_the_realism_guard_keeps_every_searched_code_within_its_radius():
    X, y = two_blobs()
    model = LogisticRegression().fit(X, y)
    space = InputSpace(np.full(4, -10.0), np.full(4, 10.0))
    codes = LinearCodec().encode(X)
    for radius, bound_holds in [(0.05, True), (None, False)]:
        search = LatentSearch(LinearCodec(), n_starts=10, n_steps=20, step_size=1.0,
                              radius=radius).fit(X)
        search.propose(model, X[:20], y[:20], space, 10, np.random.default_rng(1))
        # brute force: the distance from each found code to every encoded pool item
        nearest = np.sqrt(((search.found_codes_[:, None] - codes[None]) ** 2).sum(-1)).min(1)
        assert np.all(nearest <= 0.05 + 1e-9) == bound_holds
    assert search.radius_ is None


def test_the_guard_projects_onto_the_nearest_ball_and_auto_radius_is_the_median_gap():
    codes = np.array([[0.0], [1.0], [3.0]])
    guard = LatentGuard(codes, radius=0.5)
    np.testing.assert_allclose(guard.project(np.array([[2.2], [5.0], [0.3]])),
                               [[2.5], [3.5], [0.3]])
    # nearest-other distances 1, 1, 2: median 1
    assert LatentGuard.typical_radius(codes, np.random.default_rng(0)) == 1.0


def test_latent_search_refuses_what_it_cannot_use():
    X, y = two_blobs()
    with raises_user_error("encode"):
        LatentSearch(generator=object()).fit(X)
    with raises_user_error("radius must be"):
        LatentSearch(LinearCodec(), radius=-1).fit(X)
    search = LatentSearch(LinearCodec(), search="gradient").fit(X)
    with raises_user_error("proba_tensor"):
        search.propose(LogisticRegression().fit(X, y), X, y,
                       InputSpace(np.full(4, -9.0), np.full(4, 9.0)), 1, np.random.default_rng(0))
    with raises_user_error("before proposing"):
        LatentSearch().propose(None, X, y, None, 1, np.random.default_rng(0))


# ---- BGADL-style augmentation ------------------------------------------------------------------


class WeightRecorder(LogisticRegression):
    """Logistic regression that remembers what its last fit saw."""

    def fit(self, X, y, sample_weight=None):
        self.seen_ = (np.array(X), np.array(y), None if sample_weight is None
                      else np.array(sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


def test_augmentation_adds_n_per_item_neighbours_with_their_items_labels_and_weight():
    X, y = two_blobs(60)
    pool = Pool(X)
    first = [int(np.flatnonzero(y == 0)[0]), int(np.flatnonzero(y == 1)[0])]
    first += [i for i in range(10) if i not in first][:2]
    pool.add_labels(first, y[first])
    policy = GenerativeAugmentation(LinearCodec(), n_per_item=3, spread=0.0, weight=0.25,
                                    residual=False)
    loop = ActiveLoop(WeightRecorder(), pool, strategies.get("margin"), SimulatedOracle(y),
                      batch_size=2, stopping=[LabelBudget(8)], training=policy, random_state=0)
    history = loop.run()
    seen_X, seen_y, weights = loop.model.seen_
    labeled_X, labeled_y = pool.labeled_data()
    n = len(labeled_y)
    assert n == 8 and len(seen_y) == n + 3 * n
    assert [r.info["n_synthetic"] for r in history] == [3 * r.n_labeled for r in history]
    np.testing.assert_array_equal(weights, [1.0] * n + [0.25] * (3 * n))
    # three per labeled item; spread 0, plain decoding: decode(encode(item)), the item's label
    sources = policy.sources_
    assert sorted(sources.tolist()) == sorted(np.repeat(pool.labeled_ids, 3).tolist())
    np.testing.assert_array_equal(seen_X[n:], LinearCodec().decode(LinearCodec().encode(X[sources])))
    np.testing.assert_array_equal(seen_y[n:], y[sources])
    assert policy.generator.fitted_on == len(X)   # the generator trained on the whole pool


def test_residual_neighbours_at_zero_spread_are_the_items_and_noise_moves_them():
    X, y = two_blobs(30)
    pool = Pool(X)
    first = [int(np.flatnonzero(y == 0)[0]), int(np.flatnonzero(y == 1)[0])]
    pool.add_labels(first, y[first])
    for spread, same in [(0.0, True), (0.5, False)]:
        policy = GenerativeAugmentation(LinearCodec(), n_per_item=2, spread=spread, weight=1.0)
        model = policy.train(WeightRecorder(), X[first], y[first],
                             TrainingContextFor(pool, first))
        synthetic = model.seen_[0][2:]
        assert np.array_equal(synthetic, np.repeat(X[first], 2, axis=0)) == same
        # the noise moves the code coordinates only; the rest of the item is kept
        np.testing.assert_array_equal(synthetic[:, 2:], np.repeat(X[first], 2, axis=0)[:, 2:])


def TrainingContextFor(pool, ids):
    from activelab.training import TrainingContext

    return TrainingContext(pool=pool, new_ids=np.asarray(ids))


def test_augmentation_refuses_weights_a_model_cannot_take_and_is_registered():
    assert sample_weight_parameter(KNeighborsClassifier()) is None
    assert sample_weight_parameter(LogisticRegression()) == "sample_weight"
    with raises_user_error("sample_weight"):
        GenerativeAugmentation(LinearCodec(), weight=0.5).check_model(KNeighborsClassifier())
    GenerativeAugmentation(LinearCodec(), weight=1.0).check_model(KNeighborsClassifier())
    with raises_user_error("spread"):
        GenerativeAugmentation(spread=-1)
    assert TRAINING_POLICIES.lookup("bgadl") is GenerativeAugmentation


# ---- with torch: the VAE and the gradient search ----------------------------------------------


def bars(n: int, seed: int = 0) -> np.ndarray:
    """A generated 28x28 toy: one bright bar, 4 pixels thick, across or down, at one of 7 places."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28))
    for image, down, place in zip(images, rng.integers(0, 2, n), rng.integers(0, 7, n)):
        if down:
            image[:, 4 * place:4 * place + 4] = 1.0
        else:
            image[4 * place:4 * place + 4, :] = 1.0
    return images.reshape(n, -1)


def vae_on_bars(**params):
    from activelab.models import VAE

    defaults = {"latent_dim": 2, "hidden": (64,), "epochs": 20, "batch_size": 32, "lr": 5e-3,
                "input_shape": (1, 28, 28), "channels": 8, "random_state": 0}
    return VAE(**{**defaults, **params}).fit(bars(200))


def reconstruction_vs_mean_image(vae) -> float:
    """The VAE's reconstruction error over the trivial baseline's: the training mean image."""
    test = bars(100, seed=1)
    return float(np.mean((vae.reconstruct(test) - test) ** 2)
                 / np.mean((bars(200).mean(axis=0) - test) ** 2))


def test_the_mlp_vae_learns_28x28_images_better_than_their_mean_and_is_seeded():
    pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[torch]'")
    vae = vae_on_bars()
    assert reconstruction_vs_mean_image(vae) < 0.5
    test = bars(20, seed=2)
    np.testing.assert_array_equal(vae.encode(test), vae_on_bars().encode(test))
    assert not np.allclose(vae_on_bars(random_state=1).encode(test), vae.encode(test))
    samples = vae.sample(5, np.random.default_rng(0))
    assert samples.shape == (5, 784) and 0.0 <= samples.min() <= samples.max() <= 1.0


def test_the_convolutional_vae_learns_28x28_images_better_than_their_mean():
    pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[torch]'")
    assert reconstruction_vs_mean_image(vae_on_bars(architecture="conv")) < 0.75
    with raises_user_error("input_shape"):
        vae_on_bars(architecture="conv", input_shape=(1, 8, 8))


def test_the_gradient_search_through_a_torch_classifier_raises_the_score():
    pytest.importorskip("torch", reason="torch is not installed: pip install 'activelab[torch]'")
    from activelab.models import VAE, TorchClassifier

    X, y = load_digits(return_X_y=True)
    vae = VAE(latent_dim=4, hidden=(64,), epochs=15, random_state=0).fit(X[:500])
    model = TorchClassifier(hidden=(32,), epochs=15, random_state=0).fit(X[:60], y[:60])
    search = LatentSearch(vae, n_starts=6, n_steps=20, step_size=0.1, refit=False).fit(X[:500])
    space = InputSpace(np.zeros(64), np.full(64, 16.0))
    points = search.propose(model, X[:60], y[:60], space, 2, np.random.default_rng(0))
    assert search.last_search_ == "gradient"
    assert np.all(search.found_scores_ >= search.start_scores_ - 1e-6)
    assert search.found_scores_.mean() > search.start_scores_.mean()
    np.testing.assert_allclose(hand_margin(model, points),
                               np.sort(search.found_scores_)[::-1][:2], atol=1e-4)
    codes = vae.encode(X[:500])
    nearest = np.sqrt(((search.found_codes_[:, None] - codes[None]) ** 2).sum(-1)).min(1)
    assert np.all(nearest <= search.radius_ + 1e-5)
