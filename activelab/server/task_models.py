"""The model, strategy and measure of each task type beyond single choice, and the model's
guess per item as an answer value with a confidence.

* ``multi``: the multi-label model of :mod:`activelab.models.catalog` (one logistic
  regression per label) in the library's loop with a multi-label strategy
  (``br_uncertainty`` by default); measured by cross-validated micro-F1;
* ``rating``: a regression model (``ridge`` by default) with a regression strategy
  (``igs``, improved greedy sampling, by default: in ``benchmarks/server_tasks.py`` it
  needed fewer labels than random order, ``emcm`` more); measured by cross-validated R^2
  and mean absolute error;
* ``spans``: :class:`~activelab.models.span_tagger.SpanTagger`, a token-level logistic
  regression; texts are asked for by their least sure token; measured by cross-validated
  token F1 (tokens inside spans, exact label).

>>> defaults("rating")
('igs', 'ridge')
>>> import numpy as np
>>> from sklearn.linear_model import Ridge
>>> model = Ridge().fit(np.array([[0.0], [1.0], [2.0]]), [1.0, 2.0, 3.0])
>>> [value for value, _ in guess_values("rating", model, np.array([[1.4], [9.0]]),
...                                     config=LabelConfig(min=1, max=5, step=1))]
['2', '5']
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..models.span_tagger import OUTSIDE, SPAN_MODEL, SPAN_SCORE, SpanTagger, token_labels, tokenize
from ..store.task_types import LabelConfig, task_type

if TYPE_CHECKING:
    from ..store import ProjectSettings

__all__ = ["TaskRound", "defaults", "guess_values", "task_view", "token_counts", "train_round",
           "votes_agreement"]

_DEFAULTS = {"multi": ("br_uncertainty", "logreg"), "rating": ("igs", "ridge"),
             "spans": (SPAN_SCORE, SPAN_MODEL)}


def defaults(task: str) -> tuple[str, str]:
    """The strategy and model a ``task`` project gets when none is named."""
    return _DEFAULTS[task_type(task).name]


@dataclass
class TaskRound:
    """One retrain of a task type: the fitted ``model``, the queue ``ranked`` (item id,
    score; best first, empty before the cold start is over) and ``metrics``."""

    model: Any
    ranked: list[tuple[int, float]]
    metrics: dict[str, Any]


def _targets(task: str, values: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    if task == "multi":
        chosen = [set(json.loads(v)) for v in values]
        return np.array([[label in row for label in labels] for row in chosen], dtype=np.int64)
    return np.array([float(v) for v in values])


def train_round(settings: ProjectSettings, features: Any, item_ids: np.ndarray,
                texts: Sequence[str], labeled: dict[int, str]) -> TaskRound | None:
    """Fit ``settings.task``'s model on ``labeled`` (item id -> answer value) and rank the
    other items; ``None`` while the labels cannot train it yet."""
    ready = len(labeled) >= settings.cold_start_per_class * max(2, len(settings.labels))
    if settings.task == "spans":
        return _spans_round(settings, item_ids, texts, labeled, ready)
    ids = np.array(sorted(labeled), dtype=np.int64)
    y = _targets(settings.task, [labeled[int(i)] for i in ids], settings.labels)
    if len(ids) < 2 or (settings.task == "rating" and len(set(y.tolist())) < 2):
        return None
    from .project_loop import build_loop

    loop = build_loop(replace(settings, control=0.0), features, item_ids,
                      task=task_type(settings.task).catalog)
    loop.pool.add_labels(ids, y, annotator="server")
    loop.fit()
    ranked: list[tuple[int, float]] = []
    if ready and loop.pool.n_unlabeled:
        query = loop.ask(min(settings.queue_size, loop.pool.n_unlabeled),
                         random_state=settings.seed)
        ranked = [(int(i), float(s)) for i, s in zip(query.ids, query.scores)]
    X, _ = loop.pool.labeled_data()
    return TaskRound(loop.model, ranked, _cv_metrics(settings, X, y))


def _folds(n: int) -> int:
    return min(5, n // 2)


def _cv_metrics(settings: ProjectSettings, X: Any, y: np.ndarray) -> dict[str, Any]:
    """Cross-validated micro-F1 (multi) or R^2 and mean absolute error (rating)."""
    from sklearn.model_selection import KFold, cross_validate

    from ..models.catalog import make_model

    folds = _folds(len(y))
    if folds < 2:
        return {}
    model = make_model(settings.model, settings.seed, sparse=hasattr(X, "tocsr"),
                       task=task_type(settings.task).catalog)
    cv = KFold(n_splits=folds, shuffle=True, random_state=settings.seed)
    if settings.task == "multi":
        found = cross_validate(model, X, y, cv=cv, scoring="f1_micro")
        return {"cv_metric": "micro-F1", "cv_score": round(float(np.mean(found["test_score"])), 4)}
    found = cross_validate(model, X, y, cv=cv, scoring=("r2", "neg_mean_absolute_error"))
    return {"cv_metric": "R^2", "cv_score": round(float(np.mean(found["test_r2"])), 4),
            "cv_mae": round(-float(np.mean(found["test_neg_mean_absolute_error"])), 4)}


def _spans_round(settings: ProjectSettings, item_ids: np.ndarray, texts: Sequence[str],
                 labeled: dict[int, str], ready: bool) -> TaskRound | None:
    """The token model on the labeled texts; the others ranked by their least sure token."""
    spans = {i: [tuple(s) for s in json.loads(v)] for i, v in labeled.items()}
    if not any(spans.values()):
        return None
    position = {int(i): p for p, i in enumerate(item_ids)}
    ids = sorted(i for i in spans if i in position)
    train = [texts[position[i]] for i in ids]
    tagger = SpanTagger(settings.labels, random_state=settings.seed).fit(
        train, [spans[i] for i in ids])
    ranked: list[tuple[int, float]] = []
    if ready:
        rest = [int(i) for i in item_ids if int(i) not in spans]
        doubt = tagger.uncertainty([texts[position[i]] for i in rest]) if rest else np.zeros(0)
        order = np.argsort(-doubt, kind="stable")[:settings.queue_size]
        ranked = [(rest[p], float(doubt[p])) for p in order]
    return TaskRound(tagger, ranked, _token_f1_cv(settings, train, [spans[i] for i in ids]))


def _token_f1_cv(settings: ProjectSettings, texts: list[str],
                 spans: list[list[tuple[int, int, str]]]) -> dict[str, Any]:
    """Cross-validated token F1: tokens inside spans whose label the model gets exactly."""
    from sklearn.model_selection import KFold

    folds = _folds(len(texts))
    if folds < 2:
        return {}
    counts = np.zeros(3)
    for train, test in KFold(folds, shuffle=True, random_state=settings.seed).split(texts):
        if not any(spans[i] for i in train):
            continue
        tagger = SpanTagger(settings.labels, random_state=settings.seed).fit(
            [texts[i] for i in train], [spans[i] for i in train])
        counts += token_counts([texts[i] for i in test], [spans[i] for i in test],
                               tagger.predict([texts[i] for i in test]))
    if counts[1] + counts[2] == 0:
        return {}
    return {"cv_metric": "token F1", "cv_score": round(2 * counts[0] / (counts[1] + counts[2]), 4)}


def token_counts(texts: Sequence[str], truth: Sequence[Sequence[tuple[int, int, str]]],
                 found: Sequence[Sequence[tuple[int, int, str]]]) -> np.ndarray:
    """``[tokens labeled right inside spans, tokens predicted inside spans, tokens truly
    inside spans]`` over ``texts``: token F1 is ``2 * right / (predicted + true)``."""
    counts = np.zeros(3)
    for text, want_spans, got_spans in zip(texts, truth, found):
        offsets = tokenize(text)
        want, got = token_labels(offsets, want_spans), token_labels(offsets, got_spans)
        counts += (sum(w == g != OUTSIDE for w, g in zip(want, got)),
                   sum(g != OUTSIDE for g in got), sum(w != OUTSIDE for w in want))
    return counts


def guess_values(task: str, model: Any, rows: Any, labels: Sequence[str] = (),
                 config: LabelConfig | None = None,
                 sigma: float | None = None) -> list[tuple[str, float]]:
    """The fitted ``model``'s guess for each row as ``(answer value, confidence 0..1)``.

    ``rows`` are feature rows (texts for ``spans``). single: the likeliest label and its
    probability; multi: the labels of probability at least 0.5 and the probability of
    that whole set (labels independent); rating: the prediction on the scale's nearest
    step and the chance of that step under a normal error of ``sigma`` (default: one
    step); spans: the predicted spans and the least sure token's probability."""
    config = config or LabelConfig()
    kind = task_type(task).name
    if kind == "spans":
        spans = model.predict(list(rows))
        doubt = model.uncertainty(list(rows))
        return [(json.dumps([list(s) for s in found], separators=(",", ":"),
                            ensure_ascii=False), round(1.0 - float(d), 4))
                for found, d in zip(spans, doubt)]
    if kind == "rating":
        return [_rating_guess(float(x), config, sigma) for x in np.ravel(model.predict(rows))]
    proba = np.asarray(model.predict_proba(rows), dtype=float)
    if kind == "single":
        classes = list(getattr(model, "classes_", labels))
        return [(str(classes[int(p.argmax())]), round(float(p.max()), 4)) for p in proba]
    on = proba >= 0.5
    sure = np.where(on, proba, 1.0 - proba).prod(axis=1)
    return [(json.dumps([label for label, flag in zip(labels, row) if flag],
                        separators=(",", ":"), ensure_ascii=False), round(float(s), 4))
            for row, s in zip(on, sure)]


def _rating_guess(raw: float, config: LabelConfig, sigma: float | None) -> tuple[str, float]:
    steps = round((min(max(raw, config.min), config.max) - config.min) / config.step)
    value = min(config.min + steps * config.step, config.max)
    spread = sigma if sigma and sigma > 0 else config.step

    def below(x: float) -> float:
        return 0.5 * (1.0 + math.erf((x - raw) / (spread * math.sqrt(2.0))))

    chance = below(value + config.step / 2) - below(value - config.step / 2)
    return task_type("rating").parse(value, (), config), round(chance, 4)


def task_view(info: dict[str, Any]) -> dict[str, Any]:
    """What the pages need of a project's task type (``info``: ``Store.project_info``): its
    ``task``, each label's name, description, colour and key, the rating scale, and
    ``display(value, text)``."""
    from ..store.task_types import task_of

    kind, config = task_of(info["settings"])
    return {"task": kind.name, "labels": config.shown(info["labels"]), "min": config.min,
            "max": config.max, "step": config.step, "display": kind.display}


def votes_agreement(info: dict[str, Any], votes: Sequence[tuple[int, str, str]]) -> \
        dict[str, Any] | None:
    """The task type's agreement over ``votes`` (``(item, annotator, value)``) for the
    dashboard; ``None`` for single choice, whose kappas :mod:`~activelab.server.agreement`
    measures."""
    from collections import defaultdict

    from ..store.task_types import task_of

    kind, config = task_of(info["settings"])
    if kind.name == "single":
        return None
    by_item: dict[int, list[str]] = defaultdict(list)
    for item, _annotator, value in votes:
        by_item[item].append(value)
    return kind.agreement(by_item, config)
