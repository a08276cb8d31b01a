"""The label page's keyboard and the model's guess, in a real headless browser (Debian's
chromium driven by Playwright): accept and correct guesses for 30 items, Enter in the
rationale field, labels 10 and above, per-label hotkeys, and lease messages in words."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

from activelab.server.demo import make_texts, write_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402
from tests.test_browser import _chromium  # noqa: E402

LABELS = ["sport", "food", "space"]
TWELVE = [f"class-{i:02d}" for i in range(1, 13)]


def _project(tmp_path: Path, labels: list[str], trained: bool,
             settings: dict | None = None) -> tuple[Path, str]:
    """A project of 80 news items with the user ``ann``; ``trained``: 8 labels by another
    annotator and a trained model version (so guesses show from the first item)."""
    from activelab.server.cli import build_server
    from activelab.store.schema import Project

    data = write_csv(tmp_path / "news.csv", 80, seed=3)
    url = f"sqlite:///{tmp_path / 'news.db'}"
    _app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None,
        labels=tuple(labels), db=url, project=None, strategy="margin", model="logreg",
        retrain_every=5, exploration=0.0)
    store.add_user("ann", "annotator", password="ann-password")
    if trained:
        truth = {row["id"]: row["label"] for row in make_texts(80, seed=3)}
        first = store.user_by_token(store.add_user("first", "annotator"))
        for _ in range(8):
            item = store.next_item(name, first)
            store.annotate(name, first, item.item_id, truth[item.external_id],
                           lease_id=item.lease_id)
        assert _app.state.trainers[name].train_once() == 1
    if settings:
        with store._transaction() as session:
            project = session.query(Project).one()
            project.settings = {**project.settings, **settings}
    store.close()
    return data, url


def _browse(tmp_path: Path, data: Path, url: str, labels: list[str]):  # type: ignore[no-untyped-def]
    """Start the server and a browser page logged in as ``ann`` on the label page."""
    port = free_port()
    server = start_server(data, url, port, ",".join(labels), "--retrain-every", "5",
                          "--exploration", "0")
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=_chromium(), headless=True,
                                         args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    base = f"http://127.0.0.1:{port}"
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "ann")
    page.fill("input[name=password]", "ann-password")
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/projects/news/label")

    def close() -> None:
        browser.close()
        playwright.stop()
        stop_server(server)

    return page, close


def _labels_of_ann(url: str) -> list[dict]:
    store = Store(url)
    try:
        return [e for e in store.events("news") if e["annotator"] == "ann"]
    finally:
        store.close()


def test_thirty_items_by_keyboard_accepting_and_correcting_guesses(tmp_path: Path) -> None:
    truth = {row["id"]: row["label"] for row in make_texts(80, seed=3)}
    data, url = _project(tmp_path, LABELS, trained=True)
    page, close = _browse(tmp_path, data, url, LABELS)
    expected: list[bool | None] = []
    try:
        # Enter in the rationale field accepts the guess shown, pre-selected; nothing else.
        guess = page.inner_text("#accept-guess").split()[-1]
        assert page.get_attribute(f".labels button[value='{guess}']", "aria-pressed") == "true"
        page.fill("#rationale", "the words say so")
        with page.expect_navigation():
            page.press("#rationale", "Enter")
        expected.append(True)
        screenshots = os.environ.get("ACTIVELAB_SCREENSHOT_DIR")
        by_key = 0
        while len(expected) < 30:
            external = page.inner_text("#item .meta code")
            shown = page.locator("#accept-guess")
            guess = shown.inner_text().split()[-1] if shown.count() else None
            if screenshots and guess is not None and len(expected) == 3:
                _screenshots(page, Path(screenshots))
            right = truth[external]
            with page.expect_navigation():
                if guess == right and by_key % 3 == 0:  # the guessed label's own key
                    page.keyboard.press(str(LABELS.index(right) + 1))
                elif guess == right:
                    page.keyboard.press("Enter")
                else:
                    page.keyboard.press(str(LABELS.index(right) + 1))
            by_key += guess == right
            expected.append(None if guess is None else guess == right)
    finally:
        close()
    events = _labels_of_ann(url)
    assert [e["kind"] for e in events] == ["label"] * 30
    assert [e["label"] for e in events[1:]] == [truth[e["external_id"]] for e in events[1:]]
    assert [e["guess_accepted"] for e in events] == expected
    assert events[0]["rationale"] == "the words say so"
    assert expected.count(True) >= 5 and expected.count(False) >= 1, expected


def _screenshots(page, folder: Path) -> None:  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "guess-label-1280.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / "guess-label-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_enter_in_the_rationale_without_a_guess_picks_no_label_and_question_mark_is_unsure(tmp_path: Path) -> None:
    data, url = _project(tmp_path, LABELS, trained=False)
    page, close = _browse(tmp_path, data, url, LABELS)
    try:
        assert page.locator("#accept-guess").count() == 0
        page.fill("#rationale", "not sure yet")
        page.press("#rationale", "Enter")
        page.wait_for_timeout(700)
        assert _labels_of_ann(url) == []  # before the fix: saved with the first label
        assert "picks no label" in page.inner_text("#typed-number")
        assert page.input_value("#rationale") == "not sure yet"
        page.press("#rationale", "Escape")  # leaves the field; the keys label again
        with page.expect_navigation():
            page.keyboard.press("2")
        unsure = page.inner_text("#item .meta code")
        with page.expect_navigation():
            page.keyboard.press("?")
        assert page.inner_text("#item .meta code") != unsure  # passed on, as a skip
    finally:
        close()
    events = _labels_of_ann(url)
    assert [(e["kind"], e["label"], e["rationale"]) for e in events] == [
        ("label", "food", "not sure yet"), ("unsure", None, None)]
    assert events[1]["external_id"] == unsure


def test_labels_ten_and_above_by_typed_number_and_hotkeys(tmp_path: Path) -> None:
    from sqlalchemy import update

    from activelab.errors import ActiveLabError
    from activelab.store import ProjectSettings
    from activelab.store.schema import Lease

    with pytest.raises(ActiveLabError, match=r"hotkeys \['s'\] are taken .*s skip"):
        ProjectSettings(labels=tuple(TWELVE), label_config={"labels": [
            {"name": "class-06", "hotkey": "s"}]}).check()  # s skips: no label may take it
    config = {"labels": [{"name": "class-05", "hotkey": "k"}]}
    data, url = _project(tmp_path, TWELVE, trained=False, settings={"label_config": config})
    page, close = _browse(tmp_path, data, url, TWELVE)
    try:
        page.keyboard.press("1")
        page.wait_for_timeout(700)
        assert _labels_of_ann(url) == []  # "1" alone labels nothing (before: class-01)
        hint = page.inner_text(".hint")
        assert "type a label’s number 1–12, then Enter" in hint and "k for class-05" in hint
        assert page.inner_text("#typed-number").startswith("Label 1: class-01")
        page.keyboard.press("2")
        assert page.inner_text("#typed-number").startswith("Label 12: class-12")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.keyboard.press("1")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        with page.expect_navigation():
            page.keyboard.press("k")
        for key in "99":
            page.keyboard.press(key)
        assert page.inner_text("#typed-number").startswith("No label 99")
        page.keyboard.press("Escape")
        page.keyboard.press("3")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        # A lease that ran out says so in words, not with its id.
        store = Store(url)
        with store._transaction() as session:
            session.execute(update(Lease).where(Lease.released_at.is_(None)).values(
                created_at=Lease.created_at - 601, expires_at=Lease.expires_at - 601))
        store.close()
        page.keyboard.press("4")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        message = page.inner_text(".message")
    finally:
        close()
    assert [e["label"] for e in _labels_of_ann(url)] == [
        "class-12", "class-01", "class-05", "class-03"]
    assert re.search(r"your hold on item 'doc-\d+' expired after 10 minutes; it was given "
                     r"back to the queue", message), message
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", message)
