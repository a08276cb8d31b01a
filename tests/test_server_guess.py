"""The model's guess on screen, "unsure" answers and lease messages in words: the store and
the JSON API (FastAPI's TestClient) on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from activelab.server.cli import build_server  # noqa: E402
from activelab.server.demo import make_texts, write_csv  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

LABELS = ("sport", "food", "space")
TRUTH = {row["id"]: row["label"] for row in make_texts(60, seed=1)}


def _server(url: str, tmp_path: Path, **options: object):  # type: ignore[no-untyped-def]
    data = write_csv(tmp_path / "news.csv", 60, seed=1)
    app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None, labels=LABELS,
        db=url, project=None, strategy="margin", model="logreg", retrain_every=1000,
        exploration=0.0, **options)  # type: ignore[arg-type]
    tokens = {who: store.add_user(who, "annotator") for who in ("ann", "bob")}
    return app, store, tokens, app.state.trainers[name]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


@pytest.fixture
def server(url: str, tmp_path: Path):
    app, store, tokens, trainer = _server(url, tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, store, tokens, trainer
    store.close()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _label(client, token: str, n: int, answer=None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Label ``n`` items through the API with the truth (or ``answer(item)``)."""
    replies = []
    for _ in range(n):
        item = client.post("/api/projects/news/next", headers=_auth(token)).json()
        label = TRUTH[item["external_id"]] if answer is None else answer(item)
        reply = client.post("/api/projects/news/annotations", headers=_auth(token), json={
            "item_id": item["item_id"], "label": label, "lease_id": item["lease_id"]})
        assert reply.status_code == 200, reply.text
        replies.append({**item, **reply.json()})
    return replies


def _next_then_unsure(client, headers: dict[str, str]) -> dict:  # type: ignore[no-untyped-def]
    """Lease the next item and answer "unsure"; the item as ``next`` gave it."""
    item = client.post("/api/projects/news/next", headers=headers).json()
    reply = client.post("/api/projects/news/unsure", headers=headers, json={
        "item_id": item["item_id"], "lease_id": item["lease_id"]})
    assert reply.status_code == 200 and reply.json()["kind"] == "unsure"
    return item


def test_a_model_version_stores_every_items_guess_with_its_probability(server) -> None:
    from activelab.models.catalog import make_model

    client, store, tokens, trainer = server
    _label(client, tokens["ann"], 12)
    assert store.guesses("news") == {}  # no model yet
    assert trainer.train_once() == 1
    guesses = store.guesses("news")
    assert sorted(guesses) == sorted(int(i) for i in trainer.item_ids)
    # The same model fitted again, by hand, on the store's labels and the pool's rows.
    labeled = {item: entry["label"] for item, entry in store.resolved_labels("news").items()}
    rows = [int(np.flatnonzero(trainer.item_ids == item)[0]) for item in labeled]
    reference = make_model("logreg", 0, sparse=True).fit(
        trainer.features[rows], list(labeled.values()))
    proba = reference.predict_proba(trainer.features)
    for row, item in enumerate(trainer.item_ids):
        value, confidence = guesses[int(item)]
        assert value == reference.classes_[proba[row].argmax()]
        assert confidence == pytest.approx(proba[row].max(), abs=1e-9)
    some = [int(i) for i in trainer.item_ids[:3]]
    assert store.guesses("news", some) == {i: guesses[i] for i in some}


def test_next_shows_the_guess_and_the_log_records_whether_it_was_taken(server) -> None:
    client, store, tokens, trainer = server
    before = _label(client, tokens["ann"], 12)
    assert all(r["guess"] is None and r["guess_accepted"] is None for r in before)
    trainer.train_once()
    guesses = store.guesses("news")
    flip = {"sport": "food", "food": "space", "space": "sport"}
    done = _label(client, tokens["ann"], 6, answer=lambda item: item["guess"] if
                  item["item_id"] % 2 else flip[item["guess"]])
    for reply in done:
        value, confidence = guesses[reply["item_id"]]
        assert (reply["guess"], reply["guess_confidence"]) == (value, pytest.approx(confidence))
        assert reply["guess_accepted"] is bool(reply["item_id"] % 2)
    events = store.events("news")[-6:]
    assert [e["guess"] for e in events] == [r["guess"] for r in done]
    assert [e["guess_accepted"] for e in events] == [bool(r["item_id"] % 2) for r in done]


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_guesses_can_be_turned_off(url: str, tmp_path: Path, how: str) -> None:
    app, store, tokens, trainer = _server(url, tmp_path, guesses=False if how == "flag" else None)
    if how == "setting":
        from activelab.store.schema import Project

        with store._transaction() as session:  # the setting as a project would have it
            project = session.query(Project).one()
            project.settings = {**project.settings, "show_guess": False}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        _label(client, tokens["ann"], 12)
        trainer.train_once()
        assert store.guesses("news")  # stored all the same
        reply = _label(client, tokens["ann"], 1)[0]
        assert reply["guess"] is None and reply["guess_accepted"] is None
    store.close()


def test_unsure_passes_the_item_on_and_the_pool_counts_it(server) -> None:
    client, store, tokens, trainer = server
    ann, bob = _auth(tokens["ann"]), _auth(tokens["bob"])
    item = client.post("/api/projects/news/next", headers=ann).json()
    reply = client.post("/api/projects/news/unsure", headers=ann, json={
        "item_id": item["item_id"], "lease_id": item["lease_id"]})
    assert reply.status_code == 200 and reply.json()["kind"] == "unsure"
    # Like a skip under skip_policy "others": never back to ann, next to bob.
    seen = [client.post("/api/projects/news/next", headers=ann).json()["item_id"]]
    assert item["item_id"] not in seen
    assert client.post("/api/projects/news/next", headers=bob).json()["item_id"] == \
        item["item_id"]
    stats = client.get("/api/projects/news/stats", headers=ann).json()
    assert (stats["n_unsure"], stats["n_skipped"]) == (1, 0)
    _label(client, tokens["ann"], 12)
    trainer.train_once()
    assert trainer.loop.pool.unsure_counts([item["item_id"]]).tolist() == [1]
    trainer.train_once()  # told once, not again at every job
    assert trainer.loop.pool.unsure_counts([item["item_id"]]).tolist() == [1]
    assert [e["kind"] for e in store.events("news")].count("unsure") == 1


def test_undo_takes_back_an_unsure_answer(server) -> None:
    client, store, tokens, _trainer = server
    ann = _auth(tokens["ann"])
    item = _next_then_unsure(client, ann)
    undone = client.post("/api/projects/news/undo", headers=ann).json()
    assert undone["kind"] == "unsure" and undone["item"]["item_id"] == item["item_id"]
    assert client.get("/api/projects/news/stats", headers=ann).json()["n_unsure"] == 0


def test_lease_messages_say_what_happened_in_words_not_lease_ids(server) -> None:
    client, store, tokens, _trainer = server
    ann, bob = _auth(tokens["ann"]), _auth(tokens["bob"])
    item = client.post("/api/projects/news/next", headers=ann).json()
    body = {"item_id": item["item_id"], "label": "food", "lease_id": item["lease_id"]}
    stolen = client.post("/api/projects/news/annotations", headers=bob, json=body)
    unknown = client.post("/api/projects/news/annotations", headers=ann,
                          json={**body, "lease_id": "0" * 36})
    real_clock = store.clock
    store.clock = lambda: real_clock() + 3600
    try:
        expired = client.post("/api/projects/news/annotations", headers=ann, json=body)
    finally:
        store.clock = real_clock
    fresh = client.post("/api/projects/news/next", headers=ann).json()
    client.post("/api/projects/news/annotations", headers=ann, json={
        **body, "item_id": fresh["item_id"], "lease_id": fresh["lease_id"]})
    used = client.post("/api/projects/news/annotations", headers=ann, json={
        **body, "item_id": fresh["item_id"], "lease_id": fresh["lease_id"]})
    replies = {"stolen": stolen, "unknown": unknown, "expired": expired, "used": used}
    assert {k: r.status_code for k, r in replies.items()} == {
        "stolen": 409, "unknown": 404, "expired": 410, "used": 409}
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}|0{36}|lease")
    for reply in replies.values():
        assert not uuid.search(reply.json()["detail"]), reply.json()["detail"]
    assert "your hold on item 'doc-" in expired.json()["detail"]
    assert "expired after 10 minutes; it was given back to the queue" in expired.json()["detail"]
    assert "held by another annotator" in stolen.json()["detail"]
    assert "already answered" in used.json()["detail"]


def test_an_unsure_answer_leaves_label_studio_as_a_cancelled_annotation(server) -> None:
    from activelab.server.interop import label_studio_tasks

    client, store, tokens, _trainer = server
    ann = _auth(tokens["ann"])
    item = _next_then_unsure(client, ann)
    task = next(t for t in label_studio_tasks(store, "news", predictions=False)
                if t.get("meta", {}).get("external_id") == item["external_id"])
    (annotation,) = task["annotations"]
    assert annotation["was_cancelled"] is True and annotation["result"] == []
