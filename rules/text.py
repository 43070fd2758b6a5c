"""Small formatting helpers for explanations: money, percentages, codes as words."""
from __future__ import annotations

import string
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

from policy import templates
from policy.facts import FACTS

from .memo import remember


_SHOWN_MONEY: dict[Decimal, str] = {}  # amounts already written (bounded): equal non-zero Decimals read the same


def money(amount: Decimal | float | int, *, exact: bool = False) -> str:
    """`$1,234.50`; with `exact`, sub-cent amounts keep their digits (`$0.425` per unit)."""
    if type(amount) is Decimal and not exact and amount:  # zeros keep their sign (-0.00), so they are not memoised
        shown = _SHOWN_MONEY.get(amount)
        return remember(_SHOWN_MONEY, amount, f"${amount:,.2f}") if shown is None else shown
    value = amount if type(amount) is Decimal else Decimal(str(amount))
    if exact and value != value.quantize(Decimal("0.01")):
        return f"${value.normalize():,f}"
    return f"${value:,.2f}"


def ratio(value: float | Decimal | Fraction | None) -> str:
    """A measured rate with one decimal (`97.0%`), or `n/a` when there is nothing to measure."""
    return "n/a" if value is None else f"{float(value) * 100:.1f}%"


def percent(rate: Decimal | float) -> str:
    """`15%` for 0.15, `2.5%` for 0.025."""
    # Equal non-zero Decimals show alike (a fee's rate, on every restocking-fee decision): remembered; zeros keep their sign.
    if type(rate) is Decimal and rate:
        shown = _SHOWN_PERCENT.get(rate)
        return remember(_SHOWN_PERCENT, rate, _percent(rate)) if shown is None else shown
    return _percent(rate)


_SHOWN_PERCENT: dict[Decimal, str] = {}  # (bounded)


def _percent(rate: Decimal | float) -> str:
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
    return with_in_force(text, [in_force_part(label, shown, what, start.isoformat()) for label, shown, start in values], what, day)


def in_force_part(label: str, shown: str, what: str, start: str) -> str:
    """The part of an in-force sentence that names one dated value (`start`: its from date, ISO)."""
    return f"the {label} of {shown} in force for {what} from {start}"


def with_in_force(text: str, parts: list[str], what: str, day) -> str:
    """`text` plus the in-force sentence of `parts` (from in_force_part), for `what` ("requests") on `day`."""
    return f"{text.rstrip()} This uses " + " and ".join(parts) + f" (the {what[:-1]} date is {day.isoformat()})."


def compiled_template(template: str, values: tuple[tuple[str, Callable[..., Any] | str], ...], arity: int,
                      cited: str | None = None, env: dict[str, Any] | None = None) -> Callable[..., str | None] | None:
    """`templates.render(template, {name: value(*args) for name, value in values})` as one function of `arity`
    arguments, built once per rule; a value is a function of the arguments or an expression over `a0`, `a1`, ...
    (and the names in `env`).

    A template whose placeholders are all bare names becomes an f-string of str() values: the same text as
    render (format(v, "") is str(v) for every value a rule shows) at a fraction of its cost. With `cited`
    (" (rule X)."), the function gives `cite(text, X)` instead, or None when that takes the renderer (then
    call the plain one and cite); and the template must end with text that ends no sentence in whitespace,
    else there is no such function (None).
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        parts = None
    value_of = dict(values)
    names = list(value_of)
    lines = [f"    v{i} = " + (value_of[name] if isinstance(value_of[name], str) else f"value{i}({', '.join(f'a{j}' for j in range(arity))})")
             for i, name in enumerate(names)]
    params = ", ".join(f"a{i}" for i in range(arity))
    scope: dict[str, Any] = {f"value{i}": value_of[name] for i, name in enumerate(names) if not isinstance(value_of[name], str)}
    scope.update(env or {}, MAX_RENDERED=templates.MAX_RENDERED, render=templates.render, TEMPLATE=template, NAMES=tuple(names))
    rendered = f"render(TEMPLATE, {{{', '.join(f'NAMES[{i}]: v{i}' for i in range(len(names)))}}})"
    if parts is None or any(name is not None and (not name.isidentifier() or spec or conversion or name not in value_of)
                            for _, name, spec, conversion in parts):
        if cited is not None:
            return None
        source = f"def explain({params}):\n" + "\n".join(lines) + f"\n    return {rendered}\n"
    else:
        # the literal text goes in as constants (no escaping), each value through str() as %s would
        pieces, limit = [], templates.MAX_RENDERED
        for i, (literal, name, _, _) in enumerate(parts):
            if cited is not None and i == len(parts) - 1 and name is None:
                if not literal or literal.rstrip() != literal:
                    return None
                limit += len(cited) - literal.endswith(".")
                literal = (literal[:-1] if literal.endswith(".") else literal) + cited
            elif cited is not None and i == len(parts) - 1:
                return None
            if literal:
                scope[f"L{i}"] = literal
                pieces.append(f"{{L{i}}}")
            if name is not None:
                pieces.append(f"{{v{names.index(name)}!s}}")
        if cited is not None and not parts:
            return None
        body = "f'" + "".join(pieces) + "'" if pieces else "''"
        overflow = "None" if cited is not None else rendered
        source = (f"def explain({params}):\n" + "\n".join(lines) + "\n"
                  f"    out = {body}\n"
                  f"    if len(out) > {limit}:\n"
                  f"        return {overflow}\n"
                  f"    return out\n")
    exec(compile(source, f"<explanation {template[:40]!r}>", "exec"), scope)  # noqa: S102 - only generated names and the env's expressions
    return scope.pop("explain")
