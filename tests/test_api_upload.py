"""Adding items through the web (the JSON API and the admin's upload page), all or nothing,
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from activelab.server.cli import build_server  # noqa: E402
from activelab.server.demo import write_csv  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

LABELS = ("sport", "food", "space")
LIMIT = 256 * 1024  # the upload limit of these tests' server
N_ITEMS = 40


def _server(backend: str, tmp_path: Path):
    url = database_url(backend, tmp_path)
    data = write_csv(tmp_path / "news.csv", N_ITEMS, seed=1)
    app, store, name = build_server(
        data=str(data), text_column="text", image_column=None, id_column=None, labels=LABELS,
        db=url, project=None, strategy="margin", model="logreg", retrain_every=1000,
        exploration=0.0, max_upload_bytes=LIMIT)
    tokens = {role: store.add_user(role, role) for role in ("admin", "annotator", "reviewer")}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, store, tokens, app.state.trainers[name]
    app.state.trainers[name].wait_idle(60)
    store.close()


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path):
    yield from _server(request.param, tmp_path)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _upload(client: TestClient, token: str, name: str, content: bytes | str, **fields: str):
    raw = content.encode() if isinstance(content, str) else content
    return client.post("/api/projects/news/items", headers=_auth(token),
                       files={"file": (name, raw, "text/plain")}, data=fields)


def _external_ids(store) -> list[str]:
    return [external for _item, external, _content in store.items("news")]


def test_an_admin_adds_items_and_the_next_retrain_ranks_them(server) -> None:
    client, store, tokens, trainer = server
    added = _upload(client, tokens["admin"], "more.csv",
                    'id,text\nnew-1,"the striker scored, twice"\nnew-2,a rocket to the moon\n')
    assert added.status_code == 201, added.text
    assert added.json()["imported"] == 2 and added.json()["n_items"] == N_ITEMS + 2
    jsonl = _upload(client, tokens["admin"], "more.jsonl",
                    '{"id": "new-3", "text": "pasta with basil"}\n\n'
                    '{"id": "new-4", "text": "tennis final"}\n')
    assert jsonl.status_code == 201, jsonl.text
    rows = store.items("news")
    assert [(e, c) for _i, e, c in rows[-4:]] == [
        ("new-1", "the striker scored, twice"), ("new-2", "a rocket to the moon"),
        ("new-3", "pasta with basil"), ("new-4", "tennis final")]
    assert trainer.wait_idle(120)
    # The retrain the upload asked for featurized the whole pool again, new items included.
    assert trainer.features.shape[0] == N_ITEMS + 4
    assert sorted(trainer.item_ids.tolist()) == sorted(i for i, _e, _c in rows)
    # Every item, old and new, is served exactly once to an annotator.
    served = []
    while (got := client.post("/api/projects/news/next",
                              headers=_auth(tokens["annotator"]))).status_code == 200:
        item = got.json()
        served.append(item["external_id"])
        client.post("/api/projects/news/skip", headers=_auth(tokens["annotator"]),
                    json={"item_id": item["item_id"], "lease_id": item["lease_id"]})
    assert sorted(served) == sorted(_external_ids(store)) and len(served) == N_ITEMS + 4


BAD_FILES = [  # (file name, content, status, what the message says)
    ("a.csv", "id,body\nn1,x\nn2,y\n", 422, "has no column 'text'; its columns are: id, body"),
    ("a.csv", "id,text\nn1,x\nn2,y\nn1,z\n", 422, "lines 2 and 4 have the same id 'n1'"),
    ("a.csv", "id,text\nn1,x\ndoc-00003,y\n", 409,
     "line 3: project 'news' already has an item with id 'doc-00003'"),
    ("a.csv", "", 422, "has no items (the file is empty)"),
    ("a.csv", b"id,text\nn1,ok\nn2,caf\xe9\n", 422, "line 3 is not valid UTF-8"),
    ("a.csv", "id,text\nn1,x\nn2,y,z\n", 422, "line 3 has 3 fields but the header has 2"),
    ("a.csv", 'id,text\nn1,x\nn2,"y"z"\n', 422, "line 3 is malformed CSV"),
    ("a.csv", "id,text\nn1,x\nn2,\n", 422, "line 3 has an empty 'text'"),
    ("a.csv", "id,text\nn1,x\nn2,nul\x00here\n", 422, "line 3 holds a NUL character"),
    ("a.csv", "text\nan item without an id\n", 422, "has no id column (id or external_id)"),
    ("a.jsonl", '{"id": "n1", "text": "a"}\n{"id": "n2", "text": \n', 422,
     "line 2 is not valid JSON"),
    ("a.jsonl", '{"id": "n1", "text": "a"}\n[1, 2]\n', 422, "line 2 is not a JSON object"),
    ("a.jsonl", '{"id": "n1", "text": "a"}\n' + "[" * 100_000 + "\n", 422,
     "line 2 is nested too deeply"),
    ("a.jsonl", '{"id": "n1", "text": "a"}\n{"id": ' + "1" * 5000 + ', "text": "b"}\n',
     422, "line 2 is not valid JSON: Exceeds the limit (4300 digits)"),
    ("a.csv", "id,text\nn1,x\nn2," + "y" * 100_001 + "\n", 422,
     "line 3: 'text' has 100001 characters, more than the limit of 100000"),
    ("a.txt", "id,text\nn1,x\n", 422, "reads .csv or .jsonl"),
]


def test_each_bad_file_is_refused_naming_the_line_and_imports_nothing(server) -> None:
    client, store, tokens, _trainer = server  # one server for every case: it costs seconds
    before = _external_ids(store)
    for name, content, status, message in BAD_FILES:
        answer = _upload(client, tokens["admin"], name, content)
        assert answer.status_code == status, (message, answer.text)
        detail = answer.json()["detail"]
        assert message in detail and "\n" not in detail, (message, detail)
        assert _external_ids(store) == before, message


def test_an_upload_over_the_size_limit_is_a_413_even_without_a_length(server) -> None:
    client, store, tokens, _trainer = server
    big = "id,text\n" + "".join(f"n{i},{'word ' * 60}\n" for i in range(1000))
    assert len(big) > LIMIT
    answer = _upload(client, tokens["admin"], "big.csv", big)
    assert answer.status_code == 413
    assert f"larger than the limit of 256 KiB ({LIMIT} bytes)" in answer.json()["detail"]

    def chunks():  # no Content-Length: the limit is enforced while the body streams in
        body = (b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\""
                b"\r\nContent-Type: text/csv\r\n\r\n" + big.encode() + b"\r\n--xyz--\r\n")
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    streamed = client.post("/api/projects/news/items", content=chunks(), headers={
        **_auth(tokens["admin"]), "Content-Type": "multipart/form-data; boundary=xyz"})
    assert streamed.status_code == 413
    assert len(_external_ids(store)) == N_ITEMS
    # The other endpoints keep their 64 KiB limit.
    assert client.post("/api/projects/news/skip", headers=_auth(tokens["admin"]),
                       content=b"{" + b" " * 70_000 + b"}").status_code == 413


def test_only_an_admin_can_add_items(server) -> None:
    client, store, tokens, _trainer = server
    good = "id,text\nn1,a fine item\n"
    for role in ("annotator", "reviewer"):
        refused = _upload(client, tokens[role], "a.csv", good)
        assert refused.status_code == 403 and "needs admin" in refused.json()["detail"]
    anonymous = client.post("/api/projects/news/items", files={"file": ("a.csv", good)})
    assert anonymous.status_code == 401
    assert _upload(client, tokens["admin"], "a.csv", good, column="text").status_code == 201
    missing = client.post("/api/projects/nope/items", headers=_auth(tokens["admin"]),
                          files={"file": ("a.csv", good)})
    assert missing.status_code == 404
    assert _external_ids(store)[-1] == "n1" and len(_external_ids(store)) == N_ITEMS + 1


def _login(client: TestClient, name: str, secret: str) -> None:
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    client.post("/login", data={"name": name, "password": secret, "csrf_token": csrf})


def test_the_upload_page_needs_an_admin_and_its_csrf_token_and_shows_the_problem(
        server) -> None:
    client, store, tokens, _trainer = server
    _login(client, "annotator", tokens["annotator"])
    assert client.get("/projects/news/upload").status_code == 403
    client.cookies.clear()
    _login(client, "admin", tokens["admin"])
    page = client.get("/projects/news/upload")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def submit(name: str, content: str, token: str = csrf):
        return client.post("/projects/news/upload", data={"csrf_token": token},
                           files={"file": (name, content.encode())})

    good = "id,text\nweb-1,first\nweb-2,second\n"
    assert submit("a.csv", good, "forged").status_code == 403
    bad = submit("a.csv", "id,text\nweb-1,<b>bold</b>\nweb-1,again\n")
    assert bad.status_code == 422
    assert "Nothing was imported: a.csv: lines 2 and 3 have the same id" in bad.text
    assert len(_external_ids(store)) == N_ITEMS
    done = submit("a.csv", good)
    assert done.status_code == 200 and f"Added 2 items; the project has {N_ITEMS + 2}" in \
        done.text
    again = submit("a.csv", good)
    assert again.status_code == 409 and "already has an item with id" in again.text
    big = submit("big.csv", "id,text\n" + "x" * LIMIT)
    assert big.status_code == 413 and "The file is too large" in big.text
    assert _external_ids(store)[-2:] == ["web-1", "web-2"]
    assert len(_external_ids(store)) == N_ITEMS + 2


def test_no_uploaded_bytes_get_a_server_error_or_a_partial_import(server) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    client, store, tokens, _trainer = server
    rows = st.lists(st.tuples(st.text(max_size=6), st.text(max_size=12)), max_size=4)
    csv_like = rows.map(lambda rs: "id,text\n" + "".join(f"{a},{b}\n" for a, b in rs))
    contents = st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                         csv_like.map(str.encode))

    statuses: set[int] = set()

    @hypothesis.settings(max_examples=40, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(raw=contents, name=st.sampled_from(["f.csv", "f.jsonl"]))
    def upload(raw: bytes, name: str) -> None:
        before = _external_ids(store)
        answer = _upload(client, tokens["admin"], name, raw)
        assert answer.status_code in (201, 409, 422), answer.text
        statuses.add(answer.status_code)
        after = _external_ids(store)
        if answer.status_code == 201:
            assert len(after) == len(before) + answer.json()["imported"]
        else:
            assert after == before

    upload()
    assert {201, 422} <= statuses  # both paths were taken
