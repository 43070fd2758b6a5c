"""One `refundbot run` process: a receiver (webhook or long polling) that stores updates in the inbox,
a pool of workers that handle them, the sender of replies, the ops endpoints and the pruning of old rows.

Nothing one process holds is needed by another: updates, conversation state, the rate limit and
the replies all live in the store, so any number of processes on any number of hosts can run
against one PostgreSQL database (webhook mode; long polling allows one receiver).
"""
from __future__ import annotations

import asyncio
import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Callable

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from store import Store, outbox_counts, prune_inbox, prune_outbox, prune_processed_updates, prune_rate_limits
from store.outbox import release_responses

from . import metrics
from .config import Config, TelegramConfig
from .flows.admin import reload_notice
from .delivery import OutboxDelivery, Queued
from .answers import WebhookAnswerer
from .ops import OpsServer, Probe
from .receiver import Receiver
from .service import ChatService
from .sender import OutboxSender
from .webhook import WebhookServer, stop_on_signals
from .workers import WorkerPool, worker_name

log = logging.getLogger("refundbot.node")

ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates open
EMPTY_POLL_PAUSE = 0.05
PRUNE_EVERY = 600.0  # seconds
EXECUTOR_THREADS = 32
SENDER_IDLE = 1.0  # seconds between looks at the outbox for messages no one holds
FIRST_RETRY, MAX_RETRY = 1.0, 60.0


class TelegramUnreachable(Exception):
    """Telegram refused the bot (a wrong token): retrying will not help."""


def make_bot(telegram: TelegramConfig, *, per_second: int = 30) -> ExtBot:
    """The Bot API client, sending through python-telegram-bot's rate limiter (Telegram's flood limits)."""
    base = telegram.base_url.rstrip("/")
    files = telegram.base_file_url.rstrip("/") if telegram.base_file_url else base.replace("/bot", "/file/bot")
    return ExtBot(telegram.token, base_url=base, base_file_url=files, rate_limiter=AIORateLimiter(overall_max_rate=per_second, max_retries=3),
                  request=HTTPXRequest(connection_pool_size=16),
                  get_updates_request=HTTPXRequest(read_timeout=POLL_TIMEOUT + 10, connection_pool_size=2))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def with_retries(what: str, call: Callable, stop: asyncio.Event, *, where: str):
    """Run `call()` until it works, logging one line a failure and waiting longer each time; None if stopped."""
    delay = FIRST_RETRY
    while not stop.is_set():
        try:
            return await call()
        except InvalidToken as exc:
            raise TelegramUnreachable(f"Telegram refused the bot token: {_reason(exc)}") from None
        except RetryAfter as exc:
            delay = max(delay, float(exc.retry_after))
            log.warning("%s: Telegram asks to wait %s s", what, exc.retry_after)
        except (NetworkError, TimedOut) as exc:
            log.warning("cannot reach %s to %s (%s); retrying in %.0f s", where, what, _reason(exc), delay)
        except Conflict as exc:  # another process polls this bot, or a webhook is still set
            log.warning("Telegram refused to %s: %s; retrying in %.0f s", what, _reason(exc), delay)
        except TelegramError as exc:
            log.error("Telegram refused to %s: %s; retrying in %.0f s", what, _reason(exc), delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except asyncio.TimeoutError:
            pass
        delay = min(delay * 2, MAX_RETRY)
    return None


def warm_up() -> None:
    """Load what the first updates would otherwise load while Telegram waits (matplotlib for the tier chart)."""
    from matplotlib.figure import Figure

    Figure(figsize=(1, 1)).savefig(io.BytesIO(), format="png")


def prune_once(store: Store, *, retention: timedelta, now: datetime) -> int:
    """Delete handled updates, processed-update marks, sent messages and idle rate limits older than `retention`."""
    before = now - retention
    with store.write() as session:
        pruned = prune_inbox(session, before=before) + prune_processed_updates(session, before=before)
        pruned += prune_outbox(session, before=before) + prune_rate_limits(session, now=now.timestamp())
    return pruned


class Node:
    """Everything one `refundbot run` process does, started and stopped together."""

    def __init__(self, config: Config, telegram: TelegramConfig, store: Store, runtime, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.config, self.telegram, self.store, self.runtime, self.clock = config, telegram, store, runtime, clock
        self.bot = make_bot(telegram, per_second=config.workers.send_per_second)
        self.receiver = Receiver(store, clock=clock)
        self.service = ChatService(store, runtime, limits=config.limits, channel="telegram", desk=config.desk)
        self.stop = asyncio.Event()
        self.pool: WorkerPool | None = None
        self.delivery: OutboxDelivery | None = None
        self.sender: OutboxSender | None = None
        self.answerer: WebhookAnswerer | None = None
        self._chat_tails: dict[int, asyncio.Future] = {}
        self._background: set[asyncio.Task] = set()
        self._servers: list = []
        self._tasks: list[asyncio.Task] = []

    async def run(self) -> None:
        """Serve until SIGINT/SIGTERM (or `stop` is set)."""
        stop_on_signals(self.stop)
        # Store writes (webhook), outbox claims and marks run in this pool: a queue here would widen the window
        # between Telegram taking a message and the outbox recording it.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=EXECUTOR_THREADS,
                                                                           thread_name_prefix="refundbot-io"))
        metrics.policy_in_force(self.runtime.version)
        self.runtime.add_listener(metrics.observe_reload)
        self._start_ops()
        if await with_retries("start", self.bot.initialize, self.stop, where=f"Telegram at {self.telegram.base_url}") is None and self.stop.is_set():
            return await self._shutdown()
        log.info("connected to Telegram as @%s", self.bot.username)
        loop = asyncio.get_running_loop()
        self.runtime.add_listener(self._on_reload)
        workers = self.config.workers
        lease = timedelta(seconds=workers.lease_seconds)
        self.sender = OutboxSender(self.store, self.bot, clock=self.clock, lease=lease, owner=f"{worker_name()}:sender")
        self.delivery = OutboxDelivery(lambda queued: loop.call_soon_threadsafe(self._send_queued, queued),
                                       owner=self.sender.owner, lease=lease, clock=self.clock,
                                       answer_in_response=self.telegram.mode == "webhook")
        self._tasks.append(asyncio.create_task(self._send_forever()))
        self.pool = WorkerPool(self.store, self.service, self.delivery, threads=workers.threads, lease=lease, bot_username=lambda: self.bot.username,
                               clock=self.clock, wake=self.receiver.arrived)
        self.pool.start()
        if self.telegram.mode == "webhook":
            self.answerer = WebhookAnswerer(self.store, self.receiver, submit=self.pool.submit, worker=f"{self.pool.name}/webhook",
                                            lease=lease, within=self.telegram.webhook_answer_within, clock=self.clock,
                                            offer=self.pool.offer, withdraw=self.pool.withdraw)
        self._tasks.append(asyncio.create_task(self._prune_forever()))
        await asyncio.to_thread(warm_up)  # before serving: a cold first update would miss its webhook answer
        try:
            if self.telegram.mode == "webhook":
                await self._serve_webhook()
            else:
                self._tasks.append(asyncio.create_task(self._poll()))
            await self.stop.wait()
        finally:
            await self._shutdown()

    def _start_ops(self) -> None:
        obs = self.config.observability
        if obs.metrics_port:
            probe = Probe(self.store, self.runtime, stall_seconds=obs.stall_seconds, clock=self.clock,
                          outbox_depth=lambda session: outbox_counts(session).get("pending", 0))
            server = OpsServer(probe, listen=obs.metrics_listen, port=obs.metrics_port)
            server.start()
            self._servers.append(server)

    async def _serve_webhook(self) -> None:
        from urllib.parse import urlparse

        t = self.telegram
        server = WebhookServer(self.receiver, secret=t.webhook_secret, listen=t.webhook_listen, port=t.webhook_port,
                               path=urlparse(t.webhook_url).path or "/telegram", reuse_port=t.webhook_reuse_port,
                               answerer=self.answerer, answer_callback=lambda query_id: self._background_task(self._answer(query_id)))
        server.start()
        self._servers.append(server)
        await with_retries("register the webhook", lambda: self.bot.set_webhook(
            url=t.webhook_url, secret_token=t.webhook_secret, allowed_updates=ALLOWED_UPDATES), self.stop, where=f"Telegram at {t.base_url}")

    async def _poll(self) -> None:
        """Long polling: store each batch, committed, before the next getUpdates acknowledges it with the offset."""
        where = f"Telegram at {self.telegram.base_url}"
        await with_retries("remove the webhook", lambda: self.bot.delete_webhook(drop_pending_updates=False), self.stop, where=where)
        offset = None
        while not self.stop.is_set():
            batch = await with_retries("fetch updates", lambda: self.bot.get_updates(
                offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES, read_timeout=POLL_TIMEOUT + 10),
                self.stop, where=where)
            if not batch:
                await asyncio.sleep(EMPTY_POLL_PAUSE)  # a Bot API server that does not hold the poll open
                continue
            parsed = [(update, json.dumps(update.to_dict(), ensure_ascii=False)) for update in batch]
            stored = await with_retries("store updates", lambda: self._store(parsed), self.stop, where="the database")
            if stored is not None:  # a reply meant for a webhook response that Telegram never accepted: the sender's now
                stored = await with_retries("store updates", lambda: self._release([u.update_id for u, _ in parsed]), self.stop,
                                            where="the database")
            if stored is None:
                return
            offset = max(update.update_id for update in batch) + 1  # only now: the next getUpdates acknowledges these
            for update, _raw in parsed:
                if update.callback_query is not None:
                    self._background_task(self._answer(update.callback_query.id))

    async def _store(self, parsed) -> int:
        try:
            return await self.receiver.accept(parsed)
        except Exception as exc:  # surface as a retryable failure, one line
            raise NetworkError(f"cannot store updates: {_reason(exc)}") from None

    def _background_task(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _release(self, update_ids: list[int]) -> int:
        def release():
            with self.store.write() as session:
                return release_responses(session, update_ids=update_ids, now=self.clock())

        try:
            return await asyncio.to_thread(release)
        except Exception as exc:
            raise NetworkError(f"cannot store updates: {_reason(exc)}") from None

    async def _answer(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.info("could not answer callback query %s: %s", query_id, _reason(exc))

    async def _prune_forever(self) -> None:
        retention = timedelta(hours=self.config.workers.retention_hours)
        while not self.stop.is_set():
            try:
                pruned = await asyncio.to_thread(prune_once, self.store, retention=retention, now=self.clock())
                if pruned:
                    log.info("pruned %s rows older than %s", pruned, retention)
            except Exception as exc:
                log.warning("pruning failed: %s", _reason(exc))
            try:
                await asyncio.wait_for(self.stop.wait(), PRUNE_EVERY)
            except asyncio.TimeoutError:
                pass

    def _send_queued(self, queued: Queued) -> None:
        """Send an update's replies now (in the event loop), after the chat's earlier replies; a webhook request
        waiting for the update gets its answer, and the messages after that answer go once it is written."""
        if self.answerer is not None and queued.update_id is not None:
            self.answerer.handled(queued.update_id, queued.answer)
        if not queued.messages:
            return
        previous = self._chat_tails.get(queued.chat_id)
        task = asyncio.ensure_future(self._send_after(previous, queued))
        self._chat_tails[queued.chat_id] = task
        task.add_done_callback(lambda done: self._chat_tails.pop(queued.chat_id, None)
                               if self._chat_tails.get(queued.chat_id) is done else None)

    async def _send_after(self, previous: asyncio.Future | None, queued: Queued) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            if queued.answer is None:
                await self.sender.deliver_in_order(list(queued.messages))
                return
            await self.sender.deliver_in_order(list(queued.messages[:queued.answer_index]))
            slot = self.answerer.slot(queued.update_id) if self.answerer is not None else None
            if slot is not None:  # Telegram sends the answer when it reads the response: the rest after that, as far as we can tell
                try:
                    await asyncio.wait_for(slot.written.wait(), self.answerer.within)
                except asyncio.TimeoutError:
                    pass
            await self.sender.deliver_in_order(list(queued.messages[queued.answer_index:]))
        except Exception as exc:  # not marked: the lease runs out and the outbox sender tries again
            log.warning("could not deliver the replies to chat %s: %s", queued.chat_id, _reason(exc))

    async def _send_forever(self) -> None:
        """Deliver what no one holds: other processes' messages after their lease, notices, retries."""
        while not self.stop.is_set():
            try:
                if await self.sender.deliver_once():
                    continue
            except Exception as exc:  # the database is away: the next round tries again
                log.warning("the outbox sender failed: %s", _reason(exc))
            try:
                await asyncio.wait_for(self.stop.wait(), SENDER_IDLE)
            except asyncio.TimeoutError:
                pass

    def _on_reload(self, result) -> None:
        """Tell admins about reloads they did not ask for in the chat (file edits, SIGHUP) that failed."""
        if result.ok or result.trigger == "admin" or self.delivery is None:
            return
        try:
            with self.store.write() as session:
                self.delivery.notify(session, chat_ids=self.service.admin_chats(), text=reload_notice(result),
                                     key=f"reload:{result.version}:{self.clock().isoformat()}")
        except Exception as exc:
            log.warning("could not queue the reload notice for the admins: %s", _reason(exc))

    async def _shutdown(self) -> None:
        for server in self._servers:
            await server.stop()
        if self.pool is not None:
            await asyncio.to_thread(self.pool.stop)
        if self._chat_tails:  # replies of the last updates; what is not sent now, another sender sends after the lease
            await asyncio.wait(list(self._chat_tails.values()), timeout=5)
        for task in [*self._tasks, *self._background]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._background, return_exceptions=True)
        try:
            await self.bot.shutdown()
        except Exception:  # shutting down after a failed start
            pass
