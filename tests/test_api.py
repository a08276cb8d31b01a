"""The labeling server's JSON API, through FastAPI's TestClient, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from activelab.server.cli import build_server  # noqa: E402
from activelab.server.demo import write_csv  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

LABELS = ("sport", "food", "space")


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path):
    url = database_url(request.param, tmp_path)
    data = write_csv(tmp_path / "news.csv", 60, seed=1)
    app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None, labels=LABELS,
        db=url, project=None, strategy="margin", model="logreg", retrain_every=6,
        exploration=0.0)
    tokens = {role: store.add_user(role, role) for role in ("admin", "annotator", "reviewer")}
    tokens["annotator2"] = store.add_user("annotator2", "annotator")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, store, tokens, app.state.trainers[name]
    app.state.trainers[name].wait_idle(60)
    store.close()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _truth() -> dict[str, str]:
    from activelab.server.demo import make_texts

    return {row["id"]: row["label"] for row in make_texts(60, seed=1)}


def test_health_needs_no_token_and_everything_else_does(server) -> None:
    client, _store, tokens, _trainer = server
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json()["projects"] == ["news"]
    assert client.post("/api/projects/news/next").status_code == 401
    assert client.post("/api/projects/news/next", headers=_auth("wrong")).status_code == 401
    assert client.get("/api/projects/news/stats", headers=_auth("x" * 500)).status_code == 401


def test_roles_are_enforced(server) -> None:
    client, _store, tokens, _trainer = server
    annotator = _auth(tokens["annotator"])
    export = client.get("/api/projects/news/export", headers=annotator)
    assert export.status_code == 403 and "needs admin or reviewer" in export.json()["detail"]
    assert client.post("/api/users", json={"name": "eve", "role": "admin"},
                       headers=annotator).status_code == 403
    assert client.post("/api/users", json={"name": "eve", "role": "admin"},
                       headers=_auth(tokens["reviewer"])).status_code == 403
    assert client.post("/api/projects/news/retrain", headers=annotator).status_code == 403
    made = client.post("/api/users", json={"name": "eve", "role": "annotator"},
                       headers=_auth(tokens["admin"]))
    assert made.status_code == 201
    assert client.post("/api/projects/news/next",
                       headers=_auth(made.json()["token"])).status_code == 200
    assert client.get("/api/projects/news/export",
                      headers=_auth(tokens["reviewer"])).status_code == 200


def test_label_flow_next_annotate_skip_undo_export(server) -> None:
    client, store, tokens, _trainer = server
    headers = _auth(tokens["annotator"])
    first = client.post("/api/projects/news/next", headers=headers).json()
    assert first["reason"] == "diversity" and first["external_id"].startswith("doc-")
    answer = client.post("/api/projects/news/annotations", headers=headers, json={
        "item_id": first["item_id"], "label": "food", "lease_id": first["lease_id"],
        "rationale": "pasta sauce"})
    assert answer.status_code == 200 and answer.json()["label"] == "food"
    second = client.post("/api/projects/news/next", headers=headers).json()
    assert second["item_id"] != first["item_id"]
    skipped = client.post("/api/projects/news/skip", headers=headers,
                          json={"item_id": second["item_id"], "lease_id": second["lease_id"]})
    assert skipped.json()["kind"] == "skip"
    undone = client.post("/api/projects/news/undo", headers=headers).json()
    assert undone["kind"] == "skip" and undone["item"]["item_id"] == second["item_id"]
    undone = client.post("/api/projects/news/undo", headers=headers).json()
    assert undone["label"] == "food" and undone["item"]["item_id"] == first["item_id"]
    assert client.post("/api/projects/news/undo", headers=headers).status_code == 204
    client.post("/api/projects/news/annotations", headers=headers, json={
        "item_id": first["item_id"], "label": "space", "lease_id": undone["item"]["lease_id"]})
    exported = client.get("/api/projects/news/export?format=jsonl",
                          headers=_auth(tokens["reviewer"]))
    rows = [json.loads(line) for line in exported.text.splitlines()]
    assert [(r["external_id"], r["label"]) for r in rows] == [(first["external_id"], "space")]
    events = client.get("/api/projects/news/export?format=csv&kind=events",
                        headers=_auth(tokens["admin"]))
    kinds = [row["kind"] for row in csv.DictReader(io.StringIO(events.text))]
    assert kinds == ["label", "skip", "retract", "retract", "label"]
    stats = client.get("/api/projects/news/stats", headers=headers).json()
    assert stats["n_labels"] == 1 and stats["labels_per_class"]["space"] == 1


def test_bad_requests_get_a_clear_4xx_and_store_nothing(server) -> None:
    client, store, tokens, _trainer = server
    headers = _auth(tokens["annotator"])
    item = client.post("/api/projects/news/next", headers=headers).json()
    bad_label = client.post("/api/projects/news/annotations", headers=headers, json={
        "item_id": item["item_id"], "label": "music", "lease_id": item["lease_id"]})
    assert bad_label.status_code == 422
    assert "'music' is not one of this project's labels: sport, food, space" in \
        bad_label.json()["detail"]
    unknown = client.post("/api/projects/news/annotations", headers=headers,
                          json={"item_id": 10**9, "label": "food"})
    assert unknown.status_code == 404 and "no item" in unknown.json()["detail"]
    assert client.post("/api/projects/nope/next", headers=headers).status_code == 404
    other = client.post("/api/projects/news/annotations", headers=_auth(tokens["annotator2"]),
                        json={"item_id": item["item_id"], "label": "food",
                              "lease_id": item["lease_id"]})
    assert other.status_code == 409
    huge = client.post("/api/projects/news/annotations", headers=headers,
                       content=b"{" + b" " * 70_000 + b"}")
    assert huge.status_code == 413
    long_rationale = client.post("/api/projects/news/annotations", headers=headers, json={
        "item_id": item["item_id"], "label": "food", "rationale": "x" * 2001})
    assert long_rationale.status_code == 422
    assert store.events("news") == []


def test_expired_lease_is_refused_with_410(server) -> None:
    client, store, tokens, _trainer = server
    headers = _auth(tokens["annotator"])
    item = client.post("/api/projects/news/next", headers=headers).json()
    real_clock = store.clock
    store.clock = lambda: real_clock() + 3600
    try:
        expired = client.post("/api/projects/news/annotations", headers=headers, json={
            "item_id": item["item_id"], "label": "food", "lease_id": item["lease_id"]})
    finally:
        store.clock = real_clock
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    assert store.events("news") == []


def test_idempotency_key_retry_records_once(server) -> None:
    client, store, tokens, _trainer = server
    headers = {**_auth(tokens["annotator"]), "Idempotency-Key": "abc-1"}
    item = client.post("/api/projects/news/next", headers=headers).json()
    body = {"item_id": item["item_id"], "label": "sport", "lease_id": item["lease_id"]}
    first = client.post("/api/projects/news/annotations", headers=headers, json=body).json()
    again = client.post("/api/projects/news/annotations", headers=headers, json=body).json()
    assert again["event_id"] == first["event_id"] and again["replayed"] is True
    assert len(store.events("news")) == 1


def test_labels_trigger_background_retraining_and_the_queue_switches(server) -> None:
    client, store, tokens, trainer = server
    truth = _truth()
    headers = _auth(tokens["annotator"])
    reasons = []
    for n in range(1, 50):
        item = client.post("/api/projects/news/next", headers=headers).json()
        reasons.append(item["reason"])
        if item["reason"] == "strategy":
            break
        client.post("/api/projects/news/annotations", headers=headers, json={
            "item_id": item["item_id"], "label": truth[item["external_id"]],
            "lease_id": item["lease_id"]})
        if n % 6 == 0:
            assert trainer.wait_idle(120)
    # The diversity order serves until every class has 2 labels, then the strategy's queue.
    assert reasons[0] == "diversity" and reasons[-1] == "strategy"
    stats = client.get("/api/projects/news/stats", headers=headers).json()
    assert stats["model_version"] >= 1 and stats["training"]["last_error"] is None
    assert min(stats["labels_per_class"].values()) >= 2
    models = [v for v in stats["versions"] if v["kind"] == "model"]
    assert models[-1]["n_labels"] == stats["model_trained_on"] >= 6
    assert "cv_accuracy" in models[-1]["metrics"]
    rounds = store.query_rounds("news")
    assert rounds[0]["trigger"] == "cold-start" and rounds[-1]["n_scored"] > 0
    assert client.post("/api/projects/news/retrain",
                       headers=_auth(tokens["admin"])).json()["status"] in (
        "started", "pending", "already pending")
    assert trainer.wait_idle(120)


def test_a_database_outage_is_a_503_that_says_to_retry(server, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    client, store, tokens, _trainer = server

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(store, "stats", down)
    answer = client.get("/api/projects/news/stats", headers=_auth(tokens["admin"]))
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert "retry" in answer.json()["detail"]
