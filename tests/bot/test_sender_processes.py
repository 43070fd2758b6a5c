"""Two `refundbot outbox send` processes on one PostgreSQL database deliver 1,000 queued
notifications to a fake Bot API on loopback: every message exactly once."""
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from store import enqueue, open_store, outbox_counts

from ..conftest import postgres_database

TOKEN = "123456:FAKE-LOOPBACK-TOKEN-abcdefgh"
MESSAGES = 1000
SENDERS = 2
REFUNDBOT = Path(sys.executable).with_name("refundbot")


class FakeBotApi(ThreadingHTTPServer):
    """Answers getMe and sendMessage like the Bot API and records every message it was sent.
    getMe waits until every sender has asked (a start barrier), so the senders really overlap."""

    daemon_threads = True

    def __init__(self, senders: int):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sent: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        self.started = threading.Barrier(senders, timeout=60)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the senders reuse their connections
    disable_nagle_algorithm = True
    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_POST(self):
        server: FakeBotApi = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = {k: v[0] for k, v in parse_qs(body).items()} if body and not body.startswith("{") else json.loads(body or "{}")
        method = self.path.rsplit("/", 1)[1]
        if method == "getMe":
            server.started.wait()
            result = {"id": 123456, "is_bot": True, "first_name": "Fake", "username": "fake_bot"}
        elif method == "sendMessage":
            with server.lock:
                server.sent.append((int(params["chat_id"]), params["text"]))
                message_id = len(server.sent)
            result = {"message_id": message_id, "date": int(time.time()), "text": params["text"],
                      "chat": {"id": int(params["chat_id"]), "type": "private"}}
        else:
            result = True
        payload = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_two_sender_processes_deliver_each_notification_exactly_once(tmp_path):
    with postgres_database() as url:
        store = open_store(url)
        try:
            now = datetime.now(timezone.utc)
            with store.write() as session:
                for i in range(MESSAGES):
                    enqueue(session, chat_id=1000 + i % 37, text=f"notification {i}", dedupe_key=f"n{i}", now=now)
            server = FakeBotApi(SENDERS)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            env = {**os.environ, "REFUNDBOT_DATABASE_URL": url, "REFUNDBOT_TELEGRAM_TOKEN": TOKEN,
                   "REFUNDBOT_TELEGRAM_BASE_URL": f"http://127.0.0.1:{server.server_port}/bot", "REFUNDBOT_MODE": "production"}
            env.pop("REFUNDBOT_CONFIG", None)
            try:
                workers = [subprocess.Popen([str(REFUNDBOT), "outbox", "send", "--until-empty", "--rate", "2000"], cwd=tmp_path,
                                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                           for _ in range(SENDERS)]
                outputs = [w.communicate(timeout=240) for w in workers]
            finally:
                server.shutdown()
                server.server_close()
            for worker, (out, err) in zip(workers, outputs):
                assert worker.returncode == 0, err
            per_worker = [int(out.strip().rsplit("\n", 1)[-1].split()[1]) for out, _ in outputs]
            texts = Counter(text for _, text in server.sent)
            assert len(server.sent) == MESSAGES and set(texts.values()) == {1}
            assert texts.keys() == {f"notification {i}" for i in range(MESSAGES)}
            assert sum(per_worker) == MESSAGES and all(n > 0 for n in per_worker), per_worker
            with store.read() as session:
                assert outbox_counts(session) == {"sent": MESSAGES}
        finally:
            store.close()
