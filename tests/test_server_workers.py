"""Several server processes on one database: one trains each project at a time (the
training lease), the others serve the versions it stores, and a dead holder's lease is
taken over once it expires. Two Store objects on one database stand for two processes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from activelab.store.testing import database_url

WORDS = ["apple pear plum", "rocket moon star", "goal ball team"]
LABELS = ("fruit", "space", "sport")


def _texts(n: int) -> list[str]:
    return [f"{WORDS[i % 3]} w{i % 11} v{i % 5}" for i in range(n)]


def _process(url: str, holder: str, now: list[float]):  # type: ignore[no-untyped-def]
    """One server process: its own Store (reading the shared clock ``now``) and Trainer."""
    from activelab.server.features import featurize
    from activelab.server.trainer import Trainer
    from activelab.store import Store

    store = Store(url)
    store.clock = lambda: now[0]

    def pool_features():  # type: ignore[no-untyped-def]
        rows = store.items("p")
        return featurize([c for _i, _e, c in rows], "text"), np.array([i for i, _e, _c in rows])

    trainer = Trainer(store, "p", *pool_features(), refeaturize=pool_features, holder=holder,
                      lease_seconds=60.0)
    return store, trainer


@pytest.fixture(params=["sqlite", "postgresql"])
def two_processes(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    from activelab.store import ImportedItem, ProjectSettings, Store

    url = database_url(request.param, tmp_path)
    setup = Store(url)
    setup.create_project("p", [ImportedItem(str(i), t, i) for i, t in enumerate(_texts(45))],
                         ProjectSettings(labels=LABELS, retrain_every=5, exploration=0.0,
                                         control=0.0))
    token = setup.add_user("ann", "annotator")
    setup.close()
    now = [1000.0]
    a, b = _process(url, "host-a:1:x", now), _process(url, "host-b:2:y", now)
    yield a, b, now, token
    for store, trainer in (a, b):
        trainer.close()
        store.close()


def _label(store, token: str, n: int) -> None:  # type: ignore[no-untyped-def]
    user = store.user_by_token(token)
    for _ in range(n):
        item = store.next_item("p", user)
        truth = LABELS[[w.split()[0] for w in WORDS].index(item.content.split()[0])]
        store.annotate("p", user, item.item_id, truth, lease_id=item.lease_id)


def test_only_the_lease_holder_trains_and_a_dead_holders_lease_is_taken_over(
        two_processes) -> None:  # type: ignore[no-untyped-def]
    (store_a, trainer_a), (store_b, trainer_b), now, token = two_processes
    trainer_a.ensure_cold_start()
    trainer_b.ensure_cold_start()
    assert [v["number"] for v in store_b.model_versions("p")] == [0]  # stored once
    _label(store_a, token, 12)
    # Process A starts a job and dies: its lease stays until it expires.
    assert store_a.take_training_lease("p", "host-a:1:x", 60.0)
    assert trainer_b.run_job("manual") == "busy"
    assert store_b.project_info("p")["model_version"] == 0
    now[0] += 59.0
    assert trainer_b.run_job("manual") == "busy"
    now[0] += 2.0  # A's lease has expired: B takes over and trains
    assert trainer_b.run_job("manual") == "trained"
    assert store_b.training_lease("p") is None  # dropped after the job
    # Process A (which did not train) serves the new version from the database.
    assert store_a.project_info("p")["model_version"] == 1
    item = store_a.next_item("p", store_a.user_by_token(token))
    assert item.reason == "strategy"
    # A's automatic job is not due: B trained on these labels already.
    assert trainer_a.run_job("auto") == "not due"
    trainer_a.labels_changed(store_a.count_labels("p"))
    assert trainer_a.status()["jobs_run"] == 0
    assert [v["number"] for v in store_a.model_versions("p")] == [0, 1]


def test_no_other_process_takes_the_lease_while_a_job_runs(two_processes) -> None:  # type: ignore[no-untyped-def]
    (store_a, trainer_a), (store_b, trainer_b), now, token = two_processes
    trainer_a.ensure_cold_start()
    _label(store_a, token, 12)
    seen: list[object] = []
    train = trainer_a.train_once

    def train_and_look(trigger: str = "manual") -> int | None:
        seen.append(store_b.training_lease("p"))
        seen.append(trainer_b.run_job("manual"))
        now[0] += 50.0  # a long job: the heartbeat renews the lease
        trainer_a._heartbeat_once()
        now[0] += 50.0
        seen.append(trainer_b.run_job("manual"))
        return train(trigger)

    trainer_a.train_once = train_and_look  # type: ignore[method-assign]
    assert trainer_a.run_job("manual") == "trained"
    assert seen == [("host-a:1:x", 1060.0), "busy", "busy"]
    assert [v["number"] for v in store_b.model_versions("p")] == [0, 1]


def test_a_process_picks_up_items_another_process_imported(two_processes) -> None:  # type: ignore[no-untyped-def]
    from activelab.store import ImportedItem

    (store_a, trainer_a), (store_b, trainer_b), _now, token = two_processes
    _label(store_a, token, 12)
    store_a.add_items("p", [ImportedItem("new", "rocket moon star fresh", 99)])
    assert trainer_b.run_job("manual") == "trained"  # B never heard of the import
    assert len(trainer_b.item_ids) == 46


def test_the_flash_key_is_shared_through_the_database(two_processes, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from activelab.server import flash

    (store_a, _ta), (store_b, _tb), _now, _token = two_processes
    assert store_a.shared_secret("server") == store_b.shared_secret("server")
    assert len(store_a.shared_secret("server")) == 64
    monkeypatch.delenv("ACTIVELAB_SECRET_KEY", raising=False)
    flash.use_store_secret(store_a)
    cookie = flash.sign("saved", now=10.0)
    flash.use_store_secret(store_b)  # another process, the same database
    assert flash.verify(cookie, now=20.0) == "saved"
    monkeypatch.setenv("ACTIVELAB_SECRET_KEY", "set-by-the-admin")
    flash.use_store_secret(store_b)  # the variable wins over the database
    assert flash.verify(cookie, now=20.0) is None


def test_an_import_is_scored_by_one_process_only(two_processes) -> None:  # type: ignore[no-untyped-def]
    from activelab.store import ImportedItem

    (store_a, trainer_a), (store_b, trainer_b), _now, token = two_processes
    _label(store_a, token, 12)
    assert trainer_a.run_job("manual") == "trained"
    store_a.add_items("p", [ImportedItem("new", "goal ball team fresh", 99)])
    assert trainer_a.run_job("import") == "trained"  # each process is told of the import
    assert trainer_b.run_job("import") == "not due"  # B finds it scored already
    assert [v["number"] for v in store_b.model_versions("p")] == [1, 2]


def test_serve_refuses_several_processes_on_sqlite(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from activelab.cli import main

    data = tmp_path / "items.csv"
    data.write_text("text\nan apple\na rocket\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--data", str(data), "--text-column", "text",
                                       "--labels", "fruit,space", "--workers", "2"])
    assert result.exit_code != 0
    assert "--workers 2 needs a database server: one process writes a SQLite file" \
        in result.output
    assert not (tmp_path / "items.db").exists()  # refused before anything was written


def test_concurrent_allocations_from_two_processes_never_share_an_item(two_processes) -> None:  # type: ignore[no-untyped-def]
    """Only ``next`` calls (no labeling in between to serialize them): 120 annotators from
    12 threads over two stores each get an item nobody else holds."""
    import threading

    (store_a, _ta), (store_b, _tb), now, _token = two_processes
    now[0] = 10**9  # far from the labels' times: every lease is live
    users = [store_a.user_by_token(store_a.add_user(f"u{i}", "annotator")) for i in range(120)]
    got: list[int] = []
    lock = threading.Lock()

    def work(stores_users) -> None:  # type: ignore[no-untyped-def]
        for store, user in stores_users:
            leased = store.next_item("p", user)
            with lock:
                got.append(leased.item_id if leased else -1)

    threads = [threading.Thread(target=work, args=([((store_a, store_b)[t % 2], user)
                                                    for user in users[t::12]],))
               for t in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handed = [item for item in got if item != -1]
    assert len(handed) == len(set(handed)) == 45  # each item once; 75 annotators got none
