"""Bundled data sets by name, and loaders for CSV, Parquet, NPZ, svmlight and JSONL files.

Nothing is downloaded: the bundled sets ship with scikit-learn or statsmodels
(:mod:`~activelab.data.tables`) or are generated with a fixed seed
(:mod:`~activelab.data.generated`). pandas, pyarrow and scikit-learn are imported only when a
loader needs them, so importing this module stays cheap. The file loaders live in
:mod:`~activelab.data.files` and the :class:`Dataset` record with its checks in
:mod:`~activelab.data.dataset`; their names are importable from here too.

Every data set has a task, found from its labels (:func:`detect_task`) unless the
loader knows better:

* **classification** — one label per item (numbers or strings);
* **regression** — one number per item, with many distinct non-integral values
  (the bundled ``diabetes`` and ``friedman`` are regression by declaration);
* **multilabel** — a 0/1 indicator row per item: several 0/1 columns named with
  ``--target a,b,c``, or a 2-D ``y`` in an ``.npz`` file.

>>> load("multilabel_synth").y.shape
(1000, 5)
>>> load("friedman").task
'regression'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from activelab.errors import ActiveLabError
from activelab.registry import Registry

from .dataset import MAX_FLOAT_CLASSES as MAX_FLOAT_CLASSES  # re-exported
from .dataset import TASKS, Dataset, build_dataset, detect_task, numbered_names
from .files import FILE_LOADERS, load_file, supported_suffix
from .files import LABEL_COLUMN_NAMES as LABEL_COLUMN_NAMES  # re-exported
from .files import MAX_CATEGORIES as MAX_CATEGORIES  # re-exported
from .generated import (
    load_banana,
    load_checkerboard,
    load_circles,
    load_heavy_tails,
    load_honeypot,
    load_imbalanced,
    load_noisy_labels,
    load_sparse_linear,
    load_xor,
)
from .tables import load_anes96, load_fair, load_grunfeld, load_star98

__all__ = ["BUNDLED", "TASKS", "Dataset", "bundled_names", "detect_task", "load"]

# Names this module held before the file loaders and the checks moved out keep working.
_build_dataset = build_dataset
_FILE_LOADERS = FILE_LOADERS


# --- bundled data sets ------------------------------------------------------------------


def _from_sklearn(name: str, loader_name: str, what: str, task: str | None = None) -> Dataset:
    from sklearn import datasets as sklearn_datasets

    bunch = getattr(sklearn_datasets, loader_name)()
    feature_names = [str(feature) for feature in bunch.feature_names]
    return build_dataset(name, bunch.data, bunch.target, feature_names, what, "target", task)


def _load_digits() -> Dataset:
    return _from_sklearn("digits", "load_digits", "8x8 images of digits")


def _load_breast_cancer() -> Dataset:
    return _from_sklearn("breast_cancer", "load_breast_cancer", "breast cancer diagnoses")


def _load_wine() -> Dataset:
    return _from_sklearn("wine", "load_wine", "chemical analyses of wines")


def _load_iris() -> Dataset:
    return _from_sklearn("iris", "load_iris", "measurements of iris flowers")


def _load_blobs() -> Dataset:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=2000,
        n_features=20,
        n_informative=8,
        n_classes=4,
        class_sep=1.0,
        random_state=0,
    )
    what = "synthetic clusters (make_classification, seed 0)"
    return build_dataset("blobs", X, y, numbered_names(20), what, "target")


def _load_moons() -> Dataset:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=1000, noise=0.25, random_state=0)
    what = "two interleaving half moons (make_moons, seed 0)"
    return build_dataset("moons", X, y, numbered_names(2), what, "target")


def _load_diabetes() -> Dataset:
    what = "disease progression one year after baseline"
    return _from_sklearn("diabetes", "load_diabetes", what, task="regression")


def _load_friedman() -> Dataset:
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    what = "Friedman #1 (make_friedman1, noise 1.0, seed 0)"
    return build_dataset("friedman", X, y, numbered_names(10), what, "target", "regression")


def _load_multilabel_synth() -> Dataset:
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(
        n_samples=1000, n_features=20, n_classes=5, random_state=0
    )
    what = "synthetic multi-label documents (make_multilabel_classification, seed 0)"
    names = [f"label{index}" for index in range(Y.shape[1])]
    return build_dataset(
        "multilabel_synth", X, Y, numbered_names(20), what, names, "multilabel"
    )


#: The bundled data sets: name -> a function that makes the :class:`Dataset`.
BUNDLED: Registry[Callable[[], Dataset]] = Registry("bundled data set")
BUNDLED.add("digits", _load_digits)
BUNDLED.add("breast_cancer", _load_breast_cancer)
BUNDLED.add("wine", _load_wine)
BUNDLED.add("iris", _load_iris)
BUNDLED.add("blobs", _load_blobs)
BUNDLED.add("moons", _load_moons)
BUNDLED.add("diabetes", _load_diabetes)
BUNDLED.add("friedman", _load_friedman)
BUNDLED.add("multilabel_synth", _load_multilabel_synth)
# The benchmark suites' sets (activelab.bench.suites): generated traps and shapes ...
for _loader in (load_banana, load_checkerboard, load_circles, load_honeypot, load_imbalanced,
                load_noisy_labels, load_xor, load_heavy_tails, load_sparse_linear):
    BUNDLED.add(_loader.__name__.removeprefix("load_"), _loader)
# ... and real tables that ship inside statsmodels (optional: activelab[suite]).
for _loader in (load_anes96, load_fair, load_grunfeld, load_star98):
    BUNDLED.add(_loader.__name__.removeprefix("load_"), _loader)


def bundled_names() -> list[str]:
    """Names that :func:`load` accepts without a file, sorted."""
    return BUNDLED.available()



# --- entry point ------------------------------------------------------------------------


def load(name_or_path: str | os.PathLike[str], target: str | None = None,
         categorical: Sequence[str] = ()) -> Dataset:
    """Load a bundled data set by name, or a data file chosen by its suffix.

    ``target`` names the label column (or the label array of an ``.npz`` file);
    when it is None a column called target, label, y or class is used. Several
    comma-separated 0/1 columns (``"a,b,c"``) make a multi-label data set.
    ``categorical`` names table columns to one-hot encode even if they hold numbers; a
    column that is mostly numbers with a few words in it is refused unless named here.
    """
    name = os.fspath(name_or_path)
    categorical = [categorical] if isinstance(categorical, str) else list(categorical)
    if name in BUNDLED:
        if target is not None:
            raise ActiveLabError(
                f"{name!r} is a bundled data set with its own labels; do not pass --target"
            )
        if categorical:
            raise ActiveLabError(
                f"{name!r} is a bundled data set with its features encoded; "
                "do not pass --categorical"
            )
        return BUNDLED[name]()
    path = Path(name)
    if not path.exists():
        raise ActiveLabError(_missing_message(name, supported_suffix(path)))
    return load_file(path, target, categorical)


def _missing_message(name: str, suffix: str | None) -> str:
    bundled = ", ".join(bundled_names())
    if suffix is not None:
        return f"file {name!r} does not exist; check the path, or use a bundled data set: {bundled}"
    return (
        f"no bundled data set or file named {name!r}{BUNDLED.hint(name)}; "
        f"bundled: {bundled}; files: {', '.join(FILE_LOADERS)}"
    )
