"""Formatting money, rates and dates for people (the engine's formats, plus `-` for nothing)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from rules.text import money as _money


def money(amount: Decimal | float | int | None, *, exact: bool = False) -> str:
    """`$1,234.50` (sub-cent digits kept with `exact`); `-` for no amount."""
    return "-" if amount is None else _money(amount, exact=exact)


MAX_BUTTON = 32  # longer button labels are clipped on phones


def button_label(name: str, suffix: str = "") -> str:
    """`name · suffix` in at most 32 characters, shortening the name (never the suffix) with an ellipsis."""
    tail = f" · {suffix}" if suffix else ""
    room = MAX_BUTTON - len(tail)
    shown = name if len(name) <= room else name[: room - 1].rstrip() + "…"
    return shown + tail


def day(value: datetime | date) -> str:
    """`2026-11-03`."""
    return value.strftime("%Y-%m-%d")
