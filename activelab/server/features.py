"""What the model sees of each item: TF-IDF for texts, a small grey thumbnail for images.
(The cold-start order is the core's ``cluster_round_robin_order``.)

>>> X = featurize(["red apple", "green apple", "blue sky"], kind="text")
>>> X.shape[0]
3
>>> diversity_order(X, n_clusters=2, seed=0).tolist() in ([0, 2, 1], [1, 2, 0], [2, 0, 1], [2, 1, 0])
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..selection.clustering import cluster_round_robin_order

__all__ = ["diversity_order", "featurize"]

THUMBNAIL = 16


def featurize(contents: Sequence[str], kind: str, folder: Path | None = None) -> Any:
    """A feature matrix with one row per item (CSR for text, dense for images)."""
    if kind == "text":
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=50_000, dtype=np.float64)
        try:
            return vectorizer.fit_transform(list(contents)).tocsr()
        except ValueError as err:  # e.g. only stop words / no tokens at all
            raise ActiveLabError(f"cannot make features from the texts: {err}") from None
    if kind == "image":
        folder = folder or Path(".")
        return np.stack([_thumbnail(folder / path) for path in contents])
    raise ActiveLabError(f"unknown item kind {kind!r}; use text or image")


def _thumbnail(path: Path) -> np.ndarray:
    import matplotlib.image as mpimg

    try:
        pixels = np.asarray(mpimg.imread(path), dtype=np.float64)
    except (OSError, ValueError, SyntaxError) as err:
        raise ActiveLabError(f"cannot read image {path}: {err}") from None
    if pixels.ndim == 3:
        pixels = pixels[..., :3].mean(axis=2)
    rows = np.linspace(0, pixels.shape[0], THUMBNAIL + 1).astype(int)
    cols = np.linspace(0, pixels.shape[1], THUMBNAIL + 1).astype(int)
    return np.array([[pixels[r0:max(r1, r0 + 1), c0:max(c1, c0 + 1)].mean()
                      for c0, c1 in zip(cols[:-1], cols[1:])]
                     for r0, r1 in zip(rows[:-1], rows[1:])]).ravel()


def diversity_order(X: Any, n_clusters: int, seed: int) -> np.ndarray:
    """Row positions in cold-start order: the core's
    :func:`~activelab.selection.clustering.cluster_round_robin_order` (kept under this name
    for callers of the server's features module)."""
    return cluster_round_robin_order(X, n_clusters, seed)
