"""activelab ml-backend against a real Label Studio (.ci/run starts one and sets
ACTIVELAB_TEST_LABEL_STUDIO_URL and _TOKEN; see .ci/label-studio.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")

from activelab import ActiveLoop, Pool  # noqa: E402
from activelab.integrations.label_studio.client import (  # noqa: E402
    LabelStudio,
    choice_result,
    wait_healthy,
)
from activelab.server.demo import TOPICS, make_texts  # noqa: E402
from activelab.server.testing import free_port  # noqa: E402


def _label_studio() -> LabelStudio:
    url = os.environ.get("ACTIVELAB_TEST_LABEL_STUDIO_URL")
    token = os.environ.get("ACTIVELAB_TEST_LABEL_STUDIO_TOKEN")
    if not url or not token:
        message = ("the live Label Studio test needs ACTIVELAB_TEST_LABEL_STUDIO_URL and _TOKEN "
                   "(.ci/run sets them: .ci/label-studio.sh install/start)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return LabelStudio(url, token)


def test_label_studio_orders_tasks_by_activelab_and_a_retrain_changes_the_version(
        tmp_path: Path) -> None:
    ls = _label_studio()
    labels = sorted(TOPICS)
    rows = make_texts(80, seed=4)
    config = ('<View><Text name="text" value="$text"/><Choices name="topic" toName="text">'
              + "".join(f'<Choice value="{label}"/>' for label in labels) + "</Choices></View>")
    project = ls.create_project("activelab live test", config)
    ids = ls.import_tasks(project, [{"text": r["text"]} for r in rows])
    assert len(ids) == len(rows)
    port = free_port()
    backend_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "activelab.cli", "ml-backend", "--db", str(tmp_path / "v.db"),
         "--port", str(port), "--strategy", "margin", "--retrain-every", "6"], env=env)
    try:
        wait_healthy(backend_url, 120)
        ls.connect_backend(project, backend_url)
        for task, row in zip(ids[:6], rows[:6]):
            ls.annotate(task, choice_result("topic", "text", [row["label"]]))
        first = _version_after_training(ls, backend_url)
        ls.retrieve_predictions(project)
        ordered = ls.ordered_by_score(project)
        unlabeled = [t for t in ordered if not t["annotations"]]
        assert all(t["predictions_score"] is not None for t in unlabeled)
        assert {t["predictions_model_versions"] for t in unlabeled} == {first}
        # The strategy called directly on the same texts and labels picks the same top 10.
        from activelab.models.catalog import make_model
        from activelab.server.features import featurize
        from activelab.strategies import get

        task_ids = np.array(sorted(ids))
        by_id = dict(zip(ids, rows))
        pool = Pool(featurize([by_id[i]["text"] for i in task_ids], kind="text"), ids=task_ids)
        pool.add_labels(np.array(ids[:6]), np.array([r["label"] for r in rows[:6]],
                                                    dtype=object))
        loop = ActiveLoop(make_model("logreg", 0, sparse=True), pool, get("margin"),
                          random_state=0)
        expected = set(loop.ask(10, random_state=0).ids.tolist())
        assert {t["id"] for t in ordered[:10]} == expected
        for task, row in zip(ids[6:12], rows[6:12]):
            ls.annotate(task, choice_result("topic", "text", [row["label"]]))
        second = _version_after_training(ls, backend_url, not_=first)
        assert second != first
        ls.retrieve_predictions(project)
        rescored = [t for t in ls.ordered_by_score(project) if not t["annotations"]]
        assert all(second in t["predictions_model_versions"].split(",") and
                   t["predictions_score"] is not None for t in rescored)
        if os.environ.get("ACTIVELAB_LS_SCREENSHOT"):
            _screenshot(ls, project, os.environ["ACTIVELAB_LS_SCREENSHOT"])
    finally:
        process.terminate()
        process.wait(30)


#: Columns the screenshot hides, so the text, the guess, the score and the version show.
HIDDEN = ["inner_id", "completed_at", "total_annotations", "cancelled_annotations",
          "total_predictions", "annotators", "annotations_results", "annotations_ids",
          "file_upload", "storage_filename", "created_at", "updated_at", "updated_by",
          "avg_lead_time", "draft_exists", "comment_count", "unresolved_comment_count",
          "last_comment_updated_at", "comment_authors", "agreement"]


def _screenshot(ls: LabelStudio, project: int, path: str) -> None:
    """Label Studio's task list sorted by prediction score, in headless Chromium, logged in
    as .ci/label-studio.sh's user."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api")
    view = ls.call("POST", "/api/dm/views", {"project": project, "data": {
        "title": "activelab order", "ordering": ["-tasks:predictions_score"],
        "hiddenColumns": {"explore": [f"tasks:{c}" for c in HIDDEN], "labeling": []}}})
    chromium = os.environ.get("ACTIVELAB_TEST_CHROMIUM") or shutil.which("chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 760})
        page.goto(ls.url + "/user/login/")
        page.fill("input[name=email]", os.environ.get("ACTIVELAB_LS_EMAIL", "ci@activelab.test"))
        page.fill("input[name=password]", os.environ.get("ACTIVELAB_LS_PASSWORD", "activelab-ci"))
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{ls.url}/projects/{project}/data?tab={view['id']}")
        page.wait_for_selector("text=Prediction score")
        page.wait_for_timeout(2000)
        page.screenshot(path=path)
        browser.close()


def _version_after_training(ls: LabelStudio, backend_url: str, not_: str | None = None) -> str:
    import json
    import urllib.request

    def trained() -> str | None:
        with urllib.request.urlopen(backend_url + "/status") as reply:
            (status,) = json.load(reply).values()
        version = status["model_version"]
        assert status["last_error"] is None, status["last_error"]
        ready = not status["training"] and version not in ("activelab-cold-start", not_)
        return version if ready else None

    return ls.wait_for(trained, 180, "the backend's retrain")
