"""Concurrent writers: SQLite queues them instead of failing with "database is locked", and a
refund is recorded once however many requests race for it."""
import multiprocessing
import threading
from datetime import datetime, timezone


from store import RefundRequestExists, load_conversation, open_store, record_refund_request, save_conversation

from .data import at, buyer, item, load, order, product, seller
from .test_requests import refund_decision

WRITERS, WRITES = 4, 40


def _count_up(url: str, user: int) -> None:
    """Read-modify-write one counter WRITES times, each in its own write transaction."""
    opened = open_store(url)
    try:
        for _ in range(WRITES):
            with opened.write() as session:
                current = load_conversation(session, telegram_user_id=user)
                save_conversation(session, telegram_user_id=user, state={"n": current.state.get("n", 0) + 1},
                                  expected_version=current.version, now=datetime.now(timezone.utc))
    finally:
        opened.close()


def test_sqlite_writer_processes_never_hit_database_is_locked(tmp_path):
    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    open_store(url).close()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_count_up, args=(url, 1)) for _ in range(WRITERS)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
    assert [p.exitcode for p in processes] == [0] * WRITERS
    opened = open_store(url)
    with opened.read() as session:
        state = load_conversation(session, telegram_user_id=1)
    opened.close()
    assert (state.state, state.version) == ({"n": WRITERS * WRITES}, WRITERS * WRITES)


def test_writer_threads_share_one_store(store):
    errors = []

    def work():
        for _ in range(WRITES // 2):
            try:
                with store.write() as session:
                    current = load_conversation(session, telegram_user_id=2)
                    save_conversation(session, telegram_user_id=2, state={}, expected_version=current.version,
                                      now=datetime.now(timezone.utc))
            except Exception as exc:  # collected so the assertion shows it
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(WRITERS)]
    [t.start() for t in threads]
    [t.join(120) for t in threads]
    if store.dialect == "postgresql":
        # READ COMMITTED lets two transactions read the same version; the loser gets StaleState, never a lost update.
        assert all(type(e).__name__ == "StaleState" for e in errors)
    else:
        assert errors == []
    with store.read() as session:
        assert load_conversation(session, telegram_user_id=2).version == WRITERS * (WRITES // 2) - len(errors)


def test_racing_refund_requests_record_one_refund(store):
    load(store, [seller("S1"), buyer("B1"), product("P1", "S1"),
                 order("O1", "B1", "S1", "2026-05-01", [item("I1", "P1")], delivered="2026-05-03")])
    results, barrier = [], threading.Barrier(WRITERS)

    def ask():
        barrier.wait()
        try:
            with store.write() as session:
                results.append(record_refund_request(session, order_item_id="I1", reason="defective", condition="used",
                                                     requested_at=at("2026-06-01"), decision=refund_decision(),
                                                     prepaid_label=True))
        except RefundRequestExists as exc:
            results.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(WRITERS)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, RefundRequestExists)]
    assert (len(won), len(lost)) == (1, WRITERS - 1)
    assert {e.decision_id for e in lost} == {won[0].decision_id}
