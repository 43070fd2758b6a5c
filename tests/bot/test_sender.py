"""The outbox sender through python-telegram-bot's real Bot (offline): delivered once, retried, given up on."""
import asyncio
import json
from datetime import datetime, timedelta, timezone

from store import enqueue, outbox_counts
from store.models import OutboxMessage
from bot.sender import OutboxSender, rate_limited_bot

from .telegram_offline import TOKEN, OfflineRequest

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
BLOCKED = 666
FLAKY = 777


class TelegramWithTrouble(OfflineRequest):
    """Offline Telegram where one person blocked the bot and another chat fails once with a 502, then 429."""

    def __init__(self):
        super().__init__()
        self.flaky_failures = [(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
                               (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                                      "parameters": {"retry_after": 7}})]

    async def do_request(self, url, method, request_data=None, *args, **kwargs):
        chat = (request_data.parameters if request_data else {}).get("chat_id")
        if url.endswith("/sendMessage") and chat == BLOCKED:
            return 403, json.dumps({"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}).encode()
        if url.endswith("/sendMessage") and chat == FLAKY and self.flaky_failures:
            status, body = self.flaky_failures.pop(0)
            return status, json.dumps(body).encode()
        return await super().do_request(url, method, request_data, *args, **kwargs)


def _rows(store):
    from types import SimpleNamespace

    with store.read() as session:
        return {r.dedupe_key: SimpleNamespace(id=r.id, status=r.status, last_error=r.last_error, next_attempt_at=r.next_attempt_at)
                for r in session.query(OutboxMessage)}


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


async def _sender(store, request, clock, owner="s1"):
    bot = rate_limited_bot(TOKEN, base_url="https://api.telegram.org/bot", request=request)
    await bot.initialize()
    return bot, OutboxSender(store, bot, owner=owner, clock=clock)


def _queue(store, chat_id, key, text="Your case was reviewed", **extra):
    with store.write() as session:
        enqueue(session, chat_id=chat_id, text=text, dedupe_key=key, now=NOW, **extra)


async def test_each_message_is_sent_once_with_its_buttons(store):
    request, clock = OfflineRequest(), Clock()
    _queue(store, 1, "a", reply_markup={"inline_keyboard": [[{"text": "Open", "callback_data": "x:1"}]]})
    _queue(store, 2, "b", text="Second")
    bot, sender = await _sender(store, request, clock)
    try:
        await sender.run(asyncio.Event(), until_empty=True)
        await sender.run(asyncio.Event(), until_empty=True)  # nothing left to send twice
    finally:
        await bot.shutdown()
    sent = request.calls_to("sendMessage")
    assert sorted((c.chat_id, c.text) for c in sent) == [(1, "Your case was reviewed"), (2, "Second")]
    assert [c.buttons for c in sent if c.chat_id == 1] == [[("Open", "x:1")]]
    with store.read() as session:
        assert outbox_counts(session) == {"sent": 2}


async def test_a_blocked_bot_is_undeliverable_and_failures_are_retried_later(store):
    request, clock = TelegramWithTrouble(), Clock()
    _queue(store, BLOCKED, "blocked")
    _queue(store, FLAKY, "flaky")
    bot, sender = await _sender(store, request, clock)
    try:
        await sender.run(asyncio.Event(), until_empty=True)
        rows = _rows(store)
        assert rows["blocked"].status == "undeliverable" and "blocked" in rows["blocked"].last_error
        assert rows["flaky"].status == "pending" and "Bad Gateway" in rows["flaky"].last_error
        clock.now = rows["flaky"].next_attempt_at
        await sender.run(asyncio.Event(), until_empty=True)  # 429: Telegram asks for 7 seconds
        flaky = _rows(store)["flaky"]
        assert flaky.status == "pending" and flaky.next_attempt_at >= clock.now + timedelta(seconds=7)
        clock.now = flaky.next_attempt_at
        await sender.run(asyncio.Event(), until_empty=True)
    finally:
        await bot.shutdown()
    with store.read() as session:
        assert outbox_counts(session) == {"sent": 1, "undeliverable": 1}
    assert [c.chat_id for c in request.calls_to("sendMessage")] == [FLAKY]  # the blocked chat's call was refused


async def test_a_long_message_is_split_to_fit_telegram(store):
    request, clock = OfflineRequest(), Clock()
    _queue(store, 5, "long", text="\n".join(["line " * 50] * 40))
    bot, sender = await _sender(store, request, clock)
    try:
        await sender.run(asyncio.Event(), until_empty=True)
    finally:
        await bot.shutdown()
    parts = request.calls_to("sendMessage")
    assert len(parts) == 3 and all(len(c.text) <= 4096 for c in parts)


async def test_a_photo_is_fetched_from_telegram_and_shown_again(store):
    request, clock = OfflineRequest(files={"AgACAgQAAxkBAAIBphoto": b"\xff\xd8\xff jpeg"}), Clock()
    _queue(store, 9, "photo", text="Evidence photo 1 of 1", photo="AgACAgQAAxkBAAIBphoto")
    bot, sender = await _sender(store, request, clock)
    try:
        await sender.run(asyncio.Event(), until_empty=True)
    finally:
        await bot.shutdown()
    [get_file] = request.calls_to("getFile")
    [photo] = request.calls_to("sendPhoto")
    assert get_file.params["file_id"] == "AgACAgQAAxkBAAIBphoto" and request.downloads == ["AgACAgQAAxkBAAIBphoto"]
    assert photo.chat_id == 9 and photo.files["photo"] == b"\xff\xd8\xff jpeg" and photo.text == "Evidence photo 1 of 1"
    with store.read() as session:
        assert outbox_counts(session) == {"sent": 1}


async def test_a_chart_queued_as_its_recipe_is_drawn_and_sent_as_a_photo(store):
    from datetime import date

    from bot.charts import Thresholds, WeekPoint, tier_chart, tier_chart_recipe
    from store import OutgoingFile

    weeks = [WeekPoint(date(2026, 11, 20), 0.97, 0.95, 0.002, "Gold")]
    thresholds = Thresholds(0.95, 0.9, (("Gold", 0.01), ("Silver", None)), ("Not eligible", "Silver", "Gold"))
    recipe = tier_chart_recipe(weeks, thresholds, title="Sent")
    request, clock = OfflineRequest(), Clock()
    _queue(store, 9, "chart", text="", file=OutgoingFile("tier.png", "photo", recipe))
    bot, sender = await _sender(store, request, clock)
    try:
        await sender.run(asyncio.Event(), until_empty=True)
    finally:
        await bot.shutdown()
    [photo] = request.calls_to("sendPhoto")
    assert photo.chat_id == 9 and photo.files["photo"] == tier_chart(weeks, thresholds, title="Sent")
