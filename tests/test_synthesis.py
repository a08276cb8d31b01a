"""Membership query synthesis: the input space, oracles, synthesisers and the loop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from activelab import SimulatedOracle
from activelab.oracles import LabelRequest
from activelab.scenarios.synthesis import (
    BoundaryBisection,
    DecoderGenerator,
    FunctionOracle,
    InputSpace,
    LatentSynthesis,
    NearestItemOracle,
    ScoreOptimisation,
    SynthesiseThenMatch,
    SynthesisLoop,
    strategy_scores,
)
from tests.conftest import raises_user_error


def threshold_model(cut=0.3):
    """A logistic model whose boundary is (close to) x0 = cut on [0, 1]^2."""
    X = np.array([[cut - 0.05, 0.2], [cut - 0.05, 0.8], [cut + 0.05, 0.2], [cut + 0.05, 0.8]])
    return LogisticRegression(C=1e4).fit(X, [0, 0, 1, 1]), X, np.array([0, 0, 1, 1])


def test_bounds_must_be_ordered_and_finite():
    with raises_user_error("bounds of feature 1: lower 3.0 is above upper 2.0; swap them"):
        InputSpace([0, 3], [1, 2])
    with raises_user_error("finite"):
        InputSpace([0, -np.inf], [1, 1])
    with raises_user_error("one bound per feature"):
        InputSpace([0, 0], [1])
    with raises_user_error("no whole number between"):
        InputSpace([0.2], [0.8], integer=[0])
    with raises_user_error("not a feature position"):
        InputSpace([0], [1], categorical={3: [0, 1]})


def test_projection_respects_bounds_integers_and_categories():
    space = InputSpace([0, -1, 0], [10, 1, 5], integer=[0], categorical={2: [0.5, 2, 4]})
    rng = np.random.default_rng(0)
    raw = rng.uniform(-20, 20, (300, 3))
    projected = space.project(raw)
    levels = np.array([0.5, 2, 4])
    for x, p in zip(raw, projected):
        assert p[0] == min(max(round(x[0]), 0), 10)
        assert p[1] == min(max(x[1], -1), 1)
        assert p[2] == levels[np.argmin(np.abs(levels - min(max(x[2], 0), 5)))]
    sample = space.sample(200, rng)
    np.testing.assert_array_equal(sample, space.project(sample))


def test_the_validity_check_keeps_invalid_points_out():
    space = InputSpace([0, 0], [1, 1], valid=lambda x: x[0] + x[1] <= 1)
    sample = space.sample(500, np.random.default_rng(1))
    assert len(sample) == 500 and np.all(sample.sum(axis=1) <= 1)
    impossible = InputSpace([0, 0], [1, 1], valid=lambda x: False)
    with raises_user_error("passed the validity check"):
        impossible.sample(5, np.random.default_rng(0), max_tries=3)


def test_function_oracle_counts_calls_and_names_the_point_it_failed_on():
    oracle = FunctionOracle(lambda x: int(x[0] > 0.5))
    answers = oracle.label(LabelRequest.for_points([[0.2, 1.0], [0.7, 0.0]]))
    assert answers.labels.tolist() == [0, 1] and oracle.n_calls == 2
    assert answers.ids.tolist() == [0, 1] and answers.points.tolist() == [[0.2, 1.0], [0.7, 0.0]]

    def simulator(x):
        if x[0] > 0.9:
            raise RuntimeError("solver diverged")
        return 0

    with raises_user_error(r"the oracle raised on point \[0.95, 0.1\]: RuntimeError: solver diverged"):
        FunctionOracle(simulator).label(np.array([[0.1, 0.1], [0.95, 0.1]]))
    with raises_user_error("returned no label"):
        FunctionOracle(lambda x: None).label(np.array([[0.1]]))
    with raises_user_error("must be callable"):
        FunctionOracle(42)
    vectorized = FunctionOracle(lambda X: (X[:, 0] > 0.5).astype(int), vectorized=True)
    assert vectorized.label(np.array([[0.6], [0.1]])).labels.tolist() == [1, 0]


def test_nearest_item_oracle_asks_about_the_nearest_unasked_real_item():
    rng = np.random.default_rng(2)
    items = rng.uniform(0, 1, (50, 3))
    labels = np.array([f"item{i}" for i in range(50)])
    oracle = NearestItemOracle(items, SimulatedOracle(labels, ids=np.arange(100, 150)),
                               ids=np.arange(100, 150))
    points = rng.uniform(0, 1, (5, 3))
    answers = oracle.label(LabelRequest.for_points(points))
    assert answers.ids.tolist() == [0, 1, 2, 3, 4]                 # the asked points' ids
    used: set[int] = set()
    for point, got in zip(points, answers.item_ids):
        order = np.argsort(np.linalg.norm(items - point, axis=1), kind="stable")
        expected = next(i for i in order if i not in used)
        used.add(expected)
        assert got == 100 + expected
    np.testing.assert_array_equal(answers.points, items[answers.item_ids - 100])
    assert answers.labels.tolist() == [f"item{i - 100}" for i in answers.item_ids]
    again = oracle.label(points[:1])                   # the same point: the next-nearest item
    assert again.item_ids[0] not in answers.item_ids


def test_bisection_proposes_points_on_the_model_boundary_spread_along_it():
    model, X, y = threshold_model(0.3)
    space = InputSpace([0, 0], [1, 1])
    points = BoundaryBisection().propose(model, X, y, space, 6, np.random.default_rng(0))
    assert points.shape == (6, 2)
    proba = model.predict_proba(points)[:, 1]
    np.testing.assert_allclose(proba, 0.5, atol=0.01)          # maximally uncertain
    assert np.ptp(points[:, 1]) > 0.5                           # spread along the boundary
    assert len({tuple(p) for p in points}) == 6


def test_bisection_falls_back_to_the_midpoint_where_the_model_contradicts_the_labels():
    model, _, _ = threshold_model(0.3)
    X = np.array([[0.8, 0.5], [0.9, 0.5]])                      # the model says 1 for both
    bisection = BoundaryBisection()
    point = bisection._bisect(model, X[:1], X[1:], np.array([0]))
    np.testing.assert_allclose(point, [[0.85, 0.5]])


def test_score_optimisation_finds_the_best_score_a_grid_search_finds():
    model, X, y = threshold_model(0.6)
    space = InputSpace([0, 0], [1, 1])
    proposed = ScoreOptimisation("margin", n_restarts=4).propose(
        model, X, y, space, 2, np.random.default_rng(0))
    grid = np.array(list(itertools.product(np.linspace(0, 1, 101), repeat=2)))
    rng = np.random.default_rng(0)
    best_on_grid = strategy_scores("margin", model, grid, rng).max()
    assert strategy_scores("margin", model, proposed, rng).min() >= best_on_grid - 0.02
    custom = ScoreOptimisation(lambda m, P: -np.abs(P[:, 0] - 0.25), n_restarts=3)
    point = custom.propose(model, X, y, space, 1, np.random.default_rng(1))
    assert abs(point[0, 0] - 0.25) < 1e-3


def test_latent_synthesis_proposes_the_best_scoring_of_its_samples():
    rng = np.random.default_rng(3)
    unlabeled = np.vstack([rng.normal([0.2, 0.2], 0.05, (200, 2)),
                           rng.normal([0.8, 0.8], 0.05, (200, 2))])
    model, X, y = threshold_model(0.5)
    space = InputSpace([0, 0], [1, 1])
    for generator in ("gmm", "pca"):
        synthesiser = LatentSynthesis(generator, n_candidates=300).fit(unlabeled)
        seeded = np.random.default_rng(4)
        points = synthesiser.propose(model, X, y, space, 3, seeded)
        again = np.random.default_rng(4)
        candidates = space.filter(synthesiser.generator_.sample(300, again))
        scores = strategy_scores("margin", model, candidates, again)
        np.testing.assert_allclose(points, candidates[np.argsort(-scores, kind="stable")[:3]])
    line = DecoderGenerator(lambda Z: np.column_stack([0.5 + 0.1 * Z[:, 0], 0.5 + 0.0 * Z[:, 0]]),
                            latent_dim=1)
    points = LatentSynthesis(line, n_candidates=50).fit(unlabeled).propose(
        model, X, y, space, 2, np.random.default_rng(0))
    np.testing.assert_allclose(points[:, 1], 0.5)
    with raises_user_error("before proposing"):
        LatentSynthesis().propose(model, X, y, space, 1, rng)
    with raises_user_error("unknown generator 'vae'"):
        LatentSynthesis("vae").fit(unlabeled)


def test_synthesise_then_match_queries_distinct_real_items_nearest_the_synthesised_ones():
    rng = np.random.default_rng(5)
    items = rng.uniform(0, 1, (200, 2))
    model, X, y = threshold_model(0.3)
    space = InputSpace([0, 0], [1, 1])
    inner = BoundaryBisection()
    matched = SynthesiseThenMatch(inner, items)
    got = matched.propose(model, X, y, space, 3, np.random.default_rng(6))
    wanted = inner.propose(model, X, y, space, 3, np.random.default_rng(6))
    for point, item in zip(wanted, got):
        assert any(np.array_equal(item, row) for row in items)
        assert np.linalg.norm(item - point) <= np.sort(np.linalg.norm(items - point, axis=1))[2]
    assert len(set(matched.matched)) == 3


def wavy(x):
    return int(x[1] > 0.5 * np.sin(4 * x[0]))


def test_the_loop_learns_a_black_box_boundary_with_few_calls():
    rng = np.random.default_rng(0)
    X_test = rng.uniform(-1, 1, (2000, 2))
    y_test = np.array([wavy(x) for x in X_test])
    space = InputSpace([-1, -1], [1, 1])
    loop = SynthesisLoop(SVC(C=100, gamma=2.0), BoundaryBisection(), wavy, space, initial=4,
                         eval_set=(X_test, y_test), random_state=0)
    history = loop.run(n_queries=60, target=0.95)
    assert history[-1].metrics["accuracy"] >= 0.95
    assert loop.n_calls == len(loop.y) <= 64
    assert loop.oracle.n_calls == loop.n_calls


def test_the_loop_keeps_integer_and_categorical_constraints():
    space = InputSpace([0, 0], [20, 1], integer=[0], categorical={1: [0.0, 0.5, 1.0]})
    loop = SynthesisLoop(SVC(C=10), BoundaryBisection(), lambda x: int(x[0] >= 7), space,
                         initial=6, batch_size=2, random_state=1)
    loop.run(n_queries=20)
    assert np.all(loop.X[:, 0] == np.round(loop.X[:, 0]))
    assert set(loop.X[:, 1]) <= {0.0, 0.5, 1.0}
    assert loop.model.predict([[6, 0.5], [8, 0.5]]).tolist() == [0, 1]


def test_ask_and_tell_drive_the_loop_by_hand():
    space = InputSpace([0, 0], [1, 1])
    loop = SynthesisLoop(LogisticRegression(C=100), ScoreOptimisation(n_restarts=2),
                         lambda x: 0, space, initial=2, random_state=0)
    first = loop.ask()
    assert first.shape == (1, 2)
    loop.tell([[0.1, 0.1], [0.9, 0.9]], [0, 1])
    assert loop.fitted
    point = loop.ask()
    assert abs(loop.model.predict_proba(point)[0, 1] - 0.5) < 0.05
    with raises_user_error("2 points but 1 labels"):
        loop.tell([[0.1, 0.1], [0.2, 0.2]], [0])


def test_a_raising_oracle_inside_the_loop_is_one_clear_error():
    def experiment(x):
        raise OSError("instrument not connected")

    loop = SynthesisLoop(SVC(), BoundaryBisection(), experiment, InputSpace([0], [1]),
                         random_state=0)
    with raises_user_error(r"the oracle raised on point \[.*\]: OSError: instrument not connected"):
        loop.run(n_queries=3)


@pytest.mark.parametrize("bad, message", [
    (dict(model=object()), "model must have fit"),
    (dict(synthesiser="bisection"), "synthesiser must be an activelab Synthesiser"),
    (dict(space=[(0, 1)]), "space must be an InputSpace"),
    (dict(oracle=42), r"the oracle must have label\(request\) -> Answers, or be a function "
                      r"f\(x\) -> label; got int"),
])
def test_the_loop_refuses_bad_parts(bad, message):
    parts = dict(model=SVC(), synthesiser=BoundaryBisection(), oracle=lambda x: 0,
                 space=InputSpace([0], [1]))
    parts.update(bad)
    with raises_user_error(message):
        SynthesisLoop(parts["model"], parts["synthesiser"], parts["oracle"], parts["space"])


def test_the_loop_with_the_human_fallback_trains_on_the_real_items_it_asked_about():
    rng = np.random.default_rng(7)
    items = rng.uniform(0, 1, (300, 2))
    truth = (items[:, 0] > 0.4).astype(int)
    people = SimulatedOracle(truth)
    loop = SynthesisLoop(SVC(C=10), BoundaryBisection(), NearestItemOracle(items, people),
                         InputSpace([0, 0], [1, 1]), initial=4, random_state=0)
    loop.run(n_queries=15)
    positions = [int(np.flatnonzero((items == row).all(axis=1))[0]) for row in loop.X]
    assert len(set(positions)) == len(positions) == 19            # each real item asked once
    np.testing.assert_array_equal(loop.y, truth[positions])
    assert loop.model.predict([[0.3, 0.5], [0.5, 0.5]]).tolist() == [0, 1]
