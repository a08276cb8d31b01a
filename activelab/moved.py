"""Old import paths of modules that moved into subpackages keep working for one release.

``import activelab.stream`` still gives the stream scenario (now
:mod:`activelab.scenarios.stream`), with a :class:`DeprecationWarning` naming the new
path. A path whose module was split in two (``activelab.streaming``, ``activelab.stream``,
``activelab.costs``, ``activelab.annotators``) gives a module holding the names of both parts.

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DeprecationWarning)
...     from activelab.datasets import load
>>> load.__module__
'activelab.data.datasets'
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import Any

__all__ = ["MOVED", "install"]

#: Old module path -> the module(s) that now hold its names.
MOVED: dict[str, tuple[str, ...]] = {
    "activelab.aggregation": ("activelab.oracles.aggregation",),
    "activelab.annotators": ("activelab.oracles.noisy", "activelab.oracles.panel"),
    "activelab.bench.models": ("activelab.models.catalog",),
    "activelab.committee": ("activelab.models.committee",),
    "activelab.costs": ("activelab.oracles.costs", "activelab.strategies.cost_sensitive"),
    "activelab.datasets": ("activelab.data.datasets",),
    "activelab.partial_labels": ("activelab.oracles.partial_labels",),
    "activelab.rationales": ("activelab.oracles.rationales",),
    "activelab.sources": ("activelab.data.sources",),
    "activelab.stream": ("activelab.scenarios.stream", "activelab.data.streams"),
    "activelab.streaming": ("activelab.selection.topk", "activelab.outputs"),
    "activelab.synthesis": ("activelab.scenarios.synthesis",),
}


class _MovedLoader:
    """Loads an old path as the new module (plain class: importlib.abc costs import time)."""

    def __init__(self, old: str) -> None:
        self.old = old
        self.original: dict[str, Any] = {}

    def create_module(self, spec: Any) -> Any:
        new = MOVED[self.old]
        warnings.warn(
            f"{self.old} moved to {' and '.join(new)}; the old path goes away in the next "
            "release", DeprecationWarning, stacklevel=2)
        parts = [importlib.import_module(name) for name in new]
        if len(parts) == 1:  # the same module object; its own spec is put back after import
            self.original = {k: getattr(parts[0], k, None) for k in ("__spec__", "__loader__")}
            return parts[0]
        merged = types.ModuleType(self.old, parts[0].__doc__)
        for part in reversed(parts):
            merged.__dict__.update({k: v for k, v in vars(part).items()
                                    if not k.startswith("__")})
        merged.__all__ = sorted({n for part in parts for n in getattr(part, "__all__", ())})
        return merged

    def exec_module(self, module: types.ModuleType) -> None:
        for key, value in self.original.items():
            setattr(module, key, value)


class _MovedFinder:
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in MOVED:
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(fullname, _MovedLoader(fullname))


def install() -> None:
    """Put the finder of old paths on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
