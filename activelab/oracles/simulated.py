"""SimulatedOracle: answers from known labels, the oracle of every benchmark.

>>> import numpy as np
>>> from activelab.oracles import SimulatedOracle
>>> oracle = SimulatedOracle(np.array(["cat", "dog", "cat"]))
>>> oracle.label([2, 0]).labels.tolist()
['cat', 'cat']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..pool import IdIndex
from .base import Answers, LabelRequest

__all__ = ["SimulatedOracle"]


class SimulatedOracle:
    """Answers from known labels: the oracle of every benchmark.

    Parameters
    ----------
    labels : array-like
        The true label of every item.
    ids : array-like, optional
        The id of each label; defaults to ``0..n-1``, which matches a :class:`Pool`
        built without ids.
    name : str
        Recorded as the annotator of every answer.
    cost_per_label : float
        Recorded as the cost of every answer.
    """

    def __init__(
        self,
        labels: Sequence[Any] | np.ndarray,
        ids: Sequence[Any] | np.ndarray | None = None,
        name: str = "simulated",
        cost_per_label: float = 1.0,
    ) -> None:
        self.labels = np.asarray(labels)
        self.ids = ids
        self.name = name
        self.cost_per_label = cost_per_label
        if self.labels.ndim == 0:
            raise ActiveLabError("SimulatedOracle needs one label per item; got a single value")
        self._index = IdIndex(ids, len(self.labels), owner="oracle's labels")

    def label(self, request: LabelRequest | Sequence[Any] | np.ndarray) -> Answers:
        ids = LabelRequest.of(request).ids
        labels = self.labels[self._index.positions(ids)]
        return Answers(
            ids=ids,
            labels=labels,
            annotator=self.name,
            costs=np.full(len(ids), float(self.cost_per_label)),
        )


