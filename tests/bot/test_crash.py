"""Crash test: webhook traffic into two `refundbot run` processes on PostgreSQL while they are killed with
SIGKILL at random moments and restarted. The client plays Telegram: it posts each update until it gets a
2xx, and executes the Bot API method a 2xx carries against a fake Bot API on loopback, which records what
is sent. Every update acknowledged with 200 is handled exactly once, and every reply text (each carrying
its decision) reaches the person exactly once: it rides in the webhook response (bot/answers.py), so no
duplicate is allowed. The tier chart that follows each /tier is a file upload, sent by the outbox
sender: at least once, a second copy only where its sender was killed after Telegram took it and before
the outbox recorded it (store/outbox.py)."""
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
UPDATES_EACH = 6
PROCESSES = 2
KILLS = 5


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

    async def started(self, timeout: float) -> None:
        """Wait until every process serves (traffic then starts on a whole fleet)."""
        deadline = time.monotonic() + timeout
        while len(self.ready()) < len(self.procs) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

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


async def deliver(client: httpx.AsyncClient, api: httpx.AsyncClient, update: dict) -> str | None:
    """Post like Telegram does: again and again until the answer is a 2xx; then execute the method it carries,
    if any (Telegram does so exactly when it accepts the 2xx). Returns the method's name."""
    while True:
        try:
            response = await client.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        except httpx.TransportError:  # the node was killed with the request open
            await asyncio.sleep(0.05)
            continue
        if 200 <= response.status_code < 300:
            break
        await asyncio.sleep(0.05)
    if not response.content:
        return None
    method = response.json()
    executed = await api.post(f"/{method['method']}", json={k: v for k, v in method.items() if k != "method"})
    assert executed.status_code == 200
    return method["method"]


async def person(client: httpx.AsyncClient, api: httpx.AsyncClient, user_id: int, acked: dict[int, str],
                 answered: Counter) -> None:
    for n in range(UPDATES_EACH):
        update_id = user_id * 1000 + n
        text = "/tier" if n % 2 == 0 else "/help"
        method = await deliver(client, api, message(update_id, user_id, text))
        answered[method] += 1
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
                f"    answer_within: 20\n"
                f"workers:\n  threads: 2\n  lease_seconds: 2\nlimits:\n  messages_per_minute: 10000\n")
            logs = tmp_path / "logs"
            logs.mkdir()
            fleet = Fleet(str(config), logs, PROCESSES)
            await fleet.started(30)
            acked: dict[int, str] = {}
            answered: Counter = Counter()
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client, \
                        httpx.AsyncClient(base_url=f"{api.base_url}{TOKEN}", timeout=10) as telegram:
                    chaos = asyncio.create_task(killer(fleet, acked, random.Random()))
                    await asyncio.wait_for(asyncio.gather(*(person(client, telegram, 100 + i, acked, answered)
                                                            for i in range(PEOPLE))), 60)
                    await asyncio.wait_for(chaos, 10)
                assert await wait_drained(store, 30), "the inbox or the outbox was not drained"
            finally:
                fleet.stop()
            with store.read() as session:
                processed = set(session.scalars(select(ProcessedUpdate.update_id)))
                unfinished = session.scalar(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.processed_at.is_(None)))
                decisions = list(session.scalars(select(Decision.id).where(Decision.kind == "tier")))
                every = session.execute(select(OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.attempts,
                                               OutboxMessage.file_kind, OutboxMessage.answers_update)).all()
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
    chats = range(100, 100 + PEOPLE)
    assert queued == {chat: UPDATES_EACH for chat in chats}  # one reply an update, queued once
    received = Counter(s.chat_id for s in api.sent)
    assert received == queued  # every reply text delivered, none twice
    for decision_id in decisions:  # and every decision's reply exactly once
        assert sum(decision_id in s.text for s in api.sent) == 1, decision_id
    in_response = sum(1 for row in outbox if row.answers_update is not None)
    assert answered["sendMessage"] == in_response  # each answer executed once, though a request may have been answered twice
    in_doubt = Counter(row.chat_id for row in every if row.file_kind == "photo" and row.attempts > 1)
    photos = Counter(chat for method, chat, _ in api.files if method == "sendPhoto")
    for chat in chats:  # charts: none lost; a second copy only where a sender died between Telegram and the mark
        assert charts[chat] <= photos[chat] <= charts[chat] + in_doubt[chat], (chat, photos[chat], in_doubt[chat])
    print(f"{fleet.kills} kills, {in_response} of {len(outbox)} replies in the webhook response, "
          f"{len(outbox) - in_response} through the sender, {sum(photos.values()) - sum(charts.values())} charts sent twice, "
          f"{time.monotonic() - started:.1f} s")
