"""The server's smaller parts: agreement statistics against hand-computed values, the
cold-start diversity order, the trainer's one-running-one-pending rule."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("statsmodels")

from activelab.server.agreement import agreement  # noqa: E402
from activelab.server.features import diversity_order, featurize  # noqa: E402


def test_cohen_and_fleiss_kappa_match_hand_computed_values() -> None:
    # Two annotators, three items: agree, agree, disagree. Observed agreement 2/3; annotator a
    # says x twice, b once, so chance agreement = 2/3*1/3 + 1/3*2/3 = 4/9, and
    # Cohen's kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4. Fleiss: item agreement 1, 1, 0 (mean
    # 2/3); label shares x = y = 1/2, chance 1/2, kappa = (2/3 - 1/2) / (1/2) = 1/3.
    answers = [(1, "a", "x"), (1, "b", "x"), (2, "a", "y"), (2, "b", "y"), (3, "a", "x"),
               (3, "b", "y")]
    report = agreement(answers, ["x", "y"])
    assert report["pairs"] == [{"annotators": ["a", "b"], "n_items": 3, "cohen_kappa": 0.4}]
    assert report["fleiss_kappa"] == pytest.approx(1 / 3, abs=1e-4)


def test_perfect_agreement_and_too_little_data() -> None:
    perfect = [(i, who, "xy"[i % 2]) for i in range(4) for who in "abc"]
    report = agreement(perfect, ["x", "y"])
    assert [p["cohen_kappa"] for p in report["pairs"]] == [1.0, 1.0, 1.0]
    assert report["fleiss_kappa"] == 1.0
    assert agreement([(1, "a", "x")], ["x", "y"]) == {"pairs": [], "fleiss_kappa": None}


def test_diversity_order_visits_every_group_before_repeating_one() -> None:
    groups = ["apple banana cherry", "rocket planet orbit", "goal team match"]
    texts = [f"{groups[i % 3]} {'x' * (1 + i // 3)}" for i in range(30)]
    order = diversity_order(featurize(texts, "text"), n_clusters=3, seed=0)
    assert sorted(order.tolist()) == list(range(30))
    assert sorted(i % 3 for i in order[:3]) == [0, 1, 2]
    again = diversity_order(featurize(texts, "text"), n_clusters=3, seed=0)
    assert np.array_equal(order, again)


def test_trainer_runs_one_job_and_keeps_one_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    from activelab.server.trainer import Trainer
    from activelab.store import ImportedItem, ProjectSettings, Store

    store = Store("sqlite://")
    store.create_project("p", [ImportedItem(str(i), f"text {i}", i) for i in range(5)],
                         ProjectSettings(labels=("a", "b")))
    trainer = Trainer(store, "p", np.eye(5), np.array([i for i, _e, _c in store.items("p")]))
    release = threading.Event()
    calls: list[str] = []

    def slow_train(trigger: str = "manual") -> None:
        calls.append(trigger)
        release.wait(10)

    monkeypatch.setattr(trainer, "train_once", slow_train)
    assert trainer.request("first") == "started"
    assert trainer.request("second") == "pending"
    assert trainer.request("third") == "already pending"
    assert trainer.status()["running"] and trainer.status()["pending"]
    release.set()
    assert trainer.wait_idle(10)
    assert calls == ["first", "second"] and trainer.jobs_run == 2


def test_retrain_every_counts_labels_not_items_with_overlap() -> None:
    from activelab.server.trainer import Trainer
    from activelab.store import ImportedItem, ProjectSettings, Store

    texts = [f"{'apple pear' if i % 2 else 'rocket moon'} {i}" for i in range(20)]
    store = Store("sqlite://")
    store.create_project("p", [ImportedItem(str(i), t, i) for i, t in enumerate(texts)],
                         ProjectSettings(labels=("fruit", "space"), labels_per_item=2,
                                         retrain_every=6, exploration=0.0))
    rows = store.items("p")
    trainer = Trainer(store, "p", featurize([c for _i, _e, c in rows], "text"),
                      np.array([i for i, _e, _c in rows]))
    users = [store.user_by_token(store.add_user(name, "annotator")) for name in "ab"]
    for _ in range(12):
        for user in users:
            item = store.next_item("p", user)
            label = "fruit" if "apple" in item.content else "space"
            store.annotate("p", user, item.item_id, label, lease_id=item.lease_id)
            trainer.labels_changed(store.count_labels("p"))
            assert trainer.wait_idle(60)
    # 24 labels on 12 items, a retrain every 6 labels: 4 jobs, each a new model version.
    assert trainer.jobs_run == 4 and trainer.last_error is None
    assert [v["n_labels"] for v in store.model_versions("p") if v["kind"] == "model"] == \
        [3, 6, 9, 12]
