"""Several projects on one server: serving every project of a database, creating one from
the browser or the CLI, per-project roles, explicit settings changes (checked, applied to
the running model, logged, shown), and what a restart with other flags or a longer data
file says and does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from activelab.cli import main  # noqa: E402
from activelab.server.cli import build_server  # noqa: E402
from activelab.server.demo import make_texts, write_csv  # noqa: E402
from activelab.store import Store  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402
from activelab.strategies.registry import name_of  # noqa: E402

LABELS = ("sport", "food", "space")


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _login(client: TestClient, name: str, secret: str) -> str:
    """Log in with a password or token; the session's CSRF token (from the projects page)."""
    client.cookies.clear()
    done = client.post("/login", data={"name": name, "password": secret,
                                       "csrf_token": _csrf(client.get("/login").text)},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    return _csrf(client.get("/projects").text)


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def two_projects(tmp_path: Path):
    """A SQLite database with two projects made by `activelab project create`."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    for name, seed in (("news", 1), ("blogs", 2)):
        data = write_csv(tmp_path / f"{name}.csv", 40, seed=seed)
        _cli("project", "create", name, "--data", str(data), "--labels", ",".join(LABELS),
             "--text-column", "text", "--retrain-every", "1000", "--db", url)
    return url


def test_serve_without_data_serves_every_project_each_with_its_own_queue(two_projects) -> None:
    app, store, first = build_server(data=None, db=two_projects)
    assert first == "news" and sorted(app.state.trainers) == ["blogs", "news"]
    token = store.add_user("ann", "annotator")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        listed = client.get("/api/projects", headers=auth).json()
        assert [(p["name"], p["n_items"], p["role"]) for p in listed] == \
            [("news", 40, "annotator"), ("blogs", 40, "annotator")]
        for name in ("news", "blogs"):
            item = client.post(f"/api/projects/{name}/next", headers=auth).json()
            assert client.post(f"/api/projects/{name}/annotations", headers=auth, json={
                "item_id": item["item_id"], "label": "food",
                "lease_id": item["lease_id"]}).status_code == 200
    assert store.count_labels("news") == store.count_labels("blogs") == 1
    assert _cli("project", "list", "--db", two_projects).splitlines()[1].split() == \
        ["news", "single", "40", "1", "v0"]
    store.close()


def test_a_project_created_in_the_browser_is_served_at_once(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "news.csv", 30, seed=1)
    app, store, _name = build_server(data=str(data), text_column="text", labels=LABELS)
    store.add_user("boss", "admin", password="boss-password")
    token = store.add_user("ann", "annotator")
    upload = write_csv(tmp_path / "upload.csv", 25, seed=4).read_bytes()
    form = {"name": "reviews", "task": "single", "labels": "pos,neg", "strategy": "entropy",
            "model": "logreg", "labels_per_item": "2", "column": "text", "id_column": ""}
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        csrf = _login(client, "boss", "boss-password")
        assert 'id="new-project"' in client.get("/projects").text
        bad = client.post("/projects/new", data={**form, "csrf_token": csrf, "labels": "pos"},
                          files={"file": ("up.csv", upload, "text/csv")})
        assert bad.status_code == 422 and "at least two" in bad.text
        assert store.project_names() == ["news"]  # nothing was created
        done = client.post("/projects/new", data={**form, "csrf_token": csrf},
                           files={"file": ("up.csv", upload, "text/csv")})
        assert done.status_code == 303
        assert done.headers["location"].startswith("/projects/reviews/settings")
        again = client.post("/projects/new", data={**form, "csrf_token": csrf},
                            files={"file": ("up.csv", upload, "text/csv")})
        assert again.status_code == 409 and "already exists" in again.text
        assert "reviews" in app.state.trainers  # its own model and queue, no restart
        settings = store.settings_of("reviews")
        assert (settings.strategy, settings.labels_per_item, settings.labels) == \
            ("entropy", 2, ("pos", "neg"))
        item = client.post("/api/projects/reviews/next",
                           headers={"Authorization": f"Bearer {token}"})
        assert item.status_code == 200 and item.json()["external_id"].startswith("doc-")
        annotator_csrf = _login(client, "ann", token)
        assert 'id="new-project"' not in client.get("/projects").text
        assert client.get("/projects/new").status_code == 403
        refused = client.post("/projects/new", data={**form, "name": "x", "csrf_token":
                                                     annotator_csrf},
                              files={"file": ("up.csv", upload, "text/csv")})
        assert refused.status_code == 403 and store.project_names() == ["news", "reviews"]
    store.close()


def test_roles_are_per_project_and_no_membership_keeps_the_global_role(two_projects) -> None:
    app, store, _first = build_server(data=None, db=two_projects)
    tokens = {name: store.add_user(name, role) for name, role in
              (("ann", "annotator"), ("rita", "reviewer"), ("boss", "admin"))}
    _cli("project", "member", "blogs", "ann", "--role", "reviewer", "--db", two_projects)
    _cli("project", "member", "news", "rita", "--role", "none", "--db", two_projects)
    _cli("project", "member", "news", "boss", "--role", "annotator", "--db", two_projects)

    def status(who: str, method: str, url: str) -> int:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        return client.request(method, url, headers=headers).status_code

    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        assert status("ann", "GET", "/api/projects/blogs/disagreements") == 200
        assert status("ann", "GET", "/api/projects/news/disagreements") == 403
        assert status("rita", "POST", "/api/projects/news/next") == 403
        assert status("rita", "GET", "/api/projects/blogs/disagreements") == 200
        assert status("boss", "POST", "/api/projects/news/retrain") == 202  # admins stay admins
        listed = client.get("/api/projects", headers={"Authorization": f"Bearer {tokens['rita']}"})
        assert [p["name"] for p in listed.json()] == ["blogs"]
        _login(client, "ann", tokens["ann"])
        assert client.get("/projects/blogs/dashboard").status_code == 200
        assert client.get("/projects/news/dashboard").status_code == 403
        _login(client, "rita", tokens["rita"])
        assert client.get("/projects/news/label").status_code == 403
        assert "/projects/news/" not in client.get("/projects").text
    assert "member ann: reviewer (global annotator)" in \
        _cli("project", "show", "blogs", "--db", two_projects)
    _cli("project", "member", "blogs", "ann", "--role", "default", "--db", two_projects)
    assert store.role_in("blogs", store.user_by_token(tokens["ann"])) == "annotator"
    store.close()


def test_a_settings_change_is_checked_applied_to_the_model_logged_and_shown(
        tmp_path: Path) -> None:
    data = write_csv(tmp_path / "news.csv", 60, seed=1)
    truth = {row["id"]: row["label"] for row in make_texts(60, seed=1)}
    app, store, name = build_server(data=str(data), text_column="text", labels=LABELS,
                                    strategy="margin", retrain_every=1000, exploration=0.0)
    admin = {"Authorization": f"Bearer {store.add_user('boss', 'admin', password='pw-boss')}"}
    trainer = app.state.trainers[name]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for _ in range(12):
            item = client.post(f"/api/projects/{name}/next", headers=admin).json()
            client.post(f"/api/projects/{name}/annotations", headers=admin, json={
                "item_id": item["item_id"], "label": truth[item["external_id"]],
                "lease_id": item["lease_id"]})
        bad = client.patch(f"/api/projects/{name}/settings", headers=admin,
                           json={"strategy": "entropy", "training": "no_such_policy"})
        assert bad.status_code == 422 and "no_such_policy" in bad.json()["detail"]
        fixed = client.patch(f"/api/projects/{name}/settings", headers=admin,
                             json={"labels": ["a", "b"]})
        assert fixed.status_code == 422 and "fixed" in fixed.json()["detail"]
        assert store.setting_changes(name) == [] and store.settings_of(name).strategy == "margin"
        done = client.patch(f"/api/projects/{name}/settings", headers=admin,
                            json={"strategy": "entropy", "retrain_every": 5})
        assert done.json() == [{"setting": "strategy", "old": "margin", "new": "entropy"},
                               {"setting": "retrain_every", "old": 1000, "new": 5}]
        assert trainer.wait_idle(120)
        assert name_of(trainer.loop.strategy) == "entropy"  # the running loop was rebuilt
        versions = store.model_versions(name)
        assert versions[-1]["kind"] == "model" and versions[-1]["n_labels"] == 12  # re-scored
        log = [row["name"] for row in store.setting_changes(name)]
        assert log == ["retrain_every", "strategy"]
        assert store.setting_changes(name)[1]["by"] == "boss"
        _login(client, "boss", "pw-boss")
        shown = client.get(f"/projects/{name}/dashboard").text
        section = shown[shown.index('id="settings-log"'):]
        assert "<td>boss</td><td>strategy</td><td>margin → entropy</td>" in section
        assert "<td>boss</td><td>retrain_every</td><td>1000 → 5</td>" in section


def test_project_set_on_the_command_line_checks_logs_and_reaches_the_server(
        two_projects) -> None:
    result = CliRunner().invoke(main, ["project", "set", "news", "retrain_every=0", "--db",
                                       two_projects])
    assert result.exit_code != 0 and "retrain-every must be at least 1" in result.output
    result = CliRunner().invoke(main, ["project", "set", "news", "strategi=entropy", "--db",
                                       two_projects])
    assert result.exit_code != 0 and "SETTING=VALUE" in result.output
    app, store, _first = build_server(data=None, db=two_projects)
    out = _cli("project", "set", "news", "strategy=entropy", "exploration=0.3", "--by", "kim",
               "--db", two_projects)
    assert out.splitlines()[:2] == ["strategy: auto -> entropy", "exploration: 0.1 -> 0.3"]
    assert [(c["name"], c["by"]) for c in store.setting_changes("news")] == \
        [("exploration", "kim"), ("strategy", "kim")]  # newest first
    trainer = app.state.trainers["news"]  # built before the change, in this process
    trainer.request("manual")
    assert trainer.wait_idle(120)
    assert name_of(trainer.loop.strategy) == "entropy"
    assert "no setting changed" in _cli("project", "set", "news", "strategy=entropy", "--db",
                                        two_projects)
    store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_restart_says_what_it_kept_and_imports_appended_rows(tmp_path: Path,
                                                               backend: str) -> None:
    url = database_url(backend, tmp_path)
    data = write_csv(tmp_path / "news.csv", 30, seed=1)
    _app, store, name = build_server(data=str(data), text_column="text", labels=LABELS,
                                     db=url, strategy="margin", retrain_every=20)
    store.close()
    rows = make_texts(34, seed=1)[30:]  # four more rows, appended
    with data.open("a", encoding="utf-8") as handle:
        handle.writelines(f'{row["id"]},{row["text"]}\n' for row in rows)
    said: list[str] = []
    app, store, name = build_server(
        data=str(data), text_column="text", labels=LABELS, db=url, strategy="entropy",
        retrain_every=5, given=("strategy", "retrain_every", "label_list"), say=said.append)
    shown = url if "@" not in url else "URL"
    assert said[:2] == [
        f"kept retrain_every=20 of project 'news' (the flag said 5); to change it: "
        f"activelab project set news retrain_every=5 --db {shown}",
        f"kept strategy=margin of project 'news' (the flag said entropy); to change it: "
        f"activelab project set news strategy=entropy --db {shown}"]
    assert said[2].startswith("imported 4 rows added to")
    assert len(store.items(name)) == 34 and store.settings_of(name).strategy == "margin"
    assert app.state.trainers[name].wait_idle(120)
    assert len(app.state.trainers[name].item_ids) == 34  # featurized, so scored next
    store.close()
    said.clear()
    text = data.read_text(encoding="utf-8").replace(rows[0]["text"], "an edited row")
    data.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="may only be appended"):
        build_server(data=str(data), text_column="text", labels=LABELS, db=url, say=said.append)
    assert len(Store(url).items(name)) == 34


def test_members_are_managed_on_the_settings_page_and_uploads_are_size_limited(
        tmp_path: Path) -> None:
    data = write_csv(tmp_path / "news.csv", 20, seed=1)
    app, store, name = build_server(data=str(data), text_column="text", labels=LABELS,
                                    max_upload_bytes=2000)
    store.add_user("boss", "admin", password="boss-password")
    ann = store.user_by_token(store.add_user("ann", "annotator"))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        csrf = _login(client, "boss", "boss-password")
        page = client.get(f"/projects/{name}/settings")
        assert page.status_code == 200 and "No memberships" in page.text
        done = client.post(f"/projects/{name}/members",
                           data={"csrf_token": csrf, "name": "ann", "role": "reviewer"})
        assert done.status_code == 303 and store.role_in(name, ann) == "reviewer"
        assert "<td>ann</td><td>annotator</td><td>reviewer</td>" in \
            client.get(f"/projects/{name}/settings").text
        unknown = client.post(f"/projects/{name}/members",
                              data={"csrf_token": csrf, "name": "nobody", "role": "reviewer"})
        assert unknown.status_code == 404 and "no user" in unknown.text
        client.post(f"/projects/{name}/members",
                    data={"csrf_token": csrf, "name": "ann", "role": "default"})
        assert store.members(name) == [] and store.role_in(name, ann) == "annotator"
        big = client.post("/projects/new", data={"csrf_token": csrf, "name": "big",
                                                 "labels": "a,b"},
                          files={"file": ("big.csv", b"id,text\n" + b"1,x\n" * 2000,
                                          "text/csv")})
        assert big.status_code == 413 and "larger than the limit" in big.text
    assert store.project_names() == [name]
    store.close()


def test_serve_without_data_needs_a_database_with_projects(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    with pytest.raises(Exception, match="none.db does not exist"):
        build_server(data=None, db=f"sqlite:///{missing}")
    assert not missing.exists()  # nothing was created
    Store(f"sqlite:///{tmp_path / 'empty.db'}").close()
    with pytest.raises(Exception, match="the database has no project"):
        build_server(data=None, db=f"sqlite:///{tmp_path / 'empty.db'}")
