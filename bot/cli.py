"""The `refundbot` command line: one parser; a command's module is imported only when that command runs.

Start-up matters to operators (`--help`, `policy check`): the store's modules load SQLAlchemy and
Alembic, and the chat modules python-telegram-bot, so only the chosen command's module is
imported. The others are listed from COMMANDS, whose help texts must match what each module
registers (tests/bot/test_cli_startup.py checks both).
"""
from __future__ import annotations

import argparse
import importlib
import sys

# command -> (module that registers it, one-line help). Each module defines register(subparsers)
# and gives its parsers a `handler(args) -> int`; one module may register several commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "policy": ("bot.commands.policy_cmd", "check a policy file or print its JSON Schema"),
    "decide": ("bot.commands.decide_cmd", "decide JSON Lines of facts from stdin"),
    "import": ("bot.commands.store_cmd", "load JSON Lines or CSV records into the store (see docs/import.md)"),
    "demo": ("bot.commands.store_cmd", "(re)create the embedded SQLite database with demo data"),
    "seller": ("bot.commands.store_cmd", "seller questions answered from the store"),
    "chat": ("bot.commands.chat_cmd", "chat with the bot in the terminal as a buyer, seller, agent or admin"),
    "run": ("bot.commands.chat_cmd", "run the Telegram bot (long polling or webhook, from config.yaml)"),
    "invite": ("bot.commands.chat_cmd", "print a one-time code that links a Telegram account"),
    "decisions": ("bot.commands.lifecycle_cmd", "look at logged decisions"),
    "outbox": ("bot.commands.outbox_cmd", "send the messages waiting for people, or count them"),
    "queue": ("bot.commands.desk_cmd", "the open review cases, oldest first (escalations, appeals, claims)"),
    "case": ("bot.commands.desk_cmd", "one review case in full"),
}
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


class CliError(Exception):
    """A command failed in a way the user can fix; printed as one line without a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exit code 2 is kept; the message says what to do
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(argv: list[str] | None = None, *, every_command: bool = False) -> argparse.ArgumentParser:
    """The parser: the module of the command `argv` names (all of them with `every_command`) registers
    its real subparsers; the other commands are listed by name and help only."""
    parser = _Parser(prog="refundbot", description="Refund decisions, seller tiers and claims, by policy.")
    parser.add_argument("--config", metavar="PATH", help="configuration file (default: $REFUNDBOT_CONFIG or ./config.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    chosen = command_in(sys.argv[1:] if argv is None else argv)
    wanted = set(COMMAND_MODULES) if every_command else {COMMANDS[chosen][0]} if chosen in COMMANDS else set()
    for module in COMMAND_MODULES:
        if module in wanted:
            importlib.import_module(module).register(sub)
        else:
            for name, (owner, help_text) in COMMANDS.items():
                if owner == module:
                    sub.add_parser(name, help=help_text, add_help=False)
    return parser


def command_in(argv: list[str]) -> str | None:
    """The subcommand `argv` names (the first word after the global options), or None."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--config":
            i += 2
        elif word.startswith("--config="):
            i += 1
        elif word.startswith("-"):
            return None  # -h/--help or a mistake: the top-level parser answers
        else:
            return word
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser(argv).parse_args(argv)
    try:
        return args.handler(args)
    except CliError as exc:
        print(f"refundbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # `python -m bot.cli`: run the imported module, whose CliError the commands raise
    from bot.cli import main as imported_main

    sys.exit(imported_main())
