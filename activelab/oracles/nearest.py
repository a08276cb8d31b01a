"""NearestItemOracle: ask people about the real item nearest to each synthesised point.

>>> import numpy as np
>>> from activelab.oracles import LabelRequest, SimulatedOracle
>>> items = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
>>> oracle = NearestItemOracle(items, SimulatedOracle(["a", "b", "c"]))
>>> answers = oracle.label(LabelRequest.for_points([[0.9, 1.2]]))
>>> answers.item_ids.tolist(), answers.labels.tolist(), answers.points.tolist()
([1], ['b'], [[1.0, 1.0]])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..pool import to_python
from .asking import as_oracle, ask
from .base import Answers, LabelRequest
from .function import PointAnswers, _point_answers, as_points_request

__all__ = ["NearestItemOracle", "nearest_items"]


def nearest_items(items: np.ndarray, X: np.ndarray, exclude: Iterable[int] = ()) -> np.ndarray:
    """Positions in ``items`` of the nearest item to each row of ``X``, each used once.

    Items in ``exclude`` are never returned; ties go to the lower position.
    """
    taken = set(int(i) for i in exclude)
    chosen = []
    norms = (items**2).sum(axis=1)
    for x in X:
        distances = norms - 2 * items @ x
        order = np.argsort(distances, kind="stable")
        pick = next((int(i) for i in order if int(i) not in taken), None)
        if pick is None:
            raise ActiveLabError("every real item has been used; there is no item left to match")
        taken.add(pick)
        chosen.append(pick)
    return np.asarray(chosen, dtype=int)


class NearestItemOracle:
    """The human-facing fallback: ask about the real item nearest to each synthesised point.

    People label real records better than synthetic ones. This oracle maps every point of
    a request to the nearest item of ``items`` not asked about before and asks ``oracle``
    (an activelab :class:`~activelab.oracles.Oracle`, e.g. a ConsoleOracle over the pool)
    about its id. The answers carry the real items' rows (``points``) and ids
    (``item_ids``), so the learner trains on what was labeled; their ``ids`` are the
    asked points' ids. Points whose item was skipped are skipped.
    """

    def __init__(self, items: Any, oracle: Any, ids: Sequence[Any] | None = None) -> None:
        self.items = np.asarray(items, dtype=float)
        if self.items.ndim != 2 or len(self.items) == 0:
            raise ActiveLabError("items must be a non-empty 2-D array of real items")
        self.oracle = as_oracle(oracle)
        self.ids = np.arange(len(self.items)) if ids is None else np.asarray(ids)
        if len(self.ids) != len(self.items):
            raise ActiveLabError(f"got {len(self.ids)} ids for {len(self.items)} items")
        self.asked: list[int] = []

    @property
    def n_calls(self) -> int:
        return len(self.asked)

    def label(self, request: LabelRequest | Any) -> Answers:
        request = as_points_request(request)
        X = np.asarray(request.points, dtype=float)
        if X.shape[1] != self.items.shape[1]:
            raise ActiveLabError(
                f"points must have {self.items.shape[1]} features like the items; got {X.shape}"
            )
        positions = nearest_items(self.items, X, exclude=self.asked)
        self.asked.extend(positions.tolist())
        answers = ask(self.oracle, LabelRequest(self.ids[positions]))
        found = {to_python(i): j for j, i in enumerate(np.asarray(answers.ids).tolist())}
        where = [found.get(to_python(i)) for i in self.ids[positions]]
        answered = np.array([j is not None for j in where], dtype=bool)
        rows = np.array([j for j in where if j is not None], dtype=np.intp)
        positions = positions[answered]
        who = np.array(answers.annotator_of_each(), dtype=object)
        return Answers(
            ids=request.ids[answered],
            labels=np.asarray(answers.labels)[rows],
            annotator=answers.annotator,
            costs=np.asarray(answers.costs, dtype=float)[rows],
            skipped=request.ids[~answered],
            stop=answers.stop,
            annotators=who[rows],
            points=self.items[positions],
            item_ids=self.ids[positions],
        )

    def label_points(self, X: np.ndarray) -> PointAnswers:
        """Deprecated: use ``label(LabelRequest.for_points(X))``."""
        return _point_answers(self, X)
