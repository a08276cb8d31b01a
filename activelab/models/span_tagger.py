"""A small token-level model for spans of text (Label Studio's ``Labels`` over ``Text``).

Each token (a run of word characters, or one punctuation mark) gets the label of the span
that covers it, ``O`` outside every span; a logistic regression over hashed token features
(the word, its affixes and shape, its neighbours) learns them. Consecutive tokens with the
same label make one predicted span. A text's uncertainty is its least sure token's
``1 - max probability``: the texts to label first are those with a token the model cannot
place.

>>> tagger = SpanTagger(("CITY",)).fit(
...     ["I live in Paris", "Rome is old", "we like cake", "Paris is big", "cake in Rome"],
...     [((10, 15, "CITY"),), ((0, 4, "CITY"),), (), ((0, 5, "CITY"),), ((8, 12, "CITY"),)])
>>> tagger.predict(["flights to Paris"])
[((11, 16, 'CITY'),)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ActiveLabError

__all__ = ["OUTSIDE", "SPAN_MODEL", "SPAN_SCORE", "SpanTagger", "token_labels", "tokenize"]

OUTSIDE = "O"
#: The span model's name where models are named (the server, Label Studio's backend) ...
SPAN_MODEL = "tokens-logreg"
#: ... and its score, which is its own uncertainty rather than a strategy of the registry.
SPAN_SCORE = "token-uncertainty"
_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` character offsets of ``text``'s tokens."""
    return [match.span() for match in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", re.sub(r"\d", "d", re.sub(r"[a-z]", "x",
                                                              re.sub(r"[A-Z]", "X", word))))


def _token_features(text: str, offsets: list[tuple[int, int]]) -> list[dict[str, float]]:
    words = [text[start:end] for start, end in offsets]
    rows = []
    for i, word in enumerate(words):
        lower = word.lower()
        row = {"bias": 1.0, f"w={lower}": 1.0, f"pre={lower[:3]}": 1.0,
               f"suf={lower[-3:]}": 1.0, f"shape={_shape(word)}": 1.0,
               f"prev={words[i - 1].lower() if i else '<s>'}": 1.0,
               f"next={words[i + 1].lower() if i + 1 < len(words) else '</s>'}": 1.0}
        if i and words[i - 1][:1].isupper():
            row["prev_title"] = 1.0
        rows.append(row)
    return rows


def token_labels(offsets: list[tuple[int, int]], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """Each token's label: the label of the span that covers it, else ``O``."""
    labels = []
    for start, end in offsets:
        inside = [label for s, e, label in spans if s <= start and end <= e]
        labels.append(inside[0] if inside else OUTSIDE)
    return labels


class SpanTagger:
    """Token classifier for spans labeled ``labels``; ``C`` is the logistic regression's
    inverse regularization."""

    def __init__(self, labels: Sequence[str], C: float = 1.0, random_state: int = 0) -> None:
        self.labels = labels
        self.C = C
        self.random_state = random_state

    def _features(self, texts: Sequence[str]) -> tuple[Any, list[int]]:
        from sklearn.feature_extraction import FeatureHasher

        rows: list[dict[str, float]] = []
        counts = []
        for text in texts:
            token_rows = _token_features(text, tokenize(text))
            rows.extend(token_rows)
            counts.append(len(token_rows))
        hasher = FeatureHasher(n_features=2 ** 18, alternate_sign=False)
        return hasher.transform(rows or [{}]), counts

    def fit(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int, str]]]) -> SpanTagger:
        from sklearn.linear_model import LogisticRegression

        X, _ = self._features(texts)
        y = [label for text, text_spans in zip(texts, spans)
             for label in token_labels(tokenize(text), text_spans)]
        if len(set(y)) < 2:
            raise ActiveLabError("the span model needs labeled tokens inside and outside "
                                 "spans; label a text with at least one span first")
        self.model_ = LogisticRegression(C=self.C, max_iter=1000,
                                         random_state=self.random_state).fit(X, y)
        return self

    def _token_proba(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        X, counts = self._features(texts)
        return self.model_.predict_proba(X), counts

    def predict(self, texts: Sequence[str]) -> list[tuple[tuple[int, int, str], ...]]:
        """Each text's spans: runs of tokens with the same label other than ``O``."""
        proba, counts = self._token_proba(texts)
        names = self.model_.classes_[proba.argmax(axis=1)]
        out, row = [], 0
        for text, n in zip(texts, counts):
            spans: list[list[Any]] = []
            for (start, end), label in zip(tokenize(text), names[row:row + n]):
                if label == OUTSIDE:
                    continue
                if spans and spans[-1][2] == label and not text[spans[-1][1]:start].strip():
                    spans[-1][1] = end
                else:
                    spans.append([start, end, str(label)])
            out.append(tuple((s, e, label) for s, e, label in spans))
            row += n
        return out

    def uncertainty(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's least sure token's ``1 - max probability`` (0 for a text without
        tokens)."""
        proba, counts = self._token_proba(texts)
        doubt = 1.0 - proba.max(axis=1)
        bounds = np.cumsum([0, *counts])
        return np.array([doubt[a:b].max() if b > a else 0.0
                         for a, b in zip(bounds[:-1], bounds[1:])])
