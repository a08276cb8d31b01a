"""Each task type in a real headless browser (Debian's chromium driven by Playwright): a
server started with ``--task multi|rating|spans``, items labeled with the keyboard only,
the export compared with what was typed; screenshots of each label page at 1280x800 and at
a 390-px-wide phone viewport go to ``ACTIVELAB_SCREENSHOT_DIR`` when it is set."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

import httpx  # noqa: E402
from test_browser import _chromium  # noqa: E402

from activelab.server.demo_tasks import TASK_LABELS, make_task_rows, write_task_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402

N_ITEMS = 10
CONFIGS = {
    "multi": {"labels": {"sport": {"description": "matches, teams, races", "color": "#2a7"},
                         "food": {"description": "recipes and restaurants", "color": "#c60"},
                         "space": {"description": "rockets, planets, stars", "color": "#36c"}}},
    "rating": {"min": 1, "max": 5, "step": 1,
               "labels": {}},
    "spans": {"labels": {"PER": {"description": "a person's name", "color": "#c33",
                                 "hotkey": "p"},
                         "LOC": {"description": "a city or country", "color": "#37a",
                                 "hotkey": "l"}}},
}
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _select_and_tag(page, text: str, spans: list, cursor: int,  # type: ignore[no-untyped-def]
                    keys: dict[str, str] | None = None) -> int:
    """Select each span's tokens with the arrow keys and press its label's key (``keys``:
    label -> key; default: the hotkeys of ``CONFIGS["spans"]``)."""
    keys = keys or {name: info["hotkey"] for name, info in CONFIGS["spans"]["labels"].items()}
    tokens = [m.span() for m in _TOKEN.finditer(text)]
    for start, end, label in spans:
        first = next(i for i, (s, _e) in enumerate(tokens) if s == start)
        last = next(i for i, (_s, e) in enumerate(tokens) if e == end)
        if first == cursor:  # a move selects the token under the cursor
            page.keyboard.press("ArrowRight" if first + 1 < len(tokens) else "ArrowLeft")
            cursor += 1 if first + 1 < len(tokens) else -1
        while cursor != first:
            page.keyboard.press("ArrowRight" if first > cursor else "ArrowLeft")
            cursor += 1 if first > cursor else -1
        for _ in range(last - first):
            page.keyboard.press("Shift+ArrowRight")
            cursor += 1
        page.keyboard.press(keys[label])
    return cursor


def _fill(page, task: str, shown: str | None, answer: str,  # type: ignore[no-untyped-def]
          keys: dict[str, str]) -> None:
    """Turn the widget of ``task`` (multi, rating, spans) from the value it shows,
    pre-filled (the model's guess; ``None``: empty), into ``answer`` with the keyboard
    (``keys``: label -> its key); Enter then saves it."""
    if shown == answer:
        return
    if task == "multi":
        for label in set(json.loads(shown or "[]")) ^ set(json.loads(answer)):
            page.keyboard.press(keys[label])
    elif task == "rating":
        page.keyboard.press("Control+a")  # the field holds the guess
        page.keyboard.type(answer)
    else:
        for _ in json.loads(shown or "[]"):
            page.keyboard.press("x")
        _select_and_tag(page, page.inner_text("#item-text"), json.loads(answer), 0, keys)


@pytest.mark.parametrize("task", ["multi", "rating", "spans"])
def test_label_a_task_type_by_keyboard_and_export(task: str, tmp_path: Path) -> None:
    chromium = _chromium()
    labels = TASK_LABELS[task]
    keys = {label: CONFIGS[task]["labels"].get(label, {}).get("hotkey") or str(i + 1)
            for i, label in enumerate(labels)}
    truth = {row["id"]: row["answer"] for row in make_task_rows(task, 40, seed=5)}
    data = write_task_csv(tmp_path / f"{task}.csv", task, 40, seed=5)
    config = tmp_path / "labels.json"
    config.write_text(json.dumps(CONFIGS[task]))
    url = f"sqlite:///{tmp_path / 'tasks.db'}"
    store = Store(url)
    store.add_user("alice", "annotator", password="alice-password")
    reviewer = store.add_user("rita", "reviewer")
    store.close()
    port = free_port()
    server = start_server(data, url, port, ",".join(labels), "--task", task, "--label-config",
                          str(config), "--retrain-every", "5", "--exploration", "0")
    base = f"http://127.0.0.1:{port}"
    shots = os.environ.get("ACTIVELAB_SCREENSHOT_DIR")
    typed: dict[str, str] = {}
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/login")
            page.fill("input[name=name]", "alice")
            page.fill("input[name=password]", "alice-password")
            page.press("input[name=password]", "Enter")
            page.wait_for_url(f"**/projects/{task}/label")
            while len(typed) < N_ITEMS:
                external = page.inner_text("#item .meta code")
                shown = page.get_attribute("#task-widget", "data-initial") or None
                _fill(page, task, shown, truth[external], keys)
                if shots and len(typed) == 1:
                    page.screenshot(path=f"{shots}/tasks-{task}.png")
                    page.set_viewport_size({"width": 390, "height": 844})
                    page.screenshot(path=f"{shots}/tasks-{task}-phone.png", full_page=True)
                    page.set_viewport_size({"width": 1280, "height": 800})
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                assert page.locator(".message[role=alert]").count() == 0, page.content()
                typed[external] = truth[external]
            assert f"{N_ITEMS} of 40 items labeled" in page.inner_text("#progress")
            browser.close()
        exported = httpx.get(f"{base}/api/projects/{task}/export?format=csv",
                             headers={"Authorization": f"Bearer {reviewer}"}).text
    finally:
        stop_server(server)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {row["external_id"]: row["label"] for row in rows} == typed
