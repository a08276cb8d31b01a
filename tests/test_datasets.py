"""Tests for activelab.data.datasets: bundled sets, file loaders and their error messages."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from conftest import raises_user_error
from sklearn.datasets import dump_svmlight_file

from activelab.data.datasets import BUNDLED, Dataset, bundled_names, load


def labelled_frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "width": rng.normal(size=n),
            "height": rng.integers(0, 100, size=n),
            "label": np.arange(n) % 3,
        }
    )


def write_csv(tmp_path: Path, frame: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# --- bundled ----------------------------------------------------------------------------


def test_bundled_names_are_sorted_and_complete() -> None:
    expected = ["anes96", "banana", "blobs", "breast_cancer", "checkerboard", "circles",
                "diabetes", "digits", "fair", "friedman", "grunfeld", "heavy_tails",
                "honeypot", "imbalanced", "iris", "moons", "multilabel_synth", "noisy_labels",
                "sparse_linear", "star98", "wine", "xor"]
    assert bundled_names() == expected
    assert sorted(BUNDLED) == expected


@pytest.mark.parametrize(
    ("name", "shape", "n_classes"),
    [
        ("digits", (1797, 64), 10),
        ("iris", (150, 4), 3),
        ("wine", (178, 13), 3),
        ("breast_cancer", (569, 30), 2),
        ("blobs", (2000, 20), 4),
        ("moons", (1000, 2), 2),
    ],
)
def test_bundled_data_set_shape_and_classes(
    name: str, shape: tuple[int, int], n_classes: int
) -> None:
    dataset = load(name)
    assert isinstance(dataset, Dataset)
    assert dataset.name == name
    assert dataset.X.shape == shape
    assert dataset.X.dtype == np.float64
    assert dataset.y.shape == (shape[0],)
    assert dataset.y.dtype == np.int64
    assert dataset.n_items == shape[0]
    assert len(dataset.classes) == n_classes
    assert len(dataset.feature_names) == shape[1]
    assert all(isinstance(feature, str) for feature in dataset.feature_names)
    assert f"{shape[0]} items, {shape[1]} features, {n_classes} classes" in dataset.description
    assert "\n" not in dataset.description


def test_bundled_regression_sets() -> None:
    from sklearn.datasets import load_diabetes, make_friedman1

    friedman = load("friedman")
    X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    np.testing.assert_array_equal(friedman.X, X)
    np.testing.assert_array_equal(friedman.y, y)
    diabetes = load("diabetes")
    assert diabetes.X.shape == (442, 10)
    np.testing.assert_array_equal(diabetes.y, load_diabetes().target)
    for dataset, n_features in ((friedman, 10), (diabetes, 10)):
        assert dataset.task == "regression"
        assert dataset.y.dtype == np.float64  # diabetes' integral targets stay numbers
        assert dataset.description.endswith(
            f"{dataset.n_items} items, {n_features} features, regression target"
        )


def test_bundled_multilabel_set() -> None:
    from sklearn.datasets import make_multilabel_classification

    dataset = load("multilabel_synth")
    X, Y = make_multilabel_classification(n_samples=1000, n_features=20, n_classes=5,
                                          random_state=0)
    np.testing.assert_array_equal(dataset.X, X)
    np.testing.assert_array_equal(dataset.y, Y)
    assert dataset.task == "multilabel"
    assert dataset.y.dtype == np.int64
    assert dataset.classes.tolist() == [0, 1, 2, 3, 4]
    assert dataset.description.endswith("1000 items, 20 features, 5 labels")


def test_bundled_feature_names_come_from_sklearn() -> None:
    assert load("iris").feature_names[0] == "sepal length (cm)"
    assert load("digits").feature_names[:2] == ["pixel_0_0", "pixel_0_1"]


@pytest.mark.parametrize("name", ["blobs", "moons", "friedman", "multilabel_synth"])
def test_generated_data_sets_are_identical_across_loads(name: str) -> None:
    first, second = load(name), load(name)
    np.testing.assert_array_equal(first.X, second.X)
    np.testing.assert_array_equal(first.y, second.y)


def test_bundled_name_rejects_target() -> None:
    with raises_user_error("bundled data set.*do not pass --target"):
        load("iris", target="species")


def test_dataset_is_frozen() -> None:
    dataset = load("iris")
    with pytest.raises(AttributeError):
        dataset.name = "other"  # type: ignore[misc]


# --- CSV --------------------------------------------------------------------------------


def test_csv_round_trip_with_auto_detected_label(tmp_path: Path) -> None:
    frame = labelled_frame()
    dataset = load(write_csv(tmp_path, frame))
    assert dataset.name == "data.csv"
    assert dataset.feature_names == ["width", "height"]
    np.testing.assert_array_equal(dataset.X, frame[["width", "height"]].to_numpy(dtype=float))
    np.testing.assert_array_equal(dataset.y, frame["label"].to_numpy())
    assert dataset.y.dtype == np.int64
    assert "40 items, 2 features, 3 classes" in dataset.description


def test_csv_label_detection_ignores_case(tmp_path: Path) -> None:
    frame = labelled_frame().rename(columns={"label": "Class"})
    dataset = load(write_csv(tmp_path, frame))
    np.testing.assert_array_equal(dataset.y, frame["Class"].to_numpy())


def test_csv_explicit_target(tmp_path: Path) -> None:
    frame = labelled_frame().rename(columns={"label": "outcome"})
    dataset = load(write_csv(tmp_path, frame), target="outcome")
    assert dataset.feature_names == ["width", "height"]
    np.testing.assert_array_equal(dataset.y, frame["outcome"].to_numpy())


def test_explicit_target_beats_a_column_called_label(tmp_path: Path) -> None:
    frame = labelled_frame()
    frame["outcome"] = np.arange(len(frame)) % 2
    dataset = load(write_csv(tmp_path, frame), target="outcome")
    assert dataset.feature_names == ["width", "height", "label"]
    np.testing.assert_array_equal(dataset.y, frame["outcome"].to_numpy())


def test_gzipped_csv(tmp_path: Path) -> None:
    frame = labelled_frame()
    path = tmp_path / "data.csv.gz"
    frame.to_csv(path, index=False)
    np.testing.assert_array_equal(load(path).y, frame["label"].to_numpy())


def test_bool_columns_become_zero_and_one(tmp_path: Path) -> None:
    frame = labelled_frame(6)
    frame["flag"] = [True, False, True, True, False, False]
    dataset = load(write_csv(tmp_path, frame))
    flag = dataset.X[:, dataset.feature_names.index("flag")]
    np.testing.assert_array_equal(flag, [1, 0, 1, 1, 0, 0])


def test_categorical_columns_are_one_hot_encoded(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "size": [1.0, 2.0, 3.0, 4.0],
            "color": ["red", "blue", "red", "green"],
            "label": [0, 1, 0, 1],
        }
    )
    dataset = load(write_csv(tmp_path, frame))
    assert dataset.feature_names == ["size", "color=blue", "color=green", "color=red"]
    expected = [[1, 0, 0, 1], [2, 1, 0, 0], [3, 0, 0, 1], [4, 0, 1, 0]]
    np.testing.assert_array_equal(dataset.X, np.array(expected, dtype=float))


def test_string_labels_are_preserved(tmp_path: Path) -> None:
    frame = labelled_frame(6)
    frame["label"] = ["cat", "dog", "cat", "bird", "dog", "cat"]
    dataset = load(write_csv(tmp_path, frame))
    assert dataset.y.dtype.kind == "U"
    assert dataset.y.tolist() == ["cat", "dog", "cat", "bird", "dog", "cat"]
    assert dataset.classes.tolist() == ["bird", "cat", "dog"]


def test_integral_float_labels_become_int64(tmp_path: Path) -> None:
    frame = labelled_frame(6)
    frame["label"] = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
    dataset = load(write_csv(tmp_path, frame))
    assert dataset.y.dtype == np.int64
    assert dataset.y.tolist() == [1, 2, 1, 2, 1, 2]


def test_free_text_column_is_rejected(tmp_path: Path) -> None:
    frame = labelled_frame(60)
    frame["review"] = [f"review number {i}" for i in range(60)]
    with raises_user_error(
        r"column 'review' looks like free text \(60 distinct values\)"
    ) as excinfo:
        load(write_csv(tmp_path, frame))
    assert "drop it or turn it into numbers" in str(excinfo.value)


def test_fifty_categories_are_still_one_hot_encoded(tmp_path: Path) -> None:
    frame = labelled_frame(50)
    frame["code"] = [f"c{i:02d}" for i in range(50)]
    dataset = load(write_csv(tmp_path, frame))
    assert dataset.X.shape == (50, 52)


def test_unknown_target_lists_columns(tmp_path: Path) -> None:
    with raises_user_error("no column 'species'; columns are: width, height, label"):
        load(write_csv(tmp_path, labelled_frame()), target="species")


def test_missing_label_column_asks_for_target(tmp_path: Path) -> None:
    frame = labelled_frame().rename(columns={"label": "outcome"})
    with raises_user_error(
        "name the label column with --target; columns are: width, height, outcome"
    ):
        load(write_csv(tmp_path, frame))


def test_ambiguous_label_column_asks_for_target(tmp_path: Path) -> None:
    frame = labelled_frame()
    frame["y"] = frame["label"]
    with raises_user_error(r"several columns could be the label \(label, y\)") as excinfo:
        load(write_csv(tmp_path, frame))
    assert "--target" in str(excinfo.value)


def test_rows_without_label_are_rejected(tmp_path: Path) -> None:
    frame = labelled_frame(10).astype({"label": float})
    frame.loc[[3, 7], "label"] = np.nan
    with raises_user_error(
        r"2 rows without a value in the label column 'label' \(first is data row 4\); drop or label"
    ):
        load(write_csv(tmp_path, frame))


def test_rows_without_string_label_are_rejected(tmp_path: Path) -> None:
    frame = labelled_frame(4)
    frame["label"] = ["a", None, "b", "a"]
    with raises_user_error(r"1 row without a value .*\(first is data row 2\)"):
        load(write_csv(tmp_path, frame))


def test_nan_features_are_rejected(tmp_path: Path) -> None:
    frame = labelled_frame(10)
    frame.loc[[2, 5], "width"] = np.nan
    with raises_user_error(
        "NaN or infinite values in 2 rows of features width; impute or drop them"
    ):
        load(write_csv(tmp_path, frame))


def test_infinite_features_are_rejected(tmp_path: Path) -> None:
    frame = labelled_frame(10).astype({"height": float})
    frame.loc[1, "height"] = np.inf
    frame.loc[4, "width"] = -np.inf
    with raises_user_error("NaN or infinite values in 2 rows of features width, height;"):
        load(write_csv(tmp_path, frame))


def test_missing_category_is_reported_like_nan(tmp_path: Path) -> None:
    frame = labelled_frame(4)
    frame["color"] = ["red", None, "blue", "red"]
    with raises_user_error("NaN or infinite values in 1 row of features color=blue, color=red;"):
        load(write_csv(tmp_path, frame))


def test_table_without_features_is_rejected(tmp_path: Path) -> None:
    frame = pd.DataFrame({"label": [0, 1, 0]})
    with raises_user_error("no feature columns"):
        load(write_csv(tmp_path, frame))


def test_table_without_rows_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("width,label\n")
    with raises_user_error("has no rows"):
        load(path)


def test_unparseable_csv_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"")
    with raises_user_error("could not read 'broken.csv' as CSV"):
        load(path)


def test_one_class_is_rejected(tmp_path: Path) -> None:
    frame = labelled_frame(5)
    frame["label"] = "a"
    with raises_user_error(r"the label column 'label' has one class \('a'\); .*needs at least two"):
        load(write_csv(tmp_path, frame))


# --- Parquet ----------------------------------------------------------------------------


def test_parquet_round_trip(tmp_path: Path) -> None:
    frame = labelled_frame()
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, index=False)
    dataset = load(path)
    np.testing.assert_array_equal(dataset.X, frame[["width", "height"]].to_numpy(dtype=float))
    np.testing.assert_array_equal(dataset.y, frame["label"].to_numpy())


def test_parquet_pq_suffix(tmp_path: Path) -> None:
    frame = labelled_frame()
    path = tmp_path / "data.pq"
    frame.to_parquet(path, index=False)
    np.testing.assert_array_equal(load(path).y, frame["label"].to_numpy())


def test_parquet_directory_of_two_files(tmp_path: Path) -> None:
    frame = labelled_frame()
    directory = tmp_path / "parts"
    directory.mkdir()
    frame.iloc[:25].to_parquet(directory / "part-0.parquet", index=False)
    frame.iloc[25:].to_parquet(directory / "part-1.parquet", index=False)
    dataset = load(directory)
    assert dataset.n_items == len(frame)
    np.testing.assert_array_equal(dataset.X, frame[["width", "height"]].to_numpy(dtype=float))
    np.testing.assert_array_equal(dataset.y, frame["label"].to_numpy())


def test_directory_without_parquet_files_is_rejected(tmp_path: Path) -> None:
    with raises_user_error("has no .parquet or .pq files"):
        load(tmp_path)


def test_parquet_without_pyarrow_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.parquet"
    labelled_frame().to_parquet(path, index=False)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with raises_user_error(r"reading Parquet needs pyarrow: pip install 'activelab\[parquet\]'"):
        load(path)


# --- NPZ --------------------------------------------------------------------------------


def test_npz_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 4)), np.arange(30) % 2
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y)
    dataset = load(path)
    np.testing.assert_array_equal(dataset.X, X)
    np.testing.assert_array_equal(dataset.y, y)
    assert dataset.feature_names == ["x0", "x1", "x2", "x3"]


def test_npz_target_picks_the_label_array(tmp_path: Path) -> None:
    X = np.arange(12.0).reshape(6, 2)
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=np.zeros(6), species=np.array(["a", "b"] * 3))
    assert load(path, target="species").y.tolist() == ["a", "b"] * 3


def test_npz_missing_key_lists_arrays(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    np.savez(path, features=np.zeros((3, 2)), y=np.array([0, 1, 0]))
    with raises_user_error("no array named 'X'; arrays present: features, y"):
        load(path)


def test_npz_nan_features_are_rejected(tmp_path: Path) -> None:
    X = np.ones((4, 3))
    X[2, 1] = np.nan
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=np.array([0, 1, 0, 1]))
    with raises_user_error("NaN or infinite values in 1 row of features x1;"):
        load(path)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.ones(4), np.array([0, 1, 0, 1]), "X must be 2-D"),
        (np.ones((4, 2)), np.zeros((4, 2, 2)), "labels must be 1-D"),
        (np.ones((4, 2)), np.array([[0], [1], [0], [1]]), "labels must be 1-D"),
        (np.ones((4, 2)), np.array([[0, 1], [0, 1]]), "X has 4 rows but there are 2 labels"),
        (np.ones((4, 2)), np.array([0, 1, 0]), "X has 4 rows but there are 3 labels"),
    ],
)
def test_npz_bad_shapes_are_rejected(
    tmp_path: Path, X: np.ndarray, y: np.ndarray, match: str
) -> None:
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y)
    with raises_user_error(match):
        load(path)


def test_corrupt_npz_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    path.write_text("not an archive")
    with raises_user_error("could not read 'data.npz'"):
        load(path)


# --- svmlight ---------------------------------------------------------------------------


def test_svmlight_round_trip_keeps_x_sparse(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 5))
    X[X < 0.3] = 0.0
    X[:, 0] = 1.0  # a non-zero first column keeps zero-based index detection unambiguous
    X[0, -1] = 2.0
    y = np.arange(20) % 3
    for suffix in (".svm", ".svmlight", ".libsvm"):
        path = tmp_path / f"data{suffix}"
        dump_svmlight_file(X, y, str(path))
        dataset = load(path)
        assert scipy.sparse.issparse(dataset.X)
        assert dataset.X.format == "csr"
        assert dataset.X.dtype == np.float64
        np.testing.assert_allclose(dataset.X.toarray(), X)
        assert dataset.y.dtype == np.int64
        np.testing.assert_array_equal(dataset.y, y)


def test_svmlight_rejects_target(tmp_path: Path) -> None:
    path = tmp_path / "data.svm"
    dump_svmlight_file(np.eye(2), np.array([0, 1]), str(path))
    with raises_user_error("do not pass --target"):
        load(path, target="label")


def test_svmlight_nan_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "data.svm"
    path.write_text("0 1:1.0 2:nan\n1 1:2.0 2:3.0\n")
    with raises_user_error("NaN or infinite values in 1 row of features x1;"):
        load(path)


# --- JSONL ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_jsonl_round_trip(tmp_path: Path, suffix: str) -> None:
    frame = labelled_frame()
    path = tmp_path / f"data{suffix}"
    frame.to_json(path, orient="records", lines=True)
    dataset = load(path)
    assert dataset.feature_names == ["width", "height"]
    np.testing.assert_allclose(dataset.X, frame[["width", "height"]].to_numpy(dtype=float))
    np.testing.assert_array_equal(dataset.y, frame["label"].to_numpy())


# --- paths ------------------------------------------------------------------------------


def test_unknown_suffix_lists_supported_suffixes(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("whatever")
    with raises_user_error("unsupported file type; use one of: .csv, .csv.gz, .parquet") as excinfo:
        load(path)
    assert ".jsonl" in str(excinfo.value)


def test_nonexistent_name_lists_bundled_sets_and_suffixes() -> None:
    with raises_user_error("no bundled data set or file named 'digitz'") as excinfo:
        load("digitz")
    message = str(excinfo.value)
    assert "did you mean 'digits'?" in message
    assert f"bundled: {', '.join(bundled_names())};" in message
    assert "blobs, breast_cancer, checkerboard" in message
    assert "files: .csv" in message


def test_nonexistent_file_says_check_the_path(tmp_path: Path) -> None:
    with raises_user_error("file '.*missing.csv' does not exist; check the path"):
        load(tmp_path / "missing.csv")


# --- regression and multi-label tables -----------------------------------------------------


def multilabel_frame(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "width": rng.normal(size=n),
            "color": ["red", "blue", "green"] * (n // 3),
            "a": np.arange(n) % 2,
            "b": (np.arange(n) % 3 == 0).astype(float),
            "c": np.arange(n) % 5 == 0,
        }
    )


def test_csv_with_several_targets_is_multilabel(tmp_path: Path) -> None:
    frame = multilabel_frame()
    dataset = load(write_csv(tmp_path, frame), target="a, b,c")
    assert dataset.task == "multilabel"
    assert dataset.feature_names == ["width", "color=blue", "color=green", "color=red"]
    assert dataset.y.dtype == np.int64
    np.testing.assert_array_equal(
        dataset.y, np.column_stack([frame.a, frame.b, frame.c]).astype(int)
    )
    assert dataset.description.endswith("30 items, 4 features, 3 labels")


@pytest.mark.parametrize(
    ("change", "target", "match"),
    [
        ({"b": 2.0}, "a,b,c",
         r"the label column 'b' holds 2\.0 \(data row 4\); a multi-label column must hold only 0"),
        ({"b": "yes"}, "a,b,c", r"the label column 'b' holds 'yes' \(data row 4\)"),
        ({"b": np.nan}, "a,b,c", r"1 row without a value in the label column 'b' \(first is data row 4\)"),
        ({}, "a,b,d", r"has no column 'd'; columns are: width, color, a, b, c"),
        ({}, "a,a", r"a column is listed twice in --target 'a,a'"),
        ({}, "a,", r"--target 'a,' names one column"),
    ],
)
def test_bad_multilabel_targets_are_refused(
    tmp_path: Path, change: dict, target: str, match: str
) -> None:
    frame = multilabel_frame().astype({"b": object})
    for column, value in change.items():
        frame.loc[3, column] = value
    with raises_user_error(match):
        load(write_csv(tmp_path, frame), target=target)


def test_a_label_that_is_never_on_is_refused(tmp_path: Path) -> None:
    frame = multilabel_frame()
    frame["c"] = False
    with raises_user_error(r"label 'c' is never on; drop that column"):
        load(write_csv(tmp_path, frame), target="a,b,c")
    frame["c"] = 1
    with raises_user_error(r"label 'c' is always on"):
        load(write_csv(tmp_path, frame), target="a,b,c")


def test_npz_with_a_label_matrix_is_multilabel(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(12, 3))
    Y = np.array([[1, 0], [0, 1], [1, 1]] * 4)
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=Y)
    dataset = load(path)
    assert dataset.task == "multilabel"
    np.testing.assert_array_equal(dataset.y, Y)
    np.savez(path, X=X, y=np.where(Y == 1, 3, 0))
    with raises_user_error(r"the label column 'y\[:, 0\]' holds 3 \(data row 1\)"):
        load(path)


def test_csv_with_a_real_valued_target_is_regression(tmp_path: Path) -> None:
    frame = labelled_frame(40)
    frame["label"] = np.linspace(0.5, 20.25, 40)
    dataset = load(write_csv(tmp_path, frame))
    assert dataset.task == "regression"
    assert dataset.y.dtype == np.float64
    np.testing.assert_allclose(dataset.y, frame["label"])
    assert dataset.description.endswith("40 items, 2 features, regression target")


def test_few_real_values_stay_class_labels(tmp_path: Path) -> None:
    frame = labelled_frame(40)
    frame["label"] = [0.5, 1.5] * 20
    dataset = load(write_csv(tmp_path, frame))
    assert dataset.task == "classification"
    assert dataset.y.tolist() == ["0.5", "1.5"] * 20


def test_a_constant_regression_target_is_refused() -> None:
    from activelab.data.datasets import _build_dataset

    with raises_user_error(r"the target 'target' has one value \(2\.5\) for every item"):
        _build_dataset("flat", np.ones((5, 2)), np.full(5, 2.5), ["x0", "x1"], "flat",
                       "target", "regression")
