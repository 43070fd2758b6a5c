"""Webhook benchmark: refundbot's webhook server (`refundbot run`, one process, the real handling of /help from
a linked seller) against a python-telegram-bot Application with a fixed-reply handler served by PTB's own
webhook server (`Application.run_webhook`), on the same machine, both replying to a fake Bot API on loopback.

The client plays Telegram (bench/telegram_client.py): it posts each update (with the secret token) and, when
the 2xx carries a Bot API method, executes it against the fake Bot API, as Telegram does. End-to-end latency
is from the update's POST to the reply leaving the bot: the 2xx when that carries the sendMessage (Telegram
sends the message from there), else the sendMessage's arrival at the fake Bot API.

- Saturation: `--chats` chats in a closed loop (post, wait for the reply, post the next): updates/s.
- Moderate load: an open loop at `--rate` updates/s spread over as many chats: p50/p99 end to end.

Runs are interleaved over `--repeats` rounds (ours, PTB's, ours, ...); the table shows the median and the min,
and the ratios against PTB's figures of the same rounds. Targets (issue 13): updates/s >= 0.5x the echo app's,
p50 <= 2x the echo app's.

    python bench/webhook_bench.py --repeats 3
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cpu import bench_parties, describe, usage  # noqa: E402
from bench.store_bench import percentile, postgres_database  # noqa: E402
from bench.telegram_client import Telegram, watch_api  # noqa: E402
from bench.workers_bench import SECRET, TOKEN, SqliteUrl, free_port, node_config, prepare, start_fleet, stop_fleet  # noqa: E402
from tests.bot.fake_bot_api import FakeBotApi  # noqa: E402

FIRST_CHAT = 10_000
ECHO = "Thanks, got it."


def echo_app(port: int, base_url: str) -> None:
    """PTB's side: an Application whose one handler replies with a fixed text, behind PTB's webhook server."""
    from telegram import Update
    from telegram.ext import Application, MessageHandler, filters

    async def reply(update: Update, _context) -> None:
        await update.effective_message.reply_text(ECHO)

    app = Application.builder().token(TOKEN).base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot")).build()
    app.add_handler(MessageHandler(filters.ALL, reply))
    print("webhook server listening", flush=True)
    app.run_webhook(listen="127.0.0.1", port=port, url_path="telegram", secret_token=SECRET,
                    webhook_url="https://bot.example/telegram", allowed_updates=["message", "callback_query"])


def start_echo(port: int, api: FakeBotApi, logs: Path) -> subprocess.Popen:
    log = open(logs / "echo.log", "w")
    proc = subprocess.Popen([sys.executable, __file__, "--echo-app", str(port), api.base_url], stdout=log, stderr=log,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while True:  # listening once it answers (PTB logs nothing of its own by default)
        try:
            httpx.post(f"http://127.0.0.1:{port}/telegram", content=b"{}", timeout=1)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the echo app did not start: " + (logs / "echo.log").read_text()[-2000:])
            time.sleep(0.1)


async def saturate(telegram: Telegram, chats: int, seconds: float, text: str, parties=None) -> tuple[float, dict | None, int]:
    """Updates/s of `chats` closed loops; with `parties` (bench.cpu), each party's CPU seconds and the updates counted."""
    done = 0
    stop_at = time.perf_counter() + seconds

    async def loop(chat: int) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await telegram.exchange(chat, text)
            done += 1

    for i in range(chats):  # warm-up, not timed
        await telegram.exchange(FIRST_CHAT + i, text)
    counters = parties() if parties is not None else None
    before = counters.sample() if counters is not None else None
    started = time.perf_counter()
    await asyncio.gather(*(loop(FIRST_CHAT + i) for i in range(chats)))
    rate = done / (time.perf_counter() - started)
    return rate, usage(before, counters.sample()) if counters is not None else None, done


async def moderate(telegram: Telegram, chats: int, rate: float, seconds: float, text: str) -> list[float]:
    latencies: list[float] = []
    busy: set[int] = set()
    tasks = []

    async def one(chat: int) -> None:
        latencies.append((await telegram.exchange(chat, text))[1])
        busy.discard(chat)

    cycle = itertools.cycle(range(FIRST_CHAT, FIRST_CHAT + chats))
    started = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        for _ in range(chats):  # a chat with no update in flight, if there is one
            chat = next(cycle)
            if chat not in busy:
                break
        busy.add(chat)
        tasks.append(asyncio.create_task(one(chat)))
    await asyncio.gather(*tasks)
    return latencies


async def measure(port: int, api: FakeBotApi, args, text: str, parties=None) -> dict:
    watch_api(api, asyncio.get_running_loop())
    telegram = Telegram(port, api, connections=args.chats, secret=SECRET, token=TOKEN)
    try:
        rate, spent, done = await saturate(telegram, args.chats, args.seconds, text, parties)
        latencies = await moderate(telegram, args.chats, args.rate, args.seconds, text)
    finally:
        await telegram.close()
    return {"rate": rate, "p50": percentile(latencies, 50) * 1000, "p99": percentile(latencies, 99) * 1000,
            "cpu": spent, "updates": done}


def counters_for(server: subprocess.Popen, name: str, database_url: str | None = None, admin_url: str | None = None):
    """The CPU counters of a saturation phase (bench.cpu): the server process, the client, the fake Bot API and, for
    refundbot on PostgreSQL, the backends of its database."""
    return bench_parties(name, [server.pid], database_url=database_url, admin_url=admin_url)


def ours(args) -> dict:
    url_of = SqliteUrl if args.backend == "sqlite" else (lambda: postgres_database(args.pg_url))
    with url_of() as url, FakeBotApi() as api, tempfile.TemporaryDirectory() as tmp:
        prepare(url, args.chats)
        port = free_port()
        config = Path(tmp) / "config.yaml"
        config.write_text(node_config(url, api.base_url, port, args.threads))
        procs = start_fleet(config, 1, Path(tmp))
        spy = None
        if args.profile:  # py-spy's collapsed stacks of the node, for where its time goes
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(procs[0].pid), "--format", "raw", "--rate", "250", *(["--gil"] if args.profile_gil else []),
                                    "--output", args.profile, "--duration", str(int(args.seconds * 2 + 4))],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            parties = counters_for(procs[0], "refundbot", url if args.backend == "postgresql" else None, args.pg_url)
            return asyncio.run(measure(port, api, args, "/help", parties))
        finally:
            if spy is not None:
                spy.wait()
            stop_fleet(procs)
            if args.logs:
                (Path(args.logs) / "refundbot.log").write_text((Path(tmp) / "node0.log").read_text())


def theirs(args) -> dict:
    with FakeBotApi() as api, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_echo(port, api, Path(tmp))
        try:
            return asyncio.run(measure(port, api, args, "hello", counters_for(proc, "ptb-echo")))
        finally:
            stop_fleet([proc])


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--echo-app":
        echo_app(int(sys.argv[2]), sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=32, help="concurrent chats (Telegram's default max_connections is 40)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=20.0, help="updates/s of the moderate load")
    parser.add_argument("--threads", type=int, default=4, help="refundbot's worker threads")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--logs", metavar="DIR", help="keep refundbot's log here")
    parser.add_argument("--only", choices=["refundbot", "ptb-echo"], help="run one side only (profiling)")
    parser.add_argument("--profile", metavar="FILE", help="record refundbot's stacks with py-spy (collapsed) into FILE")
    parser.add_argument("--profile-gil", action="store_true", help="with --profile: only the samples that hold the GIL")
    parser.add_argument("--pg-url", default=os.environ.get("REFUNDBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    results: dict[str, list[dict]] = {"refundbot": [], "ptb-echo": []}
    for round_ in range(args.repeats):
        for name, run in (("refundbot", ours), ("ptb-echo", theirs)):  # interleaved
            if args.only and name != args.only:
                continue
            figures = run(args)
            results[name].append(figures)
            print(f"  round {round_ + 1}: {name:9} {figures['rate']:7.1f} updates/s at saturation, "
                  f"p50 {figures['p50']:6.1f} ms, p99 {figures['p99']:7.1f} ms at {args.rate:.0f} updates/s", flush=True)
            print(f"           at saturation: {describe(figures['cpu'], figures['updates'])}", flush=True)
    print(f"\n{args.chats} chats at saturation, {args.rate:.0f} updates/s moderate, {args.seconds:.0f} s phases, "
          f"refundbot on {args.backend} with {args.threads} worker threads; median of {args.repeats} (min)")
    print(f"{'server':10} {'updates/s':>16} {'p50 ms':>14} {'p99 ms':>14}")
    for name, runs in results.items():
        if not runs:
            continue
        print(f"{name:10} {statistics.median(r['rate'] for r in runs):8.1f} ({min(r['rate'] for r in runs):6.1f}) "
              f"{statistics.median(r['p50'] for r in runs):7.1f} ({min(r['p50'] for r in runs):4.1f}) "
              f"{statistics.median(r['p99'] for r in runs):7.1f} ({min(r['p99'] for r in runs):5.1f})")
    print("\nCPU per update at saturation, median of the rounds (ms of CPU; % of the machine's CPU time):")
    for name, runs in results.items():
        if not runs:
            continue
        names = [party for party in runs[0]["cpu"] if party != "cpus"]
        share = {party: statistics.median(r["cpu"][party] / r["cpu"]["cpus"] for r in runs) for party in names}
        per_update = {party: statistics.median(r["cpu"][party] * 1000 / max(r["updates"], 1) for r in runs) for party in names}
        print(f"{name:10} " + ", ".join(f"{party} {per_update[party]:.2f} ({100 * share[party]:.0f}%)" for party in names)
              + f"; idle {100 * (1 - share['machine busy']):.0f}%")
    if args.only:
        return 0
    ours_, echo = results["refundbot"], results["ptb-echo"]
    rate_ratio = statistics.median(o["rate"] / e["rate"] for o, e in zip(ours_, echo))
    p50_ratio = statistics.median(o["p50"] / e["p50"] for o, e in zip(ours_, echo))
    print(f"\nupdates/s: {rate_ratio:.2f}x the echo app's (target >= 0.5x: {'met' if rate_ratio >= 0.5 else 'NOT met'}); "
          f"p50: {p50_ratio:.2f}x the echo app's (target <= 2x: {'met' if p50_ratio <= 2 else 'NOT met'}); "
          "median of the per-round ratios")
    return 0


if __name__ == "__main__":
    sys.exit(main())
