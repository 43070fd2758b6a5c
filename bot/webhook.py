"""Receiving Telegram updates by webhook: the secret token is checked before the body is read, and an
update is stored in the inbox, committed, before Telegram gets its 200. With an answerer (bot.answers,
as `refundbot run` has), the request then waits, briefly, for the update to be handled, and the 200
carries its reply as a Bot API method: delivered exactly once.

python-telegram-bot's own webhook server compares the secret with `!=` (and logs a wrong token),
and reads the whole body before looking at it, so refundbot runs this small tornado server instead.
A request without the right secret costs one header parse: it is answered 403 and its connection
closed without reading a byte of the body.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
from http import HTTPStatus
from typing import Callable

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from .answers import WebhookAnswerer
from .receiver import MAX_UPDATE_BYTES, NotAnUpdate, Receiver, parse_update

log = logging.getLogger("refundbot.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = MAX_UPDATE_BYTES
HEADER_TIMEOUT = 10.0  # seconds a client may take to send its headers
BODY_TIMEOUT = 10.0  # and its body


def secret_matches(given: str | None, secret: str) -> bool:
    """Constant-time comparison of the header with the secret (hashing first hides the length too)."""
    given_digest = hashlib.sha256((given or "").encode()).digest()
    return hmac.compare_digest(given_digest, hashlib.sha256(secret.encode()).digest()) and given is not None


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, receiver: Receiver, secret: str, answerer: WebhookAnswerer | None,
                   answer_callback: Callable[[str], None] | None) -> None:
        self.receiver = receiver
        self.secret = secret
        self.answerer, self.answer_callback = answerer, answer_callback
        self._chunks: list[bytes] = []

    def set_default_headers(self) -> None:
        self.set_header("Server", "refundbot")

    def prepare(self) -> None:
        # Runs once the headers are in, before any of the body is read.
        if self.request.method != "POST":
            raise tornado.web.HTTPError(HTTPStatus.METHOD_NOT_ALLOWED)
        if not secret_matches(self.request.headers.get(SECRET_HEADER), self.secret):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)  # answered, and the unread body dropped with the connection
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            raise tornado.web.HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self.request.connection.set_max_body_size(MAX_BODY)

    def data_received(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, tornado.web.HTTPError):
            if value.status_code == HTTPStatus.FORBIDDEN:
                log.warning("webhook request from %s without the right secret token", self.request.remote_ip)
            return
        super().log_exception(typ, value, tb)

    async def post(self) -> None:
        body = b"".join(self._chunks)
        try:
            _data, update = parse_update(body)
        except NotAnUpdate as exc:
            log.warning("webhook request with a body that is not an update: %s", exc)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        raw = body.decode("utf-8", "replace")
        try:
            if self.answerer is None:  # storing only: whoever handles it replies through the outbox sender
                await self.receiver.accept([(update, raw)])
                method = None
            else:
                method = (await self.answerer.answer(update, raw)).method
        except Exception:
            # Not stored (or its state unknown), so not acknowledged: Telegram sends it again.
            log.exception("could not store or settle update %s; Telegram will send it again", update.update_id)
            raise tornado.web.HTTPError(HTTPStatus.SERVICE_UNAVAILABLE) from None
        self.set_status(HTTPStatus.OK)
        query = update.callback_query
        if method is not None and query is not None and self.answer_callback is not None:
            self.answer_callback(query.id)  # the response carries the reply; the button's spinner stops by its own call
        elif method is None and query is not None:
            # Stop the button's spinner in the webhook answer itself: no extra round trip to the Bot API.
            method = {"method": "answerCallbackQuery", "callback_query_id": query.id}
        if method is not None:
            self.set_header("Content-Type", "application/json")
            try:
                await self.finish(json.dumps(method, ensure_ascii=False))
            except tornado.iostream.StreamClosedError:  # Telegram went away: it sends the update again
                return
            if method["method"] == "sendMessage" and (slot := self.answerer.slot(update.update_id)) is not None:
                slot.written.set()  # the update's later messages may go now (bot.node)


class WebhookServer:
    """An HTTP server on `listen:port` that stores Telegram updates posted to `path` in the inbox (and, with an
    `answerer`, answers each with its reply when it is handled in time)."""

    def __init__(self, receiver: Receiver, *, secret: str, listen: str, port: int, path: str = "/telegram",
                 reuse_port: bool = False, answerer: WebhookAnswerer | None = None,
                 answer_callback: Callable[[str], None] | None = None):
        self.listen, self.port, self.path, self.reuse_port = listen, port, path, reuse_port
        app = tornado.web.Application([(path, _UpdateHandler, {"receiver": receiver, "secret": secret, "answerer": answerer,
                                                               "answer_callback": answer_callback})])
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY, idle_connection_timeout=HEADER_TIMEOUT,
                                                     body_timeout=BODY_TIMEOUT, max_header_size=16 * 1024)

    def start(self) -> int:
        """Start listening; returns the port (useful with port 0)."""
        sockets = tornado.netutil.bind_sockets(self.port, address=self.listen, reuse_port=self.reuse_port)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("webhook server listening on %s:%s%s", self.listen, self.port, self.path)
        return self.port

    async def stop(self) -> None:
        """Stop accepting requests and close open connections."""
        self._server.stop()
        await self._server.close_all_connections()


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGINT and SIGTERM."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
