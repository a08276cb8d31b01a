"""The app's routes as routers per area: the same operations, pages and rules wherever the
handlers live (the operation set is pinned here; test_api_fuzz checks the schema itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from activelab.server.app import create_app  # noqa: E402
from activelab.store import Store  # noqa: E402

API = {
    ("/api/health", "get"): "health_api_health_get",
    ("/api/projects/{project}/next", "post"): "next_item_api_projects__project__next_post",
    ("/api/projects/{project}/annotations", "post"):
        "annotate_api_projects__project__annotations_post",
    ("/api/projects/{project}/skip", "post"): "skip_api_projects__project__skip_post",
    ("/api/projects/{project}/unsure", "post"): "unsure_api_projects__project__unsure_post",
    ("/api/projects/{project}/undo", "post"): "undo_api_projects__project__undo_post",
    ("/api/projects/{project}/stats", "get"): "stats_api_projects__project__stats_get",
    ("/api/projects/{project}/items/{item_id}/image", "get"):
        "image_api_projects__project__items__item_id__image_get",
    ("/api/projects/{project}/export", "get"): "export_api_projects__project__export_get",
    ("/api/projects/{project}/disagreements", "get"):
        "disagreements_api_projects__project__disagreements_get",
    ("/api/projects/{project}/resolve", "post"): "resolve_api_projects__project__resolve_post",
    ("/api/projects/{project}/retrain", "post"): "retrain_api_projects__project__retrain_post",
    ("/api/projects/{project}/items", "post"): "upload_items_api_projects__project__items_post",
    ("/api/users", "post"): "add_user_api_users_post",
    ("/api/projects", "get"): "list_projects_api_projects_get",
    ("/api/projects/{project}/settings", "patch"):
        "patch_settings_api_projects__project__settings_patch",
    ("/api/projects/{project}/members/{name}", "put"):
        "put_member_api_projects__project__members__name__put",
    ("/api/projects/{project}/members/{name}", "delete"):
        "delete_member_api_projects__project__members__name__delete",
    ("/api/projects/{project}/items", "get"): "list_items_api_projects__project__items_get",
    ("/api/projects/{project}/items/{item_id}", "get"):
        "item_detail_api_projects__project__items__item_id__get",
}
PAGES = {
    ("/", "GET"), ("/login", "GET"), ("/login", "POST"), ("/logout", "POST"),
    ("/projects/{project}/label", "GET"), ("/projects/{project}/label", "POST"),
    ("/projects/{project}/skip", "POST"), ("/projects/{project}/undo", "POST"),
    ("/projects/{project}/unsure", "POST"),
    ("/projects/{project}/review", "GET"), ("/projects/{project}/review", "POST"),
    ("/projects/{project}/upload", "GET"), ("/projects/{project}/upload", "POST"),
    ("/projects/{project}/dashboard", "GET"),
    ("/projects", "GET"), ("/projects/new", "GET"), ("/projects/new", "POST"),
    ("/projects/{project}/settings", "GET"), ("/projects/{project}/settings", "POST"),
    ("/projects/{project}/members", "POST"),
}


@pytest.fixture
def client(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'routes.db'}")
    with TestClient(create_app(store), base_url="http://127.0.0.1",
                    follow_redirects=False) as client:
        yield client
    store.close()


def test_the_api_has_the_same_operations_all_tagged_api(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    found = {(path, method): op["operationId"] for path, ops in paths.items()
             for method, op in ops.items()}
    assert found == API
    assert all(op["tags"] == ["api"] for ops in paths.values() for op in ops.values())


def test_every_page_answers_and_none_is_in_the_schema(client) -> None:
    for path, method in PAGES:
        url = path.replace("{project}", "demo")
        answer = client.request(method, url)
        # not signed in: a redirect to /login, or 422 for a form without its fields
        assert answer.status_code in (200, 303, 422), (method, url, answer.status_code)
        assert answer.headers["X-Frame-Options"] == "DENY"
    assert client.put("/login").status_code == 405
    assert client.get("/nothing").status_code == 404
