"""Answers made in another labeling tool: imported into the label log with their annotator
and time, and read back the same way for an export.

An imported answer is an ordinary event of the log (``label`` or ``skip``), dated when the
other tool says it was made; its annotator becomes an account of role ``annotator`` (with
a token nobody is shown: an admin issues a new one to let that person log in). Nothing is
imported twice: a project whose log is not empty refuses an import.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from ..errors import ActiveLabError
from .accounts import hash_secret
from .errors import ConflictError
from .labels import LabelLog
from .schema import Answer, Event, Item, User

__all__ = ["ImportedAnswers", "check_answers"]


def check_answers(answers: Sequence[Any], labels: Sequence[str]) -> None:
    """Refuse answers that could not be imported into a project with ``labels``: a label
    not among them, or an annotator name that is empty or over 100 characters. Run it
    before a project is created, so that a bad file leaves no database behind."""
    for answer in answers:
        if answer.kind == "label" and answer.label not in labels:
            raise ActiveLabError(
                f"item {answer.external_id!r} is labeled {answer.label!r}, not one of the "
                f"project's labels ({', '.join(labels)}); add it to --labels")
        if not str(answer.annotator).strip() or len(str(answer.annotator)) > 100:
            raise ActiveLabError(f"item {answer.external_id!r}: annotator name "
                                 f"{str(answer.annotator)[:40]!r} is empty or longer than "
                                 "100 characters")


class ImportedAnswers(LabelLog):
    """Importing another tool's answers, and reading answers with their times."""

    def import_answers(self, name: str, answers: Sequence[Any]) -> int:
        """Record ``answers`` (objects with ``external_id``, ``label``, ``annotator``,
        ``time`` (Unix seconds or None: now) and ``kind``: ``label`` or ``skip``) in one
        transaction, oldest first; returns how many. A later answer of the same annotator
        for the same item replaces the earlier one as the current answer (both stay in
        the log)."""
        now = self.clock()
        ordered = sorted(answers, key=lambda a: now if a.time is None else a.time)
        with self._transaction() as session:
            project = self._project(session, name, lock=True)
            check_answers(ordered, project.labels)
            if session.scalar(select(func.count()).select_from(Event).where(
                    Event.project_id == project.id)):
                raise ConflictError(f"project {name!r} already has answers; import the "
                                    "other tool's answers into a new project")
            items = dict(session.execute(select(Item.external_id, Item.id).where(
                Item.project_id == project.id)).all())
            users = self._accounts_for(session, {a.annotator for a in ordered})
            for answer in ordered:
                if answer.external_id not in items:
                    raise ActiveLabError(f"an answer is for item {answer.external_id!r}, "
                                         f"which project {name!r} does not have")
                item_id, user_id = items[answer.external_id], users[answer.annotator]
                event = Event(project_id=project.id, item_id=item_id, user_id=user_id,
                              kind=answer.kind, label=answer.label, model_version=0,
                              created_at=now if answer.time is None else answer.time)
                session.add(event)
                session.flush()
                previous = session.get(Answer, (item_id, user_id))
                if previous is not None:
                    session.delete(previous)
                    session.flush()
                session.add(Answer(item_id=item_id, user_id=user_id, project_id=project.id,
                                   kind=answer.kind, label=answer.label, event_id=event.id))
        return len(ordered)

    def _accounts_for(self, session: Any, names: set[str]) -> dict[str, int]:
        """The user id of each name, creating annotator accounts for new names."""
        found = dict(session.execute(select(User.name, User.id).where(
            User.name.in_(sorted(names)))).all())
        for name in sorted(names - set(found)):
            user = User(name=name, role="annotator",
                        token_hash=hash_secret(secrets.token_urlsafe(32)),
                        created_at=self.clock())
            session.add(user)
            session.flush()
            found[name] = user.id
        return found

    def answer_details(self, name: str) -> list[dict[str, Any]]:
        """Current answers (labels, skips, resolutions), oldest first: ``external_id``,
        ``annotator``, ``kind``, ``label``, ``time`` (Unix seconds)."""
        with self._session() as session:
            project = self._project(session, name)
            rows = session.execute(
                select(Item.external_id, User.name, Answer.kind, Answer.label,
                       Event.created_at)
                .join(Item, Item.id == Answer.item_id).join(User, User.id == Answer.user_id)
                .join(Event, Event.id == Answer.event_id)
                .where(Answer.project_id == project.id).order_by(Answer.event_id))
            return [{"external_id": ext, "annotator": user, "kind": kind, "label": label,
                     "time": time} for ext, user, kind, label, time in rows]
