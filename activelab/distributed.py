"""Dask backend: a top-k query over a pool spread across a Dask cluster.

Each partition of the pool (a Parquet row group, or a block of rows of a dask array) is
read and scored on the worker that runs its task, a chunk at a time; each keeps its own
top ``k`` under global ids, and the partial results are merged in a tree of
``split_every`` at a time. The order is total (higher score first, then smaller id), so
the ids and scores are exactly those of the same query on one machine, whatever the
partitioning or the number of workers.

Needs the ``dask`` extra: ``pip install 'activelab[dask]'``.

>>> import numpy as np, dask.array as da
>>> from sklearn.linear_model import LogisticRegression
>>> from activelab.distributed import distributed_query
>>> X = np.random.default_rng(0).normal(size=(1000, 3))
>>> model = LogisticRegression().fit(X[:20], (X[:20, 0] > 0).astype(int))
>>> query = distributed_query("margin", model, da.from_array(X, chunks=250), 5,
...                           labeled_ids=np.arange(20), client="sync")
>>> len(query.ids), bool(np.isin(query.ids, np.arange(20)).any())
(5, False)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .data.sources import ParquetRows
from .errors import ActiveLabError
from .outputs import ModelOutputs
from .pool import Pool
from .selection.topk import TopK, merge_top_k, stream_top_k
from .strategies import Query, ScoringStrategy
from .strategies import get as get_strategy
from .validation import check_int

__all__ = ["distributed_query", "map_on_dask", "partition_top_k"]

#: How long to wait for a scheduler given by its address.
CONNECT_TIMEOUT = "10s"


def _dask() -> Any:
    try:
        import dask
    except ImportError as err:
        raise ActiveLabError(
            "the Dask backend needs dask: pip install 'activelab[dask]'"
        ) from err
    return dask


def partition_top_k(
    strategy: ScoringStrategy,
    model: Any,
    rows: np.ndarray,
    ids: np.ndarray,
    k: int,
    labeled_ids: np.ndarray,
    chunk_size: int | str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best unlabeled items of one partition: ``(ids, scores)``, best first.

    ``labeled_ids`` (sorted) are left out. What each Dask task runs; usable on its own
    to score a partition anywhere.
    """
    ids = np.asarray(ids)
    keep = ~_in_sorted(ids, labeled_ids)
    if not keep.any():
        return ids[:0], np.zeros(0)
    pool = Pool(rows[keep] if not keep.all() else rows, ids=ids[keep])
    outputs = ModelOutputs(model, pool, chunk_size=chunk_size, streaming=True)
    rng = np.random.default_rng(0)  # per-item scores draw nothing
    return stream_top_k(outputs, lambda view: strategy.score(view, rng), min(k, len(pool)))


def _comparable_ids(values: np.ndarray) -> np.ndarray:
    """Ids in one kind per family: text as ``str``, whole floats as ``int64``."""
    if values.dtype.kind in "OUS":
        return values.astype(str)
    if values.dtype.kind == "f" and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        return values.astype(np.int64)
    return values


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    if len(sorted_values) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    values = _comparable_ids(values)
    if values.dtype.kind != sorted_values.dtype.kind and not (
        values.dtype.kind in "iu" and sorted_values.dtype.kind in "iu"
    ):
        raise ActiveLabError(
            f"labeled_ids hold {sorted_values.dtype} values but the pool's ids are "
            f"{values.dtype}; give labeled_ids of the same kind as the ids"
        )
    where = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[where] == values


def _parquet_partition(
    strategy: ScoringStrategy,
    model: Any,
    source: ParquetRows,
    index: int,
    k: int,
    labeled_ids: np.ndarray,
    chunk_size: int | str | None,
) -> tuple[np.ndarray, np.ndarray]:
    rows = source.read_group(index)
    start = int(source.group_starts[index])
    if source.id_column is None:
        ids = np.arange(start, start + len(rows))
    else:
        ids = source._read_columns(index, [source.id_column])[0]
        ids = ids.astype(str) if ids.dtype == object else ids
    return partition_top_k(strategy, model, rows, ids, k, labeled_ids, chunk_size)


def _check_strategy(strategy: Any) -> ScoringStrategy:
    if isinstance(strategy, str):
        strategy = get_strategy(strategy)
    selector = getattr(strategy, "selector", None)
    if not (
        isinstance(strategy, ScoringStrategy)
        and strategy.per_item_scores
        and (selector is None or type(selector) is TopK)
    ):
        raise ActiveLabError(
            f"a distributed query needs a strategy with per-item scores and top-k selection "
            f"(margin, entropy, least_confidence, ratio, committee scores); got {strategy!r}"
        )
    return strategy


def distributed_query(
    strategy: ScoringStrategy | str,
    model: Any,
    data: Any,
    batch_size: int,
    *,
    labeled_ids: Any = None,
    ids: Any = None,
    columns: list[str] | None = None,
    id_column: str | None = None,
    client: Any = None,
    chunk_size: int | str | None = None,
    split_every: int = 8,
) -> Query:
    """The ``batch_size`` best unlabeled items of a pool stored as Parquet or a dask array.

    Parameters
    ----------
    strategy : ScoringStrategy or str
        A strategy whose scores are per item, with top-k selection (``"margin"``, say).
    model : fitted estimator
        Sent to the workers once.
    data : path, ParquetRows or dask.array.Array
        A Parquet file or folder (one task per row group; see
        :class:`~activelab.data.sources.ParquetRows`, ``columns`` and ``id_column`` as
        there), or a 2-D dask array (one task per block of rows).
    labeled_ids : array-like, optional
        Ids already labeled: never returned.
    ids : array-like, optional
        For a dask array, one id per row (default: the row positions); for Parquet,
        ids come from ``id_column`` (default: the row positions).
    client : distributed.Client, str or None
        A Dask client, a scheduler address such as ``"tcp://10.0.0.5:8786"`` (connected
        to for this query and closed after), ``"sync"`` for Dask's single-threaded
        scheduler, or ``None`` for Dask's current default scheduler.
    chunk_size : int or str, optional
        Rows (or bytes, ``"64MiB"``) a worker scores at once within its partition.
    split_every : int
        How many partial results one merge task combines.
    """
    dask = _dask()
    strategy = _check_strategy(strategy)
    k = check_int(batch_size, "batch_size")
    split_every = check_int(split_every, "split_every", minimum=2)
    labeled = np.sort(_comparable_ids(
        np.asarray([] if labeled_ids is None else labeled_ids).reshape(-1)
    ))
    delayed = dask.delayed
    shared_model = delayed(model, pure=True)
    shared_strategy = delayed(strategy, pure=True)
    if isinstance(data, (str, os.PathLike, ParquetRows)):
        source = data if isinstance(data, ParquetRows) else ParquetRows(
            Path(data), columns=columns, id_column=id_column
        )
        parts = [
            delayed(_parquet_partition, pure=True)(
                shared_strategy, shared_model, source, index, k, labeled, chunk_size
            )
            for index in range(len(source.row_groups))
        ]
    else:
        parts = _array_parts(data, ids, shared_strategy, shared_model, k, labeled, chunk_size)
    while len(parts) > 1:
        parts = [
            delayed(merge_top_k, pure=True)(parts[i : i + split_every], k)
            for i in range(0, len(parts), split_every)
        ]
    best_ids, best_scores = _compute(dask, parts[0], client)
    if len(best_ids) == 0:
        raise ActiveLabError("every item of the pool is labeled; there is nothing left to query")
    return Query(ids=best_ids, scores=best_scores, strategy=strategy.name,
                 info={"partitions": len(parts)})


def _array_parts(
    data: Any, ids: Any, strategy: Any, model: Any, k: int, labeled: np.ndarray, chunk_size: Any
) -> list[Any]:
    import dask
    import dask.array as da

    if not isinstance(data, da.Array) or data.ndim != 2:
        raise ActiveLabError(
            "data must be a Parquet path, a ParquetRows, or a 2-D dask array; "
            f"got {type(data).__name__}"
        )
    if data.numblocks[1] != 1:
        data = data.rechunk({1: -1})
    n = data.shape[0]
    if ids is not None:
        ids = np.asarray(ids)
        if ids.shape != (n,):
            raise ActiveLabError(f"ids must hold one id per row ({n}); got shape {ids.shape}")
    blocks = data.to_delayed()[:, 0]
    edges = np.concatenate([[0], np.cumsum(data.chunks[0])])
    parts = []
    for block, start, stop in zip(blocks, edges[:-1], edges[1:]):
        block_ids = np.arange(start, stop) if ids is None else ids[start:stop]
        parts.append(
            dask.delayed(partition_top_k, pure=True)(
                strategy, model, block, block_ids, k, labeled, chunk_size
            )
        )
    return parts


def _compute(dask: Any, task: Any, client: Any) -> tuple[np.ndarray, np.ndarray]:
    if client is None:
        return dask.compute(task)[0]
    if isinstance(client, str) and client in ("sync", "synchronous"):
        return dask.compute(task, scheduler="synchronous")[0]
    if isinstance(client, str):
        from distributed import Client

        try:
            connected = Client(client, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except OSError as err:
            raise ActiveLabError(
                f"could not reach a Dask scheduler at {client!r}; start one with "
                "`dask scheduler` (and `dask worker ADDRESS`) or pass a Client"
            ) from err
        with connected:
            return connected.compute(task).result()
    return client.compute(task).result()


def map_on_dask(
    function: Any, arguments: list[tuple[Any, ...]], scheduler: str | None = None,
    n_workers: int = 1,
) -> Any:
    """Yield ``function(*args)`` for each of ``arguments`` as they finish, run on Dask.

    On the scheduler at ``scheduler`` (an address), or on a local cluster of
    ``n_workers`` single-threaded worker processes started and stopped here. What
    ``activelab bench --executor dask`` runs its repeats with.
    """
    _dask()
    from distributed import Client, LocalCluster, as_completed

    if scheduler is None:
        cluster: Any = LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                    processes=True, dashboard_address=":0")
    else:
        cluster = None
    try:
        try:
            client = Client(cluster if cluster is not None else scheduler,
                            timeout=CONNECT_TIMEOUT, set_as_default=False)
        except OSError as err:
            raise ActiveLabError(
                f"could not reach a Dask scheduler at {scheduler!r}; start one with "
                "`dask scheduler` (and `dask worker ADDRESS`), or leave --scheduler out"
            ) from err
        with client, client.as_current():
            futures = [client.submit(function, *args, pure=False) for args in arguments]
            for future in as_completed(futures):
                yield future.result()
    finally:
        if cluster is not None:
            cluster.close()
