"""`refundbot chat`, `refundbot run` and `refundbot invite`: the bot in the terminal, on Telegram, and linking accounts."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.cli import CliError
from bot.config import ConfigError
from bot.policy_runtime import PolicyRuntime
from bot.service import ChatService
from policy import PolicyErrors
from store import Identity, NotFound, StoreError, create_invite
from store.chat import AGENT_ID
from store.models import Buyer, Seller

from .common import config_of, open_store_at

INVITE_DAYS = 7


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `chat`, `run` and `invite` commands."""
    chat = sub.add_parser("chat", help="chat with the bot in the terminal as a buyer, seller, agent or admin",
                          description="Runs the same conversations as the Telegram bot on stdin/stdout. Buttons are "
                          "numbered: answer with the number. /photo PATH sends a picture file; labels and charts the "
                          "bot sends are saved and their paths printed. Line editing and history on a terminal; "
                          "works when piped.")
    chat.add_argument("--as", dest="who", required=True, metavar="ROLE:ID", help="buyer:ID, seller:ID, agent:NAME or admin")
    chat.add_argument("--language", default="en", help="language code for the replies (default en)")
    chat.add_argument("--files-dir", default="var/chat-files", metavar="DIR",
                      help="where labels and charts the bot sends are saved (default var/chat-files)")
    chat.add_argument("--history", default="var/chat-history", metavar="FILE",
                      help="where typed lines are remembered between sessions (default var/chat-history)")
    chat.add_argument("--log", default="var/chat.log", metavar="FILE",
                      help="where the bot's log goes, so it doesn't repeat on screen what the chat says (default var/chat.log)")
    chat.set_defaults(handler=run_chat)
    run = sub.add_parser("run", help="run the Telegram bot (long polling or webhook, from config.yaml)")
    run.add_argument("--mode", choices=("polling", "webhook"), help="override telegram.mode")
    run.set_defaults(handler=run_bot)
    invite = sub.add_parser("invite", help="print a one-time code that links a Telegram account")
    invite.add_argument("role", choices=("buyer", "seller", "agent", "admin"))
    invite.add_argument("account_id", nargs="?", metavar="ID",
                        help="the buyer or seller id, or the agent's name (none for admin)")
    invite.add_argument("--bot-username", help="the bot's @username, for the t.me deep link")
    invite.set_defaults(handler=run_invite)


def parse_who(text: str) -> tuple[str, str | None]:
    """`buyer:B1` -> ('buyer', 'B1'); `agent:alice` -> ('agent', 'alice'); `admin` -> ('admin', None)."""
    role, _, account = text.partition(":")
    if role == "admin" and not account:
        return role, None
    if role not in ("buyer", "seller", "agent") or not account or (role == "agent" and not AGENT_ID.fullmatch(account)):
        raise CliError(f"--as {text!r}: use buyer:ID, seller:ID, agent:NAME or admin")
    return role, account


def _runtime(path: str) -> PolicyRuntime:
    try:
        return PolicyRuntime(path)
    except PolicyErrors as exc:
        raise CliError(f"the policy {path} is invalid:\n{exc}") from None


def run_chat(args: argparse.Namespace) -> int:
    """Chat in the terminal as one account."""
    from bot.terminal import Terminal

    role, account = parse_who(args.who)
    config = config_of(args)
    # The chat shows what happened (a rejected reload lists its errors); the log keeps the details, off screen.
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=args.log, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = open_store_at(config.database_url)
    try:
        if account is not None and role != "agent":
            with store.read() as session:
                if session.get(Buyer if role == "buyer" else Seller, account) is None:
                    raise CliError(f"there is no {role} {account!r} in {config.database_url} (try `refundbot demo` first)")
        runtime = _runtime(config.policy_path)
        try:
            service = ChatService(store, runtime, limits=config.limits, channel="terminal", desk=config.desk)
            terminal = Terminal(service, Identity(0, role, account), language=args.language, files_dir=args.files_dir)
            interactive = sys.stdin.isatty() and sys.stdout.isatty()
            return terminal.run(sys.stdin, sys.stdout, prompt=interactive, history=Path(args.history))
        finally:
            runtime.stop()
    finally:
        store.close()


def run_invite(args: argparse.Namespace) -> int:
    """Create an invite code and print it with its /start command and deep link."""
    if args.role == "admin" and args.account_id:
        raise CliError("an admin invite takes no account id")
    if args.role != "admin" and not args.account_id:
        raise CliError(f"a {args.role} invite needs the {args.role} id")
    if args.role == "agent" and not AGENT_ID.fullmatch(args.account_id):
        raise CliError(f"agent id {args.account_id!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    config = config_of(args)
    store = open_store_at(config.database_url)
    now = datetime.now(timezone.utc)
    try:
        with store.write() as session:
            code = create_invite(session, role=args.role, account_id=args.account_id, created_at=now,
                                 expires_at=now + timedelta(days=INVITE_DAYS))
    except NotFound:
        raise CliError(f"there is no {args.role} {args.account_id!r}") from None
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    who = f"{args.role} {args.account_id}" if args.account_id else "admin"
    username = (args.bot_username or "").lstrip("@")
    print(f"Invite for {who} (single use, expires {(now + timedelta(days=INVITE_DAYS)).date().isoformat()}):")
    print(f"  code:      {code}")
    print(f"  in chat:   /start {code}")
    print(f"  deep link: https://t.me/{username or '<bot username>'}?start={code}")
    return 0


def run_bot(args: argparse.Namespace) -> int:
    """Run the Telegram bot until interrupted: receive into the inbox, handle with the workers, send the replies."""
    from bot.logs import configure_logging
    from bot.node import Node, TelegramUnreachable

    config = config_of(args)
    try:
        telegram = config.require_telegram(mode=args.mode)
    except ConfigError as exc:
        raise CliError("refusing to start:\n" + "\n".join(exc.errors)) from None
    configure_logging(config.observability.log_format)
    # Worker threads, the webhook's writer, and the sender's claims and marks each hold a connection at times.
    store = open_store_at(config.database_url, connections=config.workers.threads + 8)
    runtime = _runtime(config.policy_path)
    try:
        runtime.install_sighup()

        async def serve() -> None:
            await Node(config, telegram, store, runtime).run()

        try:
            asyncio.run(serve())
        except TelegramUnreachable as exc:
            raise CliError(str(exc)) from None
        return 0
    finally:
        runtime.stop()
        store.close()
