"""Cost-sensitive querying: what labeling each item costs, and utility per unit of cost.

* :class:`ItemCosts` — the cost of labeling each item: an array in pool order, a mapping
  from id to cost, a DataFrame column, or a function of the item (text length, say).
* :class:`CostSensitive` (registered as ``cost_sensitive``) — wraps any scoring strategy
  and ranks by ``utility / cost ** power``; with ``budget`` it fills each batch under a
  cost budget, greedily by utility per cost (:func:`knapsack_greedy`).

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from activelab import Pool
>>> from activelab.strategies.cost_sensitive import CostSensitive
>>> from activelab.oracles.costs import ItemCosts
>>> texts = ["good", "a very long and rambling review", "bad", "fine film", "meh"]
>>> X = np.array([[len(t), t.count("a")] for t in texts], dtype=float)
>>> pool = Pool(X)
>>> pool.add_labels([0, 2], [1, 0])
>>> model = LogisticRegression().fit(*pool.labeled_data())
>>> by_length = ItemCosts(function=lambda row: row[0])   # longer text, dearer label
>>> query = CostSensitive(costs=by_length, budget=12).query(model, pool, 3)
>>> float(by_length.of(pool, query.ids).sum()) <= 12
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..pool import Pool, to_python
from ..selection.topk import id_ranks
from ..validation import check_number, first_line

__all__ = ["ItemCosts", "knapsack_greedy"]


class ItemCosts:
    """The cost of labeling each pool item. Give one of the four sources.

    Parameters
    ----------
    values : array-like, optional
        One cost per pool item, in the pool's order.
    by_id : mapping, optional
        ``{id: cost}``; ids left out cost ``default``.
    column : str, optional
        A column of a DataFrame pool.
    function : callable, optional
        ``function(item) -> cost`` for one item as the pool holds it (a row of a NumPy
        array, a text, ...), e.g. ``len`` for texts.
    default : float
        The cost of an id missing from ``by_id``.

    Costs must be positive and finite.
    """

    def __init__(
        self,
        values: Sequence[float] | np.ndarray | None = None,
        *,
        by_id: Mapping[Any, float] | None = None,
        column: str | None = None,
        function: Callable[[Any], float] | None = None,
        default: float = 1.0,
    ) -> None:
        self.values = values
        self.by_id = by_id
        self.column = column
        self.function = function
        self.default = default
        if sum(x is not None for x in (values, by_id, column, function)) != 1:
            raise ActiveLabError(
                "give ItemCosts exactly one source: values=array, by_id={id: cost}, "
                "column='name' or function=f(item)"
            )

    def of(self, pool: Pool, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        """The cost of each of ``ids``."""
        ids = np.asarray(ids).reshape(-1)
        if self.values is not None:
            values = np.asarray(self.values, dtype=float)
            if values.shape != (len(pool),):
                raise ActiveLabError(
                    f"ItemCosts values must hold one cost per pool item ({len(pool)}); "
                    f"got shape {values.shape}"
                )
            costs = values[pool.positions(ids)]
        elif self.by_id is not None:
            costs = np.array([float(self.by_id.get(to_python(i), self.default)) for i in ids])
        elif self.column is not None:
            X = pool.X
            if not hasattr(X, "columns") or self.column not in X.columns:
                raise ActiveLabError(
                    f"ItemCosts(column={self.column!r}) needs a DataFrame pool with that column"
                )
            costs = np.asarray(X[self.column].to_numpy(dtype=float))[pool.positions(ids)]
        else:
            items = pool.items(ids)
            rows = items.iloc if hasattr(items, "iloc") else items
            costs = np.array([self._call(rows[i], ids[i]) for i in range(len(ids))])
        if len(costs) and (not np.isfinite(costs).all() or (costs <= 0).any()):
            raise ActiveLabError("item costs must be positive finite numbers; check the cost source")
        return costs

    def _call(self, item: Any, item_id: Any) -> float:
        """The user's cost function on one item; its failures name the item."""
        try:
            return float(self.function(item))
        except Exception as err:
            raise ActiveLabError(
                f"the ItemCosts function failed on item {to_python(item_id)!r}: "
                f"{type(err).__name__}: {first_line(err)}"
            ) from err

    def __repr__(self) -> str:
        source = next(k for k in ("values", "by_id", "column", "function")
                      if getattr(self, k) is not None)
        return f"ItemCosts({source}=...)"


def knapsack_greedy(
    values: np.ndarray,
    costs: np.ndarray,
    budget: float,
    max_items: int | None = None,
    ids: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of a set with high total value and total cost at most ``budget``.

    Greedy by value per cost (ties by ``ids``, else by position), skipping items that no
    longer fit; the result is then compared with the single most valuable item that
    fits, and the better of the two is returned, best ratio first. Without
    ``max_items`` this is the classic 1/2-approximation of the 0/1 knapsack optimum.
    ``O(n log n)``.

    >>> knapsack_greedy(np.array([6.0, 10.0, 12.0]), np.array([1.0, 2.0, 3.0]), 5).tolist()
    [0, 1]
    """
    values = np.asarray(values, dtype=float)
    costs = np.asarray(costs, dtype=float)
    if values.shape != costs.shape or values.ndim != 1:
        raise ActiveLabError("values and costs must be flat arrays of one length")
    if (costs <= 0).any() or not np.isfinite(costs).all() or (values < 0).any():
        raise ActiveLabError("costs must be positive and finite, values non-negative")
    budget = check_number(budget, "budget", low=0)
    limit = len(values) if max_items is None else int(max_items)
    tie = id_ranks(ids) if ids is not None else np.arange(len(values))
    order = np.lexsort((tie, -(values / costs)))
    chosen, spent = [], 0.0
    for p in order:
        if len(chosen) >= limit:
            break
        if spent + costs[p] <= budget:
            chosen.append(int(p))
            spent += costs[p]
    fits = np.flatnonzero(costs <= budget)
    if len(fits) and limit >= 1:
        best = int(fits[np.lexsort((tie[fits], -values[fits]))[0]])
        if values[best] > values[chosen].sum():
            return np.array([best])
    return np.array(chosen, dtype=np.intp)
