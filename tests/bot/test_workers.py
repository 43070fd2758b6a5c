"""The worker pool: updates from the inbox handled exactly once, in order within a chat, taken again when
their worker died, and unreadable ones set aside; replies handed over only after the commit."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.markup import plain
from bot.receiver import Receiver, parse_update
from bot.workers import MAX_ATTEMPTS, WorkerPool, wait_until_drained
from store import inbox_stats, store_update, take_update
from store.models import InboxUpdate, OutboxMessage, ProcessedUpdate, Refund


class Recorder:
    """A delivery that records what the workers hand over, and in which transaction state."""

    def __init__(self):
        self.enqueued, self.sent, self.lock = [], [], threading.Lock()

    def enqueue(self, session, *, update_id, chat_id, replies, edit=None):
        with self.lock:
            self.enqueued.append((chat_id, [plain(r.text) for r in replies]))
        return chat_id, [plain(r.text) for r in replies]

    def committed(self, queued):
        with self.lock:
            self.sent.append(queued)


def message(update_id: int, user_id: int, text: str, chat_id: int | None = None, chat_type: str = "private") -> str:
    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": 1763600000, "chat": {"id": chat_id or user_id, "type": chat_type},
        "from": {"id": user_id, "is_bot": False, "first_name": "T", "language_code": "en"}, "text": text}})


def press(update_id: int, user_id: int, data: str) -> str:
    return json.dumps({"update_id": update_id, "callback_query": {
        "id": f"cq{update_id}", "chat_instance": "ci", "data": data,
        "from": {"id": user_id, "is_bot": False, "first_name": "T", "language_code": "en"},
        "message": {"message_id": 1, "date": 1763600000, "chat": {"id": user_id, "type": "private"}, "text": ""}}})


def receive(store, *bodies: str) -> None:
    Receiver(store).store_now([(parse_update(b)[1], b) for b in bodies])


@pytest.fixture
def pool(service):
    recorder = Recorder()
    workers = WorkerPool(service.store, service, recorder, threads=3, lease=timedelta(seconds=30), bot_username=lambda: "test_bot")
    workers.recorder = recorder
    yield workers
    workers.stop()


def drain_with_one_worker(service) -> Recorder:
    """Runs one worker thread until the inbox is drained; returns what it sent."""
    recorder = Recorder()
    workers = WorkerPool(service.store, service, recorder, threads=1, lease=timedelta(seconds=30))
    workers.start()
    try:
        assert wait_until_drained(service.store, timeout=30)
    finally:
        workers.stop()
    return recorder


def count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_conversation_from_the_inbox_decides_once_and_replies_in_order(alice, pool, service):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    unopened = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Unopened"][0]
    receive(service.store, press(70_001, 101, unopened), press(70_002, 101, unopened), message(70_003, 101, "/status"))
    pool.start()
    assert wait_until_drained(service.store, timeout=30)
    pool.stop()
    texts = [t for chat, replies in pool.recorder.sent for t in replies if chat == 101]
    assert "Refund: $80.00" in texts[0]
    assert texts[1].startswith("That was already decided")
    assert texts[2].startswith("Your refund requests:")  # after the decision: one chat is handled in order
    assert count(service.store, Refund) == 2
    assert pool.recorder.enqueued == pool.recorder.sent  # what was written in the transaction is what was sent


def test_many_chats_are_handled_exactly_once(service, pool):
    bodies = [message(71_000 + i, 5_000 + i % 7, "/help") for i in range(40)]
    receive(service.store, *bodies)
    receive(service.store, *bodies[:10])  # Telegram's retries of updates already stored
    pool.start()
    assert wait_until_drained(service.store, timeout=60)
    pool.stop()
    assert len(pool.recorder.sent) == 40
    assert count(service.store, ProcessedUpdate) == 40


def test_an_update_whose_worker_died_is_handled_by_another(service):
    receive(service.store, message(72_001, 6001, "/help"))
    old = datetime.now(timezone.utc) - timedelta(seconds=31)
    with service.store.write() as session:  # a worker took it 31 s ago and died
        assert take_update(session, worker="dead:1/0", now=old, lease=timedelta(seconds=30)).update_id == 72_001
    recorder = drain_with_one_worker(service)
    assert [chat for chat, _ in recorder.sent] == [6001]
    with service.store.read() as session:
        assert session.scalar(select(InboxUpdate.attempts).where(InboxUpdate.update_id == 72_001)) == 2


def test_an_update_that_keeps_killing_workers_is_set_aside(service):
    receive(service.store, message(73_001, 6002, "/help"))
    with service.store.write() as session:
        session.execute(InboxUpdate.__table__.update().values(attempts=MAX_ATTEMPTS))
    recorder = drain_with_one_worker(service)
    assert recorder.sent == []


def test_updates_that_are_not_for_this_bot_are_marked_done_without_a_reply(service, pool):
    receive(service.store, message(74_001, 6003, "/status@OtherBot"), message(74_002, 6003, "hello all", chat_id=-100, chat_type="group"))
    with service.store.write() as session:  # and one that is stored but unreadable
        store_update(session, update_id=74_003, chat_id=1, body="{broken", received_at=datetime.now(timezone.utc))
    pool.start()
    assert wait_until_drained(service.store, timeout=30)
    pool.stop()
    assert [replies for _, replies in pool.recorder.sent] == [[]]  # the group chatter: handled, nothing said
    with service.store.read() as session:
        assert inbox_stats(session).pending == 0


async def test_a_crash_between_deciding_and_replying_still_delivers_the_reply_once(alice, service):
    from bot.delivery import OutboxDelivery
    from bot.sender import OutboxSender, rate_limited_bot
    from store import outbox_counts

    from .telegram_offline import TOKEN, OfflineRequest

    alice.say("/refund O1-1")
    alice.tap("faulty")
    unopened = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Unopened"][0]
    receive(service.store, press(75_001, 101, unopened))
    handed = []
    delivery = OutboxDelivery(handed.append, owner="dying:1:sender", lease=timedelta(seconds=30))
    dying = WorkerPool(service.store, service, delivery, threads=1, lease=timedelta(seconds=30))
    dying.handle(dying.take("dying:1/0"))  # decided and committed; the process dies before anything is sent
    with service.store.read() as session:
        assert inbox_stats(session).pending == 0 and outbox_counts(session) == {"pending": 2}  # the pressed message's edit, the reply
    [queued] = handed
    assert queued.chat_id == 101 and queued.messages[0].lease_owner == "dying:1:sender"
    with service.store.write() as session:  # its lease runs out
        session.execute(OutboxMessage.__table__.update().values(lease_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
    request = OfflineRequest()
    bot = rate_limited_bot(TOKEN, base_url="https://api.telegram.org/bot", request=request)
    await bot.initialize()
    try:
        sender = OutboxSender(service.store, bot)  # another process's sender
        assert await sender.deliver_once() == 2
        assert await sender.deliver_once() == 0
    finally:
        await bot.shutdown()
    [sent] = request.calls_to("sendMessage")
    assert sent.chat_id == 101 and "Refund: <b>$80.00</b>" in sent.text
    assert len(request.calls_to("editMessageReplyMarkup")) == 1
    assert count(service.store, Refund) == 2


def test_the_replies_of_one_update_are_queued_in_order_and_only_once(service):
    from bot.delivery import OutboxDelivery
    from bot.messages import Button, Reply

    delivery = OutboxDelivery(lambda queued: None, owner="me", lease=timedelta(seconds=30))
    replies = [Reply("first"), Reply("second", ((Button("Yes", "y:1"),),))]
    for _ in range(2):  # the second time: the same update's replies again, e.g. a handling retried
        with service.store.write() as session:
            delivery.enqueue(session, update_id=76_001, chat_id=5, replies=replies)
    with service.store.read() as session:
        rows = session.execute(select(OutboxMessage.text, OutboxMessage.chat_id, OutboxMessage.reply_markup)
                               .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)).all()
    assert [(r.text, r.chat_id) for r in rows] == [("first", 5), ("second", 5)]
    assert rows[1].reply_markup == {"inline_keyboard": [[{"text": "Yes", "callback_data": "y:1"}]]}


async def test_replies_through_the_outbox_carry_html_the_edit_of_the_pressed_message_files_and_menus(alice, service):
    """What the chat adapter sends directly, the durable path sends through the outbox: HTML texts, the
    pressed message edited to show the answer, the label PDF and the tier chart, the chat's command menu."""
    from bot.delivery import OutboxDelivery
    from bot.sender import OutboxSender, rate_limited_bot
    from store import create_invite

    from .labels_read import barcodes
    from .telegram_offline import TOKEN, OfflineRequest

    alice.say("/refund O2-1")
    alice.tap("wrong item")
    [prompt] = alice.replies
    unopened = next(b.data for b in prompt.flat_buttons() if b.text == "Unopened")
    body = json.loads(press(77_001, 101, unopened))
    body["callback_query"]["message"].update(text=plain(prompt.text), reply_markup={"inline_keyboard": [
        [{"text": b.text, "callback_data": b.data} for b in row] for row in prompt.buttons]})
    from .conftest import NOW

    with service.store.write() as session:
        code = create_invite(session, role="seller", account_id="S1", created_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=1))
    receive(service.store, json.dumps(body))
    receive(service.store, message(77_002, 201, f"/start {code}"))
    receive(service.store, message(77_003, 201, "/tier"))
    handed = []
    delivery = OutboxDelivery(handed.append, owner="node:1:sender", lease=timedelta(seconds=30))
    workers = WorkerPool(service.store, service, delivery, threads=1, lease=timedelta(seconds=30), bot_username=lambda: "test_bot")
    for _ in range(3):
        workers.handle(workers.take("node:1/0"))
    request = OfflineRequest()
    bot = rate_limited_bot(TOKEN, base_url="https://api.telegram.org/bot", request=request)
    await bot.initialize()
    try:
        sender = OutboxSender(service.store, bot, owner="node:1:sender")  # this process's sender holds the claims
        for queued in handed:
            await sender.deliver_in_order(list(queued.messages))
    finally:
        await bot.shutdown()
    methods = [c.method for c in request.calls if c.method != "getMe"]
    assert methods == ["editMessageText", "sendMessage", "sendDocument", "sendMessage", "setMyCommands", "sendMessage", "sendPhoto"]
    edit, approved, label, linked, menu, tier, chart = [c for c in request.calls if c.method != "getMe"]
    assert edit.chat_id == 101 and edit.params["message_id"] == 1 and edit.parse_mode == "HTML"  # the message pressed
    assert edit.text.endswith("› <b>Unopened</b>") and "reply_markup" not in edit.params  # the keyboard goes
    assert approved.parse_mode == "HTML" and "<b>Your return is approved.</b>" in approved.text
    rma = barcodes(label.files["document"])["Code128"]
    assert f"RMA {rma}" in approved.text
    assert linked.chat_id == 201 and linked.parse_mode == "HTML" and "linked to your seller account" in linked.text
    assert menu.params["scope"] == {"type": "chat", "chat_id": 201}
    assert {c["command"] for c in menu.params["commands"]} == {"tier", "refunds", "claims", "claim", "owed", "report", "decision", "language",
                                                                "help", "cancel"}
    assert tier.parse_mode == "HTML" and "<b>Tier:" in tier.text
    assert chart.chat_id == 201 and chart.files["photo"].startswith(b"\x89PNG")
    with service.store.read() as session:
        assert outbox_counts_of(session) == {"sent": 7}


def outbox_counts_of(session):
    from store import outbox_counts

    return outbox_counts(session)


def test_a_received_update_is_handed_over_only_to_an_idle_worker_not_spoken_for():
    import threading
    import time as clock

    from bot.wake import Fresh, Wake

    wake = Wake()
    first, second = (Fresh(n, 1, "{}", datetime.now(timezone.utc), lambda _outcome: None) for n in (1, 2))
    assert not wake.offer(first)  # no worker waits: the request stores it itself
    waiting = threading.Thread(target=wake.wait, args=(5.0,))
    waiting.start()
    deadline = clock.monotonic() + 5
    while not wake.offer(first):  # once the worker waits
        assert clock.monotonic() < deadline
        clock.sleep(0.001)
    assert not wake.offer(second)  # the one idle worker is spoken for
    waiting.join(5)
    assert wake.handed() is first and wake.handed() is None
    assert not wake.withdraw(first)  # taken: no longer withdrawable
