"""The strategy contract.

A strategy answers one question: which unlabeled items should be labeled next?

``strategy.query(model, pool, batch_size, random_state=None) -> Query``

* ``Query.ids`` are unlabeled, unique, at most ``batch_size`` long (all that is left
  when fewer remain), best first.
* ``Query.scores`` belong to those ids; higher means more informative, so they are
  sorted from high to low.
* The same model, pool state and ``random_state`` give the same ids.
* A strategy never fits the caller's model; it only asks it for outputs.

Lifecycle, as :class:`~activelab.loop.ActiveLoop` drives it: every round the loop fits
the model, calls :meth:`Strategy.query`, gets the labels from an oracle, and then calls
:meth:`Strategy.update` with what was labeled. Stateless strategies ignore ``update``;
stateful ones (a bandit over strategies, say) learn from it.

Most strategies are a *scorer* followed by a *selector*: subclass
:class:`ScoringStrategy`, implement :meth:`ScoringStrategy.score`, and any selector
from :mod:`activelab.selection` can pick the batch from those scores. A strategy that
picks its batch as a whole (k-center, BADGE, a bandit) implements
:meth:`Strategy.select_batch` instead; :meth:`Strategy.query` checks the arguments and
prepares the round's outputs for both.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ..errors import ActiveLabError
from ..outputs import ModelOutputs
from ..pool import Pool
from ..selection.topk import Selector, TopK, chunk_scores, stream_top_k
from ..validation import check_int, check_random_state

__all__ = ["Query", "ScoringStrategy", "Strategy"]


@dataclass(frozen=True)
class Query:
    """The ids a strategy chose, best first, with their scores (higher = more informative)."""

    ids: np.ndarray
    scores: np.ndarray
    strategy: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


class Strategy:
    """Base class of every query strategy. See the module docstring for the contract."""

    #: Whether :meth:`query` needs a fitted model (``False`` for random sampling).
    needs_model: ClassVar[bool] = True

    #: The kinds of model the strategy works with, as named in
    #: :data:`activelab.testing.MODEL_KINDS`; the contract check runs it with each.
    contract_models: ClassVar[tuple[str, ...]] = ("proba", "decision")

    @property
    def name(self) -> str:
        from .registry import name_of

        return name_of(self)

    def query(
        self,
        model: Any,
        pool: Pool,
        batch_size: int,
        random_state: Any = None,
        *,
        outputs: ModelOutputs | None = None,
    ) -> Query:
        """Choose up to ``batch_size`` unlabeled ids of ``pool`` to label next.

        ``outputs`` lets several strategies share one round's model outputs; when it is
        ``None`` the strategy computes its own. Checks the arguments, then calls
        :meth:`select_batch`.
        """
        k = check_batch_size(batch_size)
        outputs = prepare_round(model, pool, outputs)
        rng = check_random_state(random_state)
        chosen = self.select_batch(outputs, min(k, len(outputs)), rng)
        return replace(chosen, strategy=self.name)

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        """Pick ``k`` of ``outputs.ids`` (``1 <= k <= len(outputs)``), best first.

        Subclasses implement this (or override :meth:`query` whole). ``outputs.model``
        and ``outputs.pool`` are the round's model and pool.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement select_batch")

    def update(self, pool: Pool, query: Query, labels: np.ndarray) -> None:  # noqa: B027
        """Hook called after the items of ``query`` were labeled. Default: nothing."""

    def get_params(self) -> dict[str, Any]:
        """The ``__init__`` parameters and their current values, as in scikit-learn."""
        signature = inspect.signature(type(self).__init__)
        return {
            name: getattr(self, name)
            for name in signature.parameters
            if name != "self" and hasattr(self, name)
        }

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def check_batch_size(batch_size: Any) -> int:
    return check_int(batch_size, "batch_size")


def prepare_round(model: Any, pool: Pool, outputs: ModelOutputs | None) -> ModelOutputs:
    """The round's outputs: checked if given, made if not; refuses an empty candidate set."""
    if pool.n_unlabeled == 0:
        raise ActiveLabError("every item in the pool is labeled; there is nothing left to query")
    if outputs is None:
        return ModelOutputs(model, pool, shared=False)
    outputs.check_current(model, pool)
    if len(outputs) == 0:
        raise ActiveLabError("these ModelOutputs have no candidate ids; there is nothing to query")
    return outputs


class ScoringStrategy(Strategy, ABC):
    """A strategy made of a per-item score and a selector that picks the batch.

    Parameters
    ----------
    selector : Selector, optional
        How the batch is picked from the scores. Defaults to :class:`~activelab.selection.TopK`.

    A subclass whose score of an item depends only on that item's own outputs sets
    :attr:`per_item_scores`; with the top-k selector its queries then stream when
    ``outputs.streams`` (see :class:`~activelab.outputs.ModelOutputs`): chunk by chunk,
    keeping a running top-k, with the same ids and scores. When nothing else reads the
    round's outputs (``outputs.shared`` is false: the query made its own), they are
    scored chunk by chunk too, keeping one score per item and never the pool's outputs.
    """

    #: Whether each item's score depends on its own model outputs only (not on the
    #: other candidates), so the candidates can be scored a chunk at a time.
    per_item_scores: ClassVar[bool] = False

    def __init__(self, selector: Selector | None = None) -> None:
        self.selector = selector

    @abstractmethod
    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        """One utility per candidate in ``outputs.ids``; higher = more informative."""

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        selector = self.selector if self.selector is not None else TopK()
        per_item = self.per_item_scores and type(selector) is TopK
        if per_item and outputs.streams:
            ids, chosen_scores = stream_top_k(outputs, lambda view: self.score(view, rng), k)
            return Query(ids=ids, scores=chosen_scores)
        if per_item and not outputs.shared:
            scores = chunk_scores(outputs, lambda view: self.score(view, rng))
        else:
            scores = np.asarray(self.score(outputs, rng), dtype=float)
        ids, chosen_scores = selector.select(outputs, scores, k, rng)
        return Query(ids=ids, scores=chosen_scores)
