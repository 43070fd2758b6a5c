"""Store benchmark: import rate, one seller's tier latency, all sellers' tiers and the policy-2 fact builders, on SQLite and PostgreSQL.

Generates N sellers x M orders (bench/generate.py), imports the file into a fresh database on each
backend, then decides tiers with the default policy (store metrics + engine), and prints the
figures against the targets. The fact builders (refund_facts_for, claim_facts_for, tier_facts_for)
are timed one call per transaction, interleaved with their floor: a primary-key read of the same
row (for tiers: tier_facts, the counts alone), so the ratio says what the extra facts cost. PostgreSQL gets a throwaway database through --pg-url.

    python bench/store_bench.py --sellers 1000 --orders 1000
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path
from typing import Iterator

import psycopg
from psycopg import sql
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import generate, write  # noqa: E402
from policy import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from rules import compile_policy  # noqa: E402
from store import (  # noqa: E402
    StoreError, all_tier_facts, claim_facts_for, import_paths, open_store, refund_facts_for, tier_facts, tier_facts_for,
)
from store.models import OrderItem, Refund  # noqa: E402

TARGETS = {"tier_p50_ms": 20.0, "all_tiers_s": 10.0, "sqlite_import_rows_s": 20_000}
FACT_ROUNDS = 3  # each sampled subject is timed this many times, interleaved with its floor; min and median reported


def _timed(store, call) -> float:
    started = time.perf_counter()
    with store.read() as session:
        call(session)
    return (time.perf_counter() - started) * 1000


def time_facts(store, sellers: list[str], as_of: date, window: int, sample: int, orders_per_seller: int) -> dict:
    """p50/min of each fact builder and of its floor, interleaved per subject; {name: (builder, floor)} in ms."""
    rng = random.Random(11)
    now = datetime.combine(as_of, clock(23, 59), tzinfo=timezone.utc)
    later = now + timedelta(days=60)
    with store.read() as session:
        refunds = session.scalar(select(func.count(Refund.id)))
    items = [f"O{rng.choice(sellers)[1:]}-{rng.randrange(1, orders_per_seller + 1)}-1" for _ in range(sample)]
    refund_ids = [f"F{rng.randrange(1, refunds + 1)}" for _ in range(sample)] if refunds else []
    cases = {
        "refund_facts_for": ([(i, lambda s, i=i: refund_facts_for(s, order_item_id=i, reason="defective", condition="opened",
                                                                   as_of=now)) for i in items],
                             lambda s, i: s.execute(select(OrderItem.unit_price).where(OrderItem.id == i)).first()),
        "claim_facts_for": ([(r, lambda s, r=r: claim_facts_for(s, refund_id=r, reason="returned_damaged", evidence=["photo"],
                                                                 as_of=later)) for r in refund_ids],
                            lambda s, r: s.execute(select(Refund.amount).where(Refund.id == r)).first()),
        "tier_facts_for": ([(x, lambda s, x=x: tier_facts_for(s, seller_id=x, as_of=as_of, window_days=window))
                            for x in rng.sample(sellers, min(sample, len(sellers)))],
                           lambda s, x: tier_facts(s, seller_id=x, as_of=as_of, window_days=window)),
    }
    figures = {}
    for name, (calls, floor) in cases.items():
        built, base = [], []
        for _ in range(FACT_ROUNDS):
            for subject, call in calls:
                try:
                    built.append(_timed(store, call))
                except StoreError:  # an item not delivered (3% of orders): skip it
                    continue
                base.append(_timed(store, lambda s: floor(s, subject)))
        figures[name] = (percentile(built, 50), min(built), percentile(base, 50), min(base), len(built))
    return figures


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throwaway PostgreSQL database, dropped afterwards."""
    name = f"rb_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run_backend(name: str, url: str, data: str, rows: int, as_of: date, sample: int, compiled, orders_per_seller: int) -> dict:
    """Import, then time tiers; returns the figures."""
    store = open_store(url)
    try:
        started = time.perf_counter()
        with store.write() as session:
            report = import_paths(session, paths=[data])
        import_s = time.perf_counter() - started
        assert report.total == rows, (report.total, rows)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # What autovacuum (PostgreSQL) and PRAGMA optimize (SQLite) do in production after a bulk load.
            connection.execute(text("VACUUM ANALYZE" if name == "postgresql" else "ANALYZE"))
        window = compiled.policy.rewards.window_days
        with store.read() as session:
            sellers = list(all_tier_facts(session, as_of=as_of, window_days=window))
        chosen = random.Random(7).sample(sellers, min(sample, len(sellers)))
        latencies = []
        tiers: dict[str, int] = {}
        for seller_id in chosen:
            started = time.perf_counter()
            with store.read() as session:
                decision = compiled.decide_tier(tier_facts(session, seller_id=seller_id, as_of=as_of, window_days=window))
            latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with store.read() as session:
            for facts in all_tier_facts(session, as_of=as_of, window_days=window).values():
                decision = compiled.decide_tier(facts)
                tiers[decision.details["tier"]] = tiers.get(decision.details["tier"], 0) + 1
        all_s = time.perf_counter() - started
        facts = time_facts(store, sellers, as_of, window, sample, orders_per_seller)
    finally:
        store.close()
    return {"backend": name, "rows": rows, "import_s": import_s, "import_rows_s": rows / import_s,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99), "sampled": len(chosen),
            "all_s": all_s, "sellers": len(sellers), "tiers": tiers, "facts": facts}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=1000, help="orders per seller")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=200, help="sellers timed one at a time")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("REFUNDBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args(argv)
    end = date(2026, 11, 1)
    compiled = compile_policy(load_policy(DEFAULT_POLICY_PATH))
    results = []
    with tempfile.TemporaryDirectory(prefix="rb-bench-") as tmp:
        data = os.path.join(tmp, "bench.jsonl")
        started = time.perf_counter()
        with open(data, "w") as out:
            rows = write(generate(args.sellers, args.orders, args.seed, end), out)
        print(f"generated {args.sellers} sellers x {args.orders} orders: {rows:,} rows "
              f"({os.path.getsize(data) / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f} s", flush=True)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                results.append(run_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", data, rows, end, args.sample, compiled,
                                           args.orders))
            else:
                with postgres_database(args.pg_url) as url:
                    results.append(run_backend("postgresql", url, data, rows, end, args.sample, compiled, args.orders))
            r = results[-1]
            print(f"{r['backend']}: import {r['import_rows_s']:,.0f} rows/s ({r['import_s']:.1f} s); one seller's tier "
                  f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms ({r['sampled']} sellers); all {r['sellers']} sellers' "
                  f"tiers {r['all_s']:.2f} s; tiers {dict(sorted(r['tiers'].items()))}", flush=True)
    compiled.close()
    print()
    print("| backend | import rows/s | tier p50 ms | tier p99 ms | all sellers' tiers s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['backend']} | {r['import_rows_s']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['all_s']:.2f} |")
    print()
    print("| backend | fact builder | p50 ms | min ms | floor p50 ms | floor min ms | p50 ratio | calls |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    floors = {"refund_facts_for": "order item by id", "claim_facts_for": "refund by id", "tier_facts_for": "tier_facts"}
    for r in results:
        for builder, (p50, low, floor50, floor_low, calls) in r["facts"].items():
            print(f"| {r['backend']} | {builder} (floor: {floors[builder]}) | {p50:.2f} | {low:.2f} | {floor50:.2f} | "
                  f"{floor_low:.2f} | {p50 / floor50:.1f}x | {calls} |")
    print()
    for r in results:
        checks = [("tier p50", r["p50_ms"], TARGETS["tier_p50_ms"], "<="), ("all tiers", r["all_s"], TARGETS["all_tiers_s"], "<=")]
        if r["backend"] == "sqlite":
            checks.append(("import rows/s", r["import_rows_s"], TARGETS["sqlite_import_rows_s"], ">="))
        for label, value, target, op in checks:
            ok = value <= target if op == "<=" else value >= target
            print(f"{r['backend']} {label}: {value:,.1f} (target {op} {target:,}; {value / target:.2f}x) {'ok' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
