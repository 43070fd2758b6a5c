"""The webhook endpoint: only Telegram's secret token gets an update in, compared in constant time."""
from __future__ import annotations

import hmac
import json

import httpx
import pytest
from telegram.ext import Application

from bot.webhook import SECRET_HEADER, WebhookServer, secret_matches

SECRET = "s3cret-Token_for-tests"
UPDATE = {"update_id": 501, "message": {"message_id": 1, "date": 1763600000, "chat": {"id": 42, "type": "private"},
                                        "from": {"id": 42, "is_bot": False, "first_name": "Ann"}, "text": "/help"}}


@pytest.fixture
async def endpoint():
    application = Application.builder().token("123456:TEST-token-for-webhook-tests").build()
    server = WebhookServer(application, secret=SECRET, listen="127.0.0.1", port=0, path="/telegram")
    port = server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        yield client, application
    await server.stop()


async def post(client, body, headers=None):
    headers = {"Content-Type": "application/json", **(headers or {})}
    return await client.post("/telegram", content=body if isinstance(body, bytes) else json.dumps(body).encode(), headers=headers)


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: ""}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"},
                                     {SECRET_HEADER: SECRET[:-1]}, {SECRET_HEADER: SECRET.upper()}])
async def test_requests_without_the_secret_are_forbidden(endpoint, headers):
    client, application = endpoint
    response = await post(client, UPDATE, headers)
    assert response.status_code == 403
    assert application.update_queue.empty()


async def test_an_update_with_the_secret_is_queued(endpoint):
    client, application = endpoint
    response = await post(client, UPDATE, {SECRET_HEADER: SECRET})
    assert response.status_code == 200
    update = application.update_queue.get_nowait()
    assert update.update_id == 501 and update.effective_message.text == "/help"


@pytest.mark.parametrize("body, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (json.dumps(UPDATE).encode(), "text/plain", 415),
    (b"x" * (2 * 1024 * 1024), "application/json", 400),
])
async def test_bad_bodies_are_refused(endpoint, body, content_type, status):
    client, application = endpoint
    try:
        response = await client.post("/telegram", content=body, headers={"Content-Type": content_type, SECRET_HEADER: SECRET})
        assert response.status_code == status
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        assert len(body) > 1024 * 1024  # tornado drops the connection of an oversized body
    assert application.update_queue.empty()


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
