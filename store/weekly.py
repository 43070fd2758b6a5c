"""A seller's tier counts week by week over the metric window, as grouped SQL aggregates (for the tier chart).

Weeks end on `as_of` (inclusive) and go back 7 days at a time; the oldest week is cut at the
window's start when the window is not a whole number of weeks. The counts mean what they mean
in store.metrics, bucketed by the same timestamp.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Seller
from .timeutil import window
from .windows import window_sums

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class WeekCounts:
    """One week's tier counts: [start, end) and the keys of TIER_FACT_FIELDS."""

    start: datetime
    end: datetime
    counts: dict[str, int]


def week_bounds(as_of: date, window_days: int) -> list[tuple[datetime, datetime]]:
    """The weeks covering the window, oldest first."""
    start, end = window(as_of, window_days)
    bounds = []
    while end > start:
        bounds.append((max(start, end - WEEK), end))
        end -= WEEK
    return bounds[::-1]


def weekly_tier_counts(session: Session, *, seller_id: str, as_of: date, window_days: int) -> list[WeekCounts]:
    """The seller's tier counts per week over the window, oldest week first; NotFound for an unknown seller."""
    if session.get(Seller, seller_id) is None:
        raise NotFound(f"no seller {seller_id!r}")
    bounds = week_bounds(as_of, window_days)
    counts, _orders = window_sums(session, seller_id=seller_id, metric_windows=bounds, order_windows=[])
    return [WeekCounts(start, end, week) for (start, end), week in zip(bounds, counts)]
