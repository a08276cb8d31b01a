"""Retraining in the background: at most one job running and one pending.

A job brings the store's resolved labels into the project's :class:`~activelab.ActiveLoop`
(only those: an item awaiting more votes, or whose votes tie, waits until it is resolved;
the store stays the source of truth: new labels are told, changed ones corrected), lets
the loop fit the model through its training policy, measures it (cross-validated accuracy
on the labels, and the loop's stabilizing-predictions rule: how much the predictions moved
since the previous version), asks the loop for the queue (``ModelOutputs`` predicts in
chunks) and stores the scores in chunks; the store then switches the project to the new
version in one transaction. Annotators never wait: ``request`` only sets a flag and
returns.

Several server processes may serve one database: each has a trainer per project, and a job
runs only under the project's training lease (:mod:`activelab.store.workers`), renewed by
a heartbeat while it trains, so one process trains at a time. A job that finds the lease
held elsewhere waits and tries again (the holder may die: its lease then expires); an
automatic job finds out from the store whether another process already trained on these
labels. Nothing else lives in memory: the queue, guesses and versions every process serves
come from the store.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from ..pool import Pool
from ..selection.clustering import cluster_round_robin_order
from ..stopping import StabilizingPredictions
from ..store import Store
from ..store.workers import TRAINING_LEASE_SECONDS, process_holder_id
from .guessing import model_guesses
from .project_loop import STOP_SET_SIZE, build_loop, control_metrics

__all__ = ["STOP_SET_SIZE", "Trainer"]

log = logging.getLogger("activelab.server")


class Trainer:
    """Trains ``project``'s model on ``features`` (one row per item, in ``item_ids`` order).

    Parameters
    ----------
    store : Store
    project : str
    features : array or sparse matrix
    item_ids : array of int
        The store's item ids, one per row of ``features``.
    holder : str, optional
        This process's name in the training lease (default ``host:pid:random``).
    lease_seconds : float
        How long the training lease lasts unless renewed (every third of it while training).
    """

    def __init__(self, store: Store, project: str, features: Any, item_ids: np.ndarray,
                 refeaturize: Callable[[], tuple[Any, np.ndarray]] | None = None,
                 holder: str | None = None, lease_seconds: float = TRAINING_LEASE_SECONDS,
                 retry_seconds: float = 2.0) -> None:
        self.store = store
        self.holder = holder or process_holder_id()
        self.lease_seconds = lease_seconds
        #: How long a job that found the lease held waits before trying again.
        self.retry_seconds = retry_seconds
        self.project = project
        self.features = features
        self.item_ids = np.asarray(item_ids, dtype=np.int64)
        #: Features and ids of every item in the store, called after items were added.
        self.refeaturize = refeaturize
        self._pool_stale = False
        #: ``(item_id, annotator)`` of the "unsure" answers the loop's pool was told.
        self._unsure_told: set[tuple[int, str]] = set()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._running = False
        self._pending: str | None = None
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.jobs_run = 0
        #: The project's loop: its pool mirrors the store's labels, its model, training
        #: policy and stopping rules are the library's objects named by the settings.
        self._loop_settings = store.settings_of(project)
        self.task = self._loop_settings.task
        self.loop = build_loop(self._loop_settings, self.features, self.item_ids) \
            if self.task == "single" else None  # the other types fit anew each job
        self._loop_features = self.features
        # Labels (as counted by Store.count_labels) when the last job started.
        trained = any(v["kind"] == "model" for v in store.model_versions(project))
        self._trained_on = store.count_labels(project) if trained else 0
        self._stopped = threading.Event()

    # ---- scheduling -------------------------------------------------------------------

    def ensure_cold_start(self) -> None:
        """Store the diversity order as version 0 once, so the first labels spread out."""
        if self.store.has_version(self.project, "diversity") or not \
                self.store.take_training_lease(self.project, self.holder, self.lease_seconds):
            return  # stored already, or another process is storing it
        try:
            if not self.store.has_version(self.project, "diversity"):
                self._store_diversity_order()
        finally:
            self.store.drop_training_lease(self.project, self.holder)

    def _store_diversity_order(self) -> None:
        info = self.store.project_info(self.project)
        n_clusters = min(len(self.item_ids), 10 * max(2, len(info["labels"])))
        order = cluster_round_robin_order(self.features, n_clusters, info["settings"]["seed"])
        ranked = ((int(self.item_ids[p]), float(len(order) - i)) for i, p in enumerate(order))
        self.store.add_model_version(self.project, "diversity", 0, {}, ranked,
                                     trigger="cold-start")

    def labels_changed(self, n_labels: int, every: int | None = None) -> None:
        """Called after each answer: start a job every ``retrain_every`` new labels
        (``every``: the setting, if the caller read it already)."""
        if every is None:
            every = self.store.project_info(self.project)["settings"]["retrain_every"]
        if n_labels - self._trained_on >= every:  # perhaps trained by another process:
            self._trained_on = max(self._trained_on, self.store.last_model_metrics(
                self.project).get("labels_counted", 0))
            if n_labels - self._trained_on >= every:
                self.request("auto")

    def request(self, trigger: str = "manual") -> str:
        """Ask for a retrain: ``started``, ``pending`` (one is queued behind the running job)
        or ``already pending``."""
        with self._lock:
            if self._running:
                if self._pending is not None:
                    return "already pending"
                self._pending = trigger
                return "pending"
            self._running = True
            self._idle.clear()
            self._thread = threading.Thread(target=self._loop, args=(trigger,),
                                            name=f"trainer-{self.project}", daemon=True)
            self._thread.start()
            return "started"

    def items_added(self) -> str:
        """Items were added to the project: the next job featurizes the whole pool again
        (off the request thread) and ranks the new items too. Returns :meth:`request`'s
        answer."""
        with self._lock:
            self._pool_stale = True
        return self.request("import")

    def settings_changed(self) -> str:
        """The project's settings changed: the next job (started now) rebuilds the loop
        from them and re-scores the pool. Returns :meth:`request`'s answer."""
        return self.request("settings")

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"running": self._running, "pending": self._pending is not None,
                    "jobs_run": self.jobs_run, "last_error": self.last_error}

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job runs or is pending (for tests and scripts)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        """Stop waiting for the training lease (a job that runs finishes)."""
        self._stopped.set()

    def run_job(self, trigger: str = "manual") -> str:
        """One job under the training lease: ``trained``, ``busy`` (another process holds
        the lease) or ``not due`` (an automatic job whose labels another process trained
        on already)."""
        if not self.store.take_training_lease(self.project, self.holder, self.lease_seconds):
            return "busy"
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(done,), daemon=True,
                                name=f"lease-{self.project}")
        beat.start()
        try:
            if not self._due(trigger):
                return "not due"
            self.train_once(trigger)
            return "trained"
        finally:
            done.set()
            beat.join()
            self.store.drop_training_lease(self.project, self.holder)

    def _due(self, trigger: str) -> bool:
        """Whether an automatic job (enough new labels) or an import's job (new items) is
        still to do: another process may have trained on them since it was asked for."""
        if trigger not in ("auto", "import"):
            return True
        last = self.store.last_model_metrics(self.project)
        if trigger == "import":
            return not last or last.get("items_counted", 0) < \
                self.store.item_count(self.project)
        every = self.store.project_info(self.project)["settings"]["retrain_every"]
        return self.store.count_labels(self.project) - last.get("labels_counted", 0) >= every

    def _heartbeat(self, done: threading.Event) -> None:
        """Renew the training lease every third of its length until ``done``."""
        while not done.wait(self.lease_seconds / 3):
            self._heartbeat_once()

    def _heartbeat_once(self) -> None:
        if not self.store.take_training_lease(self.project, self.holder, self.lease_seconds):
            log.warning("project %s: the training lease was taken over while training",
                        self.project)

    def _loop(self, trigger: str) -> None:
        while True:
            try:
                while self.run_job(trigger) == "busy" and \
                        not self._stopped.wait(self.retry_seconds):
                    pass  # another process trains: try again when it may have finished
                self.last_error = None
            except Exception as err:  # a failed job must not kill the server
                self.last_error = f"{type(err).__name__}: {err}"
                log.error("retraining failed: %s", traceback.format_exc())
            with self._lock:
                self.jobs_run += 1
                if self._pending is None:
                    self._running = False
                    self._idle.set()
                    return
                trigger, self._pending = self._pending, None

    # ---- one job ----------------------------------------------------------------------

    @property
    def stabilizing(self) -> StabilizingPredictions:
        """The loop's stabilizing-predictions rule, whose kappas the dashboard shows."""
        return next(rule for rule in self.loop.stopping
                    if isinstance(rule, StabilizingPredictions))

    def train_once(self, trigger: str = "manual") -> int | None:
        """Fit, measure, re-score and switch; the new version number, or ``None`` when the
        labels do not cover two classes yet."""
        started = time.time()
        with self._lock:
            stale, self._pool_stale = self._pool_stale, False
        stale = stale or self.store.item_count(self.project) != len(self.item_ids)
        if stale and self.refeaturize is not None:
            try:
                features, item_ids = self.refeaturize()
            except Exception:
                self._pool_stale = True
                raise
            # Rows keep their order (new items come last); the loop's pool grows.
            self.features, self.item_ids = features, np.asarray(item_ids, dtype=np.int64)
        self._rebuild_loop_if_settings_changed()
        self._trained_on = self.store.count_labels(self.project)
        info = self.store.project_info(self.project)
        settings = info["settings"]
        counted = {"labels_counted": self._trained_on, "items_counted": len(self.item_ids),
                   "trained_by": self.holder}
        resolved = self.store.resolved_labels(self.project)
        known = set(self.item_ids.tolist())  # items added after featurizing wait a job
        labeled = {item: entry["label"] for item, entry in resolved.items()
                   if entry["status"] == "resolved" and item in known}
        if self.task != "single":
            return self._train_task(labeled, trigger, started, counted)
        counts = Counter(labeled.values())
        if len(counts) < 2:
            return None
        self._sync_labels(labeled)
        self._tell_unsure(known)
        loop = self.loop
        loop.withdraw()  # the previous version's queue is replaced, not answered
        record = loop.fit()
        guesses = model_guesses(settings.get("task", "single"), loop.model, self.features,
                                self.item_ids, info["labels"]) if record.model_fitted else []
        kappas_before = len(self.stabilizing.kappas_)
        stop_reason = loop.check_stop()
        metrics = self._metrics(info["model"], settings["seed"], counts, kappas_before)
        metrics["round_info"] = dict(record.info)  # the policy's and rules' notes
        metrics.update(counted)
        left_out = sum(1 for entry in resolved.values() if entry["status"] != "resolved")
        metrics["trained_on"] = (f"trained on {len(labeled)} resolved labels"
                                 + (f"; {left_out} unresolved item{'s' * (left_out > 1)} "
                                    "left out" if left_out else ""))
        metrics.update(control_metrics(loop, settings["retrain_every"],
                                       settings["stop_threshold"] if settings["stopping"]
                                       == "expected_gain" else None))
        if stop_reason is not None:
            metrics["stop_reason"] = stop_reason
        ready = all(counts.get(label, 0) >= settings["cold_start_per_class"]
                    for label in info["labels"])
        ranked: list[tuple[int, float]] = []
        if ready and loop.pool.n_unlabeled:
            k = min(settings["queue_size"], loop.pool.n_unlabeled)
            for past in loop.history:  # the store keeps every version's queue; a server
                past.query_ids.clear()  # runs for months, so the loop keeps only this one
            query = loop.ask(k, random_state=settings["seed"])
            ranked = [(int(i), float(s)) for i, s in zip(query.ids, query.scores)]
        number = self.store.add_model_version(
            self.project, "model", len(labeled), metrics, ranked, use_for_queue=bool(ranked),
            trigger=trigger, started_at=started, guesses=guesses)
        return number

    def _rebuild_loop_if_settings_changed(self) -> None:
        """A loop of the stored settings (changed by the settings page or ``activelab
        project set``, perhaps from another process); its pool gets the labels next."""
        settings = self.store.settings_of(self.project)
        if settings != self._loop_settings and self.task == "single":
            self.loop = build_loop(settings, self.features, self.item_ids)
            self._loop_settings, self._loop_features = settings, self.features

    def _texts(self) -> list[str]:
        content = {item: text for item, _ext, text in self.store.items(self.project)}
        return [content[int(i)] for i in self.item_ids]

    def _train_task(self, labeled: dict[int, str], trigger: str, started: float,
                    counted: dict[str, int]) -> int | None:
        """A multi-label, rating or spans job (:mod:`activelab.server.task_models`)."""
        from .task_models import train_round

        settings = self.store.settings_of(self.project)
        texts = self._texts() if self.task == "spans" else []
        found = train_round(settings, self.features, self.item_ids, texts, labeled)
        if found is None:
            return None
        found.metrics["labels_per_class"] = self.store.stats(self.project)["labels_per_class"]
        found.metrics.update(counted)
        return self.store.add_model_version(
            self.project, "model", len(labeled), found.metrics, found.ranked,
            use_for_queue=bool(found.ranked), trigger=trigger, started_at=started,
            guesses=self._task_guesses(found, texts))

    def _task_guesses(self, found: Any, texts: list[str]) -> list[tuple[int, str, float]]:
        """Every item's guess by a multi-label, rating or spans model
        (:func:`~activelab.server.task_models.guess_values`); a rating's confidence takes
        the cross-validated error as the spread (a normal error whose mean absolute value
        is the MAE has sigma = MAE * sqrt(pi / 2))."""
        from ..store.task_types import task_of
        from .task_models import guess_values

        info = self.store.project_info(self.project)
        mae = found.metrics.get("cv_mae")
        values = guess_values(self.task, found.model, texts if self.task == "spans"
                              else self.features, info["labels"], task_of(info["settings"])[1],
                              sigma=None if mae is None else mae * math.sqrt(math.pi / 2))
        return [(int(i), value, confidence) for i, (value, confidence)
                in zip(self.item_ids, values)]

    def _sync_labels(self, labeled: dict[int, str]) -> None:
        """Make the loop's pool hold exactly the store's labels: new ones are told, changed
        ones corrected; after an import or a retracted label the pool is replaced."""
        ids = np.array(sorted(labeled), dtype=np.int64)
        labels = np.array([labeled[i] for i in ids], dtype=object)
        pool = self.loop.pool
        gone = ~np.isin(pool.labeled_ids, ids)
        refeaturized = self._loop_features is not self.features
        if refeaturized or gone.any():
            fresh = Pool(self.features, ids=self.item_ids)
            fresh.add_labels(ids, labels, annotator="server")
            self.loop.replace_pool(fresh, rows_changed=refeaturized)
            self._loop_features = self.features
            self._unsure_told.clear()  # the fresh pool has no "unsure" answers yet
            return
        known = pool.is_labeled(ids)
        if (~known).any():
            self.loop.tell(ids[~known], labels[~known], annotator="server")
        changed = np.zeros(len(ids), dtype=bool)
        changed[known] = pool.labels_of(ids[known]) != labels[known]
        if changed.any():
            pool.correct_labels(ids[changed], labels[changed], annotator="server")

    def _tell_unsure(self, known: set[int]) -> None:
        """Tell the loop's pool the store's new "unsure" answers (:meth:`Pool.add_unsure`)."""
        new = [(item, who) for item, who, kind, _label in self.store.answers(self.project)
               if kind == "unsure" and item in known and (item, who) not in self._unsure_told]
        if new:
            self.loop.pool.add_unsure([item for item, _who in new],
                                      annotator=[who for _item, who in new])
            self._unsure_told.update(new)

    def _metrics(self, model_name: str, seed: int, counts: Counter,
                 kappas_before: int) -> dict[str, Any]:
        """Labels per class, cross-validated accuracy, and the stabilizing-predictions rule's
        latest measurement (when this job's fit made one)."""
        from sklearn.model_selection import StratifiedKFold, cross_val_score

        from ..models.catalog import make_model

        metrics: dict[str, Any] = {"labels_per_class": dict(counts)}
        folds = min(5, min(counts.values()))
        if folds >= 2:
            X, y = self.loop.pool.labeled_data()
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
            scores = cross_val_score(make_model(model_name, seed, sparse=hasattr(X, "tocsr")),
                                     X, y, cv=cv)
            metrics["cv_accuracy"] = round(float(np.mean(scores)), 4)
        rule = self.stabilizing
        if len(rule.kappas_) > kappas_before:
            metrics["prediction_change"] = round(rule.changes_[-1], 4)
            metrics["stability_kappa"] = round(rule.kappas_[-1], 4)
        return metrics
