"""Replies in the webhook response (bot/answers.py): an update's first plain text reply rides in the 200
to it, the same answer is given to a retry after a crash, no sender ever sends it, and a request that
cannot wait answers a bare 200 and leaves the replies to the outbox sender."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event, select

from bot.answers import WebhookAnswerer
from bot.delivery import OutboxDelivery
from bot.markup import plain
from bot.receiver import Receiver
from bot.webhook import SECRET_HEADER, WebhookServer
from bot.workers import WorkerPool
from store import take_due
from store.models import InboxUpdate, OutboxMessage

from .conftest import linked
from .test_workers import message, press

SECRET = "s3cret-Token_for-tests"
LEASE = timedelta(seconds=30)


class Node:
    """The webhook, the answerer and the workers of one process, as `refundbot run` wires them (bot.node)."""

    def __init__(self, service, *, within: float = 5.0):
        loop = asyncio.get_running_loop()
        self.handed, self.callbacks = [], []
        self.receiver = Receiver(service.store)

        def send(queued):  # what bot.node does with an update's committed replies
            self.handed.append(queued)
            loop.call_soon_threadsafe(self.answerer.handled, queued.update_id, queued.answer)

        self.delivery = OutboxDelivery(send, owner="node:sender", lease=LEASE, answer_in_response=True)
        self.pool = WorkerPool(service.store, service, self.delivery, threads=2, lease=LEASE, bot_username=lambda: "test_bot",
                               wake=self.receiver.arrived)
        self.answerer = WebhookAnswerer(service.store, self.receiver, submit=self.pool.submit, worker="node/webhook", lease=LEASE,
                                        within=within, offer=self.pool.offer, withdraw=self.pool.withdraw)
        self.server = WebhookServer(self.receiver, secret=SECRET, listen="127.0.0.1", port=0, answerer=self.answerer,
                                    answer_callback=self.callbacks.append)
        self.port = self.server.start()

    async def post(self, body: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=30) as client:
            return await client.post("/telegram", content=body.encode(),
                                     headers={"Content-Type": "application/json", SECRET_HEADER: SECRET})

    async def stop(self) -> None:
        await self.server.stop()
        await asyncio.to_thread(self.pool.stop)


@pytest.fixture
async def node(service):
    started = Node(service)
    started.pool.start()
    yield started
    await started.stop()


def rows(store):
    with store.read() as session:
        return session.execute(select(OutboxMessage.text, OutboxMessage.status, OutboxMessage.answers_update, OutboxMessage.file_kind)
                               .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)).all()


def reply_via(store, update_id: int):
    with store.read() as session:
        return session.scalar(select(InboxUpdate.reply_via).where(InboxUpdate.update_id == update_id))


def senders_take(store):
    from datetime import datetime, timezone

    later = datetime.now(timezone.utc) + timedelta(hours=1)  # every lease has run out
    with store.write() as session:
        return take_due(session, owner="another-process:sender", now=later, lease=LEASE)


async def test_the_reply_rides_in_the_response_and_a_retry_after_a_crash_gets_the_same(alice, service, node):
    update = message(80_001, 101, "/help")
    response = await node.post(update)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    answer = response.json()
    assert (answer["method"], answer["chat_id"], answer["parse_mode"]) == ("sendMessage", 101, "HTML")
    assert "/refund" in plain(answer["text"])
    [row] = rows(service.store)
    assert (row.text, row.status, row.answers_update) == (answer["text"], "sent", 80_001)
    assert reply_via(service.store, 80_001) == "response"
    assert senders_take(service.store) == []  # no sender ever sends it
    # The process dies before Telegram reads the 200: Telegram posts the update again, to another process.
    await node.stop()
    other = Node(service)  # its workers are not even running: the update is handled already
    try:
        again = await other.post(update)
        assert again.status_code == 200 and again.json() == answer
    finally:
        await other.stop()
    assert len(rows(service.store)) == 1


async def test_a_request_that_cannot_wait_answers_a_bare_200_and_the_sender_replies(alice, service):
    lone = Node(service, within=0.3)  # no worker runs: the update is not handled in time
    try:
        response = await lone.post(message(80_002, 101, "/help"))
        assert response.status_code == 200 and response.content == b""
        assert reply_via(service.store, 80_002) == "sender"  # decided before the 200: no handling may answer now
        taken = lone.pool._next_handed()  # the update the webhook took for this process
        lone.pool.handle(taken)
        [queued] = lone.handed
        assert queued.answer is None and len(queued.messages) == 1
        [row] = rows(service.store)
        assert (row.status, row.answers_update) == ("pending", None)
        retried = await lone.post(message(80_002, 101, "/help"))  # a redelivery is answered bare too
        assert retried.content == b""
    finally:
        await lone.stop()


async def test_a_tier_decision_answers_its_text_and_the_chart_follows_through_the_sender(service, node):
    linked(service, 201, "seller", "S1")
    answer = (await node.post(message(80_003, 201, "/tier"))).json()
    assert answer["method"] == "sendMessage" and "tier" in plain(answer["text"]).lower()
    [queued] = [q for q in node.handed if q.update_id == 80_003]
    assert queued.answer == answer
    assert [m.file.kind for m in queued.messages[queued.answer_index:]] == ["photo"]  # after the answer is written
    assert [(r.status, r.file_kind) for r in rows(service.store)] == [("sent", None), ("pending", "photo")]
    assert node.answerer.slot(80_003).written.is_set()


async def test_a_button_press_answers_with_the_next_step_and_stops_the_spinner_by_its_own_call(alice, service, node):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    unopened = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Unopened"][0]
    answer = (await node.post(press(80_004, 101, unopened))).json()
    assert answer["method"] == "sendMessage" and "$80.00" in answer["text"]
    assert node.callbacks == ["cq80004"]
    [queued] = [q for q in node.handed if q.update_id == 80_004]
    assert [m.edit_message_id for m in queued.messages[:queued.answer_index]] == [1]  # the pressed message's edit goes first


async def test_an_update_handled_without_a_reply_is_answered_at_once_with_a_bare_200(service, node):
    response = await node.post(message(80_006, 999, "hello", chat_id=-5, chat_type="group"))  # group chatter
    assert response.status_code == 200 and response.content == b""
    assert reply_via(service.store, 80_006) is None and rows(service.store) == []


async def test_a_press_not_handled_in_time_is_answered_with_answer_callback_query(alice, service):
    lone = Node(service, within=0.2)
    try:
        response = await lone.post(press(80_007, 101, "stale:0"))
        assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "cq80007"}
        assert lone.callbacks == []
    finally:
        await lone.stop()


def taken_by(store, update_id: int) -> str | None:
    with store.read() as session:
        return session.scalar(select(InboxUpdate.taken_by).where(InboxUpdate.update_id == update_id))


async def test_an_update_that_may_be_handled_at_once_is_stored_and_handled_in_one_transaction(alice, service, node):
    seen = []  # (connection, what) in order: the statements and commits of every transaction meanwhile

    def executed(connection, _cursor, statement, *_):
        seen.append((id(connection.connection.dbapi_connection), " ".join(statement.split())))

    def committed(connection):
        seen.append((id(connection.connection.dbapi_connection), "COMMIT"))

    event.listen(service.store.engine, "after_cursor_execute", executed)
    event.listen(service.store.engine, "commit", committed)
    try:
        answer = (await node.post(message(80_008, 101, "/help"))).json()
    finally:
        event.remove(service.store.engine, "after_cursor_execute", executed)
        event.remove(service.store.engine, "commit", committed)
    assert answer["method"] == "sendMessage" and "/refund" in plain(answer["text"])
    [stored] = [i for i, (_, what) in enumerate(seen) if "INSERT INTO inbox " in what]
    [marked] = [i for i, (_, what) in enumerate(seen) if "INSERT INTO processed_updates " in what]
    connection = seen[stored][0]
    assert seen[marked][0] == connection and stored < marked  # the same transaction: one connection, no commit between
    assert (connection, "COMMIT") not in seen[stored:marked] and (connection, "COMMIT") in seen[marked:]
    assert taken_by(service.store, 80_008) != "node/webhook"  # a worker took it, not the webhook's own transaction
    assert reply_via(service.store, 80_008) == "response"


async def test_a_handling_that_fails_with_its_storing_is_rolled_back_and_the_update_is_stored_and_handled_on_its_own(
        alice, service, node, monkeypatch):
    handle_in, failed = service.handle_in, []

    def fail_once(session, incoming, **keywords):
        if not failed:
            failed.append(incoming.update_id)
            handle_in(session, incoming, **keywords)  # its writes too are rolled back
            raise RuntimeError("the database went away mid-handling")
        return handle_in(session, incoming, **keywords)

    monkeypatch.setattr(service, "handle_in", fail_once)
    answer = (await node.post(message(80_009, 101, "/help"))).json()
    assert failed == [80_009]
    assert answer["method"] == "sendMessage" and "/refund" in plain(answer["text"])  # still the answer, once
    assert taken_by(service.store, 80_009) == "node/webhook"  # stored by the request itself, then handled
    [row] = rows(service.store)
    assert (row.text, row.status, row.answers_update) == (answer["text"], "sent", 80_009)
