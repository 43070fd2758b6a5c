"""Receiving updates durably: a Telegram update is stored in the inbox, committed, before anyone acknowledges it."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from telegram import Update

from store import Store, TakenUpdate, store_update
from store.inbox import store_update_locking, take_this_update

from .wake import Wake

MAX_UPDATE_BYTES = 256 * 1024  # a message and the one it replies to are a few 4096-character texts; more is not Telegram


class NotAnUpdate(ValueError):
    """The body is not a Telegram update."""


def parse_update(raw: bytes | str) -> tuple[dict[str, Any], Update]:
    """The JSON object and the parsed Update; NotAnUpdate for anything else."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        update = Update.de_json(data, None)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise NotAnUpdate(str(exc)) from None
    if update is None or not isinstance(update.update_id, int):
        raise NotAnUpdate("no update_id")
    return data, update


def chat_key(update: Update) -> int:
    """The chat whose updates must be handled in order (the person's id when there is no chat; 0 for neither)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else 0


class Receiver:
    """Stores updates in the inbox and wakes this process's workers.

    Updates that arrive while a write is in flight are stored together in the next transaction (a
    group commit): one connection and one commit for a burst, not one each.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.store = store
        self.clock = clock
        self.arrived = Wake()  # set when updates were stored that this process did not take; local workers wait on it
        # Requests waiting for the next transaction: their updates, their future, and for whom to take them (or None).
        self._waiting: list[tuple[list[tuple[Update, str]], asyncio.Future, tuple[str, timedelta] | None]] = []
        self._writer: asyncio.Task | None = None

    def store_now(self, updates: list[tuple[Update, str]]) -> int:
        """Store updates (with their raw JSON) in one committed transaction; returns how many were new."""
        now = self.clock()
        with self.store.write() as session:
            new = sum(store_update(session, update_id=u.update_id, chat_id=chat_key(u), body=body, received_at=now)
                      for u, body in updates)
        self.arrived.set()
        return new

    async def accept(self, updates: list[tuple[Update, str]]) -> int:
        """Store updates durably; when this returns they may be acknowledged to Telegram. Returns how many."""
        await self._queue(updates, None)
        return len(updates)

    async def accept_taking(self, updates: list[tuple[Update, str]], *, worker: str, lease: timedelta) -> list[TakenUpdate | None]:
        """Store updates durably and, in the same transaction, take each for `worker` where it may be handled now
        (store.inbox.take_this_update); the taken ones (or None) in order."""
        return await self._queue(updates, (worker, lease))

    async def _queue(self, updates, taking) -> list[TakenUpdate | None]:
        stored = asyncio.get_running_loop().create_future()
        self._waiting.append((updates, stored, taking))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await stored

    def _store_batch(self, batch) -> list[list[TakenUpdate | None]]:
        if not any(taking for _, _, taking in batch):
            self.store_now([u for updates, _, _ in batch for u in updates])
            return [[None] * len(updates) for updates, _, _ in batch]
        now = self.clock()
        results = []
        with self.store.write() as session:
            locked = {}  # update id -> whether this transaction holds its chat's take lock (store.inbox)
            for updates, _, _ in batch:
                for u, body in updates:
                    _new, locked[u.update_id] = store_update_locking(session, update_id=u.update_id, chat_id=chat_key(u), body=body,
                                                                     received_at=now)
            for updates, _, taking in batch:  # after storing all: an earlier update of a chat in this batch goes first
                results.append([take_this_update(session, update_id=u.update_id, worker=taking[0], now=now, lease=taking[1],
                                                 chat_locked=locked[u.update_id])
                                if taking else None for u, _ in updates])
        if any(taken is None for taken_here in results for taken in taken_here):
            self.arrived.set()  # what was taken is handed to a worker directly
        return results

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await asyncio.to_thread(self._store_batch, batch)
            except Exception as exc:  # none of them is stored: none may be acknowledged
                for _, stored, _ in batch:
                    if not stored.done():
                        stored.set_exception(exc)
            else:
                for (_, stored, _), taken in zip(batch, results):
                    if not stored.done():
                        stored.set_result(taken)
