"""Cell values of Amazon's flat-file reports: timestamps in the formats real files use, money in
either decimal convention, currency codes, quantities and yes/no flags. A bad cell raises Bad."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..records import Bad

UTC = timezone.utc
CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")
MAX_QUANTITY = 2**31 - 1
_CACHE_LIMIT = 50_000

# Zone abbreviations Amazon's reports print after a local time ("2026-03-01 10:00:00 PST").
ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4,
    "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11,
}
MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_ZONED = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?) ([A-Za-z]{1,5})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_NAMED_MONTH = re.compile(r"(\d{1,2})[- ]([A-Za-z]{3})[- ](\d{4})")
_AMOUNT = re.compile(r"[0-9.,]+")
_SYMBOLS = "$€£¥₹"
TIME_FORMATS = ("2026-03-01T10:00:00+00:00 (ISO 8601; Z or an offset; a date alone is midnight UTC), "
                "2026-03-01 10:00:00 PST, 03/01/2026 (month/day/year), 01.03.2026 (day.month.year), 01-Mar-2026")


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


_times: dict[str, datetime] = {}


def timestamp(text: str) -> datetime:
    """An aware UTC datetime from any of TIME_FORMATS; timestamps without a zone are UTC."""
    found = _times.get(text)
    if found is not None:
        return found
    value = _parse_time(text.strip())
    if len(_times) >= _CACHE_LIMIT:  # reports repeat a few thousand distinct dates; bound the cache anyway
        _times.clear()
    _times[text] = value
    return value


def _parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    zoned = _ZONED.fullmatch(text)
    if zoned is not None and zoned[3].upper() not in ZONES:
        raise Bad(f"has an unknown time zone {zoned[3]!r} (known: {', '.join(ZONES)})")
    try:
        if m := zoned:
            zone = ZONES[m[3].upper()]
            local = datetime.fromisoformat(f"{m[1]}T{m[2].zfill(5) if len(m[2]) < 5 else m[2]}")
            return (local - timedelta(hours=zone)).replace(tzinfo=UTC)
        if m := _US_DATE.fullmatch(text):
            return datetime(int(m[3]), int(m[1]), int(m[2]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0), tzinfo=UTC)
        if m := _DOTTED_DATE.fullmatch(text):
            return datetime(int(m[3]), int(m[2]), int(m[1]), tzinfo=UTC)
        if (m := _NAMED_MONTH.fullmatch(text)) and m[2].lower() in MONTHS:
            return datetime(int(m[3]), MONTHS[m[2].lower()], int(m[1]), tzinfo=UTC)
    except ValueError as exc:  # e.g. month 13 or 31 February
        raise Bad(f"is not a real date: {_show(text)} ({exc})") from None
    raise Bad(f"is not a date or time Amazon writes: {_show(text)}; expected one of {TIME_FORMATS}")


_amounts: dict[str, Decimal] = {}


def money(text: str) -> Decimal:
    """A non-negative amount with at most two decimals; a currency symbol or code, thousands separators
    and a decimal comma ("1.234,56") are read."""
    found = _amounts.get(text)
    if found is not None:
        return found
    value = _parse_money(text)
    if len(_amounts) >= _CACHE_LIMIT:
        _amounts.clear()
    _amounts[text] = value
    return value


def _parse_money(text: str) -> Decimal:
    raw = text.strip().strip(_SYMBOLS).strip()
    if len(raw) > 4 and raw[:3].isalpha() and raw[3] == " ":  # "USD 12.00"
        raw = raw[4:]
    elif len(raw) > 4 and raw[-3:].isalpha() and raw[-4] == " ":  # "12,00 EUR"
        raw = raw[:-4]
    raw = raw.strip(_SYMBOLS).strip()
    if raw.startswith("-"):
        raise Bad(f"must not be negative, got {_show(text)}")
    if not _AMOUNT.fullmatch(raw):
        raise Bad(f"is not an amount of money: {_show(text)}")
    comma, dot = raw.rfind(","), raw.rfind(".")
    if comma > dot and len(raw) - comma - 1 in (1, 2):  # a decimal comma: "12,5", "1.234,56"
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise Bad(f"is not an amount of money: {_show(text)}") from None
    if amount > MAX_MONEY or amount != amount.quantize(CENT):
        raise Bad(f"must have at most two decimal places and be at most {MAX_MONEY}, got {_show(text)}")
    return amount.quantize(CENT)


def share(total: Decimal, quantity: int) -> Decimal:
    """A line amount divided by its quantity, to the cent."""
    return (total / quantity).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(text: str) -> int:
    """A whole number of at least 1."""
    raw = text.strip()
    if not raw.isdigit() or not 0 < int(raw) <= MAX_QUANTITY:
        raise Bad(f"must be a whole number of at least 1, got {_show(text)}")
    return int(raw)


def count(text: str) -> int:
    """A whole number of at least 0 (the orders report has quantity 0 on cancelled lines)."""
    raw = text.strip()
    if not raw.isdigit() or int(raw) > MAX_QUANTITY:
        raise Bad(f"must be a whole number, got {_show(text)}")
    return int(raw)


def currency(text: str) -> str:
    """An ISO 4217 code such as USD, upper-cased."""
    raw = text.strip().upper()
    if len(raw) != 3 or not raw.isalpha() or not raw.isascii():
        raise Bad(f"must be a three-letter currency code such as USD, got {_show(text)}")
    return raw


_FLAGS = {"y": True, "yes": True, "true": True, "1": True, "n": False, "no": False, "false": False, "0": False}


def flag(text: str) -> bool:
    """Y/N, Yes/No, true/false or 1/0."""
    found = _FLAGS.get(text.strip().lower())
    if found is None:
        raise Bad(f"must be Y or N, got {_show(text)}")
    return found


def country(text: str) -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased."""
    raw = text.strip().upper()
    if len(raw) != 2 or not raw.isalpha() or not raw.isascii():
        raise Bad(f"must be a two-letter country code such as US, got {_show(text)}")
    return raw


def identifier(text: str, limit: int = 64) -> str:
    """An id as the report writes it: 1 to `limit` characters, surrounding spaces removed."""
    raw = text.strip()
    if not raw or len(raw) > limit:
        raise Bad(f"must be an id of 1 to {limit} characters, got {_show(text)}")
    return raw


_categories: dict[str, str] = {}
_NOT_CODE = re.compile(r"[^a-z0-9]+")


def category_code(text: str) -> str:
    """A category name ("Sports & Outdoors") as the policy's category code ("sports_outdoors")."""
    found = _categories.get(text)
    if found is not None:
        return found
    code = _NOT_CODE.sub("_", text.strip().lower()).strip("_")[:63]
    if not code or not code[0].isalpha():
        raise Bad(f"must be a category name starting with a letter, got {_show(text)}")
    if len(_categories) >= _CACHE_LIMIT:
        _categories.clear()
    _categories[text] = code
    return code
