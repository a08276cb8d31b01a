"""Out-of-core pools: a memory-mapped .npy file and Parquet, queried like in-memory pools."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelab import ModelOutputs, Pool, strategies
from activelab.data.sources import NpyRows, ParquetRows
from activelab.errors import ActiveLabError

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2500, 6)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    return X, y


def fitted(pool: Pool, y: np.ndarray, labeled: np.ndarray) -> LogisticRegression:
    pool.add_labels(pool.ids[labeled], y[labeled])
    return LogisticRegression().fit(*pool.labeled_data())


def write_parquet(path, X, ids=None, row_group_size=300):
    columns = {f"f{j}": X[:, j] for j in range(X.shape[1])}
    if ids is not None:
        columns = {"key": ids, **columns}
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)


@pytest.mark.parametrize("name", ["margin", "entropy", "coreset"])
def test_npy_pool_queries_like_the_in_memory_pool(tmp_path, data, name):
    X, y = data
    np.save(tmp_path / "pool.npy", X)
    labeled = np.arange(0, 2500, 50)
    memory, disk = Pool(X), Pool(NpyRows(tmp_path / "pool.npy"))
    model = fitted(memory, y, labeled)
    fitted(disk, y, labeled)
    want = strategies.get(name).query(model, memory, 30, random_state=0)
    outputs = ModelOutputs(model, disk, chunk_size=256)
    assert outputs.streams  # out-of-core pools stream by default
    got = strategies.get(name).query(model, disk, 30, random_state=0, outputs=outputs)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_allclose(got.scores, want.scores, rtol=1e-6)
    np.testing.assert_array_equal(disk.items([7, 2]), X[[7, 2]])


def test_npy_rows_read_any_order_and_pickle(tmp_path, data):
    X, _ = data
    np.save(tmp_path / "pool.npy", X)
    rows = NpyRows(tmp_path / "pool.npy")
    positions = np.array([2499, 0, 17, 17])
    np.testing.assert_array_equal(rows.read(positions), X[positions])
    again = pickle.loads(pickle.dumps(rows))
    np.testing.assert_array_equal(again.read(positions), X[positions])
    assert rows.shape == X.shape and rows.dtype == np.float32
    with pytest.raises(ActiveLabError, match="a chunk at a time"):
        np.asarray(rows)


def test_parquet_folder_with_id_column_queries_like_memory(tmp_path, data):
    X, y = data
    ids = np.array([f"row-{i:05d}" for i in np.random.default_rng(5).permutation(2500)])
    folder = tmp_path / "pool"
    folder.mkdir()
    write_parquet(folder / "part-0.parquet", X[:1000], ids[:1000])
    write_parquet(folder / "part-1.parquet", X[1000:], ids[1000:], row_group_size=700)
    source = ParquetRows(folder, id_column="key")
    assert source.shape == (2500, 6) and source.columns == [f"f{j}" for j in range(6)]
    assert len(source.row_groups) == 4 + 3
    np.testing.assert_array_equal(source.ids(), ids)
    np.testing.assert_array_equal(source.read(np.array([2499, 999, 1000, 3])), X[[2499, 999, 1000, 3]])
    labeled = np.arange(0, 2500, 40)
    memory, disk = Pool(X, ids=ids), Pool(source, ids=source.ids())
    model = fitted(memory, y, labeled)
    fitted(disk, y, labeled)
    for name in ["margin", "least_confidence"]:
        want = strategies.get(name).query(model, memory, 20)
        got = strategies.get(name).query(model, disk, 20)
        np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(source)).read(np.array([5])), X[[5]])


def test_pool_on_a_numpy_memmap_works_too(tmp_path, data):
    X, y = data
    np.save(tmp_path / "pool.npy", X)
    pool, memory = Pool(np.load(tmp_path / "pool.npy", mmap_mode="r")), Pool(X)
    model = fitted(pool, y, np.arange(0, 2500, 50))
    fitted(memory, y, np.arange(0, 2500, 50))
    got = strategies.get("margin").query(model, pool, 10)
    np.testing.assert_array_equal(got.ids, strategies.get("margin").query(model, memory, 10).ids)


def test_bad_files_are_refused_in_one_line(tmp_path):
    with pytest.raises(ActiveLabError, match="no .npy file"):
        NpyRows(tmp_path / "missing.npy")
    (tmp_path / "text.npy").write_text("hello")
    with pytest.raises(ActiveLabError, match="not a .npy file"):
        NpyRows(tmp_path / "text.npy")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(ActiveLabError, match="2-D numeric array"):
        NpyRows(tmp_path / "cube.npy")
    np.save(tmp_path / "fortran.npy", np.asfortranarray(np.zeros((3, 2))))
    with pytest.raises(ActiveLabError, match="Fortran-order"):
        NpyRows(tmp_path / "fortran.npy")
    with pytest.raises(ActiveLabError, match="no Parquet"):
        ParquetRows(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ActiveLabError, match="no \\*.parquet"):
        ParquetRows(tmp_path / "empty")
    pq.write_table(pa.table({"name": ["a", "b"], "x": [1.0, 2.0]}), tmp_path / "t.parquet")
    with pytest.raises(ActiveLabError, match="not numeric"):
        ParquetRows(tmp_path / "t.parquet", columns=["name", "x"])
    with pytest.raises(ActiveLabError, match="id_column 'key'"):
        ParquetRows(tmp_path / "t.parquet", id_column="key")
    assert ParquetRows(tmp_path / "t.parquet").columns == ["x"]


def test_nonfinite_rows_on_disk_are_refused_naming_the_first(tmp_path):
    X = np.zeros((70_000, 2), dtype=np.float32)
    X[66_000, 1] = np.nan
    X[69_999, 0] = np.inf
    np.save(tmp_path / "bad.npy", X)
    with pytest.raises(ActiveLabError, match="2 row\\(s\\) \\(first at position 66000\\)"):
        Pool(NpyRows(tmp_path / "bad.npy"))
    write_parquet(tmp_path / "bad.parquet", X[65_000:], row_group_size=2000)
    with pytest.raises(ActiveLabError, match="first at position 1000"):
        Pool(ParquetRows(tmp_path / "bad.parquet"))
