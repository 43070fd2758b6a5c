"""Small formatting helpers for explanations: money, percentages, codes as words."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from policy.facts import FACTS


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


def show(kind: str, name: str, value) -> str | int:
    """A fact's value as it reads in an explanation: money as $1.00, rates as %, dates ISO, lists joined."""
    fact = FACTS[kind].get(name)
    if value is None:
        return "none"
    kind_of = fact.type if fact is not None else ""
    if kind_of == "money":
        return money(value)
    if kind_of == "rate":
        return ratio(value)
    if kind_of == "bool":
        return "yes" if value else "no"
    if kind_of == "tags":
        return ", ".join(words(v) for v in value) or "none"
    if kind_of == "enum":
        return words(value)
    if kind_of in ("count", "days"):
        return value  # an int, so a template's whole-number spec ({days_since_delivery:>3d}) applies
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def in_force_note(text: str, values: list[tuple[str, str, object]], what: str, day) -> str:
    """`text` plus a sentence naming each dated value that applied (label, shown value, from date)."""
    parts = [f"the {label} of {shown} in force for {what} from {start.isoformat()}" for label, shown, start in values]
    return f"{text.rstrip()} This uses " + " and ".join(parts) + f" (the {what[:-1]} date is {day.isoformat()})."
