"""Weekly tier counts (for the tier chart) add up to the window's counts, on both databases."""
from datetime import date, datetime, timedelta, timezone

import pytest

from store import NotFound, TIER_FACT_FIELDS, tier_facts, tier_facts_for, tier_facts_series, week_bounds, weekly_tier_counts

from .test_metrics import AS_OF, shop  # noqa: F401  (the fixture)


def test_weeks_end_on_as_of_and_the_oldest_is_cut_at_the_window_start():
    bounds = week_bounds(AS_OF, 90)
    assert len(bounds) == 13
    assert bounds[-1] == (datetime(2026, 6, 24, tzinfo=timezone.utc), datetime(2026, 7, 1, tzinfo=timezone.utc))
    assert bounds[0] == (datetime(2026, 4, 2, tzinfo=timezone.utc), datetime(2026, 4, 8, tzinfo=timezone.utc))  # 6 days
    assert all(earlier[1] == later[0] for earlier, later in zip(bounds, bounds[1:]))


@pytest.mark.parametrize("seller_id", ["S1", "S2", "S3"])
@pytest.mark.parametrize("window_days", [90, 28, 1])
def test_the_weeks_add_up_to_the_window(shop, seller_id, window_days):  # noqa: F811
    with shop.read() as session:
        weeks = weekly_tier_counts(session, seller_id=seller_id, as_of=AS_OF, window_days=window_days)
        total = tier_facts(session, seller_id=seller_id, as_of=AS_OF, window_days=window_days)
    assert {name: sum(w.counts[name] for w in weeks) for name in TIER_FACT_FIELDS} == total


def test_each_count_lands_in_its_week(shop):  # noqa: F811
    with shop.read() as session:
        weeks = weekly_tier_counts(session, seller_id="S1", as_of=AS_OF, window_days=90)
    by_start = {w.start.date(): w.counts for w in weeks}
    assert by_start[date(2026, 4, 2)]["shipments"] == 2 and by_start[date(2026, 4, 2)]["valid_tracking"] == 1  # SH2, SH3
    assert by_start[date(2026, 6, 24)]["contacts"] == 1  # C3, the last second of as_of
    assert by_start[date(2026, 5, 27)]["units"] == 3 and by_start[date(2026, 6, 3)]["contacts"] == 1  # O1; C1
    assert by_start[date(2026, 6, 10)]["returns"] == 2 and by_start[date(2026, 6, 10)]["prepaid_label_returns"] == 1


def test_an_unknown_seller_is_not_found(shop):  # noqa: F811
    with shop.read() as session, pytest.raises(NotFound):
        weekly_tier_counts(session, seller_id="S9", as_of=AS_OF, window_days=90)


@pytest.mark.parametrize("seller_id", ["S1", "S2", "S3"])
@pytest.mark.parametrize("window_days", [90, 28, 5, 1])
def test_the_series_gives_what_tier_facts_for_gives_on_each_day(shop, seller_id, window_days):  # noqa: F811
    days = [AS_OF - timedelta(days=7 * k) for k in range(12, -1, -1)] + [AS_OF + timedelta(days=3), date(2026, 5, 31)]
    with shop.read() as session:
        series = tier_facts_series(session, seller_id=seller_id, days=days, window_days=window_days)
        one_by_one = [tier_facts_for(session, seller_id=seller_id, as_of=day, window_days=window_days) for day in days]
    assert series == one_by_one
    if seller_id == "S1":  # the seller with rows in every window: the comparison is not of zeros alone
        assert any(facts[name] for facts in series for name in TIER_FACT_FIELDS) and any(f["orders_90d"] for f in series)


def test_the_series_of_an_unknown_seller_is_not_found(shop):  # noqa: F811
    with shop.read() as session, pytest.raises(NotFound):
        tier_facts_series(session, seller_id="S9", days=[AS_OF], window_days=90)
