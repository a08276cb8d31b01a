"""Pools beyond memory: a 10M x 50 memory-mapped query, and a 10M-row Parquet pool on Dask.

    python benchmarks/scale.py [--n 10000000] [--workers 2] [--skip-dask]

1. Writes a float32 pool of ``--n`` rows x 50 to ``benchmarks/.data`` (as
   benchmarks/peers.py does), fits logistic regression on 1,000 labeled rows, and in a
   fresh process builds ``Pool(NpyRows(path))`` and runs a least-confidence query of
   batch 1,000 (streamed chunk by chunk). Prints the query's wall time and its peak
   resident memory above the process's memory after fitting the model (the pool's id
   and label arrays count as query memory here).
2. Writes the same rows as a Parquet folder (4 files, row groups of 500,000 rows), runs
   the query locally on ``Pool(ParquetRows(folder))`` and with
   ``activelab.distributed.distributed_query`` on a LocalCluster of ``--workers``
   worker processes (one thread each), and checks that both return the same ids.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import HERE, limit_memory, write_pool  # noqa: E402


def memmap_query(folder: Path, n: int, batch: int, cap_gb: float) -> dict:
    case = {"task": "uncertainty", "lib": "activelab", "mmap": True, "n": n, "d": 50,
            "batch": batch, "data": str(folder)}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(HERE / "measure.py"), json.dumps(case)],
                          capture_output=True, text=True, env=env,
                          preexec_fn=limit_memory(int(cap_gb * 2**30)))
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_parquet(folder: Path, pool_folder: Path, files: int = 4, row_group: int = 500_000) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = folder / "parquet"
    if (target / "_done").exists():
        return target
    target.mkdir(exist_ok=True)
    X = np.load(pool_folder / "X.npy", mmap_mode="r")
    names = [f"f{j}" for j in range(X.shape[1])]
    for part, rows in enumerate(np.array_split(np.arange(len(X)), files)):
        with pq.ParquetWriter(target / f"part-{part}.parquet",
                              pa.schema([(c, pa.float32()) for c in names])) as writer:
            for start in range(rows[0], rows[-1] + 1, row_group):
                block = np.asarray(X[start : min(start + row_group, rows[-1] + 1)])
                writer.write_table(pa.table({c: block[:, j] for j, c in enumerate(names)}),
                                   row_group_size=row_group)
    (target / "_done").write_text("")
    return target


def dask_query(parquet: Path, pool_folder: Path, batch: int, workers: int) -> dict:
    from distributed import Client, LocalCluster
    from sklearn.linear_model import LogisticRegression

    from activelab import Pool, strategies
    from activelab.data.sources import ParquetRows
    from activelab.distributed import distributed_query

    X = np.load(pool_folder / "X.npy", mmap_mode="r")
    y, labeled = np.load(pool_folder / "y.npy"), np.load(pool_folder / "labeled.npy")
    model = LogisticRegression(max_iter=300).fit(np.asarray(X[labeled], dtype=np.float64),
                                                 y[labeled])
    started = time.perf_counter()
    pool = Pool(ParquetRows(parquet))
    pool.add_labels(labeled, y[labeled])
    local = strategies.get("least_confidence").query(model, pool, batch)
    local_seconds = time.perf_counter() - started
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      memory_limit="3GB", dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(workers)
        client.run(lambda: __import__("activelab.distributed") and __import__("sklearn.linear_model"))
        started = time.perf_counter()
        remote = distributed_query("least_confidence", model, parquet, batch,
                                   labeled_ids=labeled, client=client)
        dask_seconds = time.perf_counter() - started
    return {"local_seconds": local_seconds, "dask_seconds": dask_seconds,
            "row_groups": len(ParquetRows(parquet).row_groups),
            "ids_identical": bool(np.array_equal(local.ids, remote.ids)),
            "scores_identical": bool(np.array_equal(local.scores, remote.scores))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-cap-gb", type=float, default=9.0)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    folder = write_pool(args.n, 50)
    result = memmap_query(folder, args.n, args.batch, args.memory_cap_gb)
    size_gib = (folder / "X.npy").stat().st_size / 2**30
    print(f"memory-mapped {args.n:,} x 50 float32 ({size_gib:.2f} GiB), batch {args.batch}: "
          f"{result['seconds']:.1f} s, peak {result['extra_mib']:.0f} MiB above the model")
    if not args.skip_dask:
        parquet = write_parquet(folder, folder)
        out = dask_query(parquet, folder, args.batch, args.workers)
        print(f"Parquet {args.n:,} rows in {out['row_groups']} row groups: local "
              f"{out['local_seconds']:.1f} s, Dask {args.workers} workers "
              f"{out['dask_seconds']:.1f} s, ids identical: {out['ids_identical']}, "
              f"scores identical: {out['scores_identical']}")


if __name__ == "__main__":
    main()
