"""Bayesian scores and BatchBALD on given probability samples, against naive formulas (no torch)."""

import itertools

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from activelab import ModelOutputs, Pool, strategies
from activelab.errors import ActiveLabError
from activelab.strategies.deep import (
    bald,
    batch_bald,
    epig,
    expected_entropy,
    pairwise_disagreement,
    predictive_entropy,
    variation_ratios,
)


class GivenSamples:
    """A stand-in model whose probability samples are fixed per item (row = item index)."""

    def __init__(self, samples):
        self.samples_ = np.asarray(samples, dtype=float)
        self.classes_ = np.arange(self.samples_.shape[2])

    def predict_proba(self, X):
        return self.samples_[self._rows(X)].mean(axis=1)

    def sample_proba(self, X, n_samples=None):
        return self.samples_[self._rows(X)]

    @staticmethod
    def _rows(X):
        return np.asarray(X)[:, 0].astype(int)


def pool_of(n, labeled=()):
    pool = Pool(np.arange(n, dtype=float).reshape(-1, 1))
    if labeled:
        pool.add_labels(list(labeled), [0] * len(labeled))
    return pool


def entropy(p):
    p = np.asarray(p, dtype=float)
    return -sum(x * np.log(x) for x in p if x > 0)


def test_scores_against_hand_computed_values():
    half = [0.5, 0.5]
    samples = np.array([
        [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]],  # confident samples, disagreeing
        [half, half, half, half],  # agreeing samples, each unsure
        [[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.6, 0.4]],
    ])
    np.testing.assert_allclose(predictive_entropy(samples)[:2], [np.log(2), np.log(2)])
    np.testing.assert_allclose(expected_entropy(samples)[:2], [0.0, np.log(2)])
    np.testing.assert_allclose(bald(samples)[:2], [np.log(2), 0.0], atol=1e-12)
    third = entropy([0.825, 0.175]) - (3 * entropy([0.9, 0.1]) + entropy([0.6, 0.4])) / 4
    assert bald(samples)[2] == pytest.approx(third)
    np.testing.assert_allclose(variation_ratios(samples), [0.5, 0.0, 0.0])


def test_bald_prefers_disagreement_where_entropy_cannot_tell():
    half = [0.5, 0.5]
    samples = np.array([[half, half], [[1.0, 0.0], [0.0, 1.0]], [[0.8, 0.2], [0.8, 0.2]]])
    model, pool = GivenSamples(samples), pool_of(3)
    assert strategies.get("bald").query(model, pool, 1).ids.tolist() == [1]
    mc = strategies.get("mc_entropy").query(model, pool, 3)
    assert mc.ids.tolist() == [0, 1, 2]  # ties (both log 2) break by id
    assert strategies.get("mean_std").query(model, pool, 1).ids.tolist() == [1]


def naive_batch_bald(samples, k):
    """Greedy over the exact mutual information, every configuration enumerated."""
    n, S, C = samples.shape
    chosen = []
    for _ in range(k):
        best, best_value = None, -np.inf
        for i in range(n):
            if i in chosen:
                continue
            batch = chosen + [i]
            joint_entropy = 0.0
            for config in itertools.product(range(C), repeat=len(batch)):
                p = np.mean([np.prod([samples[j, s, c] for j, c in zip(batch, config)])
                             for s in range(S)])
                if p > 0:
                    joint_entropy -= p * np.log(p)
            value = joint_entropy - sum(expected_entropy(samples[[j]])[0] for j in batch)
            if value > best_value + 1e-12:
                best, best_value = i, value
        chosen.append(best)
    return chosen, best_value


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_bald_picks_what_the_naive_reference_picks(seed):
    rng = np.random.default_rng(seed)
    samples = rng.dirichlet(np.full(3, 0.4), size=(9, 6))  # 9 items, 6 samples, 3 classes
    expected, total = naive_batch_bald(samples, 4)
    positions, gains = batch_bald(samples, 4, np.random.default_rng(0), max_configurations=10**6,
                                  chunk_size=4)
    assert positions.tolist() == expected
    assert gains.sum() == pytest.approx(total)
    # the first pick is the top BALD item, and its gain its BALD score
    assert gains[0] == pytest.approx(bald(samples).max())


def test_batch_bald_drawn_configurations_estimate_the_exact_information():
    rng = np.random.default_rng(3)
    samples = rng.dirichlet(np.full(4, 0.5), size=(6, 8))
    exact_positions, exact_gains = batch_bald(samples, 5, rng, max_configurations=10**6)
    # 4**4 * 4 = 1024 > 300 configurations for the 5th pick: 300 drawn from then on
    drawn_positions, drawn_gains = batch_bald(
        samples[exact_positions], 5, np.random.default_rng(0), max_configurations=300
    )
    _, naive_total = naive_batch_bald(samples[exact_positions], 5)
    assert exact_gains.sum() == pytest.approx(naive_total)
    assert drawn_gains.sum() == pytest.approx(naive_total, abs=0.15)


def test_batch_bald_skips_a_duplicate_that_top_k_bald_takes():
    disagree = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    other = [[0.95, 0.05], [0.05, 0.95], [0.05, 0.95], [0.95, 0.05]]
    samples = np.array([disagree, disagree, other, [[0.5, 0.5]] * 4])
    model, pool = GivenSamples(samples), pool_of(4)
    assert strategies.get("bald").query(model, pool, 2).ids.tolist() == [0, 1]
    query = strategies.get("batch_bald").query(model, pool, 2, random_state=0)
    assert query.ids.tolist() == [0, 2]
    assert query.scores[1] > 0


def test_power_bald_draws_by_score_and_never_picks_zero_information_first():
    disagree = [[1.0, 0.0], [0.0, 1.0]]
    sure = [[1.0, 0.0], [1.0, 0.0]]
    samples = np.array([sure] * 5 + [disagree] * 3)
    model, pool = GivenSamples(samples), pool_of(8)
    firsts = {
        tuple(strategies.get("power_bald").query(model, pool, 3, random_state=seed).ids.tolist())
        for seed in range(20)
    }
    assert all(set(ids) == {5, 6, 7} for ids in firsts)
    assert len(firsts) > 1  # the order is drawn, not fixed


def test_samples_of_a_sklearn_ensemble_are_its_members():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels(np.arange(0, 150, 10), y[::10])
    model = BaggingClassifier(LogisticRegression(), n_estimators=4, random_state=0)
    model.fit(*pool.labeled_data())
    outputs = ModelOutputs(model, pool)
    samples = outputs.samples()
    rows = pool.items(outputs.ids)
    expected = np.stack([m.predict_proba(rows) for m in model.estimators_], axis=1)
    np.testing.assert_allclose(samples, expected)
    assert outputs.samples() is samples  # computed once per round


def test_random_forest_bald_runs_and_a_plain_model_is_refused():
    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels(np.arange(0, 150, 10), y[::10])
    forest = RandomForestClassifier(20, random_state=0).fit(*pool.labeled_data())
    assert len(strategies.get("batch_bald").query(forest, pool, 5, random_state=0)) == 5
    plain = LogisticRegression().fit(*pool.labeled_data())
    with pytest.raises(ActiveLabError, match="sample_proba"):
        strategies.get("bald").query(plain, pool, 5)
    with pytest.raises(ActiveLabError, match="predict_loss"):
        strategies.get("learning_loss").query(plain, pool, 5)


def test_pairwise_disagreement_matches_the_symmetric_kl():
    p = np.array([[[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]]])
    def sym_kl(a, b):
        a, b = np.asarray(a), np.asarray(b)
        return float(np.sum(a * np.log(a / b)) + np.sum(b * np.log(b / a)))
    expected = np.mean([sym_kl(p[0, a], p[0, b]) for a, b in [(0, 1), (0, 2), (1, 2)]])
    assert pairwise_disagreement(p)[0] == pytest.approx(expected)
    assert pairwise_disagreement(p[:, :1])[0] == 0


def test_epig_matches_the_mutual_information_summed_by_hand():
    rng = np.random.default_rng(4)
    samples = rng.dirichlet(np.full(3, 0.5), size=(5, 4))
    targets = rng.dirichlet(np.full(3, 0.5), size=(3, 4))
    expected = []
    for i in range(5):
        infos = []
        for t in range(3):
            joint = np.mean([np.outer(samples[i, s], targets[t, s]) for s in range(4)], axis=0)
            independent = np.outer(joint.sum(axis=1), joint.sum(axis=0))
            infos.append(float(np.sum(joint * np.log(joint / independent))))
        expected.append(np.mean(infos))
    np.testing.assert_allclose(epig(samples, targets, chunk_size=2), expected, rtol=1e-9)


def test_epig_ignores_disagreement_that_does_not_bear_on_the_targets():
    # item 0: samples disagree in a way that mirrors the targets; item 1: disagreement
    # uncorrelated with the targets (the same target prediction under both samples)
    samples = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    related = np.array([[[0.9, 0.1], [0.1, 0.9]]])
    unrelated = np.array([[[0.6, 0.4], [0.6, 0.4]]])
    assert epig(samples[:1], related)[0] > 0.3
    assert epig(samples[1:], unrelated)[0] == pytest.approx(0.0, abs=1e-12)
    assert bald(samples)[1] == pytest.approx(np.log(2))
