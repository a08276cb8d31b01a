"""A labeling project's active-learning loop: the library's ``ActiveLoop`` with the
training policy and stopping rule its settings name.

``training`` names a policy of :mod:`activelab.training` (``full_refit``, ``incremental``,
``self_training``, ``ceal``); ``stopping`` a rule of :mod:`activelab.stopping`
(``stabilizing_predictions``, ``overall_uncertainty``, ``max_uncertainty``) with
``stop_threshold`` and ``stop_window``. The loop always holds a
:class:`~activelab.stopping.StabilizingPredictions`: the dashboard's stability columns
read its kappas.

>>> training_policy("self-training")
SelfTraining(threshold=0.9, max_per_class=None)
>>> training_policy("ful_refit")
Traceback (most recent call last):
...
activelab.errors.ActiveLabError: unknown training policy 'ful_refit' (did you mean 'full_refit'?); available: ceal, full_refit, incremental, self_training
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ActiveLabError
from ..loop import ActiveLoop
from ..pool import Pool
from ..stopping import MaxUncertainty, OverallUncertainty, StabilizingPredictions, StoppingRule
from ..training import CEAL, FullRefit, Incremental, SelfTraining, TrainingPolicy

if TYPE_CHECKING:
    from ..store import ProjectSettings

__all__ = ["STOPPING_RULES", "TRAINING_POLICIES", "build_loop", "check_loop_settings",
           "lookup", "stopping_rules", "training_policy"]

#: How many items the stabilizing-predictions signal compares between versions.
STOP_SET_SIZE = 1000

TRAINING_POLICIES: dict[str, type[TrainingPolicy]] = {
    "full_refit": FullRefit,
    "incremental": Incremental,
    "self_training": SelfTraining,
    "ceal": CEAL,
}
STOPPING_RULES: dict[str, type[StoppingRule]] = {
    "stabilizing_predictions": StabilizingPredictions,
    "overall_uncertainty": OverallUncertainty,
    "max_uncertainty": MaxUncertainty,
}
#: Other spellings: ``full`` is what ``activelab bench --training`` calls a full refit.
ALIASES = {"full": "full_refit"}


def lookup(kind: str, name: str, catalogue: Mapping[str, Any]) -> str:
    """The catalogue's spelling of ``name`` (case, ``-`` and ``_`` do not matter).

    An unknown name raises an ActiveLabError with the closest name and the whole list.
    The one place that finds a name, so it can switch to a shared registry helper.
    """
    key = str(name).strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in catalogue:
        close = difflib.get_close_matches(key, catalogue, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ActiveLabError(
            f"unknown {kind} {name!r}{hint}; available: {', '.join(sorted(catalogue))}")
    return key


def training_policy(name: str) -> TrainingPolicy:
    """A new :mod:`activelab.training` policy named ``name``, with its defaults."""
    return TRAINING_POLICIES[lookup("training policy", name, TRAINING_POLICIES)]()


def stopping_rules(name: str, threshold: float | None = None, window: int = 3,
                   seed: int = 0) -> list[StoppingRule]:
    """The :mod:`activelab.stopping` rules of a project: its stabilizing-predictions
    signal (on :data:`STOP_SET_SIZE` items drawn with ``seed``) and, when ``name`` is
    another rule, that rule with ``threshold``."""
    key = lookup("stopping rule", name, STOPPING_RULES)
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
    policy = training_policy(settings.training)
    stopping_rules(settings.stopping, settings.stop_threshold, settings.stop_window,
                   settings.seed)
    if isinstance(policy, Incremental):
        policy.method_for(model)  # names the models that can, in its error
    if isinstance(policy, (SelfTraining, CEAL)) and not hasattr(model, "predict_proba"):
        raise ActiveLabError(
            f"training {settings.training!r} pseudo-labels from class probabilities, and "
            f"model {settings.model!r} has no predict_proba; use --training full_refit or "
            "another --model")
    return replace(settings, training=lookup("training policy", settings.training,
                                             TRAINING_POLICIES),
                   stopping=lookup("stopping rule", settings.stopping, STOPPING_RULES))


def build_loop(settings: ProjectSettings, features: Any, item_ids: np.ndarray) -> ActiveLoop:
    """The project's loop over ``features`` (one row per id of ``item_ids``), without labels.

    Its batch size is the queue size and its seed the project's seed.
    """
    from ..models.catalog import make_model
    from ..strategies import get as get_strategy

    model = make_model(settings.model, settings.seed, sparse=hasattr(features, "tocsr"))
    return ActiveLoop(
        model, Pool(features, ids=item_ids), get_strategy(settings.strategy),
        batch_size=settings.queue_size,
        stopping=stopping_rules(settings.stopping, settings.stop_threshold,
                                settings.stop_window, settings.seed),
        training=training_policy(settings.training), random_state=settings.seed)
