"""Browse and fix (the store's SQL filters, the JSON API, the data and item pages) and
honest counts with overlap (labels_per_item > 1): resolved, pending and disagreement
counted apart, models trained on resolved labels only, exports that mark what is
unresolved, a learning curve that never doubles back."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from activelab.errors import ActiveLabError  # noqa: E402
from activelab.server.app import create_app  # noqa: E402
from activelab.server.chart import learning_curve  # noqa: E402
from activelab.server.formats import to_csv, to_jsonl  # noqa: E402
from activelab.store import ImportedItem, ProjectSettings, Store  # noqa: E402
from activelab.store.browse import ItemFilter  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

LABELS = ("pos", "neg", "meh")


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def _store(url: str, texts: list[str], k: int = 2, **settings: object) -> Store:
    store = Store(url)
    items = [ImportedItem(f"id-{i}", text, i + 2) for i, text in enumerate(texts)]
    store.create_project("p", items, ProjectSettings(labels=LABELS, labels_per_item=k,
                                                     **settings))
    return store


def _users(store: Store, names: str, role: str = "annotator") -> list:
    return [store.user_by_token(store.add_user(name, role)) for name in names]


def _ids(store: Store) -> list[int]:
    return [item_id for item_id, _e, _c in store.items("p")]


def _expected_status(votes: list[str], review: str | None, k: int) -> tuple[str, str | None]:
    """The rule, by hand: a review wins; else a unique majority of k votes or more."""
    if review is not None:
        return "resolved", review
    if not votes:
        return "unlabeled", None
    counts = Counter(votes).most_common()
    tie = len(counts) > 1 and counts[0][1] == counts[1][1]
    if len(votes) < k:
        return "pending", None if tie else counts[0][0]
    return ("disagreement", None) if tie else ("resolved", counts[0][0])


def test_sql_status_and_label_follow_the_rule_by_hand(url: str) -> None:
    rng = random.Random(7)
    k = 3
    store = _store(url, [f"text {i}" for i in range(40)], k=k)
    annotators = _users(store, "abcd")
    [reviewer] = _users(store, "r", "reviewer")
    expected = {}
    for item_id in _ids(store):
        votes = [rng.choice(LABELS[:2]) for _ in range(rng.choice([0, 1, 2, 3, 3]))]
        for user, label in zip(annotators, votes):
            store.annotate("p", user, item_id, label)
        review = rng.choice(LABELS) if rng.random() < 0.15 else None
        if review is not None:
            store.resolve("p", reviewer, item_id, review)
        expected[item_id] = _expected_status(votes, review, k)
    page = store.browse("p", per_page=200)
    assert page["total"] == 40
    found = {row["item_id"]: (row["status"], row["label"]) for row in page["items"]}
    assert found == expected
    # The Python reading of the log agrees (it leaves unlabeled items out).
    python = {i: (e["status"], e["label"]) for i, e in store.resolved_labels("p").items()}
    assert python == {i: s for i, s in expected.items() if s[0] != "unlabeled"}
    assert store.status_counts("p") == {
        s: sum(1 for v in expected.values() if v[0] == s)
        for s in ("resolved", "pending", "disagreement", "unlabeled")}
    store.close()


def test_filters_search_and_pages(url: str) -> None:
    texts = [f"{'apple' if i % 3 == 0 else 'rocket'} number {i} 100%_done" for i in range(30)]
    store = _store(url, texts, k=1)
    a, b = _users(store, "ab")
    ids = _ids(store)
    for n, item_id in enumerate(ids[:12]):
        store.annotate("p", a if n % 2 else b, item_id, LABELS[n % 2])
    apples = [i for i, t in zip(ids, texts) if "apple" in t]

    def browse(**filters: object) -> dict:
        return store.browse("p", ItemFilter(**filters), per_page=7)

    assert browse(text="APPLE")["total"] == len(apples) == 10
    assert [r["item_id"] for r in browse(text="apple")["items"]] == apples[:7]
    assert browse(text="id-1")["total"] == 11  # id-1, id-10 ... id-19
    assert browse(text="%_d")["total"] == 30 and browse(text="r%")["total"] == 0
    assert browse(status="unlabeled")["total"] == 18
    assert browse(label="neg")["total"] == 6
    assert {r["item_id"] for r in store.browse("p", ItemFilter(annotator="a"))["items"]} \
        == set(ids[1:12:2])
    combined = browse(text="apple", label="pos", annotator="b")
    assert [r["item_id"] for r in combined["items"]] == [i for i in ids[0:12:2] if i in apples]
    pages = [store.browse("p", page=n, per_page=7)["items"] for n in range(1, 7)]
    assert [r["item_id"] for p in pages for r in p] == ids and pages[-1] == []
    row = store.browse("p", ItemFilter(text="number 1 "))["items"][0]
    assert (row["votes"], row["annotators"], row["reviewed"]) == ({"neg": 1}, ["a"], False)
    with pytest.raises(ActiveLabError, match="status must be one of"):
        store.browse("p", ItemFilter(status="done"))
    with pytest.raises(ActiveLabError, match="above max_confidence"):
        store.browse("p", ItemFilter(min_confidence=0.8, max_confidence=0.2))
    store.close()


def test_guess_filters_over_a_hand_built_mapping(tmp_path: Path) -> None:
    store = _store(f"sqlite:///{tmp_path / 'g.db'}", [f"t{i}" for i in range(8)], k=1)
    [a] = _users(store, "a")
    ids = _ids(store)
    for item_id in ids[:5]:
        store.annotate("p", a, item_id, "pos")
    confidence = [0.9, 0.55, 0.97, 0.6, 0.7, 0.99, 0.5, 0.8]
    guessed = ["pos", "neg", "neg", "neg", "pos", "neg", "pos", "pos"]
    guesses = {i: (g, c) for i, g, c in zip(ids, guessed, confidence)}
    wrong = store.browse("p", ItemFilter(model_disagrees=True), guesses)
    # labeled pos, guessed otherwise: items 1, 2, 3; most confident guess first
    assert [r["item_id"] for r in wrong["items"]] == [ids[2], ids[3], ids[1]]
    assert wrong["items"][0]["guess"] == {"value": "neg", "confidence": 0.97}
    band = store.browse("p", ItemFilter(min_confidence=0.6, max_confidence=0.9), guesses,
                        per_page=2)
    by_hand = [i for i, c in zip(ids, confidence) if 0.6 <= c <= 0.9]
    assert band["total"] == len(by_hand) and [r["item_id"] for r in band["items"]] == by_hand[:2]
    both = store.browse("p", ItemFilter(model_disagrees=True, max_confidence=0.6), guesses)
    assert [r["item_id"] for r in both["items"]] == [ids[3], ids[1]]
    store.close()


# ---- honest counts with overlap ---------------------------------------------------------------


def test_labeled_means_resolved_and_never_falls_as_votes_arrive(tmp_path: Path) -> None:
    store = _store(f"sqlite:///{tmp_path / 'c.db'}", [f"t{i}" for i in range(6)], k=2)
    a, b = _users(store, "ab")
    ids = _ids(store)
    seen = []
    for item_id in ids:
        store.annotate("p", a, item_id, "pos")
        seen.append(store.stats("p")["n_labeled_items"])
    stats = store.stats("p")
    assert (stats["n_labeled_items"], stats["n_pending"], stats["n_disagreements"]) == (0, 6, 0)
    for n, item_id in enumerate(ids):
        store.annotate("p", b, item_id, "neg" if n < 2 else "pos")  # two ties
        seen.append(store.stats("p")["n_labeled_items"])
    stats = store.stats("p")
    assert (stats["n_labeled_items"], stats["n_pending"], stats["n_disagreements"]) == (4, 0, 2)
    assert seen == sorted(seen) and seen[-1] == 4
    assert stats["labels_per_class"] == {"pos": 4, "neg": 0, "meh": 0}
    store.close()


def test_exports_list_unresolved_items_with_a_status_and_no_label(tmp_path: Path) -> None:
    store = _store(f"sqlite:///{tmp_path / 'e.db'}", [f"t{i}" for i in range(4)], k=2)
    a, b = _users(store, "ab")
    ids = _ids(store)
    store.annotate("p", a, ids[0], "pos")                                     # pending
    store.annotate("p", a, ids[1], "pos")
    store.annotate("p", b, ids[1], "neg")                                     # disagreement
    store.annotate("p", a, ids[2], "neg")
    store.annotate("p", b, ids[2], "neg")                                     # resolved
    rows = store.export_rows("p")
    assert [(r["external_id"], r["label"], r["status"]) for r in rows] == [
        ("id-0", None, "pending"), ("id-1", None, "disagreement"), ("id-2", "neg", "resolved")]
    table = list(csv.DictReader(io.StringIO(to_csv(rows, "labels"))))
    assert [(r["label"], r["status"]) for r in table] == [
        ("", "pending"), ("", "disagreement"), ("neg", "resolved")]
    lines = [json.loads(line) for line in to_jsonl(rows).splitlines()]
    assert [(r["label"], r["status"]) for r in lines] == [
        (None, "pending"), (None, "disagreement"), ("neg", "resolved")]
    assert to_csv([], "labels").startswith("external_id,content,label,status,")
    store.close()


def test_hf_dataset_leaves_unresolved_items_unlabeled(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    from activelab.server.interop import hf_dataset

    store = _store(f"sqlite:///{tmp_path / 'h.db'}", [f"t{i}" for i in range(3)], k=2)
    a, b = _users(store, "ab")
    ids = _ids(store)
    store.annotate("p", a, ids[0], "pos")
    store.annotate("p", a, ids[1], "pos")
    store.annotate("p", b, ids[1], "pos")
    dataset = hf_dataset(store, "p")
    assert dataset["label"] == [-1, LABELS.index("pos"), -1]
    store.close()


def test_a_model_version_is_trained_on_resolved_labels_only(tmp_path: Path) -> None:
    from activelab.server.features import featurize
    from activelab.server.trainer import Trainer

    texts = [f"{'apple pear' if i % 2 else 'rocket moon'} {i}" for i in range(24)]
    store = _store(f"sqlite:///{tmp_path / 't.db'}", texts, k=2, retrain_every=1000,
                   exploration=0.0)
    rows = store.items("p")
    trainer = Trainer(store, "p", featurize([c for _i, _e, c in rows], "text"),
                      np.array([i for i, _e, _c in rows]))
    a, b = _users(store, "ab")
    truth = {i: ("pos" if "apple" in c else "neg") for i, _e, c in rows}
    ids = list(truth)
    for item_id in ids[:14]:                 # 14 items with one vote of two: pending
        store.annotate("p", a, item_id, truth[item_id])
    for item_id in ids[:8]:                  # 8 of them get their second vote: resolved
        store.annotate("p", b, item_id, truth[item_id])
    store.annotate("p", b, ids[8], "meh")    # a tie: disagreement
    assert trainer.train_once() is not None
    [version] = [v for v in store.model_versions("p") if v["kind"] == "model"]
    assert version["n_labels"] == 8
    assert sorted(trainer.loop.pool.labeled_ids.tolist()) == sorted(ids[:8])
    assert version["metrics"]["trained_on"] == \
        "trained on 8 resolved labels; 6 unresolved items left out"
    store.close()


def test_the_learning_curve_is_sorted_by_labels_and_has_ticks() -> None:
    versions = [{"number": n, "n_labels": labels, "metrics": {"cv_accuracy": acc}}
                for n, (labels, acc) in enumerate([(34, .7), (32, .72), (31, .71), (40, .8),
                                                   (32, .74)], start=1)]
    curve = learning_curve(versions)
    xs = [x for x, _y, _n, _a in curve["dots"]]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    # one point per number of labels: the newest version trained on that many
    assert [(n, acc) for _x, _y, n, acc in curve["dots"]] == [(31, .71), (32, .74), (34, .7),
                                                              (40, .8)]
    assert [t for _x, t in curve["x_ticks"]] == ["0", "10", "20", "30", "40"]
    assert [t for _y, t in curve["y_ticks"]] == ["0", "0.25", "0.5", "0.75", "1"]
    assert curve["dots"][-1][0] == curve["x1"] and curve["x_ticks"][0][0] == curve["x0"]


# ---- the API and the pages ----------------------------------------------------------------


def _client_and_store(tmp_path: Path) -> tuple[TestClient, Store, dict[str, str]]:
    store = _store(f"sqlite:///{tmp_path / 'api.db'}",
                   ["the cat sat", "a dog ran", "<b>bold</b> cat", "fish"], k=2)
    tokens = {name: store.add_user(name, role, password=f"{name}-password")
              for name, role in (("ann", "annotator"), ("bob", "annotator"),
                                 ("rita", "reviewer"))}
    return TestClient(create_app(store), base_url="http://127.0.0.1"), store, tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_and_shows_items_for_reviewers_only(tmp_path: Path) -> None:
    client, store, tokens = _client_and_store(tmp_path)
    users = {n: store.user_by_token(t) for n, t in tokens.items()}
    ids = _ids(store)
    store.annotate("p", users["ann"], ids[0], "pos")
    store.annotate("p", users["bob"], ids[0], "neg")
    store.annotate("p", users["ann"], ids[2], "pos")
    with client:
        listed = client.get("/api/projects/p/items", params={"q": "cat", "status":
                            "disagreement"}, headers=_bearer(tokens["rita"])).json()
        assert listed["total"] == 1 and listed["items"][0]["votes"] == {"pos": 1, "neg": 1}
        empty = client.get("/api/projects/p/items?q=&label=&status=&min_confidence=",
                           headers=_bearer(tokens["rita"])).json()
        assert empty["total"] == 4
        assert client.get("/api/projects/p/items", headers=_bearer(tokens["ann"])) \
            .status_code == 403
        bad = client.get("/api/projects/p/items?min_confidence=high",
                         headers=_bearer(tokens["rita"]))
        assert bad.status_code == 422 and "min_confidence is a number" in bad.json()["detail"]
        assert client.get("/api/projects/p/items?status=done",
                          headers=_bearer(tokens["rita"])).status_code == 422
        store.add_model_version("p", "model", 3, {}, [], use_for_queue=False, guesses=[
            (ids[0], "neg", 0.9), (ids[2], "neg", 0.8), (ids[3], "pos", 0.3)])
        wrong = client.get("/api/projects/p/items?model_disagrees=true",
                           headers=_bearer(tokens["rita"])).json()
        assert [r["item_id"] for r in wrong["items"]] == [ids[2]]  # ids[0] is a tie: no label
        detail = client.get(f"/api/projects/p/items/{ids[0]}",
                            headers=_bearer(tokens["rita"])).json()
        assert [(e["kind"], e["annotator"], e["label"]) for e in detail["events"]] == [
            ("label", "ann", "pos"), ("label", "bob", "neg")]
        assert detail["guess"] == {"value": "neg", "confidence": 0.9}
        assert client.get("/api/projects/p/items/99999",
                          headers=_bearer(tokens["rita"])).status_code == 404
    store.close()


def test_relabel_on_the_item_page_is_a_new_event(tmp_path: Path) -> None:
    client, store, tokens = _client_and_store(tmp_path)
    users = {n: store.user_by_token(t) for n, t in tokens.items()}
    ids = _ids(store)
    store.annotate("p", users["ann"], ids[2], "pos")
    store.annotate("p", users["bob"], ids[2], "pos")
    with client:
        client.post("/login", data={"name": "rita", "password": "rita-password",
                                    "csrf_token": _login_csrf(client)})
        data_page = client.get("/projects/p/data?q=cat&status=resolved")
        assert data_page.status_code == 200
        assert f'href="/projects/p/items/{ids[2]}"' in data_page.text
        assert "&lt;b&gt;bold&lt;/b&gt; cat" in data_page.text and "<b>bold" not in data_page.text
        assert f'href="/projects/p/items/{ids[0]}"' not in data_page.text
        page = client.get(f"/projects/p/items/{ids[2]}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = client.post(f"/projects/p/items/{ids[2]}/relabel",
                           data={"label": "meh", "csrf_token": csrf}, follow_redirects=False)
        assert done.status_code == 303
        page = client.get(done.headers["location"])
        assert re.search(r'id="item-label">meh<', page.text)
        history = re.findall(r"<td data-label=\"what\">(label|resolve)</td>", page.text)
        assert history == ["label", "label", "resolve"]
        assert client.post(f"/projects/p/items/{ids[2]}/relabel",
                           data={"label": "meh", "csrf_token": "forged"}).status_code == 403
        client.post("/logout", data={"csrf_token": csrf})
        client.post("/login", data={"name": "ann", "password": "ann-password",
                                    "csrf_token": _login_csrf(client)})
        assert client.get("/projects/p/data").status_code == 403
    assert [e["kind"] for e in store.events("p")] == ["label", "label", "resolve"]
    [row] = [r for r in store.export_rows("p") if r["external_id"] == "id-2"]
    assert (row["label"], row["status"], row["reviewed"]) == ("meh", "resolved", True)
    store.close()


def _login_csrf(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_dashboard_shows_counts_apart_and_a_chart_with_ticks(tmp_path: Path) -> None:
    client, store, tokens = _client_and_store(tmp_path)
    users = {n: store.user_by_token(t) for n, t in tokens.items()}
    ids = _ids(store)
    store.annotate("p", users["ann"], ids[0], "pos")
    store.add_model_version("p", "model", 10, {"cv_accuracy": 0.6}, [])
    store.add_model_version("p", "model", 8, {"cv_accuracy": 0.65}, [])
    with client:
        client.post("/login", data={"name": "rita", "password": "rita-password",
                                    "csrf_token": _login_csrf(client)})
        html = client.get("/projects/p/dashboard").text
    assert "0 of 4 items resolved" in html and "1 awaiting more votes" in html
    assert re.findall(r'class="x-tick">([^<]+)<', html) == ["0", "2", "4", "6", "8", "10"]
    assert re.findall(r'class="y-tick">([^<]+)<', html) == ["0", "0.25", "0.5", "0.75", "1"]
    assert "resolved labels used" in html and "CV accuracy" in html
    points = re.search(r'<polyline points="([^"]+)"', html).group(1).split()
    xs = [float(p.split(",")[0]) for p in points]
    assert xs == sorted(xs)
    store.close()
