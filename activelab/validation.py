"""Checks at the boundary, shared by every module that takes input from a user."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .errors import ActiveLabError

__all__ = [
    "MAX_ITEMS", "MAX_JOBS", "MAX_REPEATS", "MAX_SEED", "MOSTLY_NUMERIC", "check_callable",
    "check_existing_file", "check_instances", "check_int", "check_number",
    "check_options_apply", "check_out_folder", "check_port", "check_random_state",
    "check_seed", "first_line", "nonfinite_cells", "stray_non_numbers",
]

#: The largest seed: NumPy's legacy seeding (and so scikit-learn's) refuses beyond 2**32 - 1.
MAX_SEED = 2**32 - 1
#: The most repeats (seeds) one bench run may ask for.
MAX_REPEATS = 1000
#: The most items a generated stream may have.
MAX_ITEMS = 10**8
#: The most worker processes the bench starts.
MAX_JOBS = 1024
#: A column whose non-empty cells are at least this share numbers is a numeric column.
MOSTLY_NUMERIC = 0.9


def check_int(value: Any, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int, refusing bools, floats and anything outside ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ActiveLabError(f"{name} must be an integer of at least {minimum}; got {_shown(value)}")
    if value < minimum:
        raise ActiveLabError(f"{name} must be at least {minimum}; got {value}")
    if maximum is not None and value > maximum:
        bound = f"{maximum:,}" if maximum >= 100_000 else str(maximum)
        raise ActiveLabError(f"{name} must be at most {bound}; got {value}")
    return int(value)


def check_seed(seed: Any, name: str = "seed", count: int = 1, count_name: str = "") -> int:
    """A seed in ``[0, 2**32 - 1]``; with ``count`` runs seeded ``seed, seed + 1, ...``,
    the last of them must be in that range too (``count_name`` names the option of ``count``).

    >>> check_seed(7, "--seed", count=5, count_name="--repeats")
    7
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ActiveLabError(f"{name} must be an integer seed; got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ActiveLabError(
            f"{name} must be between 0 and {MAX_SEED} (2**32 - 1, NumPy's limit); got {seed}"
        )
    last = int(seed) + count - 1
    if last > MAX_SEED:
        raise ActiveLabError(
            f"{name} {seed} with {count_name or 'count'} {count} seeds runs up to {last}, beyond "
            f"{MAX_SEED} (2**32 - 1, NumPy's limit); use {name} {MAX_SEED - count + 1} or less"
        )
    return int(seed)


def check_port(port: Any, name: str = "--port") -> int:
    """A TCP port, 1 to 65535."""
    return check_int(port, name, minimum=1, maximum=65535)


def check_number(value: Any, name: str, low: float | None = None,
                 high: float | None = None) -> float:
    """``value`` as a float, or a one-line error if it is not a finite number in bounds.

    >>> check_number(0.5, "penalty", low=0, high=1)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
        np.isfinite(value)
    ):
        raise ActiveLabError(f"{name} must be a finite number; got {_shown(value)}")
    if low is not None and high is not None and not low <= value <= high:
        raise ActiveLabError(f"{name} must be between {low} and {high}; got {_shown(value)}")
    if low is not None and value < low:
        raise ActiveLabError(f"{name} must be at least {low}; got {_shown(value)}")
    if high is not None and value > high:
        raise ActiveLabError(f"{name} must be at most {high}; got {_shown(value)}")
    return float(value)


def check_random_state(random_state: Any) -> np.random.Generator:
    """A NumPy Generator from ``None``, a seed (a non-negative int), a Generator or a RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**32, dtype=np.uint64))
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ActiveLabError(f"random_state must be a non-negative seed; got {random_state}")
        return np.random.default_rng(int(random_state))
    raise ActiveLabError(
        f"random_state must be None, an int, or a numpy Generator; got {type(random_state).__name__}"
    )


def nonfinite_cells(X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Row and column positions of NaN or infinite numeric values (dense, sparse or DataFrame)."""
    if sp.issparse(X):
        if X.dtype.kind not in "fc":
            return np.zeros(0, int), np.zeros(0, int)
        entries = X.tocoo()
        bad = ~np.isfinite(entries.data)
        return entries.row[bad], entries.col[bad]
    if hasattr(X, "select_dtypes"):
        numeric = X.select_dtypes(include="number")
        columns = np.array([X.columns.get_loc(c) for c in numeric.columns], dtype=int)
        rows, cols = np.nonzero(~np.isfinite(numeric.to_numpy(dtype=float, na_value=np.nan)))
        return rows, columns[cols] if len(columns) else cols
    X = np.asarray(X)
    if X.dtype.kind not in "fc":
        return np.zeros(0, int), np.zeros(0, int)
    rows, cols = np.nonzero(~np.isfinite(X.reshape(X.shape[0], -1)))
    return rows, cols


def first_line(err: BaseException) -> str:
    """The first line of an exception's message, for one-line errors that wrap it."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def check_instances(values: Any, kind: type, name: str, example: str,
                    methods: Sequence[str] = ()) -> list[Any]:
    """``values`` (a list, tuple or other iterable) as a list whose items are all ``kind``
    instances, or objects (not classes) with every one of ``methods``; a class given
    instead of an instance is named as such.

    ``example`` shows a right value, e.g. ``"stopping=[LabelBudget(100)]"``.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ActiveLabError(
            f"{name} must be a list of {kind.__name__} objects, e.g. {example}; "
            f"got {type(values).__name__}"
        )
    items = list(values)
    for position, item in enumerate(items):
        if isinstance(item, kind) or (methods and not isinstance(item, type) and all(
                callable(getattr(item, method, None)) for method in methods)):
            continue
        if isinstance(item, type):
            what = f"the class {item.__name__}, not an instance of it; write {item.__name__}(...)"
        else:
            what = f"{_shown(item)} (a {type(item).__name__}), not a {kind.__name__}"
        raise ActiveLabError(f"{name}[{position}] is {what}; e.g. {example}")
    return items


def check_callable(function: Any, name: str, n_args: int, signature: str) -> Any:
    """``function`` if it can be called with ``n_args`` positional arguments.

    ``signature`` describes the call, e.g. ``"metric(model, X, y) -> float"``. Callables
    whose signature Python cannot read (some builtins) pass unchecked.
    """
    if not callable(function):
        raise ActiveLabError(f"{name} must be callable as {signature}; got {_shown(function)}")
    try:
        parameters = inspect.signature(function)
    except (TypeError, ValueError):
        return function
    try:
        parameters.bind(*([None] * n_args))
    except TypeError:
        label = getattr(function, "__qualname__", None) or type(function).__name__
        raise ActiveLabError(
            f"{name} {label}{parameters} cannot be called as {signature}; "
            "wrap it in a function of that signature"
        ) from None
    return function


def check_options_apply(given: Sequence[str], context: str, applies: Iterable[str]) -> None:
    """Refuse options the user gave (``given``) that do nothing in ``context``.

    >>> check_options_apply(["--seed"], "--scenario stream", ["--seed", "--items"])
    """
    allowed = set(applies)
    unused = [option for option in given if option not in allowed]
    if unused:
        these = ", ".join(unused)
        raise ActiveLabError(
            f"{these} {'does' if len(unused) == 1 else 'do'} not apply to {context}; "
            f"drop {'it' if len(unused) == 1 else 'them'} (options there: "
            f"{', '.join(sorted(allowed))})"
        )


def check_out_folder(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """A folder that can be created (or exists) and written to; nothing is created here."""
    text = os.fspath(path)
    if not str(text).strip():
        raise ActiveLabError(f"{option} is empty; give a folder name, e.g. {option} results")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise ActiveLabError(f"{option} {folder} is a file; give a folder name")
    parent = folder
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        raise ActiveLabError(f"{option} {folder}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ActiveLabError(f"cannot write into {option} {folder}: {parent} is not writable")
    return folder


def check_existing_file(path: str | os.PathLike[str], what: str, hint: str) -> Path:
    """``path`` if it is an existing file; otherwise one line naming it, and ``hint``."""
    file = Path(path)
    if not file.is_file():
        problem = "is a folder" if file.is_dir() else "does not exist"
        raise ActiveLabError(f"{what} {file} {problem}; {hint}")
    return file


def stray_non_numbers(cells: Sequence[Any]) -> np.ndarray | None:
    """Positions of the non-numbers in a column that is mostly numbers, else ``None``.

    A column whose non-empty cells are at least :data:`MOSTLY_NUMERIC` numbers, and not
    all of them, has a few typos or unit suffixes (``5.1cm``) rather than categories.
    Empty cells (None, NaN, blank text) are left out of the count.

    >>> stray_non_numbers(["1", "2.5", "3"] * 4 + ["5.1cm"]).tolist()
    [12]
    >>> stray_non_numbers(["red", "green", "1"]) is None
    True
    """
    kinds = np.array([_cell_kind(cell) for cell in cells], dtype=np.int8)
    filled = kinds != 0
    numbers = kinds == 1
    n_filled = int(filled.sum())
    if n_filled == 0 or numbers.sum() == n_filled or numbers.sum() < MOSTLY_NUMERIC * n_filled:
        return None
    return np.flatnonzero(filled & ~numbers)


def _cell_kind(cell: Any) -> int:
    """0 for an empty cell, 1 for a number (or text that parses as one), 2 for anything else."""
    if cell is None or type(cell).__name__ in ("NAType", "NaTType") or (
        isinstance(cell, (float, np.floating)) and np.isnan(cell)
    ):
        return 0
    if isinstance(cell, bool):
        return 2
    if isinstance(cell, (int, float, np.number)):
        return 1
    text = str(cell).strip()
    if not text:
        return 0
    try:
        float(text)
    except ValueError:
        return 2
    return 1


def _shown(value: Any) -> str:
    """``value`` as the user wrote it: NumPy scalars as Python ones."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def seed_unseeded_model(model: Any, random_state: Any) -> None:
    """Give a model whose ``random_state`` parameter is ``None`` the loop's int seed."""
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        return
    get_params = getattr(model, "get_params", None)
    if not callable(get_params):
        return
    try:
        params = get_params(deep=False)
    except TypeError:
        return
    if "random_state" in params and params["random_state"] is None:
        model.set_params(random_state=int(random_state))
