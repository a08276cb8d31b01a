"""Browsing a project's items: search and filters as SQL, pages, and one item's history.

An item's ``status`` is worked out in SQL from the ``answers`` table, the same way as
:meth:`~activelab.store.labels.LabelLog.resolved_labels`: ``resolved`` (a reviewer's label,
or a unique majority of ``labels_per_item`` votes or more), ``pending`` (fewer votes than
that), ``disagreement`` (enough votes, tied at the top) or ``unlabeled`` (no vote yet). So a
page of a 100k-item pool is one counting query and one ``LIMIT``/``OFFSET`` query.

The model's guesses (``{item_id: (value, confidence)}``, :mod:`.guesses`) are read for the
matching items only; the filters over them are plain functions (:func:`within_confidence`, :func:`disagreeing`).

>>> guesses = {1: ("pos", 0.9), 2: ("neg", 0.6), 3: ("pos", 0.55)}
>>> within_confidence(guesses, [1, 2, 3, 4], 0.5, 0.7)
[2, 3]
>>> disagreeing(guesses, {1: "pos", 2: "pos", 3: "neg"})
[2, 3]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, null, or_, select
from sqlalchemy.orm import Session as OrmSession

from ..errors import ActiveLabError
from .base import iso
from .guesses import guesses_of
from .labels import LabelLog
from .schema import Answer, Event, Item, Project, User

__all__ = ["MAX_PER_PAGE", "STATUSES", "Browse", "ItemFilter", "disagreeing",
           "within_confidence"]

STATUSES = ("resolved", "pending", "disagreement", "unlabeled")
MAX_PER_PAGE = 200

GuessMap = Mapping[int, tuple[str, float]]


@dataclass(frozen=True)
class ItemFilter:
    """What the data page asks for; every field is optional (``None``: no filter).

    ``text`` matches the content or the external id, ignoring case; ``label`` the item's
    current label; ``annotator`` anyone with a current answer on it; ``min_confidence`` and
    ``max_confidence`` the model's confidence in its guess; ``model_disagrees`` keeps the
    labeled items whose guess is another label, most confident first.
    """

    text: str | None = None
    label: str | None = None
    annotator: str | None = None
    status: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    model_disagrees: bool = False

    def check(self) -> ItemFilter:
        if self.status is not None and self.status not in STATUSES:
            raise ActiveLabError(f"status must be one of {', '.join(STATUSES)}; "
                                 f"got {self.status!r}")
        for name in ("min_confidence", "max_confidence"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ActiveLabError(f"{name} is a probability between 0 and 1; got {value}")
        low, high = self.min_confidence, self.max_confidence
        if low is not None and high is not None and low > high:
            raise ActiveLabError(f"min_confidence {low} is above max_confidence {high}")
        return self

    @property
    def uses_guesses(self) -> bool:
        return (self.model_disagrees or self.min_confidence is not None
                or self.max_confidence is not None)


def within_confidence(guesses: GuessMap, item_ids: Iterable[int], low: float | None,
                      high: float | None) -> list[int]:
    """The ids of ``item_ids`` (in their order) with a guess whose confidence is in
    ``[low, high]`` (an open end where ``None``)."""
    low = 0.0 if low is None else low
    high = 1.0 if high is None else high
    return [i for i in item_ids if i in guesses and low <= guesses[i][1] <= high]


def disagreeing(guesses: GuessMap, labels: Mapping[int, str | None]) -> list[int]:
    """The ids whose label (``labels``, ``None`` for none) differs from the model's guess,
    the most confident guess first (ties by id): the likeliest label errors."""
    found = [i for i, label in labels.items()
             if label is not None and i in guesses and guesses[i][0] != label]
    return sorted(found, key=lambda i: (-guesses[i][1], i))


class Browse(LabelLog):
    """Pages of a project's items under filters, and one item with its whole history."""

    def browse(self, name: str, filters: ItemFilter = ItemFilter(),
               guesses: GuessMap | None = None, page: int = 1,
               per_page: int = 50) -> dict[str, Any]:
        """``{"total", "page", "per_page", "items"}``: the items on page ``page`` (from 1),
        each with its status, label, votes, annotators and the model's guess (if any).
        Items come in file order; under ``model_disagrees``, the most confident guess
        first."""
        filters.check()
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ActiveLabError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if page < 1:
            raise ActiveLabError("page numbers start at 1")
        start = (page - 1) * per_page
        with self._session() as session:
            self._plan_whole_project(session)
            project = self._project(session, name)
            query, label = self._filtered(session, project, filters)
            if filters.uses_guesses:
                # The guesses are not in the database: filter the matching ids here.
                matched = dict(session.execute(query.with_only_columns(Item.id, label)
                                               .order_by(Item.id)).all())
                if guesses is None:
                    guesses = guesses_of(session, project, list(matched))
                ids = within_confidence(guesses, matched, filters.min_confidence,
                                        filters.max_confidence)
                if filters.model_disagrees:
                    ids = disagreeing(guesses, {i: matched[i] for i in ids})
                total, shown = len(ids), ids[start:start + per_page]
            else:
                total = session.scalar(select(func.count()).select_from(
                    query.with_only_columns(Item.id).subquery())) or 0
                shown = list(session.scalars(query.with_only_columns(Item.id)
                                             .order_by(Item.id).limit(per_page).offset(start)))
            rows = self._rows(session, project, shown)
            if guesses is None:
                guesses = guesses_of(session, project, shown)
        for row in rows:
            guess = guesses.get(row["item_id"])
            row["guess"] = None if guess is None else {"value": guess[0],
                                                       "confidence": guess[1]}
        return {"total": total, "page": page, "per_page": per_page, "items": rows}

    def status_counts(self, name: str) -> dict[str, int]:
        """How many items of ``name`` are resolved, pending, in disagreement, unlabeled."""
        with self._session() as session:
            self._plan_whole_project(session)
            project = self._project(session, name)
            n_items = session.scalar(select(func.count()).select_from(Item).where(
                Item.project_id == project.id)) or 0
            query, status, _label = _with_status(
                select(Item.id).where(Item.id.in_(_answered(project.id))), project)
            counts = dict(session.execute(
                query.with_only_columns(status, func.count()).group_by(status)).all())
        counts["unlabeled"] = n_items - sum(counts.values())
        return {key: int(counts.get(key, 0)) for key in STATUSES}

    def annotator_names(self, name: str) -> list[str]:
        """Everyone with a current answer in project ``name``, by name."""
        with self._session() as session:
            project = self._project(session, name)
            return list(session.scalars(
                select(User.name).join(Answer, Answer.user_id == User.id)
                .where(Answer.project_id == project.id).distinct().order_by(User.name)))

    def item_history(self, name: str, item_id: int) -> dict[str, Any]:
        """Item ``item_id``: its content, status, label and votes, and every event of the
        log about it (who, what, when, under which model version), oldest first."""
        with self._session() as session:
            project = self._project(session, name)
            item = self._item(session, project, item_id)
            [row] = self._rows(session, project, [item.id])
            events = session.execute(
                select(Event, User.name).join(User, User.id == Event.user_id)
                .where(Event.project_id == project.id, Event.item_id == item.id)
                .order_by(Event.id))
            row["events"] = [
                {"event_id": e.id, "kind": e.kind, "label": e.label, "annotator": who,
                 "rationale": e.rationale, "model_version": e.model_version,
                 "retracts_event_id": e.retracts_event_id, "time": iso(e.created_at)}
                for e, who in events]
        return row

    # ---- the queries --------------------------------------------------------------------

    def _filtered(self, session: OrmSession, project: Project,
                  filters: ItemFilter) -> tuple[Select[Any], Any]:
        """The ids of ``project``'s items under ``filters`` (those SQL can apply), and the
        SQL expression of their current label (``NULL`` where the query needs none: only
        a status, label or ``model_disagrees`` filter joins the votes)."""
        query = select(Item.id).where(Item.project_id == project.id)
        if filters.text:
            query = query.where(or_(Item.content.icontains(filters.text, autoescape=True),
                                    Item.external_id.icontains(filters.text,
                                                               autoescape=True)))
        if filters.annotator is not None:
            query = query.where(Item.id.in_(_answered(project.id, filters.annotator)))
        if filters.status is None and filters.label is None and not filters.model_disagrees:
            return query, null()
        query, status, label = _with_status(query, project)
        if filters.status is not None:
            query = query.where(status == filters.status)
        if filters.label is not None:
            query = query.where(_has_label(label, filters.label, project.settings))
        return query, label

    def _rows(self, session: OrmSession, project: Project,
              ids: list[int]) -> list[dict[str, Any]]:
        """The items ``ids`` (in that order) with status, label, ``votes`` (label ->
        count), ``annotators`` and ``reviewed``."""
        query, status, label = _with_status(
            select(Item.id).where(Item.id.in_(ids)), project, only=ids)
        rows = {i: {"item_id": i, "external_id": ext, "content": content, "status": st,
                    "label": lab, "votes": Counter(), "annotators": [], "reviewed": False}
                for i, ext, content, st, lab in session.execute(query.with_only_columns(
                    Item.id, Item.external_id, Item.content, status, label))}
        answers = session.execute(
            select(Answer.item_id, User.name, Answer.kind, Answer.label)
            .join(User, User.id == Answer.user_id)
            .where(Answer.item_id.in_(ids), Answer.kind.in_(("label", "resolve")))
            .order_by(Answer.event_id))
        for item_id, who, kind, label_value in answers:
            row = rows[item_id]
            row["annotators"].append(who)
            if kind == "label":
                row["votes"][label_value] += 1
            else:
                row["reviewed"] = True
        for row in rows.values():
            row["votes"] = dict(row["votes"].most_common())
        return [rows[i] for i in ids]


def _answered(project_id: int, annotator: str | None = None) -> Select[Any]:
    """The ids of the items with a current label or review (by ``annotator``, if named)."""
    query = select(Answer.item_id).where(Answer.project_id == project_id,
                                         Answer.kind.in_(("label", "resolve")))
    if annotator is not None:
        query = query.join(User, User.id == Answer.user_id).where(User.name == annotator)
    return query


def _has_label(value: Any, name: str, settings: Mapping[str, Any]) -> Any:
    """SQL: the stored answer ``value`` names the label ``name``: it is the label (single
    choice), holds it in its JSON list (multi) or tags a span with it (spans)."""
    task = settings.get("task", "single")
    quoted = json.dumps(name, ensure_ascii=False, separators=(",", ":"))
    if task == "multi":
        return value.contains(quoted, autoescape=True)
    if task == "spans":
        return value.contains(f",{quoted}]", autoescape=True)
    return value == name


def _with_status(query: Select[Any], project: Project,
                 only: list[int] | None = None) -> tuple[Select[Any], Any, Any]:
    """``query`` (over ``items``) joined to each item's tally of votes and latest review,
    with the expressions of its status and current label (see the module's docstring);
    ``only`` limits the tally to those items' answers."""
    k = project.settings["labels_per_item"]
    mine = [Answer.project_id == project.id]
    if only is not None:
        mine.append(Answer.item_id.in_(only))
    votes = (select(Answer.item_id, Answer.label, func.count().label("n"))
             .where(*mine, Answer.kind == "label")
             .group_by(Answer.item_id, Answer.label).subquery("votes"))
    tally = (select(votes.c.item_id, func.sum(votes.c.n).label("n_votes"),
                    func.max(votes.c.n).label("top"))
             .group_by(votes.c.item_id).subquery("tally"))
    leaders = (select(votes.c.item_id, func.count().label("n_top"),
                      func.min(votes.c.label).label("leader"))
               .join(tally, and_(tally.c.item_id == votes.c.item_id,
                                 tally.c.top == votes.c.n))
               .group_by(votes.c.item_id).subquery("leaders"))
    latest = (select(Answer.item_id, func.max(Answer.event_id).label("event_id"))
              .where(*mine, Answer.kind == "resolve")
              .group_by(Answer.item_id).subquery("latest"))
    review = (select(Answer.item_id, Answer.label)
              .join(latest, latest.c.event_id == Answer.event_id).subquery("review"))
    status = case(
        (review.c.item_id.is_not(None), "resolved"),
        (tally.c.item_id.is_(None), "unlabeled"),
        (tally.c.n_votes < k, "pending"),
        (leaders.c.n_top > 1, "disagreement"),
        else_="resolved")
    label = case(
        (review.c.item_id.is_not(None), review.c.label),
        (leaders.c.n_top == 1, leaders.c.leader),
        else_=None)
    query = (query.outerjoin(tally, tally.c.item_id == Item.id)
             .outerjoin(leaders, leaders.c.item_id == Item.id)
             .outerjoin(review, review.c.item_id == Item.id))
    return query, status, label
