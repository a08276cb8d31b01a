"""Setting up a served project: checking its settings, creating it, building its trainer,
resuming it from its data file, and changing its settings explicitly.

``activelab serve``, the new-project page and ``activelab project`` all go through these
functions, so a project made or changed any of these ways gets the same checks.

>>> parse_assignments(["strategy=entropy", "retrain_every=5", "stop_threshold=none"])
{'strategy': 'entropy', 'retrain_every': 5, 'stop_threshold': None}
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..store import ProjectSettings, Store
from ..store.errors import ConflictError
from ..store.importer import ImportedItem
from ..store.workers import TRAINING_LEASE_SECONDS
from ..strategies.registry import DEFAULT_STRATEGY
from .features import featurize
from .project_loop import check_loop_settings
from .trainer import Trainer

__all__ = ["ProjectTrainers", "build_trainer", "change_settings", "checked_settings",
           "create_new_project", "import_appended", "parse_assignments", "project_folder",
           "resume_notes", "task_defaults"]

PROJECT_NAME = re.compile(r"^[\w.-]{1,100}$")


def checked_settings(settings: ProjectSettings) -> ProjectSettings:
    """``settings`` checked as a new project's are (names, ranges, a strategy that exists, a
    training policy the model can follow), with the catalogue's spelling of the names.
    A spans project's token model and its uncertainty are not in the catalogues."""
    from ..models.catalog import make_model
    from ..store.task_types import task_type
    from ..strategies import get as get_strategy

    settings = settings.check()
    if settings.task == "spans":
        return settings
    get_strategy(settings.strategy)
    model = make_model(settings.model, settings.seed, task=task_type(settings.task).catalog)
    return check_loop_settings(settings, model)


def task_defaults(task: str, strategy: str | None, model: str | None,
                  config: dict[str, Any] | None,
                  labels: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
    """The strategy, model and labels of a ``task`` project where none are given (the
    label config's labels, in its order)."""
    from ..store.task_types import LabelConfig

    if not labels and task != "rating":
        labels = tuple(LabelConfig.from_json(config).labels)
    if task == "single":
        return strategy or DEFAULT_STRATEGY, model or "logreg", labels
    from .task_models import defaults

    default_strategy, default_model = defaults(task)
    if task == "spans" and (strategy or default_strategy, model or default_model) != \
            (default_strategy, default_model):
        raise ActiveLabError(f"a spans project uses the token model ({default_model}) and "
                             f"its uncertainty ({default_strategy}); drop --strategy and --model")
    return strategy or default_strategy, model or default_model, labels


def create_new_project(store: Store, name: str, items: Sequence[ImportedItem],
                       settings: ProjectSettings, kind: str = "text", source: str = "") -> str:
    """Create the project ``name``, refusing a name in use (409) or a bad name or setting."""
    name = name.strip()
    if not PROJECT_NAME.match(name):
        raise ActiveLabError(f"a project name has 1 to 100 letters, digits, '.', '_' or '-'; "
                             f"got {name!r}")
    settings = checked_settings(settings)
    if name in store.project_names():
        raise ConflictError(f"project {name!r} already exists; pick another name")
    return store.create_project(name, items, settings, item_kind=kind, source=source)


def project_folder(store: Store, name: str) -> Path | None:
    """The folder of the data file ``name`` was created from (image paths are relative to
    it), or ``None`` for a project created from an upload."""
    source = store.project_info(name)["source"]
    return Path(source).parent if source and Path(source).is_absolute() else None


def build_trainer(store: Store, name: str, folder: Path | None,
                  training_lease: float = TRAINING_LEASE_SECONDS) -> Trainer:
    """The trainer of ``name`` over its items' features, with its cold-start order stored
    and a retrain requested when enough labels wait; it renews its training lease of
    ``training_lease`` seconds while it trains (see :mod:`activelab.store.workers`)."""
    kind = store.project_info(name)["item_kind"]

    def pool_features() -> tuple[Any, np.ndarray]:
        rows = store.items(name)
        return (featurize([content for _i, _e, content in rows], kind, folder),
                np.array([i for i, _e, _c in rows]))

    trainer = Trainer(store, name, *pool_features(), refeaturize=pool_features,
                      lease_seconds=training_lease)
    trainer.ensure_cold_start()
    trainer.labels_changed(store.count_labels(name))
    return trainer


class ProjectTrainers(dict):  # type: ignore[type-arg]
    """The app's trainers by project; ``get`` builds the trainer of a project created since
    the server started (say, by ``activelab project create`` in another process)."""

    def __init__(self, store: Store, folders: dict[str, Path],
                 training_lease: float = TRAINING_LEASE_SECONDS) -> None:
        super().__init__()
        self.store = store
        self.folders = folders
        self.training_lease = training_lease
        self._lock = threading.Lock()

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        if name in self:
            return self[name]
        with self._lock:
            if name not in self and name in self.store.project_names():
                folder = self.folders.get(name) or project_folder(self.store, name)
                self[name] = build_trainer(self.store, name, folder, self.training_lease)
        return super().get(name, default)


def change_settings(store: Store, name: str, changes: dict[str, Any],
                    by: str) -> list[tuple[str, Any, Any]]:
    """Check ``changes`` as creation does, store and log them; ``(setting, old, new)``."""
    return store.change_settings(name, changes, by, check=checked_settings)


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """``["strategy=entropy", "retrain_every=5"]`` as settings with their types (``none``
    for an empty optional number); refuses unknown settings and malformed values."""
    types = {f.name: str(f.type) for f in fields(ProjectSettings)}
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in types:
            raise ActiveLabError(f"{pair!r}: write SETTING=VALUE with a setting of "
                                 f"{', '.join(sorted(types))}")
        changes[key] = _typed(key, value.strip(), types[key])
    return changes


def _typed(key: str, value: str, kind: str) -> Any:
    if "None" in kind and value.lower() in ("none", ""):
        return None
    try:
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
    except ValueError:
        raise ActiveLabError(f"{key}={value!r}: {key} is a number") from None
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def resume_notes(name: str, stored: ProjectSettings, wanted: ProjectSettings,
                 given: Iterable[str], db: str) -> list[str]:
    """One line per setting among ``given`` whose flag differs from the stored value: what
    was kept, and the command that changes it."""
    kept, asked = asdict(stored), asdict(wanted)
    notes = []
    for key in given:
        if key in kept and kept[key] != asked[key]:
            shown = "none" if asked[key] is None else asked[key]
            notes.append(f"kept {key}={kept[key]} of project {name!r} (the flag said {shown}); "
                         f"to change it: activelab project set {name} {key}={shown} --db {db}")
    return notes


def import_appended(store: Store, name: str, items: Sequence[ImportedItem]) -> int:
    """Add the rows of the data file whose ids ``name`` does not have yet (all or nothing);
    the number added. Refuses (adding nothing) when a known id's content changed: rows were
    edited or inserted rather than appended."""
    known = {external: content for _i, external, content in store.items(name)}
    for item in items:
        if item.external_id in known and known[item.external_id] != item.content:
            raise ActiveLabError(
                f"line {item.line}: the item with id {item.external_id!r} differs from the one "
                f"project {name!r} holds; rows may only be appended to the data file (give "
                "rows an id column to insert them anywhere); nothing was imported")
    new = [item for item in items if item.external_id not in known]
    if new:
        store.add_items(name, new)
    return len(new)
