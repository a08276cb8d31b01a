"""How long one page of the data page takes on a large pool, against reading the whole pool.

A SQLite project of ``--items`` items (default 100k) with two votes per item on
``--labeled`` of them (some tied), then the median time of ``Store.browse`` for a page under
each filter, as a ratio to the median time of ``Store.items`` (every item's id and text:
what a page would cost if it read the pool in Python). Run::

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/browse_pages.py --items 100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from activelab.store import ImportedItem, ProjectSettings, Store
from activelab.store.browse import ItemFilter

LABELS = ("pos", "neg", "meh")


@dataclass
class Vote:
    external_id: str
    label: str
    annotator: str
    time: float
    kind: str = "label"


def build(path: Path, n_items: int, n_labeled: int, seed: int) -> tuple[Store, dict]:
    rng = np.random.default_rng(seed)
    words = np.array(["apple", "rocket", "match", "recipe", "orbit", "goal", "bake"])
    texts = [" ".join(rng.choice(words, 8)) + f" {i}" for i in range(n_items)]
    store = Store(f"sqlite:///{path}")
    store.create_project("p", [ImportedItem(f"x{i}", t, i) for i, t in enumerate(texts)],
                         ProjectSettings(labels=LABELS, labels_per_item=2))
    votes = []
    for i in range(n_labeled):
        first = LABELS[rng.integers(3)]
        second = first if rng.random() < 0.9 else LABELS[rng.integers(3)]
        votes += [Vote(f"x{i}", first, "ann", float(i)), Vote(f"x{i}", second, "bob", i + .5)]
    store.import_answers("p", votes)
    ids = [item_id for item_id, _e, _c in store.items("p")]
    guesses = {i: (LABELS[rng.integers(3)], float(rng.uniform(0.34, 1.0))) for i in ids}
    return store, guesses


def median_seconds(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--labeled", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store, guesses = build(Path(folder) / "b.db", args.items, args.labeled, args.seed)
        print(f"built {args.items} items, {args.labeled} with 2 votes, "
              f"in {time.perf_counter() - started:.1f} s")
        baseline = median_seconds(lambda: store.items("p"), args.repeat)
        cases = {
            "page 1, no filter": (ItemFilter(), 1),
            "page 1000, no filter": (ItemFilter(), 1000),
            "text search 'apple rocket'": (ItemFilter(text="apple rocket"), 1),
            "status disagreement": (ItemFilter(status="disagreement"), 1),
            "label neg, annotator bob": (ItemFilter(label="neg", annotator="bob"), 1),
            "model disagrees (guesses of every item)": (ItemFilter(model_disagrees=True), 1),
            "confidence 0.4-0.5": (ItemFilter(min_confidence=0.4, max_confidence=0.5), 1),
        }
        print(f"baseline: Store.items (the whole pool) {1000 * baseline:.1f} ms")
        print(f"{'filter':42s} {'total':>7s} {'ms':>8s} {'ratio':>6s}")
        for name, (filters, page) in cases.items():
            found = store.browse("p", filters, guesses, page=page)
            seconds = median_seconds(lambda f=filters, p=page: store.browse(
                "p", f, guesses, page=p), args.repeat)
            print(f"{name:42s} {found['total']:7d} {1000 * seconds:8.1f} "
                  f"{seconds / baseline:6.2f}")
        store.close()


if __name__ == "__main__":
    main()
