"""Dated values resolved once per period give what each value's own `at` gives on every day."""
from __future__ import annotations

from datetime import date, timedelta

from policy.model import Dated
from rules.dated import Resolved


def test_resolved_periods_match_each_values_own_lookup_on_every_day():
    window = Dated(((None, 30), (date(2026, 6, 1), 35)))
    fee = Dated(((date(2026, 1, 1), "a"), (date(2026, 3, 1), "b"), (date(2026, 7, 1), "c")))
    values = {"window": window, "fee": fee, "plain": 7}
    resolved = Resolved(values)
    assert resolved.changes == [date(2026, 3, 1), date(2026, 6, 1), date(2026, 7, 1)]
    day = date(2025, 11, 1)
    while day < date(2026, 9, 1):
        got, dated = resolved.at(day)
        assert got == (window.at(day)[0], fee.at(day)[0], 7), day
        # a value is noted with the date it applies from, unless it has none (the first entry without a from)
        expected = {name: v.at(day) for name, v in (("window", window), ("fee", fee)) if v.at(day)[1] is not None}
        assert dated == expected, day
        day += timedelta(days=1)
    assert all(period is not None for period in resolved.periods)  # every period was resolved, once
