"""Several projects in a real headless browser (Debian's chromium driven by Playwright): an
admin creates a project by uploading a file, finds it in the project list, changes a
setting and sees the change on the dashboard; an annotator labels an item in it.

With ``ACTIVELAB_SCREENSHOT_DIR`` set, the project list, the new-project form and the
settings page are saved there at 1280x800 and at a 390-px-wide phone viewport
(``projects-*.png``; docs/img/server/ holds the ones docs/server.md shows)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

from activelab.server.demo import write_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402
from tests.test_browser import _chromium  # noqa: E402  (skips, or fails on CI, without it)

VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}


def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save the page at both viewports when screenshots are asked for."""
    folder = os.environ.get("ACTIVELAB_SCREENSHOT_DIR")
    if not folder:
        return
    for width, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(Path(folder) / f"projects-{name}-{width}.png"), full_page=True)
    page.set_viewport_size(VIEWPORTS["1280"])


def _log_in(page, base: str, name: str, password: str, lands: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.wait_for_url(f"**{lands}")


def test_admin_creates_a_project_in_the_browser_and_an_annotator_labels_in_it(
        tmp_path: Path) -> None:
    chromium = _chromium()
    data = write_csv(tmp_path / "news.csv", 30, seed=4)
    upload = write_csv(tmp_path / "reviews.csv", 40, seed=5)
    url = f"sqlite:///{tmp_path / 'team.db'}"
    store = Store(url)
    store.add_user("boss", "admin", password="boss-password")
    store.add_user("ann", "annotator", password="ann-password")
    store.close()
    port = free_port()
    server = start_server(data, url, port, "sport,food,space", "--retrain-every", "1000")
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            page = browser.new_page(viewport=VIEWPORTS["1280"])
            _log_in(page, base, "boss", "boss-password", "/projects/news/dashboard")
            page.click("header >> text=Projects")
            page.click("#new-project")
            page.wait_for_url("**/projects/new")
            page.set_input_files("input[name=file]", str(upload))
            page.fill("input[name=name]", "reviews")
            page.fill("input[name=labels]", "sport,food,space")
            page.select_option("select[name=strategy]", "entropy")
            _shoot(page, "new")
            with page.expect_navigation():
                page.click("#new-project-form button[type=submit]")
            assert page.url.startswith(f"{base}/projects/reviews/settings")
            sync_api.expect(page.locator(".message")).to_contain_text(
                "Created project reviews with 40 items")

            page.click("header >> text=Projects")
            rows = page.locator("#projects tbody tr")
            sync_api.expect(rows).to_have_count(2)
            sync_api.expect(rows.nth(1)).to_contain_text("reviews")
            sync_api.expect(rows.nth(1)).to_contain_text("40")
            _shoot(page, "list")

            page.click("#projects >> text=Settings >> nth=1")
            page.wait_for_url("**/projects/reviews/settings")
            page.fill("#set-retrain_every", "5")
            page.select_option("#set-strategy", "margin")
            with page.expect_navigation():
                page.click("#settings-form button[type=submit]")
            sync_api.expect(page.locator(".message")).to_contain_text(
                "strategy: entropy → margin")
            _shoot(page, "settings")
            page.click("header nav >> text=Dashboard")
            log = page.locator("#setting-changes")
            sync_api.expect(log).to_contain_text("entropy → margin")
            sync_api.expect(log).to_contain_text("20 → 5")
            sync_api.expect(log).to_contain_text("boss")
            page.click("button:has-text('Log out')")

            _log_in(page, base, "ann", "ann-password", "/projects")
            page.click("#projects >> text=reviews")
            page.wait_for_url("**/projects/reviews/label")
            labeled = page.inner_text("#item .meta code")
            with page.expect_navigation():
                page.click("#label-form button[value=food]")
            assert page.inner_text("#item .meta code") != labeled
            browser.close()
    finally:
        stop_server(server)
    events = Store(url).events("reviews")
    assert [(e["external_id"], e["annotator"], e["label"]) for e in events] == \
        [(labeled, "ann", "food")]
