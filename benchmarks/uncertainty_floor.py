"""A margin query against the bare prediction, each measurement in its own fresh process.

    python benchmarks/uncertainty_floor.py [--n 1000000] [--d 50] [--classes 10]
                                           [--batch 1000] [--repeats 7] [--threads N]
                                           [--chunk-size ROWS]

The driver writes a synthetic float32 pool (``n x d``, labels from a random linear
teacher) and a ``LogisticRegression`` fit on 2,000 of its rows to a temporary folder.
Then, ``--repeats`` times, it starts one fresh Python process per variant, alternating
which goes first (so a change in the machine's load hits both alike):

* **floor**: ``proba = model.predict_proba(X)``, the margin of each row (a partition of
  each row), and ``np.argpartition`` for the batch: the least any margin query can do;
* **activelab**: ``strategies.get("margin").query(model, Pool(X), batch, random_state=0)``.

What is counted: each process loads ``X`` (fully in memory) and the model and imports
NumPy, scikit-learn and activelab *before* the clock starts; then it times one call.
activelab's time is split into ``Pool(X)`` (the finiteness check of the items and the
id index, which a user pays once per pool) and the query (chunked ``predict_proba``,
scores, the top-k with ties broken by id); both are reported, as ratios to the floor
measured in the neighbouring process. The query's ids are checked against the floor's
batch (the same set when no tie straddles the k-th score).

Printed: the median ratio of wall times, and its spread (smallest and largest) over the
repeats; and the same for the processes' CPU time (all threads), which other processes'
load disturbs less.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(kind: str, folder: Path, batch: int, chunk_size: int | None) -> dict:
    import numpy as np

    from activelab import ModelOutputs, Pool, strategies

    X = np.load(folder / "X.npy")
    model = pickle.loads((folder / "model.pkl").read_bytes())
    strategy = strategies.get("margin")
    if kind == "floor":
        cpu, started = time.process_time(), time.perf_counter()
        proba = model.predict_proba(X)
        top_two = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
        chosen = np.argpartition(top_two[:, 1] - top_two[:, 0], batch)[:batch]
        total = time.perf_counter() - started
        return {"total": total, "cpu": time.process_time() - cpu, "ids": sorted(chosen.tolist())}
    cpu, started = time.process_time(), time.perf_counter()
    pool = Pool(X)
    built = time.perf_counter()
    outputs = None if chunk_size is None else ModelOutputs(
        model, pool, chunk_size=chunk_size, shared=False
    )
    query = strategy.query(model, pool, batch, random_state=0, outputs=outputs)
    done = time.perf_counter()
    return {"total": done - started, "pool": built - started, "query": done - built,
            "cpu": time.process_time() - cpu,
            "ids": sorted(query.ids.tolist())}


def prepare(folder: Path, n: int, d: int, classes: int) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype(np.float32)
    teacher = rng.normal(size=(d, classes))
    y = np.argmax(X @ teacher + rng.gumbel(size=(n, classes)), axis=1)
    rows = rng.choice(n, 2000, replace=False)
    model = LogisticRegression(max_iter=500).fit(X[rows], y[rows])
    np.save(folder / "X.npy", X)
    (folder / "model.pkl").write_bytes(pickle.dumps(model))


def run_child(
    kind: str, folder: Path, batch: int, threads: int | None, chunk_size: int | None
) -> dict:
    env = dict(os.environ)
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]
    )
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--folder", str(folder),
         "--batch", str(batch), *(["--chunk-size", str(chunk_size)] if chunk_size else [])],
        check=True, capture_output=True, text=True, env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return (f"median {statistics.median(values):.3f}x "
            f"(min {min(values):.3f}x, max {max(values):.3f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads in the measured processes (default: as set)")
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="rows per chunk for activelab (default: ModelOutputs' default)")
    parser.add_argument("--child", choices=["floor", "activelab"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.batch, args.chunk_size)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare(folder, args.n, args.d, args.classes)
        floor, ours = [], []
        for repeat in range(args.repeats):  # alternate who goes first
            order = ["floor", "activelab"] if repeat % 2 == 0 else ["activelab", "floor"]
            got = {kind: run_child(kind, folder, args.batch, args.threads, args.chunk_size)
                   for kind in order}
            floor.append(got["floor"])
            ours.append(got["activelab"])
            same = len(set(got["floor"]["ids"]) & set(got["activelab"]["ids"]))
            print(f"repeat {repeat + 1}: floor {got['floor']['total'] * 1000:.1f} ms, "
                  f"Pool(X) {got['activelab']['pool'] * 1000:.1f} ms, "
                  f"query {got['activelab']['query'] * 1000:.1f} ms; "
                  f"{same}/{args.batch} ids in common with the floor", flush=True)
    query = [o["query"] / f["total"] for o, f in zip(ours, floor)]
    total = [o["total"] / f["total"] for o, f in zip(ours, floor)]
    threads = "as set" if args.threads is None else args.threads
    chunk = args.chunk_size or "default"
    print(f"\npool {args.n:,} x {args.d} float32, {args.classes} classes, batch {args.batch}, "
          f"{args.repeats} repeats, one fresh process per measurement, BLAS threads {threads}, "
          f"chunk size {chunk}")
    print(f"floor: median {statistics.median(f['total'] for f in floor) * 1000:.1f} ms")
    print(f"query / floor:            {spread(query)}")
    print(f"Pool(X) + query / floor:  {spread(total)}")
    cpu = [o["cpu"] / f["cpu"] for o, f in zip(ours, floor)]
    print(f"CPU time, Pool(X) + query / floor: {spread(cpu)}")


if __name__ == "__main__":
    main()
