"""A reply in the webhook response, store side (the inbox decides, the outbox carries): how an update's reply
leaves is decided once, by whoever comes first; a message claimed for a response is never taken by a sender
and is found again for a retry."""
from __future__ import annotations

from datetime import timedelta

from store import (
    ConversationState, enqueue, finish_update, import_records, link_identity, mark_update_processed, outbox_counts, save_conversation, store_update,
    take_due, take_update,
)
from store.inbox import (
    decide_reply_via, finish_update_answering, finish_update_replying, store_and_take, store_take_and_start, take_this_update,
    update_state,
)
from store.outbox import enqueue_answer, release_responses, response_message

from .data import at

NOW = at("2026-06-01T10:00:00")
LEASE = timedelta(seconds=30)


def link_identity_of(store, user: int) -> None:
    with store.write() as session:
        import_records(session, records=[{"type": "seller", "id": "S1", "name": "Seller"}], source="test")
        link_identity(session, telegram_user_id=user, role="seller", account_id="S1", linked_at=NOW)


def put(store, update_id: int, chat_id: int) -> None:
    with store.write() as session:
        store_update(session, update_id=update_id, chat_id=chat_id, body=f'{{"update_id": {update_id}}}', received_at=NOW)


def take_this(store, update_id: int, now=NOW, worker="node/webhook"):
    with store.write() as session:
        return take_this_update(session, update_id=update_id, worker=worker, now=now, lease=LEASE)


def queue(store, key: str, text: str = "hello") -> str:
    with store.write() as session:
        return enqueue(session, chat_id=42, text=text, dedupe_key=key, now=NOW)


def test_the_webhook_takes_its_own_update_unless_an_earlier_one_of_the_chat_waits_or_someone_holds_it(store):
    put(store, 1, 10)
    put(store, 2, 10)
    put(store, 3, 20)
    assert take_this(store, 2) is None  # update 1 of the chat goes first
    assert take_this(store, 1).update_id == 1
    assert take_this(store, 1, worker="other") is None  # held under a live lease
    assert take_this(store, 1, now=NOW + LEASE + timedelta(seconds=1), worker="other").attempts == 2  # the lease ran out
    taken = take_this(store, 3)
    assert (taken.update_id, taken.chat_id, taken.attempts) == (3, 20, 1)
    with store.write() as session:
        assert take_update(session, worker="w", now=NOW, lease=LEASE) is None  # nothing left for a worker: 2 waits for 1
        finish_update(session, update_id=1, processed_at=NOW)
    assert take_this(store, 1) is None  # handled
    assert take_this(store, 2).update_id == 2


def store_and_take_in(session, update_id: int, chat_id: int, worker: str = "node/0"):
    return store_and_take(session, update_id=update_id, chat_id=chat_id, body=f'{{"update_id": {update_id}}}', received_at=NOW,
                          worker=worker, now=NOW, lease=LEASE)


def test_an_update_is_stored_and_taken_in_one_transaction_unless_it_must_wait(store):
    with store.write() as session:
        taken = store_and_take_in(session, 1, 10)
        assert (taken.update_id, taken.chat_id, taken.attempts) == (1, 10, 1)
        assert store_and_take_in(session, 2, 10) is None  # stored, and waits for update 1 of its chat
    with store.write() as session:
        assert store_and_take_in(session, 1, 10, worker="other") is None  # a redelivery: stored before and held
        finish_update(session, update_id=1, processed_at=NOW)
    with store.write() as session:
        assert store_and_take_in(session, 1, 10) is None  # handled
        assert store_and_take_in(session, 2, 10).update_id == 2  # a redelivery of the one that waited: taken now


def test_a_chat_s_next_update_is_not_taken_while_its_earlier_one_is_stored_and_handled_uncommitted(store, backend):
    # PostgreSQL: the earlier update's row is invisible until its transaction commits, so the chat's take lock
    # keeps the next one from being taken meanwhile (SQLite's write lock keeps the second transaction out anyway).
    if backend == "sqlite":
        return
    with store.write() as first:
        assert store_and_take_in(first, 1, 10).update_id == 1  # handling, not committed
        with store.write() as second:
            assert store_and_take_in(second, 2, 10, worker="node/1") is None  # stored, not taken: the chat is busy
            assert store_and_take_in(second, 3, 20, worker="node/1").update_id == 3  # other chats go on
    assert take_this(store, 2) is None  # update 1 is pending (not finished above): it goes first
    with store.write() as session:
        finish_update(session, update_id=1, processed_at=NOW)
    assert take_this(store, 2).update_id == 2


def test_how_a_reply_leaves_is_decided_once_by_whoever_comes_first(store):
    put(store, 1, 10)
    put(store, 2, 10)
    with store.write() as session:
        assert decide_reply_via(session, update_id=1, via="response") == "response"
        assert decide_reply_via(session, update_id=1, via="sender") == "response"  # the request that gave up too late
        assert decide_reply_via(session, update_id=2, via="sender") == "sender"
        assert decide_reply_via(session, update_id=2, via="response") == "sender"  # the handling that finished too late
        assert decide_reply_via(session, update_id=3, via="sender") is None  # not in the inbox
        state = update_state(session, update_id=1, now=NOW, lease=LEASE)
    assert (state.processed, state.held, state.reply_via) == (False, False, "response")


def test_the_handling_decides_for_the_response_when_it_finishes_unless_a_request_decided_first(store):
    put(store, 1, 10)
    put(store, 2, 10)
    with store.write() as session:
        assert decide_reply_via(session, update_id=2, via="sender") == "sender"  # the request gave up
    with store.write() as session:
        assert finish_update_replying(session, update_id=1, processed_at=NOW, reply_via="response") == "response"
        assert finish_update_replying(session, update_id=2, processed_at=NOW, reply_via="response") == "sender"
        assert update_state(session, update_id=2, now=NOW, lease=LEASE).processed


def answer(store, update_id: int, key: str, text: str = "Your tier is Gold") -> str:
    with store.write() as session:
        return enqueue_answer(session, chat_id=42, text=text, dedupe_key=key, update_id=update_id, now=NOW, parse_mode="HTML")


def test_a_message_in_a_response_is_never_taken_by_a_sender_and_is_found_for_a_retry(store):
    follower = queue(store, "update:7:1:file", "chart")
    answered = answer(store, 7, "update:7:0")
    assert answer(store, 7, "update:7:0", "again") == answered  # once per key
    for later in (NOW, NOW + timedelta(hours=1)):  # however long after: no lease to run out
        with store.write() as session:
            assert [m.id for m in take_due(session, owner=f"sender@{later}", now=later, lease=LEASE)] in ([follower], [])
    with store.read() as session:
        found = response_message(session, update_id=7)  # what a retried request for update 7 answers with
        assert (found.id, found.chat_id, found.text, found.parse_mode) == (answered, 42, "Your tier is Gold", "HTML")
        assert response_message(session, update_id=8) is None
        assert outbox_counts(session)["sent"] == 1


def test_a_response_redelivered_by_polling_goes_to_the_senders(store):
    answered = answer(store, 9, "update:9:0")
    with store.write() as session:
        assert release_responses(session, update_ids=[9, 10], now=NOW) == 1
        assert [m.id for m in take_due(session, owner="sender", now=NOW, lease=LEASE)] == [answered]
        assert response_message(session, update_id=9) is None


def store_take_and_start_in(session, update_id: int, chat_id: int, worker: str = "node/0", now=NOW, per_minute: int = 60):
    return store_take_and_start(session, update_id=update_id, chat_id=chat_id, body=f'{{"update_id": {update_id}}}',
                                received_at=NOW, worker=worker, now=now, lease=LEASE, max_attempts=2, telegram_user_id=chat_id,
                                processed_at=now, rate_now=now.timestamp(), per_minute=per_minute)


def test_an_update_is_stored_taken_and_started_in_one_go_as_store_and_take_then_start_update_would(store):
    link_identity_of(store, 10)
    with store.write() as session:
        save_conversation(session, telegram_user_id=10, state={"flow": "refund"}, expected_version=0, now=NOW)
    with store.write() as session:
        taken, start = store_take_and_start_in(session, 1, 10)
        assert (taken.update_id, taken.chat_id, taken.attempts) == (1, 10, 1)
        assert (start.new, start.rate, start.identity.role, start.conversation) == (True, "ok", "seller",
                                                                                   ConversationState({"flow": "refund"}, 1))
        assert store_take_and_start_in(session, 2, 10) == (None, None)  # stored, and waits for update 1 of its chat: not marked
        assert mark_update_processed(session, update_id=2, processed_at=NOW)
        assert not mark_update_processed(session, update_id=1, processed_at=NOW)  # the take marked it
    with store.write() as session:
        assert store_take_and_start_in(session, 1, 10, worker="other") == (None, None)  # a redelivery held under a lease
        finish_update(session, update_id=1, processed_at=NOW)
    with store.write() as session:  # the redelivery of the one that waited: taken now, its mark was made above
        taken, start = store_take_and_start_in(session, 2, 10)
        assert taken.update_id == 2 and (start.new, start.rate) == (False, None)
    with store.write() as session:  # a chat without identity or conversation; the rate limit refuses the second at once
        taken, start = store_take_and_start_in(session, 3, 30, per_minute=1)
        assert (start.new, start.rate, start.identity, start.conversation) == (True, "ok", None, ConversationState({}, 0))
        finish_update(session, update_id=3, processed_at=NOW)
        taken, start = store_take_and_start_in(session, 4, 30, per_minute=1)
        assert (taken.update_id, start.new, start.rate) == (4, True, "warn")


def test_an_update_taken_too_often_is_taken_but_not_started(store):
    put(store, 1, 10)
    for attempt in range(1, 4):  # each lease ran out: max_attempts is 2
        with store.write() as session:
            taken, start = store_take_and_start_in(session, 1, 10, now=NOW + attempt * (LEASE + timedelta(seconds=1)))
        assert taken.attempts == attempt and (start is not None) == (attempt <= 2)
    with store.write() as session:
        assert mark_update_processed(session, update_id=1, processed_at=NOW) is False  # marked by the first start only


def test_the_handling_finishes_and_queues_its_answer_at_once_unless_a_request_decided_first(store):
    put(store, 1, 10)
    put(store, 2, 10)
    with store.write() as session:
        assert decide_reply_via(session, update_id=2, via="sender") == "sender"  # the request gave up
    keywords = {"chat_id": 10, "text": "Your tier is Gold", "now": NOW, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": []}}
    with store.write() as session:
        via, answered = finish_update_answering(session, update_id=1, processed_at=NOW, dedupe_key="update:1:0", **keywords)
        assert via == "response" and answered is not None
        assert finish_update_answering(session, update_id=2, processed_at=NOW, dedupe_key="update:2:0", **keywords) == ("sender", None)
        assert finish_update_answering(session, update_id=3, processed_at=NOW, dedupe_key="update:3:0", **keywords) == (None, None)
        assert update_state(session, update_id=1, now=NOW, lease=LEASE).processed
        assert update_state(session, update_id=2, now=NOW, lease=LEASE).processed
    with store.write() as session:  # the same key again: the first message's id, as enqueue_answer gives
        assert finish_update_answering(session, update_id=1, processed_at=NOW, dedupe_key="update:1:0", **keywords) == ("response", answered)
    with store.read() as session:
        found = response_message(session, update_id=1)
        assert (found.id, found.chat_id, found.text, found.parse_mode, found.reply_markup) == (
            answered, 10, "Your tier is Gold", "HTML", {"inline_keyboard": []})
        assert response_message(session, update_id=2) is None
        assert outbox_counts(session) == {"sent": 1}
