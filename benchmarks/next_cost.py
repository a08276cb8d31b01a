"""What one ``next`` costs as the pool grows: the store's allocation against the query it
replaced, which sorted the whole pool, measured in the same run.

    python benchmarks/next_cost.py --db postgresql://... [--sizes 1000,10000,100000]
                                   [--labels 500] [--calls 60]

For each pool size it creates a project (wiping the database first), stores a model
version whose queue ranks every item, labels ``--labels`` items from the head of the
queue (so each call passes over them, as in a running project), then times ``--calls``
pairs of ``next`` + answer by five annotators, one at a time. It also times the former
allocation query (every item outer-joined to its score and its label and lease counts,
sorted, first row) on the same data. The number to compare is the ratio of each size to
the smallest: the store's stays near 1, the full sort's grows with the pool.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import and_, case, func, select

from activelab.store import ImportedItem, ProjectSettings, Store
from activelab.store.schema import Answer, Item, Lease, Project, Score

LABELS = ("sport", "food", "space")


def full_sort_query(project: Project, user_id: int, now: float):  # type: ignore[no-untyped-def]
    """The allocation query before the index walk: the pool sorted by rank, first row."""
    labels = (select(Answer.item_id, func.count().label("n")).where(
        Answer.project_id == project.id, Answer.kind == "label").group_by(Answer.item_id)
        .subquery())
    leases = (select(Lease.item_id, func.count().label("n")).where(
        Lease.project_id == project.id, Lease.released_at.is_(None),
        Lease.expires_at > now).group_by(Lease.item_id).subquery())
    closed = select(Answer.item_id).where(Answer.project_id == project.id,
                                          Answer.kind.in_(["resolve"]))
    mine = select(Answer.item_id).where(Answer.project_id == project.id,
                                        Answer.user_id == user_id,
                                        Answer.kind.in_(["label", "skip", "unsure"]))
    return (select(Item).outerjoin(labels, labels.c.item_id == Item.id)
            .outerjoin(leases, leases.c.item_id == Item.id)
            .outerjoin(Score, and_(Score.item_id == Item.id,
                                   Score.model_version_id == project.queue_version_id))
            .where(Item.project_id == project.id,
                   func.coalesce(labels.c.n, 0) + func.coalesce(leases.c.n, 0) < 1,
                   Item.id.not_in(closed), Item.id.not_in(mine))
            .order_by(case((Score.rank.is_(None), 1), else_=0), Score.rank,
                      Item.random_rank, Item.id).limit(1))


def measure(url: str, n_items: int, n_labels: int, calls: int) -> dict[str, float]:
    if url.startswith("postgresql"):
        from activelab.store.testing import wipe_postgres

        wipe_postgres(url)
    store = Store(url)
    store.create_project("p", [ImportedItem(str(i), f"text {i}", i) for i in range(n_items)],
                         ProjectSettings(labels=LABELS, exploration=0.0))
    users = [store.user_by_token(store.add_user(f"u{k}", "annotator")) for k in range(5)]
    with store._session() as session:
        ids = list(session.scalars(select(Item.id).order_by(Item.id)))
    store.add_model_version("p", "model", 0, {}, [(i, float(-k)) for k, i in enumerate(ids)],
                            chunk_size=5000)

    def one_pair(k: int) -> tuple[float, float]:
        user = users[k % len(users)]
        t0 = time.perf_counter()
        leased = store.next_item("p", user)
        t1 = time.perf_counter()
        store.annotate("p", user, leased.item_id, LABELS[k % 3], lease_id=leased.lease_id)
        return t1 - t0, time.perf_counter() - t1

    for k in range(n_labels):
        one_pair(k)
    pairs = [one_pair(k) for k in range(calls)]
    with store._session() as session:
        project = session.scalar(select(Project).where(Project.name == "p"))
        sorts = []
        for k in range(min(calls, 20)):
            t0 = time.perf_counter()
            session.scalars(full_sort_query(project, users[k % 5].id, time.time())).first()
            sorts.append(time.perf_counter() - t0)
    store.close()
    return {"next_ms": 1000 * statistics.median(p[0] for p in pairs),
            "answer_ms": 1000 * statistics.median(p[1] for p in pairs),
            "full_sort_ms": 1000 * statistics.median(sorts)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL (wiped) or sqlite:///file")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--calls", type=int, default=60)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = [(n, measure(args.db, n, args.labels, args.calls)) for n in sizes]
    base = rows[0][1]
    print(f"{'pool':>8} {'next ms':>8} {'x':>6} {'answer ms':>10} {'full sort ms':>13} {'x':>6}")
    for n, r in rows:
        print(f"{n:>8} {r['next_ms']:>8.1f} {r['next_ms'] / base['next_ms']:>6.2f} "
              f"{r['answer_ms']:>10.1f} {r['full_sort_ms']:>13.1f} "
              f"{r['full_sort_ms'] / base['full_sort_ms']:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
