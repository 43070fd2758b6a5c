"""Worker benchmark: updates/s and update latency (webhook POST in -> the reply out: the 2xx when it carries the
sendMessage, which the client then executes as Telegram does, else the bot's sendMessage) through real
`refundbot run` processes (webhook mode, sharing one port), with 1, 2 and 4 processes, on SQLite and
PostgreSQL, against a fake Bot API on loopback.

Each of `--chats` sellers talks in a closed loop: send an update (alternately /tier, a decision with
SQL aggregates, and /help), wait for the reply, send the next; two untimed exchanges a chat warm up. Configurations are interleaved over
`--repeats` rounds; the table shows the median updates/s (and the min) and the median p50/p99.

    python bench/workers_bench.py --updates 300 --chats 16 --repeats 2
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cpu import Parties, bench_parties, ceiling, describe, usage  # noqa: E402
from bench.store_bench import percentile, postgres_database  # noqa: E402
from policy import DEFAULT_POLICY_PATH  # noqa: E402
from store import import_records, link_identity, open_store  # noqa: E402
from tests.bot.conftest import marketplace_records  # noqa: E402
from tests.bot.fake_bot_api import FakeBotApi  # noqa: E402

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
SECRET = "bench-secret-0123456789abcdef"
FIRST_CHAT = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, chats: int) -> None:
    """The marketplace and one linked seller per chat."""
    store = open_store(url)
    try:
        now = datetime.now(timezone.utc)
        with store.write() as session:
            import_records(session, records=marketplace_records(now), source="bench")
            for i in range(chats):
                link_identity(session, telegram_user_id=FIRST_CHAT + i, role="seller", account_id=("S1", "S2")[i % 2], linked_at=now)
    finally:
        store.close()


def node_config(url: str, api_url: str, port: int, threads: int) -> str:
    """The configuration of a `refundbot run` webhook node for the benchmarks: the fake Bot API, no send or chat limits."""
    return (f"mode: production\npolicy: {DEFAULT_POLICY_PATH}\ndatabase:\n  url: {url}\n"
            f"telegram:\n  token: '{TOKEN}'\n  base_url: {api_url}\n  mode: webhook\n"
            f"  webhook:\n    listen: 127.0.0.1\n    port: {port}\n    url: https://bot.example/telegram\n    secret_token: {SECRET}\n"
            f"workers:\n  threads: {threads}\n  send_per_second: 100000\nlimits:\n  messages_per_minute: 10000\n")


def start_fleet(config: Path, processes: int, logs: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(processes):
        log = open(logs / f"node{i}.log", "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "run"], stdout=log, stderr=log,
                                      env={**os.environ, "PYTHONUNBUFFERED": "1"}))
    deadline = time.monotonic() + 60
    while sum("webhook server listening" in (logs / f"node{i}.log").read_text() for i in range(processes)) < processes:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise RuntimeError("the bot processes did not start: " + (logs / "node0.log").read_text()[-2000:])
        time.sleep(0.1)
    return procs


def stop_fleet(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


COMMANDS = ["/tier", "/help"]  # taken in turn by each chat (--commands)


async def chat_loop(telegram, chat: int, count: int, first_id: int, latencies: list[float], acks: list[float]) -> None:
    for n in range(count):
        acknowledged, replied = await telegram.exchange(chat, COMMANDS[n % len(COMMANDS)], first_id + n)
        acks.append(acknowledged)
        latencies.append(replied)


async def drive(port: int, api: FakeBotApi, chats: int, updates: int, parties: Callable[[], Parties] | None = None
                ) -> tuple[float, list[float], list[float], dict[str, float] | None]:
    """Run the exchanges; the rate, the latencies, the acknowledgements and (with `parties`, which builds the
    counters once the warm-up opened every connection) each party's CPU seconds during the timed phase."""
    from bench.telegram_client import Telegram, watch_api

    latencies: list[float] = []
    acks: list[float] = []
    each = max(1, updates // chats)
    watch_api(api, asyncio.get_running_loop())
    telegram = Telegram(port, api, connections=chats, secret=SECRET, token=TOKEN)
    try:
        # Warm-up, not timed: each chat's first exchange opens connections and fills the caches.
        await asyncio.gather(*(chat_loop(telegram, FIRST_CHAT + i, 2, (i + 1) * 1_000_000 + 900_000, [], [])
                               for i in range(chats)))
        # And the warm-up's charts sent: they are drawn by the outbox sender after the reply, not before it.
        charts = chats * sum(command == "/tier" for command in COMMANDS[:2])
        deadline = time.perf_counter() + 120
        while sum(method == "sendPhoto" for method, _chat, _bytes in api.files) < charts and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        counters = parties() if parties is not None else None
        before = counters.sample() if counters is not None else None
        started = time.perf_counter()
        await asyncio.gather(*(chat_loop(telegram, FIRST_CHAT + i, each, (i + 1) * 1_000_000, latencies, acks)
                               for i in range(chats)))
        elapsed = time.perf_counter() - started
        spent = usage(before, counters.sample()) if counters is not None else None
    finally:
        await telegram.close()
    return len(latencies) / elapsed, latencies, acks, spent


def counters_for(procs: list[subprocess.Popen], url: str, admin_url: str | None) -> Callable[[], Parties]:
    """The CPU counters of a run: the bot processes, the client, the fake Bot API and (PostgreSQL) the database's backends."""
    return bench_parties("nodes", [p.pid for p in procs], database_url=url, admin_url=admin_url)


def one_run(backend: str, url_of, processes: int, args) -> dict:
    with url_of() as url, FakeBotApi() as api, tempfile.TemporaryDirectory() as tmp:
        prepare(url, args.chats)
        port = free_port()
        config = Path(tmp) / "config.yaml"
        config.write_text(node_config(url, api.base_url, port, args.threads))
        procs = start_fleet(config, processes, Path(tmp))
        try:
            parties = counters_for(procs, url, args.pg_url if backend == "postgresql" else None)
            rate, latencies, acks, spent = asyncio.run(drive(port, api, args.chats, args.updates, parties))
        finally:
            stop_fleet(procs)
            logs = [log.read_text() for log in Path(tmp).glob("node*.log")]
            if args.logs:
                for log in Path(tmp).glob("node*.log"):
                    (Path(args.logs) / f"{backend}-{processes}-{log.name}").write_text(log.read_text())
    lines = [line for text in logs for line in text.splitlines()]
    return {"rate": rate, "p50": percentile(latencies, 50) * 1000, "p99": percentile(latencies, 99) * 1000,
            "ack_p50": percentile(acks, 50) * 1000, "ack_p99": percentile(acks, 99) * 1000,
            "errors": sum(" ERROR " in line for line in lines),
            "fallbacks": sum("not handled within" in line for line in lines),  # replies through the sender, not the 200
            "stale": sum("stale state" in line for line in lines),  # handlings run again: the conversation changed meanwhile
            "cpu": spent, "updates": len(latencies)}


class SqliteUrl:
    def __enter__(self):
        self._dir = tempfile.TemporaryDirectory()
        return f"sqlite:///{self._dir.name}/bench.sqlite3"

    def __exit__(self, *exc):
        self._dir.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=300, help="updates per run")
    parser.add_argument("--chats", type=int, default=16, help="concurrent chats")
    parser.add_argument("--threads", type=int, default=4, help="worker threads per process")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--logs", metavar="DIR", help="keep the bot processes' logs here")
    parser.add_argument("--commands", default="/tier,/help", help="what each chat sends, in turn (e.g. /help alone)")
    parser.add_argument("--pg-url", default=os.environ.get("REFUNDBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    COMMANDS[:] = args.commands.split(",")
    backends = {"sqlite": SqliteUrl, "postgresql": lambda: postgres_database(args.pg_url)}
    configs = [(b, int(n)) for b in args.backends.split(",") for n in args.processes.split(",")]
    results: dict[tuple[str, int], list[dict]] = {c: [] for c in configs}
    for round_ in range(args.repeats):
        for backend, processes in configs:  # interleaved: each round runs every configuration once
            figures = one_run(backend, backends[backend], processes, args)
            results[(backend, processes)].append(figures)
            print(f"  round {round_ + 1}: {backend:10} {processes} process(es): {figures['rate']:6.1f} updates/s, "
                  f"p50 {figures['p50']:6.1f} ms, p99 {figures['p99']:7.1f} ms (the 200 alone: p50 {figures['ack_p50']:.1f} ms, "
                  f"p99 {figures['ack_p99']:.1f} ms); {figures['errors']} errors logged, {figures['stale']} stale-state retries, "
                  f"{figures['fallbacks']} replies not in the 200", flush=True)
            print(f"           {describe(figures['cpu'], figures['updates'])}", flush=True)
    print(f"\n{args.updates} updates ({args.commands} in turn) from {args.chats} chats in a closed loop, {args.threads} worker threads a process, "
          f"median of {args.repeats} (min)")
    print(f"{'backend':10} {'processes':>9} {'updates/s':>16} {'p50 ms':>8} {'p99 ms':>8} {'vs 1 process':>13}")
    for backend, processes in configs:
        runs = results[(backend, processes)]
        rate = statistics.median(r["rate"] for r in runs)
        one = statistics.median(r["rate"] for r in results[(backend, 1)]) if (backend, 1) in results else rate
        print(f"{backend:10} {processes:9} {rate:9.1f} ({min(r['rate'] for r in runs):5.1f}) "
              f"{statistics.median(r['p50'] for r in runs):8.1f} {statistics.median(r['p99'] for r in runs):8.1f} "
              f"{rate / one:12.2f}x")
    print("\nCPU per update during the timed phase, median of the rounds (ms of CPU; % of the machine's CPU time):")
    for backend, processes in configs:
        runs = results[(backend, processes)]
        names = [name for name in runs[0]["cpu"] if name != "cpus"]
        shares = {name: statistics.median(r["cpu"][name] / r["cpu"]["cpus"] for r in runs) for name in names}
        per_update = {name: statistics.median(r["cpu"][name] * 1000 / r["updates"] for r in runs) for name in names}
        print(f"{backend:10} {processes:9}  " + ", ".join(f"{name} {per_update[name]:.2f} ({100 * shares[name]:.0f}%)" for name in names)
              + f"; idle {100 * (1 - shares['machine busy']):.0f}%")
    print_ceilings(results, configs)
    return 0


def print_ceilings(results: dict[tuple[str, int], list[dict]], configs: list[tuple[str, int]]) -> None:
    """How many updates/s the machine's CPUs can carry at all at each run's CPU per update, against one process's rate.

    Every party (the bot's processes, PostgreSQL, the client and the fake Bot API) runs on these CPUs, so no number of
    processes gets past that ceiling: it bounds the "N processes / 1" ratio whatever the bot does."""
    print(f"\nCeiling of this machine ({os.cpu_count()} CPUs) at each run's CPU per update, median of the rounds, as a ratio to "
          "one process's updates/s (all parties; in brackets, if the client and the fake Bot API cost nothing):")
    for backend, processes in configs:
        if (backend, 1) not in results or processes == 1:
            continue
        runs = results[(backend, processes)]
        one = statistics.median(r["rate"] for r in results[(backend, 1)])
        bound = statistics.median(ceiling(r["cpu"], r["updates"]) for r in runs)
        lean = statistics.median(ceiling(r["cpu"], r["updates"], without=("client", "fake API")) for r in runs)
        print(f"{backend:10} {processes:9}  at most {bound:6.1f} updates/s = {bound / one:.2f}x one process "
              f"({lean:.1f} updates/s = {lean / one:.2f}x)")


if __name__ == "__main__":
    sys.exit(main())
