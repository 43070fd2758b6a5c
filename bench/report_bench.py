"""Return-analytics benchmark: the marketplace report (and one seller's) over 1,000 sellers x 1,000
orders, on PostgreSQL (the target: the marketplace report <= 2 s) and SQLite.

Uses a database already holding bench/generate.py's data (1,000,000 orders; pass --url, as many as
you like), or builds a fresh one with --build URL (generate + import, several minutes). Each round
runs, per database, the marketplace report and a random seller's report (aggregates plus the replay of
logged refund decisions), and the peer: the marketplace's units aggregated from the order items (what
the monthly sales summary replaces); rounds interleave the databases; min and median are printed, and
the CPU time of this process (the report's Python; the rest is the database's).

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
from store.models import Order, OrderItem, Product, Seller  # noqa: E402
from store.returns_report import month_label, month_start  # noqa: E402
from store.timeutil import day_start  # noqa: E402

TARGET_S = 2.0
SINCE = date(2026, 8, 1)  # bench/generate.py's 120 days end on 2026-11-30


def _build(url: str) -> None:
    from bench.generate import generate, write
    store = open_store(url)  # first: a database that cannot be opened fails before minutes of generating
    path = Path("var/report-bench.jsonl")
    path.parent.mkdir(exist_ok=True)
    try:
        with open(path, "w") as out:
            write(generate(1000, 1000, 1, date(2026, 11, 30)), out)
        with store.write() as session:
            import_paths(session, paths=[str(path)])
    finally:
        store.close()


def _raw_units():
    """What the report computed before the monthly sales summary: units by month and category over every order item."""
    key = month_start(Order.placed_at).label("month")
    per_product = (select(key, OrderItem.product_id, func.sum(OrderItem.quantity).label("units")).select_from(OrderItem)
                   .join(Order, OrderItem.order_id == Order.id).where(Order.placed_at >= day_start(SINCE))
                   .group_by(key, OrderItem.product_id)).subquery()
    month = month_label(per_product.c.month)
    return (select(month, Product.category, func.sum(per_product.c.units))
            .join_from(per_product, Product, per_product.c.product_id == Product.id).group_by(month, Product.category))


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
                        started, cpu = time.perf_counter(), time.process_time()
                        report = build(session, compiled, seller_id=seller_id, since=SINCE)
                        times.setdefault((name, who + " report"), []).append(time.perf_counter() - started)
                        times.setdefault((name, who + " report, CPU time of this process"), []).append(time.process_time() - cpu)
                with store.read() as session:  # the peer: the units the summary holds, aggregated from the raw rows
                    started = time.perf_counter()
                    session.execute(_raw_units()).all()
                    times.setdefault((name, "peer: marketplace units from the order items"), []).append(time.perf_counter() - started)
        print(f"{'':78s} {'median s':>9s} {'min s':>8s}")
        for (name, who), values in times.items():
            print(f"{name + ' ' + who:78s} {statistics.median(values):9.3f} {min(values):8.3f}")
        for name in stores:
            if "postgresql" in args.url[list(stores).index(name)]:
                median = statistics.median(times[(name, "marketplace report")])
                peer = statistics.median(times[(name, "peer: marketplace units from the order items")])
                print(f"{name}: the whole marketplace report takes {median / peer:.2f}x the raw units aggregate alone")
                print(f"target PostgreSQL marketplace report <= {TARGET_S:.0f} s: {'met' if median <= TARGET_S else 'NOT met'} "
                      f"({median:.2f} s, {median / TARGET_S:.2f}x of the limit)")
    finally:
        for store in stores.values():
            store.close()
        compiled.close()


if __name__ == "__main__":
    main()
