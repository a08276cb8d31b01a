"""Many annotators against one labeling server, with and without a retrain running.

    python benchmarks/server_load.py [--annotators 20] [--items-each 200] [--db URL]
                                     [--projects 1] [--workers 1] [--think-time 0]
                                     [--phases quiet,retraining] [--kill-worker-after S]

Starts ``activelab serve`` on 127.0.0.1 twice on a generated text pool of
``2 * annotators * items-each`` items (overlap 1). Each simulated annotator (a thread with
its own HTTP connection) asks for ``next`` and answers with an ``Idempotency-Key``, for
``items-each`` items. Phase "quiet": no retraining. Phase "retraining": an admin client keeps
one retrain running (and one pending) the whole time. For each phase it prints the p50 and
p95 latency of ``next`` and ``annotations``, the p95 ratio retraining/quiet (the number to
compare: absolute times drift on a shared machine), and checks that no label was lost
(every 2xx answer is one label event) and that no item was handed to two annotators at once.

With ``--projects N`` the one server serves N projects at once (the ``--data`` one and
N-1 created in the database beforehand), each with its own model and queue; annotator ``i``
labels in project ``i mod N`` and the retraining phase keeps every project retraining.

With ``--workers N`` (PostgreSQL) the server runs N processes (``activelab serve --workers``);
``--think-time S`` makes each annotator wait between an answer and the next ``next`` (a
person reading): S seconds on average, drawn uniformly from 0.5 S to 1.5 S, and each
annotator starts at a random moment of the first S seconds, so that the annotators do not
click in lockstep (people do not); the throughput is then what a team would make.
``--lockstep`` makes every wait exactly S and starts everyone at once (a burst of
``--annotators`` requests every S seconds, the worst case);
``--kill-worker-after S`` kills one server process with SIGKILL S seconds into each phase
(the clients retry dropped connections; the labels must all arrive, none held by two).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from activelab.server.demo import write_csv
from activelab.server.testing import free_port, start_server, stop_server
from activelab.store import Store

LABELS = "sport,food,space"


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def post_with_retry(client: httpx.Client, url: str, retries: list[int],
                    **kwargs: object) -> httpx.Response:
    """POST, trying again (up to 3 times) when the connection drops, as a real client
    would: a retried ``next`` returns the same lease, a retried answer carries the same
    Idempotency-Key, so a request the app did see is answered the same way again. (A
    keep-alive connection that the server closes just as the client reuses it, after 5 s
    idle, is reset this way; a starved client thread can idle that long on a busy machine.)"""
    for attempt in range(3):
        try:
            return client.post(url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            if attempt == 2:
                raise
            retries[0] += 1
    raise AssertionError("unreachable")


def add_projects(store: Store, folder: Path, name: str, n_projects: int,
                 n_items: int) -> list[str]:
    """``name`` and the other ``n_projects - 1`` projects, created in ``store`` beforehand."""
    from activelab.store import ProjectSettings
    from activelab.store.importer import read_items

    names = [name]
    for k in range(2, n_projects + 1):
        data = write_csv(folder / f"{name}-{k}.csv", n_items, seed=7 + k)
        store.create_project(f"{name}-{k}", read_items(data, text_column="text"),
                             ProjectSettings(labels=tuple(LABELS.split(",")),
                                             retrain_every=1_000_000))
        names.append(f"{name}-{k}")
    return names


def kill_one_worker(server: subprocess.Popen, after: float, done: threading.Event,
                    killed: list[int]) -> None:
    """SIGKILL one of the server's worker processes ``after`` seconds from now."""
    if done.wait(after):
        return
    children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                              text=True).stdout.split()
    workers = [int(pid) for pid in children
               if "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text(
                   errors="replace")]
    if workers:
        os.kill(workers[0], signal.SIGKILL)
        killed.append(workers[0])


def run_phase(name: str, folder: Path, db: str | None, annotators: int, items_each: int,
              retraining: bool, n_projects: int = 1, workers: int = 1,
              think_time: float = 0.0, kill_after: float | None = None,
              lockstep: bool = False) -> dict[str, object]:
    n_items = -(-2 * annotators * items_each // n_projects)
    data = write_csv(folder / f"{name}.csv", n_items, seed=7)
    url = db or f"sqlite:///{folder / (name + '.db')}"
    store = Store(url)
    names = add_projects(store, folder, name, n_projects, n_items)
    tokens = [store.add_user(f"ann{i}", "annotator") for i in range(annotators)]
    admin = store.add_user("admin", "admin")
    store.close()
    port = free_port()
    server = start_server(data, url, port, LABELS, "--retrain-every", "1000000",
                          "--exploration", "0.1", "--workers", str(workers), timeout=300)
    base = f"http://127.0.0.1:{port}"
    timings: dict[str, list[float]] = {"next": [], "annotations": []}
    acked: list[tuple[str, str]] = []
    holders: dict[str, str] = {}
    clashes: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    done = threading.Event()
    retrains = [0]
    retried = [0]
    killed: list[int] = []

    def annotator(i: int) -> None:
        labels = LABELS.split(",")
        project = names[i % len(names)]
        with httpx.Client(base_url=base, timeout=120,
                          headers={"Authorization": f"Bearer {tokens[i]}"}) as client:
            pace = random.Random(i)
            if think_time and not lockstep:
                time.sleep(pace.uniform(0, think_time))
            for n in range(items_each):
                if n and think_time:
                    time.sleep(think_time if lockstep else pace.uniform(0.5, 1.5) * think_time)
                t0 = time.perf_counter()
                got = post_with_retry(client, f"/api/projects/{project}/next", retried)
                t1 = time.perf_counter()
                if got.status_code != 200:
                    errors.append(f"next {got.status_code}")
                    return
                item = got.json()
                key = f"{project}/{item['external_id']}"
                with lock:
                    if holders.get(key) not in (None, f"ann{i}"):
                        clashes.append(key)
                    holders[key] = f"ann{i}"
                t2 = time.perf_counter()
                answer = post_with_retry(
                    client, f"/api/projects/{project}/annotations", retried, json={
                        "item_id": item["item_id"], "label": labels[(i + n) % 3],
                        "lease_id": item["lease_id"]}, headers={"Idempotency-Key": f"{i}-{n}"})
                t3 = time.perf_counter()
                with lock:
                    timings["next"].append(t1 - t0)
                    timings["annotations"].append(t3 - t2)
                    if answer.status_code == 200:
                        acked.append((key, f"ann{i}"))
                    else:
                        errors.append(f"annotations {answer.status_code}: {answer.text[:80]}")

    def keep_retraining() -> None:
        with httpx.Client(base_url=base, timeout=120,
                          headers={"Authorization": f"Bearer {admin}"}) as client:
            while not done.is_set():
                for project in names:
                    if client.post(f"/api/projects/{project}/retrain").json()["status"] \
                            == "started":
                        retrains[0] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=annotator, args=(i,)) for i in range(annotators)]
    helper = threading.Thread(target=keep_retraining) if retraining else None
    killer = threading.Thread(target=kill_one_worker, args=(server, kill_after, done, killed)) \
        if kill_after is not None else None
    started = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for extra in (helper, killer):
            if extra:
                extra.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        done.set()
        for extra in (helper, killer):
            if extra:
                extra.join()
        with httpx.Client(base_url=base, timeout=120,
                          headers={"Authorization": f"Bearer {admin}"}) as client:
            versions = sum(client.get(f"/api/projects/{project}/stats").json()["model_version"]
                           for project in names)
    finally:
        stopping = time.perf_counter()
        stop_server(server)
        stop_s = time.perf_counter() - stopping
    store = Store(url)
    events = [(f"{project}/{e['external_id']}", e["annotator"]) for project in names
              for e in store.events(project) if e["kind"] == "label"]
    store.close()
    return {
        "phase": name, "labels": len(acked), "wall_s": wall, "model_versions": versions,
        "errors": errors, "clashes": clashes, "retried": retried[0], "killed": killed,
        "throughput": 2 * len(acked) / wall, "stop_s": stop_s,
        "lost": sorted(set(acked) - set(events)), "twice": len(events) - len(set(events)),
        **{f"{key}_p50_ms": 1000 * percentile(v, 50) for key, v in timings.items()},
        **{f"{key}_p95_ms": 1000 * percentile(v, 95) for key, v in timings.items()},
        "slowest_ms": 1000 * max(max(v) for v in timings.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--items-each", type=int, default=200)
    parser.add_argument("--projects", type=int, default=1,
                        help="Projects served at once by the one server (annotators split "
                        "among them)")
    parser.add_argument("--workers", type=int, default=1,
                        help="Server processes (PostgreSQL only)")
    parser.add_argument("--think-time", type=float, default=0.0,
                        help="Seconds each annotator waits between an answer and next, on "
                        "average (uniform from half to one and a half times it)")
    parser.add_argument("--lockstep", action="store_true",
                        help="Every think time exactly --think-time, everyone starting at once")
    parser.add_argument("--phases", default="quiet,retraining",
                        help="quiet, retraining or both (comma-separated)")
    parser.add_argument("--kill-worker-after", type=float, default=None,
                        help="SIGKILL one server process this many seconds into each phase")
    parser.add_argument("--db", default=None, help="A PostgreSQL URL (wiped between phases); "
                        "default: a SQLite file per phase")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.phases.split(","):
            retraining = name == "retraining"
            if args.db:
                from activelab.store.testing import wipe_postgres
                wipe_postgres(args.db)
            results.append(run_phase(name, Path(folder), args.db, args.annotators,
                                     args.items_each, retraining, args.projects, args.workers,
                                     args.think_time, args.kill_worker_after,
                                     args.lockstep))
    print(f"{args.annotators} annotators x {args.items_each} items, database "
          f"{'postgresql' if args.db else 'sqlite'}, {args.projects} project(s) on one server "
          f"(versions: summed over projects), {args.workers} server process(es), think time "
          f"{args.think_time:g} s{' (lockstep)' if args.lockstep else ''}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'phase':12s} {'labels':>7s} {'versions':>8s} {'next p50':>9s} {'next p95':>9s} "
          f"{'ann. p50':>9s} {'ann. p95':>9s} {'slowest':>9s} {'wall s':>7s} {'req/s':>6s}")
    for r in results:
        print(f"{r['phase']:12s} {r['labels']:7d} {r['model_versions']:8d} "
              f"{r['next_p50_ms']:8.1f}ms {r['next_p95_ms']:8.1f}ms "
              f"{r['annotations_p50_ms']:8.1f}ms {r['annotations_p95_ms']:8.1f}ms "
              f"{r['slowest_ms']:8.0f}ms {r['wall_s']:7.1f} {r['throughput']:6.1f}")
    if len(results) == 2:
        quiet, busy = results
        print(f"p95 ratio retraining/quiet: next {busy['next_p95_ms'] / quiet['next_p95_ms']:.2f}"
              f", annotations {busy['annotations_p95_ms'] / quiet['annotations_p95_ms']:.2f}")
    ok = True
    for r in results:
        problems = {key: r[key] for key in ("errors", "clashes", "lost") if r[key]}
        if r["twice"]:
            problems["twice"] = r["twice"]
        expected = args.annotators * args.items_each
        if r["labels"] != expected:
            problems["labels"] = f"{r['labels']} of {expected}"
        print(f"{r['phase']}: " + ("no label lost, no item held by two annotators, none twice"
                                   if not problems else f"PROBLEMS {problems}"))
        if r["killed"]:
            print(f"{r['phase']}: server process {r['killed'][0]} killed with SIGKILL at "
                  f"{args.kill_worker_after:g} s")
        if r["retried"]:
            print(f"{r['phase']}: {r['retried']} requests retried after a dropped connection")
        if r["stop_s"] > 5:
            print(f"{r['phase']}: the server took {r['stop_s']:.0f} s to stop after SIGTERM")
        ok = ok and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
