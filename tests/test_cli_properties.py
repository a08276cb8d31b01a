"""Property-based tests of the command line (issue 17): whatever the option values and
whatever small table is given, ``activelab`` ends with exit status 0 or 2, never shows a
traceback, and a refused command leaves no file or folder behind.

The commands run in-process through click's CliRunner, each in a fresh temporary folder
that is also the working directory, so a stray relative path would show up in its listing.
``OUTCOMES`` counts what was tried; ``test_zz_outcomes_were_counted`` prints the counts
(``pytest -s``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activelab.cli import main

OUTCOMES: Counter[tuple[str, int]] = Counter()
#: More examples (and a random search) with ACTIVELAB_CLI_EXAMPLES=500, to hunt for bugs.
_EXAMPLES = int(os.environ.get("ACTIVELAB_CLI_EXAMPLES", "0"))
SETTINGS = settings(max_examples=_EXAMPLES or 40, deadline=None, derandomize=not _EXAMPLES,
                    suppress_health_check=[HealthCheck.too_slow])

INTS = st.one_of(st.integers(-3, 3).map(str), st.sampled_from(["", "x", "1.5", " 7", "1e3"]))
SEEDS = st.one_of(INTS, st.sampled_from([str(2**32 - 1), str(2**32), str(2**63), "-2147483648"]))
REPEATS = st.sampled_from(["1", "1", "2", "0", "-1", "1001", str(10**9), "x"])
OUT = st.sampled_from(["out", "out", "a/b/out", "", "a_file", "a_file/out", "."])
FOREIGN = {  # options of one scenario given to another
    "pool": ["--rules", "--label-fraction", "--items"],
    "stream": ["--strategies", "--budget", "--test-size", "--categorical", "--jobs"],
    "synthesis": ["--model", "--label-fraction", "--items", "--jobs", "--target"],
}


@contextlib.contextmanager
def working_directory(path: str) -> Iterator[None]:
    """``contextlib.chdir`` for Python 3.10."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run_in_fresh_folder(group: str, argv_of: object, files: dict[str, str]) -> None:
    """Run ``argv_of(folder)`` in a new folder holding ``files``; check the outcome."""
    with tempfile.TemporaryDirectory() as name, working_directory(name):
        folder = Path(name)
        (folder / "a_file").write_text("not a folder\n")
        for file_name, text in files.items():
            (folder / file_name).write_text(text)
        argv = argv_of(folder)  # type: ignore[operator]
        before = listing(folder)
        result = CliRunner().invoke(main, argv, prog_name="activelab")
        after = listing(folder)
    OUTCOMES[(group, result.exit_code)] += 1
    assert result.exit_code in (0, 2), (argv, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.output)
    assert "Traceback" not in result.output, (argv, result.output)
    if result.exit_code == 2:
        assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1, (
            argv, result.stderr)
        assert after == before, (argv, after - before)
    else:
        out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("bench-output")
        new = {Path(p) for p in after - before}
        assert all(out in p.parents or p == out or p in out.parents for p in new), (argv, new)


@st.composite
def small_tables(draw: st.DrawFn) -> str:
    """A small CSV: numbers with now and then a word, a unit or a blank; categories; a label."""
    n = draw(st.integers(0, 24))
    odd = st.sampled_from(["5.1cm", "n/a", "", "x", "1e400", "-"])
    number = st.floats(-5, 5, allow_nan=False).map(lambda v: f"{v:.2f}")
    rows = ["size,colour,target"]
    for _ in range(n):
        size = draw(st.one_of(number, number, number, number, number, odd))
        colour = draw(st.sampled_from(["red", "blue", "green"]))
        label = draw(st.sampled_from(["0", "1", "1", "0", "yes"]))
        rows.append(f"{size},{colour},{label}")
    return "\n".join(rows) + "\n"


def options(draw: st.DrawFn, good: dict[str, list[str]], bad: dict[str, st.SearchStrategy[str]],
            foreign: list[str]) -> list[str]:
    """``--option value`` pairs: good values, except in up to two options drawn to be bad,
    and now and then an option of another scenario."""
    spoiled = draw(st.sets(st.sampled_from(sorted(bad)), max_size=2))
    argv = []
    for option, values in good.items():
        argv += [option, draw(bad[option] if option in spoiled else st.sampled_from(values))]
    if draw(st.integers(0, 5)) == 0:
        argv += [draw(st.sampled_from(foreign)), "1"]
    return argv


@st.composite
def pool_commands(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    files: dict[str, str] = {}
    good = {"--data": ["iris", "wine"], "--strategies": ["random", "margin,random"],
            "--initial": ["6", "10"], "--budget": ["20", "30"], "--batch-size": ["10"],
            "--repeats": ["1", "2"], "--seed": ["0", "7", str(2**32 - 2)],
            "--test-size": ["0.25", "0.5"], "--jobs": ["1"], "--out": ["out", "a/b/out"]}
    bad = {"--data": st.sampled_from(["table.csv", "missing.csv", "irs", "", "a_file"]),
           "--strategies": st.sampled_from(["margn", "", "margin,margin", "vote_entropy"]),
           "--initial": st.sampled_from(["-1", "30", "x"]),
           "--budget": st.sampled_from(["-1", "0", "6", "113", str(10**6)]),
           "--batch-size": st.sampled_from(["-1", "0", "x"]), "--repeats": REPEATS,
           "--seed": SEEDS, "--test-size": st.sampled_from(["0", "1", "1.5", "nan", "x"]),
           "--jobs": st.sampled_from(["0", "-1", "2000"]), "--out": OUT}
    argv = ["bench", *options(draw, good, bad, FOREIGN["pool"])]
    if argv[argv.index("--data") + 1] == "table.csv":
        files["table.csv"] = draw(small_tables())
        if draw(st.booleans()):
            argv += ["--categorical", draw(st.sampled_from(["size", "colour", "target", "x"]))]
    if draw(st.integers(0, 3)) == 0:
        argv += ["--model", draw(st.sampled_from(["logreg", "svc", "knn", "ridge", "nb"]))]
    return argv, files


@st.composite
def stream_commands(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    good = {"--data": ["hyperplane", "sea"], "--items": ["300", "600"],
            "--label-fraction": ["0.05", "0.2"], "--rules": ["random", "split,random"],
            "--repeats": ["1", "2"], "--seed": ["0", "3"], "--model": ["sgd", "logreg"],
            "--out": ["out", "a/b/out"]}
    bad = {"--data": st.sampled_from(["nope", "a_file", ""]),
           "--items": st.sampled_from(["-1", "0", str(10**8 + 1), "x"]),
           "--label-fraction": st.sampled_from(["0", "1.5", "nan", "x", "0.0001"]),
           "--rules": st.sampled_from(["nope", "random,random", ""]), "--repeats": REPEATS,
           "--seed": SEEDS, "--model": st.sampled_from(["svm", ""]), "--out": OUT}
    return ["bench", "--scenario", "stream", *options(draw, good, bad, FOREIGN["stream"])], {}


@st.composite
def synthesis_commands(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    good = {"--data": ["wavy-2d"], "--rules": ["random", "synthesis,random"],
            "--initial": ["2", "4"], "--budget": ["8", "12"], "--repeats": ["1"],
            "--seed": ["0", "5"], "--out": ["out", "a/b/out"]}
    bad = {"--data": st.sampled_from(["nope", "wavy-2d,wavy-2d", ""]),
           "--rules": st.sampled_from(["nope", "", "random,random"]),
           "--initial": st.sampled_from(["-1", "5000", "x", "12"]),
           "--budget": st.sampled_from(["-1", "2", str(10**6)]), "--repeats": REPEATS,
           "--seed": SEEDS, "--out": OUT}
    return ["bench", "--scenario", "synthesis",
            *options(draw, good, bad, FOREIGN["synthesis"])], {}


@pytest.mark.parametrize("commands", [pool_commands, stream_commands, synthesis_commands],
                         ids=["pool", "stream", "synthesis"])
def test_bench_exits_0_or_2_and_a_refusal_writes_nothing(commands: object) -> None:
    @SETTINGS
    @given(drawn=commands())  # type: ignore[operator]
    def check(drawn: tuple[list[str], dict[str, str]]) -> None:
        argv, files = drawn
        run_in_fresh_folder(argv[2] if argv[1] == "--scenario" else "pool", lambda _: argv, files)

    check()


ITEMS = "id,text\n1,a cat\n2,a dog\n3,a bird\n"
PLACES = st.sampled_from(["items.csv", "missing.csv", "sub/items.csv", "", "a_file"])


@st.composite
def server_commands(draw: st.DrawFn) -> list[str]:
    """Server commands on a folder where no project was ever served: all are refused."""
    place = draw(PLACES)
    where = draw(st.sampled_from([["--data", place], ["--db", f"sqlite:///{place}"],
                                  ["--db", "nope://x"]]))
    kind = draw(st.sampled_from(["users add", "users list", "export", "serve"]))
    if kind == "users add":
        return ["users", "add", draw(st.sampled_from(["ann", ""])), "--role",
                draw(st.sampled_from(["annotator", "boss"])), *where]
    if kind == "users list":
        return ["users", "list", *where]
    if kind == "export":
        return ["export", *where, "--out", draw(st.sampled_from(["-", "l.csv", "sub/l.csv", ""]))]
    bad = draw(st.sampled_from([["--port", "70000"], ["--port", "0"], ["--port", "-1"],
                                ["--seed", "-1"], ["--seed", str(2**32)], ["--port", "x"]]))
    return ["serve", "--data", place or "items.csv", "--text-column",
            draw(st.sampled_from(["text", "body"])), "--labels",
            draw(st.sampled_from(["a,b", "a", ""])), *bad]


@SETTINGS
@given(argv=server_commands())
def test_server_commands_refuse_without_creating_a_database(argv: list[str]) -> None:
    pytest.importorskip("fastapi")

    def checked(folder: Path) -> list[str]:
        return argv

    run_in_fresh_folder("server", checked, {"items.csv": ITEMS})
    assert OUTCOMES[("server", 0)] == 0


def test_zz_outcomes_were_counted() -> None:
    tried = sum(OUTCOMES.values())
    refused = sum(n for (_group, code), n in OUTCOMES.items() if code == 2)
    print(f"\nCLI property tests: {tried} command lines, {refused} refused (exit 2), "
          f"{tried - refused} ran (exit 0); by group: {dict(sorted(OUTCOMES.items()))}")
    if os.environ.get("PYTEST_XDIST_WORKER") is None and tried:
        assert refused > 0
