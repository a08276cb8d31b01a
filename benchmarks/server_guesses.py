"""The model's guesses with a scripted annotator against the real server: how often the
guess is right (accept rate per model version), and labels per minute with guesses on and
off, measured for the server and modelled for a person.

    python benchmarks/server_guesses.py [--items 600] [--budget 200] [--seeds 3]

For each seed it writes a text pool (``activelab.server.demo.make_texts``: three imbalanced
topics) and runs ``activelab serve`` on 127.0.0.1 twice, ``--guesses`` and
``--no-guesses`` (strategy margin, retraining every 20 labels), side by side. The
annotator is the library's :class:`~activelab.SimulatedOracle` behind the HTTP API: it
asks ``next`` and answers with the oracle's label, one item in each arm in turn (so both
arms run under the same machine load), and after every 20 labels waits for both retrains
(outside the timed calls), so that both arms see the same model versions and items.

Measured: the accept rate (answers equal to the guess shown, the answers'
``guess_accepted``) per model version, next to that version's guess accuracy on the whole
pool (the queue asks what the model is least sure of, so the two differ), and the server's
seconds per label (``next`` plus ``annotations``, over HTTP) in each arm.

Modelled (not measured; no person was timed): a person's seconds per item by the
keystroke-level model (Card, Moran and Newell 1980) with a Hick-Hyman decision time:

    without a guess:  read + M + hick(k) + keys(k)
    with a guess:     read + M + hick(1) + K + (1 - accept) * (hick(k) + keys(k))

``read`` = words / ``--wpm`` (the item must be read either way), ``M`` = 1.35 s (mental
preparation), ``K`` = 0.28 s (one key press, an average typist), ``hick(n)`` = ``--hick``
x log2(n + 1) s (choosing among n options; a shown guess is one option to confirm), and
``keys(k)`` the key presses to choose one of k labels on the label page (one with at most
9 labels; else the digits and Enter). A correction pays the confirmation it rejected and
then the whole choice. The measured accept rate and server time are plugged in.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from activelab import SimulatedOracle
from activelab.server.demo import make_texts, write_csv
from activelab.server.testing import free_port, start_server, stop_server
from activelab.store import Store

LABELS = "sport,food,space"
RETRAIN_EVERY = 20
MENTAL, KEY = 1.35, 0.28


def run_seed(seed: int, items: int, budget: int, folder: Path) -> dict[str, Any]:
    """Two servers at once, ``--guesses`` and ``--no-guesses``, labelled in turns (which
    goes first alternates), so that both see the same machine load. Per arm and label: the
    server seconds and the answer; for the guesses arm, each version's guess accuracy on
    the whole pool."""
    rows = make_texts(items, seed=seed)
    oracle = SimulatedOracle([r["label"] for r in rows], ids=[r["id"] for r in rows])
    data = write_csv(folder / f"pool{seed}.csv", items, seed=seed)
    arms: dict[str, dict[str, Any]] = {}
    try:
        for arm in ("on", "off"):
            url = f"sqlite:///{folder / f'{arm}-{seed}.db'}"
            store = Store(url)
            token = store.add_user("scripted", "annotator")
            store.close()
            port = free_port()
            arms[arm] = {"url": url, "seconds": [], "answers": [], "server": start_server(
                data, url, port, LABELS, f"--{'' if arm == 'on' else 'no-'}guesses",
                "--retrain-every", str(RETRAIN_EVERY), "--seed", str(seed), timeout=300),
                "client": httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                       headers={"Authorization": f"Bearer {token}"})}
        for n in range(1, budget + 1):
            for arm in (("on", "off") if n % 2 else ("off", "on")):
                label_one(arms[arm], f"pool{seed}", oracle)
            if n % RETRAIN_EVERY == 0:
                for arm in arms.values():
                    wait_for_model(arm["client"], f"pool{seed}", n)
    finally:
        for arm in arms.values():
            arm["client"].close()
            stop_server(arm["server"])
    truth = {r["id"]: r["label"] for r in rows}
    return {"on": arms["on"], "off": arms["off"],
            "pool_accuracy": pool_accuracy(arms["on"]["url"], truth),
            "words": statistics.mean(len(r["text"].split()) for r in rows)}


def label_one(arm: dict[str, Any], project: str, oracle: SimulatedOracle) -> None:
    client = arm["client"]
    started = time.perf_counter()
    item = client.post(f"/api/projects/{project}/next").json()
    label = str(oracle.label([item["external_id"]]).labels[0])
    reply = client.post(f"/api/projects/{project}/annotations", json={
        "item_id": item["item_id"], "label": label, "lease_id": item["lease_id"]})
    arm["seconds"].append(time.perf_counter() - started)
    reply.raise_for_status()
    arm["answers"].append(reply.json())


def pool_accuracy(url: str, truth: dict[str, str]) -> dict[int, float]:
    """Each model version's guesses against the truth, over every item of the pool."""
    from sqlalchemy import select

    from activelab.store.schema import Guess, Item, ModelVersion

    store = Store(url)
    try:
        with store._session() as session:
            rows = session.execute(select(ModelVersion.number, Item.external_id, Guess.value)
                                   .join(Guess, Guess.model_version_id == ModelVersion.id)
                                   .join(Item, Item.id == Guess.item_id))
            hits: dict[int, list[bool]] = defaultdict(list)
            for number, external, value in rows:
                hits[number].append(truth[external] == value)
    finally:
        store.close()
    return {number: float(np.mean(h)) for number, h in hits.items()}


def wait_for_model(client: httpx.Client, project: str, n_labels: int) -> None:
    for _ in range(2400):
        stats = client.get(f"/api/projects/{project}/stats").json()
        training = stats["training"]
        if not training["running"] and not training["pending"] and (
                stats["model_trained_on"] >= n_labels or min(
                    stats["labels_per_class"].values()) == 0):
            return
        time.sleep(0.05)
    raise RuntimeError("the retrain did not finish in 120 s")


def store_overhead(calls: int, folder: Path) -> dict[bool, float]:
    """Mean seconds of ``next_item`` + ``annotate`` on the store itself (no HTTP), with and
    without the guess, in turns on one SQLite file of 3,000 items with a guess each."""
    from activelab.store import ImportedItem, ProjectSettings

    store = Store(f"sqlite:///{folder / 'overhead.db'}")
    store.create_project("p", [ImportedItem(f"d{i}", f"text {i}", i) for i in range(3000)],
                         ProjectSettings(labels=("a", "b"), exploration=0.0))
    ids = [i for i, _e, _c in store.items("p")]
    store.add_model_version("p", "model", 10, {}, [(i, 1.0) for i in ids],
                            guesses=[(i, "a", 0.7) for i in ids])
    user = store.user_by_token(store.add_user("u", "annotator"))
    times: dict[bool, list[float]] = {True: [], False: []}
    for n in range(2 * calls):
        started = time.perf_counter()
        item = store.next_item("p", user, show_guess=n % 2 == 0)
        store.annotate("p", user, item.item_id, "a", lease_id=item.lease_id)
        times[n % 2 == 0].append(time.perf_counter() - started)
    store.close()
    return {shown: statistics.mean(t) for shown, t in times.items()}


def keys_to_choose(k: int) -> float:
    """Mean key presses to choose one of ``k`` labels on the label page."""
    if k <= 9:
        return 1.0
    return statistics.mean(len(str(j)) + 1 for j in range(1, k + 1))


def person_seconds(words: float, k: int, accept: float | None, wpm: float,
                   hick: float) -> float:
    """The keystroke-level model's seconds per item (see the module docstring)."""
    read = 60.0 * words / wpm
    choose = hick * math.log2(k + 1) + KEY * keys_to_choose(k)
    if accept is None:
        return read + MENTAL + choose
    return read + MENTAL + hick * math.log2(2) + KEY + (1.0 - accept) * choose


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--wpm", type=float, default=250.0, help="reading speed, words/minute")
    parser.add_argument("--hick", type=float, default=0.15, help="Hick-Hyman s per bit")
    parser.add_argument("--store-only", action="store_true",
                        help="only the store's own cost of the guess (no server, no HTTP)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cost = store_overhead(300, Path(tmp))
    print(f"measured on the store (300 paired calls, no HTTP): next + annotate with the "
          f"guess {1000 * cost[True]:.1f} ms, without {1000 * cost[False]:.1f} ms", flush=True)
    if args.store_only:
        return 0
    by_version: dict[int, list[bool]] = defaultdict(list)
    on_pool: dict[int, list[float]] = defaultdict(list)
    server: dict[str, list[float]] = {"on": [], "off": []}
    words = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            result = run_seed(seed, args.items, args.budget, Path(tmp))
            for arm in ("on", "off"):
                server[arm] += result[arm]["seconds"]
            assert all(a["guess"] is None for a in result["off"]["answers"])
            for answer in result["on"]["answers"]:
                if answer["guess"] is not None:
                    by_version[answer["model_version"]].append(answer["guess_accepted"])
            for number, acc in result["pool_accuracy"].items():
                on_pool[number].append(acc)
            words.append(result["words"])
            print(f"seed {seed} done", flush=True)
    shown = [a for v in by_version.values() for a in v]
    accept = float(np.mean(shown))
    print(f"measured: {len(shown)} answers with a guess shown over {args.seeds} seeds x "
          f"{args.budget} labels; accept rate {accept:.3f}")
    print("  per model version, accept rate on the items asked (and the guesses' accuracy "
          "on the whole pool): " + ", ".join(
              f"v{v} {np.mean(a):.2f} ({np.mean(on_pool[v]):.2f})"
              for v, a in sorted(by_version.items())))
    for arm in ("on", "off"):
        s = np.array(server[arm])
        print(f"measured server time per label, guesses {arm}: mean {1000 * s.mean():.1f} ms, "
              f"p95 {1000 * np.percentile(s, 95):.1f} ms = {60 / s.mean():.0f} labels/min "
              "for the scripted annotator")
    k, mean_words = len(LABELS.split(",")), statistics.mean(words)
    srv_on, srv_off = float(np.mean(server["on"])), float(np.mean(server["off"]))
    print(f"modelled person (KLM; read {args.wpm:g} wpm, {mean_words:.1f} words/item, "
          f"M {MENTAL} s, K {KEY} s, Hick {args.hick} s/bit), measured accept rate and "
          "server time plugged in:")
    for labels in sorted({k, 12}):
        off = person_seconds(mean_words, labels, None, args.wpm, args.hick) + srv_off
        on = person_seconds(mean_words, labels, accept, args.wpm, args.hick) + srv_on
        note = "" if labels == k else " (the accept rate measured with 3 labels, assumed)"
        print(f"  {labels:2d} labels: off {off:.2f} s/item = {60 / off:.1f}/min; on "
              f"{on:.2f} s/item = {60 / on:.1f}/min; {100 * (off - on) / off:+.1f}% time"
              f"{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
