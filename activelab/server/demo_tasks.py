"""Generated data for the task types beyond single choice, with the true answer of each
item as a stored value: multi-label topics, ratings of restaurant reviews (1 to 5) and
people and places in sentences (spans). Nothing is downloaded.

>>> row = make_task_rows("spans", 3, seed=0)[0]
>>> import json; [row["text"][s:e] for s, e, _label in json.loads(row["answer"])] != []
True
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .demo import COMMON, TOPICS

__all__ = ["TASK_LABELS", "make_task_rows", "write_task_csv"]

#: The labels of each generated task (ratings have a scale, 1 to 5, instead).
TASK_LABELS = {"multi": ("sport", "food", "space"), "rating": (), "spans": ("PER", "LOC")}
_GOOD = ["great", "excellent", "tasty", "lovely", "superb", "fresh", "friendly", "perfect", "delicious", "charming"]
_BAD = ["awful", "bland", "rude", "cold", "stale", "slow", "dirty", "terrible", "soggy", "noisy"]
_PLAIN = ["the", "food", "service", "table", "dinner", "menu", "waiter", "evening", "place", "we", "our", "was", "and"]
_PEOPLE = ["Alice", "Bruno", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jonas", "Kemal", "Lena"]
_PLACES = ["Paris", "Lagos", "Oslo", "Lima", "Kyoto", "Cairo", "Quito", "Dakar", "Perth", "Riga", "Minsk", "Hanoi"]
_FRAMES = ["{P} flew to {L} last week", "yesterday {P} met {Q} in {L}", "{P} lives in {L}",
           "the train to {L} was late", "{P} says the weather is fine", "we stayed home today",
           "{P} and {Q} moved from {L} to {M}", "a report from {L} on prices"]


def _multi(rng: np.random.Generator, i: int) -> tuple[str, str]:
    names = list(TOPICS)
    chosen = [t for t in names if rng.random() < 0.4]
    words = [COMMON[rng.integers(len(COMMON))] for _ in range(int(rng.integers(3, 7)))]
    for topic in chosen:
        words += [TOPICS[topic][rng.integers(len(TOPICS[topic]))]
                  for _ in range(int(rng.integers(2, 5)))]
    rng.shuffle(words)
    return " ".join(words), json.dumps(chosen, separators=(",", ":"))


def _rating(rng: np.random.Generator, i: int) -> tuple[str, str]:
    n = int(rng.integers(3, 7))
    good = int(rng.integers(0, n + 1))
    words = [_GOOD[rng.integers(len(_GOOD))] for _ in range(good)]
    words += [_BAD[rng.integers(len(_BAD))] for _ in range(n - good)]
    words += [_PLAIN[rng.integers(len(_PLAIN))] for _ in range(int(rng.integers(3, 7)))]
    rng.shuffle(words)
    return " ".join(words), str(1 + round(4 * good / n))


def _spans(rng: np.random.Generator, i: int) -> tuple[str, str]:
    frame = _FRAMES[rng.integers(len(_FRAMES))]
    fill = {"P": _PEOPLE[rng.integers(6)], "Q": _PEOPLE[6 + rng.integers(6)],
            "L": _PLACES[rng.integers(6)], "M": _PLACES[6 + rng.integers(6)]}
    text, spans = "", []
    for piece in frame.replace("}", "{").split("{"):
        if piece in fill:
            spans.append([len(text), len(text) + len(fill[piece]),
                          "PER" if piece in "PQ" else "LOC"])
            text += fill[piece]
        else:
            text += piece
    return text, json.dumps(spans, separators=(",", ":"))


_MAKERS = {"multi": _multi, "rating": _rating, "spans": _spans}


def make_task_rows(task: str, n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` rows ``{id, text, answer}`` of ``task`` (multi, rating or spans); ``answer`` is
    the true answer as the server stores it."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        text, answer = _MAKERS[task](rng, i)
        rows.append({"id": f"{task}-{i:05d}", "text": text, "answer": answer})
    return rows


def write_task_csv(path: str | Path, task: str, n: int, seed: int = 0) -> Path:
    """Write ``make_task_rows(task, n, seed)`` as CSV with the columns ``id,text``."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(make_task_rows(task, n, seed))
    return path
