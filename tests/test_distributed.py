"""Dask backend: the distributed query returns exactly the ids of the local query."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from activelab import Pool, strategies
from activelab.errors import ActiveLabError
from activelab.selection import StochasticTopK
from activelab.strategies import MarginSampling

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from activelab.distributed import distributed_query  # noqa: E402


class QuantisedProba:
    """Probabilities from one feature in coarse steps: many exact ties, chunk-independent."""

    classes_ = np.array([0, 1, 2])

    def predict_proba(self, X):
        level = np.floor(np.asarray(X)[:, 0] * 4) % 4 / 10
        return np.column_stack([0.5 - level, 0.3 + level / 2, 0.2 + level / 2])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6000, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    labeled = rng.choice(6000, 80, replace=False)
    model = LogisticRegression().fit(X[labeled], y[labeled])
    return X, y, labeled, model


def local_query(name, model, X, labeled, k, ids=None):
    pool = Pool(X, ids=ids)
    pool.add_labels(pool.ids[labeled], np.zeros(len(labeled), dtype=int))
    return strategies.get(name).query(model, pool, k)


@pytest.fixture(scope="module")
def in_process_client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def write_folder(folder, X, ids, files=3, row_group_size=700):
    folder.mkdir()
    for part, rows in enumerate(np.array_split(np.arange(len(X)), files)):
        columns = {"key": ids[rows], **{f"f{j}": X[rows, j] for j in range(X.shape[1])}}
        pq.write_table(pa.table(columns), folder / f"part-{part}.parquet",
                       row_group_size=row_group_size)


@pytest.mark.parametrize("name", ["margin", "entropy"])
def test_parquet_folder_on_in_process_cluster_matches_local(tmp_path, data, in_process_client, name):
    X, _, labeled, model = data
    ids = np.array([f"doc-{i:05d}" for i in np.random.default_rng(1).permutation(len(X))])
    write_folder(tmp_path / "pool", X, ids)
    want = local_query(name, model, X, labeled, 50, ids=ids)
    got = distributed_query(name, model, tmp_path / "pool", 50, labeled_ids=ids[labeled],
                            id_column="key", client=in_process_client, split_every=2)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(got.scores, want.scores)
    assert got.strategy == name


def test_dask_array_on_two_worker_processes_matches_local(data):
    X, _, labeled, model = data
    want = local_query("margin", model, X, labeled, 40)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        got = distributed_query(MarginSampling(), model, da.from_array(X, chunks=(900, 5)), 40,
                                labeled_ids=labeled, client=client)
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(got.scores, want.scores)


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 399), max_size=6, unique=True),
    k=st.integers(1, 60),
    split_every=st.integers(2, 5),
    seed=st.integers(0, 1000),
)
def test_ids_never_depend_on_the_chunking(cuts, k, split_every, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((400, 2))
    ids = rng.permutation(4000)[:400]
    labeled = rng.choice(400, 30, replace=False)
    model = QuantisedProba()
    edges = [0, *sorted(cuts), 400]
    chunks = tuple(b - a for a, b in zip(edges[:-1], edges[1:]))
    want = local_query("least_confidence", model, X, labeled, k, ids=ids)
    got = distributed_query("least_confidence", model, da.from_array(X, chunks=(chunks, 2)), k,
                            labeled_ids=ids[labeled], ids=ids, client="sync",
                            split_every=split_every, chunk_size=int(rng.integers(1, 100)))
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(got.scores, want.scores)


def test_parquet_row_positions_are_the_default_ids(tmp_path, data):
    X, _, labeled, model = data
    path = tmp_path / "pool.parquet"
    pq.write_table(pa.table({f"f{j}": X[:, j] for j in range(5)}), path, row_group_size=1000)
    got = distributed_query("ratio", model, str(path), 30, labeled_ids=labeled, client="sync")
    np.testing.assert_array_equal(got.ids, local_query("ratio", model, X, labeled, 30).ids)


def test_wrong_strategy_data_or_scheduler_is_refused(data, monkeypatch):
    X, _, _, model = data
    array = da.from_array(X, chunks=1000)
    with pytest.raises(ActiveLabError, match="per-item scores and top-k"):
        distributed_query("coreset", model, array, 5, client="sync")
    with pytest.raises(ActiveLabError, match="per-item scores and top-k"):
        distributed_query(MarginSampling(selector=StochasticTopK()), model, array, 5, client="sync")
    with pytest.raises(ActiveLabError, match="2-D dask array"):
        distributed_query("margin", model, X, 5, client="sync")
    with pytest.raises(ActiveLabError, match="one id per row"):
        distributed_query("margin", model, array, 5, ids=np.arange(3), client="sync")
    with pytest.raises(ActiveLabError, match="nothing left"):
        distributed_query("margin", model, array[:10], 5, labeled_ids=np.arange(10), client="sync")
    monkeypatch.setattr("activelab.distributed.CONNECT_TIMEOUT", "1s")
    with pytest.raises(ActiveLabError, match="could not reach a Dask scheduler"):
        distributed_query("margin", model, array, 5, client="tcp://127.0.0.1:9")


def test_bench_repeats_on_a_dask_scheduler_give_the_joblib_results(tmp_path):
    import json

    from click.testing import CliRunner

    from activelab.cli import main

    common = ["bench", "--data", "iris", "--strategies", "margin,random", "--budget", "25",
              "--batch-size", "5", "--repeats", "2", "--initial", "5"]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp://", dashboard_address=":0") as cluster:
        on_dask = CliRunner().invoke(main, [*common, "--executor", "dask", "--scheduler",
                                            cluster.scheduler_address, "--out", str(tmp_path / "d")])
    assert on_dask.exit_code == 0, on_dask.output
    local = CliRunner().invoke(main, [*common, "--out", str(tmp_path / "j")])
    assert local.exit_code == 0, local.output
    results = [json.loads((tmp_path / name / "results.json").read_text()) for name in "dj"]
    for name in ("margin", "random"):
        assert results[0]["strategies"][name]["curves"] == results[1]["strategies"][name]["curves"]
    refused = CliRunner().invoke(main, [*common, "--scheduler", "tcp://127.0.0.1:9"])
    assert refused.exit_code == 2 and "--scheduler needs --executor dask" in refused.output
