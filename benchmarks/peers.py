"""Query time and peak memory: activelab against modAL and scikit-activeml, and the floor.

    python benchmarks/peers.py [--quick] [--timeout 120] [--memory-cap-gb 9]

Creates its own virtual environment, ``benchmarks/.peer-venv`` (git-ignored), with
``modAL-python`` and ``scikit-activeml`` from PyPI and this checkout of activelab, so
the peers are never the project's dependencies and every library runs on the same
NumPy and scikit-learn. It writes synthetic pools to ``benchmarks/.data`` (git-ignored;
float32, labels from a random linear teacher, 1,000 labeled items) and runs each
measurement in a fresh process (``benchmarks/measure.py``): the query's wall time and
its peak resident memory above what the process held before the query (data and
model included there); then it repeats the query in the same process (``--repeats``,
while the runs so far took under 20 s) and keeps the best time, since other processes on
a shared machine only ever add time. A run that passes ``--timeout`` seconds or the memory cap (an
address-space limit) is stopped and reported as such.

The matrix (``--quick`` keeps N = 100k):

* uncertainty (least confidence) top-k, d = 50, 10 classes, N = 100k / 1M / 10M,
  batch 1 / 100 / 1,000 (the peers at 10M: batch 1,000 only), against the floor: the
  bare ``predict_proba`` over the unlabeled items plus an ``argpartition``;
* k-center (activelab ``coreset``, scikit-activeml ``CoreSet``), d = 64, N = 100k
  (batch 100 / 1,000) and 1M (batch 1,000);
* ranked batch (activelab ``ranked_batch``, modAL ``ranked_batch``), d = 64, N = 100k,
  batch 100;
* BADGE (activelab ``badge``, scikit-activeml ``Badge``), d = 64, 10 classes, N = 100k
  (batch 100 / 1,000) and 1M (batch 100);
* query by committee, vote entropy, 5 logistic regressions, d = 50, N = 100k, batch 100.

Prints one line per measurement and a Markdown table; writes ``benchmarks/results/peers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".peer-venv"
DATA = HERE / ".data"
RESULTS = HERE / "results"
PEERS = ["scikit-activeml", "pandas"]
MODAL = "modAL-python"  # installed without its dependencies: they pin skorch/torch for deep models


def peer_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} with {', '.join(PEERS)}, {MODAL} and activelab", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "pip"), "install", "--quiet"]
        subprocess.run([*pip, *PEERS, "-e", str(REPO)], check=True)
        subprocess.run([*pip, "--no-deps", MODAL], check=True)
    return python


def versions(python: Path) -> dict:
    code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            "['activelab', 'scikit-activeml', 'modAL-python', 'numpy', 'scikit-learn']}))")
    return json.loads(subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                                     check=True).stdout)


def write_pool(n: int, d: int, classes: int = 10, n_labeled: int = 1000, seed: int = 0) -> Path:
    """A float32 pool whose labels come from a random linear teacher, written once."""
    folder = DATA / f"pool-{n}x{d}"
    if (folder / "labeled.npy").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    teacher = rng.normal(size=(d, classes)).astype(np.float32)
    X = np.lib.format.open_memmap(folder / "X.npy", mode="w+", dtype=np.float32, shape=(n, d))
    y = np.empty(n, dtype=np.int64)
    for start in range(0, n, 1_000_000):
        block = rng.normal(size=(min(1_000_000, n - start), d)).astype(np.float32)
        X[start : start + len(block)] = block
        noise = rng.gumbel(size=(len(block), classes)).astype(np.float32)
        y[start : start + len(block)] = np.argmax(block @ teacher + 2 * noise, axis=1)
    X.flush()
    del X
    np.save(folder / "y.npy", y)
    np.save(folder / "labeled.npy", np.sort(rng.choice(n, n_labeled, replace=False)))
    return folder


def limit_memory(cap_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))
        os.nice(10)

    return apply


def measure(python: Path, case: dict, timeout: float, cap_gb: float) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [str(python), str(HERE / "measure.py"), json.dumps(case)], capture_output=True,
            text=True, timeout=timeout, env=env, preexec_fn=limit_memory(int(cap_gb * 2**30)),
        )
    except subprocess.TimeoutExpired:
        return {**case, "status": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        out_of_memory = "MemoryError" in done.stderr or "Unable to allocate" in done.stderr
        status = f"out of memory (cap {cap_gb:g} GB)" if out_of_memory else f"failed: {tail[:120]}"
        return {**case, "status": status, "wall": time.perf_counter() - started}
    return {**case, **json.loads(lines[-1]), "status": "ok"}


def matrix(quick: bool) -> list[dict]:
    sizes = [100_000] if quick else [100_000, 1_000_000, 10_000_000]
    cases = []
    for n in sizes:
        for batch in (1, 100, 1000):
            libs = ["floor", "activelab", "skactiveml", "modal"]
            if n >= 10_000_000 and batch != 1000:
                libs = ["floor", "activelab"]  # peers at 10M: batch 1,000 only, to save time
            for lib in libs:
                cases.append({"task": "uncertainty", "lib": lib, "n": n, "d": 50, "batch": batch})
    for n, batches in [(100_000, (100, 1000))] + ([] if quick else [(1_000_000, (1000,))]):
        for batch in batches:
            for lib in ("activelab", "skactiveml"):
                cases.append({"task": "kcenter", "lib": lib, "n": n, "d": 64, "batch": batch})
    for n, batches in [(100_000, (100, 1000))] + ([] if quick else [(1_000_000, (100,))]):
        for batch in batches:
            for lib in ("activelab", "skactiveml"):
                cases.append({"task": "badge", "lib": lib, "n": n, "d": 64, "batch": batch})
    for lib in ("activelab", "modal"):
        cases.append({"task": "ranked", "lib": lib, "n": 100_000, "d": 64, "batch": 100})
    for lib in ("activelab", "skactiveml", "modal"):
        cases.append({"task": "qbc", "lib": lib, "n": 100_000, "d": 50, "batch": 100})
    return cases


def show(result: dict) -> str:
    if result["status"] != "ok":
        return result["status"]
    return f"{result['seconds']:8.2f} s {result['extra_mib']:9.0f} MiB"


def table(results: list[dict]) -> str:
    """Markdown: per task/size/batch, each library's time and memory as ratios to activelab's."""
    rows = ["| task | N | batch | library | time | × activelab time | peak extra memory "
            "| × activelab memory |", "|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["task"], r["n"], r["batch"]), []).append(r)
    for (task, n, batch), members in groups.items():
        ours = next((m for m in members if m["lib"] == "activelab" and m["status"] == "ok"), None)
        for m in members:
            if m["status"] != "ok":
                limit = m["status"]
                rows.append(f"| {task} | {n:,} | {batch:,} | {m['lib']} | {limit} | "
                            f"{_bound(ours, m, 'time')} | — | {_bound(ours, m, 'memory')} |")
                continue
            time_ratio = f"{m['seconds'] / ours['seconds']:.2f}×" if ours else "—"
            mem_ratio = (f"{m['extra_mib'] / max(ours['extra_mib'], 1):.1f}×" if ours else "—")
            rows.append(f"| {task} | {n:,} | {batch:,} | {m['lib']} | {m['seconds']:.2f} s | "
                        f"{time_ratio} | {m['extra_mib']:.0f} MiB | {mem_ratio} |")
    return "\n".join(rows)


def _bound(ours: dict | None, failed: dict, what: str) -> str:
    if ours is None:
        return "—"
    status = failed["status"]
    if what == "time" and status.startswith("timed out"):
        limit = float(status.split()[3])
        return f"> {limit / ours['seconds']:.0f}×"
    if what == "memory" and status.startswith("out of memory"):
        cap_mib = float(status.split("cap ")[1].split()[0]) * 1024
        return f"> {(cap_mib - failed.get('baseline_mib', 0)) / max(ours['extra_mib'], 1):.0f}× (cap)"
    return "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 100k only")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per measurement")
    parser.add_argument("--memory-cap-gb", type=float, default=9.0)
    parser.add_argument("--only", default="", help="comma-separated tasks to run")
    parser.add_argument("--out", default="peers.json", help="file name in benchmarks/results")
    parser.add_argument("--repeats", type=int, default=5,
                        help="queries per process, while they take under 20 s (best time kept)")
    args = parser.parse_args()
    python = peer_python()
    info = versions(python)
    print(json.dumps(info), flush=True)
    cases = matrix(args.quick)
    if args.only:
        cases = [c for c in cases if c["task"] in args.only.split(",")]
    results = []
    for case in cases:
        case = {**case, "data": str(write_pool(case["n"], case["d"]))}
        case["repeats"] = args.repeats
        result = measure(python, case, args.timeout, args.memory_cap_gb)
        results.append(result)
        print(f"{case['task']:12s} N={case['n']:>10,} batch={case['batch']:>5} "
              f"{case['lib']:11s} {show(result)}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps({"versions": info, "results": results},
                                                   indent=1))
    print()
    print(table(results))


if __name__ == "__main__":
    main()
