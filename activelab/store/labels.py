"""The label log: answers (labels, skips, "unsure"), undo and review, as an append-only
event log.

Every answer is an :class:`~activelab.store.schema.Event` that is never changed; the
``answers`` table holds each annotator's current answer per item, the one a retract or a
newer answer has not replaced. Answers lock the annotator's row, then the item's (the same
order as :meth:`~activelab.store.queue.LeaseQueue.next_item`, see
:mod:`activelab.store.base`), and check the annotator's lease
(:meth:`~activelab.store.queue.LeaseQueue._check_lease`); an ``Idempotency-Key`` makes a
retried request return the first answer instead of recording a second one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ..errors import ActiveLabError
from .accounts import UserInfo
from .base import iso
from .errors import ConflictError
from .projects import Projects
from .queue import LeaseQueue, attach_guess, leased_item, open_lease
from .schema import Answer, Event, Item, Lease, Project, User
from .task_types import task_of

__all__ = ["MAX_RATIONALE_CHARS", "LabelLog"]

MAX_RATIONALE_CHARS = 2000


class LabelLog(Projects, LeaseQueue):
    """Recording answers in the event log, and reading the log back."""

    def annotate(
        self,
        name: str,
        user: UserInfo,
        item_id: int,
        label: Any,
        lease_id: str | None = None,
        rationale: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Record ``user``'s label for ``item_id``; a repeated ``idempotency_key`` records
        nothing and returns the first answer (with ``"replayed": True``). ``label`` is an
        answer of the project's task type (:mod:`activelab.store.task_types`): a label
        name, a list of them, a number or a list of spans, or its stored string."""
        if rationale is not None and len(rationale) > MAX_RATIONALE_CHARS:
            raise ActiveLabError(f"the rationale is longer than {MAX_RATIONALE_CHARS} characters")
        return self._answer(name, user, item_id, "label", label, lease_id, rationale,
                            idempotency_key)

    def skip(self, name: str, user: UserInfo, item_id: int, lease_id: str | None = None,
             idempotency_key: str | None = None) -> dict[str, Any]:
        """Record that ``user`` skipped ``item_id`` (see ``ProjectSettings.skip_policy``)."""
        return self._answer(name, user, item_id, "skip", None, lease_id, None, idempotency_key)

    def unsure(self, name: str, user: UserInfo, item_id: int, lease_id: str | None = None,
               idempotency_key: str | None = None) -> dict[str, Any]:
        """Record that ``user`` looked at ``item_id`` and could not tell: the item goes to
        others as after a skip (``skip_policy``), and the trainer tells the loop's pool
        (:meth:`~activelab.pool.Pool.add_unsure`)."""
        return self._answer(name, user, item_id, "unsure", None, lease_id, None,
                            idempotency_key)

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
        with self._transaction() as session:
            project = self._project(session, name)
            self._lock_user(session, user.id)
            item = self._item(session, project, item_id, lock=True)
            if kind == "label":
                label = self._value(project, item, label)
            if idempotency_key is not None:
                earlier = session.scalar(select(Event).where(
                    Event.user_id == user.id, Event.idempotency_key == idempotency_key))
                if earlier is not None:
                    if (earlier.item_id, earlier.kind, earlier.label) != (item_id, kind, label):
                        raise ConflictError(
                            "this Idempotency-Key was used for another request; "
                            "use a new key for every new answer")
                    return self._event_reply(session, project, earlier, replayed=True)
            self._check_lease(session, project, user, item, lease_id, now)
            previous = session.get(Answer, (item.id, user.id))
            if previous is not None and previous.kind in ("label", "resolve"):
                raise ConflictError(
                    f"you already labeled item {item.external_id!r} "
                    f"({previous.label!r}); undo it first to change it")
            guess = self._guess_shown(session, item, user, lease_id)
            event = Event(project_id=project.id, item_id=item.id, user_id=user.id, kind=kind,
                          label=label, rationale=rationale or None,
                          model_version=self._current_number(session, project),
                          lease_id=lease_id, idempotency_key=idempotency_key, created_at=now,
                          guess=guess, guess_accepted=None if guess is None else label == guess)
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

    def undo(self, name: str, user: UserInfo,
             show_guess: bool | None = None) -> dict[str, Any] | None:
        """Retract ``user``'s latest label, skip or "unsure" (a ``retract`` event; the log
        keeps both) and lease that item back to them, with the model's guess as
        :meth:`next_item` would show it. ``None`` when there is nothing to undo."""
        now = self.clock()
        with self._transaction() as session:
            project = self._project(session, name)
            self._lock_user(session, user.id)
            answer = session.scalars(
                select(Answer).where(Answer.project_id == project.id,
                                     Answer.user_id == user.id,
                                     Answer.kind.in_(["label", "skip", "unsure"]))
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
            item = self._item(session, project, answer.item_id, lock=True)
            lease = open_lease(project, item, user, now, "undo")
            if project.settings.get("show_guess", True) if show_guess is None else show_guess:
                attach_guess(session, project, lease)
            session.add(lease)
            session.flush()
            return {"retracted_event_id": answer.event_id, "retract_event_id": retract.id,
                    "kind": answer.kind, "label": answer.label,
                    "item": leased_item(item, lease).to_json()}

    def resolve(self, name: str, reviewer: UserInfo, item_id: int, label: Any) -> dict[str, Any]:
        """A reviewer's final label for an item (a ``resolve`` event that outranks votes)."""
        now = self.clock()
        with self._transaction() as session:
            project = self._project(session, name)
            self._lock_user(session, reviewer.id)
            item = self._item(session, project, item_id, lock=True)
            label = self._value(project, item, label)
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

    def _guess_shown(self, session: OrmSession, item: Item, user: UserInfo,
                     lease_id: str | None) -> str | None:
        """The model's guess that ``user``'s lease on ``item`` showed (``None``: none)."""
        if lease_id is not None:
            lease = session.get(Lease, lease_id)
        else:
            lease = session.scalars(select(Lease).where(
                Lease.item_id == item.id, Lease.user_id == user.id,
                Lease.released_at.is_(None)).order_by(Lease.created_at.desc()).limit(1)).first()
        return None if lease is None else lease.guess

    @staticmethod
    def _value(project: Project, item: Item, answer: Any) -> str:
        """``answer`` as the stored string of the project's task type, checked."""
        task, config = task_of(project.settings)
        return task.parse(answer, tuple(project.labels), config, text=item.content)

    def _current_number(self, session: OrmSession, project: Project) -> int:
        """The number of the project's current model version (0 before any), for events."""
        if project.current_version_id is None:
            return 0
        return self._version_facts(session, project.current_version_id)[0]

    def _event_reply(self, session: OrmSession, project: Project, event: Event,
                     replayed: bool) -> dict[str, Any]:
        item = session.get(Item, event.item_id)
        assert item is not None
        return {"event_id": event.id, "kind": event.kind, "item_id": item.id,
                "external_id": item.external_id, "label": event.label,
                "model_version": event.model_version, "replayed": replayed,
                "guess": event.guess, "guess_accepted": event.guess_accepted}

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
        return self.label_progress(name)[0]

    def label_progress(self, name: str) -> tuple[int, int]:
        """The project's current labels (as :meth:`count_labels`) and its
        ``retrain_every``, read together: what a trainer checks after every answer."""
        with self._session() as session:
            project = self._project(session, name)
            n = session.scalar(select(func.count()).select_from(Answer).where(
                Answer.project_id == project.id, Answer.kind.in_(["label", "resolve"]))) or 0
            return n, int(project.settings["retrain_every"])

    def resolved_labels(self, name: str) -> dict[int, dict[str, Any]]:
        """Per labeled item: its label (a reviewer's resolution, else the unique majority of
        the votes), the votes, and ``status``: ``resolved``, ``pending`` (fewer votes than
        ``labels_per_item``) or ``disagreement`` (``labels_per_item`` votes or more that the
        task type (:mod:`~activelab.store.task_types`) cannot resolve: a tie). A tie has no
        label; so has a tie still awaiting votes (it is pending). The task type also
        measures the votes' ``agreement``."""
        info = self.project_info(name)
        k = info["settings"]["labels_per_item"]
        task, config = task_of(info["settings"])
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
            found = task.resolve(votes[item_id], config, info["labels"]) \
                if votes.get(item_id) else None
            if item_id in resolutions:
                label, status = resolutions[item_id], "resolved"
            elif found is not None and found.value is None:
                label = None
                status = "disagreement" if len(votes[item_id]) >= k else "pending"
            else:
                label = found.value  # type: ignore[union-attr]
                status = "resolved" if len(votes[item_id]) >= k else "pending"
            out[item_id] = {"label": label, "votes": dict(counts), "status": status,
                            "reviewed": item_id in resolutions,
                            "agreement": None if found is None else round(found.agreement, 4)}
        return out

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
                     "guess": e.guess, "guess_accepted": e.guess_accepted,
                     "time": iso(e.created_at)} for e, user, ext in rows]
