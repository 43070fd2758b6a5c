"""Return-analytics benchmark: the marketplace report (and one seller's) over 1,000 sellers x 1,000
orders, on PostgreSQL (the target: the marketplace report <= 2 s) and SQLite.

Uses a database already holding bench/generate.py's data (1,000,000 orders; pass --url, as many as
you like), or builds a fresh one with --build URL (generate + import, several minutes). Each round
runs, per database, the marketplace report and a random seller's report (aggregates plus the replay of
logged refund decisions); rounds interleave the databases; min and median are printed.

    python bench/report_bench.py --url postgresql://postgres@127.0.0.1:5432/rb_bench --url sqlite:///var/bench.sqlite3
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.returns_report import build  # noqa: E402
from policy import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from rules import compile_policy  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from store import import_paths, open_store  # noqa: E402
from store.models import Order, Seller  # noqa: E402

TARGET_S = 2.0
SINCE = date(2026, 8, 1)  # bench/generate.py's 120 days end on 2026-11-30


def _build(url: str) -> None:
    from bench.generate import generate, write
    path = Path("var/report-bench.jsonl")
    path.parent.mkdir(exist_ok=True)
    with open(path, "w") as out:
        write(generate(1000, 1000, 1, date(2026, 11, 30)), out)
    store = open_store(url)
    try:
        with store.write() as session:
            import_paths(session, paths=[str(path)])
    finally:
        store.close()


def main() -> None:
    """Time the reports and print them against the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", default=[], help="a database holding the benchmark data")
    parser.add_argument("--build", metavar="URL", help="generate and import the data into URL first")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.build:
        _build(args.build)
        args.url.append(args.build)
    compiled = compile_policy(load_policy(DEFAULT_POLICY_PATH))
    stores = {url.split("@")[-1]: open_store(url) for url in args.url}
    rng = random.Random(1)
    times: dict[tuple[str, str], list[float]] = {}
    try:
        for name, store in stores.items():
            with store.read() as session:
                orders = session.scalar(select(func.count()).select_from(Order))
                sellers = session.scalars(select(Seller.id).order_by(Seller.id)).all()
            print(f"{name}: {orders:,} orders, {len(sellers):,} sellers")
        for _ in range(args.repeat):
            seller = rng.choice(sellers)
            for name, store in stores.items():
                for who, seller_id in (("marketplace", None), ("one seller", seller)):
                    with store.read() as session:
                        started = time.perf_counter()
                        report = build(session, compiled, seller_id=seller_id, since=SINCE)
                        times.setdefault((name, who), []).append(time.perf_counter() - started)
        print(f"{'':58s} {'median s':>9s} {'min s':>8s}")
        for (name, who), values in times.items():
            print(f"{name + ' ' + who + ' report':58s} {statistics.median(values):9.3f} {min(values):8.3f}")
        for name in stores:
            if "postgresql" in args.url[list(stores).index(name)]:
                median = statistics.median(times[(name, "marketplace")])
                print(f"target PostgreSQL marketplace report <= {TARGET_S:.0f} s: {'met' if median <= TARGET_S else 'NOT met'} "
                      f"({median:.2f} s, {median / TARGET_S:.2f}x of the limit)")
    finally:
        for store in stores.values():
            store.close()
        compiled.close()


if __name__ == "__main__":
    main()
