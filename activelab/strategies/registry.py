"""Strategies by name, for the command line and for scripts.

>>> from activelab import strategies
>>> strategies.get("margin")
MarginSampling(selector=None)
>>> "entropy" in strategies.available()
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..registry import Registry, snake_case

__all__ = ["DEFAULT_STRATEGY", "STRATEGIES", "available", "canonical_name", "get", "name_of", "register"]

#: Every strategy class by name (case and ``-``/``_`` do not matter).
STRATEGIES: Registry[type] = Registry("strategy", normalise=snake_case)
S = TypeVar("S", bound=type)

#: The strategy a command uses when none is named (one place, so that every command
#: follows the library's default).
DEFAULT_STRATEGY = "auto"


def register(name: str) -> Callable[[S], S]:
    """Class decorator: make a strategy reachable as ``get(name)``."""
    return STRATEGIES.register(name)


def available() -> list[str]:
    """Every registered strategy name, sorted."""
    return STRATEGIES.available()


def canonical_name(name: str) -> str:
    """The registered spelling of ``name`` (case and ``-``/``_`` do not matter)."""
    return STRATEGIES.canonical(name)


def get(name: str, **params: Any) -> Any:
    """A new instance of the strategy registered as ``name``, with ``params`` set."""
    return STRATEGIES.create(name, **params)


def name_of(strategy: Any) -> str:
    """The registered name of a strategy instance, or its class name if unregistered."""
    return STRATEGIES.name_of(type(strategy)) or type(strategy).__name__
