"""Instructions per chat update, by kind, under valgrind's callgrind: a measure the machine's load cannot move.

Runs bench/update_bench.py's stories on the webhook path (`WorkerPool.store_and_handle`: store, take and handle
in one transaction), each update inside its own `functools.reduce` call; callgrind collects only inside those
calls and dumps its counts after each one, so each dump is one update (the waits for the disk and the server
are not instructions; the database's own work is: SQLite runs in the process, PostgreSQL's server does not):

    PYTHONHASHSEED=0 valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \\
        --dump-after=functools_reduce --callgrind-out-file=/tmp/cg/update.%p \\
        .venv/bin/python bench/update_instructions.py --kinds /tmp/cg/kinds.txt
    python bench/update_instructions.py --sum /tmp/cg/kinds.txt /tmp/cg/update.*    # median instructions per kind

Without valgrind it runs the same updates and prints the CPU time per kind.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.store_bench import postgres_database  # noqa: E402
from bench.update_bench import KINDS, Backend  # noqa: E402
from bot.policy_runtime import PolicyRuntime  # noqa: E402
from bot.receiver import chat_key, parse_update  # noqa: E402
from bot.wake import Fresh  # noqa: E402
from policy import DEFAULT_POLICY_PATH  # noqa: E402


def run(args) -> None:
    runtime = PolicyRuntime(str(DEFAULT_POLICY_PATH))
    kinds: list[str] = []
    cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    with ExitStack() as stack:
        if args.backend == "sqlite":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="rb-update-"))
            url, twin = f"sqlite:///{folder}/bench.sqlite3", f"sqlite:///{folder}/twin.sqlite3"
        else:
            url, twin = stack.enter_context(postgres_database(args.pg_url)), stack.enter_context(postgres_database(args.pg_url))
        backend = Backend(args.backend, url, runtime, args.warmup + args.stories, "webhook", twin)
        stack.callback(backend.close)

        def one(kind: str | None, user: int, **what) -> None:
            body = backend._body(user, **what)
            update = parse_update(body)[1]
            outcome: list[str] = []
            fresh = Fresh(update.update_id, chat_key(update), body, datetime.now(timezone.utc), outcome.append)
            handle = lambda _acc, _item: backend.pool.store_and_handle(fresh, "bench:worker")  # noqa: E731
            if kind is None:
                handle(None, None)
            else:
                started = time.process_time()
                functools.reduce(handle, [0], None)
                cpu[kind].append(time.process_time() - started)
                kinds.append(kind)
            assert outcome == ["handled"], outcome

        backend.one = one
        for n in range(args.warmup + args.stories):
            backend.story(n, timed=n >= args.warmup)
    runtime.stop()
    if args.kinds:
        Path(args.kinds).write_text(json.dumps(kinds))
    for kind in KINDS:
        print(f"{kind}: CPU p50 {statistics.median(cpu[kind]) * 1000:.3f} ms ({len(cpu[kind])} updates)")


def summed(kinds_file: str, dumps: list[str]) -> None:
    """Median instructions per kind from callgrind's dumps (one per update, in order)."""
    kinds = json.loads(Path(kinds_file).read_text())
    counts = []
    for path in sorted(dumps, key=lambda p: [int(n) for n in re.findall(r"\d+", p)]):
        text = Path(path).read_text(errors="replace")
        found = re.search(r"^totals:\s+(\d+)", text, re.M) or re.search(r"^summary:\s+(\d+)", text, re.M)
        if found and int(found[1]) > 0:
            counts.append(int(found[1]))
    if len(counts) != len(kinds):
        raise SystemExit(f"{len(counts)} dumps with counts for {len(kinds)} updates")
    by_kind = {k: [c for kk, c in zip(kinds, counts) if kk == k] for k in KINDS}
    print("| kind | instructions p50 | min |")
    print("| --- | ---: | ---: |")
    for kind in KINDS:
        print(f"| {kind} | {statistics.median(by_kind[kind]):,.0f} | {min(by_kind[kind]):,} |")
    print(f"| overall | {statistics.median(counts):,.0f} | {min(counts):,} |")


def main(argv: list[str] | None = None) -> int:
    """Run the updates (under callgrind, or timed by CPU), or sum callgrind's dumps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--kinds", metavar="FILE", help="write the kind of each collected update, in order")
    parser.add_argument("--sum", nargs="+", metavar=("KINDS", "DUMP"), help="sum callgrind's dumps per kind")
    args = parser.parse_args(argv)
    if args.sum:
        summed(args.sum[0], args.sum[1:])
    else:
        run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
