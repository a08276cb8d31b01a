"""One Label Studio project as activelab sees it: its tasks, the annotations so far, the
library's loop trained in the background, and every task's score from the strategy.

Each trained version is stored with :class:`~activelab.store.ModelVersions` (the store of
``activelab serve``): its number, the strategy and model, the answers it was trained on
and the scores of the tasks it ranked. After a restart the latest version is fitted again
from those answers (deterministic for the seed), so Label Studio keeps seeing the same
``model_version`` and scores.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import ActiveLabError
from ...models.span_tagger import OUTSIDE, SPAN_MODEL, SPAN_SCORE, SpanTagger
from ...store import ImportedItem, ProjectSettings, Store
from ...strategies.registry import DEFAULT_STRATEGY
from .label_config import Interface

__all__ = ["COLD_START", "Learner", "Version", "library_default_strategy", "ls_scores",
           "version_name"]

log = logging.getLogger("activelab.label_studio")

#: The ``model_version`` of predictions made before the first model (no result, score 0).
COLD_START = "activelab-cold-start"
#: What the Choices model sees of a text: TF-IDF, or the bundled MiniLM's sentence
#: embeddings (the ``text`` extra).
FEATURES = ("tfidf", "minilm")
#: The most tasks one retrain ranks with the strategy; the rest score below them.
MAX_RANKED = 5000


def version_name(strategy: str, model: str, number: int) -> str:
    """The ``model_version`` Label Studio shows: strategy, model and version number."""
    return f"activelab-{strategy}-{model}-v{number}"


def library_default_strategy(kind: str) -> str:
    """The library's default strategy (``auto``) for single choice; binary-relevance
    uncertainty for multiple choice, where ``auto`` would fall back to k-center."""
    return "br_uncertainty" if kind == "multilabel" else DEFAULT_STRATEGY


def ls_scores(order: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Scores for Label Studio that sort tasks in the strategy's ``order``: the strategy's
    own ``scores`` when they fall along the order, else ``1 - rank / n``."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) > 1 and not (np.isfinite(scores).all() and (np.diff(scores) <= 0).all()):
        return 1.0 - np.arange(len(order)) / len(order)
    return scores


@dataclass
class Version:
    """A trained version: its Label Studio name, each task's score and guess; ``floor``
    (below every ranked task) for the tasks it did not rank."""

    number: int
    name: str
    scores: dict[int, float] = field(default_factory=dict)
    guesses: dict[int, Any] = field(default_factory=dict)
    floor: float = 0.0


def _encode(answer: Any) -> Any:
    return [list(span) for span in answer] if isinstance(answer, tuple) and answer and \
        isinstance(answer[0], tuple) else list(answer) if isinstance(answer, tuple) else answer


def _decode(answer: Any, kind: str) -> Any:
    if kind == "spans":
        return tuple((int(s), int(e), str(label)) for s, e, label in answer)
    return tuple(answer) if kind == "multilabel" else answer


class Learner:
    """activelab's side of the Label Studio project ``uid`` (``"<id>.<created>"``)."""

    def __init__(self, store: Store, uid: str, interface: Interface, *, strategy: str | None,
                 model: str, training: str, seed: int, retrain_every: int,
                 features: str = "tfidf") -> None:
        self.store = store
        self.uid = uid
        self.name = f"label-studio {uid}"
        self.interface = interface
        self.strategy = SPAN_SCORE if interface.kind == "spans" else \
            strategy or library_default_strategy(interface.kind)
        self.model = SPAN_MODEL if interface.kind == "spans" else model
        self.training = training
        self.seed = seed
        self.retrain_every = retrain_every
        if features not in FEATURES:
            raise ActiveLabError(f"features must be one of {', '.join(FEATURES)}; got {features!r}")
        self.features = features
        self._embedder: Any = None
        self.tasks: dict[int, str] = {}
        self.answers: dict[int, Any] = {}
        self.version: Version | None = None
        self.last_error: str | None = None
        #: Label Studio's URL and the project owner's token, from /setup: each retrain
        #: first reads every task and annotation of the project from there.
        self.remote: tuple[str, str] | None = None
        self._item_ids: dict[int, int] = {}
        self._new_answers = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._busy = False
        self._wanted = False
        self._restore()

    # ---- what Label Studio sends ------------------------------------------------------

    def add_tasks(self, texts: dict[int, str]) -> None:
        """Remember new tasks (kept in the store as the project's items)."""
        with self._lock:
            new = {i: t for i, t in texts.items() if i not in self.tasks}
            if not new:
                return
            items = [ImportedItem(str(i), t, 0) for i, t in sorted(new.items())]
            if self.name in self.store.project_names():
                self.store.add_items(self.name, items)
            else:
                self.store.create_project(self.name, items, self._settings(), source=self.uid)
            self.tasks.update(new)
            self._item_ids = {int(ext): item for item, ext, _ in self.store.items(self.name)}

    def record(self, task_id: int, answer: Any) -> bool:
        """A task's latest answer (None retracts it); True when a retrain was started."""
        with self._lock:
            if answer is None:
                self.answers.pop(task_id, None)
            else:
                self.answers[task_id] = answer
            self._new_answers += 1
            due = self._new_answers >= self.retrain_every
        return self.request() if due else False

    def predictions(self, task_ids: list[int]) -> list[dict[str, Any]]:
        """Label Studio's prediction of each task: the guess, the strategy's score, the
        version's name."""
        version = self.version
        if version is None:
            return [{"result": [], "score": 0.0, "model_version": COLD_START} for _ in task_ids]
        from .tasks import prediction_result

        out = []
        for task in task_ids:
            guess = version.guesses.get(task)
            result = [] if guess is None else prediction_result(
                self.interface, guess, self.tasks.get(task, ""))
            out.append({"result": result, "score": version.scores.get(task, version.floor),
                        "model_version": version.name})
        return out

    @property
    def model_version(self) -> str:
        return self.version.name if self.version is not None else COLD_START

    # ---- training in the background ---------------------------------------------------

    def request(self) -> bool:
        """Ask for a retrain; returns at once (True when a new job thread started)."""
        with self._lock:
            self._wanted = True
            if self._busy:
                return False
            self._busy = True
            self._idle.clear()
        threading.Thread(target=self._work, name=f"learner-{self.uid}", daemon=True).start()
        return True

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)

    def status(self) -> dict[str, Any]:
        return {"training": self._busy, "last_error": self.last_error,
                "model_version": self.model_version, "n_tasks": len(self.tasks),
                "n_answers": len(self.answers)}

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._busy = False
                    self._idle.set()
                    return
                self._wanted = False
                self._new_answers = 0
            try:
                self.train_once()
                self.last_error = None
            except Exception as err:  # a failed job must not stop the backend
                self.last_error = f"{type(err).__name__}: {err}"
                log.error("training failed: %s", traceback.format_exc())

    def train_once(self, restore: dict[str, Any] | None = None) -> int | None:
        """Fit on the answers, score every task, store the version; its number, or None
        while the answers cannot train a model yet. ``restore`` (a stored version) refits
        that version instead of making a new one."""
        started = time.time()
        if restore is None:
            self._pull()
        with self._lock:
            tasks = dict(self.tasks)
            answers = dict(self.answers)
        ids = np.array(sorted(tasks), dtype=np.int64)
        texts = [tasks[int(i)] for i in ids]
        answers = {i: a for i, a in answers.items() if i in tasks}
        fitted = self._fit_spans(ids, texts, answers) if self.interface.kind == "spans" \
            else self._fit_loop(ids, texts, answers)
        if fitted is None:
            return None
        order, raw, guesses, metrics = fitted
        scores = ls_scores(order, raw)
        if restore is not None:
            number = int(restore["number"])
        else:
            metrics.update(strategy=self.strategy, model=self.model, seed=self.seed,
                           features=self.features,
                           answers={str(i): _encode(a) for i, a in answers.items()})
            ranked = [(self._item_ids[int(t)], float(s)) for t, s in zip(order, scores)]
            number = self.store.add_model_version(self.name, "model", len(answers), metrics,
                                                  ranked, trigger="label-studio",
                                                  started_at=started)
        floor = float(scores.min()) - 1.0 if len(scores) else 0.0
        all_scores = {int(i): floor for i in ids}
        all_scores.update({int(t): float(s) for t, s in zip(order, scores)})
        self.version = Version(number, self._version_name(number), all_scores, guesses, floor)
        return number

    def _pull(self) -> None:
        """Read the project's tasks and their latest annotations from Label Studio (the
        source of truth: /predict and the webhooks show only some tasks); a warning, and
        the tasks seen so far, when it cannot be reached."""
        if self.remote is None:
            return
        from .client import LabelStudio
        from .tasks import annotation_answer, task_text

        try:
            tasks = LabelStudio(*self.remote, timeout=30).tasks(int(self.uid.split(".")[0]))
        except (ActiveLabError, OSError, ValueError) as err:
            log.warning("cannot read the tasks from Label Studio at %s: %s", self.remote[0], err)
            return
        texts, answers = {}, {}
        for task in tasks:
            if (self.interface.data_key not in (task.get("data") or {})):
                continue
            texts[int(task["id"])] = task_text(task, self.interface)
            done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
            if done:
                latest = max(done, key=lambda a: (str(a.get("updated_at")), a.get("id", 0)))
                answer = annotation_answer(latest, self.interface)
                if answer is not None:
                    answers[int(task["id"])] = answer
        self.add_tasks(texts)
        with self._lock:
            self.answers = answers

    def _version_name(self, number: int) -> str:
        return version_name(self.strategy, self.model, number)

    def _settings(self) -> ProjectSettings:
        labels = self.interface.labels
        if self.interface.kind == "spans":
            labels = (OUTSIDE, *labels)
        return ProjectSettings(labels=labels, strategy=self.strategy, model=self.model,
                               training=self.training, seed=self.seed,
                               retrain_every=self.retrain_every, queue_size=MAX_RANKED,
                               control=0.0)  # Label Studio orders by score alone

    def _fit_loop(self, ids: np.ndarray, texts: list[str],
                  answers: dict[int, Any]) -> tuple[Any, ...] | None:
        """Choices: the library's loop (model, training policy, strategy) on TF-IDF."""
        from ...server.project_loop import build_loop

        multilabel = self.interface.kind == "multilabel"
        labeled = np.array(sorted(answers), dtype=np.int64)
        if len(labeled) < 2 or (not multilabel and len(set(answers.values())) < 2):
            return None
        if multilabel:
            y: Any = np.array([[label in answers[int(i)] for label in self.interface.labels]
                               for i in labeled], dtype=np.int64)
        else:
            y = np.array([answers[int(i)] for i in labeled], dtype=object)
        X = self._featurize(texts)
        loop = build_loop(self._settings(), X, ids, task="multilabel" if multilabel
                          else "classification")
        loop.pool.add_labels(labeled, y, annotator="label-studio")
        record = loop.fit()
        metrics: dict[str, Any] = {"labels": len(labeled)}
        # The stopping rules compare one predicted class per item: classification only.
        stop_reason = None if multilabel else loop.check_stop()
        if stop_reason is not None:
            metrics["stop_reason"] = stop_reason
        metrics["round_info"] = {k: v for k, v in record.info.items()
                                 if isinstance(v, (str, int, float, bool))}
        order, raw = np.zeros(0, dtype=np.int64), np.zeros(0)
        if loop.pool.n_unlabeled:
            query = loop.ask(min(MAX_RANKED, loop.pool.n_unlabeled), random_state=self.seed)
            order, raw = np.asarray(query.ids, dtype=np.int64), np.asarray(query.scores)
        predicted = loop.model.predict(X)
        if multilabel:
            guesses = {int(i): tuple(label for label, on in zip(self.interface.labels, row) if on)
                       for i, row in zip(ids, np.asarray(predicted))}
        else:
            guesses = {int(i): str(label) for i, label in zip(ids, predicted)}
        return order, raw, guesses, metrics

    def _featurize(self, texts: list[str]) -> Any:
        from ...server.features import featurize

        if self.features == "tfidf":
            return featurize(texts, kind="text")
        if self._embedder is None:  # kept: it embeds each distinct text once
            from ...models.text import SentenceEmbedder

            self._embedder = SentenceEmbedder()
        return self._embedder(texts)

    def _fit_spans(self, ids: np.ndarray, texts: list[str],
                   answers: dict[int, Any]) -> tuple[Any, ...] | None:
        """Labels over Text: the token model; a text's score is its uncertainty."""
        if not any(answers.values()):
            return None
        position = {int(i): p for p, i in enumerate(ids)}
        labeled = sorted(answers)
        tagger = SpanTagger(self.interface.labels, random_state=self.seed).fit(
            [texts[position[i]] for i in labeled], [answers[i] for i in labeled])
        unlabeled = np.array([i for i in ids if int(i) not in answers], dtype=np.int64)
        doubt = tagger.uncertainty([texts[position[int(i)]] for i in unlabeled])
        rank = np.argsort(-doubt, kind="stable")[:MAX_RANKED]
        guesses = dict(zip((int(i) for i in ids), tagger.predict(texts)))
        return unlabeled[rank], doubt[rank], guesses, {"labels": len(labeled)}

    def _restore(self) -> None:
        """Reload the tasks and the latest version from the store, then refit it in the
        background."""
        if self.name not in self.store.project_names():
            return
        items = self.store.items(self.name)
        self.tasks = {int(ext): content for _, ext, content in items}
        self._item_ids = {int(ext): item for item, ext, _ in items}
        versions = [v for v in self.store.model_versions(self.name) if v["kind"] == "model"]
        if not versions:
            return
        latest = versions[-1]
        stored = latest["metrics"]
        self.strategy = stored.get("strategy", self.strategy)
        self.model = stored.get("model", self.model)
        self.features = stored.get("features", self.features)
        self.answers = {int(i): _decode(a, self.interface.kind)
                        for i, a in stored.get("answers", {}).items()}
        self.version = Version(latest["number"], self._version_name(latest["number"]))
        self._busy = True
        self._idle.clear()
        threading.Thread(target=self._refit, args=(latest,), daemon=True).start()

    def _refit(self, latest: dict[str, Any]) -> None:
        try:
            self.train_once(restore=latest)
        except Exception as err:
            self.last_error = f"{type(err).__name__}: {err}"
            log.error("refitting version %s failed: %s", latest["number"],
                      traceback.format_exc())
        with self._lock:
            self._busy = False
        if self._wanted:
            self.request()
        else:
            self._idle.set()
