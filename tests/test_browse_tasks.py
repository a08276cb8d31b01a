"""Browse and fix for every task type: the item page relabels with the task's own widget
(pre-filled with the current label), the relabel route parses the value through the task
type (a value that does not fit is refused, naming why, and records nothing), and the
data, item and review pages show values through the task type's display, not raw JSON."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from activelab.server.app import create_app  # noqa: E402
from activelab.store import ImportedItem, ProjectSettings, Store  # noqa: E402
from activelab.store.browse import ItemFilter  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

TEXT = "Ada met Bo in Oslo"
# Per task: labels, the annotator's value, the reviewer's fix as the form sends it, the
# stored fix, how the pages show it (by hand), and a value the task type refuses.
CASES = {
    "single": (("pos", "neg"), "pos", "neg", "neg", "neg", "maybe"),
    "multi": (("sport", "food", "space"), '["sport"]', '["space","sport"]',
              '["sport","space"]', "sport, space", '["sport","golf"]'),
    "rating": ((), "2", "4.0", "4", "4", "9"),
    "spans": (("PER", "LOC"), '[[0,3,"PER"]]', '[[14,18,"LOC"],[0,3,"PER"]]',
              '[[0,3,"PER"],[14,18,"LOC"]]', "Ada (PER); Oslo (LOC)", '[[0,5,"PER"],[2,6,"LOC"]]'),
}


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


@pytest.mark.parametrize("task", list(CASES))
def test_relabel_each_task_type_on_the_item_page(task: str, tmp_path: Path) -> None:
    labels, first, sent, stored, shown, refused = CASES[task]
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    store.create_project("p", [ImportedItem("i0", TEXT, 2), ImportedItem("i1", "other", 3)],
                         ProjectSettings(labels=labels, task=task))
    ann = store.user_by_token(store.add_user("ann", "annotator"))
    store.add_user("rita", "reviewer", password="rita-password")
    item_id = store.items("p")[0][0]
    store.annotate("p", ann, item_id, first)
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    with client:
        client.post("/login", data={"name": "rita", "password": "rita-password",
                                    "csrf_token": _csrf(client.get("/login").text)})
        page = client.get(f"/projects/p/items/{item_id}").text
        form = page[page.index('id="relabel"'):page.index("History")]
        assert 'id="label-form"' in form
        if task == "single":
            assert [html.unescape(v) for v in re.findall(r'name="label" value="([^"]*)"',
                                                         form)] == list(labels)
        else:  # the task's widget, filled in with the current label, and its script
            assert f'data-task="{task}"' in form and 'id="task-value"' in form
            assert html.unescape(re.search(r'data-initial="([^"]*)"', form).group(1)) == first
            assert '<script src="/static/tasks.js"' in page
        bad = client.post(f"/projects/p/items/{item_id}/relabel",
                          data={"label": refused, "csrf_token": _csrf(page)})
        assert bad.status_code == 200 and 'role="alert"' in bad.text
        assert [e["kind"] for e in store.events("p")] == ["label"]
        done = client.post(f"/projects/p/items/{item_id}/relabel",
                           data={"label": sent, "csrf_token": _csrf(page)},
                           follow_redirects=False)
        assert done.status_code == 303
        page = client.get(done.headers["location"]).text
        assert html.unescape(re.search(r'id="item-label">([^<]*)<', page).group(1)) == shown
        data = html.unescape(client.get("/projects/p/data?q=i0").text)
        assert f'<td data-label="label">{shown} ' in data
    events = store.events("p")
    assert [(e["kind"], e["label"]) for e in events] == [("label", first), ("resolve", stored)]
    [row] = [r for r in store.export_rows("p") if r["external_id"] == "i0"]
    assert (row["label"], row["status"]) == (stored, "resolved")
    store.close()


def test_review_and_data_pages_show_votes_through_the_task_type(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    store.create_project("p", [ImportedItem("i0", TEXT, 2)],
                         ProjectSettings(labels=("PER", "LOC"), task="spans", labels_per_item=2))
    for name, value in (("ann", '[[0,3,"PER"]]'), ("bob", '[[0,3,"LOC"]]')):
        user = store.user_by_token(store.add_user(name, "annotator"))
        store.annotate("p", user, store.items("p")[0][0], value)
    store.add_user("rita", "reviewer", password="rita-password")
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    with client:
        client.post("/login", data={"name": "rita", "password": "rita-password",
                                    "csrf_token": _csrf(client.get("/login").text)})
        for url in ("/projects/p/review", "/projects/p/data"):
            text = html.unescape(client.get(url).text)
            assert "Ada (PER) × 1" in text and "Ada (LOC) × 1" in text, url
            assert "[[0,3" not in text.replace('value="[[0,3', ""), url
    store.close()


@pytest.mark.parametrize(("task", "strategy", "model"), [
    ("rating", "igs", "ridge"), ("spans", "token-uncertainty", "tokens-logreg"),
    ("multi", "br_uncertainty", "logreg")])
def test_the_settings_page_keeps_each_task_types_model_and_strategy(
        task: str, strategy: str, model: str, tmp_path: Path) -> None:
    """Before: its selects offered the classification models and the registry's strategies
    only, so a rating project's page showed ``logreg`` and saving it failed ("unknown model
    'logreg'"), and a spans project's save would have replaced its token model."""
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    labels = CASES[task][0]
    store.create_project("p", [ImportedItem("i0", TEXT, 2)], ProjectSettings(
        labels=labels, task=task, strategy=strategy, model=model))
    store.add_user("boss", "admin", password="boss-password")
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    with client:
        client.post("/login", data={"name": "boss", "password": "boss-password",
                                    "csrf_token": _csrf(client.get("/login").text)})
        page = client.get("/projects/p/settings").text
        form = {key: html.unescape(value) for key, value in re.findall(
            r'<input id="set-\w+" name="(\w+)" value="([^"]*)"', page)}
        for key in ("strategy", "model", "skip_policy", "training", "stopping"):
            select = re.search(rf'<select id="set-{key}" name="{key}">(.*?)</select>', page,
                               re.S).group(1)
            form[key] = re.search(r"<option selected>([^<]*)</option>", select).group(1)
        assert (form["strategy"], form["model"]) == (strategy, model)
        saved = client.post("/projects/p/settings", data={
            **form, "retrain_every": "5", "csrf_token": _csrf(page)})
        assert "retrain_every: 20 → 5" in html.unescape(saved.text), saved.text
    settings = store.settings_of("p")
    assert (settings.strategy, settings.model, settings.retrain_every) == (strategy, model, 5)
    assert [c["name"] for c in store.setting_changes("p")] == ["retrain_every"]
    store.close()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("task", "labels", "values", "wanted"), [
    ("multi", ("sport", "food", "space"), ['["sport","space"]', '["food"]', "[]"],
     {"sport": ["i0"], "food": ["i1"], "space": ["i0"]}),
    ("spans", ("PER", "LOC"), ['[[0,3,"PER"],[14,18,"LOC"]]', '[[0,3,"LOC"]]', "[]"],
     {"PER": ["i0"], "LOC": ["i0", "i1"]}),
])
def test_the_label_filter_finds_items_whose_answer_names_the_label(
        task: str, labels: tuple[str, ...], values: list[str], wanted: dict, backend: str,
        tmp_path: Path) -> None:
    """Before: the filter compared the whole stored value with the label's name, so on a
    multi-label or spans project every label found nothing. (SQL LIKE: both databases.)"""
    store = Store(database_url(backend, tmp_path))
    store.create_project("p", [ImportedItem(f"i{i}", TEXT, i + 2) for i in range(3)],
                         ProjectSettings(labels=labels, task=task))
    ann = store.user_by_token(store.add_user("ann", "annotator"))
    for (item_id, _external, _text), value in zip(store.items("p"), values):
        store.annotate("p", ann, item_id, value)
    found = {label: [row["external_id"] for row in
                     store.browse("p", ItemFilter(label=label))["items"]] for label in labels}
    assert found == wanted  # by hand from the values above
    store.close()
