"""Store benchmark: import rate, one seller's tier latency and all sellers' tiers, on SQLite and PostgreSQL.

Generates N sellers x M orders (bench/generate.py), imports the file into a fresh database on each
backend, then decides tiers with the default policy (store metrics + engine), and prints the
figures against the targets. PostgreSQL gets a throwaway database through --pg-url.

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
from datetime import date
from pathlib import Path
from typing import Iterator

import psycopg
from psycopg import sql
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import generate, write  # noqa: E402
from policy import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from rules import compile_policy  # noqa: E402
from store import all_tier_facts, import_paths, open_store, tier_facts  # noqa: E402

TARGETS = {"tier_p50_ms": 20.0, "all_tiers_s": 10.0, "sqlite_import_rows_s": 20_000}


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


def run_backend(name: str, url: str, data: str, rows: int, as_of: date, sample: int, compiled) -> dict:
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
    finally:
        store.close()
    return {"backend": name, "rows": rows, "import_s": import_s, "import_rows_s": rows / import_s,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99), "sampled": len(chosen),
            "all_s": all_s, "sellers": len(sellers), "tiers": tiers}


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
                results.append(run_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", data, rows, end, args.sample, compiled))
            else:
                with postgres_database(args.pg_url) as url:
                    results.append(run_backend("postgresql", url, data, rows, end, args.sample, compiled))
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
