"""One test's view of the emulator (its own bot token, users) and a bot polling it."""
from __future__ import annotations

import itertools
import logging
import traceback
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import httpx
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from tests.bot.e2e.emulator_process import EmulatorProcess
from tests.bot.e2e.telegram_user import TelegramUser

# Given the token and base_url, build the Application under test.
AppFactory = Callable[[str, str], Application]


@dataclass
class TelegramEmulator:
    """The running emulator as one test sees it: a bot token of its own, so tests never share
    state, and a factory for users who talk to that bot."""

    process: EmulatorProcess
    http: httpx.AsyncClient
    token: str = field(default_factory=lambda: f"{uuid.uuid4().int % 10**9}:e2e-{uuid.uuid4().hex}")
    bot_errors: list[BaseException] = field(default_factory=list)
    bot_log: list[str] = field(default_factory=list)
    _user_ids: itertools.count = field(default_factory=lambda: itertools.count(1001))

    @property
    def api_url(self) -> str:
        """Root of the emulator, e.g. http://127.0.0.1:PORT (client routes live here)."""
        return self.process.api_url

    @property
    def base_url(self) -> str:
        """The value for python-telegram-bot's `base_url`: http://127.0.0.1:PORT/bot."""
        return f"{self.process.api_url}/bot"

    def user(self, user_id: int | None = None, **profile: str | None) -> TelegramUser:
        """A user in a private chat with this test's bot (first_name, username, language_code)."""
        return TelegramUser(
            self.http, self.api_url, self.token,
            user_id=next(self._user_ids) if user_id is None else user_id,
            diagnostics=self.diagnostics, **profile,
        )

    def diagnostics(self) -> str:
        """What went wrong on the bot's and the emulator's side, for assertion messages."""
        parts = [f"the bot raised:\n{_format(error)}" for error in self.bot_errors]
        parts += [f"python-telegram-bot logged:\n{record}" for record in self.bot_log]
        if stderr := self.process.stderr().strip():
            parts.append(f"emulator stderr:\n{stderr}")
        return "\n".join(parts)


def _format(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)).rstrip()


class _LogCollector(logging.Handler):
    """Keeps python-telegram-bot's errors, e.g. updates it could not parse, which kill polling
    without reaching any error handler."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record))


@asynccontextmanager
async def running_bot(
    app: ApplicationBuilder | AppFactory,
    emulator: TelegramEmulator,
    *,
    poll_interval: float = 0.02,
    raise_errors: bool = True,
) -> AsyncIterator[Application]:
    """Run the Application polling the emulator in this event loop (as run_polling would, with
    post_init/post_stop/post_shutdown); stop it on exit.

    `app` is an ApplicationBuilder without a token (token and base_url are set here) or a
    callable (token, base_url) -> Application. Errors from handlers and from polling are
    collected in `emulator.bot_errors`, shown in the user's timeout messages, and raised as an
    AssertionError on exit unless `raise_errors` is false.

    A factory should build with `.get_updates_connection_pool_size(2)`: Updater.stop() cancels
    an in-flight getUpdates without waiting for it, and with the default pool of one connection
    its final getUpdates then waits out the 1 s pool timeout and logs an error.
    """
    if isinstance(app, ApplicationBuilder):
        app = app.token(emulator.token).base_url(emulator.base_url)
        application = app.get_updates_connection_pool_size(2).build()
    else:
        application = app(emulator.token, emulator.base_url)
    if application.updater is None:
        raise ValueError("running_bot needs an Application with an Updater")

    async def record(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        emulator.bot_errors.append(context.error)

    application.add_error_handler(record)
    async with AsyncExitStack() as stack:
        telegram_logger, collector = logging.getLogger("telegram"), _LogCollector(emulator.bot_log)
        telegram_logger.addHandler(collector)
        stack.callback(telegram_logger.removeHandler, collector)
        # The order of Application.run_polling, including the builder's post_* hooks.
        await application.initialize()
        if application.post_shutdown:
            stack.push_async_callback(application.post_shutdown, application)
        stack.push_async_callback(application.shutdown)
        if application.post_init:
            await application.post_init(application)
        if application.post_stop:
            stack.push_async_callback(application.post_stop, application)
        await application.start()
        stack.push_async_callback(application.stop)
        # The emulator answers getUpdates at once (no long polling), so poll_interval sets how
        # quickly the bot sees a message.
        await application.updater.start_polling(
            poll_interval=poll_interval, timeout=0, error_callback=emulator.bot_errors.append
        )
        stack.push_async_callback(application.updater.stop)
        yield application
    if raise_errors and emulator.bot_errors:
        raise AssertionError(
            "the bot failed while handling updates:\n"
            + "\n".join(_format(error) for error in emulator.bot_errors)
        )
