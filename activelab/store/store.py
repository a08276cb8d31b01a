"""The labeling store: projects, users, leases and the append-only event log.

Every write is one transaction; lease allocation and labeling lock the project row first
(``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two
annotators are never handed the same item at once, whatever the number of server threads
or processes.

>>> store = Store("sqlite://")
>>> items = [ImportedItem(f"x{i}", f"text {i}", i + 2) for i in range(3)]
>>> store.create_project("demo", items, ProjectSettings(labels=("pos", "neg")))
'demo'
>>> token = store.add_user("ann", "annotator")
>>> ann = store.user_by_token(token)
>>> leased = store.next_item("demo", ann)
>>> store.annotate("demo", ann, leased.item_id, "pos", lease_id=leased.lease_id)["label"]
'pos'
>>> store.stats("demo")["n_labels"]
1
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ..errors import ActiveLabError
from .database import migrate, open_engine
from .importer import MAX_FIELD_CHARS, ImportedItem
from .schema import (
    ROLES,
    Answer,
    Event,
    Item,
    Lease,
    ModelVersion,
    Project,
    QueryRound,
    Score,
    Session,
    User,
)

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "GoneError",
    "LeasedItem",
    "NotFoundError",
    "ProjectSettings",
    "Store",
    "UserInfo",
]

SKIP_POLICIES = ("others", "me", "ignore")
MAX_RATIONALE_CHARS = 2000
SESSION_SECONDS = 12 * 3600


class NotFoundError(ActiveLabError):
    status = 404


class ForbiddenError(ActiveLabError):
    status = 403


class ConflictError(ActiveLabError):
    status = 409


class GoneError(ActiveLabError):
    status = 410


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
    checks the names (``activelab.server.project_loop``).
    """

    labels: tuple[str, ...]
    strategy: str = "margin"
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

    def check(self) -> ProjectSettings:
        labels = tuple(str(label).strip() for label in self.labels)
        if len(labels) < 2 or any(not label for label in labels):
            raise ActiveLabError("--labels needs at least two non-empty labels, e.g. pos,neg")
        if len(set(labels)) != len(labels):
            raise ActiveLabError(f"--labels has a label twice: {','.join(labels)}")
        if any(len(label) > 200 for label in labels):
            raise ActiveLabError("a label is longer than 200 characters")
        if self.skip_policy not in SKIP_POLICIES:
            raise ActiveLabError(f"skip policy must be one of {', '.join(SKIP_POLICIES)}")
        if not 0.0 <= self.exploration <= 1.0:
            raise ActiveLabError("exploration is a share between 0 and 1")
        if self.stop_threshold is not None and not -1.0 <= self.stop_threshold <= 1.0:
            raise ActiveLabError("the stop threshold is a kappa or an uncertainty, between "
                                 f"-1 and 1; got {self.stop_threshold}")
        for name in ("retrain_every", "labels_per_item", "queue_size", "stop_window"):
            if int(getattr(self, name)) < 1:
                raise ActiveLabError(f"{name.replace('_', '-')} must be at least 1")
        if self.lease_seconds <= 0:
            raise ActiveLabError("the lease time must be positive")
        return ProjectSettings(**{**asdict(self), "labels": labels})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("labels")
        data.pop("strategy")
        data.pop("model")
        return data


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class LeasedItem:
    """An item handed to one annotator until ``expires_at`` (Unix seconds)."""

    item_id: int
    external_id: str
    content: str
    lease_id: str
    expires_at: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The API's view: times as ISO 8601 strings."""
        return {"item_id": self.item_id, "external_id": self.external_id,
                "content": self.content, "lease_id": self.lease_id,
                "expires_at": _iso(self.expires_at), "reason": self.reason}


def hash_secret(secret: str) -> str:
    """SHA-256 of a random token: tokens carry 256 bits of entropy, so a fast hash is safe
    (a slow password hash is for guessable secrets: see :meth:`Store.set_password`)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Store:
    """A labeling database at ``url`` (``sqlite:///file.db`` or ``postgresql://...``).

    The schema is migrated to the newest version on opening.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        #: Where the store reads the time (Unix seconds); tests replace it to expire leases.
        self.clock: Callable[[], float] = time.time
        self.engine = open_engine(url)
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> OrmSession:
        return OrmSession(self.engine, expire_on_commit=False)

    # ---- projects -------------------------------------------------------------------

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
        with self._session() as session, session.begin():
            existing = session.scalar(select(Project).where(Project.name == name))
            if existing is not None:
                if tuple(existing.labels) != settings.labels:
                    raise ActiveLabError(
                        f"project {name!r} already exists with labels "
                        f"{','.join(existing.labels)}; use those or another --db"
                    )
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
        with self._session() as session, session.begin():
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
        return ProjectSettings(labels=tuple(info["labels"]), strategy=info["strategy"],
                               model=info["model"], **info["settings"])

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

    def _project(self, session: OrmSession, name: str, lock: bool = False) -> Project:
        query = select(Project).where(Project.name == name)
        if lock:
            query = query.with_for_update()
        project = session.scalar(query)
        if project is None:
            raise NotFoundError(f"no project {name!r}")
        return project

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

    # ---- users ----------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str | None = None) -> str:
        """Create a user and return its API token (only its hash is stored)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise ActiveLabError("a user name has 1 to 100 characters")
        if role not in ROLES:
            raise ActiveLabError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
        token = secrets.token_urlsafe(32)
        with self._session() as session, session.begin():
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise ConflictError(f"user {name!r} already exists")
            session.add(User(name=name, role=role, token_hash=hash_secret(token),
                             password_hash=_hash_password(password) if password else None,
                             created_at=self.clock()))
        return token

    def users(self) -> list[UserInfo]:
        with self._session() as session:
            return [UserInfo(u.id, u.name, u.role)
                    for u in session.scalars(select(User).order_by(User.id))]

    def user_by_token(self, token: str) -> UserInfo | None:
        if not token or len(token) > 200:
            return None
        with self._session() as session:
            user = session.scalar(select(User).where(User.token_hash == hash_secret(token)))
            return UserInfo(user.id, user.name, user.role) if user else None

    def check_login(self, name: str, secret: str) -> UserInfo | None:
        """The user whose password (argon2) or API token is ``secret``, else ``None``."""
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error

        with self._session() as session:
            user = session.scalar(select(User).where(User.name == name.strip()))
            if user is None:
                return None
            if secrets.compare_digest(user.token_hash, hash_secret(secret)):
                return UserInfo(user.id, user.name, user.role)
            if user.password_hash:
                try:
                    PasswordHasher().verify(user.password_hash, secret)
                    return UserInfo(user.id, user.name, user.role)
                except Argon2Error:
                    return None
        return None

    def create_session(self, user: UserInfo) -> tuple[str, str]:
        """A new browser session: ``(cookie secret, CSRF token)``."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        with self._session() as session, session.begin():
            session.add(Session(user_id=user.id, secret_hash=hash_secret(secret),
                                csrf_token=csrf, created_at=now,
                                expires_at=now + SESSION_SECONDS))
        return secret, csrf

    def session_user(self, secret: str) -> tuple[UserInfo, str] | None:
        if not secret or len(secret) > 200:
            return None
        with self._session() as session:
            row = session.execute(
                select(User, Session.csrf_token).join(Session, Session.user_id == User.id)
                .where(Session.secret_hash == hash_secret(secret),
                       Session.expires_at > self.clock())
            ).first()
            if row is None:
                return None
            user, csrf = row
            return UserInfo(user.id, user.name, user.role), csrf

    def end_session(self, secret: str) -> None:
        with self._session() as session, session.begin():
            session.execute(delete(Session).where(Session.secret_hash == hash_secret(secret)))

    # ---- serving --------------------------------------------------------------------

    def next_item(self, name: str, user: UserInfo) -> LeasedItem | None:
        """Lease the next item for ``user``; ``None`` when nothing is left for them.

        An unexpired lease the user already holds is returned again. Otherwise the item
        comes from the queue of the current scores (the cold-start diversity order until
        a model is trained), or, for a share ``exploration`` of the calls, at random.
        """
        now = self.clock()
        with self._session() as session, session.begin():
            project = self._project(session, name, lock=True)
            held = session.execute(
                select(Lease, Item).join(Item, Item.id == Lease.item_id)
                .where(Lease.project_id == project.id, Lease.user_id == user.id,
                       Lease.released_at.is_(None), Lease.expires_at > now)
                .order_by(Lease.created_at)
            ).first()
            if held is not None:
                lease, item = held
                return _leased(item, lease)
            settings = project.settings
            n_leases = session.scalar(
                select(func.count()).select_from(Lease).where(Lease.user_id == user.id)
            ) or 0
            rng = random.Random(f"{settings['seed']}:{user.id}:{n_leases}")
            explore = (project.current_version_id is not None
                       and rng.random() < settings["exploration"])
            item = self._pick(session, project, user, now, explore)
            if item is None:
                return None
            lease = Lease(id=str(uuid.uuid4()), project_id=project.id, item_id=item.id,
                          user_id=user.id, created_at=now,
                          expires_at=now + settings["lease_seconds"],
                          reason="exploration" if explore else _queue_reason(session, project))
            session.add(lease)
            return _leased(item, lease)

    def _pick(self, session: OrmSession, project: Project, user: UserInfo, now: float,
              explore: bool) -> Item | None:
        settings = project.settings
        labels = (select(Answer.item_id, func.count().label("n")).where(
            Answer.project_id == project.id, Answer.kind == "label").group_by(Answer.item_id)
            .subquery())
        leases = (select(Lease.item_id, func.count().label("n")).where(
            Lease.project_id == project.id, Lease.released_at.is_(None),
            Lease.expires_at > now).group_by(Lease.item_id).subquery())
        closed_kinds = ["resolve"] + (["skip"] if settings["skip_policy"] == "ignore" else [])
        closed = select(Answer.item_id).where(Answer.project_id == project.id,
                                              Answer.kind.in_(closed_kinds))
        mine_kinds = ["label"] + (["skip"] if settings["skip_policy"] != "me" else [])
        mine = select(Answer.item_id).where(Answer.project_id == project.id,
                                            Answer.user_id == user.id,
                                            Answer.kind.in_(mine_kinds))
        query = (
            select(Item).outerjoin(labels, labels.c.item_id == Item.id)
            .outerjoin(leases, leases.c.item_id == Item.id)
            .where(Item.project_id == project.id,
                   func.coalesce(labels.c.n, 0) + func.coalesce(leases.c.n, 0)
                   < settings["labels_per_item"],
                   Item.id.not_in(closed), Item.id.not_in(mine))
        )
        order: list[Any] = []
        if settings["skip_policy"] == "me":
            my_skips = select(Answer.item_id).where(Answer.user_id == user.id,
                                                    Answer.kind == "skip")
            order.append(case((Item.id.in_(my_skips), 1), else_=0))
        if not explore and project.queue_version_id is not None:
            query = query.outerjoin(Score, and_(Score.item_id == Item.id,
                                                Score.model_version_id == project.queue_version_id))
            order += [case((Score.rank.is_(None), 1), else_=0), Score.rank]
        order += [Item.random_rank, Item.id]
        return session.scalars(query.order_by(*order).limit(1)).first()

    def annotate(
        self,
        name: str,
        user: UserInfo,
        item_id: int,
        label: str,
        lease_id: str | None = None,
        rationale: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Record ``user``'s label for ``item_id``; a repeated ``idempotency_key`` records
        nothing and returns the first answer (with ``"replayed": True``)."""
        if rationale is not None and len(rationale) > MAX_RATIONALE_CHARS:
            raise ActiveLabError(f"the rationale is longer than {MAX_RATIONALE_CHARS} characters")
        return self._answer(name, user, item_id, "label", label, lease_id, rationale,
                            idempotency_key)

    def skip(self, name: str, user: UserInfo, item_id: int, lease_id: str | None = None,
             idempotency_key: str | None = None) -> dict[str, Any]:
        """Record that ``user`` skipped ``item_id`` (see ``ProjectSettings.skip_policy``)."""
        return self._answer(name, user, item_id, "skip", None, lease_id, None, idempotency_key)

    def _answer(self, name: str, user: UserInfo, item_id: int, kind: str, label: str | None,
                lease_id: str | None, rationale: str | None,
                idempotency_key: str | None) -> dict[str, Any]:
        if idempotency_key is not None and not 0 < len(idempotency_key) <= 200:
            raise ActiveLabError("an Idempotency-Key has 1 to 200 characters")
        try:
            return self._answer_once(name, user, item_id, kind, label, lease_id, rationale,
                                     idempotency_key)
        except IntegrityError:
            # A concurrent request with the same Idempotency-Key won the race: replay it.
            if idempotency_key is None:
                raise
            return self._answer_once(name, user, item_id, kind, label, lease_id, rationale,
                                     idempotency_key)

    def _answer_once(self, name: str, user: UserInfo, item_id: int, kind: str,
                     label: str | None, lease_id: str | None, rationale: str | None,
                     idempotency_key: str | None) -> dict[str, Any]:
        now = self.clock()
        with self._session() as session, session.begin():
            project = self._project(session, name, lock=True)
            if idempotency_key is not None:
                earlier = session.scalar(select(Event).where(
                    Event.user_id == user.id, Event.idempotency_key == idempotency_key))
                if earlier is not None:
                    if (earlier.item_id, earlier.kind, earlier.label) != (item_id, kind, label):
                        raise ConflictError(
                            "this Idempotency-Key was used for another request; "
                            "use a new key for every new answer")
                    return self._event_reply(session, project, earlier, replayed=True)
            item = self._item(session, project, item_id)
            if kind == "label" and label not in project.labels:
                raise ActiveLabError(
                    f"label {label!r} is not one of this project's labels: "
                    f"{', '.join(project.labels)}")
            self._check_lease(session, project, user, item, lease_id, now)
            previous = session.get(Answer, (item.id, user.id))
            if previous is not None and previous.kind in ("label", "resolve"):
                raise ConflictError(
                    f"you already labeled item {item.external_id!r} "
                    f"({previous.label!r}); undo it first to change it")
            event = Event(project_id=project.id, item_id=item.id, user_id=user.id, kind=kind,
                          label=label, rationale=rationale or None,
                          model_version=self._current_number(session, project),
                          lease_id=lease_id, idempotency_key=idempotency_key, created_at=now)
            session.add(event)
            session.flush()
            if previous is not None:
                session.delete(previous)
                session.flush()
            session.add(Answer(item_id=item.id, user_id=user.id, project_id=project.id,
                               kind=kind, label=label, event_id=event.id))
            session.execute(update(Lease).where(
                Lease.item_id == item.id, Lease.user_id == user.id,
                Lease.released_at.is_(None)).values(released_at=now))
            return self._event_reply(session, project, event, replayed=False)

    def _check_lease(self, session: OrmSession, project: Project, user: UserInfo, item: Item,
                     lease_id: str | None, now: float) -> None:
        if lease_id is not None:
            lease = session.get(Lease, lease_id)
            if lease is None or lease.project_id != project.id:
                raise NotFoundError(f"no lease {lease_id!r}; ask for the next item again")
            if lease.user_id != user.id or lease.item_id != item.id:
                raise ConflictError(
                    f"lease {lease_id!r} is not yours for item {item.external_id!r}")
            if lease.released_at is not None:
                raise ConflictError(f"lease {lease_id!r} was already used or returned")
            if lease.expires_at <= now:
                raise GoneError(
                    f"lease {lease_id!r} expired {now - lease.expires_at:.0f} s ago and the "
                    "item went back to the queue; ask for the next item again")
            return
        others = session.scalar(select(func.count()).select_from(Lease).where(
            Lease.item_id == item.id, Lease.user_id != user.id, Lease.released_at.is_(None),
            Lease.expires_at > now)) or 0
        done = session.scalar(select(func.count()).select_from(Answer).where(
            Answer.item_id == item.id, Answer.user_id != user.id,
            Answer.kind == "label")) or 0
        if others + done >= project.settings["labels_per_item"]:
            if others:
                raise ConflictError(f"item {item.external_id!r} is leased to another annotator")
            raise ConflictError(
                f"item {item.external_id!r} already has the {done} label(s) it needs; "
                "ask for the next item instead")

    def undo(self, name: str, user: UserInfo) -> dict[str, Any] | None:
        """Retract ``user``'s latest label or skip (a ``retract`` event; the log keeps both)
        and lease that item back to them. ``None`` when there is nothing to undo."""
        now = self.clock()
        with self._session() as session, session.begin():
            project = self._project(session, name, lock=True)
            answer = session.scalars(
                select(Answer).where(Answer.project_id == project.id,
                                     Answer.user_id == user.id,
                                     Answer.kind.in_(["label", "skip"]))
                .order_by(Answer.event_id.desc()).limit(1)).first()
            if answer is None:
                return None
            retract = Event(project_id=project.id, item_id=answer.item_id, user_id=user.id,
                            kind="retract", label=answer.label, retracts_event_id=answer.event_id,
                            model_version=self._current_number(session, project),
                            created_at=now)
            session.add(retract)
            session.delete(answer)
            session.execute(update(Lease).where(
                Lease.user_id == user.id, Lease.project_id == project.id,
                Lease.released_at.is_(None)).values(released_at=now))
            item = session.get(Item, answer.item_id)
            assert item is not None
            lease = Lease(id=str(uuid.uuid4()), project_id=project.id, item_id=item.id,
                          user_id=user.id, created_at=now,
                          expires_at=now + project.settings["lease_seconds"], reason="undo")
            session.add(lease)
            session.flush()
            return {"retracted_event_id": answer.event_id, "retract_event_id": retract.id,
                    "kind": answer.kind, "label": answer.label,
                    "item": _leased(item, lease).to_json()}

    def resolve(self, name: str, reviewer: UserInfo, item_id: int, label: str) -> dict[str, Any]:
        """A reviewer's final label for an item (a ``resolve`` event that outranks votes)."""
        now = self.clock()
        with self._session() as session, session.begin():
            project = self._project(session, name, lock=True)
            item = self._item(session, project, item_id)
            if label not in project.labels:
                raise ActiveLabError(f"label {label!r} is not one of this project's labels: "
                                     f"{', '.join(project.labels)}")
            event = Event(project_id=project.id, item_id=item.id, user_id=reviewer.id,
                          kind="resolve", label=label,
                          model_version=self._current_number(session, project), created_at=now)
            session.add(event)
            session.flush()
            previous = session.get(Answer, (item.id, reviewer.id))
            if previous is not None:
                session.delete(previous)
                session.flush()
            session.add(Answer(item_id=item.id, user_id=reviewer.id, project_id=project.id,
                               kind="resolve", label=label, event_id=event.id))
            return self._event_reply(session, project, event, replayed=False)

    def _item(self, session: OrmSession, project: Project, item_id: Any) -> Item:
        valid = isinstance(item_id, int) and 0 < item_id < 2**31
        item = session.get(Item, item_id) if valid else None
        if item is None or item.project_id != project.id:
            raise NotFoundError(f"no item {item_id!r} in project {project.name!r}")
        return item

    def _current_number(self, session: OrmSession, project: Project) -> int:
        if project.current_version_id is None:
            return 0
        return session.scalar(select(ModelVersion.number).where(
            ModelVersion.id == project.current_version_id)) or 0

    def _event_reply(self, session: OrmSession, project: Project, event: Event,
                     replayed: bool) -> dict[str, Any]:
        item = session.get(Item, event.item_id)
        assert item is not None
        return {"event_id": event.id, "kind": event.kind, "item_id": item.id,
                "external_id": item.external_id, "label": event.label,
                "model_version": event.model_version, "replayed": replayed}

    # ---- reading the log --------------------------------------------------------------

    def answers(self, name: str) -> list[tuple[int, str, str, str | None]]:
        """Current answers ``(item_id, user name, kind, label)``, oldest first."""
        with self._session() as session:
            project = self._project(session, name)
            rows = session.execute(
                select(Answer.item_id, User.name, Answer.kind, Answer.label)
                .join(User, User.id == Answer.user_id)
                .where(Answer.project_id == project.id).order_by(Answer.event_id))
            return [tuple(row) for row in rows]  # type: ignore[misc]

    def count_labels(self, name: str) -> int:
        """How many current (not retracted) labels the project has: one cheap query."""
        with self._session() as session:
            project = self._project(session, name)
            return session.scalar(select(func.count()).select_from(Answer).where(
                Answer.project_id == project.id, Answer.kind.in_(["label", "resolve"]))) or 0

    def resolved_labels(self, name: str) -> dict[int, dict[str, Any]]:
        """Per labeled item: its label (a reviewer's resolution, else the unique majority of
        the votes), the votes, and ``status``: ``resolved``, ``pending`` (fewer votes than
        ``labels_per_item``) or ``disagreement`` (a tie)."""
        k = self.project_info(name)["settings"]["labels_per_item"]
        votes: dict[int, list[str]] = defaultdict(list)
        resolutions: dict[int, str] = {}
        for item_id, _user, kind, label in self.answers(name):
            if kind == "label":
                votes[item_id].append(label)  # type: ignore[arg-type]
            elif kind == "resolve":
                resolutions[item_id] = label  # type: ignore[assignment]
        out: dict[int, dict[str, Any]] = {}
        for item_id in sorted(set(votes) | set(resolutions)):
            counts = Counter(votes.get(item_id, [])).most_common()
            if item_id in resolutions:
                label, status = resolutions[item_id], "resolved"
            elif len(counts) > 1 and counts[0][1] == counts[1][1]:
                label, status = None, "disagreement"
            else:
                label = counts[0][0]
                status = "resolved" if len(votes[item_id]) >= k else "pending"
            out[item_id] = {"label": label, "votes": dict(counts), "status": status,
                            "reviewed": item_id in resolutions}
        return out

    def stats(self, name: str) -> dict[str, Any]:
        info = self.project_info(name)
        resolved = self.resolved_labels(name)
        answers = self.answers(name)
        per_class = Counter(r["label"] for r in resolved.values() if r["label"] is not None)
        per_annotator = Counter(user for _i, user, kind, _l in answers if kind == "label")
        now = self.clock()
        with self._session() as session:
            project = self._project(session, name)
            n_items = session.scalar(select(func.count()).select_from(Item).where(
                Item.project_id == project.id)) or 0
            n_leased = session.scalar(select(func.count()).select_from(Lease).where(
                Lease.project_id == project.id, Lease.released_at.is_(None),
                Lease.expires_at > now)) or 0
        return {
            "project": name, "labels": info["labels"], "n_items": n_items,
            "n_labeled_items": sum(1 for r in resolved.values() if r["label"] is not None),
            "n_labels": sum(per_annotator.values()),
            "n_skipped": sum(1 for a in answers if a[2] == "skip"),
            "n_disagreements": sum(1 for r in resolved.values() if r["status"] == "disagreement"),
            "n_leased": n_leased,
            "labels_per_class": {label: per_class.get(label, 0) for label in info["labels"]},
            "labels_per_annotator": dict(per_annotator),
            "model_version": info["model_version"],
            "model_trained_on": info["model_trained_on"],
            "versions": self.model_versions(name),
        }

    def events(self, name: str) -> list[dict[str, Any]]:
        """Every event of the log, oldest first, with the annotator's name and item's id."""
        with self._session() as session:
            project = self._project(session, name)
            rows = session.execute(
                select(Event, User.name, Item.external_id)
                .join(User, User.id == Event.user_id).join(Item, Item.id == Event.item_id)
                .where(Event.project_id == project.id).order_by(Event.id))
            return [{"event_id": e.id, "kind": e.kind, "item_id": e.item_id,
                     "external_id": ext, "label": e.label, "annotator": user,
                     "rationale": e.rationale, "model_version": e.model_version,
                     "retracts_event_id": e.retracts_event_id,
                     "time": _iso(e.created_at)} for e, user, ext in rows]

    def export_rows(self, name: str, kind: str = "labels") -> list[dict[str, Any]]:
        """``labels``: one row per item with a resolved label; ``events``: the whole log."""
        if kind == "events":
            return self.events(name)
        if kind != "labels":
            raise ActiveLabError(f"export kind must be labels or events; got {kind!r}")
        resolved = self.resolved_labels(name)
        rows = []
        for item_id, external_id, content in self.items(name):
            entry = resolved.get(item_id)
            if entry is None or entry["label"] is None or entry["status"] == "pending":
                continue
            votes = sum(entry["votes"].values())
            rows.append({"external_id": external_id, "content": content,
                         "label": entry["label"], "n_votes": votes,
                         "agreement": round(entry["votes"].get(entry["label"], 0) / votes, 4)
                         if votes else None,
                         "reviewed": entry["reviewed"]})
        return rows

    # ---- models and scores ---------------------------------------------------------------

    def model_versions(self, name: str) -> list[dict[str, Any]]:
        with self._session() as session:
            project = self._project(session, name)
            return [{"number": v.number, "kind": v.kind, "n_labels": v.n_labels,
                     "metrics": dict(v.metrics), "time": _iso(v.created_at)}
                    for v in session.scalars(select(ModelVersion).where(
                        ModelVersion.project_id == project.id).order_by(ModelVersion.number))]

    def add_model_version(
        self,
        name: str,
        kind: str,
        n_labels: int,
        metrics: dict[str, Any],
        ranked: Iterable[tuple[int, float]],
        use_for_queue: bool = True,
        trigger: str = "auto",
        chunk_size: int = 500,
        started_at: float | None = None,
    ) -> int:
        """Store a model version with its ranked scores, then switch to it atomically.

        The scores are written in chunks of ``chunk_size`` rows (short transactions, so
        annotators are not held up); nothing reads them until the last transaction points
        the project at the new version. ``kind="diversity"`` is the cold-start order
        (version 0). Returns the version number.
        """
        started_at = self.clock() if started_at is None else started_at
        with self._session() as session, session.begin():
            project = self._project(session, name, lock=True)
            if kind == "diversity":
                number = 0
            else:
                number = 1 + (session.scalar(select(func.max(ModelVersion.number)).where(
                    ModelVersion.project_id == project.id)) or 0)
            version = ModelVersion(project_id=project.id, number=number, kind=kind,
                                   n_labels=n_labels, metrics=metrics, created_at=self.clock())
            session.add(version)
            session.flush()
            version_id = version.id
        chunk: list[dict[str, Any]] = []
        n_scored = 0
        for rank, (item_id, score) in enumerate(ranked):
            chunk.append({"model_version_id": version_id, "item_id": int(item_id),
                          "rank": rank, "score": float(score)})
            if len(chunk) >= chunk_size:
                self._insert_scores(chunk)
                n_scored += len(chunk)
                chunk = []
        if chunk:
            self._insert_scores(chunk)
            n_scored += len(chunk)
        with self._session() as session, session.begin():
            project = self._project(session, name, lock=True)
            if kind == "model":
                project.current_version_id = version_id
            if use_for_queue:
                project.queue_version_id = version_id
            session.add(QueryRound(project_id=project.id, model_version_id=version_id,
                                   trigger=trigger, strategy=project.strategy,
                                   n_scored=n_scored, status="done", started_at=started_at,
                                   finished_at=self.clock()))
        return number

    def _insert_scores(self, rows: list[dict[str, Any]]) -> None:
        with self._session() as session, session.begin():
            session.execute(insert(Score), rows)

    def query_rounds(self, name: str) -> list[dict[str, Any]]:
        with self._session() as session:
            project = self._project(session, name)
            return [{"model_version_id": r.model_version_id, "trigger": r.trigger,
                     "strategy": r.strategy, "n_scored": r.n_scored, "status": r.status,
                     "seconds": round(r.finished_at - r.started_at, 3)}
                    for r in session.scalars(select(QueryRound).where(
                        QueryRound.project_id == project.id).order_by(QueryRound.id))]

    def has_version(self, name: str, kind: str) -> bool:
        with self._session() as session:
            project = self._project(session, name)
            return session.scalar(select(func.count()).select_from(ModelVersion).where(
                ModelVersion.project_id == project.id, ModelVersion.kind == kind)) > 0


def _hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) > MAX_FIELD_CHARS:
        raise ActiveLabError("the password is too long")
    return PasswordHasher().hash(password)


def _queue_reason(session: OrmSession, project: Project) -> str:
    if project.queue_version_id is None:
        return "random"
    kind = session.scalar(select(ModelVersion.kind).where(
        ModelVersion.id == project.queue_version_id))
    return "diversity" if kind == "diversity" else "strategy"


def _leased(item: Item, lease: Lease) -> LeasedItem:
    return LeasedItem(item_id=item.id, external_id=item.external_id, content=item.content,
                      lease_id=lease.id, expires_at=lease.expires_at, reason=lease.reason or "")


def _iso(seconds: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="milliseconds")
