"""Old import paths of the modules that moved into subpackages still work, for one release."""

import importlib
import subprocess
import sys
import warnings

import pytest

from activelab.moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_gives_the_new_modules_names_with_a_deprecation_warning(old):
    code = (
        "import importlib, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        f"    module = importlib.import_module({old!r})\n"
        "print(sum(issubclass(w.category, DeprecationWarning) and 'moved to' in str(w.message)\n"
        "          for w in caught))\n"
    )
    # a fresh interpreter: in this one the alias may already be imported
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1", out.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(old)
    for new in MOVED[old]:
        target = importlib.import_module(new)
        for name in getattr(target, "__all__", ()):
            assert getattr(module, name) is getattr(target, name), (old, name)


def test_a_moved_module_keeps_its_own_spec_and_identity():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("activelab.datasets")
    new = importlib.import_module("activelab.data.datasets")
    assert old is new
    assert new.__spec__.name == "activelab.data.datasets"


def test_public_names_of_the_package_did_not_move():
    import activelab

    assert activelab.stream.StreamLearner is activelab.StreamLearner
    assert activelab.synthesis.SynthesisLoop is activelab.SynthesisLoop
    from activelab.oracles import SimulatedOracle
    from activelab.selection import TopKAccumulator, top_k

    assert SimulatedOracle is activelab.SimulatedOracle
    assert callable(top_k) and callable(TopKAccumulator)
