"""Dated values resolved once per period: a day finds its period by bisection among the dates values change on."""
from __future__ import annotations

from bisect import bisect_right
from datetime import date
from typing import Any

from policy.model import Dated


class Resolved:
    """Named values (some Dated) as they stand on any day: (values in order, {name: (value, from)} for the dated ones in force).

    Between two consecutive change dates every value is the same, so each period is resolved once,
    when a day in it is first asked for; `at` is then one bisection and one list index.
    """

    __slots__ = ("names", "values", "changes", "periods")

    def __init__(self, values: dict[str, Any]):
        self.names = tuple(values)
        self.values = tuple(values.values())
        self.changes = change_dates(self.values)
        self.periods: list[tuple[tuple, dict] | None] = [None] * (len(self.changes) + 1)

    def at(self, day: date) -> tuple[tuple, dict]:
        """(the values on `day`, {name: (value, from date)} for each Dated one with a from date)."""
        i = bisect_right(self.changes, day)
        period = self.periods[i]
        if period is None:
            period = self.periods[i] = self._resolve(self.changes[i - 1] if i else date.min)
        return period

    def _resolve(self, day: date) -> tuple[tuple, dict]:
        dated: dict = {}
        return tuple(resolve(value, day, name, dated) for name, value in zip(self.names, self.values)), dated


def change_dates(values: Any) -> list[date]:
    """The sorted dates on which any of `values` (some Dated) changes."""
    # Dated.at picks the last entry whose from <= day (the first entry for earlier days), so only later entries' dates matter.
    return sorted({start for v in values if type(v) is Dated for start, _ in v.entries[1:]})


def resolve(value: Any, day: date, name: str, dated: dict) -> Any:
    """`value` as it stands on `day`; a Dated one with a from date is also recorded in `dated` as {name: (value, from)}."""
    if type(value) is Dated:
        value, start = value.at(day)
        if start is not None:
            dated[name] = (value, start)
    return value
