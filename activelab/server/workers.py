"""``activelab serve --workers N``: N server processes on one PostgreSQL database.

:func:`serving_app` builds the app of a prepared database (``activelab serve`` in one
process does just that). With ``--workers N`` the parent process imports (or resumes) the
project once (``prepare_server`` in :mod:`activelab.server.cli`), writes
what the app needs to a small JSON file and hands the listening socket to uvicorn, which
starts N worker processes (and starts a new one when one dies). Each worker builds its own
app from that file (:func:`worker_app`, an app factory): its own Store, and a trainer per
project. Everything they share lives in the database: sessions, tokens, item leases,
idempotency keys, model versions and queues, the flash messages' key, and the training
lease, so only one process trains each project at a time. Several hosts run ``activelab
serve --db postgresql://...`` each, behind one reverse proxy, the same way.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ActiveLabError
from ..store.workers import TRAINING_LEASE_SECONDS

__all__ = ["CONFIG_VARIABLE", "Prepared", "check_workers", "run_workers", "serving_app",
           "worker_app"]

#: The environment variable naming the JSON file the workers read.
CONFIG_VARIABLE = "ACTIVELAB_WORKERS_CONFIG"


@dataclass
class Prepared:
    """A database ready to serve: its store, the ``--data`` project (or the first) and
    what the app needs to know of the data file."""

    store: Any
    url: str
    name: str = ""
    #: The project whose data file had rows added (its trainer re-scores them), if any.
    added: str | None = None
    folders: dict[str, str] = field(default_factory=dict)
    columns: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def check_workers(url: str, workers: int) -> None:
    """Refuse ``--workers`` below 1, and above 1 on SQLite (one process writes the file)."""
    if workers < 1:
        raise ActiveLabError(f"--workers {workers}: give 1 or more server processes")
    if workers > 1 and url.startswith("sqlite"):
        raise ActiveLabError(
            f"--workers {workers} needs a database server: one process writes a SQLite file. "
            "Serve it with --workers 1, or serve the project from PostgreSQL "
            "(--db postgresql://user:password@host/db)")


def run_workers(prepared: Prepared, workers: int, host: str, port: int,
                max_upload_bytes: int | None, guesses: bool | None,
                training_lease: float = TRAINING_LEASE_SECONDS) -> None:
    """Serve ``prepared`` from ``workers`` uvicorn processes on ``host:port`` until stopped."""
    import uvicorn

    config = {"url": prepared.url, "name": prepared.name, "added": prepared.added,
              "folders": prepared.folders, "columns": prepared.columns,
              "max_upload_bytes": max_upload_bytes, "guesses": guesses,
              "training_lease": training_lease}
    prepared.store.close()
    handle, path = tempfile.mkstemp(prefix="activelab-workers-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(config, out)
        os.environ[CONFIG_VARIABLE] = path
        uvicorn.run("activelab.server.workers:worker_app", factory=True, workers=workers,
                    host=host, port=port, log_level="warning")
    finally:
        os.unlink(path)


def worker_app():  # type: ignore[no-untyped-def]
    """The app of one worker process, built from the parent's JSON file (uvicorn's app
    factory)."""
    from ..store import Store

    path = os.environ.get(CONFIG_VARIABLE)
    if not path:
        raise ActiveLabError(f"{CONFIG_VARIABLE} is not set: start workers with "
                             "`activelab serve --workers N`")
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle)
    prepared = Prepared(store=Store(config["url"]), url=config["url"], name=config["name"],
                        added=config["added"], folders=config["folders"],
                        columns={k: tuple(v) for k, v in config["columns"].items()})
    return serving_app(prepared, config["max_upload_bytes"], config["guesses"],
                       config["training_lease"])


def serving_app(prepared: Any, max_upload_bytes: int | None = None,
                guesses: bool | None = None,
                training_lease: float = TRAINING_LEASE_SECONDS):  # type: ignore[no-untyped-def]
    """The app over every project of ``prepared``'s database, a trainer for each (a
    retrain requested for the project whose data file had rows added); a trainer holds
    its project's training lease for ``training_lease`` seconds between heartbeats."""
    from . import flash
    from .app import MAX_UPLOAD_BYTES, create_app
    from .project_setup import ProjectTrainers, build_trainer, project_folder

    store = prepared.store
    flash.use_store_secret(store)
    folders = {name: Path(folder) for name, folder in prepared.folders.items()}
    trainers = ProjectTrainers(store, folders, training_lease)
    for each in store.project_names():
        folders.setdefault(each, project_folder(store, each))  # type: ignore[arg-type]
        trainers[each] = build_trainer(store, each, folders[each], training_lease)
    if prepared.added:
        trainers[prepared.added].items_added()
    return create_app(store, trainers, {k: v for k, v in folders.items() if v is not None},
                      item_columns=dict(prepared.columns),
                      max_upload_bytes=MAX_UPLOAD_BYTES if max_upload_bytes is None
                      else max_upload_bytes, guesses=guesses)
