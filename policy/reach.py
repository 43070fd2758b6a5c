"""Whether custom refund rules can fire: conditions that contradict each other, or an earlier rule that covers a later one.

Each field is judged on its own (the engine tests fields independently), as the set of values a
rule's conditions on that field allow: a finite set, every value but a few, or an interval of
numbers with a few holes. Whole-number fields only count whole numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from .model import Condition
from .vocabulary import CONDITIONS, REFUND_REASONS, REFUND_RULE_FIELDS

_DOMAINS = {"reason": frozenset(REFUND_REASONS), "condition": frozenset(CONDITIONS), "boolean": frozenset({True, False})}
_ENUMERABLE = 100  # an `in` list holds at most 100 values, so no wider run of whole numbers fits in one


def satisfiable(conditions: Iterable[Condition]) -> bool:
    """False when the conditions on some field can never hold together."""
    return impossible_field(conditions) is None


def impossible_field(conditions: Iterable[Condition]) -> str | None:
    """The first field whose conditions no request can meet (they contradict, or ask for a negative number), or None."""
    return next((field for field, conds in _by_field(conditions).items() if _allowed(field, conds).empty()), None)


def covers(earlier: Iterable[Condition], later: Iterable[Condition]) -> bool:
    """True when every request that `later` matches also matches `earlier`, so a later rule never fires."""
    mine = _by_field(later)
    return all(_allowed(field, mine.get(field, [])).within(c) for field, conds in _by_field(earlier).items() for c in conds)


def holds(value: Any, c: Condition) -> bool:
    """Whether `value` passes the condition `c`."""
    v = c.value
    if c.op == "eq":
        return value == v
    if c.op == "ne":
        return value != v
    if c.op == "in":
        return value in v
    if c.op == "not_in":
        return value not in v
    if c.op == "gt":
        return value > v
    if c.op == "gte":
        return value >= v
    if c.op == "lt":
        return value < v
    return value <= v


def _by_field(conditions: Iterable[Condition]) -> dict[str, list[Condition]]:
    out: dict[str, list[Condition]] = {}
    for c in conditions:
        out.setdefault(c.field, []).append(c)
    return out


def _values(c: Condition) -> set:
    return set(c.value) if c.op in ("in", "not_in") else {c.value}


@dataclass(frozen=True)
class _Finite:
    """Exactly these values."""

    values: frozenset

    def empty(self) -> bool:
        return not self.values

    def within(self, c: Condition) -> bool:
        return all(holds(x, c) for x in self.values)


@dataclass(frozen=True)
class _AllBut:
    """Any text but these values (categories: a rule may name only declared ones, requests may carry any)."""

    excluded: frozenset

    def empty(self) -> bool:
        return False

    def within(self, c: Condition) -> bool:
        return c.op in ("ne", "not_in") and _values(c) <= self.excluded


@dataclass(frozen=True)
class _Interval:
    """Numbers from lo to hi (each end open or closed, possibly infinite) except a few; whole numbers only if `integer`."""

    lo: float
    lo_open: bool
    hi: float
    hi_open: bool
    excluded: frozenset
    integer: bool

    def inside(self, x: Any) -> bool:
        return ((x > self.lo or (x == self.lo and not self.lo_open)) and (x < self.hi or (x == self.hi and not self.hi_open))
                and (not self.integer or x == int(x)) and x not in self.excluded)

    def first(self) -> float:
        """The smallest whole number inside (or -inf)."""
        if self.lo == -math.inf:
            return -math.inf
        x = self.lo if (not self.lo_open and self.lo == math.floor(self.lo)) else math.floor(self.lo) + 1
        while x in self.excluded:
            x += 1
        return x

    def last(self) -> float:
        """The largest whole number inside (or inf)."""
        if self.hi == math.inf:
            return math.inf
        x = self.hi if (not self.hi_open and self.hi == math.ceil(self.hi)) else math.ceil(self.hi) - 1
        while x in self.excluded:
            x -= 1
        return x

    def empty(self) -> bool:
        if self.integer:
            return self.first() > self.last()
        return not (self.lo < self.hi or (self.lo == self.hi and self.inside(self.lo)))

    def within(self, c: Condition) -> bool:
        if c.op in ("eq", "in"):  # only a single point or a short run of whole numbers can all be listed
            if self.integer:
                low, high = self.first(), self.last()
                return high - low <= _ENUMERABLE and all(holds(x, c) for x in range(int(low), int(high) + 1) if self.inside(x))
            return self.lo == self.hi and holds(self.lo, c)
        if c.op in ("ne", "not_in"):
            return not any(self.inside(v) for v in _values(c))
        if self.integer:  # compare the whole numbers at the ends, so {gte: 4} implies {gt: 3}
            lo, lo_open, hi, hi_open = self.first(), False, self.last(), False
        else:
            lo, lo_open = self.lo, self.lo_open or self.lo in self.excluded
            hi, hi_open = self.hi, self.hi_open or self.hi in self.excluded
        if c.op in ("gt", "gte"):
            return lo > c.value or (lo == c.value and (lo_open or c.op == "gte"))
        return hi < c.value or (hi == c.value and (hi_open or c.op == "lte"))


def _allowed(field: str, conds: list[Condition]):
    """The values of `field` that pass every condition in `conds`."""
    kind = REFUND_RULE_FIELDS[field]
    points: set | None = None
    excluded: set = set()
    for c in conds:
        if c.op in ("eq", "in"):
            points = _values(c) if points is None else points & _values(c)
        elif c.op in ("ne", "not_in"):
            excluded |= _values(c)
    if kind not in ("number", "integer"):
        domain = _DOMAINS.get(field, _DOMAINS.get(kind))
        if points is None:
            if domain is None:
                return _AllBut(frozenset(excluded))
            points = set(domain)
        elif domain is not None:
            points &= domain
        return _Finite(frozenset(points - excluded))
    # Every number a request carries (price, days, counts, windows) is 0 or more: `price: {lt: 0}` never matches.
    span = _Interval(0, False, math.inf, False, frozenset(excluded), kind == "integer")
    for c in conds:
        if c.op in ("gt", "gte") and (c.value > span.lo or (c.value == span.lo and c.op == "gt")):
            span = _Interval(c.value, c.op == "gt", span.hi, span.hi_open, span.excluded, span.integer)
        elif c.op in ("lt", "lte") and (c.value < span.hi or (c.value == span.hi and c.op == "lt")):
            span = _Interval(span.lo, span.lo_open, c.value, c.op == "lt", span.excluded, span.integer)
    if points is not None:
        return _Finite(frozenset(p for p in points if span.inside(p)))
    return span
