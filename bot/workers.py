"""A pool of worker threads that take updates from the inbox and handle each exactly once.

Each worker takes one update under a lease (a short committed transaction), turns it into an
Incoming, and lets the chat service handle it; the service's handling transaction also marks the
update processed in the inbox and hands the replies to the delivery (the outbox). A worker that
dies leaves the lease to run out and the update is taken again; the processed-update mark makes
the second handling a no-op if the first one committed.

An update a webhook request hands over before storing it (bot.wake.Fresh) is stored, taken and handled in one
transaction, one commit: if it may not be handled now, only stored; if the handling fails, rolled back as a
whole, and the request stores it and has it handled the usual way. Either way nothing is acknowledged before a
commit that stored it.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from sqlalchemy.orm import Session
from telegram import Update

from store import StaleState, Store, TakenUpdate, finish_update, take_update
from store.inbox import finish_update_answering, store_and_take, store_take_and_start

from . import metrics
from .messages import Reply
from .receiver import plain_text
from .service import GROUP_CHATS, ChatService
from .telegram_app import incoming_of, settled
from .wake import Fresh, Wake

log = logging.getLogger("refundbot.workers")

MAX_ATTEMPTS = 5  # an update that killed this many workers is set aside, not retried forever
IDLE_WAIT = 0.2  # seconds between looks at an empty inbox (updates stored by this process wake workers at once)
MAX_BACKOFF = 30.0


class Delivery(Protocol):
    """Where replies go: written in the handling transaction, sent after it commits."""

    def enqueue(self, session: Session, *, update_id: int, chat_id: int, replies: list[Reply],
                edit: tuple[int, int, str] | None = None) -> Any:
        """Record the replies (and the edit of a pressed button's message) in the handling transaction;
        returns what `committed` needs."""

    def committed(self, queued: Any) -> None:
        """The handling transaction committed: send what it queued."""


def worker_name() -> str:
    """host:pid, to tell in the inbox and the outbox which process holds a lease (fits their 64 characters)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


class WorkerPool:
    """`threads` workers over one store; `wake()` when an update was stored by this process."""

    def __init__(self, store: Store, service: ChatService, delivery: Delivery, *, threads: int, lease: timedelta,
                 bot_username: Callable[[], str | None] = lambda: None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), wake: Wake | None = None):
        self.store, self.service, self.delivery = store, service, delivery
        self.threads, self.lease, self.clock = threads, lease, clock
        self.bot_username = bot_username
        self.arrived = wake or Wake()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.name = worker_name()

    def start(self) -> None:
        """Start the worker threads."""
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, args=(f"{self.name}/{n}",), name=f"refundbot-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, taken: TakenUpdate | Fresh) -> None:
        """Handle an update this process already took, or one it received and did not store yet (the webhook's,
        whose request waits), before any other."""
        self.arrived.hand(taken)

    def offer(self, fresh: Fresh) -> bool:
        """Hand a received update, not stored yet, to an idle worker to store and handle in one transaction; False if
        no worker is idle (the request then stores it itself)."""
        return self.arrived.offer(fresh)

    def withdraw(self, fresh: Fresh) -> bool:
        """Take back a received update no worker started on (its request stores it itself); False if one did."""
        return self.arrived.withdraw(fresh)

    def stop(self, timeout: float = 10.0) -> None:
        """Let each worker finish the update in hand, then stop."""
        self._stop.set()
        self.arrived.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        while (left := self.arrived.handed()) is not None:
            if isinstance(left, Fresh):  # not stored: its request stores it itself (or answers 503)
                left.settle("failed")

    def _run(self, worker: str) -> None:
        backoff = 0.5
        look = True  # in the inbox: at the start, when woken for it, after an update from it, and every IDLE_WAIT
        while not self._stop.is_set():
            try:
                taken, from_inbox = self._next_handed(), False
                if taken is None and (look or self.arrived.is_set()):
                    self.arrived.clear()  # before looking: an update stored during the look wakes the wait below
                    taken = self.take(worker)
                    from_inbox = taken is not None
                if taken is None:
                    look = self.arrived.wait(IDLE_WAIT) != "handed"
                    continue
                look = from_inbox  # after a handed-over update, the next is likely handed over too
                if isinstance(taken, Fresh):
                    self.store_and_handle(taken, worker)
                else:
                    self.handle(taken)
                backoff = 0.5
            except Exception as exc:  # the database is away: say so once a try, wait, try again
                log.error("worker %s: %s; retrying in %.1f s", worker, str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                          backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _next_handed(self) -> TakenUpdate | None:
        return self.arrived.handed()

    def take(self, worker: str) -> TakenUpdate | None:
        """Take the next update under a lease, in its own committed transaction."""
        # Not waiting for the disk: a lease lost to a power cut only lets the update be taken again, and the
        # handling transaction's durable commit covers this one too.
        with self.store.write(durable=False) as session:
            return take_update(session, worker=worker, now=self.clock(), lease=self.lease)

    def _read(self, taken: TakenUpdate | Fresh, update: Update | None = None):
        """The update (`update`, or parsed from its body) as an Incoming (None if it cannot be read) and the edit of
        a pressed button's message."""
        incoming, edit = None, None
        try:
            if update is None:
                data = json.loads(taken.body)
                update = plain_text(data) or Update.de_json(data, None)
            incoming = incoming_of(update, self.bot_username())
            if incoming is not None and update.callback_query is not None and incoming.chat_type not in GROUP_CHATS:
                edit = settled(update.callback_query)  # the pressed message shows the answer chosen, its keyboard goes
        except Exception:
            log.exception("update %s %s cannot be read; setting it aside", taken.update_id,
                          "received" if isinstance(taken, Fresh) else "in the inbox")
        return incoming, edit

    def handle(self, taken: TakenUpdate) -> None:
        """Handle one taken update; its replies are delivered after the handling transaction commits."""
        incoming, edit = self._read(taken)
        if incoming is None or taken.attempts > MAX_ATTEMPTS:
            if incoming is not None:
                log.error("update %s was taken %s times without finishing; setting it aside", taken.update_id, taken.attempts)
            with self.store.write() as session:
                finish_update(session, update_id=taken.update_id, processed_at=self.clock())
            return
        queued: list[Any] = []
        self.service.handle(incoming, finish=self._finisher(taken, incoming.chat_id, edit, queued))
        self.delivery.committed(queued[0])

    def store_and_handle(self, fresh: Fresh, worker: str) -> None:
        """Store a webhook's update and, if it may be handled now, handle it in the same transaction; tell its request
        how it went (bot.wake.Fresh), and deliver the replies after the commit."""
        queued: list[Any] = []
        observe = None
        outcome = "failed"
        try:
            incoming, edit = self._read(fresh, fresh.update)
            with self.store.write() as session:
                if incoming is None:
                    taken = store_and_take(session, update_id=fresh.update_id, chat_id=fresh.chat_id, body=fresh.body,
                                           received_at=fresh.received_at, worker=worker, now=self.clock(), lease=self.lease)
                    if taken is not None:
                        finish_update(session, update_id=taken.update_id, processed_at=self.clock())
                else:
                    # The take and the start of the handling (processed mark, rate limit, chat) in one statement on PostgreSQL.
                    now = self.service.clock()
                    start = self.service.start_keywords(incoming, now)
                    taken, started = store_take_and_start(
                        session, update_id=fresh.update_id, chat_id=fresh.chat_id, body=fresh.body, received_at=fresh.received_at,
                        worker=worker, now=self.clock(), lease=self.lease, max_attempts=MAX_ATTEMPTS,
                        telegram_user_id=start["telegram_user_id"], processed_at=now, rate_now=start["now"], per_minute=start["per_minute"])
                    if taken is not None and started is None:
                        log.error("update %s was taken %s times without finishing; setting it aside", taken.update_id, taken.attempts)
                        finish_update(session, update_id=taken.update_id, processed_at=self.clock())
                    elif taken is not None:
                        observe = self.service.handle_in(session, incoming, finish=self._finisher(taken, incoming.chat_id, edit, queued),
                                                         start=started, now=now)
            outcome = "stored" if taken is None else "handled"
        except Exception as exc:  # rolled back, nothing stored: the request stores it, and it is handled on its own
            stale = isinstance(exc, StaleState)
            log.log(logging.INFO if stale else logging.WARNING, "update %s could not be stored and handled at once (%s%s); "
                    "handling it on its own", fresh.update_id, "stale state: " if stale else "",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            metrics.observe_retry("stale_state" if stale else "on_its_own")
        try:
            if outcome == "stored":
                self.arrived.set()  # like any update stored and not taken: whoever may take it first
            elif outcome == "handled":
                if observe is not None:
                    observe()
                if queued:
                    self.delivery.committed(queued[0])
        finally:
            fresh.settle(outcome)

    def _finisher(self, taken: TakenUpdate, chat_id: int, edit, queued: list[Any]):
        """What the handling transaction runs last: the inbox mark, how the reply leaves, the replies queued."""

        def finish(session: Session, replies: list[Reply]) -> None:
            answer_message = getattr(self.delivery, "answer_message", None)
            answer = answer_message(replies, update_id=taken.update_id, chat_id=chat_id) if answer_message is not None else None
            if answer is not None:  # the reply may ride in the webhook response: queued so with the inbox mark if it does
                via, answered = finish_update_answering(session, update_id=taken.update_id, processed_at=self.clock(), **answer)
                answering = {"in_response": True, "answered": answered} if via == "response" else {}
            else:
                finish_update(session, update_id=taken.update_id, processed_at=self.clock())
                answering = {}
            # The last transaction that ran this is the one that committed.
            queued[:] = [self.delivery.enqueue(session, update_id=taken.update_id, chat_id=chat_id, replies=replies, edit=edit,
                                               **answering)]

        return finish


def wait_until_drained(store: Store, *, timeout: float, poll: float = 0.05) -> bool:
    """True once the inbox has nothing pending (for tests and benchmarks)."""
    from store import inbox_stats

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.read() as session:
            if inbox_stats(session).pending == 0:
                return True
        time.sleep(poll)
    return False
