"""Column types that round-trip the same on SQLite and PostgreSQL: UTC timestamps, money, JSON."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime, stored as UTC (timestamptz on PostgreSQL, naive UTC text on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware datetimes, got {value!r}")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Money(TypeDecorator):
    """An exact amount in cents: Decimal in Python, NUMERIC(12, 2) in the database; floats are refused."""

    impl = Numeric(12, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise ValueError(f"money must be a Decimal, got {value!r}")
        return Decimal(value).quantize(CENT)

    def process_result_value(self, value: Any, dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(CENT)


def json_default(value: Any) -> Any:
    """JSON for Decimals (as numbers) and dates (ISO 8601 text), which decision facts may carry."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):  # datetime is a date too; both keep their isoformat()
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """Compact JSON for a column."""
    return json.dumps(value, default=json_default, separators=(",", ":"), ensure_ascii=False)


JSONType = JSON().with_variant(JSONB(), "postgresql")
