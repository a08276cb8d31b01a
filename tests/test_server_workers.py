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


def test_allocations_and_answers_from_two_processes_give_each_item_its_labels(two_processes) -> None:  # type: ignore[no-untyped-def]
    """16 annotators in 8 threads over two stores take and answer items side by side, two
    labels per item, until ``next`` says nothing is left for them: every item ends with
    exactly two labels by two annotators, every answer recorded once."""
    import threading

    from activelab.store import Store

    (store_a, _ta), (store_b, _tb), now, _token = two_processes
    now[0] = 10**9
    setup = Store(store_a.url)
    setup.change_settings("p", {"labels_per_item": 2}, "test")
    setup.close()
    users = [store_a.user_by_token(store_a.add_user(f"v{i}", "annotator")) for i in range(16)]
    labeled: list[tuple[int, str]] = []
    lock = threading.Lock()

    def work(store, mine) -> None:  # type: ignore[no-untyped-def]
        for user in mine:
            while (leased := store.next_item("p", user)) is not None:
                store.annotate("p", user, leased.item_id, LABELS[leased.item_id % 3],
                               lease_id=leased.lease_id)
                with lock:
                    labeled.append((leased.item_id, user.name))

    threads = [threading.Thread(target=work, args=((store_a, store_b)[t % 2], users[t::8]))
               for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(labeled) == len(set(labeled)) == 2 * 45
    per_item: dict[int, set[str]] = {}
    for item, name in labeled:
        per_item.setdefault(item, set()).add(name)
    assert len(per_item) == 45 and all(len(names) == 2 for names in per_item.values())
    stored = [(e["external_id"], e["annotator"]) for e in store_a.events("p")
              if e["kind"] == "label" and e["annotator"].startswith("v")]
    assert len(stored) == len(set(stored)) == 90


def test_next_reads_a_few_rows_of_a_large_pool_not_all_of_them(tmp_path: Path) -> None:
    """The allocation's plan on PostgreSQL walks the queue's index and stops at the first
    open item: on a pool of 20,000 items with half the queue's head labeled, the query
    reads a few hundred rows, where sorting the pool would read all 20,000."""
    import json
    import time

    from sqlalchemy import select, text

    from activelab.store import ImportedItem, ProjectSettings, Store
    from activelab.store.queue import _groups
    from activelab.store.schema import Item, Project

    store = Store(database_url("postgresql", tmp_path))
    n = 20_000
    store.create_project("big", [ImportedItem(str(i), f"text {i}", i) for i in range(n)],
                         ProjectSettings(labels=LABELS, exploration=0.0))
    user = store.user_by_token(store.add_user("ann", "annotator"))
    with store._session() as session:
        ids = list(session.scalars(select(Item.id).order_by(Item.id)))
    store.add_model_version("big", "model", 0, {}, [(i, float(-k)) for k, i in enumerate(ids)])
    for _ in range(150):  # the head of the queue: labeled, so each call passes over it
        leased = store.next_item("big", user)
        store.annotate("big", user, leased.item_id, "fruit", lease_id=leased.lease_id)
    assert leased.item_id == ids[149]  # the queue's order

    def rows_read(plan: dict) -> int:  # type: ignore[type-arg]
        own = plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1) \
            if plan.get("Relation Name") == "items" else 0
        return own + sum(rows_read(child) for child in plan.get("Plans", []))

    with store._session() as session:
        project = session.scalar(select(Project).where(Project.name == "big"))
        for query in _groups(project, user, time.time(), False, False):
            sql = query.limit(1).compile(dialect=session.get_bind().dialect,
                                         compile_kwargs={"literal_binds": True})
            plan = session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar()
            plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
            assert rows_read(plan) < 1000, json.dumps(plan)[:2000]
            break  # the queue's group; the rest of the pool is reached only after it
    store.close()


def test_when_the_process_that_trains_is_killed_another_trains_the_next_version(
        tmp_path: Path) -> None:
    """``activelab serve --workers 2`` on PostgreSQL: the worker process that holds the
    training lease is killed with SIGKILL in the middle of a retrain. The other worker
    keeps serving annotators, takes the lease over once it expires (``--training-lease``)
    and stores the next model version; no label is lost."""
    import os
    import signal
    import time

    import httpx

    from activelab.server.demo import write_csv
    from activelab.server.testing import free_port, server_output, start_server, stop_server
    from activelab.store import Store

    url = database_url("postgresql", tmp_path)
    data = write_csv(tmp_path / "news.csv", 3000, seed=3)
    setup = Store(url)
    setup.close()
    port = free_port()
    server = start_server(data, url, port, "sport,food,space", "--retrain-every", "1000000",
                          "--workers", "2", "--training-lease", "3", timeout=300)
    store = Store(url)
    try:
        admin = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, headers={
            "Authorization": f"Bearer {store.add_user('boss', 'admin')}"})
        annotator = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, headers={
            "Authorization": f"Bearer {store.add_user('ann', 'annotator')}"})
        answered: list[str] = []

        def label(n: int) -> None:
            for _ in range(n):
                item = annotator.post("/api/projects/news/next").json()
                answer = annotator.post("/api/projects/news/annotations", json={
                    "item_id": item["item_id"], "label": ("sport", "food", "space")[
                        len(answered) % 3], "lease_id": item["lease_id"]})
                assert answer.status_code == 200, answer.text
                answered.append(item["external_id"])

        label(30)
        versions_before = admin.get("/api/projects/news/stats").json()["model_version"]
        killed = None
        for _attempt in range(3):
            assert admin.post("/api/projects/news/retrain").status_code == 202
            deadline = time.monotonic() + 60
            while (held := store.training_lease("news")) is None:
                assert time.monotonic() < deadline, "no process took the training lease"
                time.sleep(0.005)
            holder = held[0]
            os.kill(int(holder.split(":")[1]), signal.SIGKILL)
            time.sleep(0.2)
            # Killed while it trained: it never dropped its lease, nor stored a version.
            if store.training_lease("news") is not None and \
                    store.training_lease("news")[0] == holder:
                killed = holder
                break
        assert killed is not None, "the training job ended before it could be killed"
        assert all(v["metrics"].get("trained_by") != killed
                   for v in store.model_versions("news"))
        label(10)  # the other process serves on meanwhile
        assert admin.post("/api/projects/news/retrain").status_code == 202
        deadline = time.monotonic() + 120
        while admin.get("/api/projects/news/stats").json()["model_version"] <= versions_before:
            assert time.monotonic() < deadline, server_output(server)[-3000:]
            time.sleep(0.5)
        newest = store.model_versions("news")[-1]
        assert newest["kind"] == "model"
        assert newest["metrics"]["trained_by"] != killed
        assert newest["metrics"]["labels_counted"] == 40
        labels = [e["external_id"] for e in store.events("news") if e["kind"] == "label"]
        assert sorted(labels) == sorted(answered)
    finally:
        stop_server(server)
        store.close()
