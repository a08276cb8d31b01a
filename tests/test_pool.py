import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from activelab import ActiveLabError, Pool


def test_default_ids_are_positions_and_stay_stable_as_items_get_labeled():
    pool = Pool(np.arange(10.0).reshape(5, 2))
    assert pool.ids.tolist() == [0, 1, 2, 3, 4]
    pool.add_labels([3, 1], ["b", "a"])
    assert pool.unlabeled_ids.tolist() == [0, 2, 4]
    assert pool.labeled_ids.tolist() == [1, 3]
    assert pool.labels_of([3, 1]).tolist() == ["b", "a"]
    assert pool.items([4]).tolist() == [[8.0, 9.0]]


def test_user_ids_map_back_to_their_records():
    X = np.array([[1.0], [2.0], [3.0]])
    pool = Pool(X, ids=["zeta", "alpha", "mid"])
    assert pool.items(["mid", "zeta"]).ravel().tolist() == [3.0, 1.0]
    pool.add_labels(["alpha"], [7])
    assert pool.unlabeled_ids.tolist() == ["zeta", "mid"]
    assert pool.positions(["mid", "alpha"]).tolist() == [2, 1]


def test_integer_ids_that_are_not_positions():
    pool = Pool(np.eye(3), ids=[100, 7, 42])
    assert pool.positions([42, 100]).tolist() == [2, 0]
    with pytest.raises(ActiveLabError, match="not in the pool"):
        pool.positions([0])


@pytest.mark.parametrize(
    "X",
    [
        np.eye(4),
        sp.csr_matrix(np.eye(4)),
        pd.DataFrame(np.eye(4), columns=list("abcd")),
        ["one text", "two", "three", "four"],
    ],
    ids=["dense", "sparse", "dataframe", "texts"],
)
def test_every_input_kind_returns_items_in_its_own_type(X):
    pool = Pool(X, ids=["w", "x", "y", "z"])
    items = pool.items(["z", "x"])
    if isinstance(X, list):
        assert items == ["four", "two"]
    elif isinstance(X, pd.DataFrame):
        assert list(items.index) == [3, 1]
    else:
        dense = items.toarray() if sp.issparse(items) else items
        assert dense.tolist() == [[0, 0, 0, 1], [0, 1, 0, 0]]
    pool.add_labels(["w"], [1])
    rows, y = pool.labeled_data()
    assert len(y) == 1 and y[0] == 1


def test_unknown_ids_are_refused_with_their_names():
    pool = Pool(np.eye(3))
    with pytest.raises(ActiveLabError, match=r"1 id\(s\) are not in the pool, e.g. \[999\]"):
        pool.add_labels([999], [1])
    assert pool.n_labeled == 0


def test_a_failed_call_records_nothing():
    pool = Pool(np.eye(4))
    with pytest.raises(ActiveLabError):
        pool.add_labels([0, 1, 99], [1, 1, 1])
    with pytest.raises(ActiveLabError, match="twice"):
        pool.add_labels([0, 0], [1, 1])
    with pytest.raises(ActiveLabError, match="one label per id"):
        pool.add_labels([0, 1], [1])
    with pytest.raises(ActiveLabError, match="real label"):
        pool.add_labels([0, 1], [1, None])
    assert pool.n_labeled == 0 and pool.events == [] and pool.version == 0


def test_a_different_label_is_a_correction_not_an_overwrite():
    pool = Pool(np.eye(3))
    pool.add_labels([0], ["cat"], annotator="ann")
    pool.add_labels([0], ["cat"], annotator="bob")  # a repeat of the same label is fine
    with pytest.raises(ActiveLabError, match="correct_labels"):
        pool.add_labels([0], ["dog"])
    assert pool.labels_of([0]).tolist() == ["cat"]
    pool.correct_labels([0], ["dog"], annotator="rev")
    assert pool.labels_of([0]).tolist() == ["dog"]
    log = [(e.id, e.label, e.annotator, e.kind) for e in pool.events]
    assert log == [
        (0, "cat", "ann", "label"),
        (0, "cat", "bob", "label"),
        (0, "dog", "rev", "correction"),
    ]
    with pytest.raises(ActiveLabError, match="no label to correct"):
        pool.correct_labels([1], ["dog"])


def test_labels_of_an_unlabeled_id_is_an_error():
    pool = Pool(np.eye(3))
    with pytest.raises(ActiveLabError, match="no label yet"):
        pool.labels_of([2])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features_are_refused(bad):
    X = np.ones((5, 2))
    X[3, 1] = bad
    with pytest.raises(ActiveLabError, match=r"NaN or infinite values in 1 row\(s\) \(first at position 3\)"):
        Pool(X)
    with pytest.raises(ActiveLabError, match="NaN or infinite"):
        Pool(sp.csr_matrix(X))
    with pytest.raises(ActiveLabError, match="NaN or infinite"):
        Pool(pd.DataFrame(X))


@pytest.mark.parametrize(
    ("X", "ids", "message"),
    [
        (np.zeros((0, 2)), None, "empty"),
        (np.zeros(5), None, "2-D"),
        (np.eye(3), [1, 1, 2], "unique"),
        (np.eye(3), [1, 2], "one id per item"),
        (np.eye(2), [1.5, 2.5], "integers or strings"),
        ("not a pool", None, "Pool needs"),
    ],
)
def test_bad_construction_gets_a_clear_error(X, ids, message):
    with pytest.raises(ActiveLabError, match=message):
        Pool(X, ids=ids)


def test_version_grows_with_every_labeling():
    pool = Pool(np.eye(3))
    v0 = pool.version
    pool.add_labels([0], [1])
    pool.add_labels([1], [0])
    assert pool.version == v0 + 2


def test_lookup_of_many_string_ids_matches_a_dict():
    rng = np.random.default_rng(0)
    ids = np.array([f"rec-{i}" for i in rng.permutation(5000)])
    pool = Pool(np.zeros((5000, 1)), ids=ids)
    reference = {key: pos for pos, key in enumerate(ids)}
    query = ids[rng.choice(5000, 300, replace=False)]
    assert pool.positions(query).tolist() == [reference[k] for k in query]


def test_a_series_of_texts_is_indexed_by_position_not_by_its_index():
    texts = pd.Series(["zero", "one", "two"], index=[2, 0, 1])
    pool = Pool(texts)
    assert list(pool.items([0, 2])) == ["zero", "two"]
    pool.add_labels([0], ["z"])
    items, labels = pool.labeled_data()
    assert list(items) == ["zero"] and labels.tolist() == ["z"]
    assert list(Pool(pd.Series(["a", "b"], index=[10, 11])).items([0])) == ["a"]


def test_ragged_rows_and_mixed_ids_are_refused():
    with pytest.raises(ActiveLabError, match="different lengths"):
        Pool([[1, 2], [3]])
    with pytest.raises(ActiveLabError, match="mix strings and numbers"):
        Pool(np.eye(2), ids=[1, "a"])


@pytest.mark.parametrize("missing", [np.float32("nan"), pd.NA, None, float("inf")])
def test_missing_labels_are_refused(missing):
    pool = Pool(np.eye(2))
    with pytest.raises(ActiveLabError, match="real label"):
        pool.add_labels([0], [missing])
    assert pool.n_labeled == 0


def test_an_empty_call_changes_nothing():
    pool = Pool(np.eye(2))
    pool.add_labels([], [])
    assert pool.version == 0 and pool.events == []


def test_label_vectors_are_kept_and_compared_whole():
    pool = Pool(np.eye(3))
    pool.add_labels([0, 1], [[1, 0, 1], [0, 1, 1]])
    assert pool.labels_of([1, 0]).tolist() == [[0, 1, 1], [1, 0, 1]]
    pool.add_labels([0], [[1, 0, 1]])  # the same vector again is a repeat
    with pytest.raises(ActiveLabError, match="correct_labels"):
        pool.add_labels([0], [[1, 0]])
    pool.correct_labels([0], [[1, 1]])
    assert [list(v) for v in pool.labels_of([0, 1])] == [[1, 1], [0, 1, 1]]
