"""Where a SQLite returns-report import spends its time: the stages of amazon_import_bench.py's "returns after
the orders" run (one seller's reports from bench/amazon_reports.py), each timed in wall-clock and CPU seconds.

Imports the orders report once, then --repeat times copies that database and imports the returns report
into the copy, with the writer's methods wrapped in timers (store/amazon/writer.py, deferred.py): reading,
converting and staging the lines (the rest of the import), looking up stored rows, the SQL inserts (with
binding), building deferred indexes, and the commit. Min and median per stage. It measures, it changes
nothing: the bench's own figures come from amazon_import_bench.py.

    python bench/amazon_import_stages.py --orders 200000 --repeat 5
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.amazon_reports import generate  # noqa: E402
from store import open_store  # noqa: E402
from store.amazon import import_amazon_report  # noqa: E402
from store.amazon import writer  # noqa: E402

WALL: Counter = Counter()
CPU: Counter = Counter()
_depth = [0]


def _timed(owner, name: str, stage: str) -> None:
    """Wrap owner.name so its time counts for `stage` (outermost call only)."""
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        if _depth[0]:
            return original(*args, **kwargs)
        _depth[0] += 1
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            WALL[stage] += time.perf_counter() - wall
            CPU[stage] += time.thread_time() - cpu
            _depth[0] -= 1
    setattr(owner, name, timed)


def _instrument() -> None:
    _timed(writer.BatchWriter, "_stored", "lookups of stored rows")
    _timed(writer.BatchWriter, "_write", "inserts (binding and SQL)")
    _timed(writer.BatchWriter, "_stored_orders", "lookups of stored rows")  # (its statement no longer goes through _stored)
    # the stored order items and the A-to-z UPDATE: one method in older code, two since the parents are made at the flush
    for name in ("_skip_stored_parents", "_unstored", "_mark_claimed"):
        if hasattr(writer.BatchWriter, name):
            _timed(writer.BatchWriter, name, "lookups of stored rows")
    try:
        from store.amazon import deferred
    except ImportError:  # code without deferred indexes
        return
    _timed(deferred.DeferredIndexes, "before_writing", "deferred indexes: drop and build")
    _timed(deferred.DeferredIndexes, "restore", "deferred indexes: drop and build")


def main() -> None:
    """Run the breakdown and print each stage's wall and CPU milliseconds (min and median)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rb-stages-"))
    try:
        data = work / "reports"
        generate(data, sellers=1, orders=args.orders, seed=1, as_of=date(2026, 11, 30))
        orders_db = work / "orders.sqlite3"
        store = open_store(f"sqlite:///{orders_db}")
        with store.write() as session:
            import_amazon_report(session, path=str(data / "S1.orders.txt"), seller_id="S1")
        store.close()
        _instrument()
        runs: dict[str, list[tuple[float, float]]] = {}
        lines = 0
        for _ in range(args.repeat):
            db = work / "a.sqlite3"
            for f in work.glob("a.sqlite3*"):
                f.unlink()
            shutil.copy(orders_db, db)
            store = open_store(f"sqlite:///{db}")
            WALL.clear()
            CPU.clear()
            try:
                wall, cpu = time.perf_counter(), time.thread_time()
                with store.write() as session:
                    done = import_amazon_report(session, path=str(data / "S1.returns.txt"), seller_id="S1")
                    imported = (time.perf_counter() - wall, time.thread_time() - cpu)
                total = (time.perf_counter() - wall, time.thread_time() - cpu)
            finally:
                store.close()
            lines = done.counts.lines
            staged = [WALL[s] for s in WALL], [CPU[s] for s in CPU]
            stages = {s: (WALL[s], CPU[s]) for s in WALL}
            stages["read, convert and stage the lines (the rest)"] = (imported[0] - sum(staged[0]), imported[1] - sum(staged[1]))
            stages["commit"] = (total[0] - imported[0], total[1] - imported[1])
            stages["whole import"] = total
            for stage, times in stages.items():
                runs.setdefault(stage, []).append(times)
        print(f"returns report after the orders: {lines:,} lines, {args.repeat} runs; ms")
        print(f"{'stage':50s} {'wall min':>9s} {'median':>8s} {'CPU min':>8s} {'median':>8s}")
        for stage, times in runs.items():
            walls, cpus = [t[0] * 1000 for t in times], [t[1] * 1000 for t in times]
            print(f"{stage:50s} {min(walls):9.1f} {statistics.median(walls):8.1f} {min(cpus):8.1f} {statistics.median(cpus):8.1f}")
        best = min(t[0] for t in runs["whole import"])
        print(f"whole import: {lines / statistics.median(t[0] for t in runs['whole import']):,.0f} lines/s median, "
              f"{lines / best:,.0f} best; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
