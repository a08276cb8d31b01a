"""`import activelab` stays light: the optional extras and the heavy core libraries load lazily."""

import subprocess
import sys

HEAVY = (
    "torch",
    "dask",
    "distributed",
    "faiss",
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "pyarrow",
    "pandas",
    "sklearn",
    "matplotlib",
    "rich",
)


def test_import_activelab_loads_no_heavy_module():
    code = (
        "import sys, activelab\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"`import activelab` imported {out}; import them inside the functions that need them"


def test_the_scenarios_and_the_annotator_panels_load_on_first_use():
    code = (
        "import sys, activelab\n"
        "before = any(m in sys.modules for m in ('activelab.scenarios', "
        "'activelab.oracles.panel', 'activelab.oracles.aggregation'))\n"
        "from activelab import AnnotatorPanel, StreamLearner, SynthesisLoop\n"
        "print(before, StreamLearner.__module__, SynthesisLoop.__module__, "
        "AnnotatorPanel.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "activelab.scenarios.stream", "activelab.scenarios.synthesis",
                   "activelab.oracles.panel"]
