"""The labeling store, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import inspect as sa_inspect  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.exc import IntegrityError  # noqa: E402

from activelab.errors import ActiveLabError  # noqa: E402
from activelab.store import ImportedItem, ProjectSettings, Store, read_items  # noqa: E402
from activelab.store.schema import Base, Event, Item, Project, User  # noqa: E402
from activelab.store.store import ConflictError, GoneError, NotFoundError  # noqa: E402
from activelab.store.testing import BACKENDS, database_url  # noqa: E402

LABELS = ("pos", "neg")


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def _items(n: int) -> list[ImportedItem]:
    return [ImportedItem(f"id-{i}", f"item number {i}", i + 2) for i in range(n)]


def _store(url: str, n: int = 10, **settings: object) -> Store:
    store = Store(url)
    store.create_project("p", _items(n), ProjectSettings(labels=LABELS, **settings))
    return store


def _user(store: Store, name: str, role: str = "annotator"):
    return store.user_by_token(store.add_user(name, role))


def test_migrations_create_exactly_the_declared_schema(url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = Store(url)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    tables = set(sa_inspect(store.engine).get_table_names())
    assert {"users", "projects", "items", "events", "leases", "model_versions", "scores",
            "query_rounds"} <= tables
    Store(url).close()  # migrating again is a no-op
    store.close()


def test_tokens_are_stored_hashed_and_roles_checked(url: str) -> None:
    store = Store(url)
    token = store.add_user("ann", "annotator")
    with store.engine.connect() as connection:
        hashes = list(connection.execute(select(User.token_hash)).scalars())
    assert token not in hashes and len(hashes) == 1
    assert store.user_by_token(token).name == "ann"
    assert store.user_by_token(token + "x") is None
    with pytest.raises(ActiveLabError, match="role must be one of"):
        store.add_user("bob", "boss")
    with pytest.raises(ConflictError, match="already exists"):
        store.add_user("ann", "reviewer")
    store.add_user("rev", "reviewer", password="correct horse")
    assert store.check_login("rev", "correct horse").role == "reviewer"
    assert store.check_login("rev", "wrong") is None
    assert store.check_login("ann", token).name == "ann"
    store.close()


def test_two_annotators_never_hold_the_same_item_and_expired_leases_return(url: str) -> None:
    store = _store(url, n=3, lease_seconds=60)
    now = [time.time()]
    store.clock = lambda: now[0]
    a, b, c = (_user(store, name) for name in "abc")
    first, second, third = (store.next_item("p", user) for user in (a, b, c))
    assert len({first.item_id, second.item_id, third.item_id}) == 3
    assert store.next_item("p", a).lease_id == first.lease_id  # a holds its lease
    d = _user(store, "d")
    assert store.next_item("p", d) is None  # everything is leased
    now[0] += 61
    again = store.next_item("p", d)
    assert again is not None and again.item_id in {first.item_id, second.item_id, third.item_id}
    with pytest.raises(GoneError, match="expired"):
        store.annotate("p", b, second.item_id, "pos", lease_id=second.lease_id)
    store.close()


def test_bad_answers_are_refused_and_store_nothing(url: str) -> None:
    store = _store(url, n=3)
    a, b = _user(store, "a"), _user(store, "b")
    leased = store.next_item("p", a)
    with pytest.raises(ActiveLabError, match="not one of this project's labels: pos, neg"):
        store.annotate("p", a, leased.item_id, "maybe", lease_id=leased.lease_id)
    with pytest.raises(NotFoundError, match="no item 999999"):
        store.annotate("p", a, 999999, "pos")
    with pytest.raises(ConflictError, match="held by another annotator"):
        store.annotate("p", b, leased.item_id, "pos", lease_id=leased.lease_id)
    with pytest.raises(ConflictError, match="leased to another annotator"):
        store.annotate("p", b, leased.item_id, "pos")
    with pytest.raises(NotFoundError, match="no project"):
        store.next_item("nope", a)
    assert store.events("p") == []
    store.annotate("p", a, leased.item_id, "pos", lease_id=leased.lease_id)
    with pytest.raises(ConflictError, match="already answered"):
        store.annotate("p", a, leased.item_id, "neg", lease_id=leased.lease_id)
    assert [e["label"] for e in store.events("p")] == ["pos"]
    store.close()


def test_a_retried_idempotency_key_records_once(url: str) -> None:
    store = _store(url, n=3)
    a = _user(store, "a")
    leased = store.next_item("p", a)
    first = store.annotate("p", a, leased.item_id, "neg", lease_id=leased.lease_id,
                           idempotency_key="k1")
    retry = store.annotate("p", a, leased.item_id, "neg", lease_id=leased.lease_id,
                           idempotency_key="k1")
    assert retry["event_id"] == first["event_id"] and retry["replayed"] and not first["replayed"]
    with pytest.raises(ConflictError, match="Idempotency-Key was used for another request"):
        store.annotate("p", a, leased.item_id, "pos", idempotency_key="k1")
    assert len(store.events("p")) == 1
    store.close()


def test_undo_appends_a_retraction_and_leases_the_item_back(url: str) -> None:
    store = _store(url, n=4)
    a = _user(store, "a")
    leased = store.next_item("p", a)
    store.annotate("p", a, leased.item_id, "pos", lease_id=leased.lease_id, rationale="great")
    undone = store.undo("p", a)
    assert undone["item"]["item_id"] == leased.item_id and undone["label"] == "pos"
    assert store.next_item("p", a).item_id == leased.item_id
    assert [e["kind"] for e in store.events("p")] == ["label", "retract"]
    assert store.events("p")[0]["rationale"] == "great"
    assert store.stats("p")["n_labels"] == 0 and store.export_rows("p") == []
    store.annotate("p", a, leased.item_id, "neg", lease_id=undone["item"]["lease_id"])
    assert [row["label"] for row in store.export_rows("p")] == ["neg"]
    assert store.undo("p", _user(store, "b")) is None
    store.close()


def test_overlap_k_serves_each_item_to_k_annotators_and_flags_disagreement(url: str) -> None:
    store = _store(url, n=1, labels_per_item=2)
    a, b, c = (_user(store, name) for name in "abc")
    reviewer = _user(store, "r", "reviewer")
    la, lb = store.next_item("p", a), store.next_item("p", b)
    assert la.item_id == lb.item_id
    assert store.next_item("p", c) is None
    store.annotate("p", a, la.item_id, "pos", lease_id=la.lease_id)
    # one vote of two: pending, listed with no label
    assert [(r["label"], r["status"]) for r in store.export_rows("p")] == [(None, "pending")]
    store.annotate("p", b, lb.item_id, "neg", lease_id=lb.lease_id)
    assert store.resolved_labels("p")[la.item_id]["status"] == "disagreement"
    assert store.stats("p")["n_disagreements"] == 1
    store.resolve("p", reviewer, la.item_id, "neg")
    [row] = store.export_rows("p")
    assert (row["label"], row["reviewed"], row["n_votes"], row["agreement"]) == ("neg", True, 2, 0.5)
    store.close()


@pytest.mark.parametrize("policy", ["others", "me", "ignore"])
def test_skip_policies(url: str, policy: str) -> None:
    store = _store(url, n=2, skip_policy=policy)
    a, b = _user(store, "a"), _user(store, "b")
    first = store.next_item("p", a)
    store.skip("p", a, first.item_id, lease_id=first.lease_id)
    second = store.next_item("p", a)
    assert second.item_id != first.item_id
    store.annotate("p", a, second.item_id, "pos", lease_id=second.lease_id)
    again = store.next_item("p", a)
    assert (again is not None and again.item_id == first.item_id) == (policy == "me")
    if again is not None:
        store.skip("p", a, again.item_id, lease_id=again.lease_id)
    for_b = store.next_item("p", b)
    assert (for_b is not None and for_b.item_id == first.item_id) == (policy != "ignore")
    store.close()


def test_the_queue_follows_the_current_scores_and_exploration_draws_at_random(url: str) -> None:
    store = _store(url, n=6, exploration=0.0)
    ids = [item_id for item_id, _e, _c in store.items("p")]
    store.add_model_version("p", "diversity", 0, {}, [(ids[4], 1.0), (ids[2], 0.5)])
    a = _user(store, "a")
    leased = store.next_item("p", a)
    assert (leased.item_id, leased.reason) == (ids[4], "diversity")
    store.annotate("p", a, leased.item_id, "pos", lease_id=leased.lease_id)
    assert store.next_item("p", a).item_id == ids[2]
    number = store.add_model_version("p", "model", 1, {"cv_accuracy": 0.5},
                                     [(ids[5], 0.9), (ids[2], 0.1)])
    assert number == 1 and store.project_info("p")["model_version"] == 1
    b = _user(store, "b")
    assert store.next_item("p", b).item_id == ids[5]
    assert [v["number"] for v in store.model_versions("p")] == [0, 1]
    assert store.query_rounds("p")[-1]["n_scored"] == 2
    store.close()

    explore = _store(url.replace("test.db", "explore.db"), n=6, exploration=1.0) \
        if url.startswith("sqlite") else None
    if explore is not None:
        ids = [item_id for item_id, _e, _c in explore.items("p")]
        explore.add_model_version("p", "model", 1, {}, [(ids[0], 1.0)])
        leased = explore.next_item("p", _user(explore, "a"))
        assert leased.reason == "exploration"
        explore.close()


def test_a_failing_import_writes_nothing(url: str) -> None:
    store = Store(url)
    items = _items(3) + [ImportedItem("id-1", "a duplicate id", 9)]
    with pytest.raises(IntegrityError):
        store.create_project("p", items, ProjectSettings(labels=LABELS))
    with store.engine.connect() as connection:
        assert connection.execute(select(Project)).all() == []
        assert connection.execute(select(Item)).all() == []
    store.close()


def test_restart_resumes_with_every_label(url: str) -> None:
    store = _store(url, n=5)
    a = _user(store, "a")
    for label in ("pos", "neg"):
        leased = store.next_item("p", a)
        store.annotate("p", a, leased.item_id, label, lease_id=leased.lease_id)
    before = store.export_rows("p")
    store.close()
    reopened = Store(url)
    reopened.create_project("p", _items(5), ProjectSettings(labels=LABELS))  # resumes
    assert reopened.export_rows("p") == before and len(before) == 2
    with pytest.raises(ActiveLabError, match="already exists with labels pos,neg"):
        reopened.create_project("p", _items(5), ProjectSettings(labels=("x", "y")))
    reopened.close()


def test_concurrent_annotators_label_every_item_exactly_once(url: str) -> None:
    n_items, n_users = 40, 8
    store = _store(url, n=n_items)
    users = [_user(store, f"u{i}") for i in range(n_users)]
    held: dict[int, int] = {}
    overlaps: list[int] = []
    lock = threading.Lock()

    def work(user) -> None:
        while (leased := store.next_item("p", user)) is not None:
            with lock:
                if leased.item_id in held:
                    overlaps.append(leased.item_id)
                held[leased.item_id] = user.id
            store.annotate("p", user, leased.item_id, "pos", lease_id=leased.lease_id,
                           idempotency_key=f"{user.id}-{leased.item_id}")

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    with store.engine.connect() as connection:
        labeled = list(connection.execute(select(Event.item_id).where(Event.kind == "label"))
                       .scalars())
    assert sorted(labeled) == sorted(held) and len(labeled) == n_items
    store.close()


# ---- importing files ----------------------------------------------------------------------


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_read_items_from_csv_and_jsonl(tmp_path: Path) -> None:
    csv_path = _write(tmp_path, "a.csv", 'id,text\nx,"hello, world"\ny,"two\nlines"\n')
    assert [(i.external_id, i.content) for i in read_items(csv_path, text_column="text")] == [
        ("x", "hello, world"), ("y", "two\nlines")]
    jsonl = _write(tmp_path, "a.jsonl", '{"text": "a"}\n\n{"text": "b"}\n')
    assert [(i.external_id, i.content) for i in read_items(jsonl, text_column="text")] == [
        ("1", "a"), ("3", "b")]
    (tmp_path / "cat.png").write_bytes(b"png")
    images = _write(tmp_path, "img.csv", "id,path\nc,cat.png\n")
    assert read_items(images, image_column="path")[0].content == "cat.png"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", "id,body\n1,x\n", "has no column 'text'; its columns are: id, body"),
        ("a.csv", "id,text\n1,x\n2,y\n1,z\n", "lines 2 and 4 have the same id '1'"),
        ("a.csv", "", "has no items"),
        ("a.csv", "id,text\n", "has no items"),
        ("a.csv", b"id,text\n1,ok\n2,caf\xe9\n", "line 3 is not valid UTF-8"),
        ("a.csv", "id,text\n1,x\n2,y,z\n", "line 3 has 3 fields but the header has 2"),
        ("a.csv", 'id,text\n1,"x"y"\n', "line 2 is malformed CSV"),
        ("a.csv", "id,text\n1,\n", "line 2 has an empty 'text'"),
        ("a.jsonl", '{"text": "a"}\n{"text": \n', "line 2 is not valid JSON"),
        ("a.jsonl", '{"text": "a"}\n[1, 2]\n', "line 2 is not a JSON object"),
        ("a.txt", "text\n", "reads .csv or .jsonl"),
    ],
)
def test_bad_files_are_refused_with_the_line(tmp_path: Path, name: str, content: str | bytes,
                                              message: str) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(ActiveLabError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_items(path, text_column="text")


def test_image_paths_must_exist_inside_the_data_folder(tmp_path: Path) -> None:
    path = _write(tmp_path, "img.csv", "id,path\na,missing.png\n")
    with pytest.raises(ActiveLabError, match="line 2: image file 'missing.png' not found"):
        read_items(path, image_column="path")
    path = _write(tmp_path, "img2.csv", "id,path\na,../../etc/passwd\n")
    with pytest.raises(ActiveLabError, match="is outside"):
        read_items(path, image_column="path")
    with pytest.raises(ActiveLabError, match="exactly one of"):
        read_items(path)
