"""Crash test: webhook traffic into two `refundbot run` processes on PostgreSQL while they are killed with
SIGKILL at random moments and restarted. Every update acknowledged with 200 is handled exactly once; every
reply is queued in the outbox exactly once and reaches the person (a fake Bot API on loopback records what
is sent). A second copy is possible only for a message whose sender was killed after Telegram took it and
before the outbox recorded it (store/outbox.py): the test allows it for exactly those messages, no more."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import func, select

from policy import DEFAULT_POLICY_PATH
from store import import_records, inbox_stats, link_identity, open_store, outbox_counts
from store.models import Decision, InboxUpdate, OutboxMessage, ProcessedUpdate

from ..conftest import postgres_database
from .conftest import marketplace_records
from .fake_bot_api import FakeBotApi

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
SECRET = "crash-test-secret-0123456789"
PEOPLE = 6  # sellers in their own chats, each sending in order
UPDATES_EACH = 8
PROCESSES = 2
KILLS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Fleet:
    """`refundbot run` processes sharing one webhook port (SO_REUSEPORT), killed and restarted at will."""

    def __init__(self, config: str, logs, count: int):
        self.config, self.logs = config, logs
        self.log_paths: list = [None] * count
        self.procs: list[subprocess.Popen] = [self._start(i) for i in range(count)]
        self.kills = 0

    def _start(self, i: int) -> subprocess.Popen:
        self.log_paths[i] = self.logs / f"node{i}-{time.monotonic_ns()}.log"
        with open(self.log_paths[i], "w") as log:
            return subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", self.config, "run"], stdout=log, stderr=log,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def ready(self) -> list[int]:
        """The processes that serve the webhook and run their workers."""
        return [i for i, path in enumerate(self.log_paths) if "webhook server listening" in path.read_text()]

    def kill_and_restart(self, i: int) -> None:
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()
        self.kills += 1
        self.procs[i] = self._start(i)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def message(update_id: int, user_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "S", "language_code": "en"}, "text": text}}


async def deliver(client: httpx.AsyncClient, update: dict) -> None:
    """Post like Telegram does: again and again until the answer is a 200."""
    while True:
        try:
            response = await client.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)


async def person(client: httpx.AsyncClient, user_id: int, acked: dict[int, str]) -> None:
    for n in range(UPDATES_EACH):
        update_id = user_id * 1000 + n
        text = "/tier" if n % 2 == 0 else "/help"
        await deliver(client, message(update_id, user_id, text))
        acked[update_id] = text


async def killer(fleet: Fleet, acked: dict, rng: random.Random) -> None:
    """Kill a working process (and restart it) at KILLS random points of the traffic, a random moment after each."""
    for threshold in sorted(rng.sample(range(5, PEOPLE * UPDATES_EACH - 5), KILLS)):
        while len(acked) < threshold or not fleet.ready():
            await asyncio.sleep(0.01)
        await asyncio.sleep(rng.uniform(0.0, 0.2))
        await asyncio.to_thread(fleet.kill_and_restart, rng.choice(fleet.ready()))


async def wait_drained(store, timeout: float) -> bool:
    """True once nothing waits in the inbox or the outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.read() as session:
            if inbox_stats(session).pending == 0 and outbox_counts(session).get("pending", 0) == 0:
                return True
        await asyncio.sleep(0.1)
    return False


async def test_killed_workers_lose_and_double_nothing(tmp_path):
    started = time.monotonic()
    with postgres_database() as url, FakeBotApi() as api:
        store = open_store(url)
        try:
            now = datetime.now(timezone.utc)
            with store.write() as session:
                import_records(session, records=marketplace_records(now), source="crash test")
                for i in range(PEOPLE):
                    link_identity(session, telegram_user_id=100 + i, role="seller", account_id=("S1", "S2")[i % 2], linked_at=now)
            port = free_port()
            config = tmp_path / "config.yaml"
            config.write_text(
                f"mode: production\npolicy: {DEFAULT_POLICY_PATH}\ndatabase:\n  url: {url}\n"
                f"telegram:\n  token: '{TOKEN}'\n  base_url: {api.base_url}\n  mode: webhook\n"
                f"  webhook:\n    listen: 127.0.0.1\n    port: {port}\n    url: https://bot.example/telegram\n    secret_token: {SECRET}\n"
                f"workers:\n  threads: 2\n  lease_seconds: 2\nlimits:\n  messages_per_minute: 10000\n")
            logs = tmp_path / "logs"
            logs.mkdir()
            fleet = Fleet(str(config), logs, PROCESSES)
            acked: dict[int, str] = {}
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                    chaos = asyncio.create_task(killer(fleet, acked, random.Random()))
                    await asyncio.wait_for(asyncio.gather(*(person(client, 100 + i, acked) for i in range(PEOPLE))), 60)
                    await asyncio.wait_for(chaos, 10)
                assert await wait_drained(store, 30), "the inbox or the outbox was not drained"
            finally:
                fleet.stop()
            with store.read() as session:
                processed = set(session.scalars(select(ProcessedUpdate.update_id)))
                unfinished = session.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.processed_at.is_(None)))
                decisions = list(session.scalars(select(Decision.id).where(Decision.kind == "tier")))
                every = session.execute(select(OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.attempts,
                                               OutboxMessage.file_kind)).all()
        finally:
            store.close()
    assert fleet.kills == KILLS, f"{fleet.kills} kills in {time.monotonic() - started:.1f} s"
    assert len(acked) == PEOPLE * UPDATES_EACH
    assert set(acked) <= processed and unfinished == 0  # every acknowledged update handled
    assert len(decisions) == sum(1 for text in acked.values() if text == "/tier")  # and handled once
    assert {row.status for row in every} == {"sent"}
    outbox = [row for row in every if row.file_kind is None]  # the texts; each /tier also sends its chart
    charts = Counter(row.chat_id for row in every if row.file_kind == "photo")
    assert charts == {chat: UPDATES_EACH // 2 for chat in range(100, 100 + PEOPLE)}
    assert Counter(chat for method, chat, _ in api.files if method == "sendPhoto").keys() == charts.keys()
    queued = Counter(row.chat_id for row in outbox)
    in_doubt = Counter(row.chat_id for row in outbox if row.attempts > 1)  # its sender died holding it
    chats = range(100, 100 + PEOPLE)
    assert queued == {chat: UPDATES_EACH for chat in chats}  # one reply an update, queued once
    received = Counter(s.chat_id for s in api.sent)
    for chat in chats:  # none lost; a second copy only where a sender died between Telegram and the mark
        assert UPDATES_EACH <= received[chat] <= UPDATES_EACH + in_doubt[chat], (chat, received[chat], in_doubt[chat])
    for decision_id in decisions:
        carrying = [s for s in api.sent if decision_id in s.text]
        assert 1 <= len(carrying) <= 1 + in_doubt[carrying[0].chat_id if carrying else 0], decision_id
    print(f"{fleet.kills} kills, {sum(in_doubt.values())} replies in doubt, "
          f"{len(api.sent) - len(outbox)} sent twice, {time.monotonic() - started:.1f} s")
