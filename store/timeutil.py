"""UTC dates and windows: how the store turns `as_of` into timestamp ranges."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from .errors import StoreError

UTC = timezone.utc


def aware(value: datetime, name: str = "as_of") -> datetime:
    """`value` as an aware UTC datetime; StoreError for naive ones or non-datetimes."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise StoreError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def utc_date(value: datetime) -> date:
    """The UTC calendar date of an aware datetime."""
    return value.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time(), tzinfo=UTC)


def window(as_of: date, days: int) -> tuple[datetime, datetime]:
    """[start, end) covering the `days` calendar days (UTC) that end on `as_of`, inclusive."""
    if isinstance(as_of, datetime) or not isinstance(as_of, date):
        raise StoreError(f"as_of must be a date, got {as_of!r}")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise StoreError(f"window_days must be a whole number of at least 1, got {days!r}")
    end = day_start(as_of + timedelta(days=1))
    return end - timedelta(days=days), end


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole UTC calendar days from `earlier` to `later` (0 on the same day)."""
    return (utc_date(later) - utc_date(earlier)).days
