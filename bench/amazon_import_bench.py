"""Amazon report import benchmark: returns-report lines/s on SQLite (the target: >= 50,000) and on
PostgreSQL, for one large seller's reports, with the floor measured in the same run.

Generates one seller's all-orders report of --orders orders and its returns report (about a tenth as
many lines; bench/amazon_reports.py), then on each backend imports, each in its own transaction:
the returns report into an empty database, the orders report, and the returns report again into a
fresh database that holds the orders (the usual order: orders first). The floor is reading and
splitting the same file without parsing or writing; the write floor is SQLite alone inserting the rows
that import wrote (already bound, one bare executemany per table, one commit) into the database as it
was before it. Repeats are interleaved; min and median printed.

    python bench/amazon_import_bench.py --orders 500000 --repeat 3
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.amazon_reports import generate  # noqa: E402
from bench.store_bench import postgres_database  # noqa: E402
from store import open_store  # noqa: E402
from store.amazon import import_amazon_report  # noqa: E402

TARGET_LINES_S = 50_000
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


CPU = {}  # SQLite runs in this process: its CPU seconds are what the import costs on an otherwise idle core


def _import(url: str, path: Path) -> tuple[float, int]:
    store = open_store(url)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        with store.write() as session:
            done = import_amazon_report(session, path=str(path), seller_id="S1")
        CPU[(url.split(":")[0], path.name)] = time.process_time() - cpu
        return time.perf_counter() - started, done.counts.lines
    finally:
        store.close()


def _floor(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    n = 0
    with open(path, "rb") as handle:
        for raw in handle:
            raw.decode().rstrip("\r\n").split("\t")
            n += 1
    return time.perf_counter() - started, n - 1


WRITTEN = ("return_requests", "refunds", "claims")  # what a returns report adds to a database holding its orders


def _write_floor(orders_only: Path, imported: Path, lines: int) -> tuple[float, int]:
    """SQLite alone: the rows the returns import wrote, already bound, inserted into the database as it was
    before the import by one bare executemany per table, with the store's settings and one commit."""
    with sqlite3.connect(imported) as source:
        rows = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in WRITTEN}
    target = sqlite3.connect(orders_only, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "cache_size=-262144"):
            target.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        target.execute("BEGIN IMMEDIATE")
        for table in WRITTEN:
            if rows[table]:
                target.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[table][0]))})", rows[table])
        target.execute("COMMIT")
        return time.perf_counter() - started, lines
    finally:
        target.close()


def _sqlite_runs(work: Path, data: Path) -> dict[str, tuple[float, int]]:
    db = work / "a.sqlite3"
    for f in work.glob("a.sqlite3*"):
        f.unlink()
    fresh = _import(f"sqlite:///{db}", data / "S1.returns.txt")
    fresh_cpu = CPU[("sqlite", "S1.returns.txt")]
    for f in work.glob("a.sqlite3*"):
        f.unlink()
    orders = _import(f"sqlite:///{db}", data / "S1.orders.txt")
    shutil.copy(db, work / "orders-only.sqlite3")  # closed, so checkpointed: the file is the whole database
    after = _import(f"sqlite:///{db}", data / "S1.returns.txt")
    floor = _write_floor(work / "orders-only.sqlite3", db, after[1])
    for f in work.glob("orders-only.sqlite3*"):
        f.unlink()
    return {"returns into an empty database": fresh, "orders report": orders, "returns after the orders": after,
            "returns into an empty database, per CPU second": (fresh_cpu, fresh[1]),
            "returns after the orders, per CPU second": (CPU[("sqlite", "S1.returns.txt")], after[1]),
            "write floor: the same rows, bare executemany": floor}


def _pg_runs(data: Path) -> dict[str, tuple[float, int]]:
    with postgres_database(PG_ADMIN) as url:
        fresh = _import(url, data / "S1.returns.txt")
    with postgres_database(PG_ADMIN) as url:
        orders = _import(url, data / "S1.orders.txt")
        after = _import(url, data / "S1.returns.txt")
    return {"returns into an empty database": fresh, "orders report": orders, "returns after the orders": after}


def main() -> None:
    """Run the benchmark and print lines/s (min and median over the repeats) against the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rb-amazon-"))
    try:
        data = work / "reports"
        counts = generate(data, sellers=1, orders=args.orders, seed=1, as_of=date(2026, 11, 30))
        size = (data / "S1.returns.txt").stat().st_size
        print(f"one seller: {counts['order_lines']:,} order lines, {counts['return_lines']:,} return lines "
              f"({size / 2**20:.1f} MiB), {counts['refunds']:,} refunds")
        results: dict[str, list[float]] = {}
        for _ in range(args.repeat):  # interleaved: floor, SQLite, PostgreSQL in each round
            seconds, lines = _floor(data / "S1.returns.txt")
            results.setdefault("floor: read and split the returns file", []).append(lines / seconds)
            for name, (seconds, lines) in _sqlite_runs(work, data).items():
                results.setdefault(f"SQLite {name}", []).append(lines / seconds)
            if not args.no_postgres:
                for name, (seconds, lines) in _pg_runs(data).items():
                    results.setdefault(f"PostgreSQL {name}", []).append(lines / seconds)
        floor = statistics.median(results["floor: read and split the returns file"])
        print(f"{'':45s} {'lines/s min':>12s} {'median':>10s} {'/ floor':>8s}")
        for name, rates in results.items():
            median = statistics.median(rates)
            print(f"{name:45s} {min(rates):12,.0f} {median:10,.0f} {median / floor:8.3f}")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        best = statistics.median(results["SQLite returns after the orders"])
        print(f"target: SQLite returns-report import >= {TARGET_LINES_S:,} lines/s: "
              f"{'met' if best >= TARGET_LINES_S else 'NOT met'} ({best:,.0f}, {best / TARGET_LINES_S:.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
