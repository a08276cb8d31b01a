"""Selectors: turn per-item scores into a batch of ids.

Every selector is deterministic: ties between equal scores break by id (smaller first),
never by the order in which the items were scored or by how the work was chunked.

* :class:`TopK` — the ``k`` best scores.
* :class:`StochasticTopK` — ``k`` items sampled without replacement, likelier the higher
  their score (Kirsch et al., 2023).
* :class:`KCenterGreedy` — farthest-first traversal from the labeled items, the core-set
  selector (Sener & Savarese, 2018).
* :class:`RankedBatch` — greedy blend of distance to the labeled items and uncertainty
  (Cardoso et al., 2017).
* :class:`KMeansSelector` — one representative per k-means cluster.
* :class:`ClusterMarginSelector` — round-robin over clusters of the best-scored items
  (Citovsky et al., 2021).
* :func:`cluster_round_robin_order` — the whole pool in k-means round-robin order (the
  labeling server's cold start).

Distance work runs in float32 blocks of at most ``chunk_size ** 2`` distances (tall
blocks: many rows against few centres), keeping a running minimum per candidate: no
selector builds a ``batch x pool`` or ``pool x pool`` array.

>>> import numpy as np
>>> from activelab.selection import top_k
>>> top_k(np.array([10, 11, 12]), np.array([0.5, 0.9, 0.5]), 2)
(array([11, 10]), array([0.9, 0.5]))
"""

from .clustering import (
    MINIBATCH_ABOVE,
    ClusterMarginSelector,
    KMeansSelector,
    cluster_round_robin_order,
    kmeans_labels,
)
from .kcenter import KCenterGreedy, greedy_farthest
from .neighbors import (
    BACKENDS,
    DEFAULT_DISTANCE_CHUNK,
    RunningMinDistance,
    faiss_neighbors,
    faiss_radius_pairs,
    nearest_distances,
    use_faiss,
)
from .ranked_batch import RankedBatch
from .topk import (
    Selector,
    StochasticTopK,
    TopK,
    TopKAccumulator,
    best_by_id,
    id_ranks,
    merge_top_k,
    stream_top_k,
    top_k,
)

__all__ = [
    "BACKENDS",
    "ClusterMarginSelector",
    "DEFAULT_DISTANCE_CHUNK",
    "KCenterGreedy",
    "KMeansSelector",
    "MINIBATCH_ABOVE",
    "RankedBatch",
    "RunningMinDistance",
    "Selector",
    "StochasticTopK",
    "TopK",
    "TopKAccumulator",
    "best_by_id",
    "cluster_round_robin_order",
    "faiss_neighbors",
    "faiss_radius_pairs",
    "greedy_farthest",
    "id_ranks",
    "kmeans_labels",
    "merge_top_k",
    "nearest_distances",
    "stream_top_k",
    "top_k",
    "use_faiss",
]
