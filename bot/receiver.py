"""Receiving updates durably: a Telegram update is stored in the inbox, committed, before anyone acknowledges it."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from telegram import Update
from telegram.constants import ChatType

from store import Store, TakenUpdate, store_update
from store.inbox import store_update_locking, take_this_update

from .wake import Wake

MAX_UPDATE_BYTES = 256 * 1024  # a message and the one it replies to are a few 4096-character texts; more is not Telegram


class NotAnUpdate(ValueError):
    """The body is not a Telegram update."""


def parse_update(raw: bytes | str) -> tuple[dict[str, Any], Update | PlainText]:
    """The JSON object and the parsed Update (a PlainText for the plain text messages it reads); NotAnUpdate for
    anything else."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        plain = plain_text(data)
        if plain is not None:
            return data, plain
        update = Update.de_json(data, None)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise NotAnUpdate(str(exc)) from None
    if update is None or not isinstance(update.update_id, int):
        raise NotAnUpdate("no update_id")
    return data, update


# Most updates a bot gets are a person's text message (a command, an answer). python-telegram-bot sets ~200 attributes
# of objects for one (about 0.25 ms, in the event loop); a PlainText holds what the webhook, chat_key and incoming_of
# read of it. Only a message of exactly this shape is read so (fields python-telegram-bot accepts, of the types it
# keeps as they are; the chat type as its ChatType); anything else, or any other field, goes to Update.de_json
# (tests/bot/test_plain_text.py checks that both read the same).

@dataclass(frozen=True)
class PlainUser:
    """The sender of a PlainText: what incoming_of reads of telegram.User."""

    id: int
    is_bot: bool
    language_code: str | None


@dataclass(frozen=True)
class PlainChat:
    """The chat of a PlainText: what chat_key and incoming_of read of telegram.Chat."""

    id: int
    type: str


@dataclass(frozen=True)
class PlainMessage:
    """The message of a PlainText: what incoming_of reads of telegram.Message (no photo, no caption)."""

    text: str
    chat: PlainChat
    from_user: PlainUser
    photo: tuple = ()
    caption: None = None


@dataclass(frozen=True)
class PlainText:
    """An update with a person's text message, read without python-telegram-bot: what the webhook, chat_key and
    incoming_of read of telegram.Update for it."""

    update_id: int
    message: PlainMessage
    callback_query: None = None

    @property
    def effective_user(self) -> PlainUser:
        return self.message.from_user

    @property
    def effective_chat(self) -> PlainChat:
        return self.message.chat

    @property
    def effective_message(self) -> PlainMessage:
        return self.message


_MESSAGE_FIELDS = {"message_id", "date", "chat", "from", "text", "entities"}
_CHAT_TEXT_FIELDS = {"first_name", "last_name", "username", "title"}
_USER_TEXT_FIELDS = {"first_name", "last_name", "username", "language_code"}
_ENTITY_FIELDS = {"type": str, "offset": int, "length": int}
_LAST_DATE = 253402300799  # 9999-12-31T23:59:59Z: python-telegram-bot turns a date into a datetime


def _int(value) -> bool:
    return type(value) is int


def _texts(data: dict, keys: set[str]) -> bool:
    return all(type(data[key]) is str for key in keys)


def plain_text(data: dict[str, Any]) -> PlainText | None:
    """The update as a PlainText if it is a text message of the shape read so, else None."""
    message = data.get("message")
    if data.keys() != {"update_id", "message"} or not _int(data["update_id"]) or type(message) is not dict:
        return None
    if not message.keys() <= _MESSAGE_FIELDS or not {"message_id", "date", "chat", "from", "text"} <= message.keys():
        return None
    chat, user, text, date = message["chat"], message["from"], message["text"], message["date"]
    if not (_int(message["message_id"]) and _int(date) and 0 <= date <= _LAST_DATE and type(text) is str and text):
        return None
    if type(chat) is not dict or not chat.keys() - {"id", "type"} <= _CHAT_TEXT_FIELDS or not {"id", "type"} <= chat.keys():
        return None
    if not (_int(chat["id"]) and chat["type"] in ("private", "group", "supergroup") and _texts(chat, chat.keys() - {"id", "type"})):
        return None
    if type(user) is not dict or not user.keys() - {"id", "is_bot"} <= _USER_TEXT_FIELDS or not {"id", "is_bot", "first_name"} <= user.keys():
        return None
    if not (_int(user["id"]) and type(user["is_bot"]) is bool and _texts(user, user.keys() - {"id", "is_bot"})):
        return None
    entities = message.get("entities", [])
    if type(entities) is not list or not all(type(e) is dict and e.keys() == _ENTITY_FIELDS.keys()
                                             and all(type(e[k]) is t for k, t in _ENTITY_FIELDS.items()) for e in entities):
        return None
    return PlainText(data["update_id"], PlainMessage(text, PlainChat(chat["id"], ChatType(chat["type"])),
                                                     PlainUser(user["id"], user["is_bot"], user.get("language_code"))))


def chat_key(update: Update | PlainText) -> int:
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
