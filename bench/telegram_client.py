"""The client side of the webhook benchmarks: it plays Telegram, posting updates to a bot's webhook and
executing the Bot API method a 2xx carries against the fake Bot API, and waits for each reply to arrive there."""
from __future__ import annotations

import asyncio
import itertools
import threading
import time

import httpx

from tests.bot.fake_bot_api import FakeBotApi


class Telegram:
    """The client side: posts updates like Telegram and executes a method a 2xx carries."""

    def __init__(self, port: int, api: FakeBotApi, *, connections: int, secret: str, token: str):
        self.api, self.secret = api, secret
        self.hook = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60,
                                      limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))
        self.bot = httpx.AsyncClient(base_url=f"{api.base_url}{token}", timeout=30,
                                     limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}

    async def close(self) -> None:
        await self.hook.aclose()
        await self.bot.aclose()

    async def exchange(self, chat: int, text: str, update_id: int | None = None) -> tuple[float, float]:
        """Post one update of `chat`; the seconds until its 2xx, and until its reply left the bot: the 2xx when that
        carries the sendMessage, else the sendMessage's arrival at the Bot API."""
        update_id = update_id if update_id is not None else next(self.ids)
        update = {"update_id": update_id, "message": {
            "message_id": update_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "S", "language_code": "en"}, "text": text}}
        before = self.api.count(chat)
        started = time.perf_counter()
        response = await self.hook.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": self.secret})
        response.raise_for_status()
        acknowledged = time.perf_counter() - started
        if response.content and (method := response.json())["method"] == "sendMessage":
            # The reply left the bot with the 2xx (Telegram sends it from there): that is its end-to-end time.
            (await self.bot.post(f"/{method.pop('method')}", json=method)).raise_for_status()
            return acknowledged, acknowledged
        if response.content:  # another method (answerCallbackQuery): executed, the reply comes from the bot
            method = response.json()
            (await self.bot.post(f"/{method.pop('method')}", json=method)).raise_for_status()
        arrived = await self.api.wait_for(chat, before)
        return acknowledged, arrived - started


def watch_api(api: FakeBotApi, loop: asyncio.AbstractEventLoop) -> None:
    """Let the client wait for a chat's next reply (a future resolved from the fake Bot API's thread), not poll for it."""
    arrivals: dict[int, list[float]] = {}
    waiters: dict[tuple[int, int], asyncio.Future] = {}
    lock = threading.Lock()
    answer = api.answer

    def answer_and_note(method, params):
        at = time.perf_counter()
        result = answer(method, params)
        if method == "sendMessage":
            chat = int(params["chat_id"])
            with lock:
                seen = arrivals.setdefault(chat, [])
                seen.append(at)
                waiter = waiters.pop((chat, len(seen) - 1), None)
            if waiter is not None:
                loop.call_soon_threadsafe(lambda: waiter.done() or waiter.set_result(at))
        return result

    def count(chat: int) -> int:
        with lock:
            return len(arrivals.get(chat, ()))

    async def wait_for(chat: int, before: int) -> float:
        with lock:
            seen = arrivals.get(chat, ())
            if len(seen) > before:
                return seen[before]
            waiter = waiters[(chat, before)] = loop.create_future()
        return await waiter

    api.answer, api.count, api.wait_for = answer_and_note, count, wait_for


