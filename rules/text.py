"""Small formatting helpers for explanations: money, percentages, codes as words."""
from __future__ import annotations

import string
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

from policy import templates
from policy.facts import FACTS


_SHOWN_MONEY: dict[Decimal, str] = {}  # amounts already written (bounded): equal non-zero Decimals read the same


def money(amount: Decimal | float | int, *, exact: bool = False) -> str:
    """`$1,234.50`; with `exact`, sub-cent amounts keep their digits (`$0.425` per unit)."""
    if type(amount) is Decimal and not exact and amount:  # zeros keep their sign (-0.00), so they are not memoised
        shown = _SHOWN_MONEY.get(amount)
        if shown is None:
            if len(_SHOWN_MONEY) >= 4096:
                _SHOWN_MONEY.clear()
            shown = _SHOWN_MONEY[amount] = f"${amount:,.2f}"
        return shown
    value = amount if type(amount) is Decimal else Decimal(str(amount))
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


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _tags(value: Any) -> str:
    return ", ".join(words(v) for v in value) or "none"


def _same(value: Any) -> Any:
    return value  # an int, so a template's whole-number spec ({days_since_delivery:>3d}) applies


def _plain(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# How a fact's value reads in an explanation, by fact type (anything else: dates ISO, the rest as text).
_SHOWN_AS: dict[str, Callable[[Any], Any]] = {"money": money, "rate": ratio, "bool": _yes_no, "tags": _tags, "enum": words,
                                               "count": _same, "days": _same}


def show(kind: str, name: str, value) -> str | int:
    """A fact's value as it reads in an explanation: money as $1.00, rates as %, dates ISO, lists joined."""
    fact = FACTS[kind].get(name)
    if value is None:
        return "none"
    return _SHOWN_AS.get(fact.type if fact is not None else "", _plain)(value)


def shower(kind: str, name: str) -> Callable[[Any], str | int]:
    """`show` for one fact, its type looked up once (for explanations compiled per rule)."""
    fact = FACTS[kind].get(name)
    shown = _SHOWN_AS.get(fact.type if fact is not None else "", _plain)
    return lambda value: "none" if value is None else shown(value)


def in_force_note(text: str, values: list[tuple[str, str, object]], what: str, day) -> str:
    """`text` plus a sentence naming each dated value that applied (label, shown value, from date)."""
    parts = [f"the {label} of {shown} in force for {what} from {start.isoformat()}" for label, shown, start in values]
    return f"{text.rstrip()} This uses " + " and ".join(parts) + f" (the {what[:-1]} date is {day.isoformat()})."


def compiled_template(template: str, values: tuple[tuple[str, Callable[..., Any]], ...], arity: int) -> Callable[..., str]:
    """`templates.render(template, {name: value(*args) for name, value in values})` as one function of `arity`
    arguments, built once per rule.

    A template whose placeholders are all bare names becomes a %-format: it gives the same text as
    render (format(v, "") is str(v) for every value a rule shows) at a fraction of its cost.
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        parts = None
    value_of = dict(values)
    if parts is None or any(name is not None and (not name.isidentifier() or spec or conversion or name not in value_of)
                            for _, name, spec, conversion in parts):
        def general(*args: Any) -> str:
            return templates.render(template, {name: value(*args) for name, value in values})
        return general
    names = list(value_of)
    fmt = "".join(literal.replace("%", "%%") + ("%s" if name is not None else "") for literal, name, _, _ in parts)
    order = ", ".join(f"v{names.index(name)}" for _, name, _, _ in parts if name is not None)
    params = ", ".join(f"a{i}" for i in range(arity))
    lines = [f"    v{i} = value{i}({params})" for i in range(len(names))]
    source = (f"def explain({params}):\n" + "\n".join(lines) + "\n"
              f"    out = FMT % ({order}{',' if order else ''})\n"
              f"    if len(out) > MAX_RENDERED:\n"
              f"        return render(TEMPLATE, {{{', '.join(f'NAMES[{i}]: v{i}' for i in range(len(names)))}}})\n"
              f"    return out\n")
    scope: dict[str, Any] = {f"value{i}": value_of[name] for i, name in enumerate(names)}
    scope.update(FMT=fmt, MAX_RENDERED=templates.MAX_RENDERED, render=templates.render, TEMPLATE=template, NAMES=tuple(names))
    exec(compile(source, f"<explanation {template[:40]!r}>", "exec"), scope)  # noqa: S102 - only generated names, no template text
    return scope.pop("explain")
