"""Helpers shared by CLI commands: configuration, policy loading, JSON output."""
from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.cli import CliError
from bot.config import Config, ConfigError, load_config
from policy import Policy, PolicyErrors, load_policy
from rules import CompiledPolicy, EngineError, compile_policy

if TYPE_CHECKING:  # the store loads SQLAlchemy and Alembic: only commands that open it pay for that
    from store import Store


# Windows of up to ten years are counted back and forth from the day a command is given: far-off years overflowed.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(8999, 12, 31)
_ISO_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(text: str) -> date:
    """An argparse type for YYYY-MM-DD, from 1900-01-01 to 8999-12-31."""
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        if _ISO_SHAPE.fullmatch(text):  # the right shape, but no such day: say which part is wrong
            raise argparse.ArgumentTypeError(f"{text!r} is not a day of the calendar: {exc}") from None
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day from {FIRST_DAY} to {LAST_DAY}")
    return day


def config_of(args: argparse.Namespace) -> Config:
    """The validated configuration named by --config (or the default), or CliError."""
    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as exc:
        raise CliError("invalid configuration:\n" + "\n".join(exc.errors)) from None


def policy_path_of(args: argparse.Namespace, explicit: str | None) -> str:
    """An explicit policy path, else the configuration's."""
    return explicit or config_of(args).policy_path


def load_compiled(path: str) -> CompiledPolicy:
    """Load, validate and compile the policy at `path`, or CliError with every problem."""
    try:
        policy: Policy = load_policy(path)
        return compile_policy(policy)
    except PolicyErrors as exc:
        raise CliError(f"the policy {path} is invalid:\n{exc}") from None
    except EngineError as exc:
        raise CliError(f"the policy {path} could not be compiled: {exc}") from None


def open_store_at(url: str, *, create_folder: bool = False, connections: int | None = None) -> Store:
    """The store at `url`, migrated; CliError if it can't be opened (or its SQLite folder is missing, unless `create_folder`)."""
    from store import StoreError, open_store

    try:
        return open_store(url, create_folder=create_folder, connections=connections)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def print_json(data: Any) -> None:
    """Write one JSON document to stdout."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
