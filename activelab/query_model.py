"""The compatibility guard: a strategy that queries one model for another's sake.

Active learning picks the items that are informative *for the model it queries*. When
that model is not the one trained and evaluated, the picks can be worse than random for
the latter (Lowell, Lipton & Wallace, 2019, "Practical Obstacles to Deploying Active
Learning"). :class:`~activelab.ActiveLoop` (``query_model=``) and the bench
(``--query-model``) call :func:`warn_if_query_model_differs` once.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["query_model_mismatch", "warn_if_query_model_differs"]


def query_model_mismatch(query_model: Any, model: Any) -> str | None:
    """Why querying ``query_model`` for ``model`` is risky, or ``None`` when they are the
    same kind of model with the same parameters."""
    same = type(query_model) is type(model)
    if same and hasattr(model, "get_params"):
        same = repr(query_model.get_params()) == repr(model.get_params())
    if same:
        return None
    mine, theirs = type(query_model).__name__, type(model).__name__
    return (f"the query model ({mine}) differs from the model that is trained and "
            f"evaluated ({theirs}): the strategy picks the items that are informative for "
            f"{mine}, which need not be informative for {theirs}, and uncertainty sampling "
            "with a mismatched query model can do worse than random (Lowell et al., 2019); "
            "query with the same model, or measure the gain with a random control "
            "(control=0.1)")


def warn_if_query_model_differs(query_model: Any, model: Any, stacklevel: int = 3) -> str | None:
    """Warn with :func:`query_model_mismatch`'s reason when there is one; return it."""
    why = query_model_mismatch(query_model, model)
    if why is not None:
        warnings.warn(why, UserWarning, stacklevel=stacklevel)
    return why
