"""The oracle protocol: ``label(request: LabelRequest) -> Answers``.

Every scenario asks its oracle the same way. A :class:`LabelRequest` says what is asked
about: pool ids (pool-based sampling), positions of points that are in no pool
(synthesised points, stream items: ``points`` holds their rows), (id, label) pairs
(multi-label partial annotation: ``labels``), and, for oracles that look at the learner,
the round's ``model`` and ``pool``. :class:`Answers` says which ids got a label, what the
labels are, who answered, what it cost, which ids were skipped, and whether the oracle
wants to stop. :func:`~activelab.oracles.asking.ask` is the one function every scenario
calls; it checks the oracle and its answer.

A request behaves like the 1-D array of its ids (``len``, iteration, indexing,
``np.asarray``, ``tolist``), so an oracle written as ``label(ids)`` keeps working:

>>> import numpy as np
>>> from activelab.oracles import Answers, LabelRequest, ask
>>> class Parity:
...     def label(self, ids):
...         ids = np.asarray(ids)
...         return Answers(ids=ids, labels=ids % 2)
>>> ask(Parity(), LabelRequest([4, 7])).labels.tolist()
[0, 1]

Built-in oracles take a request, or bare ids for convenience:

>>> from activelab.oracles import SimulatedOracle
>>> oracle = SimulatedOracle(np.array(["cat", "dog", "cat"]))
>>> oracle.label([2, 0]).labels.tolist()
['cat', 'cat']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ActiveLabError

__all__ = ["Answers", "LabelRequest", "Oracle"]


@dataclass(frozen=True, eq=False)
class LabelRequest:
    """What an oracle is asked about.

    Parameters
    ----------
    ids : array-like
        What is asked about: pool ids; for points in no pool, their positions (``0..n-1``
        for synthesised points, the stream positions for stream items).
    points : array, optional
        The feature rows of the asked items when they are in no pool, one row per id.
    labels : array-like, optional
        For (id, label) pair queries: the label index asked about for each id.
    model, pool : optional
        The learner's current model (``None`` before it can be fit) and its pool, for
        oracles that look at them (a cost-aware choice of annotator).

    The request behaves like the array of its ids: ``len(request)``, ``iter(request)``,
    ``request[i]``, ``np.asarray(request)`` and ``request.tolist()`` all see ``ids``.
    """

    ids: np.ndarray
    points: np.ndarray | None = None
    labels: np.ndarray | None = None
    model: Any = None
    pool: Any = None

    def __post_init__(self) -> None:
        ids = self.ids.ids if isinstance(self.ids, LabelRequest) else self.ids
        object.__setattr__(self, "ids", np.asarray(ids).reshape(-1))
        n = len(self.ids)
        if self.points is not None:
            points = np.asarray(self.points)
            if points.ndim != 2 or len(points) != n:
                raise ActiveLabError(
                    f"LabelRequest.points must be a 2-D array with one row per id ({n}); "
                    f"got shape {points.shape}"
                )
            object.__setattr__(self, "points", points)
        if self.labels is not None:
            labels = np.asarray(self.labels).reshape(-1)
            if len(labels) != n:
                raise ActiveLabError(
                    f"LabelRequest.labels must hold one label per id ({n}); got {len(labels)}"
                )
            object.__setattr__(self, "labels", labels)

    @classmethod
    def of(cls, request: Any) -> LabelRequest:
        """``request`` itself if it is a request, else a request about the ids given."""
        return request if isinstance(request, LabelRequest) else cls(request)

    @classmethod
    def for_points(cls, points: Any, ids: Any = None, **context: Any) -> LabelRequest:
        """A request about feature rows in no pool; ``ids`` default to ``0..n-1``."""
        points = np.asarray(points, dtype=float)
        if points.ndim == 1:
            points = points.reshape(1, -1)
        ids = np.arange(len(points)) if ids is None else ids
        return cls(ids, points=points, **context)

    # ---- the array of its ids ----------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.ids)

    def __getitem__(self, key: Any) -> Any:
        return self.ids[key]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        ids = self.ids if dtype is None else self.ids.astype(dtype)
        return ids.copy() if copy else ids

    def tolist(self) -> list[Any]:
        return self.ids.tolist()

    def __repr__(self) -> str:
        extra = [f"{name}=..." for name in ("points", "labels", "model", "pool")
                 if getattr(self, name) is not None]
        return f"LabelRequest(ids={self.ids.tolist()!r}{''.join(', ' + e for e in extra)})"


@dataclass(frozen=True)
class Answers:
    """What an oracle said about a request.

    ``ids``, ``labels``, ``costs`` and (when given) ``annotators``, ``times``,
    ``rationales``, ``points``, ``item_ids`` and ``asked_labels`` hold one entry per
    answered id. ``annotator`` names whoever answered everything (``None`` when several
    did: see ``annotators``). ``skipped`` are ids the oracle could not label; ``unsure``
    are ids someone looked at and answered "not sure", which cost ``unsure_cost`` in all
    (``unsure_annotators`` says who, one per entry of ``unsure``; an id may be in
    ``unsure`` and also answered, by someone else). ``votes`` are the raw annotations
    behind aggregated labels (:class:`~activelab.oracles.aggregation.Votes`), and
    ``revised_ids`` / ``revised_labels`` are ids answered earlier whose aggregated label
    changed since.

    For requests about points, ``points`` are the rows the labels belong to: the asked
    points, or the real items asked about instead (``item_ids`` then holds their ids, as
    :class:`~activelab.oracles.nearest.NearestItemOracle` does). For (id, label) pair
    requests, ``labels`` are the answers (1: the item has the label, 0: it has not) and
    ``asked_labels`` the label each answer is about.
    """

    ids: np.ndarray
    labels: np.ndarray
    annotator: str | None = None
    costs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    skipped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    stop: bool = False
    annotators: np.ndarray | None = None
    times: np.ndarray | None = None
    unsure: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    unsure_annotators: np.ndarray | None = None
    unsure_cost: float = 0.0
    rationales: Sequence[Any] | None = None
    votes: Any = None
    revised_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    revised_labels: np.ndarray = field(default_factory=lambda: np.zeros(0))
    points: np.ndarray | None = None
    item_ids: np.ndarray | None = None
    asked_labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(self.costs) == 0 and len(self.ids):
            object.__setattr__(self, "costs", np.ones(len(self.ids)))
        for name in ("annotators", "times", "rationales", "points", "item_ids", "asked_labels"):
            value = getattr(self, name)
            if value is not None and len(value) != len(self.ids):
                raise ActiveLabError(
                    f"Answers.{name} must hold one entry per answered id ({len(self.ids)}); "
                    f"got {len(value)}"
                )

    @property
    def total_cost(self) -> float:
        """What the batch cost: every label, plus the "unsure" answers."""
        return float(np.sum(self.costs)) + float(self.unsure_cost)

    def annotator_of_each(self) -> list[str | None]:
        """Who answered each id: ``annotators`` when given, else ``annotator`` for all."""
        if self.annotators is not None:
            return [None if a is None else str(a) for a in self.annotators]
        return [self.annotator] * len(self.ids)


def with_context(request: Any, model: Any, pool: Any, owner: str) -> LabelRequest:
    """``request`` as a :class:`LabelRequest`, with ``model``/``pool`` given the old way.

    Passing them as keyword arguments of ``label`` is deprecated (one release): they
    belong in the request.
    """
    request = LabelRequest.of(request)
    if model is None and pool is None:
        return request
    warnings.warn(
        f"{owner}.label(ids, model=..., pool=...) is deprecated and goes away in the next "
        "release; pass LabelRequest(ids, model=model, pool=pool)", DeprecationWarning,
        stacklevel=3)
    return replace(request, model=request.model if model is None else model,
                   pool=request.pool if pool is None else pool)


@runtime_checkable
class Oracle(Protocol):
    """The oracle protocol: one method, ``label(request: LabelRequest) -> Answers``.

    Call oracles through :func:`~activelab.oracles.asking.ask`, which checks the answer.
    """

    def label(self, request: LabelRequest) -> Answers: ...
