"""Formatting money, rates and dates for people."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal


def money(amount: Decimal | float | int | None, *, exact: bool = False) -> str:
    """`$1,234.50`; with `exact`, sub-cent amounts keep their digits (`$0.425`); `-` for no amount."""
    if amount is None:
        return "-"
    value = Decimal(str(amount))
    if exact and value != value.quantize(Decimal("0.01")):
        return f"${value.normalize():,f}"
    return f"${value:,.2f}"


def rate(value: float | Decimal | None) -> str:
    """`97.0%` for 0.97; `n/a` for no value."""
    if value is None:
        return "n/a"
    return f"{float(value) * 100:.1f}%"


def day(value: datetime | date) -> str:
    """`2026-11-03`."""
    return value.strftime("%Y-%m-%d")
