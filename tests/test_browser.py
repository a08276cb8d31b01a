"""End to end in a real headless browser (Debian's chromium driven by Playwright, no browser
download): log in, label 20 items by keyboard, undo one, see the model version advance,
export."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

from activelab.server.demo import make_texts, write_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402


def _chromium() -> str:
    path = os.environ.get("ACTIVELAB_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        message = "the browser test needs Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _log_in(page, base: str, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Log in as an admin or reviewer, who lands on the dashboard."""
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/projects/news/dashboard")


def test_label_twenty_items_by_keyboard_undo_and_export(tmp_path: Path) -> None:
    chromium = _chromium()
    labels = ["sport", "food", "space"]
    truth = {row["id"]: row["label"] for row in make_texts(80, seed=3)}
    data = write_csv(tmp_path / "news.csv", 80, seed=3)
    url = f"sqlite:///{tmp_path / 'news.db'}"
    store = Store(url)
    store.add_user("alice", "annotator", password="alice-password")
    store.add_user("rita", "reviewer", password="rita-password")
    store.close()
    port = free_port()
    server = start_server(data, url, port, ",".join(labels), "--retrain-every", "5", "--exploration", "0")
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 760},
                                    accept_downloads=True)
            page.goto(f"{base}/login")
            page.fill("input[name=name]", "alice")
            page.fill("input[name=password]", "alice-password")
            page.press("input[name=password]", "Enter")
            page.wait_for_url("**/projects/news/label")
            assert "model v0, trained on 0 labels" in page.inner_text("#model-version")

            labeled: list[str] = []
            undone = False
            while len(labeled) < 20:
                external = page.inner_text("#item .meta code")
                key = str(labels.index(truth[external]) + 1)
                with page.expect_navigation():
                    page.keyboard.press(key)
                labeled.append(external)
                if len(labeled) == 7 and not undone:
                    with page.expect_navigation():
                        page.keyboard.press("u")
                    assert page.inner_text("#item .meta code") == external  # it came back
                    labeled.pop()
                    undone = True
            page.keyboard.press("Escape")
            for _ in range(120):  # retraining runs in the background; the page never waits
                version = page.inner_text("#model-version")
                if not version.startswith("model v0"):
                    break
                page.wait_for_timeout(500)
                page.reload()
            assert version.startswith("model v") and not version.startswith("model v0"), version
            assert "20 of 80 items labeled" in page.inner_text("#progress")
            page.screenshot(path=str(tmp_path / "labeling-page.png"))
            if os.environ.get("ACTIVELAB_SCREENSHOT"):
                page.screenshot(path=os.environ["ACTIVELAB_SCREENSHOT"])

            page.click("button:has-text('Log out')")
            page.fill("input[name=name]", "rita")
            page.fill("input[name=password]", "rita-password")
            page.press("input[name=password]", "Enter")
            page.wait_for_url("**/projects/news/dashboard")
            with page.expect_download() as download:
                page.click("text=labels CSV")
            exported = Path(download.value.path()).read_text()
            browser.close()
    finally:
        stop_server(server)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert sorted(row["external_id"] for row in rows) == sorted(labeled)
    assert all(row["label"] == truth[row["external_id"]] for row in rows)
    events = Store(url).events("news")
    assert [e["kind"] for e in events].count("retract") == 1


def test_the_upload_page_refuses_a_bad_file_with_the_message_visible(tmp_path: Path) -> None:
    chromium = _chromium()
    data = write_csv(tmp_path / "news.csv", 30, seed=4)
    url = f"sqlite:///{tmp_path / 'news.db'}"
    store = Store(url)
    store.add_user("boss", "admin", password="boss-password")
    store.close()
    bad = tmp_path / "more.csv"
    bad.write_text("id,text\nweb-1,a match report\nweb-1,the same id again\n")
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "web-1", "text": "a match report"}\n'
                    '{"id": "web-2", "text": "<script>alert(1)</script>"}\n')
    port = free_port()
    server = start_server(data, url, port, "sport,food,space", "--retrain-every", "1000")
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            page = browser.new_page()
            _log_in(page, f"http://127.0.0.1:{port}", "boss", "boss-password")
            page.click("text=Add items")
            page.set_input_files("input[name=file]", str(bad))
            with page.expect_navigation():
                page.click("#upload-form button[type=submit]")
            alert = page.locator(".message[role=alert]")
            sync_api.expect(alert).to_be_visible()
            sync_api.expect(alert).to_contain_text(
                "Nothing was imported: more.csv: lines 2 and 3 have the same id 'web-1'")
            page.set_input_files("input[name=file]", str(good))
            with page.expect_navigation():
                page.click("#upload-form button[type=submit]")
            sync_api.expect(page.locator("#imported")).to_have_text(
                "Added 2 items; the project has 32.")
            browser.close()
    finally:
        stop_server(server)
    items = Store(url).items("news")
    assert [(external, content) for _i, external, content in items[-2:]] == [
        ("web-1", "a match report"), ("web-2", "<script>alert(1)</script>")]
    assert len(items) == 32


def test_the_dashboard_shows_the_random_control_estimates(tmp_path: Path) -> None:
    chromium = _chromium()
    labels = ["sport", "food", "space"]
    truth = {row["id"]: row["label"] for row in make_texts(150, seed=5)}
    data = write_csv(tmp_path / "news.csv", 150, seed=5)
    url = f"sqlite:///{tmp_path / 'news.db'}"
    store = Store(url)
    store.add_user("alice", "admin", password="alice-password")
    store.close()
    port = free_port()
    server = start_server(data, url, port, ",".join(labels), "--retrain-every", "6",
                          "--exploration", "0", "--control", "0.5")
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            page = browser.new_page()
            _log_in(page, base, "alice", "alice-password")
            page.goto(f"{base}/projects/news/label")
            for _ in range(36):
                external = page.inner_text("#item .meta code")
                with page.expect_navigation():
                    page.keyboard.press(str(labels.index(truth[external]) + 1))
            page.wait_for_timeout(1000)
            for _ in range(120):  # retraining runs in the background
                page.goto(f"{base}/projects/news/dashboard")
                gain = page.locator("#control-gain")
                if gain.count() and gain.inner_text().startswith("Active learning is"):
                    break
                page.wait_for_timeout(500)
            accuracy = page.inner_text("#control-accuracy")
            gain = page.inner_text("#control-gain")
            advice = page.inner_text("#stop-recommendation")
            browser.close()
    finally:
        stop_server(server)
    assert accuracy.startswith("Estimated accuracy on the unlabeled items: ") and "90% interval" in accuracy
    assert re.search(r"Active learning is (ahead of|behind) random by \d+\.\d ± \d+\.\d points "
                     r"at \d+ labels", gain), gain
    assert advice.startswith("Stop recommendation: go on") or advice.startswith(
        "Stop recommendation: stop"), advice
    shown = Store(url).model_versions("news")[-1]["metrics"]["control"]
    assert f"{100 * shown['accuracy']['estimate']:.1f}%" in accuracy
