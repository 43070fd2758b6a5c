"""Small formatting helpers for explanations: money, percentages, codes as words."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def money(amount: Decimal | float | int, *, exact: bool = False) -> str:
    """`$1,234.50`; with `exact`, sub-cent amounts keep their digits (`$0.425` per unit)."""
    value = Decimal(str(amount))
    if exact and value != value.quantize(Decimal("0.01")):
        return f"${value.normalize():,f}"
    return f"${value:,.2f}"


def ratio(value: float | Decimal | Fraction | None) -> str:
    """A measured rate with one decimal (`97.0%`), or `n/a` when there is nothing to measure."""
    return "n/a" if value is None else f"{float(value) * 100:.1f}%"


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
