"""The labeling server as a user meets it: the CLI, the pages, a real server process that is
killed mid-labeling, and many annotators at once."""

from __future__ import annotations

import csv
import io
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

import httpx  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from activelab.cli import main  # noqa: E402
from activelab.server.cli import build_server  # noqa: E402
from activelab.server.demo import write_csv  # noqa: E402
from activelab.server.testing import free_port, start_server, stop_server  # noqa: E402
from activelab.store import Store  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

LABELS = "sport,food,space"


# ---- the command line --------------------------------------------------------------------


def test_users_add_prints_a_token_once_and_export_works_offline(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "news.csv", 10)
    _app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None,
        labels=tuple(LABELS.split(",")), db=None, project=None, strategy="margin",
        model="logreg", retrain_every=100)
    runner = CliRunner()
    added = runner.invoke(main, ["users", "add", "ann", "--role", "annotator", "--data", str(data)])
    assert added.exit_code == 0, added.output
    token = added.output.strip()
    user = store.user_by_token(token)
    assert user is not None and user.role == "annotator"
    leased = store.next_item(name, user)
    store.annotate(name, user, leased.item_id, "food", lease_id=leased.lease_id)
    listed = runner.invoke(main, ["users", "list", "--data", str(data)])
    assert "ann" in listed.output and token not in listed.output
    out = tmp_path / "labels.csv"
    exported = runner.invoke(main, ["export", "--data", str(data), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open()))
    assert [(r["external_id"], r["label"]) for r in rows] == [(leased.external_id, "food")]
    events = runner.invoke(main, ["export", "--data", str(data), "--kind", "events",
                                  "--format", "jsonl"])
    assert '"kind": "label"' in events.output and '"annotator": "ann"' in events.output
    store.close()


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("id,body\n1,x\n", ["--text-column", "text"], "has no column 'text'"),
        ("id,text\n1,x\n1,y\n", ["--text-column", "text"], "lines 2 and 3 have the same id '1'"),
        ("id,text\n1,x\n", ["--text-column", "text", "--strategy", "nope"], "nope"),
        ("id,text\n1,x\n", ["--text-column", "text", "--labels", "a"], "at least two"),
    ],
)
def test_serve_refuses_bad_input_before_writing_anything(tmp_path: Path, content: str,
                                                         args: list[str], message: str) -> None:
    data = tmp_path / "items.csv"
    data.write_text(content)
    argv = ["serve", "--data", str(data), "--labels", "a,b", *args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "items.activelab.db").exists()


# ---- the pages ----------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path):
    data = tmp_path / "items.csv"
    data.write_text('id,text\nevil,"<script>alert(1)</script> & <b>bold</b>"\nok,plain text\n')
    app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None,
        labels=("a", "b"), db=None, project=None, strategy="margin", model="logreg",
        retrain_every=100, exploration=0.0)
    tokens = {role: store.add_user(role, role) for role in ("annotator", "reviewer")}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, store, tokens
    store.close()


def _login(client: TestClient, name: str, secret: str) -> httpx.Response:
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return client.post("/login", data={"name": name, "password": secret, "csrf_token": csrf},
                       follow_redirects=False)


def test_login_needs_the_form_token_and_a_right_secret(site) -> None:
    client, _store, tokens = site
    assert client.get("/projects/items/label", follow_redirects=False).headers["location"] \
        == "/login"
    assert _login(client, "annotator", "wrong").status_code == 401
    client.cookies.clear()
    forged = client.post("/login", data={"name": "annotator", "password": tokens["annotator"],
                                         "csrf_token": "forged"})
    assert forged.status_code == 403
    done = _login(client, "annotator", tokens["annotator"])
    assert done.status_code == 303 and done.headers["location"] == "/projects/items/label"
    assert "httponly" in done.headers["set-cookie"].lower()


def test_item_text_is_escaped_and_forms_need_the_csrf_token(site) -> None:
    client, store, tokens = site
    _login(client, "annotator", tokens["annotator"])
    page = client.get("/projects/items/label")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "model v0, trained on 0 labels" in page.text
    item_id = re.search(r'name="item_id" value="(\d+)"', page.text).group(1)
    lease_id = re.search(r'name="lease_id" value="([^"]+)"', page.text).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    forged = client.post("/projects/items/label", data={
        "item_id": item_id, "lease_id": lease_id, "label": "a", "csrf_token": "nope"})
    assert forged.status_code == 403 and store.events("items") == []
    no_header = client.post("/api/projects/items/annotations",
                            json={"item_id": int(item_id), "label": "a"})
    assert no_header.status_code == 403 and "X-CSRF-Token" in no_header.json()["detail"]
    labeled = client.post("/projects/items/label", data={
        "item_id": item_id, "lease_id": lease_id, "label": "b", "rationale": "<b>bold</b>",
        "csrf_token": csrf}, follow_redirects=False)
    assert labeled.status_code == 303
    assert [(e["label"], e["rationale"]) for e in store.events("items")] == [("b", "<b>bold</b>")]
    with_header = client.post("/api/projects/items/undo", headers={"X-CSRF-Token": csrf})
    assert with_header.status_code == 200


def test_annotators_cannot_open_review_or_dashboard(site) -> None:
    client, _store, tokens = site
    _login(client, "annotator", tokens["annotator"])
    assert client.get("/projects/items/dashboard").status_code == 403
    assert client.get("/projects/items/review").status_code == 403
    assert client.get("/api/projects/items/export").status_code == 403
    client.cookies.clear()
    _login(client, "reviewer", tokens["reviewer"])
    dashboard = client.get("/projects/items/dashboard")
    assert dashboard.status_code == 200 and "Cohen" in dashboard.text
    assert "No disagreements" in client.get("/projects/items/review").text


# ---- a real server process ----------------------------------------------------------------


def _start(data: Path, url: str, port: int, *extra: str) -> subprocess.Popen:
    return start_server(data, url, port, LABELS, *extra)


def _label_until_stopped(base: str, token: str, acked: list, stop: threading.Event,
                         prefix: str) -> None:
    """One annotator: next, then label with an Idempotency-Key; records every 2xx answer."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        n = 0
        while not stop.is_set():
            try:
                got = client.post("/api/projects/news/next")
                if got.status_code == 204:
                    return
                item = got.json()
                n += 1
                answer = client.post("/api/projects/news/annotations", json={
                    "item_id": item["item_id"], "label": "sport", "lease_id": item["lease_id"]},
                    headers={"Idempotency-Key": f"{prefix}-{n}"})
                if answer.status_code == 200:
                    acked.append(item["external_id"])
            except httpx.HTTPError:
                return  # the server died


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_while_labeling_loses_no_acknowledged_label(tmp_path: Path, backend: str) -> None:
    url = database_url(backend, tmp_path)
    data = write_csv(tmp_path / "news.csv", 400)
    Store(url).close()  # migrate, so that users exist before the server starts
    store = Store(url)
    tokens = [store.add_user(f"ann{i}", "annotator") for i in range(4)]
    reviewer = store.add_user("rev", "reviewer")
    store.close()
    port = free_port()
    process = _start(data, url, port, "--retrain-every", "15")
    acked: list[str] = []
    stop = threading.Event()
    workers = [threading.Thread(target=_label_until_stopped,
                                args=(f"http://127.0.0.1:{port}", token, acked, stop, f"u{i}"))
               for i, token in enumerate(tokens)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stop.set()
    for worker in workers:
        worker.join()
    assert len(acked) >= 40
    port = free_port()
    restarted = _start(data, url, port)
    try:
        exported = httpx.get(f"http://127.0.0.1:{port}/api/projects/news/export?format=csv",
                             headers={"Authorization": f"Bearer {reviewer}"}, timeout=30)
    finally:
        stop_server(restarted)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    ids = [row["external_id"] for row in rows]
    labeled = [e["external_id"] for e in Store(url).events("news") if e["kind"] == "label"]
    assert len(labeled) == len(set(labeled)) and sorted(ids) == sorted(labeled)  # none twice
    assert set(acked) <= set(ids)  # every acknowledged label survived


def test_twenty_annotators_over_http_never_share_an_item(tmp_path: Path) -> None:
    url = database_url("sqlite", tmp_path)
    data = write_csv(tmp_path / "news.csv", 100)
    store = Store(url)
    tokens = [store.add_user(f"ann{i}", "annotator") for i in range(20)]
    store.close()
    port = free_port()
    process = _start(data, url, port, "--retrain-every", "30")
    held: dict[str, str] = {}
    clashes: list[str] = []
    acked: list[tuple[str, str]] = []
    lock = threading.Lock()

    def annotator(i: int, token: str) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for n in range(5):
                item = client.post("/api/projects/news/next").json()
                with lock:
                    if item["external_id"] in held:
                        clashes.append(item["external_id"])
                    held[item["external_id"]] = f"ann{i}"
                answer = client.post("/api/projects/news/annotations", json={
                    "item_id": item["item_id"], "label": "food", "lease_id": item["lease_id"]},
                    headers={"Idempotency-Key": f"{i}-{n}"})
                assert answer.status_code == 200, answer.text
                with lock:
                    acked.append((item["external_id"], f"ann{i}"))

    threads = [threading.Thread(target=annotator, args=(i, token))
               for i, token in enumerate(tokens)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop_server(process)
    assert clashes == [] and len(acked) == 100
    events = Store(url).events("news")
    assert sorted((e["external_id"], e["annotator"]) for e in events) == sorted(acked)


def test_image_items_are_served_and_shown(tmp_path: Path) -> None:
    import matplotlib.image as mpimg
    import numpy as np

    for i in range(4):
        pixels = np.zeros((8, 8, 3))
        pixels[:, : 2 * (i + 1)] = 1.0
        mpimg.imsave(tmp_path / f"img{i}.png", pixels)
    data = tmp_path / "images.csv"
    data.write_text("id,path\n" + "".join(f"i{i},img{i}.png\n" for i in range(4)))
    app, store, name = build_server(
        data=str(data), text_column=None, image_column="path", id_column=None,
        labels=("wide", "narrow"), db=None, project=None, strategy="margin", model="logreg",
        retrain_every=100)
    token = store.add_user("ann", "annotator", password="pw-for-ann")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        headers = {"Authorization": f"Bearer {token}"}
        item = client.post(f"/api/projects/{name}/next", headers=headers).json()
        assert item["content"].startswith("img")
        image = client.get(f"/api/projects/{name}/items/{item['item_id']}/image", headers=headers)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert image.content == (tmp_path / item["content"]).read_bytes()
        _login(client, "ann", "pw-for-ann")
        page = client.get(f"/projects/{name}/label")
        assert f'src="/api/projects/{name}/items/{item["item_id"]}/image"' in page.text
    store.close()


def test_reviewer_resolves_a_disagreement_on_the_review_page(tmp_path: Path) -> None:
    data = tmp_path / "items.csv"
    data.write_text("id,text\nq1,is this a cat or a dog\nq2,plainly a cat\n")
    app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None,
        labels=("cat", "dog"), db=None, project=None, strategy="margin", model="logreg",
        retrain_every=100, labels_per_item=2, exploration=0.0)
    tokens = [store.add_user(f"ann{i}", "annotator") for i in range(2)]
    reviewer = store.add_user("rita", "reviewer", password="rita-pw")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for token, label in zip(tokens, ("cat", "dog")):
            headers = {"Authorization": f"Bearer {token}"}
            item = client.post(f"/api/projects/{name}/next", headers=headers).json()
            client.post(f"/api/projects/{name}/annotations", headers=headers, json={
                "item_id": item["item_id"], "label": label, "lease_id": item["lease_id"]})
        disputed = client.get(f"/api/projects/{name}/disagreements",
                              headers={"Authorization": f"Bearer {reviewer}"}).json()
        assert [(row["item_id"], row["votes"]) for row in disputed] == [
            (item["item_id"], {"cat": 1, "dog": 1})]
        _login(client, "rita", "rita-pw")
        page = client.get(f"/projects/{name}/review")
        assert item["external_id"] in page.text and "cat × 1" in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post(f"/projects/{name}/review", data={
            "item_id": item["item_id"], "label": "dog", "csrf_token": csrf})
        assert "No disagreements" in client.get(f"/projects/{name}/review").text
        dashboard = client.get(f"/projects/{name}/dashboard").text
        assert "<td>ann0</td><td>1</td>" in dashboard and "<td>ann1</td><td>1</td>" in dashboard
    [row] = store.export_rows(name)
    assert (row["external_id"], row["label"], row["reviewed"]) == (item["external_id"], "dog", True)
    store.close()
