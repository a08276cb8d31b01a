"""What the model sees of each item: TF-IDF for texts, a small grey thumbnail for images,
and the cold-start order that spreads the first labels over the whole pool.

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
import scipy.sparse as sp

from ..errors import ActiveLabError
from ..selection.clustering import kmeans_labels

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
    """Row positions in cold-start order: k-means clusters, taken in turn (largest first),
    each cluster's rows nearest its centre first. Ties break by position."""
    n = X.shape[0]
    n_clusters = max(1, min(n_clusters, n))
    labels, centres = kmeans_labels(X, n_clusters, np.arange(n), np.random.default_rng(seed))
    dense_rows = X.toarray() if sp.issparse(X) and n * X.shape[1] <= 5e7 else X
    distances = np.empty(n)
    for start in range(0, n, 2048):
        rows = dense_rows[start:start + 2048]
        rows = rows.toarray() if sp.issparse(rows) else np.asarray(rows)
        distances[start:start + 2048] = ((rows - centres[labels[start:start + 2048]]) ** 2).sum(1)
    sizes = np.bincount(labels, minlength=len(centres))
    cluster_order = sorted(range(len(centres)), key=lambda c: (-sizes[c], c))
    queues = {c: list(np.lexsort((np.flatnonzero(labels == c), distances[labels == c])))
              for c in cluster_order}
    members = {c: np.flatnonzero(labels == c) for c in cluster_order}
    order: list[int] = []
    depth = 0
    while len(order) < n:
        for c in cluster_order:
            if depth < len(queues[c]):
                order.append(int(members[c][queues[c][depth]]))
        depth += 1
    return np.array(order, dtype=np.int64)
