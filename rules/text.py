"""Small formatting helpers for explanations: money, percentages, codes as words."""
from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal) -> str:
    """`$1,234.50` for an amount."""
    return f"${amount:,.2f}"


def percent(rate: Decimal | float) -> str:
    """`15%` for 0.15, `2.5%` for 0.025."""
    value = Decimal(str(rate)) * 100
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def words(code: str) -> str:
    """`no longer needed` for `no_longer_needed`."""
    return code.replace("_", " ")


def cite(text: str, rule: str) -> str:
    """The text with `(rule X)` before its final full stop."""
    text = text.rstrip()
    if text.endswith("."):
        return f"{text[:-1]} (rule {rule})."
    return f"{text} (rule {rule})."
