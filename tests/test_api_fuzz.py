"""A property-based fuzz of the JSON API from its own OpenAPI schema (schemathesis): no
request, however malformed, gets a 5xx answer."""

from __future__ import annotations

from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from activelab.server.cli import build_server  # noqa: E402
from activelab.server.demo import write_csv  # noqa: E402


def _app(folder: Path):
    data = write_csv(folder / "news.csv", 30, seed=2)
    app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None,
        labels=("sport", "food", "space"), db=None, project=None, strategy="margin",
        model="logreg", retrain_every=1000)
    return app, store.add_user("fuzz-admin", "admin")


_folder = Path(__import__("tempfile").mkdtemp(prefix="activelab-fuzz-"))
APP, TOKEN = _app(_folder)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_request_gets_a_server_error(case) -> None:
    if case.path_parameters and "project" in case.path_parameters:
        case.path_parameters["project"] = "news"  # fuzz the bodies against a real project
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.text)
    case.validate_response(response, checks=(schemathesis.checks.not_a_server_error,))


@pytest.mark.parametrize("item_id", [2**70, -(2**63) - 5, 0])
def test_out_of_range_ids_are_a_422_not_a_crash(item_id: int) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(APP, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for path in ("annotations", "skip"):
        answer = client.post(f"/api/projects/news/{path}", headers=headers,
                             json={"item_id": item_id, "label": "food"})
        assert answer.status_code == 422
    assert client.get(f"/api/projects/news/items/{item_id}/image",
                      headers=headers).status_code == 422


def test_the_schema_lists_the_endpoints_of_the_issue() -> None:
    paths = set(APP.openapi()["paths"])
    for path in ("/api/health", "/api/projects/{project}/next",
                 "/api/projects/{project}/annotations", "/api/projects/{project}/skip",
                 "/api/projects/{project}/undo", "/api/projects/{project}/stats",
                 "/api/projects/{project}/export"):
        assert path in paths
