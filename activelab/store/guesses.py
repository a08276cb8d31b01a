"""The model's guesses: for every item, the answer the current model version would give.

A trained model version stores, next to its ranked scores, one guess per item: the answer
value (a string, as :class:`~activelab.store.schema.Event` stores labels) and its
confidence, the predicted probability of that value. They are written in chunks with the
version (:meth:`~activelab.store.versions.ModelVersions.add_model_version`) before the
project switches to it, so a guess always belongs to the version the annotator sees.
:meth:`Guesses.guesses` reads them; the lease queue attaches one to each item it hands out
(:func:`guess_of`) and the label log records whether the answer took it.

>>> from activelab.store import ImportedItem, ProjectSettings, Store
>>> store = Store("sqlite://")
>>> items = [ImportedItem(f"x{i}", f"text {i}", i + 2) for i in range(2)]
>>> store.create_project("demo", items, ProjectSettings(labels=("pos", "neg")))
'demo'
>>> store.guesses("demo")  # no model yet
{}
>>> first, second = (item_id for item_id, _e, _c in store.items("demo"))
>>> store.add_model_version("demo", "model", 2, {}, [], use_for_queue=False,
...                         guesses=[(first, "pos", 0.75), (second, "neg", 0.5)])
1
>>> store.guesses("demo", [second])
{2: ('neg', 0.5)}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from .base import StoreBase
from .schema import Guess, Project

__all__ = ["GuessRow", "Guesses", "guess_of", "guess_rows", "guesses_of"]

#: ``(item_id, value, confidence)``: one item's guess, as a trainer's guesser yields it.
GuessRow = tuple[int, str, float]


class Guesses(StoreBase):
    """Reading the model's guesses of the project's current model version."""

    def guesses(self, name: str,
                item_ids: Sequence[int] | None = None) -> dict[int, tuple[str, float]]:
        """``{item_id: (value, confidence)}`` of the current model version (of the items
        ``item_ids``, else of all); empty before a model is trained."""
        with self._session() as session:
            return guesses_of(session, self._project(session, name), item_ids)


def guesses_of(session: OrmSession, project: Project,
               item_ids: Sequence[int] | None = None) -> dict[int, tuple[str, float]]:
    """:meth:`Guesses.guesses` inside an open ``session``."""
    if project.current_version_id is None:
        return {}
    query = select(Guess.item_id, Guess.value, Guess.confidence).where(
        Guess.model_version_id == project.current_version_id)
    if item_ids is None:
        return {i: (v, c) for i, v, c in session.execute(query)}
    wanted = [int(i) for i in item_ids]
    found: dict[int, tuple[str, float]] = {}
    for start in range(0, len(wanted), 1000):
        rows = session.execute(query.where(Guess.item_id.in_(wanted[start:start + 1000])))
        found.update({i: (v, c) for i, v, c in rows})
    return found


def guess_of(session: OrmSession, project: Project, item_id: int) -> tuple[str, float] | None:
    """The current model version's guess for ``item_id``, or ``None`` (no model, or none
    stored for that item)."""
    if project.current_version_id is None:
        return None
    row = session.execute(select(Guess.value, Guess.confidence).where(
        Guess.model_version_id == project.current_version_id,
        Guess.item_id == item_id)).first()
    return None if row is None else (row[0], row[1])


def guess_rows(version_id: int, guesses: Iterable[GuessRow]) -> Iterator[dict[str, Any]]:
    """The ``guesses`` table's rows of model version ``version_id``."""
    for item_id, value, confidence in guesses:
        yield {"model_version_id": version_id, "item_id": int(item_id), "value": str(value),
               "confidence": float(confidence)}
