"""`refundbot outbox send` and `refundbot outbox status`: extra sender processes, and what waits to be sent."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.cli import CliError
from bot.config import ConfigError
from store import outbox_counts

from .common import config_of, open_store_at


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `outbox` command group."""
    outbox = sub.add_parser("outbox", help="send the messages waiting for people, or count them")
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION", parser_class=type(outbox))
    actions.required = True
    send = actions.add_parser("send", help="deliver queued messages through the Bot API (any number of these may run)",
                              description="Claims due messages with a lease and sends them; `refundbot run` runs one "
                              "sender itself, so this is for extra workers or draining the queue.")
    send.add_argument("--until-empty", action="store_true", help="stop when nothing is due instead of waiting for more")
    send.add_argument("--rate", type=float, default=30, metavar="N",
                      help="messages a second over all chats (python-telegram-bot's AIORateLimiter; Telegram allows 30)")
    send.set_defaults(handler=run_send)
    status = actions.add_parser("status", help="how many messages are pending, sent and undeliverable")
    status.set_defaults(handler=show_status)


def run_send(args: argparse.Namespace) -> int:
    """Run one outbox sender."""
    from bot.sender import OutboxSender, rate_limited_bot

    config = config_of(args)
    try:
        telegram = config.require_telegram()
    except ConfigError as exc:
        raise CliError("refusing to start:\n" + "\n".join(exc.errors)) from None
    if args.rate <= 0:
        raise CliError(f"--rate {args.rate}: must be more than 0")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    store = open_store_at(config.database_url)

    async def main() -> int:
        bot = rate_limited_bot(telegram.token, base_url=telegram.base_url, base_file_url=telegram.base_file_url or None,
                               overall_max_rate=args.rate)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with bot:
            sender = OutboxSender(store, bot)
            await sender.run(stop, until_empty=args.until_empty)
        print(f"sent {sender.sent} messages")
        return 0

    try:
        return asyncio.run(main())
    finally:
        store.close()


def show_status(args: argparse.Namespace) -> int:
    """Print the outbox's counts."""
    store = open_store_at(config_of(args).database_url)
    try:
        with store.read() as session:
            counts = outbox_counts(session)
    finally:
        store.close()
    for status in ("pending", "sent", "undeliverable"):
        print(f"{status}: {counts.get(status, 0)}")
    return 0
