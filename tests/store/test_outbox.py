"""The outbox: a message per dedupe key, claimed by one sender at a time, marked once, retried with back-off."""
from datetime import datetime, timedelta, timezone

import pytest

from store import StoreError, enqueue, mark_failed, mark_sent, mark_undeliverable, outbox_counts, take_due, take_for_recipient
from store.outbox import MAX_ATTEMPTS, backoff

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def _queue(store, key="k1", **extra):
    with store.write() as session:
        return enqueue(session, chat_id=extra.pop("chat_id", 42), text=extra.pop("text", "Your case was reviewed"),
                       dedupe_key=key, now=NOW, **extra)


def test_the_same_notification_is_queued_once(store):
    first = _queue(store, "case:C1:reviewed")
    again = _queue(store, "case:C1:reviewed", text="something else")
    assert first == again
    with store.read() as session:
        assert outbox_counts(session) == {"pending": 1}


def test_a_message_is_queued_only_if_its_transaction_commits(store):
    with pytest.raises(RuntimeError):
        with store.write() as session:
            enqueue(session, chat_id=1, text="hi", dedupe_key="rolled-back", now=NOW)
            raise RuntimeError("the decision failed")
    with store.read() as session:
        assert outbox_counts(session) == {}


def test_a_claimed_message_is_invisible_to_other_senders_until_its_lease_expires(store):
    _queue(store)
    with store.write() as session:
        [taken] = take_due(session, owner="a", now=NOW)
    assert taken.attempts == 1 and taken.chat_id == 42
    with store.write() as session:
        assert take_due(session, owner="b", now=NOW + timedelta(minutes=1)) == []
    with store.write() as session:  # sender a died: after the lease another sender takes it over
        [again] = take_due(session, owner="b", now=NOW + timedelta(minutes=6))
    assert again.id == taken.id and again.attempts == 2
    with store.write() as session:
        assert not mark_sent(session, message_id=taken.id, owner="a", now=NOW)  # a lost its lease
        assert mark_sent(session, message_id=taken.id, owner="b", now=NOW)
    with store.write() as session:
        assert take_due(session, owner="c", now=NOW + timedelta(days=1)) == []
        assert outbox_counts(session) == {"sent": 1}


def test_a_failed_send_waits_longer_each_time_then_gives_up(store):
    _queue(store)
    at = NOW
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with store.write() as session:
            [taken] = take_due(session, owner="a", now=at)
            assert taken.attempts == attempt
            status = mark_failed(session, message_id=taken.id, owner="a", error="NetworkError: down", now=at)
        if attempt < MAX_ATTEMPTS:
            assert status == "pending"
            with store.write() as session:
                assert take_due(session, owner="a", now=at) == []  # not due yet
            with store.read() as session:
                from store.models import OutboxMessage
                row = session.get(OutboxMessage, taken.id)
                waits.append(row.next_attempt_at - at)
                at = row.next_attempt_at
    assert status == "undeliverable"
    assert all(later > earlier for earlier, later in zip(waits, waits[1:]))
    with store.read() as session:
        assert outbox_counts(session) == {"undeliverable": 1}


def test_retry_after_from_telegram_is_respected(store):
    _queue(store)
    with store.write() as session:
        [taken] = take_due(session, owner="a", now=NOW)
        mark_failed(session, message_id=taken.id, owner="a", error="RetryAfter", now=NOW, retry_after=timedelta(seconds=90))
    with store.write() as session:
        assert take_due(session, owner="a", now=NOW + timedelta(seconds=89)) == []
        assert len(take_due(session, owner="a", now=NOW + timedelta(seconds=91))) == 1


def test_a_person_who_blocked_the_bot_is_not_retried(store):
    _queue(store)
    with store.write() as session:
        [taken] = take_due(session, owner="a", now=NOW)
        assert mark_undeliverable(session, message_id=taken.id, owner="a", error="Forbidden: bot was blocked", now=NOW)
    with store.write() as session:
        assert take_due(session, owner="a", now=NOW + timedelta(days=2)) == []


def test_delayed_messages_wait_for_their_time(store):
    _queue(store, not_before=NOW + timedelta(days=3))
    with store.write() as session:
        assert take_due(session, owner="a", now=NOW + timedelta(days=2)) == []
        assert len(take_due(session, owner="a", now=NOW + timedelta(days=3))) == 1


def test_messages_without_a_chat_wait_for_the_terminal(store):
    _queue(store, "k1", chat_id=None, recipient="buyer:B1")
    _queue(store, "k2", chat_id=None, recipient="buyer:B2")
    with store.write() as session:
        assert take_due(session, owner="telegram", now=NOW) == []
        [mine] = take_for_recipient(session, recipient="buyer:B1", owner="terminal", now=NOW)
        assert mark_sent(session, message_id=mine.id, owner="terminal", now=NOW)
    with store.write() as session:
        assert take_for_recipient(session, recipient="buyer:B1", owner="terminal", now=NOW) == []


@pytest.mark.parametrize("fields, problem", [
    ({"chat_id": None}, "chat id or a recipient"),
    ({"key": ""}, "dedupe key"),
    ({"key": "x" * 201}, "dedupe key"),
    ({"text": ""}, "needs a text"),
])
def test_bad_messages_are_refused(store, fields, problem):
    fields = dict(fields)
    with pytest.raises(StoreError, match=problem):
        _queue(store, fields.pop("key", "k"), **fields)


def test_backoff_doubles_and_is_capped():
    assert backoff(1, jitter=0) == timedelta(seconds=2)
    assert backoff(4, jitter=0) == timedelta(seconds=16)
    assert backoff(40, jitter=0) == timedelta(hours=1)
    assert backoff(1, jitter=1) == timedelta(seconds=2.5)


def test_a_lease_is_renewed_only_by_its_holder(store):
    from datetime import datetime, timedelta, timezone

    from store import enqueue, take_due
    from store.outbox import renew_lease

    now = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
    with store.write() as session:
        enqueue(session, chat_id=1, text="hi", dedupe_key="renew", now=now)
    with store.write() as session:
        [message] = take_due(session, owner="a", now=now, lease=timedelta(seconds=2))
    with store.write() as session:
        assert renew_lease(session, message_id=message.id, owner="a", now=now + timedelta(seconds=1), lease=timedelta(seconds=2))
        assert take_due(session, owner="b", now=now + timedelta(seconds=2.5), lease=timedelta(seconds=2)) == []  # renewed: held
        assert len(take_due(session, owner="b", now=now + timedelta(seconds=4), lease=timedelta(seconds=2))) == 1
        assert not renew_lease(session, message_id=message.id, owner="a", now=now + timedelta(seconds=4))  # b holds it now
