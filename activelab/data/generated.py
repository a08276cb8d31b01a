"""Generated data sets for the benchmark suites: each is a known trap or a known shape.

Every generator is deterministic for its ``seed`` and returns ``(X, y)``; the loaders
registered in :mod:`activelab.data.datasets` call them with seed 0. The 2-D shapes
(checkerboard, banana, circles, xor) have a curved class boundary that a linear model
cannot draw from the two coordinates alone, so their features are the two coordinates
followed by :data:`N_FOURIER` random Fourier features of them (:func:`fourier_lift`, an
approximation of an RBF kernel with a fixed seed): a linear model then can draw the
boundary, and distance-based strategies still see the 2-D geometry.

>>> X, y = make_checkerboard(n_items=100, seed=1)
>>> X.shape, sorted(set(y.tolist()))
((100, 2), [0, 1])
"""

from __future__ import annotations

import numpy as np

from .dataset import Dataset, build_dataset, numbered_names

__all__ = [
    "N_FOURIER",
    "fourier_lift",
    "load_banana",
    "load_checkerboard",
    "load_circles",
    "load_heavy_tails",
    "load_honeypot",
    "load_imbalanced",
    "load_noisy_labels",
    "load_sparse_linear",
    "load_xor",
    "make_banana",
    "make_checkerboard",
    "make_heavy_tails",
    "make_honeypot",
    "make_noisy_labels",
    "make_xor",
]

#: Random Fourier features appended to the 2-D shapes' coordinates.
N_FOURIER = 60


def fourier_lift(X: np.ndarray, gamma: float, n_components: int = N_FOURIER,
                 seed: int = 0) -> np.ndarray:
    """``X`` followed by ``sqrt(2/D) cos(X W + b)``, ``W ~ N(0, 2 gamma)``, ``b ~ U(0, 2π)``.

    The inner product of two lifted rows approximates the RBF kernel
    ``exp(-gamma |x - x'|²)`` (Rahimi & Recht, 2007).
    """
    rng = np.random.default_rng(seed)
    weights = rng.normal(scale=np.sqrt(2 * gamma), size=(X.shape[1], n_components))
    offsets = rng.uniform(0, 2 * np.pi, size=n_components)
    return np.hstack([X, np.sqrt(2 / n_components) * np.cos(X @ weights + offsets)])


def _lifted(name: str, X: np.ndarray, y: np.ndarray, gamma: float, what: str) -> Dataset:
    names = ["x0", "x1", *(f"rff{index}" for index in range(N_FOURIER))]
    what = f"{what}; the 2 coordinates and {N_FOURIER} random Fourier features (gamma {gamma})"
    return build_dataset(name, fourier_lift(X, gamma), y, names, what, "target")


def make_checkerboard(n_items: int = 1000, cells: int = 4, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points on ``[0, cells)²``; the class is the colour of their square."""
    X = np.random.default_rng(seed).uniform(0, cells, size=(n_items, 2))
    return X, (np.floor(X).astype(int).sum(axis=1) % 2)


def make_banana(n_items: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interlocking curved bands with noise that grows along them, overlapping at the tips.

    Class 0 lies around ``y = x²/2``, class 1 around ``y = x²/2 - 1.5`` shifted right by
    1; the noise is ``0.15 + 0.25 |x|``, so the ends of the bananas mix and the middle
    stays clean.
    """
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n_items) % 2)
    x = rng.uniform(-2.5, 2.5, size=n_items)
    noise = rng.normal(size=n_items) * (0.15 + 0.25 * np.abs(x))
    y = np.where(labels == 0, 0.5 * x**2, 0.5 * x**2 - 1.5) + noise
    x = x + labels
    return np.column_stack([x, y]), labels


def make_xor(n_items: int = 1000, spread: float = 0.6, seed: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at ``(±1, ±1)``; the class is whether the signs agree."""
    rng = np.random.default_rng(seed)
    corners = rng.choice([-1.0, 1.0], size=(n_items, 2))
    X = corners + rng.normal(scale=spread, size=(n_items, 2))
    return X, (corners[:, 0] * corners[:, 1] > 0).astype(int)


def make_noisy_labels(n_items: int = 1500, flip: float = 0.25, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """A clean two-class problem (make_classification) with a share ``flip`` of labels flipped.

    Exactly ``round(flip * n_items)`` items, chosen at random, get the other class.
    """
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n_items, n_features=20, n_informative=6,
                               n_redundant=2, class_sep=1.2, flip_y=0.0, random_state=seed)
    flipped = np.random.default_rng(seed).choice(n_items, round(flip * n_items), replace=False)
    y[flipped] = 1 - y[flipped]
    return X, y


def make_honeypot(n_items: int = 1500, share: float = 0.2, n_features: int = 10,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes, and a dense honeypot cluster of random labels on their boundary.

    The classes have means ``±1`` on the first axis and unit variance. A share ``share``
    of the items sits in a tight ball (standard deviation 0.05) at the origin, where the
    classes meet, with labels drawn 50/50 at random: the model stays unsure there however
    many of them are labeled, so uncertainty sampling keeps buying labels that teach
    nothing. The honeypot items are the last ``round(share * n_items)`` rows.
    """
    rng = np.random.default_rng(seed)
    n_trap = round(share * n_items)
    n_clean = n_items - n_trap
    y_clean = rng.permutation(np.arange(n_clean) % 2)
    X_clean = rng.normal(size=(n_clean, n_features))
    X_clean[:, 0] += 2.0 * y_clean - 1.0
    X_trap = rng.normal(scale=0.05, size=(n_trap, n_features))
    y_trap = rng.integers(0, 2, size=n_trap)
    return np.vstack([X_clean, X_trap]), np.concatenate([y_clean, y_trap])


def make_heavy_tails(n_items: int = 1000, n_features: int = 10, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """A linear target with Student-t noise (2 degrees of freedom): rare, huge errors.

    ``y = X w + 0.5 t₂``, ``w ~ N(0, 1)``; the noise has infinite variance, so a few
    labels are wild, and a strategy that seeks unusual outputs finds them.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_items, n_features))
    return X, X @ rng.normal(size=n_features) + 0.5 * rng.standard_t(2, size=n_items)


def load_checkerboard() -> Dataset:
    """A 4×4 checkerboard (1000 items): many small regions, so exploring the whole input
    space matters more than refining one boundary; uncertainty sampling tends to miss
    squares it has never seen."""
    X, y = make_checkerboard()
    return _lifted("checkerboard", X, y, 2.0, "4x4 checkerboard of two classes (seed 0)")


def load_banana() -> Dataset:
    """Two curved bands with noisy, overlapping tips (1000 items): the banana-like shape on
    which uncertainty sampling is reported to lose to random while core-set wins."""
    X, y = make_banana()
    return _lifted("banana", X, y, 1.0, "two banana-shaped classes, noisy tips (seed 0)")


def load_circles() -> Dataset:
    """A ring around a disc (make_circles, 1000 items, noise 0.1): a closed boundary
    that no half-plane approximates."""
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=1000, noise=0.1, factor=0.5, random_state=0)
    return _lifted("circles", X, y, 2.0, "two concentric circles (make_circles, seed 0)")


def load_xor() -> Dataset:
    """XOR of four Gaussian clusters (1000 items): the classic case where the first labels
    must cover all four corners before any model can do better than chance."""
    X, y = make_xor()
    return _lifted("xor", X, y, 1.0, "XOR of four Gaussian clusters (seed 0)")


def load_imbalanced() -> Dataset:
    """Three classes in shares 80/15/5 (make_classification, 2000 items, 20 features): the
    rare class is found late by random sampling and early by a strategy that explores."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=2000, n_features=20, n_informative=6,
                               n_classes=3, weights=[0.8, 0.15, 0.05], class_sep=1.0,
                               random_state=0)
    what = "imbalanced classes 80/15/5 (make_classification, seed 0)"
    return build_dataset("imbalanced", X, y, numbered_names(20), what, "target")


def load_noisy_labels() -> Dataset:
    """A clean two-class problem with 25% of labels flipped (1500 items): uncertainty
    sampling is drawn to the flipped items, which look informative and are noise."""
    X, y = make_noisy_labels()
    what = "two classes with 25% of labels flipped (make_classification, seed 0)"
    return build_dataset("noisy_labels", X, y, numbered_names(20), what, "target")


def load_honeypot() -> Dataset:
    """Two Gaussian classes plus a dense cluster of random labels on their boundary (1500
    items, 20% honeypot): a trap for uncertainty sampling (see :func:`make_honeypot`)."""
    X, y = make_honeypot()
    what = "two Gaussian classes and a 20% honeypot cluster of random labels (seed 0)"
    return build_dataset("honeypot", X, y, numbered_names(10), what, "target")


def load_sparse_linear() -> Dataset:
    """Regression: 8 informative features among 50 (make_regression, noise 20, 1000
    items): with fewer labels than features, which items are labeled decides the fit."""
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=1000, n_features=50, n_informative=8, noise=20.0,
                           random_state=0)
    what = "sparse linear regression, 8 of 50 features informative (make_regression, seed 0)"
    return build_dataset("sparse_linear", X, y, numbered_names(50), what, "target", "regression")


def load_heavy_tails() -> Dataset:
    """Regression: a linear target with Student-t noise (1000 items, see
    :func:`make_heavy_tails`): output-seeking strategies chase its outliers."""
    X, y = make_heavy_tails()
    what = "linear target with heavy-tailed Student-t noise (seed 0)"
    return build_dataset("heavy_tails", X, y, numbered_names(10), what, "target", "regression")
