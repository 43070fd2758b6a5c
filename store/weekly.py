"""A seller's tier counts week by week over the metric window, as grouped SQL aggregates (for the tier chart).

Weeks end on `as_of` (inclusive) and go back 7 days at a time; the oldest week is cut at the
window's start when the window is not a whole number of weeks. The counts mean what they mean
in store.metrics, bucketed by the same timestamp.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, literal, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .metrics import TIER_FACT_FIELDS, metric_sources
from .models import Order, Seller
from .timeutil import window

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


def bucket(column, bounds: list[tuple[datetime, datetime]]):
    """The index of the interval of `bounds` (contiguous, oldest first) `column` falls in (callers keep it inside them)."""
    if len(bounds) == 1:
        return literal(0)
    return case(*((column < week_end, index) for index, (_, week_end) in enumerate(bounds[:-1])), else_=len(bounds) - 1)


def interval_sums(session: Session, *, seller_id: str, intervals: list[tuple[datetime, datetime]], moment, aggregates,
                  source, where: list) -> dict[int, list[int]]:
    """The aggregates of the seller's seller-fulfilled rows per interval (contiguous, oldest first) whose `moment`
    falls in it, `{index: values}` for the intervals that have rows, from one grouped query."""
    part = bucket(moment, intervals).label("part")
    query = (select(part, *aggregates).select_from(source)
             .where(Order.seller_id == seller_id, Order.fulfilment == "seller", moment >= intervals[0][0],
                    moment < intervals[-1][1], *where)
             .group_by(part))
    return {index: [int(value) for value in values] for index, *values in session.execute(query)}


def weekly_tier_counts(session: Session, *, seller_id: str, as_of: date, window_days: int) -> list[WeekCounts]:
    """The seller's tier counts per week over the window, oldest week first; NotFound for an unknown seller."""
    if session.get(Seller, seller_id) is None:
        raise NotFound(f"no seller {seller_id!r}")
    bounds = week_bounds(as_of, window_days)
    weeks = [dict.fromkeys(TIER_FACT_FIELDS, 0) for _ in bounds]
    for fields, moment, aggregates, source, where in metric_sources():
        sums = interval_sums(session, seller_id=seller_id, intervals=bounds, moment=moment, aggregates=aggregates,
                             source=source, where=where)
        for index, values in sums.items():
            weeks[index].update(zip(fields, values))
    return [WeekCounts(week_start, week_end, counts) for (week_start, week_end), counts in zip(bounds, weeks)]
