"""Projects and their items: creating a project, its settings, importing more items.

>>> ProjectSettings(labels=("pos", "pos")).check()
Traceback (most recent call last):
...
activelab.errors.ActiveLabError: --labels has a label twice: pos,pos
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ..errors import ActiveLabError
from ..strategies.registry import DEFAULT_STRATEGY
from .base import StoreBase
from .errors import ConflictError
from .importer import ImportedItem
from .schema import Item, ModelVersion, Project
from .task_types import TASK_TYPES, LabelConfig, task_type

__all__ = ["SKIP_POLICIES", "TASKS", "ProjectSettings", "Projects"]

#: Who sees a skipped item again; see :class:`ProjectSettings`.
SKIP_POLICIES = ("others", "me", "ignore")
#: What annotators answer: one label, several labels, a number, or tagged text spans.
TASKS = TASK_TYPES


@dataclass(frozen=True)
class ProjectSettings:
    """How a project serves items.

    ``labels_per_item`` above 1 asks several annotators for each item (then agreement is
    measured and disagreements go to review); ``exploration`` is the share of ``next``
    answers drawn at random instead of from the strategy's queue; ``skip_policy`` says
    who sees a skipped item again: ``others`` (everyone but the skipper), ``me`` (the
    skipper too, after everything else) or ``ignore`` (nobody). ``training`` names the
    training policy and ``stopping`` the stopping rule of the project's loop, with
    ``stop_threshold`` (``None``: the rule's default) and ``stop_window``; the server
    checks the names (``activelab.server.project_loop``). ``control`` is the share of the
    loop's queue drawn at random as a control (:mod:`activelab.control`). ``task`` is the
    task type, one of :data:`TASKS` (:mod:`activelab.store.task_types`), and
    ``label_config`` the labels' descriptions, colours and keys and a rating's scale
    (:class:`LabelConfig`'s JSON). ``show_guess`` shows annotators the current model's
    guess for each item, pre-selected.
    """

    labels: tuple[str, ...]
    strategy: str = DEFAULT_STRATEGY
    model: str = "logreg"
    retrain_every: int = 20
    lease_seconds: float = 600.0
    labels_per_item: int = 1
    exploration: float = 0.1
    skip_policy: str = "others"
    cold_start_per_class: int = 2
    queue_size: int = 2000
    seed: int = 0
    training: str = "full_refit"
    stopping: str = "stabilizing_predictions"
    stop_threshold: float | None = None
    stop_window: int = 3
    control: float = 0.1
    task: str = "single"
    show_guess: bool = True
    label_config: dict[str, Any] | None = None

    def check(self) -> ProjectSettings:
        labels = tuple(str(label).strip() for label in self.labels)
        kind = task_type(self.task)
        config = LabelConfig.from_json(self.label_config)
        if kind.min_labels == 0 and labels:
            raise ActiveLabError(f"a {kind.name} project has no labels; drop --labels (the "
                                 "scale comes from --label-config's min, max and step)")
        if len(labels) < kind.min_labels or any(not label for label in labels):
            raise ActiveLabError(
                f"--labels needs at least {'two' if kind.min_labels == 2 else 'one'} non-empty "
                f"label{'s' if kind.min_labels == 2 else ''}, e.g. "
                f"{'pos,neg' if kind.min_labels == 2 else 'PER,LOC'}")
        stray = set(config.labels) - set(labels)
        if stray:
            raise ActiveLabError(f"the label config describes {sorted(stray)}, which are not "
                                 f"in --labels ({','.join(labels)})")
        if len(set(labels)) != len(labels):
            raise ActiveLabError(f"--labels has a label twice: {','.join(labels)}")
        if any(len(label) > 200 for label in labels):
            raise ActiveLabError("a label is longer than 200 characters")
        if self.task not in TASKS:
            raise ActiveLabError(f"task must be one of {', '.join(TASKS)}; got {self.task!r}")
        if self.skip_policy not in SKIP_POLICIES:
            raise ActiveLabError(f"skip policy must be one of {', '.join(SKIP_POLICIES)}")
        if not 0.0 <= self.exploration <= 1.0:
            raise ActiveLabError("exploration is a share between 0 and 1")
        if not 0.0 <= self.control <= 1.0:
            raise ActiveLabError("control is a share between 0 and 1")
        if self.stop_threshold is not None and not -1.0 <= self.stop_threshold <= 1.0:
            raise ActiveLabError("the stop threshold is a kappa or an uncertainty, between "
                                 f"-1 and 1; got {self.stop_threshold}")
        for name in ("retrain_every", "labels_per_item", "queue_size", "stop_window"):
            if int(getattr(self, name)) < 1:
                raise ActiveLabError(f"{name.replace('_', '-')} must be at least 1")
        if self.lease_seconds <= 0:
            raise ActiveLabError("the lease time must be positive")
        return ProjectSettings(**{**asdict(self), "labels": labels,
                                  "label_config": config.to_json()})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("labels")
        data.pop("strategy")
        data.pop("model")
        return data


class Projects(StoreBase):
    """The store's projects and their items."""

    def create_project(
        self,
        name: str,
        items: Sequence[ImportedItem],
        settings: ProjectSettings,
        item_kind: str = "text",
        source: str = "",
    ) -> str:
        """Create ``name`` with its items in one transaction; an existing project is resumed.

        Resuming checks that the labels agree; the items of an existing project are kept
        as they are (the file is not imported twice).
        """
        settings = settings.check()
        if not items:
            raise ActiveLabError("a project needs at least one item")
        with self._transaction() as session:
            existing = session.scalar(select(Project).where(Project.name == name))
            if existing is not None:
                if tuple(existing.labels) != settings.labels:
                    raise ActiveLabError(
                        f"project {name!r} already exists with labels "
                        f"{','.join(existing.labels)}; use those or another --db"
                    )
                if existing.settings.get("task", "single") != settings.task:
                    raise ActiveLabError(
                        f"project {name!r} already exists as a "
                        f"{existing.settings.get('task', 'single')} project; use that --task "
                        "or another --db")
                return name
            project = Project(
                name=name, labels=list(settings.labels), strategy=settings.strategy,
                model=settings.model, settings=settings.to_json(), item_kind=item_kind,
                source=source, created_at=self.clock(),
            )
            session.add(project)
            session.flush()
            order = list(range(len(items)))
            random.Random(settings.seed).shuffle(order)
            rows = [
                {"project_id": project.id, "external_id": item.external_id,
                 "content": item.content, "position": i, "random_rank": order[i]}
                for i, item in enumerate(items)
            ]
            for start in range(0, len(rows), 5000):
                session.execute(insert(Item), rows[start:start + 5000])
        self._analyze("items")
        return name

    def add_items(self, name: str, items: Sequence[ImportedItem]) -> int:
        """Add ``items`` to the existing project ``name`` in one transaction: all or nothing.

        An external id the project already has is refused (409, naming the line), and so
        is an empty list. New items are placed at random among the old ones for
        exploration; the strategy's queue ranks them after the next retrain. Returns the
        project's number of items.
        """
        if not items:
            raise ActiveLabError("there are no items to add")
        with self._transaction() as session:
            project = self._project(session, name, lock=True)
            by_id = {item.external_id: item for item in items}
            if len(by_id) != len(items):
                raise ActiveLabError("the items to add repeat an id; ids must be unique")
            wanted = list(by_id)
            for start in range(0, len(wanted), 1000):
                taken = session.scalars(
                    select(Item.external_id).where(
                        Item.project_id == project.id,
                        Item.external_id.in_(wanted[start:start + 1000]))
                    .order_by(Item.external_id).limit(1)).first()
                if taken is not None:
                    raise ConflictError(
                        f"line {by_id[taken].line}: project {name!r} already has an item with "
                        f"id {taken!r}; ids must be unique, nothing was imported")
            n_before = session.scalar(select(func.count()).select_from(Item).where(
                Item.project_id == project.id)) or 0
            first = 1 + (session.scalar(select(func.max(Item.position)).where(
                Item.project_id == project.id)) or 0)
            rng = random.Random(f"{project.settings['seed']}:{n_before}")
            total = n_before + len(items)
            rows = [
                {"project_id": project.id, "external_id": item.external_id,
                 "content": item.content, "position": first + i,
                 "random_rank": rng.randrange(total)}
                for i, item in enumerate(items)
            ]
            try:
                for start in range(0, len(rows), 5000):
                    session.execute(insert(Item), rows[start:start + 5000])
            except IntegrityError:  # the same ids committed by a concurrent import
                raise ConflictError(
                    f"another import added some of these ids to project {name!r} at the same "
                    "time; nothing was imported") from None
        self._analyze("items")
        return total

    def project_names(self) -> list[str]:
        with self._session() as session:
            return list(session.scalars(select(Project.name).order_by(Project.id)))

    def project_info(self, name: str) -> dict[str, Any]:
        """Labels, strategy, model, settings and the current model version of ``name``."""
        with self._session() as session:
            project = self._project(session, name)
            return self._project_dict(session, project)

    def settings_of(self, name: str) -> ProjectSettings:
        info = self.project_info(name)
        known = {field.name for field in fields(ProjectSettings)}  # not a newer server's
        return ProjectSettings(labels=tuple(info["labels"]), strategy=info["strategy"],
                               model=info["model"],
                               **{k: v for k, v in info["settings"].items() if k in known})

    def _project_dict(self, session: OrmSession, project: Project) -> dict[str, Any]:
        current = session.get(ModelVersion, project.current_version_id) \
            if project.current_version_id else None
        return {
            "name": project.name, "labels": list(project.labels), "strategy": project.strategy,
            "model": project.model, "settings": dict(project.settings),
            "item_kind": project.item_kind, "source": project.source,
            "model_version": current.number if current else 0,
            "model_trained_on": current.n_labels if current else 0,
        }

    def items(self, name: str) -> list[tuple[int, str, str]]:
        """``(item_id, external_id, content)`` of every item, in file order."""
        with self._session() as session:
            project = self._project(session, name)
            rows = session.execute(
                select(Item.id, Item.external_id, Item.content)
                .where(Item.project_id == project.id).order_by(Item.position)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    def item(self, name: str, item_id: int) -> dict[str, Any]:
        with self._session() as session:
            project = self._project(session, name)
            item = self._item(session, project, item_id)
            return {"item_id": item.id, "external_id": item.external_id, "content": item.content}
