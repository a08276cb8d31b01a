"""The Label Studio projects one ``activelab ml-backend`` serves, and what it answers to
each request of Label Studio's ML backend protocol (the HTTP layer is :mod:`.app`).

Label Studio names a project ``"<id>.<created, Unix seconds>"`` in /setup and /predict;
the webhooks carry the project's JSON, from which the same name is made.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from ...errors import ActiveLabError
from ...store import Store
from .label_config import parse_label_config
from .learner import Learner, version_name
from .tasks import annotation_answer, task_id, task_text

__all__ = ["Backend", "project_uid"]

#: Webhook actions that change a task's answer, and the one that asks for training.
ANSWER_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")
#: How long /predict waits for a version being refitted after a restart.
RESTORE_WAIT_SECONDS = 60.0


def project_uid(project: Any) -> str:
    """Label Studio's name of ``project``: a /setup or /predict string, or a webhook's
    project object (``id`` and ``created_at``)."""
    if isinstance(project, str) and project:
        return project
    if isinstance(project, int):
        return str(project)
    if isinstance(project, dict) and isinstance(project.get("id"), int):
        created = project.get("created_at")
        if isinstance(created, str):
            stamp = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
            return f"{project['id']}.{int(stamp)}"
        return str(project["id"])
    raise ActiveLabError("the request names no Label Studio project ('project' is missing)")


class Backend:
    """Learners by project; ``store`` keeps their tasks and versions across restarts.

    The other parameters are every project's settings (see ``activelab ml-backend``)."""

    def __init__(self, store: Store, *, strategy: str | None = None, model: str = "logreg",
                 training: str = "full_refit", seed: int = 0, retrain_every: int = 5,
                 features: str = "tfidf") -> None:
        self.store = store
        self.options = {"strategy": strategy, "model": model, "training": training,
                        "seed": seed, "retrain_every": retrain_every, "features": features}
        self.learners: dict[str, Learner] = {}
        self._lock = threading.Lock()

    def learner(self, uid: str, label_config: str | None) -> Learner:
        """The learner of ``uid``, made (or remade, when the config changed) from
        ``label_config``."""
        with self._lock:
            known = self.learners.get(uid)
            if label_config is None:
                if known is None:
                    raise ActiveLabError(f"project {uid} is not set up; connect the backend "
                                         "in Label Studio (it then calls /setup)")
                return known
            interface = parse_label_config(label_config)
            if known is None or known.interface != interface:
                known = Learner(self.store, uid, interface, **self.options)  # type: ignore[arg-type]
                self.learners[uid] = known
            return known

    def setup(self, payload: dict[str, Any]) -> dict[str, Any]:
        learner = self.learner(project_uid(payload.get("project")), payload.get("schema"))
        hostname, token = payload.get("hostname"), payload.get("access_token")
        if isinstance(hostname, str) and hostname.startswith("http") and isinstance(token, str):
            learner.remote = (hostname, token)
        return {"model_version": learner.model_version}

    def predict(self, payload: dict[str, Any]) -> dict[str, Any]:
        tasks = payload.get("tasks")
        if not isinstance(tasks, list):
            raise ActiveLabError("/predict needs 'tasks', a list of Label Studio tasks")
        learner = self.learner(project_uid(payload.get("project")), payload.get("label_config"))
        texts = {task_id(task): task_text(task, learner.interface) for task in tasks}
        unseen = [i for i in texts if i not in learner.tasks]
        learner.add_tasks(texts)
        if learner.version is not None and not learner.version.scores:
            learner.wait_idle(RESTORE_WAIT_SECONDS)  # the restored version is being refitted
        if unseen and learner.answers:
            learner.request()  # the next version ranks the new tasks too
        return {"results": learner.predictions(list(texts)),
                "model_version": learner.model_version}

    def webhook(self, payload: dict[str, Any]) -> dict[str, Any]:
        action = payload.get("action")
        project = payload.get("project")
        if action not in (*ANSWER_ACTIONS, "START_TRAINING"):
            return {"status": "ignored", "action": action}
        config = project.get("label_config") if isinstance(project, dict) else None
        learner = self.learner(project_uid(project), config)
        if action == "START_TRAINING":
            learner.request()
            return {"status": "training", "model_version": learner.model_version}
        task = payload.get("task")
        if not isinstance(task, dict):
            raise ActiveLabError(f"a {action} webhook needs the 'task' object")
        tid = task_id(task)
        learner.add_tasks({tid: task_text(task, learner.interface)})
        started = learner.record(tid, annotation_answer(payload.get("annotation") or {},
                                                        learner.interface))
        return {"status": "training" if started else "recorded",
                "model_version": learner.model_version}

    def versions(self, uid: str | None) -> dict[str, Any]:
        """Every stored version of ``uid`` (or of every project), newest last."""
        names = [n for n in self.store.project_names() if n.startswith("label-studio ")]
        if uid is not None:
            names = [n for n in names if n == f"label-studio {uid}"]
        versions = []
        for name in names:
            for v in self.store.model_versions(name):
                if v["kind"] == "model":
                    m = v["metrics"]
                    versions.append(version_name(m.get("strategy", "?"), m.get("model", "?"),
                                                 v["number"]))
        return {"versions": versions}
