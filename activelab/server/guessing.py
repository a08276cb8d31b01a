"""The model's guesses, per task type: what a trained model version would answer for every
item, stored with the version (:mod:`activelab.store.guesses`) and shown, pre-selected, to
the annotator (Prodigy's "teach" flow).

A guesser takes the fitted model, the pool's features, the store's item ids (one per row)
and the project's labels, and yields ``(item_id, value, confidence)``: ``value`` is an
answer value string as the store keeps answers (single choice: the label's name) and
``confidence`` the model's predicted probability of that value. :data:`GUESSERS` maps a
task type (``ProjectSettings.task``) to its guesser; a task type without one, or a model
without ``predict_proba``, shows no guess.

>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> model = LogisticRegression().fit(X, ["neg", "neg", "pos", "pos"])
>>> [(i, v) for i, v, _c in model_guesses("single", model, X, np.array([7, 8, 9, 10]))]
[(7, 'neg'), (8, 'neg'), (9, 'pos'), (10, 'pos')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["GUESSERS", "Guesser", "model_guesses", "single_choice_guesses"]

#: ``(model, features, item_ids, labels) -> (item_id, value, confidence), ...``
Guesser = Callable[[Any, Any, np.ndarray, Sequence[str]], Iterator[tuple[int, str, float]]]

#: Rows predicted at once, so a large pool never needs one huge probability matrix.
CHUNK_ROWS = 2000


def single_choice_guesses(model: Any, features: Any, item_ids: np.ndarray,
                          labels: Sequence[str] = ()) -> Iterator[tuple[int, str, float]]:
    """The most probable class of each row, with its probability."""
    classes = np.asarray(model.classes_)
    for start in range(0, len(item_ids), CHUNK_ROWS):
        proba = np.asarray(model.predict_proba(features[start:start + CHUNK_ROWS]))
        best = proba.argmax(axis=1)
        for item_id, column, row in zip(item_ids[start:start + CHUNK_ROWS], best, proba):
            yield int(item_id), str(classes[column]), float(row[column])


#: The guesser of each task type; other task types register theirs here.
GUESSERS: dict[str, Guesser] = {"single": single_choice_guesses}


def model_guesses(task: str, model: Any, features: Any, item_ids: np.ndarray,
                  labels: Sequence[str] = ()) -> list[tuple[int, str, float]]:
    """Every item's guess by ``model`` for a project of task type ``task``; empty where
    the task type has no guesser or the model gives no probabilities."""
    guesser = GUESSERS.get(task)
    if guesser is None or not hasattr(model, "predict_proba"):
        return []
    return list(guesser(model, features, np.asarray(item_ids), labels))
