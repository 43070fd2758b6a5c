"""Webhook memory under unauthenticated load: RSS of `refundbot run` (webhook mode) while 300 connections
without the secret token each try to send a 1 MB body, against python-telegram-bot's own webhook server
(Application.run_webhook, which reads the body before it checks the token) in the same run.

    python bench/webhook_memory_bench.py --connections 300 --body-mb 1
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.bot.fake_bot_api import FakeBotApi  # noqa: E402

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
SECRET = "bench-secret-0123456789abcdef"
PEER = """
import sys
from telegram.ext import Application
app = Application.builder().token(sys.argv[1]).base_url(sys.argv[2]).build()
app.run_webhook(listen="127.0.0.1", port=int(sys.argv[3]), url_path="telegram", secret_token=sys.argv[4],
                webhook_url="https://bot.example/telegram")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def attacker(port: int, body: int, peak: list[float], pid: int, refused: list[int]) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        refused.append(1)
        return
    head = (f"POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body}\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: wrong\r\n\r\n").encode()
    try:
        writer.write(head)
        chunk = b"x" * 65536
        for _ in range(body // len(chunk)):
            writer.write(chunk)
            await writer.drain()
        await asyncio.sleep(2)  # hold the connection, as a slow attacker would
    except (ConnectionError, OSError):
        refused.append(1)
    finally:
        peak.append(rss_mb(pid))
        writer.close()


async def attack(port: int, pid: int, connections: int, body: int) -> tuple[float, int]:
    peak: list[float] = []
    refused: list[int] = []
    sampler_stop = asyncio.Event()

    async def sample():
        while not sampler_stop.is_set():
            peak.append(rss_mb(pid))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(attacker(port, body, peak, pid, refused) for _ in range(connections)))
    sampler_stop.set()
    await sampler
    return max(peak), len(refused)


def measure(name: str, command: list[str], port: int, args, env: dict) -> tuple[float, float, int]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_port(port)
        time.sleep(1.0)
        idle = rss_mb(proc.pid)
        peak, dropped = asyncio.run(attack(port, proc.pid, args.connections, int(args.body_mb * 1024 * 1024)))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"  {name:34} idle {idle:6.1f} MB, peak {peak:6.1f} MB (+{peak - idle:6.1f} MB), "
          f"{dropped} of {args.connections} connections cut before their body was sent", flush=True)
    return idle, peak, dropped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--body-mb", type=float, default=1.0)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with FakeBotApi() as api, tempfile.TemporaryDirectory() as tmp:
        ours_port, peer_port = free_port(), free_port()
        config = Path(tmp) / "config.yaml"
        config.write_text(
            f"mode: production\ndatabase:\n  url: sqlite:///{tmp}/db.sqlite3\n"
            f"telegram:\n  token: '{TOKEN}'\n  base_url: {api.base_url}\n  mode: webhook\n"
            f"  webhook:\n    listen: 127.0.0.1\n    port: {ours_port}\n    url: https://bot.example/telegram\n"
            f"    secret_token: {SECRET}\n")
        print(f"{args.connections} connections without the secret, each sending a {args.body_mb:g} MB body:")
        ours = measure("refundbot run (secret before body)", [sys.executable, "-m", "bot.cli", "--config", str(config), "run"],
                       ours_port, args, env)
        peer = measure("PTB run_webhook (body first)", [sys.executable, "-c", PEER, TOKEN, api.base_url, str(peer_port), SECRET],
                       peer_port, args, env)
    print(f"growth: refundbot +{ours[1] - ours[0]:.1f} MB vs python-telegram-bot +{peer[1] - peer[0]:.1f} MB "
          f"({(ours[1] - ours[0]) / max(peer[1] - peer[0], 0.1):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
