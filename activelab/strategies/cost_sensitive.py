"""cost_sensitive: utility per unit of cost around any scoring strategy."""

from __future__ import annotations

import numpy as np

from ..errors import ActiveLabError
from ..oracles.costs import ItemCosts, knapsack_greedy
from ..outputs import ModelOutputs
from ..selection.topk import id_ranks, top_k
from ..validation import check_number
from .base import Query, ScoringStrategy
from .combine import NORMALISES, check_choice, normalised, wrapped_scorer
from .registry import register
from .uncertainty import MarginSampling

__all__ = ["CostSensitive"]


@register("cost_sensitive")
class CostSensitive(ScoringStrategy):
    """Utility per unit of cost around any scoring strategy.

    The wrapped strategy's scores are first normalised (``"rank"``: rank / n in
    ``(0, 1]``, or ``"minmax"``), so utility is positive whatever its scale; then each
    candidate scores ``utility / cost ** power`` (``power=0`` ignores costs, ``1`` is
    plain utility per cost). Without ``budget`` the batch is the top ``batch_size`` of
    those scores. With ``budget``, each batch is chosen by :func:`knapsack_greedy` under
    that total cost (and at most ``batch_size`` items), so a batch may hold fewer items
    than asked.

    Parameters
    ----------
    strategy : ScoringStrategy or str, optional
        A per-item scorer or its registered name (``"entropy"``). Default: margin sampling. ``contract_models`` says margin's model kinds; a
        wrapped strategy needs what it needs.
    costs : ItemCosts, optional
        Default: every item costs 1 (then this ranks exactly as ``strategy`` does).
    power : float
    budget : float, optional
        The cost one batch may spend.
    normalise : str
    """

    def __init__(
        self,
        strategy: ScoringStrategy | str | None = None,
        costs: ItemCosts | None = None,
        power: float = 1.0,
        budget: float | None = None,
        normalise: str = "rank",
    ) -> None:
        self.strategy = strategy
        self.costs = costs
        self.power = power
        self.budget = budget
        self.normalise = normalise
        self.selector = None

    contract_models = MarginSampling.contract_models

    def item_costs(self, outputs: ModelOutputs) -> np.ndarray:
        if self.costs is None:
            return np.ones(len(outputs))
        return self.costs.of(outputs.pool, outputs.ids)

    def _inner(self) -> ScoringStrategy:
        return wrapped_scorer(self.strategy, type(self).__name__)

    def utility(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        normalise = check_choice(self.normalise, "normalise", NORMALISES)
        raw = np.asarray(self._inner().score(outputs, rng), dtype=float)
        if raw.shape != (len(outputs),) or not np.isfinite(raw).all():
            raise ActiveLabError(f"{self._inner()!r} gave no finite score per candidate")
        return normalised(raw, normalise)

    def score(self, outputs: ModelOutputs, rng: np.random.Generator) -> np.ndarray:
        power = check_number(self.power, "power", low=0)
        return self.utility(outputs, rng) / self.item_costs(outputs) ** power

    def select_batch(self, outputs: ModelOutputs, k: int, rng: np.random.Generator) -> Query:
        if self.budget is None:
            ids, scores = top_k(outputs.ids, self.score(outputs, rng), k)
            return Query(ids=ids, scores=scores)
        utility = self.utility(outputs, rng)
        costs = self.item_costs(outputs)
        budget = check_number(self.budget, "budget", low=0)
        chosen = knapsack_greedy(utility, costs, budget, max_items=k, ids=outputs.ids)
        ratio = utility[chosen] / costs[chosen]
        order = np.lexsort((id_ranks(outputs.ids)[chosen], -ratio))
        chosen = chosen[order]
        return Query(ids=outputs.ids[chosen], scores=ratio[order],
                     info={"cost": float(costs[chosen].sum())})
