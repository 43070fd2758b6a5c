"""The durable inbox: stored once, taken in chat order under a lease, taken again when the lease runs out,
pruned when processed; and the shared per-person rate limit."""
from __future__ import annotations

import threading
from datetime import timedelta

from store import finish_update, inbox_stats, prune_inbox, prune_rate_limits, rate_check, store_update, take_update

from .data import at

NOW = at("2026-06-01T10:00:00")
LEASE = timedelta(seconds=30)


def put(store, update_id: int, chat_id: int, when=NOW) -> bool:
    with store.write() as session:
        return store_update(session, update_id=update_id, chat_id=chat_id, body=f'{{"update_id": {update_id}}}', received_at=when)


def take(store, worker: str = "w1", now=NOW):
    with store.write() as session:
        return take_update(session, worker=worker, now=now, lease=LEASE)


def finish(store, update_id: int, now=NOW) -> None:
    with store.write() as session:
        finish_update(session, update_id=update_id, processed_at=now)


def test_an_update_is_stored_once(store):
    assert put(store, 1, 10)
    assert not put(store, 1, 10)  # Telegram's retry of an update already stored
    with store.read() as session:
        assert inbox_stats(session).pending == 1


def test_updates_of_one_chat_are_taken_in_order_and_other_chats_in_parallel(store):
    for update_id, chat in ((1, 10), (2, 10), (3, 20), (4, 10)):
        put(store, update_id, chat)
    first = take(store, "w1")
    second = take(store, "w2")
    assert (first.update_id, first.chat_id, first.attempts) == (1, 10, 1)
    assert (second.update_id, second.chat_id) == (3, 20)  # update 2 waits for update 1 of the same chat
    assert take(store, "w3") is None
    finish(store, 1)
    assert take(store, "w3").update_id == 2
    assert take(store, "w4") is None  # 4 waits for 2
    finish(store, 2)
    assert take(store, "w4").update_id == 4


def test_an_update_whose_worker_died_is_taken_again_after_the_lease(store):
    put(store, 1, 10)
    assert take(store, "dead").update_id == 1
    assert take(store, "w2", now=NOW + LEASE - timedelta(seconds=1)) is None
    again = take(store, "w2", now=NOW + LEASE + timedelta(seconds=1))
    assert (again.update_id, again.attempts) == (1, 2)
    finish(store, 1, now=NOW + LEASE + timedelta(seconds=2))
    assert take(store, "w3", now=NOW + 3 * LEASE) is None


def test_concurrent_workers_never_take_the_same_update(store):
    for update_id in range(1, 41):
        put(store, update_id, update_id % 8)
    taken, lock = [], threading.Lock()

    def work(name):
        while True:
            item = take(store, name)
            if item is None:
                with store.read() as session:
                    if inbox_stats(session).pending == 0:
                        return
                continue
            with lock:
                taken.append(item.update_id)
            finish(store, item.update_id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(taken) == list(range(1, 41))


def test_stats_and_pruning_keep_the_inbox_bounded(store):
    put(store, 1, 10, when=NOW - timedelta(minutes=5))
    put(store, 2, 20, when=NOW)
    with store.read() as session:
        stats = inbox_stats(session)
    assert stats.pending == 2 and stats.oldest_received_at == NOW - timedelta(minutes=5)
    finish(store, take(store).update_id, now=NOW - timedelta(days=3))
    with store.write() as session:
        assert prune_inbox(session, before=NOW - timedelta(days=2)) == 1
        assert prune_inbox(session, before=NOW - timedelta(days=2)) == 0
    with store.read() as session:
        assert inbox_stats(session).pending == 1


def check(store, user: int, now: float, per_minute: int = 3) -> str:
    with store.write() as session:
        return rate_check(session, telegram_user_id=user, now=now, per_minute=per_minute)


def test_the_rate_limit_allows_a_burst_then_warns_once_then_drops(store):
    t = 1_800_000_000.0
    assert [check(store, 1, t) for _ in range(5)] == ["ok", "ok", "ok", "warn", "drop"]
    assert check(store, 2, t) == "ok"  # per person
    assert check(store, 1, t + 20.5) == "ok"  # one interval later, one more message
    assert check(store, 1, t + 20.5) == "warn"
    assert [check(store, 1, t + 81) for _ in range(4)] == ["ok", "ok", "ok", "warn"]


def test_the_rate_limit_is_shared_by_concurrent_workers(store):
    t = 1_800_000_000.0
    results, lock = [], threading.Lock()

    def work():
        for _ in range(5):
            verdict = check(store, 7, t, per_minute=10)
            with lock:
                results.append(verdict)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results.count("ok") == 10 and results.count("warn") == 1 and results.count("drop") == 9


def test_idle_rate_limits_are_pruned(store):
    t = 1_800_000_000.0
    check(store, 1, t)
    with store.write() as session:
        assert prune_rate_limits(session, now=t) == 0
        assert prune_rate_limits(session, now=t + 60) == 1


def test_sent_and_undeliverable_messages_are_pruned_pending_ones_kept(store):
    from store import enqueue, mark_sent, prune_outbox, take_due

    with store.write() as session:
        for key in ("a", "b"):
            enqueue(session, chat_id=1, text=key, dedupe_key=key, now=NOW - timedelta(days=3))
    with store.write() as session:
        [first, _second] = take_due(session, owner="s", now=NOW, limit=2)
        mark_sent(session, message_id=first.id, owner="s", now=NOW)
    with store.write() as session:
        assert prune_outbox(session, before=NOW - timedelta(days=2)) == 1
        assert prune_outbox(session, before=NOW) == 0  # the other one is still on its way


def test_sqlite_writers_of_one_process_take_turns_in_arrival_order(tmp_path):
    from store import open_store

    opened = open_store(f"sqlite:///{tmp_path}/turns.sqlite3")
    order, started = [], []
    try:
        with opened.write():  # hold the turn while four threads line up
            threads = []
            for n in range(4):
                def work(n=n):
                    started.append(n)
                    with opened.write():
                        order.append(n)
                thread = threading.Thread(target=work)
                thread.start()
                threads.append(thread)
                while len(started) <= n or not opened._write_turn._next > n + 1:
                    pass  # wait until this thread holds its ticket before starting the next
        for thread in threads:
            thread.join()
    finally:
        opened.close()
    assert order == [0, 1, 2, 3]
