"""Things by name: one lookup helper for every catalogue activelab keeps.

Strategies, stream decision rules, bundled data sets, synthesis generators, the bench's
models, metrics and synthesis methods are each a :class:`Registry`: a read-only mapping
from names to objects that normalises the spelling it is given, resolves aliases, and
answers an unknown name with an :class:`~activelab.errors.ActiveLabError` that suggests
the closest name and lists every one there is.

>>> shapes = Registry("shape", normalise=snake_case)
>>> @shapes.register("unit_square", aliases=["square"])
... class UnitSquare:
...     pass
>>> shapes.lookup("Unit-Square") is UnitSquare, "square" in shapes, shapes.available()
(True, True, ['unit_square'])
>>> shapes.lookup("unit_sqare")
Traceback (most recent call last):
...
activelab.errors.ActiveLabError: unknown shape 'unit_sqare' (did you mean 'unit_square'?); available: unit_square
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from .errors import ActiveLabError

__all__ = ["Registry", "closest", "did_you_mean", "snake_case"]

T = TypeVar("T")
V = TypeVar("V")


def snake_case(name: str) -> str:
    """``name`` stripped, lower-cased, with ``-`` as ``_``: ``" Vote-Entropy"`` -> ``"vote_entropy"``."""
    return str(name).strip().lower().replace("-", "_")


def closest(name: str, names: Iterable[str]) -> str | None:
    """The one name of ``names`` most like ``name`` (:mod:`difflib`), or None if none is close.

    >>> closest("acuracy", ["accuracy", "f1", "roc_auc"])
    'accuracy'
    """
    matches = difflib.get_close_matches(str(name), list(names), n=1)
    return matches[0] if matches else None


def did_you_mean(name: str, names: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """``" (did you mean 'x'?)"`` naming the closest of ``names``, or ``""`` if none is close.

    An alias (a key of ``aliases``) that is closest suggests the name it stands for.

    >>> did_you_mean("margn", ["margin", "entropy"])
    " (did you mean 'margin'?)"
    """
    aliases = aliases or {}
    match = closest(name, [*names, *aliases])
    return "" if match is None else f" (did you mean {aliases.get(match, match)!r}?)"


class Registry(Mapping[str, T], Generic[T]):
    """A catalogue of named objects of one ``kind`` (``"strategy"``, ``"stream rule"``, ...).

    Parameters
    ----------
    kind : str
        What one entry is, for messages: ``unknown {kind} 'x'``.
    normalise : callable, optional
        Maps a name as a user spells it to the registered spelling (for example
        :func:`snake_case`); names are taken as they are by default.
    sort : bool
        :meth:`available` lists names sorted (default) or in registration order.
    listing : str
        The words before the list of names in an error (``available``, ``choose one of``).
    note : str, optional
        Said in brackets after that list, e.g. ``the regression models``.

    As a mapping it iterates over the registered names in registration order; indexing
    and ``in`` resolve the spelling and aliases too. :meth:`lookup` is indexing with a
    helpful error instead of :class:`KeyError`.
    """

    def __init__(self, kind: str, *, normalise: Callable[[str], str] | None = None,
                 sort: bool = True, listing: str = "available", note: str | None = None) -> None:
        self.kind = kind
        self.normalise = normalise
        self.sort = sort
        self.listing = listing
        self.note = note
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    # ---- filling it

    def add(self, name: str, entry: T, aliases: Iterable[str] = ()) -> T:
        """Register ``entry`` as ``name`` (and ``aliases``); a name may be taken only once."""
        for key in (name, *aliases):
            owner = self._aliases.get(key, key)
            if owner in self._entries and self._entries[owner] is not entry:
                raise ActiveLabError(
                    f"{self.kind} name {key!r} is already taken by "
                    f"{_describe(self._entries[owner])}; register yours under another name"
                )
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name
        return entry

    def register(self, name: str, aliases: Iterable[str] = ()) -> Callable[[V], V]:
        """Decorator form of :meth:`add`: ``@registry.register("name")`` above a class or function."""

        def add(entry: V) -> V:
            self.add(name, entry, aliases)  # type: ignore[arg-type]
            return entry

        return add

    # ---- looking up

    def available(self) -> list[str]:
        """Every registered name (aliases left out), sorted unless ``sort=False``."""
        return sorted(self._entries) if self.sort else list(self._entries)

    def _key(self, name: Any) -> str:
        key = self.normalise(name) if self.normalise is not None else name
        return self._aliases.get(key, key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._entries

    def hint(self, name: str) -> str:
        """``" (did you mean 'x'?)"`` for the registered name closest to ``name``, or ``""``."""
        key = self.normalise(name) if self.normalise is not None else str(name)
        return did_you_mean(key, self._entries, self._aliases)

    def unknown(self, name: Any) -> ActiveLabError:
        """The error for a name that is not registered: a suggestion and every name there is."""
        note = f" ({self.note})" if self.note else ""
        return ActiveLabError(
            f"unknown {self.kind} {name!r}{self.hint(str(name))}; "
            f"{self.listing}: {', '.join(self.available())}{note}"
        )

    def canonical(self, name: Any) -> str:
        """The registered spelling of ``name``, or :meth:`unknown`'s error."""
        key = self._key(name) if isinstance(name, str) else None
        if key is None or key not in self._entries:
            raise self.unknown(name)
        return key

    def lookup(self, name: Any) -> T:
        """The entry registered as ``name`` (spelling and aliases resolved), or :meth:`unknown`'s error."""
        return self._entries[self.canonical(name)]

    def create(self, name: str, **params: Any) -> Any:
        """``lookup(name)(**params)``, with a clear error for parameters the entry does not take."""
        key = self.canonical(name)
        try:
            return self._entries[key](**params)  # type: ignore[operator]
        except TypeError as err:
            raise ActiveLabError(
                f"{self.kind} {key!r} does not take those parameters: {err}"
            ) from err

    def name_of(self, entry: Any) -> str | None:
        """The name ``entry`` is registered under (by identity), or None."""
        return next((name for name, value in self._entries.items() if value is entry), None)

    # ---- Mapping

    def __getitem__(self, name: str) -> T:
        if name not in self:
            raise KeyError(name)
        return self._entries[self._key(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self.available())})"


def _describe(entry: Any) -> str:
    return getattr(entry, "__name__", None) or repr(entry)
