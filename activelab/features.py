"""The one features rule: the space strategies measure items in.

:meth:`activelab.ModelOutputs.embeddings` applies :func:`embedding_function` to the pool
a chunk at a time: ``model.embed`` when the model has it, a ``Pipeline``'s steps but the
last (a ``TfidfVectorizer`` turns raw texts into sparse rows), else the items' own
numeric features (:func:`as_float_rows`). Every strategy that needs features reads them
this way.

>>> from sklearn.feature_extraction.text import TfidfVectorizer
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.pipeline import make_pipeline
>>> model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(["a cat", "a dog"], [0, 1])
>>> embedding_function(model)(["a cat"]).shape
(1, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .errors import ActiveLabError

__all__ = ["as_float_rows", "embedding_function"]


def embedding_function(model: Any) -> Callable[[Any], Any] | None:
    """What :meth:`ModelOutputs.embeddings` applies to a chunk of items, or ``None`` for
    the items' own features: ``model.embed``, or a pipeline's steps but the last."""
    embed = getattr(model, "embed", None)
    if embed is not None:
        return embed
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and len(steps) > 1:
        head = model[:-1]

        def transform(rows: Any) -> Any:
            return as_float_rows(head.transform(rows))

        return transform
    return None


def as_float_rows(rows: Any) -> np.ndarray | sp.csr_matrix:
    """A chunk of items as float rows; raw items such as texts are refused.

    float32 rows stay float32 (half the memory, and no precision they had is lost);
    anything else becomes float64.
    """
    if sp.issparse(rows):
        return rows.astype(np.float64)
    if isinstance(rows, np.ndarray) and rows.dtype == np.float32 and rows.ndim == 2:
        return rows
    try:
        values = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ActiveLabError(
            "this strategy needs numeric features, but the pool holds raw items; use a "
            "Pipeline whose steps before the last make features (a TfidfVectorizer, say), "
            "give the model an embed(items) method, or build the Pool from feature vectors"
        ) from err
    if values.ndim != 2:
        raise ActiveLabError(
            "this strategy needs one numeric row per item; give the model an embed(items) "
            "method, or build the Pool from feature vectors"
        )
    return values
