"""Translates the policy's rule conditions into durable_rules JSON expressions."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

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


def expression(c: Condition) -> dict:
    """One policy condition as a durable_rules expression."""
    if c.op == "eq":
        return {c.field: literal(c.value)}
    if c.op == "in":
        return any_of({c.field: literal(v)} for v in c.value)
    if c.op == "not_in":
        return all_of({"$neq": {c.field: literal(v)}} for v in c.value)
    return {_COMPARE[c.op]: {c.field: literal(c.value)}}


def same_event(field: str) -> dict:
    """A reference to another field of the same event (`$m`), for comparisons like days > window."""
    return {"$m": field}


def rule(priority: int, condition: dict) -> dict:
    """A first-hit durable_rules rule: lower priority numbers fire first."""
    return {"pri": priority, "all": [{"m": condition}]}
