"""One loop: the labeling server's trainer drives the library's ActiveLoop (ask/tell), its
stopping signal is the loop's StabilizingPredictions, its cold start the core's cluster
round-robin, and a project names its training policy and stopping rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.errors import ActiveLabError
from activelab.selection.clustering import cluster_round_robin_order
from activelab.stopping import LabelBudget, StabilizingPredictions
from activelab.training import FullRefit, Incremental, SelfTraining

WORDS = ["apple pear plum", "rocket moon star", "goal ball team"]
LABELS = ("fruit", "space", "sport")


def _texts(n: int) -> list[str]:
    return [f"{WORDS[i % 3]} {WORDS[(i * 7) % 3].split()[i % 3]} w{i % 11} v{i % 5}"
            for i in range(n)]


def _truth(content: str) -> str:
    return LABELS[[w.split()[0] for w in WORDS].index(content.split()[0])]


def _project(n: int = 60, **settings: object):  # type: ignore[no-untyped-def]
    """A project whose queue is the strategy's alone (no random control share) unless
    ``control`` is given."""
    from activelab.server.features import featurize
    from activelab.server.trainer import Trainer
    from activelab.store import ImportedItem, ProjectSettings, Store

    store = Store("sqlite://")
    store.create_project("p", [ImportedItem(str(i), t, i) for i, t in enumerate(_texts(n))],
                         ProjectSettings(labels=LABELS, retrain_every=1000, exploration=0.0,
                                         **{"control": 0.0, **settings}))  # type: ignore[arg-type]
    rows = store.items("p")
    trainer = Trainer(store, "p", featurize([c for _i, _e, c in rows], "text"),
                      np.array([i for i, _e, _c in rows]))
    queues: list[list[tuple[int, float]]] = []
    add = store.add_model_version

    def capture(name, kind, n_labels, metrics, ranked, **kwargs):  # type: ignore[no-untyped-def]
        ranked = list(ranked)
        queues.append(ranked)
        return add(name, kind, n_labels, metrics, ranked, **kwargs)

    store.add_model_version = capture  # type: ignore[method-assign]
    user = store.user_by_token(store.add_user("a", "annotator"))
    return store, trainer, user, queues


def _label(store, user, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        item = store.next_item("p", user)
        store.annotate("p", user, item.item_id, _truth(item.content), lease_id=item.lease_id)


# ---- the cold start ----------------------------------------------------------------------


def test_cluster_round_robin_order_keeps_the_old_diversity_order() -> None:
    from activelab.server.features import diversity_order, featurize

    groups = ["apple banana cherry", "rocket planet orbit", "goal team match"]
    X_text = featurize([f"{groups[i % 3]} {'x' * (1 + i // 3)}" for i in range(30)], "text")
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(c, 0.5, size=(7, 2)) for c in ((0, 0), (4, 0), (0, 4))])
    # The ids server.features.diversity_order gave before it moved into the core.
    assert cluster_round_robin_order(X_text, 3, seed=0).tolist() == [
        0, 2, 1, 6, 14, 4, 9, 17, 7, 12, 20, 10, 15, 23, 25, 18, 26, 28, 21, 29, 13, 24, 5,
        16, 27, 8, 19, 3, 11, 22]
    assert cluster_round_robin_order(X_text, 3, seed=0, chunk_size=7).tolist() == \
        cluster_round_robin_order(X_text, 3, seed=0).tolist()
    assert cluster_round_robin_order(X, 3, seed=1).tolist() == [
        15, 8, 2, 17, 11, 5, 14, 9, 6, 20, 12, 1, 16, 7, 3, 19, 10, 0, 18, 13, 4]
    assert cluster_round_robin_order(X, 5, seed=7).tolist() == [
        15, 8, 2, 3, 0, 17, 11, 5, 14, 9, 6, 20, 12, 1, 16, 7, 4, 19, 10, 18, 13]
    assert diversity_order(X, 5, 7).tolist() == cluster_round_robin_order(X, 5, 7).tolist()


def test_cold_start_version_is_the_core_order() -> None:
    store, trainer, _user, queues = _project(30)
    trainer.ensure_cold_start()
    order = cluster_round_robin_order(trainer.features, 30, seed=0)
    assert [item for item, _score in queues[0]] == trainer.item_ids[order].tolist()


# ---- the loop inside the trainer ---------------------------------------------------------


@pytest.mark.parametrize("strategy", ["margin", "random"])
def test_queue_is_the_hand_made_query_with_the_project_seed(strategy: str) -> None:
    from activelab.models.catalog import make_model

    store, trainer, user, queues = _project(60, strategy=strategy, seed=5, queue_size=25)
    trainer.ensure_cold_start()
    for _ in range(2):
        _label(store, user, 9)
        trainer.train_once()
        # What the server computed before it ran the loop: a fresh pool, model and query.
        labeled = {i: e["label"] for i, e in store.resolved_labels("p").items()}
        pool = Pool(trainer.features, ids=trainer.item_ids)
        ids = sorted(labeled)
        pool.add_labels(ids, [labeled[i] for i in ids])
        model = make_model("logreg", 5, sparse=True).fit(*pool.labeled_data())
        query = strategies.get(strategy).query(model, pool, 25, random_state=5)
        assert [i for i, _s in queues[-1]] == query.ids.tolist()
        assert isinstance(trainer.loop, ActiveLoop)
        assert trainer.loop.pool.n_labeled == len(labeled)
    # The loop's history keeps the latest queue only (the store has every version's).
    assert [len(r.query_ids) for r in trainer.loop.history] == [0, 25]


def test_dashboard_kappa_is_the_loop_rule_kappa() -> None:
    store, trainer, user, _queues = _project(60)
    trainer.ensure_cold_start()
    rule = trainer.stabilizing
    assert isinstance(rule, StabilizingPredictions) and rule in trainer.loop.stopping
    for _ in range(3):
        _label(store, user, 7)
        trainer.train_once()
    versions = [v for v in store.model_versions("p") if v["kind"] == "model"]
    assert "stability_kappa" not in versions[0]["metrics"]
    assert len(rule.kappas_) == 2 and len(rule.changes_) == 2
    assert [v["metrics"]["stability_kappa"] for v in versions[1:]] == \
        [round(k, 4) for k in rule.kappas_]
    assert [v["metrics"]["prediction_change"] for v in versions[1:]] == \
        [round(c, 4) for c in rule.changes_]
    assert set(versions[-1]["metrics"]) >= {"labels_per_class", "cv_accuracy",
                                            "prediction_change", "stability_kappa"}


def test_self_training_set_on_the_project_is_the_library_policy_and_runs() -> None:
    store, trainer, user, _queues = _project(60, training="self_training")
    assert isinstance(trainer.loop.training, SelfTraining)
    _label(store, user, 9)
    trainer.train_once()
    metrics = store.model_versions("p")[-1]["metrics"]
    assert metrics["round_info"]["training"] == "SelfTraining"
    assert metrics["round_info"]["n_pseudo_labels"] >= 0


def test_store_corrections_and_retractions_reach_the_loop_pool() -> None:
    store, trainer, user, _queues = _project(60, training="incremental")
    assert isinstance(trainer.loop.training, Incremental)
    _label(store, user, 9)
    trainer.train_once()
    assert store.model_versions("p")[-1]["metrics"]["round_info"]["training"] == "full refit"
    _label(store, user, 3)
    trainer.train_once()
    assert store.model_versions("p")[-1]["metrics"]["round_info"]["training"] == "warm_start"
    # A reviewer's resolution changes a label: the loop's pool logs a correction.
    reviewer = store.user_by_token(store.add_user("r", "reviewer"))
    item = min(store.resolved_labels("p"))
    old = store.resolved_labels("p")[item]["label"]
    new = next(label for label in LABELS if label != old)
    store.resolve("p", reviewer, item, new)
    trainer.train_once()
    pool = trainer.loop.pool
    assert pool.labels_of([item]).tolist() == [new]
    assert any(e.kind == "correction" and e.id == item for e in pool.events)
    info = store.model_versions("p")[-1]["metrics"]["round_info"]
    assert info["full_refit_reason"] == "labels were corrected"
    # An annotator's undo takes a label away: the pool is replaced without it.
    retracted = store.undo("p", user)["item"]["item_id"]
    trainer.train_once()
    assert trainer.loop.pool is not pool
    assert not trainer.loop.pool.is_labeled([retracted])[0]
    assert trainer.loop.pool.n_labeled == len(store.resolved_labels("p"))
    assert store.model_versions("p")[-1]["metrics"]["round_info"]["full_refit_reason"] == \
        "labels were corrected"


def test_imported_items_grow_the_loop_pool_and_refit_an_incremental_model() -> None:
    from activelab.server.features import featurize
    from activelab.store import ImportedItem

    store, trainer, user, _queues = _project(60, training="incremental")
    _label(store, user, 9)
    trainer.train_once()
    _label(store, user, 3)
    store.add_items("p", [ImportedItem(f"new{i}", f"{t} fresh words{i}", i + 1)
                          for i, t in enumerate(_texts(6))])

    def refeaturize():  # type: ignore[no-untyped-def]
        rows = store.items("p")
        return featurize([c for _i, _e, c in rows], "text"), np.array([i for i, _e, _c in rows])

    trainer.refeaturize = refeaturize
    pool = trainer.loop.pool
    assert trainer.items_added() == "started" and trainer.wait_idle(60)
    assert trainer.last_error is None
    assert trainer.loop.pool is not pool and len(trainer.loop.pool) == 66
    assert trainer.loop.pool.n_labeled == 12
    info = store.model_versions("p")[-1]["metrics"]["round_info"]
    assert info == {"training": "full refit", "full_refit_reason": "labels were corrected"}
    assert "stability_kappa" in store.model_versions("p")[-1]["metrics"]


def test_uncertainty_stopping_rule_set_on_the_project_measures_each_version() -> None:
    from activelab.stopping import OverallUncertainty

    store, trainer, user, _queues = _project(60, stopping="overall_uncertainty",
                                             stop_threshold=0.99)
    rule = trainer.loop.stopping[-1]
    assert isinstance(rule, OverallUncertainty)
    _label(store, user, 9)
    trainer.train_once()
    metrics = store.model_versions("p")[-1]["metrics"]
    assert metrics["round_info"]["mean_uncertainty"] == rule.values_[-1]
    assert metrics["stop_reason"].startswith("mean uncertainty")


# ---- settings by name ---------------------------------------------------------------------


def test_build_server_stores_canonical_names_and_refuses_unknown_ones(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from activelab.server.cli import build_server
    from activelab.server.demo import write_csv

    data = write_csv(tmp_path / "news.csv", 30, seed=1)
    common = dict(data=str(data), text_column="text", image_column=None, id_column=None,
                  labels=("sport", "food", "space"), project=None, strategy="margin",
                  retrain_every=6)
    with pytest.raises(ActiveLabError, match="did you mean 'self_training'"):
        build_server(db=f"sqlite:///{tmp_path}/a.db", model="logreg", training="self-trainin",
                     **common)
    with pytest.raises(ActiveLabError, match="did you mean 'max_uncertainty'"):
        build_server(db=f"sqlite:///{tmp_path}/b.db", model="logreg", stopping="max_uncertanty",
                     **common)
    with pytest.raises(ActiveLabError, match="needs a threshold"):
        build_server(db=f"sqlite:///{tmp_path}/c.db", model="logreg",
                     stopping="overall_uncertainty", **common)
    with pytest.raises(ActiveLabError, match="use FullRefit"):
        build_server(db=f"sqlite:///{tmp_path}/d.db", model="rf", training="incremental",
                     **common)
    assert not (tmp_path / "a.db").exists() or not _projects(tmp_path / "a.db")
    app, store, name = build_server(db=f"sqlite:///{tmp_path}/e.db", model="logreg",
                                    training="Self-Training", stop_threshold=0.95,
                                    stop_window=2, **common)
    trainer = app.state.trainers[name]
    trainer.wait_idle(60)
    settings = store.settings_of(name)
    assert (settings.training, settings.stopping) == ("self_training", "stabilizing_predictions")
    assert isinstance(trainer.loop.training, SelfTraining)
    assert (trainer.stabilizing.threshold, trainer.stabilizing.window) == (0.95, 2)
    store.close()


def _projects(path: Path) -> list[str]:
    from activelab.store import Store

    store = Store(f"sqlite:///{path}")
    try:
        return store.project_names()
    finally:
        store.close()


def test_settings_check_refuses_a_bad_stop_window_or_threshold() -> None:
    from activelab.store import ProjectSettings

    with pytest.raises(ActiveLabError, match="stop-window"):
        ProjectSettings(labels=("a", "b"), stop_window=0).check()
    with pytest.raises(ActiveLabError, match="between -1 and 1"):
        ProjectSettings(labels=("a", "b"), stop_threshold=2.0).check()


# ---- the loop primitives the server uses ---------------------------------------------------


def _iris_loop(**kwargs: object) -> tuple[ActiveLoop, np.ndarray]:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    pool = Pool(X)
    pool.add_labels([0, 50, 100], y[[0, 50, 100]])
    loop = ActiveLoop(LogisticRegression(max_iter=500), pool, strategies.get("random"),
                      batch_size=5, random_state=0, **kwargs)  # type: ignore[arg-type]
    return loop, y


def test_ask_random_state_seeds_that_query_only() -> None:
    loop, _y = _iris_loop()
    seeded = loop.ask(5, random_state=3)
    expected = strategies.get("random").query(loop.model, loop.pool, 5, random_state=3)
    assert seeded.ids.tolist() == expected.ids.tolist()
    other, _ = _iris_loop()
    other.ask(5, random_state=3)
    assert loop.ask(5).ids.tolist() == other.ask(5).ids.tolist()  # the loop's own draws


def test_withdraw_lets_pending_ids_be_asked_again() -> None:
    loop, _y = _iris_loop()
    first = loop.ask(5, random_state=1)
    assert not np.isin(loop.ask(5, random_state=1).ids, first.ids).any()
    loop.withdraw()
    assert loop.ask(5, random_state=1).ids.tolist() == first.ids.tolist()


def test_fit_and_check_stop_measure_the_rules_without_asking() -> None:
    rule = StabilizingPredictions(window=1, threshold=-1.0)
    loop, y = _iris_loop(stopping=[rule])
    loop.fit()
    assert loop.check_stop() is None and rule.kappas_ == []
    loop.tell([1, 51, 101], y[[1, 51, 101]])
    loop.fit()
    assert loop.check_stop().startswith("predictions stabilized")
    assert len(rule.kappas_) == 1 and 0 <= rule.changes_[0] <= 1
    assert len(loop.history) == 2


def test_replace_pool_grows_the_pool_and_keeps_rules_policy_and_skips() -> None:
    from sklearn.linear_model import SGDClassifier

    rule = StabilizingPredictions(window=5, stop_set_size=20, random_state=0)
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    pool = Pool(X[:30])
    pool.add_labels([0, 1, 2, 3], y[:4])
    loop = ActiveLoop(SGDClassifier(random_state=0), pool, strategies.get("random"),
                      stopping=[rule], training=Incremental(), random_state=0)
    loop.fit()
    loop.check_stop()
    loop.skip([7])
    loop.tell([4, 5], y[4:6])
    bigger = Pool(X, ids=np.arange(40))
    bigger.add_labels([0, 1, 2, 4, 5], [y[0], y[1], 1 - y[2], y[4], y[5]])  # 2 changed, 3 gone
    loop.replace_pool(bigger)
    assert loop.pool is bigger
    record = loop.fit()
    assert record.info["full_refit_reason"] == "labels were corrected"
    loop.check_stop()
    assert len(rule.kappas_) == 1  # the rule went on; its rows come from the new pool
    asked = loop.ask(100).ids.tolist()
    assert 7 not in asked and set(range(30, 40)) <= set(asked)
    with pytest.raises(ActiveLabError, match="may only add items"):
        loop.replace_pool(Pool(X[:10]))


def test_replace_pool_without_changes_updates_incrementally() -> None:
    from sklearn.linear_model import SGDClassifier

    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    pool = Pool(X[:30])
    pool.add_labels([0, 1, 2, 3], y[:4])
    loop = ActiveLoop(SGDClassifier(random_state=0), pool, strategies.get("random"),
                      training=Incremental(), random_state=0)
    loop.fit()
    bigger = Pool(X, ids=np.arange(40))
    bigger.add_labels([0, 1, 2, 3, 35], y[[0, 1, 2, 3, 35]])
    loop.replace_pool(bigger)
    assert loop.fit().info == {"training": "partial_fit"}
    again = Pool(X, ids=np.arange(40))
    again.add_labels([0, 1, 2, 3, 35], y[[0, 1, 2, 3, 35]])
    loop.replace_pool(again, rows_changed=True)
    assert loop.fit().info["full_refit_reason"] == "labels were corrected"


def test_full_refit_default_and_run_still_agree() -> None:
    loop, y = _iris_loop(stopping=[LabelBudget(13)])
    assert isinstance(loop.training, FullRefit)
    loop.oracle = SimulatedOracle(y)
    assert [r.n_labeled for r in loop.run()] == [3, 8, 13]


def test_dashboard_names_the_projects_policy_and_rule_and_says_when_the_rule_fires(
        tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from activelab.server.cli import build_server
    from activelab.server.demo import make_texts, write_csv

    data = write_csv(tmp_path / "news.csv", 60, seed=1)
    truth = {row["id"]: row["label"] for row in make_texts(60, 1)}
    app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None,
        labels=("sport", "food", "space"), db=None, project=None, strategy="margin",
        model="logreg", retrain_every=1000, training="self-training",
        stopping="overall_uncertainty", stop_threshold=0.99)
    token = store.add_user("rita", "admin", password="rita-pw")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        headers = {"Authorization": f"Bearer {token}"}
        client.post("/login", data={"name": "rita", "password": "rita-pw",
                                    "csrf_token": _csrf(client.get("/login").text)})
        page = client.get(f"/projects/{name}/dashboard").text
        assert "training <code>self_training</code>" in page
        assert "stopping <code>overall_uncertainty</code> at 0.99" in page
        assert 'id="stop-reason"' not in page
        for _ in range(15):
            item = client.post(f"/api/projects/{name}/next", headers=headers).json()
            client.post(f"/api/projects/{name}/annotations", headers=headers, json={
                "item_id": item["item_id"], "label": truth[item["external_id"]],
                "lease_id": item["lease_id"]})
        assert client.post(f"/api/projects/{name}/retrain", headers=headers).status_code < 300
        assert app.state.trainers[name].wait_idle(60)
        reason = store.model_versions(name)[-1]["metrics"]["stop_reason"]
        page = client.get(f"/projects/{name}/dashboard").text
    assert 'id="stop-reason"' in page and reason in page
    store.close()


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_control_share_gives_the_dashboard_an_estimate_and_a_recommendation() -> None:
    from activelab.control import describe

    store, trainer, user, queues = _project(120, control=0.5, queue_size=40)
    trainer.ensure_cold_start()
    for _ in range(4):
        _label(store, user, 12)
        trainer.train_once()
    metrics = store.model_versions("p")[-1]["metrics"]
    control = metrics["control"]
    draws = trainer.loop.control.draws
    assert draws and control["summary"] == describe(control)
    used = [d for d in draws if d.round <= trainer.loop.history[-2].round]
    assert 0 <= control["accuracy"]["low"] <= control["accuracy"]["estimate"] <= 1
    assert control["accuracy"]["items"] <= len(used)
    assert "stop_recommendation" not in metrics or metrics["stop_recommendation"]["summary"]
