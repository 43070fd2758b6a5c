"""The `refundbot` command line: one parser, subcommands registered by the modules in bot.commands."""
from __future__ import annotations

import argparse
import importlib
import sys

# Each module defines register(subparsers) and gives its parsers a `handler(args) -> int`.
COMMAND_MODULES = (
    "bot.commands.policy_cmd",
    "bot.commands.decide_cmd",
    "bot.commands.store_cmd",
    "bot.commands.chat_cmd",
    "bot.commands.lifecycle_cmd",
    "bot.commands.outbox_cmd",
)


class CliError(Exception):
    """A command failed in a way the user can fix; printed as one line without a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exit code 2 is kept; the message says what to do
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every registered subcommand."""
    parser = _Parser(prog="refundbot", description="Refund decisions, seller tiers and claims, by policy.")
    parser.add_argument("--config", metavar="PATH", help="configuration file (default: $REFUNDBOT_CONFIG or ./config.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CliError as exc:
        print(f"refundbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
