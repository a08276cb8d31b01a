"""Task types end to end through the JSON API (FastAPI's TestClient; SQLite and
PostgreSQL): multi-label, rating and spans projects take answers in their value format,
refuse bad ones with a clear reason, resolve votes, retrain, and export the values."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from activelab.errors import ActiveLabError  # noqa: E402
from activelab.server.cli import build_server  # noqa: E402
from activelab.server.demo_tasks import TASK_LABELS, make_task_rows, write_task_csv  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

CONFIG = {"rating": {"min": 1, "max": 5, "step": 1, "tolerance": 1}}


def _server(task: str, url: str, tmp_path: Path, n: int = 40, per_item: int = 1):
    data = write_task_csv(tmp_path / f"{task}.csv", task, n, seed=2)
    return build_server(
        data=str(data), text_column="text", image_column=None, id_column=None,
        labels=TASK_LABELS[task], db=url, project=None, strategy=None, model=None,
        retrain_every=8, exploration=0.0, task=task, label_config=CONFIG.get(task),
        labels_per_item=per_item)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("task", ["multi", "rating", "spans"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_task_project_labels_retrains_and_exports_its_values(task, backend, tmp_path) -> None:
    app, store, name = _server(task, database_url(backend, tmp_path), tmp_path)
    truth = {row["id"]: row["answer"] for row in make_task_rows(task, 40, seed=2)}
    token, reviewer = store.add_user("ann", "annotator"), store.add_user("rev", "reviewer")
    trainer = app.state.trainers[name]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for _ in range(24):
            item = client.post(f"/api/projects/{name}/next", headers=_auth(token)).json()
            answer = json.loads(truth[item["external_id"]]) if task != "rating" \
                else float(truth[item["external_id"]])  # JSON values, not strings
            reply = client.post(f"/api/projects/{name}/annotations", headers=_auth(token),
                                json={"item_id": item["item_id"], "label": answer,
                                      "lease_id": item["lease_id"]})
            assert reply.status_code == 200, reply.text
            assert reply.json()["label"] == truth[item["external_id"]]
        assert trainer.wait_idle(300) and trainer.last_error is None
        assert trainer.train_once("test") is not None  # 24 labels train every type
        versions = [v for v in store.model_versions(name) if v["kind"] == "model"]
        assert versions[-1]["n_labels"] == 24 and versions[-1]["metrics"]["cv_metric"]
        exported = client.get(f"/api/projects/{name}/export?format=csv",
                              headers=_auth(reviewer)).text
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert len(rows) == 24
        assert all(row["label"] == truth[row["external_id"]] for row in rows)
        guesses = store.guesses(name, [i for i, _e, _c in store.items(name)][:5])
        kind_check = {"multi": list, "spans": list, "rating": (int, float)}[task]
        assert len(guesses) == 5 and all(isinstance(json.loads(v), kind_check)
                                         and 0 <= c <= 1 for v, c in guesses.values())
        # The next item shows the stored guess; answering with it records an accepted guess.
        item = client.post(f"/api/projects/{name}/next", headers=_auth(token)).json()
        shown = store.guesses(name, [item["item_id"]])[item["item_id"]][0]
        assert item["guess"] == shown
        reply = client.post(f"/api/projects/{name}/annotations", headers=_auth(token),
                            json={"item_id": item["item_id"], "label": json.loads(shown),
                                  "lease_id": item["lease_id"]})
        assert reply.status_code == 200, reply.text
        event = store.events(name)[-1]
        assert (event["guess"], event["guess_accepted"]) == (shown, True)
    trainer.wait_idle(60)
    store.close()


@pytest.mark.parametrize(("task", "answer", "reason"), [
    ("multi", ["sport", "golf"], "['golf'] are not labels of this project"),
    ("multi", "sport", "is a JSON array of labels"),
    ("rating", 7, "outside the scale 1 to 5"),
    ("rating", 2.5, "not on the scale's steps of 1"),
    ("rating", "many", "a rating is a number from 1 to 5"),
    ("spans", [[0, 500, "PER"]], "is not inside the text"),
    ("spans", [[0, 3, "ORG"]], "span label 'ORG' is not one of this project's labels"),
    ("spans", [[0, 4, "PER"], [2, 6, "LOC"]], "overlap"),
])
def test_a_wrong_answer_is_refused_with_its_reason(task, answer, reason, tmp_path) -> None:
    app, store, name = _server(task, f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    token = store.add_user("ann", "annotator")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        item = client.post(f"/api/projects/{name}/next", headers=_auth(token)).json()
        reply = client.post(f"/api/projects/{name}/annotations", headers=_auth(token),
                            json={"item_id": item["item_id"], "label": answer})
    assert reply.status_code == 422 and reason in reply.json()["detail"], reply.text
    assert store.count_labels(name) == 0
    app.state.trainers[name].wait_idle(60)
    store.close()


def test_two_raters_resolve_by_the_median_or_go_to_review(tmp_path) -> None:
    app, store, name = _server("rating", f"sqlite:///{tmp_path / 'r.db'}", tmp_path, n=6,
                               per_item=2)
    users = [store.user_by_token(store.add_user(who, "annotator")) for who in ("a", "b")]
    items = [i for i, _e, _c in store.items(name)]
    for (first, second), item in zip([("2", "3"), ("1", "5")], items):
        for user, value in zip(users, (first, second)):
            store.annotate(name, user, item, value)
    resolved = store.resolved_labels(name)
    assert resolved[items[0]]["label"] == "2.5" and resolved[items[0]]["status"] == "resolved"
    assert resolved[items[1]]["label"] is None
    assert resolved[items[1]]["status"] == "disagreement"
    app.state.trainers[name].wait_idle(60)
    store.close()


def test_serve_refuses_labels_for_a_rating_and_a_strategy_for_spans(tmp_path) -> None:
    data = write_task_csv(tmp_path / "r.csv", "rating", 5)
    common = dict(data=str(data), text_column="text", image_column=None, id_column=None,
                  db=f"sqlite:///{tmp_path / 'r.db'}", project=None, retrain_every=5)
    with pytest.raises(ActiveLabError, match="a rating project has no labels"):
        build_server(labels=("a", "b"), strategy=None, model=None, task="rating", **common)
    with pytest.raises(ActiveLabError, match="drop --strategy and --model"):
        build_server(labels=("PER",), strategy="margin", model=None, task="spans", **common)
    with pytest.raises(ActiveLabError, match="min .5. must be below its max"):
        build_server(labels=(), strategy=None, model=None, task="rating",
                     label_config={"min": 5, "max": 1}, **common)


def test_a_spans_disagreement_is_shown_reviewed_and_measured_on_the_pages(tmp_path) -> None:
    from test_server import _login

    app, store, name = _server("spans", f"sqlite:///{tmp_path / 's.db'}", tmp_path, n=4,
                               per_item=2)
    users = [store.user_by_token(store.add_user(who, "annotator")) for who in ("a", "b")]
    store.add_user("rita", "reviewer", password="rita-pw")
    item, _ext, text = store.items(name)[0]
    first = text.split()[0]
    store.annotate(name, users[0], item, [[0, len(first), "PER"]])
    store.annotate(name, users[1], item, [[0, len(first), "LOC"]])
    with TestClient(app, base_url="http://127.0.0.1") as client:
        _login(client, "rita", "rita-pw")
        page = client.get(f"/projects/{name}/review").text
        assert f"{first} (PER) × 1" in page and f"{first} (LOC) × 1" in page
        dashboard = client.get(f"/projects/{name}/dashboard").text
        # two votes without a span in common: span F1 0 over the one item with two votes
        assert "Mean span F1 of vote pairs: 0.0 (1 items with 2+ votes)" in dashboard, \
            dashboard[dashboard.find("Agreement"):][:600]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post(f"/projects/{name}/review", data={
            "item_id": item, "label": f'[[0,{len(first)},"LOC"]]', "csrf_token": csrf})
    [row] = store.export_rows(name)
    assert (row["label"], row["reviewed"]) == (f'[[0,{len(first)},"LOC"]]', True)
    app.state.trainers[name].wait_idle(60)
    store.close()


def test_label_studio_and_hf_exports_refuse_a_task_project_with_a_way_out(tmp_path) -> None:
    from activelab.server.interop import hf_dataset, label_studio_tasks

    app, store, name = _server("multi", f"sqlite:///{tmp_path / 'm.db'}", tmp_path, n=4)
    for export in (label_studio_tasks, hf_dataset):
        with pytest.raises(ActiveLabError, match="is a multi project: use --format csv"):
            export(store, name)
    app.state.trainers[name].wait_idle(60)
    store.close()
