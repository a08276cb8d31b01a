"""The text demo's data: the generated topic sentences embedded once with MiniLM, as an .npz.

Run: OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/deep_text.py sentences.npz
then: activelab bench --data sentences.npz --model minilm-head --strategies margin,badge,random ...

This is the frozen-embedding pipeline: the pool is embedded once (timed here), and every
round of every strategy and repeat trains only the small head on the cached vectors.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from activelab.models.text import SentenceEmbedder, load_sentences


def main(path: str, n_per_topic: int = 120) -> None:
    texts, labels = load_sentences(n_per_topic=n_per_topic, random_state=0)
    embedder = SentenceEmbedder(device="cpu")
    start = time.perf_counter()
    X = embedder(texts)
    first = time.perf_counter() - start
    start = time.perf_counter()
    embedder(texts)
    cached = time.perf_counter() - start
    topics = np.unique(labels)
    y = np.searchsorted(topics, labels)
    np.savez(path, X=X.astype(np.float64), y=y)
    print(f"{len(texts)} sentences, {len(topics)} topics ({', '.join(topics)}) -> {path}")
    print(f"MiniLM embedding: {first:.2f} s the first time (includes loading the model), "
          f"{cached * 1000:.1f} ms from the cache ({first / max(cached, 1e-9):.0f}x)")
    print("examples:", *texts[:3], sep="\n  ")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sentences.npz")
