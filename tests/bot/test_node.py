"""`refundbot run` as a whole, against a fake Bot API on loopback: long polling acknowledges an update only
after it is stored; the metrics and health endpoints; pruning; no network gives one line a retry."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from bot.config import load_config
from bot.node import Node, prune_once
from bot.receiver import Receiver
from store import finish_update, inbox_stats, mark_update_processed, store_update, take_update

from .fake_bot_api import FakeBotApi

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def message(update_id: int, user_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "T", "language_code": "en"}, "text": text}}


def config_for(tmp_path, url: str, base_url: str, **extra: str):
    lines = [f"mode: production", f"database:\n  url: {url}", f"telegram:\n  token: '{TOKEN}'\n  base_url: {base_url}\n  mode: polling",
             "workers:\n  threads: 2\n  lease_seconds: 5", "limits:\n  messages_per_minute: 1000"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return load_config(str(path), env={})


async def until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_polling_acknowledges_an_update_only_after_it_is_stored(tmp_path, marketplace, runtime, monkeypatch):
    failures = [3]
    real = Receiver.store_now

    def flaky(self, updates):
        if failures[0]:
            failures[0] -= 1
            raise RuntimeError("database is restarting")
        return real(self, updates)

    monkeypatch.setattr(Receiver, "store_now", flaky)
    monkeypatch.setattr("bot.node.FIRST_RETRY", 0.05)
    with FakeBotApi() as api:
        api.updates = [message(80_001, 9001, "/help"), message(80_002, 9002, "/start")]
        config = config_for(tmp_path, str(marketplace.engine.url.render_as_string(hide_password=False)), api.base_url)
        node = Node(config, config.telegram, marketplace, runtime)
        task = asyncio.create_task(node.run())
        await until(lambda: failures[0] == 0)
        assert [u["update_id"] for u in api.updates] == [80_001, 80_002]  # not stored yet: not acknowledged
        await until(lambda: len(api.sent) == 2)
        await until(lambda: api.updates == [])  # stored, so the next getUpdates acknowledged them
        node.stop.set()
        await task
    assert sorted(s.chat_id for s in api.sent) == [9001, 9002]
    assert "deleteWebhook" in api.calls


async def test_metrics_and_health_endpoints(tmp_path, marketplace, runtime):
    with FakeBotApi() as api:
        config = config_for(tmp_path, str(marketplace.engine.url.render_as_string(hide_password=False)), api.base_url,
                            observability="\n  metrics_port: 0")
        api.updates = [message(81_001, 9101, "/help")]
        node = Node(config, config.telegram, marketplace, runtime)
        from bot.ops import OpsServer, Probe

        probe = Probe(marketplace, runtime, stall_seconds=60)
        ops = OpsServer(probe, listen="127.0.0.1", port=0)
        port = ops.start()
        task = asyncio.create_task(node.run())
        await until(lambda: len(api.sent) == 1)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "inbox": "ok", "policy": "ok"}
            text = (await client.get("/metrics")).text
        node.stop.set()
        await task
        await ops.stop()
    assert 'refundbot_updates_handled_total{kind="command"}' in text
    assert "refundbot_update_handling_seconds_bucket" in text and "refundbot_inbox_depth 0.0" in text
    assert f'refundbot_policy_info{{version="{runtime.version}"}} 1.0' in text


def test_readyz_reports_a_stalled_inbox(marketplace, runtime):
    from bot.ops import Probe

    long_ago = datetime.now(timezone.utc) - timedelta(minutes=10)
    with marketplace.write() as session:
        store_update(session, update_id=1, chat_id=1, body="{}", received_at=long_ago)
    checks = Probe(marketplace, runtime, stall_seconds=60).readiness()
    assert checks["database"] == "ok" and checks["inbox"].startswith("stalled: the oldest update has waited 6")


def test_pruning_keeps_the_tables_bounded(marketplace):
    now = datetime.now(timezone.utc)
    old, recent = now - timedelta(hours=49), now - timedelta(hours=1)
    with marketplace.write() as session:
        for update_id, when in ((1, old), (2, recent)):
            store_update(session, update_id=update_id, chat_id=1, body="{}", received_at=when)
            take_update(session, worker="w", now=when, lease=timedelta(seconds=30))
            finish_update(session, update_id=update_id, processed_at=when)
            mark_update_processed(session, update_id=update_id, processed_at=when)
    assert prune_once(marketplace, retention=timedelta(hours=48), now=now) == 2  # one inbox row, one mark
    assert prune_once(marketplace, retention=timedelta(hours=48), now=now) == 0


def test_run_without_network_says_so_in_one_line_and_retries(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: production\ndatabase:\n  url: sqlite:///{tmp_path}/db.sqlite3\n"
                      f"telegram:\n  token: '{TOKEN}'\n  base_url: http://127.0.0.1:9/bot\n")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "run"], stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen: list[tuple[float, str]] = []  # (when, line) of each stderr line, read as it comes

    def read() -> None:
        for line in proc.stderr:
            seen.append((time.monotonic(), line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    retry = "cannot reach Telegram at http://127.0.0.1:9/bot to start"
    try:
        deadline = time.monotonic() + 60  # a wait for three retries, not a timing: a loaded machine only makes it slower
        while time.monotonic() < deadline and sum(retry in line for _, line in seen) < 3 and proc.poll() is None:
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        reader.join(timeout=20)
    err = "".join(line for _, line in seen)
    lines = [line for _, line in seen if line.strip()]
    retries = [(when, line) for when, line in seen if retry in line]
    assert len(retries) >= 3, err
    delays = [float(line.rsplit("retrying in ", 1)[1].split()[0]) for _, line in retries]
    assert delays[:3] == [1, 2, 4], err  # back-off, not a line a millisecond
    for (before, _), (after, _), delay in zip(retries, retries[1:], delays):
        assert after - before >= 0.9 * delay, err  # it really waited
    assert "Traceback" not in err and len(lines) <= len(retries) + 2, err
    assert proc.returncode == 0
