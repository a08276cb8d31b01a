import io

import numpy as np
import pandas as pd
import pytest

from activelab import ActiveLabError, ConsoleOracle, Oracle, Pool, SimulatedOracle


def test_simulated_oracle_answers_by_id_with_cost_and_name():
    oracle = SimulatedOracle(["a", "b", "c"], ids=["x", "y", "z"], name="truth", cost_per_label=2.5)
    answers = oracle.label(["z", "x"])
    assert answers.ids.tolist() == ["z", "x"]
    assert answers.labels.tolist() == ["c", "a"]
    assert answers.annotator == "truth"
    assert answers.total_cost == 5.0
    assert isinstance(oracle, Oracle)
    with pytest.raises(ActiveLabError, match="not in the oracle's labels"):
        oracle.label(["nope"])


def scripted(*answers):
    it = iter(answers)

    def read(prompt):
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return read


def test_console_oracle_takes_names_numbers_skips_and_reprompts():
    out = io.StringIO()
    pool = Pool(["great film", "boring film", "film"], ids=["r1", "r2", "r3"])
    oracle = ConsoleOracle(pool, classes=["pos", "neg"], input=scripted("pos", "maybe", "2", "s"),
                           output=out)
    answers = oracle.label(["r1", "r2", "r3"])
    assert answers.ids.tolist() == ["r1", "r2"]
    assert answers.labels.tolist() == ["pos", "neg"]
    assert answers.skipped.tolist() == ["r3"]
    assert not answers.stop
    text = out.getvalue()
    assert "great film" in text and "boring film" in text
    assert "'maybe' is not a label" in text


def test_console_oracle_quit_keeps_what_was_labeled():
    pool = Pool(np.eye(3))
    oracle = ConsoleOracle(pool, classes=[0, 1], input=scripted("1", "q"), output=io.StringIO())
    answers = oracle.label([2, 0, 1])
    assert answers.ids.tolist() == [2]
    assert answers.labels.tolist() == [1]  # "1" is the class 1, not the first class
    assert answers.stop


def test_console_oracle_stops_at_end_of_input():
    pool = Pool(["a", "b"])
    answers = ConsoleOracle(pool, input=scripted("anything"), output=io.StringIO()).label([0, 1])
    assert answers.labels.tolist() == ["anything"]
    assert answers.stop


def test_console_oracle_shows_table_rows():
    out = io.StringIO()
    pool = Pool(pd.DataFrame({"height": [1.5, 2.0], "colour": [3, 4]}))
    ConsoleOracle(pool, input=scripted("q"), output=out).label([1])
    assert "height" in out.getvalue() and "2.0" in out.getvalue()


def test_numeric_classes_are_typed_as_themselves_not_by_position():
    out, prompts = io.StringIO(), []
    answers = iter(["1", "10", "9"])

    def read(prompt):
        prompts.append(prompt)
        return next(answers)

    oracle = ConsoleOracle(Pool(np.eye(3)), classes=list(range(10)), input=read, output=out)
    assert oracle.label([0, 1]).labels.tolist() == [1, 9]
    assert prompts[0].startswith("label [0, 1, 2, 3") and "1=0" not in prompts[0]
    assert "'10' is not a label" in out.getvalue() and "id 0\n" in out.getvalue()
