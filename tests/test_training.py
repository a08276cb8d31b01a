"""Training policies against references written out here: manual partial_fit sequences,
full refits, and pseudo-labels chosen by brute force."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import entropy as scipy_entropy
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from activelab import ActiveLabError, ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.stopping import LabelBudget
from activelab.training import (
    CEAL,
    FullRefit,
    Incremental,
    SelfTraining,
    TrainingContext,
    TrainingPolicy,
    entropy,
)

X, Y = load_iris(return_X_y=True)
START = [0, 1, 50, 51, 100, 101]


def run_loop(model, training, budget=36, batch_size=5, strategy="margin", X=X, y=Y, start=START):
    pool = Pool(X)
    pool.add_labels(start, y[start], annotator="initial")
    loop = ActiveLoop(model, pool, strategies.get(strategy), SimulatedOracle(y),
                      batch_size=batch_size, stopping=[LabelBudget(budget)],
                      eval_set=(X, y), training=training, random_state=0)
    return loop, loop.run()


def new_ids_per_round(history, start):
    """The ids each fit saw as new, in pool order (the loop hands them over that way)."""
    rounds = [np.sort(start)]
    rounds += [np.sort(r.query_ids) for r in history[:-1]]
    return rounds


def test_partial_fit_path_equals_a_manual_partial_fit_sequence():
    loop, history = run_loop(SGDClassifier(random_state=0), Incremental())
    assert [r.info["training"] for r in history] == ["full refit"] + ["partial_fit"] * 6
    manual = SGDClassifier(random_state=0)
    batches = new_ids_per_round(history, START)
    manual.fit(X[batches[0]], Y[batches[0]])
    for ids in batches[1:]:
        manual.partial_fit(X[ids], Y[ids], classes=manual.classes_)
    np.testing.assert_allclose(loop.model.coef_, manual.coef_)
    np.testing.assert_allclose(loop.model.intercept_, manual.intercept_)


def test_refit_every_schedules_full_refits_and_one_means_full_refit():
    _, history = run_loop(SGDClassifier(random_state=0), Incremental(refit_every=3))
    assert [r.info["training"] for r in history] == [
        "full refit", "partial_fit", "partial_fit"] * 2 + ["full refit"]
    every, _ = run_loop(SGDClassifier(random_state=0), Incremental(refit_every=1))
    full, _ = run_loop(SGDClassifier(random_state=0), FullRefit())
    np.testing.assert_allclose(every.model.coef_, full.model.coef_)


def test_gaussian_nb_updates_give_the_same_class_means_as_a_full_refit():
    inc, history = run_loop(GaussianNB(), Incremental())
    X_l, y_l = inc.pool.labeled_data()
    reference = GaussianNB().fit(X_l, y_l)
    np.testing.assert_allclose(inc.model.theta_, reference.theta_)
    np.testing.assert_array_equal(inc.model.class_count_, reference.class_count_)


def test_pipeline_partial_fits_its_last_step_on_frozen_preprocessing():
    model = make_pipeline(StandardScaler(), SGDClassifier(random_state=0))
    loop, history = run_loop(model, Incremental(), budget=21)
    batches = new_ids_per_round(history, START)
    scaler = StandardScaler().fit(X[batches[0]])
    manual = SGDClassifier(random_state=0).fit(scaler.transform(X[batches[0]]), Y[batches[0]])
    for ids in batches[1:]:
        manual.partial_fit(scaler.transform(X[ids]), Y[ids], classes=manual.classes_)
    np.testing.assert_allclose(loop.model[-1].coef_, manual.coef_)
    np.testing.assert_allclose(loop.model[0].mean_, scaler.mean_)


def test_warm_start_fits_every_label_from_the_last_solution():
    model = LogisticRegression(max_iter=1000, tol=1e-8)
    loop, history = run_loop(model, Incremental(method="warm_start"))
    assert [r.info["training"] for r in history] == ["full refit"] + ["warm_start"] * 6
    assert loop.model.warm_start is True
    reference = LogisticRegression(max_iter=1000, tol=1e-8).fit(*loop.pool.labeled_data())
    # a convex problem: warm start reaches the same optimum as a cold refit
    np.testing.assert_allclose(loop.model.coef_, reference.coef_, atol=1e-3)


def test_a_model_without_partial_fit_or_warm_start_is_refused():
    for model in (SVC(), RandomForestClassifier(n_estimators=5)):
        with pytest.raises(ActiveLabError, match="needs a model with partial_fit or a warm_start"):
            run_loop(model, Incremental())
    with pytest.raises(ActiveLabError, match="needs a model with partial_fit"):
        Incremental(method="partial_fit").method_for(LogisticRegression())
    with pytest.raises(ActiveLabError, match="method must be"):
        Incremental(method="sometimes")
    with pytest.raises(ActiveLabError, match="refit_every"):
        Incremental(refit_every=0)


def test_a_new_class_or_a_correction_forces_a_full_refit():
    two_classes = [0, 1, 50, 51]
    pool = Pool(X)
    pool.add_labels(two_classes, Y[two_classes])
    policy, model = Incremental(), SGDClassifier(random_state=0)
    model = policy.train(model, *pool.labeled_data(), TrainingContext.first_fit(pool))
    pool.add_labels([100, 2], Y[[100, 2]])
    context = TrainingContext(pool=pool, new_ids=np.array([2, 100]), n_fits=1)
    model = policy.train(model, *pool.labeled_data(), context)
    assert context.info == {"training": "full refit", "full_refit_reason": "a new class appeared"}
    assert list(model.classes_) == [0, 1, 2]

    warm, model = Incremental(method="warm_start"), LogisticRegression(max_iter=500)
    pool = Pool(X)
    pool.add_labels(two_classes, Y[two_classes])
    model = warm.train(model, *pool.labeled_data(), TrainingContext.first_fit(pool))
    pool.add_labels([100], Y[[100]])
    context = TrainingContext(pool=pool, new_ids=np.array([100]), n_fits=1)
    model = warm.train(model, *pool.labeled_data(), context)  # old coef has the wrong shape
    assert context.info["full_refit_reason"] == "a new class appeared"
    assert model.coef_.shape == (3, 4)

    loop, _ = run_loop(SGDClassifier(random_state=0), Incremental(), budget=16)
    loop.pool.correct_labels([0], [1])
    loop.pool.add_labels([3], [0])
    loop.stopping = [LabelBudget(17)]
    loop.run()
    assert loop.history[-1].info["full_refit_reason"] == "labels were corrected"


def test_policies_that_need_the_pool_refuse_a_bare_fit():
    for policy in (Incremental(), SelfTraining(), CEAL()):
        with pytest.raises(ActiveLabError, match=r"ActiveLoop\(training="):
            policy.fit(LogisticRegression(), X, Y)


def test_a_policy_with_only_fit_still_works_in_the_loop():
    class Counting(TrainingPolicy):
        calls = 0

        def fit(self, model, X, y):
            Counting.calls += 1
            return model.fit(X, y)

    class DuckTyped:
        def fit(self, model, X, y):
            return model.fit(X, y)

    for policy in (Counting(), DuckTyped()):
        loop, history = run_loop(LogisticRegression(max_iter=500), policy, budget=16)
        assert [r.n_labeled for r in history] == [6, 11, 16]
    assert Counting.calls == 3


# ---- pseudo-labels ---------------------------------------------------------------------------


def manual_self_training(labeled, threshold=None, entropy_below=None, cap=None):
    """Fit, pseudo-label the confident unlabeled items by brute force, fit again."""
    unlabeled = np.setdiff1d(np.arange(len(Y)), labeled)
    first = LogisticRegression(max_iter=500).fit(X[labeled], Y[labeled])
    proba = first.predict_proba(X[unlabeled])
    if threshold is not None:
        confidence = proba.max(axis=1)
        chosen = [i for i in range(len(unlabeled)) if confidence[i] >= threshold]
    else:
        confidence = -scipy_entropy(proba.T)
        chosen = [i for i in range(len(unlabeled)) if -confidence[i] < entropy_below]
    if cap is not None:
        by_class = {}
        for i in chosen:
            by_class.setdefault(int(np.argmax(proba[i])), []).append(i)
        chosen = sorted(i for members in by_class.values()
                        for i in sorted(members, key=lambda i: (-confidence[i], i))[:cap])
    pseudo_X, pseudo_y = X[unlabeled[chosen]], first.classes_[np.argmax(proba[chosen], axis=1)]
    second = LogisticRegression(max_iter=500).fit(
        np.vstack([X[labeled], pseudo_X]), np.concatenate([Y[labeled], pseudo_y]))
    return second, len(chosen)


@pytest.mark.parametrize("cap", [None, 4])
def test_self_training_matches_a_brute_force_pseudo_labeling(cap):
    labeled = np.array([0, 1, 2, 50, 51, 52, 100, 101, 102])
    pool = Pool(X)
    pool.add_labels(labeled, Y[labeled])
    context = TrainingContext.first_fit(pool)
    model = SelfTraining(threshold=0.8, max_per_class=cap).train(
        LogisticRegression(max_iter=500), *pool.labeled_data(), context)
    reference, n_pseudo = manual_self_training(labeled, threshold=0.8, cap=cap)
    assert context.info["n_pseudo_labels"] == n_pseudo > 0
    if cap is not None:
        assert n_pseudo <= 3 * cap
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-8)


def test_ceal_pseudo_labels_below_an_entropy_threshold_that_decays():
    policy = CEAL(initial_threshold=0.3, decay=0.05)
    assert [policy.threshold_at(k) for k in range(8)] == pytest.approx(
        [0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0, 0.0])
    labeled = np.array([0, 1, 2, 50, 51, 52, 100, 101, 102])
    for n_fits in (0, 3):
        pool = Pool(X)
        pool.add_labels(labeled, Y[labeled])
        context = TrainingContext(pool=pool, new_ids=labeled, n_fits=n_fits)
        model = policy.train(LogisticRegression(max_iter=500), *pool.labeled_data(), context)
        reference, n_pseudo = manual_self_training(labeled, entropy_below=policy.threshold_at(n_fits))
        assert context.info["n_pseudo_labels"] == n_pseudo
        assert context.info["entropy_threshold"] == pytest.approx(policy.threshold_at(n_fits))
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-8)


def test_ceal_in_the_loop_notes_the_decaying_threshold_each_round():
    _, history = run_loop(LogisticRegression(max_iter=500), CEAL(0.2, 0.04), strategy="entropy")
    assert [r.info["entropy_threshold"] for r in history] == pytest.approx(
        [0.2, 0.16, 0.12, 0.08, 0.04, 0.0, 0.0])
    assert history[-1].info["n_pseudo_labels"] == 0


@pytest.mark.parametrize("policy", [SelfTraining(0.7, max_per_class=10), CEAL(0.5, 0.01)])
def test_pseudo_labels_never_reach_the_pools_real_labels(policy):
    loop, history = run_loop(LogisticRegression(max_iter=500), policy)
    assert sum(r.info["n_pseudo_labels"] for r in history) > 0
    queried = [i for r in history for i in r.query_ids]
    assert sorted(loop.pool.labeled_ids.tolist()) == sorted(START + queried)
    assert all(e.annotator in ("initial", "simulated") and e.kind == "label"
               for e in loop.pool.events)
    assert len(loop.pool.events) == 36
    np.testing.assert_array_equal(loop.pool.labels_of(loop.pool.labeled_ids),
                                  Y[loop.pool.labeled_ids])


def test_self_training_works_on_sparse_and_dataframe_pools_and_needs_probabilities():
    loop, history = run_loop(LogisticRegression(max_iter=500), SelfTraining(0.6),
                             X=sp.csr_matrix(X), budget=16)
    assert history[-1].info["n_pseudo_labels"] > 0
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    loop, history = run_loop(LogisticRegression(max_iter=500), SelfTraining(0.6), X=frame,
                             budget=11)
    assert history[-1].info["n_pseudo_labels"] > 0 and loop.pool.n_labeled == 11
    with pytest.raises(ActiveLabError, match="predict_proba"):
        run_loop(SVC(), SelfTraining(), budget=16)
    for bad in (0, 1.5, True):
        with pytest.raises(ActiveLabError, match="threshold"):
            SelfTraining(threshold=bad)
    with pytest.raises(ActiveLabError, match="max_per_class"):
        SelfTraining(max_per_class=0)
    with pytest.raises(ActiveLabError, match="decay"):
        CEAL(decay=-1)


def test_entropy_matches_scipy():
    proba = np.random.default_rng(0).dirichlet(np.ones(4), size=50)
    proba[0] = [1, 0, 0, 0]
    np.testing.assert_allclose(entropy(proba), scipy_entropy(proba.T))

