"""The experiment bench: simulated active learning that compares strategies fairly.

>>> from activelab.bench import BenchSettings, run_bench
>>> from activelab.data.datasets import load
>>> results = run_bench(load("iris"), BenchSettings(data="iris", strategies=["margin", "random"],
...                     initial=6, budget=30, batch_size=8, repeats=2))
>>> sorted(results["strategies"])
['margin', 'random']
"""

from .metrics import aulc, labels_to_reach, mean_curve
from .report import write_outputs
from .runner import BenchSettings, run_bench

__all__ = ["BenchSettings", "aulc", "labels_to_reach", "mean_curve", "run_bench", "write_outputs"]
