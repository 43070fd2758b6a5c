"""The webhook endpoint: only Telegram's secret token gets an update in, compared in constant time and
before the body is read; an update is in the inbox, committed, before the 200."""
from __future__ import annotations

import asyncio
import hmac
import json

import httpx
import pytest

from bot.receiver import Receiver
from bot.webhook import MAX_BODY, SECRET_HEADER, WebhookServer, secret_matches
from store import inbox_stats, take_update

SECRET = "s3cret-Token_for-tests"
UPDATE = {"update_id": 501, "message": {"message_id": 1, "date": 1763600000, "chat": {"id": 42, "type": "private"},
                                        "from": {"id": 42, "is_bot": False, "first_name": "Ann"}, "text": "/help"}}


class Inbox:
    """What the webhook stored, read back from the store."""

    def __init__(self, store):
        self.store = store

    def empty(self) -> bool:
        with self.store.read() as session:
            return inbox_stats(session).pending == 0

    def take(self):
        from datetime import datetime, timedelta, timezone

        with self.store.write() as session:
            return take_update(session, worker="test", now=datetime.now(timezone.utc), lease=timedelta(seconds=30))


@pytest.fixture
async def endpoint(store):
    server = WebhookServer(Receiver(store), secret=SECRET, listen="127.0.0.1", port=0, path="/telegram")
    port = server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        yield client, Inbox(store)
    await server.stop()


async def post(client, body, headers=None):
    headers = {"Content-Type": "application/json", **(headers or {})}
    return await client.post("/telegram", content=body if isinstance(body, bytes) else json.dumps(body).encode(), headers=headers)


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: ""}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"},
                                     {SECRET_HEADER: SECRET[:-1]}, {SECRET_HEADER: SECRET.upper()}])
async def test_requests_without_the_secret_are_forbidden(endpoint, headers):
    client, inbox = endpoint
    response = await post(client, UPDATE, headers)
    assert response.status_code == 403
    assert inbox.empty()


async def test_an_update_with_the_secret_is_in_the_inbox_before_the_200(endpoint):
    client, inbox = endpoint
    response = await post(client, UPDATE, {SECRET_HEADER: SECRET})
    assert response.status_code == 200
    taken = inbox.take()  # committed: another connection sees it
    assert (taken.update_id, taken.chat_id) == (501, 42) and json.loads(taken.body) == UPDATE


async def test_a_redelivered_update_is_stored_once(endpoint):
    client, inbox = endpoint
    for _ in range(2):
        assert (await post(client, UPDATE, {SECRET_HEADER: SECRET})).status_code == 200
    assert inbox.take().update_id == 501
    assert inbox.take() is None


async def test_a_button_press_is_answered_in_the_webhook_response(endpoint):
    client, inbox = endpoint
    press = {"update_id": 502, "callback_query": {"id": "cq-1", "chat_instance": "ci", "data": "x",
                                                  "from": {"id": 42, "is_bot": False, "first_name": "Ann"}}}
    response = await post(client, press, {SECRET_HEADER: SECRET})
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "cq-1"}
    assert inbox.take().chat_id == 42  # no chat: the person's id keeps their updates in order


async def test_an_update_that_cannot_be_stored_is_not_acknowledged(endpoint, monkeypatch):
    client, inbox = endpoint

    def database_down(*_args, **_kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(Receiver, "store_now", database_down)
    response = await post(client, UPDATE, {SECRET_HEADER: SECRET})
    assert response.status_code == 503  # Telegram sends it again


async def _raw_request(port: int, head: bytes) -> tuple[bytes, bool]:
    """Send only the request head; the response and whether the server then closed the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    response = await asyncio.wait_for(reader.read(65536), 5)
    closed = await asyncio.wait_for(reader.read(1), 5) == b""
    writer.close()
    return response, closed


@pytest.mark.parametrize("secret, status", [(b"wrong", b"403"), (SECRET.encode(), b"413")])
async def test_a_big_body_is_refused_before_a_byte_of_it_is_read(store, secret, status):
    server = WebhookServer(Receiver(store), secret=SECRET, listen="127.0.0.1", port=0, path="/telegram")
    port = server.start()
    try:
        head = (b"POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1048576\r\n" + SECRET_HEADER.encode() + b": " + secret + b"\r\n\r\n")
        response, closed = await _raw_request(port, head)  # the 1 MB body is never sent
        assert response.split(b" ")[1] == status and closed
    finally:
        await server.stop()


@pytest.mark.parametrize("body, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (json.dumps(UPDATE).encode(), "text/plain", 415),
    (b"x" * (2 * 1024 * 1024), "application/json", 413),
    (b'{"update_id": "seven"}', "application/json", 400),
])
async def test_bad_bodies_are_refused(endpoint, body, content_type, status):
    client, inbox = endpoint
    try:
        response = await client.post("/telegram", content=body, headers={"Content-Type": content_type, SECRET_HEADER: SECRET})
        assert response.status_code == status
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        assert len(body) > MAX_BODY  # the connection of an oversized body is dropped
    assert inbox.empty()


async def test_only_post_to_the_path_is_served(endpoint):
    client, _ = endpoint
    assert (await client.get("/telegram")).status_code == 405
    assert (await client.post("/other", content=b"{}")).status_code == 404


def test_the_secret_is_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches("short", SECRET)
    assert not secret_matches(None, SECRET)
    assert calls == [(32, 32)] * 3  # always digests of equal length: no early exit, no length leak
