"""Accounts: disabling, resets and roles with their change log; login throttling; flash
messages only the server can set; error pages with a way back. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from activelab.cli import main  # noqa: E402
from activelab.store import ImportedItem, ProjectSettings, Store  # noqa: E402
from activelab.store.errors import ConflictError, ForbiddenError, NotFoundError  # noqa: E402
from activelab.store.schema import Session, User  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


class Clock:
    """The store's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _store(url: str) -> Store:
    store = Store(url)
    store.create_project("demo", [ImportedItem(f"x{i}", f"text {i}", i + 2) for i in range(6)],
                         ProjectSettings(labels=("pos", "neg")))
    store.add_user("root", "admin", password="root-password")
    store.add_user("ann", "annotator", password="ann-password")
    return store


def _sessions(store: Store, name: str) -> int:
    with store._session() as session:
        return session.scalar(select(func.count()).select_from(Session).join(
            User, User.id == Session.user_id).where(User.name == name))


def test_a_disabled_account_is_refused_everywhere_and_its_sessions_end(url: str) -> None:
    store = _store(url)
    token = store.reset_token("ann")
    ann = store.user_by_token(token)
    secret, _csrf = store.create_session(ann)
    store.set_disabled("ann", True)
    assert store.user_by_token(token) is None
    assert store.session_user(secret) is None and _sessions(store, "ann") == 0
    with pytest.raises(ForbiddenError, match="disabled"):
        store.check_login("ann", "ann-password")
    assert store.check_login("ann", "wrong") is None  # a wrong secret says nothing more
    with pytest.raises(ConflictError, match="already disabled"):
        store.set_disabled("ann", True)
    store.set_disabled("ann", False)
    assert store.check_login("ann", "ann-password").name == "ann"
    assert store.user_by_token(token).name == "ann"
    assert [a.name for a in store.accounts()] == ["root", "ann"]  # never deleted
    store.close()


def test_resets_and_roles_are_logged_and_the_last_admin_stays(url: str) -> None:
    store = _store(url)
    root = store.user_by_token(store.reset_token("root"))
    old = store.reset_token("ann", actor=root)
    new = store.reset_token("ann", actor=root)
    assert store.user_by_token(old) is None and store.user_by_token(new).name == "ann"
    secret, _ = store.create_session(store.user_by_token(new))
    store.reset_password("ann", "a new password", actor=root)
    assert store.check_login("ann", "ann-password") is None
    assert store.check_login("ann", "a new password").name == "ann"
    assert store.session_user(secret) is None
    store.set_role("ann", "reviewer", actor=root)
    assert store.user_by_token(new).role == "reviewer"
    with pytest.raises(ConflictError, match="last enabled admin"):
        store.set_role("root", "annotator")
    with pytest.raises(ConflictError, match="last enabled admin"):
        store.set_disabled("root", True)
    with pytest.raises(NotFoundError, match="no account 'bob'"):
        store.reset_token("bob")
    store.set_role("ann", "admin")
    store.set_disabled("root", True)  # another admin is left now
    changes = [(c.account, c.actor, c.action) for c in store.account_changes()]
    assert changes == [
        ("root", None, "disabled"), ("ann", None, "role reviewer -> admin"),
        ("ann", "root", "role annotator -> reviewer"), ("ann", "root", "password reset"),
        ("ann", "root", "token reset"), ("ann", "root", "token reset"),
        ("root", None, "token reset"), ("ann", None, "created as annotator"),
        ("root", None, "created as admin")]
    store.close()


def test_failures_are_shared_by_every_process_and_the_wait_doubles(url: str) -> None:
    first, second = Store(url), Store(url)  # two server processes on one database
    clock = Clock()
    first.clock = second.clock = clock
    for _ in range(5):
        assert first.login_wait("ann", "10.0.0.1") is None
        first.record_login_failure("ann", "10.0.0.1")
    waits = []
    for _ in range(3):
        wait = second.login_wait("ann", "10.0.0.2")
        waits.append((wait.scope, wait.seconds))
        clock.now += wait.seconds
        assert second.login_wait("ann", "10.0.0.2") is None
        second.record_login_failure("ann", "10.0.0.2")
    assert waits == [("account", 30), ("account", 60), ("account", 120)]
    clock.now += 3600  # an hour without failures forgets them
    assert first.login_wait("ann", "10.0.0.1") is None
    first.close()
    second.close()


# ---- over HTTP ------------------------------------------------------------------------------


@pytest.fixture
def app_store(url: str):
    store = _store(url)
    store.clock = Clock()
    yield store
    store.close()


def _client(store: Store) -> TestClient:
    from activelab.server.app import create_app

    return TestClient(create_app(store), base_url="http://127.0.0.1", follow_redirects=False)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


def _log_in(client: TestClient, name: str, password: str):  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def _alert(html: str) -> str | None:
    found = re.search(r'class="message" role="alert">([^<]*)<', html)
    return found.group(1) if found else None


def test_fifty_wrong_passwords_in_a_row_are_slowed(app_store: Store) -> None:
    client = _client(app_store)
    token = _csrf(client.get("/login").text)

    def attempt(password: str):  # type: ignore[no-untyped-def]
        return client.post("/login", data={"name": "ann", "password": password,
                                           "csrf_token": token})

    answers = [attempt(f"guess {i}") for i in range(50)]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 45
    assert {a.headers["Retry-After"] for a in answers[5:]} == {"30"}
    assert _alert(answers[-1].text) == ("Too many failed attempts for this account; "
                                        "try again in 30 s.")
    assert attempt("ann-password").status_code == 429  # the right one waits too
    app_store.clock.now += 10
    assert attempt("guess").headers["Retry-After"] == "20"
    app_store.clock.now += 20
    assert attempt("guess").status_code == 401  # the sixth failure: the wait doubles
    assert attempt("guess").headers["Retry-After"] == "60"
    app_store.clock.now += 60
    assert attempt("ann-password").status_code == 303
    assert app_store.login_wait("ann", "testclient") is None  # a success clears the account


def test_one_address_trying_many_names_is_slowed(app_store: Store) -> None:
    client = _client(app_store)
    token = _csrf(client.get("/login").text)
    statuses = [client.post("/login", data={"name": f"user{i}", "password": "x",
                                            "csrf_token": token}).status_code
                for i in range(21)]
    assert statuses == [401] * 20 + [429]
    answer = client.post("/login", data={"name": "root", "password": "root-password",
                                         "csrf_token": token})
    assert answer.status_code == 429 and "from your address" in _alert(answer.text)


def test_a_url_cannot_put_a_banner_on_a_page_only_the_server_can(app_store: Store) -> None:
    client = _client(app_store)
    assert _log_in(client, "ann", "ann-password").status_code == 303
    page = client.get("/projects/demo/label?message=You+are+fired")
    assert page.status_code == 200 and "You are fired" not in page.text
    client.cookies.set("activelab_flash", "You are fired")  # a cookie not signed here
    assert "You are fired" not in client.get("/projects/demo/label").text
    item = re.search(r'name="item_id" value="(\d+)"', page.text).group(1)
    answer = client.post("/projects/demo/label", data={
        "item_id": item, "label": "maybe", "csrf_token": _csrf(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/projects/demo/label"
    assert "maybe" in _alert(client.get("/projects/demo/label").text)
    assert _alert(client.get("/projects/demo/label").text) is None  # shown once


def test_the_error_page_leads_back_and_keeps_its_status(app_store: Store) -> None:
    client = _client(app_store)
    _log_in(client, "ann", "ann-password")
    page = client.get("/projects/demo/dashboard")
    assert page.status_code == 403 and "The annotator role cannot open this page" in page.text
    assert 'href="/projects/demo/label"' in page.text and 'href="/"' in page.text
    logout = re.search(r'<form method="post" action="/logout"[^>]*>\s*<input type="hidden" '
                       r'name="csrf_token" value="([^"]*)"', page.text)
    answer = client.post("/logout", data={"csrf_token": logout.group(1)})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    _log_in(client, "ann", "ann-password")
    missing = client.get("/projects/nothing/label")
    assert missing.status_code == 404 and "/projects/nothing" not in missing.text.replace(
        "No project &#39;nothing&#39;", "")


def test_an_admin_disables_an_account_and_its_browser_is_out_at_once(app_store: Store) -> None:
    admin, ann = _client(app_store), _client(app_store)
    _log_in(admin, "root", "root-password")
    _log_in(ann, "ann", "ann-password")
    token = app_store.reset_token("ann")
    assert ann.get("/projects/demo/label").status_code == 200
    assert ann.get("/admin/accounts").status_code == 403
    page = admin.get("/admin/accounts")
    assert page.status_code == 200 and "1970" in page.text  # ann's last login, shown
    done = admin.post("/admin/accounts/disable", data={"name": "ann",
                                                       "csrf_token": _csrf(page.text)})
    assert done.status_code == 303
    page = admin.get("/admin/accounts")
    assert _alert(page.text) == "ann is disabled; their sessions have ended."
    assert re.search(r"<td data-label=\"Who\">root</td>\s*<td data-label=\"Account\">ann</td>"
                     r"\s*<td data-label=\"What\">disabled</td>", page.text)
    out = ann.get("/projects/demo/label")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert ann.post("/api/projects/demo/next",
                    headers={"Authorization": f"Bearer {token}"}).status_code == 401
    refused = _log_in(ann, "ann", "ann-password")
    assert refused.status_code == 403 and "is disabled" in _alert(refused.text)
    reset = admin.post("/admin/accounts/reset-token", data={"name": "ann",
                                                            "csrf_token": _csrf(page.text)})
    shown = re.search(r"<p><code>([^<]+)</code></p>", reset.text).group(1)
    assert reset.headers["Cache-Control"] == "no-store"
    assert app_store.user_by_token(shown) is None  # still disabled
    app_store.set_disabled("ann", False)
    assert app_store.user_by_token(shown).name == "ann"
    root = app_store.reset_token("root")
    made = admin.post("/api/users", json={"name": "zoe", "role": "annotator"},
                      headers={"Authorization": f"Bearer {root}"})
    assert made.status_code == 201
    newest = app_store.account_changes(1)[0]
    assert (newest.account, newest.actor, newest.action) == ("zoe", "root", "created as annotator")


def test_the_users_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    Store(url).close()
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(main, ["users", *args, "--db", url], input=stdin)

    assert run("add", "root", "--role", "admin").exit_code == 0
    token = run("add", "ann", "--role", "annotator").output.strip()
    assert run("disable", "ann").output == "ann is disabled\n"
    assert run("list").output.splitlines() == [f"{'root':20s} admin",
                                               f"{'ann':20s} annotator  disabled"]
    assert run("enable", "ann").exit_code == 0
    assert run("set-role", "ann", "reviewer").output == "ann is now reviewer\n"
    new = run("reset-token", "ann").output.strip()
    assert run("reset-password", "ann", stdin="s3cret\ns3cret\n").exit_code == 0
    refused = run("set-role", "root", "annotator")
    assert refused.exit_code != 0 and "last enabled admin" in refused.output
    store = Store(url)
    assert store.user_by_token(token) is None and store.user_by_token(new).role == "reviewer"
    assert store.check_login("ann", "s3cret").name == "ann"
    assert {c.actor for c in store.account_changes()} == {None}
    store.close()
