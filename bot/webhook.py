"""Receiving Telegram updates by webhook, with the secret-token header checked in constant time.

python-telegram-bot's own webhook server compares the secret with `!=` (and logs a wrong token),
so refundbot runs this small tornado server instead and hands updates to the Application's queue.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
from http import HTTPStatus
from urllib.parse import urlparse

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Update
from telegram.ext import Application

from .config import TelegramConfig

log = logging.getLogger("refundbot.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # Telegram updates are small; anything bigger is not from Telegram


def secret_matches(given: str | None, secret: str) -> bool:
    """Constant-time comparison of the header with the secret (hashing first hides the length too)."""
    given_digest = hashlib.sha256((given or "").encode()).digest()
    return hmac.compare_digest(given_digest, hashlib.sha256(secret.encode()).digest()) and given is not None


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, telegram_app: Application, secret: str) -> None:  # "application" is tornado's own
        self.telegram_app = telegram_app
        self.secret = secret

    def set_default_headers(self) -> None:
        self.set_header("Server", "refundbot")

    async def post(self) -> None:
        if not secret_matches(self.request.headers.get(SECRET_HEADER), self.secret):
            log.warning("webhook request from %s without the right secret token", self.request.remote_ip)
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            raise tornado.web.HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        try:
            data = json.loads(self.request.body)
            if not isinstance(data, dict):
                raise ValueError("the body is not a JSON object")
            update = Update.de_json(data, self.telegram_app.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("webhook request with a body that is not an update: %s", exc)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if update is None:
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
        await self.telegram_app.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def get(self) -> None:
        raise tornado.web.HTTPError(HTTPStatus.METHOD_NOT_ALLOWED)


class WebhookServer:
    """An HTTP server on `listen:port` that accepts Telegram updates at `path`."""

    def __init__(self, application: Application, *, secret: str, listen: str, port: int, path: str = "/telegram"):
        self.listen, self.port, self.path = listen, port, path
        app = tornado.web.Application([(path, _UpdateHandler, {"telegram_app": application, "secret": secret})])
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY)

    def start(self) -> int:
        """Start listening; returns the port (useful with port 0)."""
        sockets = tornado.netutil.bind_sockets(self.port, address=self.listen)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("webhook server listening on %s:%s%s", self.listen, self.port, self.path)
        return self.port

    async def stop(self) -> None:
        """Stop accepting requests and close open connections."""
        self._server.stop()
        await self._server.close_all_connections()


async def serve_webhook(application: Application, telegram: TelegramConfig) -> None:
    """Register the webhook with Telegram (with its secret token) and serve updates until SIGINT/SIGTERM."""
    path = urlparse(telegram.webhook_url).path or "/telegram"
    server = WebhookServer(application, secret=telegram.webhook_secret, listen=telegram.webhook_listen,
                           port=telegram.webhook_port, path=path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await application.initialize()
    if application.post_init:  # run_polling calls these hooks itself; here we must (the outbox sender starts there)
        await application.post_init(application)
    await application.start()
    try:
        server.start()
        await application.bot.set_webhook(url=telegram.webhook_url, secret_token=telegram.webhook_secret,
                                          allowed_updates=["message", "callback_query"])
        await stop.wait()
    finally:
        await server.stop()
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
