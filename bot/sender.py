"""The outbox sender: claims due messages from the store, delivers them through the Bot API, marks each.

Any number of senders (threads of one bot, or separate `refundbot outbox send` processes) can run
against one database: each claim is a lease (see store/outbox.py), so a message is sent by one
sender only. Telegram's limits are kept by python-telegram-bot's AIORateLimiter on the bot
(30 messages a second overall, 20 a minute per group); a RetryAfter from Telegram delays the
message by what Telegram asked for. A person who blocked the bot (Forbidden), or a chat that no
longer exists, makes the message undeliverable rather than retried forever; network errors and
timeouts are retried with back-off (a timeout is ambiguous: Telegram may have delivered, which is
the at-least-once edge documented in store/outbox.py).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import warnings
from datetime import datetime, timedelta, timezone
from typing import Callable

from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from store import Outgoing, Store, mark_failed, mark_sent, mark_undeliverable, take_due
from store.outbox import LEASE, renew_lease

from .charts import drawn, is_recipe

log = logging.getLogger("refundbot.sender")

MAX_MESSAGE = 4096
BATCH = 50
IDLE_SECONDS = 1.0
CONNECTIONS = 8  # concurrent Bot API requests (PTB's default pool has one connection)


def rate_limited_bot(token: str, *, base_url: str, base_file_url: str | None = None,
                     overall_max_rate: float = 30, request=None) -> ExtBot:
    """A Bot API client whose sends go through python-telegram-bot's AIORateLimiter."""
    files = base_file_url or base_url.replace("/bot", "/file/bot")
    request = request or HTTPXRequest(connection_pool_size=CONNECTIONS)
    return ExtBot(token, base_url=base_url, base_file_url=files, request=request,
                  rate_limiter=AIORateLimiter(overall_max_rate=overall_max_rate))


def chunks(text: str, size: int = MAX_MESSAGE) -> list[str]:
    """Split a text into Telegram-sized messages, at line breaks where possible."""
    parts = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return parts + [text]


def _retry_after(error: RetryAfter) -> timedelta:
    with warnings.catch_warnings():  # PTB 22.2+ warns that retry_after will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class _LeaseLost(Exception):
    """The message's lease ran out while it was prepared, and another sender took it."""


class OutboxSender:
    """Delivers the outbox with one Bot; `owner` names this sender in the leases it takes."""

    def __init__(self, store: Store, bot: Bot, *, owner: str | None = None, batch: int = BATCH,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), lease: timedelta = LEASE):
        self.store = store
        self.bot = bot
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.batch = batch
        self.clock = clock
        self.lease = lease
        self.sent = 0

    def _take(self) -> list[Outgoing]:
        with self.store.write() as session:
            return take_due(session, owner=self.owner, now=self.clock(), limit=self.batch, lease=self.lease)

    def _record(self, message: Outgoing, error: Exception | None) -> str:
        now = self.clock()
        with self.store.write() as session:
            if error is None:
                return "sent" if mark_sent(session, message_id=message.id, owner=self.owner, now=now) else "lost"
            text = f"{type(error).__name__}: {error}"
            if isinstance(error, (Forbidden, BadRequest, InvalidToken)) and not isinstance(error, ChatMigrated):
                gone = mark_undeliverable(session, message_id=message.id, owner=self.owner, error=text, now=now)
                return "undeliverable" if gone else "lost"
            retry = _retry_after(error) if isinstance(error, RetryAfter) else None
            return mark_failed(session, message_id=message.id, owner=self.owner, error=text, now=now, retry_after=retry) or "lost"

    async def _send(self, message: Outgoing) -> None:
        markup = InlineKeyboardMarkup.de_json(dict(message.reply_markup), self.bot) if message.reply_markup else None
        if message.edit_message_id is not None:  # the pressed message: shows the answer chosen, loses its keyboard
            if message.text:
                await self.bot.edit_message_text(message.text, chat_id=message.chat_id, message_id=message.edit_message_id,
                                                 parse_mode=message.parse_mode, reply_markup=markup)
            else:
                await self.bot.edit_message_reply_markup(chat_id=message.chat_id, message_id=message.edit_message_id,
                                                         reply_markup=markup)
            return
        if message.file is not None:
            content = message.file.content
            if is_recipe(content):  # a chart: drawn here, after the transaction that queued it (bot.charts)
                content = await asyncio.to_thread(drawn, content)
                # Drawing takes a while: send only if the lease still holds (else another sender has taken it over).
                if not await asyncio.to_thread(self._renew, message):
                    raise _LeaseLost()
            upload = InputFile(content, filename=message.file.name)
            send = self.bot.send_photo if message.file.kind == "photo" else self.bot.send_document
            await send(message.chat_id, upload, caption=message.text or None, parse_mode=message.parse_mode if message.text else None)
            return
        if message.menu is not None:
            from .menu import menu  # the command tables, imported when a menu is sent

            commands = [BotCommand(name, description) for name, description in menu(message.menu.get("role"), message.menu["lang"])]
            await self.bot.set_my_commands(commands, scope=BotCommandScopeChat(message.chat_id))
            return
        if message.photo:
            await self.bot.send_photo(message.chat_id, await self._fetched(message.photo), caption=message.text[:1024],
                                      parse_mode=message.parse_mode, reply_markup=markup)
            return
        if message.document:
            await self.bot.send_document(message.chat_id, message.document, caption=message.text[:1024],
                                         parse_mode=message.parse_mode, reply_markup=markup)
            return
        parts = chunks(message.text)
        for i, part in enumerate(parts):
            await self.bot.send_message(message.chat_id, part, parse_mode=message.parse_mode,
                                        reply_markup=markup if i == len(parts) - 1 else None)

    async def _fetched(self, file_id: str) -> bytes | str:
        """A stored photo's bytes, fetched from Telegram (getFile, then the download) to be shown again;
        the reference itself if Telegram cannot fetch it (sending it then fails as a bad request)."""
        try:
            file = await self.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not fetch photo %s from Telegram: %s", file_id, exc)
            return file_id

    def _renew(self, message: Outgoing) -> bool:
        with self.store.write() as session:
            return renew_lease(session, message_id=message.id, owner=self.owner, now=self.clock(), lease=self.lease)

    async def _deliver(self, message: Outgoing) -> str:
        try:
            await self._send(message)
            error = None
        except _LeaseLost:
            log.info("outbox message %s: another sender took it over while %s prepared it; not sent here", message.id, self.owner)
            return "lost"
        except TelegramError as exc:
            error = exc
            log.warning("outbox message %s to chat %s failed (attempt %s): %s", message.id, message.chat_id, message.attempts, exc)
        outcome = await asyncio.to_thread(self._record, message, error)
        if outcome == "sent":
            self.sent += 1
        elif outcome == "lost":
            log.error("outbox message %s: the lease of %s expired before it was marked", message.id, self.owner)
        return outcome

    async def deliver_once(self) -> int:
        """Claim one batch of due messages and deliver it; returns how many were claimed."""
        messages = await asyncio.to_thread(self._take)
        by_chat: dict[int | None, list[Outgoing]] = {}
        for message in messages:  # claimed oldest first
            by_chat.setdefault(message.chat_id, []).append(message)
        if messages:  # chats in parallel, each chat's messages in the order they were queued
            await asyncio.gather(*(self.deliver_in_order(queued) for queued in by_chat.values()))
        return len(messages)

    async def deliver_in_order(self, messages: list[Outgoing]) -> None:
        """Deliver messages this sender already holds (claimed under its `owner`), one after the other."""
        for message in messages:
            await self._deliver(message)

    async def run(self, stop: asyncio.Event, *, idle: float = IDLE_SECONDS, until_empty: bool = False) -> None:
        """Deliver until `stop` is set (or, with `until_empty`, until nothing is due)."""
        while not stop.is_set():
            try:
                claimed = await self.deliver_once()
            except Exception:
                log.exception("the outbox sender failed; trying again in %.0f s", idle)
                claimed = 0
            if claimed:
                continue
            if until_empty:
                return
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle)
            except asyncio.TimeoutError:
                pass
