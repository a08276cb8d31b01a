"""Accounts in a real headless chromium against a real server: the login throttle's message,
the error page's ways back, an admin disabling an account whose browser is then out, all at
1280x800 and on a 390-px-wide phone without sideways scrolling.

``ACTIVELAB_SCREENSHOTS=docs/img/server`` saves the pages shown in docs/server.md there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

from activelab.server.demo import write_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402
from tests.test_browser import _chromium  # noqa: E402

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _fits(page, name: str, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """No sideways scrolling at the page's width; the screenshot saved as ``name``."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _log_in(page, base: str, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def test_throttle_error_page_and_disabling_in_the_browser(tmp_path: Path) -> None:
    chromium = _chromium()
    shots = Path(os.environ.get("ACTIVELAB_SCREENSHOTS") or tmp_path)
    data = write_csv(tmp_path / "news.csv", 30, seed=4)
    url = f"sqlite:///{tmp_path / 'news.db'}"
    store = Store(url)
    for name, role in (("root", "admin"), ("ann", "annotator"), ("rita", "reviewer"),
                       ("bob", "annotator")):
        store.add_user(name, role, password=f"{name}-password")
    store.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(data, url, port, "sport,food,space", "--retrain-every", "1000")
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            for size, who in ((PHONE, "ann"), (DESKTOP, "rita")):
                page = browser.new_page(viewport=size)
                for attempt in range(6):
                    _log_in(page, base, who, f"guess {attempt}")
                alert = page.locator(".message[role=alert]")
                sync_api.expect(alert).to_contain_text(
                    "Too many failed attempts for this account; try again in")
                assert page.input_value("input[name=name]") == who
                _fits(page, f"accounts-login-throttled-{size['width']}", shots)
                page.close()

            bob = browser.new_page(viewport=PHONE)
            _log_in(bob, base, "bob", "bob-password")
            bob.goto(f"{base}/projects/news/dashboard")
            sync_api.expect(bob.locator("h1")).to_have_text("Not allowed")
            _fits(bob, "accounts-error-390", shots)
            bob.click("text=Back to project news")
            bob.wait_for_url("**/projects/news/label")

            admin = browser.new_page(viewport=DESKTOP)
            _log_in(admin, base, "root", "root-password")
            admin.click("header >> text=Accounts")
            with admin.expect_navigation():
                admin.click("button[aria-label='Disable: bob']")
            sync_api.expect(admin.locator(".message[role=alert]")).to_have_text(
                "bob is disabled; their sessions have ended.")
            _fits(admin, "accounts-page-1280", shots)
            admin.set_viewport_size(PHONE)
            _fits(admin, "accounts-page-390", shots)

            bob.reload()
            bob.wait_for_url("**/login")
            sync_api.expect(bob.locator(".message[role=alert]")).to_contain_text(
                "Your session has ended")
            browser.close()
    finally:
        stop_server(server)
