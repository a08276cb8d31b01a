"""Browse and fix in a real headless browser (Debian's chromium driven by Playwright): two
annotators label with two votes per item, a reviewer finds a disputed item by search and
the disagreement filter, relabels it, and the export shows the new label; the upload form
puts each field on its own row at 1280 and 390 px.

``ACTIVELAB_SCREENSHOTS=docs/img/server`` keeps the screenshots (``browse-*.png``) there.
"""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

import httpx  # noqa: E402
from test_browser import _chromium  # noqa: E402  (the same browser as the other tests)

from activelab.server.demo import make_texts, write_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402

LABELS = ["sport", "food", "space"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _log_in(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", f"{name}-password")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def _label_with_two_annotators(base: str, tokens: list[str], truth: dict[str, str],
                               rounds: int) -> None:
    """Both annotators label ``rounds`` items by the truth, except that the second one
    answers the fifth item wrongly: one disagreement."""
    first, second = ({"Authorization": f"Bearer {token}"} for token in tokens)
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(rounds):
            item = client.post("/api/projects/news/next", headers=first).json()
            label = truth[item["external_id"]]
            client.post("/api/projects/news/annotations", headers=first, json={
                "item_id": item["item_id"], "label": label,
                "lease_id": item["lease_id"]}).raise_for_status()
            if n == 4:
                label = LABELS[(LABELS.index(label) + 1) % len(LABELS)]
            # the second vote on the same item (no lease needed while it needs one)
            client.post("/api/projects/news/annotations", headers=second, json={
                "item_id": item["item_id"], "label": label}).raise_for_status()


def _wait_for_models(base: str, token: str, n: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(240):  # retraining runs in the background
        stats = httpx.get(f"{base}/api/projects/news/stats", headers=headers).json()
        curve = [v for v in stats["versions"] if v["metrics"].get("cv_accuracy") is not None]
        if len(curve) >= n and not stats["training"]["running"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"fewer than {n} model versions with an accuracy after 2 minutes")


_FIELD_ROWS = """() => [...document.querySelectorAll('#upload-form input:not([type=hidden])')]
  .map(input => { const label = input.labels[0]; const a = input.getBoundingClientRect();
    const b = label ? label.getBoundingClientRect() : null;
    return {name: input.name, top: a.top, bottom: a.bottom, right: a.right,
            labelBottom: b ? b.bottom : null, width: document.documentElement.clientWidth}; })"""


def _check_upload_rows(page) -> None:  # type: ignore[no-untyped-def]
    """Every input sits below its own label, one field per row, inside the page's width."""
    fields = page.evaluate(_FIELD_ROWS)
    assert [f["name"] for f in fields] == ["file", "column", "id_column"]
    for field in fields:
        assert field["labelBottom"] is not None and field["labelBottom"] <= field["top"] + 1, field
        assert field["right"] <= field["width"], field
    for above, below in zip(fields, fields[1:]):
        assert above["bottom"] <= below["top"], (above, below)


def test_a_reviewer_finds_a_disputed_item_relabels_it_and_the_export_shows_it(
        tmp_path: Path) -> None:
    chromium = _chromium()
    shots = Path(os.environ.get("ACTIVELAB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    truth = {row["id"]: row["label"] for row in make_texts(60, seed=8)}
    data = write_csv(tmp_path / "news.csv", 60, seed=8)
    url = f"sqlite:///{tmp_path / 'news.db'}"
    store = Store(url)
    tokens = [store.add_user(f"ann{i}", "annotator") for i in (1, 2)]
    rita = store.add_user("rita", "reviewer", password="rita-password")
    store.add_user("boss", "admin", password="boss-password")
    store.close()
    port = free_port()
    server = start_server(data, url, port, ",".join(LABELS), "--labels-per-item", "2",
                          "--retrain-every", "8", "--exploration", "0")
    base = f"http://127.0.0.1:{port}"
    try:
        _label_with_two_annotators(base, tokens, truth, rounds=30)
        _wait_for_models(base, rita, 2)
        [disputed] = httpx.get(f"{base}/api/projects/news/disagreements",
                               headers={"Authorization": f"Bearer {rita}"}).json()
        search = disputed["content"][:30]
        fixed = truth[disputed["external_id"]]
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            page = browser.new_page(viewport=DESKTOP, accept_downloads=True)
            _log_in(page, base, "rita")
            page.locator("svg.chart").screenshot(path=str(shots / "browse-chart-1280.png"))
            page.click("header >> text=Data")
            sync_api.expect(page.locator("#status-counts")).to_contain_text(
                "29 resolved · 0 awaiting more votes · 1 in disagreement · 30 unlabeled")
            page.screenshot(path=str(shots / "browse-data-1280.png"), full_page=True)
            page.fill("input[name=q]", search)
            page.select_option("select[name=status]", "disagreement")
            with page.expect_navigation():
                page.click("#filters button[type=submit]")
            sync_api.expect(page.locator("#result-count")).to_have_text("1 item · page 1 of 1")
            with page.expect_navigation():
                page.click(f"#items a:has-text('{disputed['external_id']}')")
            sync_api.expect(page.locator("#item-status")).to_have_text("disagreement")
            page.screenshot(path=str(shots / "browse-item-1280.png"), full_page=True)
            with page.expect_navigation():
                page.click(f"#relabel button[value={fixed}]")
            sync_api.expect(page.locator("#item-label")).to_have_text(fixed)
            sync_api.expect(page.locator("#history tbody tr")).to_have_count(3)
            page.goto(f"{base}/projects/news/dashboard")
            with page.expect_download() as download:
                page.click("text=labels CSV")
            exported = Path(download.value.path()).read_text()

            phone = browser.new_page(viewport=PHONE)
            _log_in(phone, base, "rita")
            phone.locator("svg.chart").screenshot(path=str(shots / "browse-chart-390.png"))
            phone.goto(f"{base}/projects/news/data?status=resolved")
            phone.screenshot(path=str(shots / "browse-data-390.png"), full_page=True)
            phone.goto(f"{base}/projects/news/items/{disputed['item_id']}")
            phone.screenshot(path=str(shots / "browse-item-390.png"), full_page=True)
            for name, viewport in (("1280", DESKTOP), ("390", PHONE)):
                admin = browser.new_page(viewport=viewport)
                _log_in(admin, base, "boss")
                admin.goto(f"{base}/projects/news/upload")
                _check_upload_rows(admin)
                admin.screenshot(path=str(shots / f"browse-upload-{name}.png"), full_page=True)
            browser.close()
    finally:
        stop_server(server)
    rows = {row["external_id"]: row for row in csv.DictReader(io.StringIO(exported))}
    row = rows[disputed["external_id"]]
    assert (row["label"], row["status"], row["reviewed"]) == (fixed, "resolved", "True")
    assert len(rows) == 30 and all(r["status"] == "resolved" for r in rows.values())
