"""Label Studio JSON and Hugging Face datasets, both ways: round trips lose nothing (ids,
labels, annotators, times), and the model's predictions carry the strategy's score."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
datasets = pytest.importorskip("datasets")

from click.testing import CliRunner  # noqa: E402

from activelab import Pool  # noqa: E402
from activelab.cli import main  # noqa: E402
from activelab.data.hf import pool_to_dataset  # noqa: E402
from activelab.data.label_studio import from_iso, to_iso  # noqa: E402
from activelab.server.cli import build_server  # noqa: E402

WORDS = {"sport": ["match", "goal", "team", "player", "score", "win", "league", "coach"],
         "food": ["recipe", "cook", "bake", "pasta", "sauce", "taste", "dinner", "oven"]}


def _texts(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    topics = ["sport" if i % 2 == 0 else "food" for i in range(n)]
    return [(t, " ".join(rng.choice(WORDS[t]) for _ in range(6))) for t in topics]


def _label_studio_tasks(n: int = 40, n_labeled: int = 12) -> list[dict]:
    """Tasks as Label Studio exports them: ids, data, annotations by user ids 1-3 with
    microsecond times, one cancelled annotation and one task labeled by two people."""
    tasks = []
    for i, (topic, text) in enumerate(_texts(n)):
        task = {"id": 100 + i, "data": {"text": text}, "annotations": [], "predictions": []}
        if i < n_labeled:
            task["annotations"].append(_annotation(1 + i % 3, f"2024-05-01T10:{i:02d}:07.{i * 1111:06d}Z", topic))
        tasks.append(task)
    tasks[0]["annotations"].append(_annotation(2, "2024-05-02T08:00:00.000001Z", "sport"))
    tasks[n_labeled]["annotations"].append(
        {"completed_by": 3, "created_at": "2024-05-03T09:30:00.500000Z", "result": [],
         "was_cancelled": True})
    return tasks


def _annotation(user: int, time: str, label: str) -> dict:
    return {"completed_by": user, "created_at": time, "was_cancelled": False,
            "result": [{"from_name": "topic", "to_name": "text", "type": "choices",
                        "value": {"choices": [label]}}]}


def _serve(data: Path, **options):
    settings = {"text_column": None, "image_column": None, "id_column": None, "labels": (),
                "db": None, "project": None, "strategy": "margin", "model": "logreg",
                "retrain_every": 1000, **options}
    _app, store, name = build_server(data=str(data), **settings)
    return store, name


def _export(*args: str) -> None:
    result = CliRunner().invoke(main, ["export", *args])
    assert result.exit_code == 0, result.output


def _what_matters(task: dict) -> tuple:
    """What a round trip must keep: the id, the data, and every annotation's annotator,
    time (to the microsecond), label and whether it was cancelled."""
    return (task["id"], task["data"], sorted(
        (a["completed_by"], from_iso(a["created_at"]), json.dumps(a["result"], sort_keys=True),
         a["was_cancelled"]) for a in task["annotations"]))


def test_label_studio_json_round_trip_loses_nothing(tmp_path: Path) -> None:
    tasks = _label_studio_tasks()
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps(tasks))
    store, name = _serve(source)
    assert store.project_info(name)["labels"] == ["sport", "food"]
    assert store.count_labels(name) == 13  # 12 tasks, one of them twice
    store.close()
    out = tmp_path / "back.json"
    _export("--data", str(source), "--format", "label-studio", "--no-predictions",
            "--out", str(out))
    back = json.loads(out.read_text())
    assert [_what_matters(t) for t in back] == [_what_matters(t) for t in tasks]


def test_label_studio_export_predicts_unlabeled_tasks_with_the_strategys_score(
        tmp_path: Path) -> None:
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps(_label_studio_tasks()))
    _serve(source)[0].close()
    out = tmp_path / "back.json"
    _export("--data", str(source), "--format", "label-studio", "--out", str(out))
    back = json.loads(out.read_text())
    labeled = [t for t in back if any(not a["was_cancelled"] for a in t["annotations"])]
    assert all(t["predictions"] == [] for t in labeled)
    predicted = [t["predictions"][0] for t in back if t not in labeled]
    assert len(predicted) == len(back) - len(labeled)
    for prediction in predicted:
        region = prediction["result"][0]
        assert region["from_name"] == "topic" and region["value"]["choices"][0] in WORDS
        # margin with two classes: score = -(p_top - p_other) = 1 - 2 * p_top
        assert prediction["score"] == pytest.approx(1 - 2 * region["score"], abs=1e-5)
        assert "margin" in prediction["model_version"]


def test_label_studio_image_tasks_read_paths_next_to_the_file(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    tasks = []
    for i in range(6):
        mpimg.imsave(tmp_path / f"im{i}.png", np.full((4, 4), i / 6.0), cmap="gray")
        tasks.append({"id": i + 1, "data": {"image": f"im{i}.png"}, "annotations": [
            _annotation(1, "2024-01-01T00:00:00Z", "dark" if i < 3 else "light")] if i in (0, 5)
            else []})
    source = tmp_path / "images.json"
    source.write_text(json.dumps(tasks))
    store, name = _serve(source)
    assert store.project_info(name)["item_kind"] == "image"
    assert store.count_labels(name) == 2
    store.close()
    tasks[1]["data"]["image"] = "https://example.com/x.png"
    source.write_text(json.dumps(tasks))
    result = CliRunner().invoke(main, ["serve", "--data", str(source), "--db", "sqlite://"])
    assert result.exit_code == 2 and "is a URL" in result.output


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not valid JSON"),
    ('[{"text": "a"}]', 'no "data" object'),
    ('[{"data": {"title": "a", "body": "b"}}]', "--text-column or --image-column"),
    ('[{"data": {"text": "a"}, "annotations": [{"result": [{"type": "rectanglelabels"}]}]}]',
     "rectanglelabels"),
    ('[{"data": {"text": "a"}, "annotations": [{"result": [{"type": "choices", "value": '
     '{"choices": ["x", "y"]}}]}]}]', "picks 2 choices"),
    ('[{"id": 1, "data": {"text": "a"}}, {"id": 1, "data": {"text": "b"}}]', "same id"),
    ('[{"data": {"text": "a"}, "annotations": [{"result": [{"type": "choices", "value": '
     '{"choices": ["z"]}}]}]}]', "not one of the project's labels"),
])
def test_serve_refuses_a_bad_label_studio_file_in_one_line(tmp_path: Path, content: str,
                                                            message: str) -> None:
    source = tmp_path / "tasks.json"
    source.write_text(content)
    result = CliRunner().invoke(main, ["serve", "--data", str(source), "--labels", "x,y"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "tasks.activelab.db").exists()


def test_a_project_is_imported_once_and_keeps_ids_that_are_not_numbers(tmp_path: Path) -> None:
    source = tmp_path / "tasks.json"
    tasks = _label_studio_tasks(n=10, n_labeled=4)
    for task in tasks:
        task["meta"] = {"external_id": f"doc-{task.pop('id')}"}
    source.write_text(json.dumps(tasks))
    for _ in range(2):  # serving again resumes the project: nothing is imported twice
        store, name = _serve(source)
        assert store.count_labels(name) == 5
        store.close()
    out = tmp_path / "back.json"
    _export("--data", str(source), "--format", "label-studio", "--out", str(out))
    back = json.loads(out.read_text())
    assert [t["meta"]["external_id"] for t in back] == [f"doc-{100 + i}" for i in range(10)]
    again = tmp_path / "again" / "tasks.json"
    again.parent.mkdir()
    again.write_text(out.read_text())
    store, name = _serve(again)
    assert [e for _i, e, _c in store.items(name)] == [f"doc-{100 + i}" for i in range(10)]
    assert store.count_labels(name) == 5
    store.close()


def _hf_dataset(n: int = 30, n_labeled: int = 10):
    texts = _texts(n, seed=1)
    names = ["sport", "food"]
    return datasets.Dataset.from_dict(
        {"id": [f"doc-{i}" for i in range(n)], "text": [t for _, t in texts],
         "label": [names.index(topic) if i < n_labeled else -1
                   for i, (topic, _) in enumerate(texts)],
         "annotator": [f"ann{i % 2}" if i < n_labeled else None for i in range(n)],
         "labeled_at": [datetime.fromisoformat(f"2024-06-01T12:00:{i:02d}.{i * 7:06d}+00:00")
                        if i < n_labeled else None for i in range(n)]},
        features=datasets.Features({
            "id": datasets.Value("string"), "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=names), "annotator": datasets.Value("string"),
            "labeled_at": datasets.Value("timestamp[us, tz=UTC]")}))


def _rows(dataset) -> list[dict]:
    return [{**row, "labeled_at": None if row["labeled_at"] is None
             else to_iso(row["labeled_at"].timestamp())} for row in dataset]


def test_hf_dataset_round_trip_through_a_project_loses_nothing(tmp_path: Path) -> None:
    original = _hf_dataset()
    original.save_to_disk(str(tmp_path / "docs"))
    store, name = _serve(tmp_path / "docs")
    assert store.count_labels(name) == 10
    store.close()
    _export("--data", str(tmp_path / "docs"), "--format", "hf", "--out", str(tmp_path / "back"))
    back = datasets.load_from_disk(str(tmp_path / "back"))
    assert back.features["label"].names == ["sport", "food"]
    assert _rows(back) == _rows(original)
    result = CliRunner().invoke(main, ["export", "--data", str(tmp_path / "docs"),
                                       "--format", "hf", "--out", str(tmp_path / "back")])
    assert result.exit_code == 2 and "already exists" in result.output


def test_hf_dataset_round_trip_through_a_pool_loses_nothing(tmp_path: Path) -> None:
    original = _hf_dataset()
    original.save_to_disk(str(tmp_path / "docs"))
    pool = Pool.from_dataset(tmp_path / "docs")
    assert pool.n_labeled == 10 and list(pool.X) == list(original["text"])
    back = pool_to_dataset(pool, {"text": list(original["text"])}, ["sport", "food"])
    assert _rows(back) == _rows(original)


def test_bench_reads_a_saved_dataset_folder(tmp_path: Path) -> None:
    from activelab.data.datasets import load

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    datasets.Dataset.from_dict({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2],
                                "label": (X[:, 0] > 0).astype(int)}).save_to_disk(
        str(tmp_path / "table"))
    loaded = load(str(tmp_path / "table"))
    assert loaded.X.shape == (40, 3)
    assert np.array_equal(loaded.y, (X[:, 0] > 0).astype(float))
