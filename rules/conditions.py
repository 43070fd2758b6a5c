"""Translates the policy's rule conditions into durable_rules JSON expressions."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from policy.facts import FACTS
from policy.model import Condition

_COMPARE = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


def literal(value: Any) -> Any:
    """A policy value as a JSON literal durable_rules compares exactly (Decimals become numbers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def all_of(expressions: Iterable[dict]) -> dict:
    """`$and` of the expressions, or the single expression itself."""
    items = list(expressions)
    return items[0] if len(items) == 1 else {"$and": items}


def any_of(expressions: Iterable[dict]) -> dict:
    """`$or` of the expressions, or the single expression itself."""
    items = list(expressions)
    return items[0] if len(items) == 1 else {"$or": items}


def tag_field(fact: str, tag: str) -> str:
    """The event field that says whether the list fact `fact` holds `tag`."""
    return f"{fact}__{tag}"


def month_day_field(fact: str) -> str:
    """The event field holding a date fact's month * 100 + day (0 when unknown)."""
    return f"{fact}__md"


def expression(c: Condition, kind: str = "refund") -> dict:
    """One policy condition as a durable_rules expression over the event's fields."""
    fact = FACTS[kind][c.field]
    if c.op == "contains_any":
        return any_of({tag_field(c.field, t): True} for t in c.value)
    if c.op == "contains_all":
        return all_of({tag_field(c.field, t): True} for t in c.value)
    if c.op == "contains_none":
        return all_of({tag_field(c.field, t): False} for t in c.value)
    if c.op == "yearly":
        md = month_day_field(c.field)
        lo, hi = c.value
        if lo <= hi:
            return all_of([{"$gte": {md: lo}}, {"$lte": {md: hi}}])
        return any_of([{"$gte": {md: lo}}, all_of([{"$lte": {md: hi}}, {"$gt": {md: 0}}])])
    if fact.type == "date" and c.op in ("lt", "lte"):
        # An unknown date is written as 0, which no date condition may match.
        return all_of([{_COMPARE[c.op]: {c.field: c.value}}, {"$gt": {c.field: 0}}])
    if c.op == "eq":
        return {c.field: literal(c.value)}
    if c.op == "in":
        return any_of({c.field: literal(v)} for v in c.value)
    if c.op == "not_in":
        return all_of({"$neq": {c.field: literal(v)}} for v in c.value)
    return {_COMPARE[c.op]: {c.field: literal(c.value)}}


def fields_of(expr: Any) -> set[str]:
    """Every event field a durable_rules expression reads."""
    found: set[str] = set()
    if isinstance(expr, list):
        for item in expr:
            found |= fields_of(item)
    elif isinstance(expr, dict):
        for key, value in expr.items():
            if key in ("$and", "$or", "$gt", "$gte", "$lt", "$lte", "$neq", "$ex", "$nex"):
                found |= fields_of(value)
            elif key == "$m":
                found.add(value)
            else:
                found.add(key)
                if isinstance(value, dict):
                    found |= fields_of(value)
    return found


def renamed(expr: Any, names: dict[str, str]) -> Any:
    """A durable_rules expression with every event field it reads renamed by `names` (the fields `fields_of` finds)."""
    if isinstance(expr, list):
        return [renamed(item, names) for item in expr]
    if not isinstance(expr, dict):
        return expr
    out: dict[str, Any] = {}
    for key, value in expr.items():
        if key in ("$and", "$or", "$gt", "$gte", "$lt", "$lte", "$neq", "$ex", "$nex"):
            out[key] = renamed(value, names)
        elif key == "$m":
            out[key] = names[value]
        else:
            out[names[key]] = renamed(value, names) if isinstance(value, dict) else value
    return out


def short_names(fields: Iterable[str]) -> dict[str, str]:
    """A short event field name for each field (a..z, a1..z1, ...): the C core parses, hashes and copies
    every name of every event, so short names make each decision cheaper. None is sid, id or $s."""
    return {name: chr(97 + i % 26) + (str(i // 26) if i >= 26 else "") for i, name in enumerate(sorted(fields))}


# An $or of at least this many equality tests of one text field (a long `in`), or an $and of as many
# $neq (a long `not_in`), is sent to the C core as one boolean field: the core tests each alternative
# of every event (27 countries cost ~6,000 instructions an event) but one boolean field ~650.
MEMBERSHIP_MIN = 3


def condensed(expr: Any, members: dict[tuple[str, frozenset], str]) -> Any:
    """`expr` with each long `in` / `not_in` over one text field replaced by a test of a membership field
    (`{field}__in{n}`, true when the field's value is one of the values); `members` maps (field, values) to
    the membership field's name and grows with the new ones. Everything else is left as it is."""
    if isinstance(expr, list):
        return [condensed(item, members) for item in expr]
    if not isinstance(expr, dict) or len(expr) != 1:
        return expr
    (key, value), = expr.items()
    if key in ("$or", "$and") and isinstance(value, list) and len(value) >= MEMBERSHIP_MIN:
        tests = [item.get("$neq") if key == "$and" else item for item in value if isinstance(item, dict) and len(item) == 1]
        if len(tests) == len(value) and all(isinstance(t, dict) and len(t) == 1 for t in tests):
            fields = {next(iter(t)) for t in tests}
            values = [next(iter(t.values())) for t in tests]
            field = next(iter(fields))
            if len(fields) == 1 and not field.startswith("$") and all(type(v) is str for v in values):
                name = members.setdefault((field, frozenset(values)), f"{field}__in{len(members)}")
                return {name: key == "$or"}
    if key in ("$and", "$or"):
        return {key: condensed(value, members)}
    return expr


def same_event(field: str) -> dict:
    """A reference to another field of the same event (`$m`), for comparisons like days > window."""
    return {"$m": field}


def rule(priority: int, condition: dict) -> dict:
    """A first-hit durable_rules rule: lower priority numbers fire first."""
    return {"pri": priority, "all": [{"m": condition}]}
