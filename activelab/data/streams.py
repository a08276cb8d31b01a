"""Seeded drifting streams (rotating hyperplane, SEA) and CSV files read in chunks, for
stream-based selective sampling.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ActiveLabError
from ..validation import check_int, check_random_state, first_line

__all__ = ["read_csv_chunks", "rotating_hyperplane", "sea_stream"]


def rotating_hyperplane(
    n_items: int,
    n_features: int = 10,
    drift: float = 0.001,
    noise: float = 0.05,
    chunk_size: int = 100,
    random_state: Any = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A rotating-hyperplane stream (Hulten et al., 2001): gradual drift, in mini-batches.

    Items are uniform in ``[0, 1]^d``; the label is whether ``w . x >= w . 0.5``. After
    every item each weight moves by ``drift`` in its own direction, which flips with
    probability 10%; ``noise`` is the share of flipped labels.
    """
    n_items = check_int(n_items, "n_items")
    rng = check_random_state(random_state)
    weights = rng.uniform(-1, 1, n_features)
    direction = rng.choice([-1.0, 1.0], n_features)
    for start in range(0, n_items, chunk_size):
        size = min(chunk_size, n_items - start)
        X = rng.uniform(0, 1, (size, n_features))
        steps = np.arange(1, size + 1)[:, None]
        w = weights + drift * direction * steps
        y = ((X - 0.5) * w).sum(axis=1) >= 0
        weights = w[-1]
        flip = rng.random(n_features) < 0.1
        direction = np.where(flip, -direction, direction)
        y ^= rng.random(size) < noise
        yield X, y.astype(int)


def sea_stream(
    n_items: int,
    thresholds: Iterable[float] = (8.0, 9.0, 7.0, 9.5),
    noise: float = 0.1,
    chunk_size: int = 100,
    random_state: Any = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A SEA stream (Street & Kim, 2001): abrupt drift, in mini-batches.

    Three features uniform in ``[0, 10]``; the label is ``x0 + x1 <= threshold`` (the
    third is noise). The stream is cut into equal concepts, one per threshold, so the
    boundary jumps ``len(thresholds) - 1`` times; ``noise`` is the share of flipped labels.
    """
    n_items = check_int(n_items, "n_items")
    thresholds = np.asarray(list(thresholds), dtype=float)
    rng = check_random_state(random_state)
    per_concept = math.ceil(n_items / len(thresholds))
    for start in range(0, n_items, chunk_size):
        size = min(chunk_size, n_items - start)
        X = rng.uniform(0, 10, (size, 3))
        concept = np.minimum((start + np.arange(size)) // per_concept, len(thresholds) - 1)
        y = X[:, 0] + X[:, 1] <= thresholds[concept]
        y ^= rng.random(size) < noise
        yield X, y.astype(int)


def read_csv_chunks(
    path: str | Path,
    chunk_size: int = 1000,
    target: str | int | None = None,
) -> Iterator[Any]:
    """Read a numeric CSV file in chunks of ``chunk_size`` rows, for :meth:`StreamLearner.run`.

    The file is never loaded whole. A first line that does not read as numbers is the
    header. ``target`` (a column name or position) makes the chunks ``(X, y)`` pairs.
    """
    chunk_size = check_int(chunk_size, "chunk_size")
    path = Path(path)
    if not path.is_file():
        raise ActiveLabError(f"no such file: {path}")
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        first = next(reader, None)
        if first is None:
            return
        header = None if _numeric_row(first) else [name.strip() for name in first]
        target_at = _target_position(target, header, len(first))
        rows: list[list[str]] = [] if header else [first]
        line = 1
        for row in reader:
            line += 1
            if row:
                rows.append(row)
            if len(rows) == chunk_size:
                yield _chunk(rows, target_at, path, line)
                rows = []
        if rows:
            yield _chunk(rows, target_at, path, line)


def _numeric_row(row: list[str]) -> bool:
    try:
        [float(cell) for cell in row]
    except ValueError:
        return False
    return True


def _target_position(target: str | int | None, header: list[str] | None, width: int) -> int | None:
    if target is None:
        return None
    if isinstance(target, int) and not isinstance(target, bool):
        if not -width <= target < width:
            raise ActiveLabError(f"target column {target} is outside the file's {width} columns")
        return target % width
    if header is None or target not in header:
        known = ", ".join(header) if header else "none (the file has no header)"
        raise ActiveLabError(f"no column {target!r} in the file; columns: {known}")
    return header.index(target)


def _chunk(rows: list[list[str]], target_at: int | None, path: Path, line: int) -> Any:
    try:
        if target_at is None:
            return np.array(rows, dtype=float)
        y = np.array([row[target_at] for row in rows])
        X = np.array([row[:target_at] + row[target_at + 1:] for row in rows], dtype=float)
    except (ValueError, IndexError) as err:
        raise ActiveLabError(
            f"{path}: rows up to line {line} are not all numeric with the same number of "
            f"columns ({first_line(err)})"
        ) from err
    if y.dtype.kind == "U" and _numeric_row(list(y)):
        y = y.astype(float)
        if np.all(y == np.round(y)):
            y = y.astype(int)
    return X, y
