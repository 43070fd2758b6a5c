"""Replies in the webhook response: the one exactly-once path Telegram offers.

A webhook's 2xx response may carry one Bot API method, which Telegram executes if and only if it
accepts that 2xx; it sends an update again and again until it gets one. So a reply that rides in
the response to its update is delivered exactly once, where a separate sendMessage is not (the Bot
API has no idempotency key, and a process can die after Telegram took a message and before the
outbox recorded it).

For each request the webhook hands the update to an idle worker of this process, which stores it and, in
the same transaction, handles it when it may be handled now (no earlier update of the chat pending, nobody
holding it): one commit for both (bot.workers). If it may not, that transaction only stores it. If the
handling fails, or no worker is idle (under load the receiver stores the updates of concurrent requests in
one transaction, a group commit), the request stores it (and takes it for the workers when it can) in a
transaction of its own. Either way the request then waits for the update to be handled, up to `within`
seconds, and answers nothing before a commit stored the update. The handling transaction decides, once per
update (store.inbox.finish_update_replying), that the first plain text reply goes in the response and
queues that text as delivered for the update (store.outbox.enqueue_answer), so no sender
ever sends it. Every 2xx for the update carries it: the request that waited, and any redelivery
after a crash, which finds the update handled and answers with the same method. A request that
gives up first decides "sender" and answers a bare 200; the replies then go through the outbox
sender (at least once), as do the update's other messages, files and notifications to others.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

from telegram import Update

from store import Outgoing, Store, TakenUpdate
from store.inbox import decide_reply_via, take_this_update, update_state
from store.outbox import response_message

from .receiver import chat_key
from .sender import MAX_MESSAGE
from .wake import Fresh

log = logging.getLogger("refundbot.answers")

LOOK_EVERY = 0.1  # seconds between looks at the store for an update this process does not hold
LOOK_HELD_EVERY = 1.0  # and for one it holds (its workers tell it when it is handled)
LOOK = object()  # a slot's result that says: handled here, read the answer from the store


def send_message(chat_id: int, text: str, parse_mode: str | None, reply_markup: Mapping[str, Any] | None) -> dict[str, Any]:
    """A sendMessage as a webhook response carries it."""
    method: dict[str, Any] = {"method": "sendMessage", "chat_id": chat_id, "text": text}
    if parse_mode:
        method["parse_mode"] = parse_mode
    if reply_markup:
        method["reply_markup"] = dict(reply_markup)
    return method


def answerable(text: str, photo: str | None) -> bool:
    """Whether a reply's text can ride in a webhook response: one sendMessage (no photo to fetch and show
    again, not longer than one message)."""
    return bool(text) and not photo and len(text) <= MAX_MESSAGE


def method_of(message: Outgoing) -> dict[str, Any] | None:
    """The message as one Bot API method for a webhook response, or None when it is not a single sendMessage
    (an edit, a file to upload, a photo to fetch again, a command menu, a text longer than one message)."""
    if (message.chat_id is None or message.edit_message_id is not None or message.file is not None or message.menu is not None
            or message.document or not answerable(message.text, message.photo)):
        return None
    return send_message(message.chat_id, message.text, message.parse_mode, message.reply_markup)


class Unavailable(Exception):
    """The update could not be stored, or its state read: answer a 5xx, and Telegram sends it again."""


@dataclass
class Slot:
    """Requests of this process waiting for one update: `handled` gets the method (or None) once it is handled,
    `written` is set when a response carrying the method has been written."""

    handled: asyncio.Future
    written: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0


@dataclass(frozen=True)
class Answer:
    """What the webhook answers: the method to carry (None for a bare 200)."""

    method: dict[str, Any] | None


class WebhookAnswerer:
    """Stores an update, gets it handled and answers with its reply; one per process, used in its event loop."""

    def __init__(self, store: Store, receiver, *, submit: Callable[[TakenUpdate | Fresh], None], worker: str, lease: timedelta,
                 within: float, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 offer: Callable[[Fresh], bool] | None = None, withdraw: Callable[[Fresh], bool] | None = None):
        """`submit` hands an update this process took to its workers; with `offer` (to an idle worker, False if none)
        and `withdraw` (taking back one no worker started on) an update not stored yet goes to a worker that stores
        and handles it in one transaction (bot.wake.Fresh); otherwise, or when no worker is idle, the receiver
        stores it (with the other requests' updates of the moment, in one transaction)."""
        self.store, self.receiver, self.submit, self.worker = store, receiver, submit, worker
        self.lease, self.within, self.clock, self.offer, self.withdraw = lease, within, clock, offer, withdraw
        self._slots: dict[int, Slot] = {}

    def slot(self, update_id: int) -> Slot | None:
        """The slot of requests waiting for the update here, if any."""
        return self._slots.get(update_id)

    def handled(self, update_id: int, method: dict[str, Any] | None) -> None:
        """A handling of the update committed here; `method` is the reply it put in the response, if any."""
        slot = self._slots.get(update_id)
        if slot is not None and not slot.handled.done():
            # Without a method the store decides: this may have been a second handling, a no-op, of an update whose
            # first handling (after a lease ran out) put its reply in the response.
            slot.handled.set_result(method if method is not None else LOOK)

    async def answer(self, update: Update, raw: str) -> Answer:
        """Store the update, then wait (at most `within` seconds) for it to be handled: the answer to give Telegram."""
        loop = asyncio.get_running_loop()
        update_id = update.update_id
        # Registered before the update is stored: a worker may handle it before this coroutine runs again.
        slot = self._slots.get(update_id) or Slot(loop.create_future())
        self._slots[update_id] = slot
        slot.waiting += 1
        try:
            deadline = loop.time() + self.within
            if self.offer is not None and self.withdraw is not None:
                outcome = await self._store_and_handle(update, raw, deadline)
                if outcome not in ("failed", "busy"):
                    return await self._wait(update_id, slot, held=outcome == "handled", deadline=deadline)
            try:
                [taken] = await self.receiver.accept_taking([(update, raw)], worker=self.worker, lease=self.lease)
            except Exception as exc:
                raise Unavailable(f"cannot store update {update_id}: {exc}") from exc
            if taken is not None:
                self.submit(taken)
            return await self._wait(update_id, slot, held=taken is not None, deadline=deadline)
        finally:
            slot.waiting -= 1
            if slot.waiting == 0 and self._slots.get(update_id) is slot:
                # Kept until the response is written: the update's later messages wait for it (see bot.node).
                loop.call_later(self.within, lambda: self._slots.pop(update_id, None) if self._slots.get(update_id) is slot
                                and slot.waiting == 0 else None)

    async def _store_and_handle(self, update: Update, raw: str, deadline: float) -> str:
        """Hand the update to an idle worker that stores it and handles it in one transaction (bot.wake.Fresh):
        "handled", "stored", "busy" (no worker idle: not handed over) or "failed" when nothing was stored (the handling
        failed, or no worker started on it in time)."""
        loop = asyncio.get_running_loop()
        settled: asyncio.Future = loop.create_future()

        def settle(outcome: str) -> None:  # from the worker's thread
            loop.call_soon_threadsafe(lambda: settled.done() or settled.set_result(outcome))

        fresh = Fresh(update.update_id, chat_key(update), raw, self.clock(), settle, update)
        if not self.offer(fresh):
            return "busy"
        try:  # an idle worker was woken for it: it starts at once, unless it was just stopping
            return await asyncio.wait_for(asyncio.shield(settled), max(deadline - loop.time(), 0) / 2)
        except asyncio.TimeoutError:
            if self.withdraw(fresh):
                return "failed"  # no worker started on it: the request stores it
        try:  # a worker is storing and handling it: nothing may be answered before that commits
            return await asyncio.wait_for(settled, max(deadline - loop.time(), 0))
        except asyncio.TimeoutError:
            raise Unavailable(f"update {update.update_id} was not stored within {self.within:.1f} s") from None

    async def _wait(self, update_id: int, slot: Slot, *, held: bool, deadline: float) -> Answer:
        loop = asyncio.get_running_loop()
        told = False  # this process handled it without an answer: only the store can say
        while (remaining := deadline - loop.time()) > 0:
            if not told:
                try:
                    method = await asyncio.wait_for(asyncio.shield(slot.handled), min(remaining, LOOK_HELD_EVERY if held else LOOK_EVERY))
                    if method is not LOOK:
                        return Answer(method)
                    told = True
                except asyncio.TimeoutError:
                    pass
            looked = await self._look(update_id, take=not held)  # what this process holds, its workers will handle
            if isinstance(looked, Answer):
                return looked
            if looked is not None:  # taken now: an earlier update of the chat was handled, or a dead worker's lease ran out
                held = True
                self.submit(looked)
            if told:
                await asyncio.sleep(min(max(deadline - loop.time(), 0), LOOK_EVERY))
        return await self._give_up(update_id)

    async def _look(self, update_id: int, *, take: bool) -> Answer | TakenUpdate | None:
        """The answer if the update is handled (anywhere), else (with `take`) the update if this process could take it now."""
        def look():
            now = self.clock()
            with self.store.read() as session:
                state = update_state(session, update_id=update_id, now=now, lease=self.lease)
                if state is not None and state.processed:
                    return Answer(self._method(session, update_id, state.reply_via))
                if state is None or state.held or not take:
                    return None
            with self.store.write() as session:
                return take_this_update(session, update_id=update_id, worker=self.worker, now=now, lease=self.lease)

        try:
            return await asyncio.to_thread(look)
        except Exception as exc:  # the database is away: look again, or give up at the deadline
            log.warning("could not look at update %s: %s", update_id, exc)
            return None

    async def _give_up(self, update_id: int) -> Answer:
        """No handling in time: decide that the reply goes through the sender, unless the handling decided first."""
        def decide():
            with self.store.write() as session:
                via = decide_reply_via(session, update_id=update_id, via="sender")
                return Answer(self._method(session, update_id, via))

        try:
            answer = await asyncio.to_thread(decide)
        except Exception as exc:
            raise Unavailable(f"cannot settle update {update_id}: {exc}") from exc
        if answer.method is None:
            log.info("update %s not handled within %.1f s; its replies go through the outbox sender", update_id, self.within)
        return answer

    @staticmethod
    def _method(session, update_id: int, via: str | None) -> dict[str, Any] | None:
        if via != "response":
            return None
        message = response_message(session, update_id=update_id)
        if message is None:  # cannot be: the handling transaction writes both
            raise Unavailable(f"update {update_id} answers in its response but carries no message")
        return method_of(message)
