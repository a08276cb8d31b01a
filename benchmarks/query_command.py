"""``activelab query`` on a large generated Parquet file against the bare model prediction.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 5 \\
        python benchmarks/query_command.py --rows 1000000

Writes a Parquet file of ``--rows`` rows (16 float32 features, a ``label`` column with
``--labeled`` labels and the rest empty, row groups of 65,536), then runs, each in a fresh
process and in turn (``--repeats`` times, best time and its peak memory kept):

* **query**: ``activelab query --data FILE --batch-size 100 --out next.csv`` — the whole
  command: reading, typing and encoding the table, fitting, cross-validating, the
  strategy's streamed scoring, writing the rows;
* **bare**: what a script without activelab does: ``pandas.read_parquet`` of the whole
  file, the same catalog model (``logreg``) fit on the labeled rows, ``predict_proba`` on
  the unlabeled rows, and the 100 smallest margins by ``argpartition``.

Peak memory is each process's own maximum resident set (``wait4``'s ``ru_maxrss``), so
interpreter and library imports count on both sides; **imports** is a process that only
imports what the two need (activelab's command line, pandas, pyarrow, scikit-learn), the
floor under both. Prints one JSON object with the measurements and the ratios query / bare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

BARE = """
import sys, numpy as np, pandas as pd
from activelab.models.catalog import make_model
frame = pd.read_parquet(sys.argv[1])
X = frame[[c for c in frame.columns if c.startswith("f")]].to_numpy()
labels = frame["label"].to_numpy()
labeled = frame["label"].notna().to_numpy()
model = make_model("logreg", 0).fit(X[labeled], labels[labeled])
proba = np.sort(model.predict_proba(X[~labeled]), axis=1)
best = np.argpartition(proba[:, -1] - proba[:, -2], 100)[:100]
print(len(best))
"""


IMPORTS = """
import activelab.cli, activelab.table_query, pandas, pyarrow.parquet, sklearn.linear_model
import sklearn.model_selection
"""


def write_table(path: Path, rows: int, labeled: int, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    weights = rng.normal(size=16)
    writer = None
    for start in range(0, rows, 65_536):
        n = min(65_536, rows - start)
        X = rng.normal(size=(n, 16)).astype(np.float32)
        y = np.where(X @ weights + rng.normal(scale=0.5, size=n) > 0, "yes", "no")
        at = np.arange(start, start + n)
        label = pa.array(np.where(at < labeled, y, None).tolist(), type=pa.string())
        table = pa.table({**{f"f{j}": X[:, j] for j in range(16)}, "label": label})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=65_536)
    writer.close()


def measure(argv: list[str]) -> dict[str, float]:
    """Wall seconds and peak resident MiB of one fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    error = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise SystemExit(f"{argv} failed: {error}")
    return {"seconds": round(seconds, 2), "peak_mib": round(usage.ru_maxrss / 1024, 1)}


def best_of(argv: list[str], repeats: int) -> dict[str, float]:
    runs = [measure(argv) for _ in range(repeats)]
    return min(runs, key=lambda run: run["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labeled", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "rows.parquet"
        write_table(table, args.rows, args.labeled)
        query = best_of([sys.executable, "-m", "activelab.cli", "query", "--data", str(table),
                         "--batch-size", "100", "--out", str(Path(folder) / "next.csv")],
                        args.repeats)
        bare = best_of([sys.executable, "-c", BARE, str(table)], args.repeats)
        imports = best_of([sys.executable, "-c", IMPORTS], args.repeats)
        file_mib = table.stat().st_size / 2**20
    print(json.dumps({
        "rows": args.rows, "labeled": args.labeled, "parquet_mib": round(file_mib, 1),
        "query": query, "bare": bare, "imports": imports,
        "time_ratio": round(query["seconds"] / bare["seconds"], 2),
        "memory_ratio": round(query["peak_mib"] / bare["peak_mib"], 2)}, indent=1))


if __name__ == "__main__":
    main()
