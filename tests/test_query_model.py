"""The compatibility guard: querying one model for another's sake is said once, with why."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from activelab import ActiveLoop, Pool, SimulatedOracle, strategies
from activelab.bench.report import markdown_summary
from activelab.bench.runner import BenchSettings, run_bench
from activelab.data.datasets import load as load_dataset
from activelab.stopping import LabelBudget


def test_a_different_query_model_is_warned_about_once_with_the_reason():
    X, y = make_classification(n_samples=200, random_state=0)
    pool = Pool(X)
    pool.add_labels(np.arange(10), y[:10])
    with pytest.warns(UserWarning, match="query model .*DecisionTreeClassifier.* differs"):
        loop = ActiveLoop(LogisticRegression(), pool, strategies.get("margin"),
                          SimulatedOracle(y), stopping=[LabelBudget(40)],
                          query_model=DecisionTreeClassifier(random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loop.run()
        ActiveLoop(LogisticRegression(), Pool(X), strategies.get("margin"),
                   query_model=LogisticRegression())
    assert loop.query_model.get_depth() >= 1  # it was fit on the same labels


def test_the_bench_warns_once_and_writes_the_reason_in_its_report():
    settings = BenchSettings(data="iris", strategies=["margin", "random"], model="logreg",
                             query_model="rf", repeats=2, budget=30, initial=6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = run_bench(load_dataset("iris"), settings)
    said = [w for w in caught if "query model" in str(w.message)]
    assert len(said) == 1 and "RandomForestClassifier" in str(said[0].message)
    assert results["warnings"] == [str(said[0].message)]
    assert f"**Warning:** {results['warnings'][0]}." in markdown_summary(results)
    same = BenchSettings(data="iris", strategies=["random"], model="logreg",
                         query_model="logreg", repeats=1, budget=20, initial=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run_bench(load_dataset("iris"), same)["warnings"] == []
