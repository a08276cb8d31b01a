"""A labeling project's active-learning loop: the library's ``ActiveLoop`` with the
training policy and stopping rule its settings name.

``training`` names a policy of :mod:`activelab.training` (``full_refit``, ``incremental``,
``self_training``, ``ceal``); ``stopping`` a rule of :mod:`activelab.stopping`
(``stabilizing_predictions``, ``overall_uncertainty``, ``max_uncertainty``,
``expected_gain``) with
``stop_threshold`` and ``stop_window``. The loop always holds a
:class:`~activelab.stopping.StabilizingPredictions`: the dashboard's stability columns
read its kappas.

>>> [type(rule).__name__ for rule in stopping_rules("max_uncertainty", threshold=0.1)]
['StabilizingPredictions', 'MaxUncertainty']
>>> stopping_rules("max_uncertanty")
Traceback (most recent call last):
...
activelab.errors.ActiveLabError: unknown stopping rule 'max_uncertanty' (did you mean 'max_uncertainty'?); available: expected_gain, max_uncertainty, overall_uncertainty, stabilizing_predictions
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ActiveLabError
from ..loop import ActiveLoop
from ..pool import Pool
from ..stop_gain import ExpectedGain
from ..stopping import STOPPING_RULES, StabilizingPredictions, StoppingRule
from ..training import TRAINING_POLICIES, training_policy

if TYPE_CHECKING:
    from ..store import ProjectSettings

__all__ = ["build_loop", "check_loop_settings", "control_metrics", "stopping_rules"]

#: The expected_gain threshold of the dashboard's stop recommendation when the project
#: stops by another rule: half an accuracy point per 10 labels.
DEFAULT_MIN_GAIN = 0.0005

#: How many items the stabilizing-predictions signal compares between versions.
STOP_SET_SIZE = 1000


def stopping_rules(name: str, threshold: float | None = None, window: int = 3,
                   seed: int = 0) -> list[StoppingRule]:
    """The :mod:`activelab.stopping` rules of a project: its stabilizing-predictions
    signal (on :data:`STOP_SET_SIZE` items drawn with ``seed``) and, when ``name`` is
    another rule, that rule with ``threshold``."""
    key = STOPPING_RULES.canonical(name)
    stabilizing_threshold = threshold if key == "stabilizing_predictions" and \
        threshold is not None else 0.99
    rules: list[StoppingRule] = [StabilizingPredictions(
        threshold=stabilizing_threshold, window=window, stop_set_size=STOP_SET_SIZE,
        random_state=seed)]
    if key != "stabilizing_predictions":
        if threshold is None:
            raise ActiveLabError(
                f"stopping rule {key!r} needs a threshold (the uncertainty, 0..1, at which "
                "labeling may stop), e.g. --stop-threshold 0.1")
        rules.append(STOPPING_RULES[key](threshold))  # type: ignore[call-arg]
    return rules


def check_loop_settings(settings: ProjectSettings, model: Any) -> ProjectSettings:
    """``settings`` with the catalogue's spelling of its training policy and stopping rule;
    refuses, before a project is created, one that is unknown or that ``model`` (a fresh
    model of the project) cannot follow."""
    training_policy(settings.training).check_model(model)
    stopping_rules(settings.stopping, settings.stop_threshold, settings.stop_window,
                   settings.seed)
    return replace(settings, training=TRAINING_POLICIES.canonical(settings.training),
                   stopping=STOPPING_RULES.canonical(settings.stopping))


def build_loop(settings: ProjectSettings, features: Any, item_ids: np.ndarray,
               task: str = "classification") -> ActiveLoop:
    """The project's loop over ``features`` (one row per id of ``item_ids``), without labels.

    Its batch size is the queue size and its seed the project's seed; ``task`` picks the
    model catalog (``multilabel`` for Label Studio's multiple choice and multi-label
    projects, ``regression`` for ratings). The stopping rules compare predicted classes:
    a multi-label or regression loop has none.
    """
    from ..models.catalog import make_model
    from ..strategies import get as get_strategy

    model = make_model(settings.model, settings.seed, sparse=hasattr(features, "tocsr"),
                       task=task)
    rules = stopping_rules(settings.stopping, settings.stop_threshold, settings.stop_window,
                           settings.seed)
    if task == "regression":
        rules = []
    for rule in rules:
        if isinstance(rule, ExpectedGain):  # the next batch is a retrain's worth of labels
            rule.batch = settings.retrain_every
    return ActiveLoop(
        model, Pool(features, ids=item_ids), get_strategy(settings.strategy),
        batch_size=settings.queue_size, stopping=rules,
        training=training_policy(settings.training), random_state=settings.seed,
        control=settings.control)


def control_metrics(loop: ActiveLoop, batch: int, min_gain: float | None) -> dict[str, Any]:
    """The random control's latest estimates for the dashboard (``control``: the record's
    estimates and ``summary``, a sentence) and the ``stop_recommendation`` of an
    :class:`~activelab.stop_gain.ExpectedGain` rule for the next ``batch`` labels
    (``min_gain``: the project's threshold, or :data:`DEFAULT_MIN_GAIN`)."""
    from ..control import describe

    latest = next((r for r in reversed(loop.history) if r.control is not None), None)
    if loop.control is None or latest is None:
        return {}
    found: dict[str, Any] = {"control": {**latest.control, "summary": describe(latest.control)}}
    threshold = DEFAULT_MIN_GAIN if min_gain is None else min_gain
    rule = ExpectedGain(threshold, confidence=loop.control.confidence, batch=batch)
    reason = rule.reason(loop)
    note = loop.history[-1].info.get("expected_gain")
    if note is None:
        n = len(loop.control.draws)
        found["stop_recommendation"] = {
            "stop": False, "min_gain": threshold,
            "summary": (f"go on: {n} of the {rule.min_items} random control items needed to "
                        "estimate the next labels' gain are labeled")}
    else:
        found["stop_recommendation"] = {
            "stop": reason is not None, "min_gain": threshold, **note,
            "summary": (f"stop: {note['statement']}, below {threshold:g}" if reason
                        else f"go on: {note['statement']}, not below {threshold:g}")}
    return found
