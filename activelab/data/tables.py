"""Real tables that ship inside the statsmodels wheel, made into learning tasks.

Nothing is downloaded: statsmodels carries these tables as files in its package
(``statsmodels.datasets``). statsmodels is an optional dependency
(``pip install 'activelab[suite]'``), imported only when one of these loads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from activelab.errors import ActiveLabError

from .dataset import Dataset, build_dataset

__all__ = ["load_anes96", "load_fair", "load_grunfeld", "load_star98"]


def _table(name: str) -> Any:
    """The pandas frame of ``statsmodels.datasets.<name>``."""
    try:
        import importlib

        module = importlib.import_module(f"statsmodels.datasets.{name}")
    except ImportError as err:
        raise ActiveLabError(
            f"the {name} data set ships with statsmodels, which is not installed; "
            "pip install 'activelab[suite]'"
        ) from err
    return module.load_pandas().data


def load_anes96() -> Dataset:
    """The 1996 American National Election Study (944 voters): did the voter choose Dole
    (1) or Clinton (0), from party identification, self-placement on a left-right
    scale, the placement of each candidate, age, education, income and TV news habits.
    A real survey with a strong but noisy signal and mixed-scale features."""
    frame = _table("anes96")
    features = [c for c in frame.columns if c != "vote"]
    what = "1996 US election survey (statsmodels anes96): Dole or Clinton"
    return build_dataset("anes96", frame[features].to_numpy(float), frame["vote"].to_numpy(int),
                         features, what, "vote")


def load_fair() -> Dataset:
    """Fair's 1978 survey of extramarital affairs (6366 women): did the respondent report
    any affair, from marriage rating, age, years married, children, religiousness,
    education and occupations. A weak signal (about 70% accuracy at best) on a large,
    imbalanced (32% positive) table: the case where active learning gains little."""
    frame = _table("fair")
    features = [c for c in frame.columns if c != "affairs"]
    labels = (frame["affairs"].to_numpy(float) > 0).astype(int)
    what = "Fair's affairs survey (statsmodels fair): any affair reported"
    return build_dataset("fair", frame[features].to_numpy(float), labels, features, what,
                         "affairs > 0")


def load_star98() -> Dataset:
    """Regression: California school districts in 1998 (303): the share of students above
    the national median in maths, from demographics, spending and class sizes."""
    frame = _table("star98")
    above, below = frame["NABOVE"].to_numpy(float), frame["NBELOW"].to_numpy(float)
    features = [c for c in frame.columns if c not in ("NABOVE", "NBELOW")]
    what = "California schools 1998 (statsmodels star98): share above the median"
    return build_dataset("star98", frame[features].to_numpy(float), above / (above + below),
                         features, what, "share above median", "regression")


def load_grunfeld() -> Dataset:
    """Regression: gross investment of 11 US firms, 1935-1954 (220 firm-years), from the
    firm's market value, its capital stock, the year and the firm (one-hot)."""
    frame = _table("grunfeld")
    firms = sorted(frame["firm"].astype(str).unique())
    one_hot = np.column_stack([(frame["firm"].astype(str) == f).to_numpy(float) for f in firms])
    numeric = ["value", "capital", "year"]
    X = np.hstack([frame[numeric].to_numpy(float), one_hot])
    what = "Grunfeld investment panel (statsmodels grunfeld)"
    return build_dataset("grunfeld", X, frame["invest"].to_numpy(float),
                         numeric + [f"firm={f}" for f in firms], what, "invest", "regression")
