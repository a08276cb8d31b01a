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


def test_the_stream_and_synthesis_scenarios_load_on_first_use():
    code = (
        "import sys, activelab\n"
        "before = 'activelab.scenarios' in sys.modules\n"
        "from activelab import StreamLearner, SynthesisLoop\n"
        "print(before, StreamLearner.__module__, SynthesisLoop.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "activelab.scenarios.stream", "activelab.scenarios.synthesis"]
