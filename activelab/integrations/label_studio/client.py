"""A small client of Label Studio's REST API (standard library only), enough to set up a
project with activelab as its ML backend and to annotate through the API: the live tests,
the benchmark and the screenshot script use it.

Label Studio's legacy token header is ``Authorization: Token <key>``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from ...errors import ActiveLabError

__all__ = ["LabelStudio", "choice_result", "wait_healthy"]


def choice_result(from_name: str, to_name: str, choices: list[str]) -> list[dict[str, Any]]:
    """The ``result`` of an annotation choosing ``choices``."""
    return [{"from_name": from_name, "to_name": to_name, "type": "choices",
             "value": {"choices": list(choices)}}]


class LabelStudio:
    """Label Studio at ``url`` (e.g. ``http://127.0.0.1:8080``), as the user of ``token``."""

    def __init__(self, url: str, token: str, timeout: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON answer of ``method path``; an error naming Label Studio's reply."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                text = reply.read().decode()
        except urllib.error.HTTPError as err:
            raise ActiveLabError(f"Label Studio answered {err.code} to {method} {path}: "
                                 f"{err.read().decode()[:500]}") from None
        return json.loads(text) if text else None

    def create_project(self, title: str, label_config: str) -> int:
        return int(self.call("POST", "/api/projects", {"title": title,
                                                       "label_config": label_config})["id"])

    def import_tasks(self, project: int, data: list[dict[str, Any]]) -> list[int]:
        """Import one task per ``data`` dict; the new task ids, in that order."""
        before = set(self.task_ids(project))
        self.call("POST", f"/api/projects/{project}/import", [{"data": d} for d in data])
        return sorted(set(self.task_ids(project)) - before)

    def task_ids(self, project: int) -> list[int]:
        return [t["id"] for t in self.tasks(project)]

    def tasks(self, project: int, view: int | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
        """The tasks of ``project`` (in ``view``'s order when given; the first ``limit``)."""
        out: list[dict[str, Any]] = []
        size = min(limit or 500, 500)
        page = 1
        while True:
            query = f"view={view}" if view is not None else f"project={project}"
            reply = self.call("GET", f"/api/tasks?{query}&project={project}&page={page}"
                              f"&page_size={size}&fields=all")
            batch = reply["tasks"] if isinstance(reply, dict) else reply
            out.extend(batch)
            if len(batch) < size or (limit is not None and len(out) >= limit):
                return out[:limit]
            page += 1

    def connect_backend(self, project: int, url: str, title: str = "activelab") -> int:
        """Connect the ML backend at ``url`` (Label Studio calls its /health and /setup,
        and adds its /webhook for every event)."""
        return int(self.call("POST", "/api/ml", {"project": project, "url": url,
                                                 "title": title})["id"])

    def annotate(self, task: int, result: list[dict[str, Any]]) -> int:
        return int(self.call("POST", f"/api/tasks/{task}/annotations",
                             {"result": result})["id"])

    def retrieve_predictions(self, project: int) -> None:
        """The Data Manager's "Retrieve predictions" on every task: Label Studio asks the
        backend for every task without a prediction of the current model version."""
        self.call("POST", f"/api/dm/actions?id=retrieve_tasks_predictions&project={project}",
                  {"selectedItems": {"all": True, "excluded": []}})

    def ordered_by_score(self, project: int, limit: int | None = None) -> list[dict[str, Any]]:
        """The tasks (the first ``limit``) in the order of a Data Manager tab sorted by
        prediction score, highest first (as a person sorting the task list sees them)."""
        view = self.call("POST", "/api/dm/views", {"project": project, "data": {
            "title": "activelab order", "ordering": ["-tasks:predictions_score"]}})
        return self.tasks(project, view=int(view["id"]), limit=limit)

    def wait_for(self, check: Any, timeout: float = 120.0, what: str = "Label Studio") -> Any:
        """Poll ``check()`` until it returns something true; that value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.5)
        raise ActiveLabError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_healthy(url: str, timeout: float = 120.0) -> None:
    """Wait until ``url``/health answers 200 (a server that is still starting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise ActiveLabError(f"{url} did not answer /health within {timeout:.0f} s")
