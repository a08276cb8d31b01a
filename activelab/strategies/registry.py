"""Strategies by name, for the command line and for scripts.

>>> from activelab import strategies
>>> strategies.get("margin")
MarginSampling(selector=None)
>>> "entropy" in strategies.available()
True
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import ActiveLabError

__all__ = ["available", "canonical_name", "get", "name_of", "register"]

_REGISTRY: dict[str, type] = {}
S = TypeVar("S", bound=type)


def register(name: str) -> Callable[[S], S]:
    """Class decorator: make a strategy reachable as ``get(name)``."""

    def add(cls: S) -> S:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ActiveLabError(
                f"strategy name {name!r} is already taken by {_REGISTRY[name].__name__}; "
                "register yours under another name"
            )
        _REGISTRY[name] = cls
        return cls

    return add


def available() -> list[str]:
    """Every registered strategy name, sorted."""
    return sorted(_REGISTRY)


def canonical_name(name: str) -> str:
    """The registered spelling of ``name`` (case and ``-``/``_`` do not matter)."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, _REGISTRY, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ActiveLabError(
            f"unknown strategy {name!r}{hint}; available: {', '.join(available())}"
        )
    return key


def get(name: str, **params: Any) -> Any:
    """A new instance of the strategy registered as ``name``, with ``params`` set."""
    key = canonical_name(name)
    try:
        return _REGISTRY[key](**params)
    except TypeError as err:
        raise ActiveLabError(f"strategy {key!r} does not take those parameters: {err}") from err


def name_of(strategy: Any) -> str:
    """The registered name of a strategy instance, or its class name if unregistered."""
    for name, cls in _REGISTRY.items():
        if type(strategy) is cls:
            return name
    return type(strategy).__name__
