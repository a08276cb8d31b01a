"""A generated text-classification set for trying the server, its tests and benchmarks:
short "news" snippets on a few topics, some clear, some mixed. Nothing is downloaded.

>>> rows = make_texts(6, seed=0)
>>> sorted(rows[0])
['id', 'label', 'text']
>>> make_texts(6, seed=0) == rows
True
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

__all__ = ["TOPICS", "make_texts", "write_csv"]



def _words(text: str) -> list[str]:
    return text.split()


TOPICS: dict[str, list[str]] = {
    "sport": _words("match goal team coach league season player score striker referee stadium "
             "tournament final victory defeat keeper penalty race champion medal"),
    "food": _words("recipe oven flour sugar butter garlic pasta sauce soup bake roast salad "
            "spice dinner kitchen chef taste dessert bread cheese"),
    "space": _words("orbit rocket planet star galaxy telescope launch moon astronaut comet "
             "satellite mission crater nebula solar gravity asteroid probe mars cosmos"),
}
COMMON = _words("the a of and to in on with for new today after report says this was big first "
          "late early week people city year")


def make_texts(n: int, seed: int = 0, labels: tuple[str, ...] | None = None,
               weights: tuple[float, ...] = (0.6, 0.25, 0.15)) -> list[dict[str, str]]:
    """``n`` rows ``{id, text, label}``. Topics are imbalanced (``weights``); each text mixes
    its own topic's words with another topic's in a random proportion, so some items are
    easy and some ambiguous."""
    rng = np.random.default_rng(seed)
    names = list(labels or TOPICS)
    p = np.asarray(weights[: len(names)], dtype=float)
    p /= p.sum()
    rows = []
    for i in range(n):
        topic = names[rng.choice(len(names), p=p)]
        other = names[(names.index(topic) + 1 + rng.integers(len(names) - 1)) % len(names)]
        purity = rng.uniform(0.45, 1.0)
        words = []
        for _ in range(int(rng.integers(8, 15))):
            u = rng.random()
            if u < 0.35:
                words.append(COMMON[rng.integers(len(COMMON))])
            else:
                source = topic if rng.random() < purity else other
                words.append(TOPICS[source][rng.integers(len(TOPICS[source]))])
        rows.append({"id": f"doc-{i:05d}", "text": " ".join(words), "label": topic})
    return rows


def write_csv(path: str | Path, n: int, seed: int = 0, with_labels: bool = False) -> Path:
    """Write ``make_texts(n, seed)`` as CSV (``id,text``, plus ``label`` if asked)."""
    path = Path(path)
    columns = ["id", "text", "label"] if with_labels else ["id", "text"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(make_texts(n, seed))
    return path
