"""Generated data for the task types beyond single choice, with the true answer of each
item as a stored value: multi-label topics, ratings of restaurant reviews (1 to 5) and
people and places in sentences (spans). Nothing is downloaded.

>>> import json
>>> row = make_task_rows("spans", 3, seed=1)[1]
>>> row["text"], [row["text"][s:e] for s, e, _label in json.loads(row["answer"])]
('Elanel flew to Lotolo last week', ['Elanel', 'Lotolo'])
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
_GOOD = ["great", "excellent", "tasty", "lovely", "superb", "fresh", "friendly", "perfect",
         "delicious", "charming"]
_BAD = ["awful", "bland", "rude", "cold", "stale", "slow", "dirty", "terrible", "soggy",
        "noisy"]
_PLAIN = ["the", "food", "service", "table", "dinner", "menu", "waiter", "evening", "place",
          "we", "our", "was", "and"]
_SYLLABLES = ["ka", "lo", "mi", "ra", "to", "ne", "su", "vi", "da", "mo", "re", "an", "el",
              "is", "or"]
_FRAMES = ["{P} flew to {L} last week", "yesterday {P} met {Q} in {L}", "{P} lives in {L}",
           "the train to {L} was late", "{P} says the weather is fine", "we stayed home today",
           "{P} and {Q} moved from {L} to {M}", "a report from {L} on prices",
           "{L} beat {M} in the final", "ask {P} about {Q}", "{P} visited {Q} at home",
           "flights from {L} are cheap", "{P} wrote to {Q} from {L}", "{L} is near {M}",
           "Monday was cold in {L}", "the mayor of {L} thanked {P}"]


def _name(rng: np.random.Generator) -> str:
    """A made-up name: people and places share the syllables, so only the context tells."""
    return "".join(_SYLLABLES[rng.integers(len(_SYLLABLES))]
                   for _ in range(int(rng.integers(2, 4)))).capitalize()


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
    frame = _FRAMES[rng.choice(len(_FRAMES), p=_FRAME_WEIGHTS)]
    fill = {key: _name(rng) for key in "PQLM"}
    text, spans = "", []
    for piece in frame.replace("}", "{").split("{"):
        if piece in fill:
            spans.append([len(text), len(text) + len(fill[piece]),
                          "PER" if piece in "PQ" else "LOC"])
            text += fill[piece]
        else:
            text += piece
    return text, json.dumps(spans, separators=(",", ":"))


#: Some sentence frames are rare: the ones a random sample of texts tends to miss.
_FRAME_WEIGHTS = np.array([8, 6, 8, 4, 4, 4, 2, 2, 1, 1, 1, 2, 1, 1, 2, 1], dtype=float)
_FRAME_WEIGHTS /= _FRAME_WEIGHTS.sum()

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
