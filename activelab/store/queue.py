"""The lease queue: which item an annotator gets next, and for how long it is theirs.

:meth:`LeaseQueue.next_item` hands out leases: holding the annotator's row lock it returns
the lease they already hold, or leases the first item that still needs a label, in the
order of the current model version's scores (the cold-start diversity order before a
model is trained), or at random for a share ``exploration`` of the calls. Allocations for
different annotators run side by side on PostgreSQL, even in different server processes:
each locks only the item it picks (see :meth:`LeaseQueue._pick`). The skip policy
(:class:`~activelab.store.projects.ProjectSettings`) decides who sees a skipped item again.
:meth:`LeaseQueue._check_lease` is the rule an answer's lease must pass.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session as OrmSession

from .accounts import UserInfo
from .base import StoreBase, iso
from .errors import ConflictError, GoneError, NotFoundError
from .guesses import guess_of
from .schema import Answer, Item, Lease, Project, Score

__all__ = ["LeaseQueue", "LeasedItem", "attach_guess", "leased_item", "open_lease"]


@dataclass(frozen=True)
class LeasedItem:
    """An item handed to one annotator until ``expires_at`` (Unix seconds)."""

    item_id: int
    external_id: str
    content: str
    lease_id: str
    expires_at: float
    reason: str
    #: The model's guess shown with the item (an answer value) and its confidence.
    guess: str | None = None
    guess_confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The API's view: times as ISO 8601 strings."""
        return {"item_id": self.item_id, "external_id": self.external_id,
                "content": self.content, "lease_id": self.lease_id,
                "expires_at": iso(self.expires_at), "reason": self.reason,
                "guess": self.guess, "guess_confidence": self.guess_confidence}


class LeaseQueue(StoreBase):
    """Leasing items to annotators, in the order of the queue."""

    def next_item(self, name: str, user: UserInfo,
                  show_guess: bool | None = None) -> LeasedItem | None:
        """Lease the next item for ``user``; ``None`` when nothing is left for them.

        An unexpired lease the user already holds is returned again. Otherwise the item
        comes from the queue of the current scores (the cold-start diversity order until
        a model is trained), or, for a share ``exploration`` of the calls, at random.
        The lease carries the current model's guess for the item, unless ``show_guess``
        is false (``None``: the project's ``show_guess`` setting decides).
        """
        now = self.clock()
        with self._transaction() as session:
            project = self._project(session, name)
            self._lock_user(session, user.id)
            held = session.execute(
                select(Lease, Item).join(Item, Item.id == Lease.item_id)
                .where(Lease.project_id == project.id, Lease.user_id == user.id,
                       Lease.released_at.is_(None), Lease.expires_at > now)
                .order_by(Lease.created_at)
            ).first()
            if held is not None:
                lease, item = held
                return leased_item(item, lease)
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
            reason = "exploration" if explore else self._queue_reason(session, project)
            lease = open_lease(project, item, user, now, reason)
            if show_guess is None:
                show_guess = bool(settings.get("show_guess", True))
            if show_guess:
                attach_guess(session, project, lease)
            session.add(lease)
            return leased_item(item, lease)

    def _pick(self, session: OrmSession, project: Project, user: UserInfo, now: float,
              explore: bool) -> Item | None:
        """The first item ``user`` may get (:func:`_open_to`), locked for this transaction.

        The order: the user's own skips last (under ``me``), then the queue's rank (unless
        ``explore``), then at random. Each of those groups is one query that walks an index
        in that order and stops at the first open item, so a call costs the same on a pool
        of a thousand items or a million. On PostgreSQL an item another allocation holds
        right now is passed over (``SKIP LOCKED``) instead of waited for, then checked
        again under its lock by a new statement, which sees every lease committed before.
        """
        skips_last = project.settings["skip_policy"] == "me"
        postgres = session.get_bind().dialect.name == "postgresql"
        # On PostgreSQL, first pass over the items other requests hold right now; if every
        # open item is held (the last few of a pool), wait for those, so that "nothing
        # left" is never said too early.
        for skip_locked in (True, False) if postgres else (False,):
            for query in _groups(project, user, now, explore, skips_last):
                item = _first_open(session, query, skip_locked)
                if item is not None:
                    return item
        return None

    def _queue_reason(self, session: OrmSession, project: Project) -> str:
        """Why the queue's first item is first: ``random``, ``diversity`` or ``strategy``."""
        if project.queue_version_id is None:
            return "random"
        kind = self._version_facts(session, project.queue_version_id)[1]
        return "diversity" if kind == "diversity" else "strategy"

    def _check_lease(self, session: OrmSession, project: Project, user: UserInfo, item: Item,
                     lease_id: str | None, now: float) -> None:
        """Refuse an answer to ``item`` unless ``lease_id`` is ``user``'s live lease on it,
        or, without a lease, unless the item still needs a label nobody else holds."""
        if lease_id is not None:
            lease = session.get(Lease, lease_id)
            if lease is None or lease.project_id != project.id:
                raise NotFoundError(
                    f"this page's hold on item {item.external_id!r} is not one the server "
                    "handed out (an old or edited page?); open the next item again")
            if lease.user_id != user.id:
                raise ConflictError(f"item {item.external_id!r} is held by another "
                                    "annotator; open the next item again")
            if lease.item_id != item.id:
                raise ConflictError(f"your hold is on another item, not {item.external_id!r}; "
                                    "open the next item again")
            if lease.released_at is not None:
                raise ConflictError(
                    f"your hold on item {item.external_id!r} has ended: it was already "
                    "answered, skipped or given back; open the next item again")
            if lease.expires_at <= now:
                raise GoneError(
                    f"your hold on item {item.external_id!r} expired after "
                    f"{_duration(lease.expires_at - lease.created_at)}; it was given back to "
                    "the queue; open the next item again")
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


def _first_open(session: OrmSession, query: Any, skip_locked: bool) -> Item | None:
    """The first item of ``query``, locked, and checked again under its lock: a new
    statement sees every lease committed before the lock was granted."""
    passed: list[int] = []
    while True:
        candidates = query.where(Item.id.not_in(passed)) if passed else query
        item = session.scalars(candidates.limit(1).with_for_update(
            of=Item, key_share=True, skip_locked=skip_locked)).first()
        if item is None or session.scalar(
                query.with_only_columns(Item.id).where(Item.id == item.id).order_by(None)):
            return item
        passed.append(item.id)  # leased or answered by another request meanwhile


def _open_to(project: Project, user: UserInfo, now: float) -> Any:
    """The condition on an item that ``user`` may be handed it: its labels and live leases
    are fewer than ``labels_per_item``, it is not closed (resolved, or skipped under the
    skip policy ``ignore``) and ``user`` has not answered it (skips count unless the policy
    is ``me``). Each part is a lookup by the item's id in an index."""
    settings = project.settings
    passed = ["skip", "unsure"]  # an "unsure" answer passes the item on as a skip does
    closed_kinds = ["resolve"] + (passed if settings["skip_policy"] == "ignore" else [])
    mine_kinds = ["label"] + (passed if settings["skip_policy"] != "me" else [])
    labels = (select(func.count()).select_from(Answer)
              .where(Answer.item_id == Item.id, Answer.kind == "label").scalar_subquery())
    leases = (select(func.count()).select_from(Lease)
              .where(Lease.item_id == Item.id, Lease.released_at.is_(None),
                     Lease.expires_at > now).scalar_subquery())
    return and_(
        Item.project_id == project.id,
        ~exists().where(Answer.item_id == Item.id, Answer.kind.in_(closed_kinds)),
        ~exists().where(Answer.item_id == Item.id, Answer.user_id == user.id,
                        Answer.kind.in_(mine_kinds)),
        labels + leases < settings["labels_per_item"])


def _groups(project: Project, user: UserInfo, now: float, explore: bool,
            skips_last: bool) -> Iterator[Any]:
    """The queries of :meth:`LeaseQueue._pick`, in order, each sorted by an index: the
    queue's items by rank, then the others at random (``explore``: all at random); under
    ``skips_last`` all that first for items ``user`` has not passed on, then for those."""
    version = None if explore else project.queue_version_id
    passed_by_user = exists().where(Answer.item_id == Item.id, Answer.user_id == user.id,
                                    Answer.kind.in_(["skip", "unsure"]))
    open_to = _open_to(project, user, now)
    for skipped in ((False, True) if skips_last else (None,)):
        condition = open_to if skipped is None else and_(
            open_to, passed_by_user if skipped else ~passed_by_user)
        if version is not None:
            yield (select(Item).join(Score, and_(Score.item_id == Item.id,
                                                 Score.model_version_id == version))
                   .where(condition).order_by(Score.rank, Item.random_rank, Item.id))
            condition = and_(condition, ~exists().where(Score.item_id == Item.id,
                                                        Score.model_version_id == version))
        yield select(Item).where(condition).order_by(Item.random_rank, Item.id)


def open_lease(project: Project, item: Item, user: UserInfo, now: float, reason: str) -> Lease:
    """A new lease of ``item`` to ``user`` for the project's ``lease_seconds``."""
    return Lease(id=str(uuid.uuid4()), project_id=project.id, item_id=item.id,
                 user_id=user.id, created_at=now,
                 expires_at=now + project.settings["lease_seconds"], reason=reason)


def attach_guess(session: OrmSession, project: Project, lease: Lease) -> None:
    """Record on ``lease`` the current model's guess for its item (if there is one)."""
    found = guess_of(session, project, lease.item_id)
    if found is not None:
        lease.guess, lease.guess_confidence = found


def leased_item(item: Item, lease: Lease) -> LeasedItem:
    return LeasedItem(item_id=item.id, external_id=item.external_id, content=item.content,
                      lease_id=lease.id, expires_at=lease.expires_at, reason=lease.reason or "",
                      guess=lease.guess, guess_confidence=lease.guess_confidence)


def _duration(seconds: float) -> str:
    """``seconds`` in words: ``10 minutes``, ``1 hour``, ``45 seconds``.

    >>> _duration(600), _duration(3600), _duration(90), _duration(1)
    ('10 minutes', '1 hour', '90 seconds', '1 second')
    """
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = round(seconds)
    return f"{n} second{'s' if n != 1 else ''}"
