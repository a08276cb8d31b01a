"""A whole session per task type in a real headless chromium against a real server: an admin
creates the project in the browser (a generated CSV whose true answers are known) and sets
``retrain_every`` on its settings page; an annotator labels 30 items with the keyboard only,
accepting the model's guess when it is right and correcting it when it is wrong (one answer
is a deliberate mistake); a reviewer finds that item on the data page by search, fixes its
label on the item page with the task's own widget, and downloads the CSV export from the
dashboard. The event log's ``guess_accepted`` flags must be what the test did, and the
export must hold the 30 answers with the fix.

Every page is checked for sideways scrolling at 390 px; with
``ACTIVELAB_SCREENSHOTS=docs/img/server`` each is saved there at 1280x800 and 390x844
(``e2e-<task>-<page>-<width>.png``; docs/server.md shows them).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

from activelab.server.demo import make_texts, write_csv  # noqa: E402
from activelab.server.demo_tasks import TASK_LABELS, make_task_rows, write_task_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402
from activelab.store.task_types import task_type  # noqa: E402
from tests.test_browser import _chromium  # noqa: E402
from tests.test_browser_projects import VIEWPORTS, _log_in  # noqa: E402
from tests.test_browser_tasks import _fill  # noqa: E402

N_ITEMS = 60
N_LABELS = 30
MISTAKE_AT = 2  # the third answer is wrong on purpose; the reviewer fixes it
WAIT_FOR_MODEL_AT = 8  # answers given before the test waits for a first model


def _data(task: str, folder: Path) -> tuple[Path, dict[str, str], tuple[str, ...]]:
    """The CSV to upload, the true answer per id (as stored) and the project's labels."""
    path = folder / f"{task}.csv"
    if task == "single":
        write_csv(path, N_ITEMS, seed=7)
        return path, {r["id"]: r["label"] for r in make_texts(N_ITEMS, seed=7)}, \
            ("sport", "food", "space")
    write_task_csv(path, task, N_ITEMS, seed=7)
    truth = {r["id"]: r["answer"] for r in make_task_rows(task, N_ITEMS, seed=7)}
    return path, truth, TASK_LABELS[task]


def _wrong(task: str, right: str, labels: tuple[str, ...]) -> str | None:
    """A wrong answer near ``right`` (``None`` where the keyboard cannot give one simply)."""
    if task == "single":
        return labels[(labels.index(right) + 1) % len(labels)]
    if task == "multi":
        chosen = set(json.loads(right)) ^ {labels[0]}
        return json.dumps([x for x in labels if x in chosen], separators=(",", ":"))
    if task == "rating":
        return str(int(right) % 5 + 1)
    spans = json.loads(right)
    if not spans:
        return None
    swap = {labels[0]: labels[1], labels[1]: labels[0]}
    return json.dumps([[s, e, swap[x]] for s, e, x in spans], separators=(",", ":"))


def _give(page, task: str, shown: str | None, answer: str,  # type: ignore[no-untyped-def]
          labels: tuple[str, ...]) -> None:
    """Turn the widget from ``shown`` (pre-filled: the guess, or the current label) into
    ``answer`` with the keyboard, and send it with Enter (single choice: with the label's
    number key unless ``shown`` is already right)."""
    keys = {label: str(i + 1) for i, label in enumerate(labels)}
    with page.expect_navigation():
        if task == "single":
            page.keyboard.press("Enter" if shown == answer else keys[answer])
        else:
            _fill(page, task, shown, answer, keys)
            page.keyboard.press("Enter")
    assert page.locator(".message[role=alert]").count() == 0, page.inner_text("main")


def _guess_shown(page, task: str) -> str | None:  # type: ignore[no-untyped-def]
    """The model's guess on the label page (``None`` before a model exists)."""
    if page.locator("#guess").count() == 0:
        return None
    if task == "single":
        return page.get_attribute("#accept-guess", "value")
    return page.get_attribute("#task-widget", "data-initial")


def _shoot(page, task: str, name: str, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    """No sideways scrolling at 390 px; both viewports saved when screenshots are asked
    (``full``: the whole page, not only the viewport)."""
    folder = os.environ.get("ACTIVELAB_SCREENSHOTS")
    for width, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        if folder:
            page.screenshot(path=str(Path(folder) / f"e2e-{task}-{name}-{width}.png"),
                            full_page=full)
        if width == "390":
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    page.set_viewport_size(VIEWPORTS["1280"])


def _create_project(page, base: str, task: str, data: Path,  # type: ignore[no-untyped-def]
                    labels: tuple[str, ...]) -> None:
    """The admin's part: upload, name, task, labels; then retrain every 5 labels."""
    _log_in(page, base, "boss", "boss-password", "/projects/seed/dashboard")
    page.click("header >> text=Projects")
    page.click("#new-project")
    page.set_input_files("input[name=file]", str(data))
    page.fill("input[name=name]", task)
    page.select_option("select[name=task]", task)
    page.fill("input[name=labels]", ",".join(labels))
    _shoot(page, task, "new", full=True)
    with page.expect_navigation():
        page.click("#new-project-form button[type=submit]")
    sync_api.expect(page.locator(".message")).to_contain_text(
        f"Created project {task} with {N_ITEMS} items")
    page.fill("#set-retrain_every", "5")
    with page.expect_navigation():
        page.click("#settings-form button[type=submit]")
    sync_api.expect(page.locator(".message")).to_contain_text("retrain_every: 20 → 5")
    if task == "single":
        _shoot(page, task, "settings", full=True)
        with page.expect_navigation():
            page.click("header >> text=Accounts")
        _shoot(page, task, "accounts")
    with page.expect_navigation():
        page.click("header >> text=Projects")
    _shoot(page, task, "projects")


def _label(page, base: str, task: str, truth: dict[str, str],  # type: ignore[no-untyped-def]
           labels: tuple[str, ...]) -> tuple[dict[str, str], list[bool | None], str]:
    """The annotator's part: 30 answers by keyboard. Returns the answers given, whether
    each took the guess shown (``None``: none shown) and the mistaken item's id."""
    _log_in(page, base, "ann", "ann-password", "/projects")
    with page.expect_navigation():
        page.click(f"#projects a[href='/projects/{task}/label'] >> nth=0")
    given: dict[str, str] = {}
    accepted: list[bool | None] = []
    mistake, shot = "", False
    while len(given) < N_LABELS:
        if len(given) == WAIT_FOR_MODEL_AT:
            _wait_for_a_model(page, base, task)
        external = page.inner_text("#item .meta code")
        guess = _guess_shown(page, task)
        answer = truth[external]
        if not mistake and len(given) >= MISTAKE_AT and _wrong(task, answer, labels):
            mistake, answer = external, _wrong(task, answer, labels)
        if guess is not None and not shot:
            _shoot(page, task, "label")
            shot = True
        _give(page, task, guess, answer, labels)
        given[external] = answer
        accepted.append(None if guess is None else guess == answer)
    sync_api.expect(page.locator("#progress")).to_contain_text(
        f"{N_LABELS} of {N_ITEMS} items labeled")
    return given, accepted, mistake


def _wait_for_a_model(page, base: str, task: str) -> None:  # type: ignore[no-untyped-def]
    """Retraining runs beside the labeling (a spans model took 4-8 s a version on the
    loaded test machine): wait for the first version, so that most items left show a guess."""
    for _ in range(180):
        stats = page.request.get(f"{base}/api/projects/{task}/stats").json()
        if any(version["kind"] == "model" for version in stats["versions"]):
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"no model version of {task} within 90 s")


def _review(page, base: str, task: str, external: str, right: str,  # type: ignore[no-untyped-def]
            labels: tuple[str, ...], folder: Path) -> list[dict[str, str]]:
    """The reviewer's part: find the item by search, fix it, download the CSV export."""
    _log_in(page, base, "rita", "rita-password", "/projects")
    page.goto(f"{base}/projects/{task}/data")
    _shoot(page, task, "data")
    page.fill("input[name=q]", external)
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    sync_api.expect(page.locator("#result-count")).to_contain_text("1 item")
    with page.expect_navigation():
        page.click(f"#items a >> text={external}")
    current = page.get_attribute("#task-widget", "data-initial") if task != "single" else None
    _give(page, task, current, right, labels)
    text = page.inner_text("#item-text")
    sync_api.expect(page.locator("#item-label")).to_have_text(
        task_type(task).display(right, text))
    sync_api.expect(page.locator("#history tbody tr").last).to_contain_text("resolve")
    _shoot(page, task, "item")
    with page.expect_navigation():  # the next measurement needs the loaded page
        page.click("header nav >> text=Dashboard")
    _shoot(page, task, "dashboard")
    with page.expect_download() as download:
        page.click("text=labels CSV")
    path = folder / f"{task}-labels.csv"
    download.value.save_as(path)
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("task", ["single", "multi", "rating", "spans"])
def test_a_session_per_task_type(task: str, tmp_path: Path) -> None:
    chromium = _chromium()
    data, truth, labels = _data(task, tmp_path)
    url = f"sqlite:///{tmp_path / 'team.db'}"
    store = Store(url)
    for name, role in (("boss", "admin"), ("ann", "annotator"), ("rita", "reviewer")):
        store.add_user(name, role, password=f"{name}-password")
    store.close()
    port = free_port()
    server = start_server(write_csv(tmp_path / "seed.csv", 20), url, port, "sport,food,space",
                          "--retrain-every", "1000")
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])

            def page():  # type: ignore[no-untyped-def]  # each person their own cookies
                return browser.new_context(viewport=VIEWPORTS["1280"],
                                           accept_downloads=True).new_page()

            _create_project(page(), base, task, data, labels)
            given, accepted, mistake = _label(page(), base, task, truth, labels)
            exported = _review(page(), base, task, mistake, truth[mistake], labels, tmp_path)
            browser.close()
    finally:
        stop_server(server)
    store = Store(url)
    events = store.events(task)
    store.close()
    answers = [e for e in events if e["annotator"] == "ann"]
    assert [(e["kind"], e["external_id"], e["label"]) for e in answers] == \
        [("label", external, value) for external, value in given.items()]
    assert [e["guess_accepted"] for e in answers] == accepted
    assert True in accepted and False in accepted, accepted  # guesses accepted and corrected
    assert [(e["kind"], e["annotator"], e["label"]) for e in events if e["kind"] != "label"] \
        == [("resolve", "rita", truth[mistake])]
    assert given[mistake] != truth[mistake]
    labeled = {row["external_id"]: row["label"] for row in exported if row["label"]}
    assert labeled == {external: truth[external] for external in given}
