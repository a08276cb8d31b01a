"""BatchBALD's peak memory and time: pool 10 000, 20 MC samples, 10 classes, batch 10.

Run: OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/deep_batchbald_memory.py

The samples are Dirichlet draws (the selection's cost does not depend on where they come
from). Peak memory is measured with tracemalloc (NumPy's buffers are traced) and reported
against the samples array itself, the input every method must hold; time is reported
against top-k BALD measured in the same run. This machine is shared with other jobs:
absolute times drift, the ratios less.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from activelab.strategies.deep import bald, batch_bald


def measure(fn):
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def main(n: int = 10_000, n_samples: int = 20, n_classes: int = 10, k: int = 10) -> None:
    rng = np.random.default_rng(0)
    # Items of varied certainty: Dirichlet around a per-item mean.
    means = rng.dirichlet(np.full(n_classes, 0.3), size=n)
    samples = np.stack([rng.dirichlet(50 * means[i] + 0.05, size=n_samples) for i in range(n)])
    input_mb = samples.nbytes / 2**20
    print(f"pool {n}, {n_samples} samples, {n_classes} classes, batch {k}; "
          f"samples array (float64) {input_mb:.1f} MiB")
    _, t_bald, peak_bald = measure(lambda: np.argsort(-bald(samples))[:k])
    print(f"top-k BALD            peak {peak_bald / 2**20:7.1f} MiB  time {t_bald:6.2f} s  (baseline)")
    for limit, chunk in [(1000, 128), (1000, 32), (1000, 512), (4000, 128)]:
        (picks, gains), t, peak = measure(
            lambda limit=limit, chunk=chunk: batch_bald(
                samples, k, np.random.default_rng(0), max_configurations=limit, chunk_size=chunk
            )
        )
        print(f"BatchBALD M={limit:5d} chunk={chunk:4d}  peak {peak / 2**20:7.1f} MiB "
              f"({peak / samples.nbytes:4.2f}x the samples)  time {t:6.2f} s "
              f"({t / t_bald:6.1f}x top-k BALD)  total information {gains.sum():.3f} nats")
    exact_floats = n_classes**k * n_samples
    print(f"for scale: the exact joint of 10 items would be {n_classes}^{k} x {n_samples} "
          f"floats = {exact_floats * 8 / 2**40:.1f} TiB")


if __name__ == "__main__":
    main()
