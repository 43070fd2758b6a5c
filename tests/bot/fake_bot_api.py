"""A fake Telegram Bot API on loopback for tests that run `refundbot run` as real processes: it answers
the calls the bot makes and records every message the bot sends."""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT = {"id": 777000, "is_bot": True, "first_name": "Refund Bot", "username": "refund_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass(frozen=True)
class Sent:
    """One sendMessage the bot made."""

    chat_id: int
    text: str
    reply_markup: Any
    at: float = 0.0  # time.perf_counter() on arrival


class FakeBotApi:
    """Serves /bot<token>/<method> on 127.0.0.1; `sent` lists the messages in the order they arrived."""

    def __init__(self):
        self.sent: list[Sent] = []
        self.calls: list[str] = []
        self.files: list[tuple[str, int, bytes | None]] = []  # (method, chat, the uploaded bytes)
        self.updates: list[dict] = []  # served to getUpdates
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real Bot API: clients reuse their connections

            def setup(self):
                super().setup()
                # The head and the body go out in two writes: without this, Nagle's algorithm holds the body until the
                # client's delayed ACK (40 ms on Linux) on a kept-alive connection.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):  # quiet
                pass

            def handle(self):
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):  # a client killed mid-request (the crash test)
                    pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the client died mid-request (a node killed during an upload): nothing arrived
                    self.close_connection = True
                    return
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("multipart/form-data"):  # a file upload (a label PDF, a chart PNG): its form fields
                    form = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + body)
                    params = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                              for part in form.iter_parts()}
                    params = {k: v.decode() if k != "document" and k != "photo" else v for k, v in params.items()}
                elif kind.startswith("application/json"):
                    params = json.loads(body.decode() or "{}")
                else:
                    params = dict(parse_qsl(body.decode()))
                method = self.path.rsplit("/", 1)[-1]
                result = api.answer(method, params)
                if method == "getUpdates" and not result:
                    time.sleep(0.05)  # a short stand-in for Telegram's long poll
                body = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The Bot API base URL to configure (…/bot)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def answer(self, method: str, params: dict) -> Any:
        """The result of one Bot API call."""
        with self.lock:
            self.calls.append(method)
            if method == "getMe":
                return BOT
            if method == "sendMessage":
                markup = params.get("reply_markup")
                sent = Sent(int(params["chat_id"]), params["text"], json.loads(markup) if isinstance(markup, str) else markup,
                            time.perf_counter())
                self.sent.append(sent)
                return {"message_id": len(self.sent), "date": 1763600000, "text": sent.text,
                        "chat": {"id": sent.chat_id, "type": "private"}, "from": BOT}
            if method in ("sendDocument", "sendPhoto"):
                self.files.append((method, int(params["chat_id"]), params.get(method[4:].lower())))
                return {"message_id": 10_000 + len(self.files), "date": 1763600000, "chat": {"id": int(params["chat_id"]),
                                                                                           "type": "private"}, "from": BOT}
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                self.updates = [u for u in self.updates if u["update_id"] >= offset]  # acknowledged ones are gone
                return list(self.updates)
            return True  # setWebhook, deleteWebhook, answerCallbackQuery, setMyCommands ...

    def __enter__(self) -> "FakeBotApi":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
