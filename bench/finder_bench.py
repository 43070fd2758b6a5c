"""Claim finder benchmark: one seller with about 10,000 refunds over two years, on SQLite and
PostgreSQL, under policy/amazon-2026.yaml; the target is p50 <= 50 ms.

Generates the seller's Amazon reports (bench/amazon_reports.py, --days 730), imports them, then runs
the finder (candidate query + a policy decision per candidate) --repeat times, interleaving the
backends, and prints p50/p99 beside its parts: the candidate query alone, and the finder asked to
decide every refund the seller has (no narrowing by SQL). It also checks the finder against the
generator's truth.

    python bench/finder_bench.py --refunds 10000 --repeat 30
"""
from __future__ import annotations

import argparse
import os
import json
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.amazon_reports import generate  # noqa: E402
from bench.store_bench import postgres_database  # noqa: E402
from policy import load_policy  # noqa: E402
from rules import compile_policy  # noqa: E402
from rules.finder import find_claims, lookback_days  # noqa: E402
from store import open_store  # noqa: E402
from store.amazon import import_amazon_report  # noqa: E402
from store.claim_candidates import claim_candidates  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0
AS_OF = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
WHY = {"refund_issuer": "seller_issued", "a_to_z_claim": "a_to_z", "filing_window": "outside_window"}


def _load(url: str, data: Path) -> None:
    store = open_store(url)
    try:
        for kind in ("orders", "returns"):
            with store.write() as session:
                import_amazon_report(session, path=str(data / f"S1.{kind}.txt"), seller_id="S1")
        with store.engine.connect() as connection:  # what autovacuum / PRAGMA optimize would do
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    finally:
        store.close()


def _check(findings, data: Path) -> int:
    truth = {t["refund_id"]: t for t in map(json.loads, open(data / "truth.jsonl"))}
    got = {c.refund_id: ("claimable", c.reason, c.deadline.isoformat(), str(c.reimbursement)) for c in findings.claimable}
    got |= {n.refund_id: (WHY.get(n.why, n.why),) for n in findings.not_claimable}
    expected = {k: (t["status"], t["reason"], t["deadline"], t["reimbursement"]) if t["status"] == "claimable" else (t["status"],)
                for k, t in truth.items()}
    return sum(1 for k in set(got) | set(expected) if got.get(k) != expected.get(k))


def main() -> None:
    """Run the benchmark and print the figures against the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refunds", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rb-finder-"))
    compiled = compile_policy(load_policy(str(ROOT / "policy" / "amazon-2026.yaml")))
    try:
        data = work / "reports"
        orders = int(args.refunds / 0.095)  # a tenth of the lines returned, 95% of returns refunded
        counts = generate(data, sellers=1, orders=orders, seed=1, as_of=AS_OF.date(), days=730)
        print(f"one seller: {counts['order_lines']:,} order lines over 730 days, {counts['refunds']:,} refunds; "
              f"policy {compiled.version}, lookback {lookback_days(compiled)} days")
        with ExitStack() as stack:
            urls = {"SQLite": f"sqlite:///{work}/f.sqlite3"}
            if not args.no_postgres:
                urls["PostgreSQL"] = stack.enter_context(postgres_database(PG_ADMIN))
            stores = {}
            for name, url in urls.items():
                _load(url, data)
                stores[name] = stack.enter_context(_opened(url))
            times: dict[tuple[str, str], list[float]] = {}
            findings = {}
            for _ in range(args.repeat):
                for name, store in stores.items():
                    with store.read() as session:
                        started, cpu = time.perf_counter(), time.process_time()
                        candidates = claim_candidates(session, seller_id="S1", as_of=AS_OF, lookback_days=lookback_days(compiled))
                        queried = time.perf_counter()
                        findings[name] = find_claims(compiled, candidates, seller_id="S1", as_of=AS_OF.date())
                        done = time.perf_counter()
                    times.setdefault((name, "finder"), []).append((done - started) * 1000)
                    # SQLite runs in this process: its CPU time is the finder's cost on an idle core.
                    times.setdefault((name, "finder, CPU time of this process"), []).append((time.process_time() - cpu) * 1000)
                    times.setdefault((name, "candidate query"), []).append((queried - started) * 1000)
            for name, store in stores.items():  # the peer: no narrowing, every refund decided
                with store.read() as session:
                    started = time.perf_counter()
                    every = claim_candidates(session, seller_id="S1", as_of=AS_OF, lookback_days=100_000)
                    find_claims(compiled, every, seller_id="S1", as_of=AS_OF.date())
                    times[(name, f"every refund decided ({len(every):,})")] = [(time.perf_counter() - started) * 1000]
        print(f"{'':52s} {'p50 ms':>8s} {'p99 ms':>8s} {'min ms':>8s}")
        for (name, what), values in times.items():
            ordered = sorted(values)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            print(f"{name + ' ' + what:52s} {statistics.median(values):8.1f} {p99:8.1f} {min(values):8.1f}")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for name, found in findings.items():
            print(f"{name}: {len(found.claimable)} claimable (owed {found.total}), {len(found.not_claimable)} not claimable; "
                  f"differences from the generator's truth: {_check(found, data)}")
            p50 = statistics.median(times[(name, "finder")])
            print(f"target {name}: finder p50 <= {TARGET_MS:.0f} ms: {'met' if p50 <= TARGET_MS else 'NOT met'} "
                  f"({p50:.1f} ms, {p50 / TARGET_MS:.2f}x of the limit)")
    finally:
        compiled.close()
        shutil.rmtree(work, ignore_errors=True)


class _opened:
    def __init__(self, url: str):
        self.store = open_store(url)

    def __enter__(self):
        return self.store

    def __exit__(self, *exc):
        self.store.close()


if __name__ == "__main__":
    main()
