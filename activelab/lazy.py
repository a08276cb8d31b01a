"""Names a package loads on first use (PEP 562), so that ``import activelab`` stays light.

>>> import types
>>> package = types.ModuleType("demo")
>>> package.__getattr__ = lazy_names("demo", {"sqrt": "math", "json": "json"}, vars(package))
>>> package.sqrt(9.0), package.json.__name__
(3.0, 'json')
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, where: Mapping[str, str], namespace: MutableMapping[str, Any],
               missing: Callable[[str, ImportError], Exception] | None = None,
               ) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``where[name]`` when ``name`` is first used.

    ``where`` maps each name to a module path (relative ones to ``package``); the name is
    that module's attribute, or the module itself when its path ends with the name. The
    value is then kept in ``namespace`` (the package's globals). ``missing(name, error)``,
    if given, turns an ImportError into the exception to raise (an optional extra that is
    not installed).
    """

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(where[name], package)
        except ImportError as err:
            if missing is None:
                raise
            raise missing(name, err) from err
        value = module if module.__name__.endswith("." + name) or module.__name__ == name \
            else getattr(module, name)
        namespace[name] = value
        return value

    return __getattr__
