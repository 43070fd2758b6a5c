"""Checks and normalises the facts of each decision kind (policy/facts.py); every bad field is reported at once."""
from __future__ import annotations

import math
import re
import time
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from policy.errors import did_you_mean
from policy.facts import FACTS, given_fields

from .factcode import cents, fast_checker

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1000000000")
MAX_DAYS = 100_000
MAX_COUNT = 10**12
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TAG_RE = CATEGORY_RE
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TAGS = 100

# The facts requests had before policy language 2; all of them are still required (or derivable).
REFUND_FIELDS = ("category", "price", "days_since_delivery", "reason", "condition", "buyer_returns_90d")
TIER_FIELDS = ("shipments", "valid_tracking", "returns", "prepaid_label_returns", "units", "contacts")
CLAIM_FIELDS = (
    "reason", "days_since_refund", "return_received", "days_since_return_delivered", "category",
    "refund_amount", "refund_issued_by", "auto_refund_late", "evidence",
)
_MAX_INT = {"count": MAX_COUNT, "days": MAX_DAYS}
_GIVEN = {kind: given_fields(kind) for kind in FACTS}
_GIVEN_SET = {kind: frozenset(fields) for kind, fields in _GIVEN.items()}


class FactsError(ValueError):
    """The facts of a request are invalid; `errors` lists (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in errors))


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_today_span = [0.0, 0.0, None]  # [start, end) of the UTC day last asked for, in epoch seconds, and its date


def today() -> date:
    """Today's UTC date: the default of a kind's date fact."""
    now = time.time()
    start, end, day = _today_span
    if start <= now < end:
        return day
    number = int(now // 86400)
    day = date.fromordinal(_EPOCH_ORDINAL + number)
    _today_span[:] = [number * 86400.0, (number + 1) * 86400.0, day]
    return day


def pin_today(day: date | None) -> None:
    """Make `today()` answer `day` from now on, whatever the clock says (None: the real UTC date again); for
    records that must not depend on the day they are made, such as bench/decision_dump.py's."""
    _today_span[:] = [float("-inf"), float("inf"), day] if day is not None else [0.0, 0.0, None]


class _Checker:
    """Checks each given fact against its type in the fact model of one kind."""

    def __init__(self, kind: str, facts: Any):
        self.kind = kind
        self.model = FACTS[kind]
        self.errors: list[tuple[str, str]] = []
        fields = _GIVEN[kind]
        if not isinstance(facts, (dict, Mapping)):
            self.errors.append(("", f"facts must be a JSON object, got {type(facts).__name__}"))
            self.facts: Mapping = {}
            return
        self.facts = facts
        known = _GIVEN_SET[kind]
        for name in facts:
            if name not in known:
                fact = self.model.get(name) if isinstance(name, str) else None
                if fact is not None and fact.derived:
                    self.errors.append((str(name), "is derived by the engine; leave it out"))
                else:
                    self.errors.append((str(name), f"unknown field{did_you_mean(name, fields)}"))
        for name in fields:
            if name not in facts and self.model[name].required:
                self.errors.append((name, "is required"))

    def all(self) -> dict[str, Any]:
        """Every given fact of the kind, checked, with defaults for the optional ones left out."""
        out = {}
        facts = self.facts
        for name, fact, check, default in _checks(self.kind):
            if name in facts and not (facts[name] is None and not fact.required):
                out[name] = check(self, name, fact)
            else:
                out[name] = default
        return out

    def enum(self, name: str, fact) -> str | None:
        value = self.facts.get(name)
        if value not in fact.choices:
            self.errors.append((name, f"{value!r} is not one of {', '.join(fact.choices)}{did_you_mean(value, fact.choices)}"))
        return value

    def count(self, name: str, fact) -> int | None:
        value = self.facts.get(name)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        maximum = _MAX_INT[fact.type]
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append((name, f"must be a whole number, got {value!r}"))
        elif not 0 <= value <= maximum:
            self.errors.append((name, f"must be between 0 and {maximum}, got {value}"))
        return value

    days = count

    def bool(self, name: str, fact) -> bool | None:
        value = self.facts.get(name)
        if not isinstance(value, bool):
            self.errors.append((name, f"must be true or false, got {value!r}"))
        return value

    def money(self, name: str, fact) -> Decimal | None:
        value = self.facts.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            self.errors.append((name, f"must be an amount of money, got {value!r}"))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.errors.append((name, f"must be a finite amount, got {value!r}"))
            return None
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            self.errors.append((name, f"must be an amount of money, got {value!r}"))
            return None
        if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
            self.errors.append((name, f"must be between 0 and {MAX_MONEY}, got {value!r}"))
            return None
        cents = amount.quantize(CENT)
        if cents != amount:
            self.errors.append((name, f"has more than two decimal places: {value!r}"))
            return None
        return cents

    def category(self, name: str, fact) -> str | None:
        value = self.facts.get(name)
        if not (isinstance(value, str) and CATEGORY_RE.fullmatch(value)):
            self.errors.append((name, f"must be a category code (lower-case letters, digits, underscores), got {value!r}"))
        return value

    def id(self, name: str, fact) -> str | None:
        value = self.facts.get(name)
        if not (isinstance(value, str) and ID_RE.fullmatch(value)):
            self.errors.append((name, f"must be an id (letters, digits, '.', '_', '-', at most 64), got {value!r}"))
        return value

    def country(self, name: str, fact) -> str | None:
        value = self.facts.get(name)
        if not (isinstance(value, str) and COUNTRY_RE.fullmatch(value)):
            self.errors.append((name, f"must be a two-letter upper-case country code such as DE, got {value!r}"))
        return value

    def tags(self, name: str, fact) -> tuple[str, ...]:
        value = self.facts.get(name)
        if not isinstance(value, (list, tuple)) or len(value) > MAX_TAGS:
            what = f"{', '.join(fact.choices)}" if fact.choices else "tags (lower-case codes)"
            self.errors.append((name, f"must be a list of at most {MAX_TAGS} {what}, got {value!r}"))
            return ()
        good = []
        for item in value:
            if fact.choices and item not in fact.choices:
                self.errors.append((name, f"{item!r} is not one of {', '.join(fact.choices)}{did_you_mean(item, fact.choices)}"))
            elif not fact.choices and not (isinstance(item, str) and TAG_RE.fullmatch(item)):
                self.errors.append((name, f"{item!r} is not a tag (lower-case letters, digits, underscores)"))
            else:
                good.append(item)
        return tuple(sorted(set(good)))

    def date(self, name: str, fact) -> date | None:
        value = self.facts.get(name)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and DATE_RE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.errors.append((name, f"must be a date YYYY-MM-DD that exists, got {value!r}"))
        return None

    def rate(self, name: str, fact) -> Any:  # pragma: no cover - rates are derived, never given
        return self.facts.get(name)

    def done(self) -> None:
        if self.errors:
            raise FactsError(self.errors)


def _default(value: Any) -> Any:
    if isinstance(value, str) and value and value[0].isdigit():
        return Decimal(value).quantize(CENT)
    return value


_CHECK_CACHE: dict[str, tuple] = {}


def _checks(kind: str) -> tuple:
    """(name, fact, checker, default) for every given fact of `kind`, built once."""
    found = _CHECK_CACHE.get(kind)
    if found is None:
        found = _CHECK_CACHE[kind] = tuple((name, FACTS[kind][name], getattr(_Checker, FACTS[kind][name].type),
                                            _default(FACTS[kind][name].default)) for name in _GIVEN[kind])
    return found


def _parse_day(value: str) -> date | None:
    """A YYYY-MM-DD string as its date, as the checker reads it; else None."""
    if len(value) == 10 and DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _fast_checker(kind: str, known: Mapping[str, Mapping[str, Any]] | None = None) -> Callable[[Any], dict | None]:
    """rules/factcode.py's checker of `kind` with this module's patterns, bounds and defaults."""
    return fast_checker(kind, today=today, day=_parse_day, max_int=_MAX_INT, max_tags=MAX_TAGS, default=_default,
                        patterns={"category": CATEGORY_RE, "id": ID_RE, "country": COUNTRY_RE, "tag": TAG_RE}, known=known)


# The fast path of each kind (rules/factcode.py): well-formed facts only, else None and the checker decides.
_FAST = {kind: _fast_checker(kind) for kind in ("refund", "claim", "tier")}
_fast_refund, _fast_claim, _fast_tier = _FAST["refund"], _FAST["claim"], _FAST["tier"]


def fast_checker_knowing(kind: str, known: Mapping[str, Mapping[str, Any]]) -> Callable[[Any], dict | None]:
    """The fast path of `kind` taking an id fact's value as valid when it is a key of its table in `known` (a policy's SKUs
    or sellers, each key matching ID_RE), or the kind's shared fast path when the tables are empty."""
    tables = {name: table for name, table in known.items() if table}
    if not tables:
        return _FAST[kind]
    return _fast_checker(kind, tables)
_cents = cents  # the fast path of money()


def _either(c: _Checker, out: dict, days: str, day: str) -> None:
    """A day count or the date it counts from must be given."""
    reported = {name for name, _ in c.errors}
    if out[days] is None and out[day] is None and days not in reported and day not in reported and c.facts:
        c.errors.append((days, "is required"))


def _count_back(c: _Checker, out: dict, days: str, day: str, until: str) -> None:
    """Fill whichever of a day count and the date it counts from the request left out, counting back from `until`."""
    count, since, end = out[days], out[day], out[until]
    if count is None:
        out[days] = count = (end - since).days
        if count < 0:
            c.errors.append((day, f"{since} is after {until} ({end})"))
    elif since is None:
        out[day] = end - timedelta(days=count)


def refund_facts(facts: Any) -> dict[str, Any]:
    """Validated refund facts (price and other money as Decimals, dates as dates, tags as sorted tuples), or FactsError."""
    fast = _fast_refund(facts)
    return fast if fast is not None else _full_refund(facts)


def _full_refund(facts: Any) -> dict[str, Any]:
    """The full checker of refund facts: reports every problem at once."""
    c = _Checker("refund", facts)
    out = c.all()
    _either(c, out, "days_since_delivery", "delivered_on")
    if not c.errors:
        if out["requested_on"] is None:
            out["requested_on"] = today()
        _count_back(c, out, "days_since_delivery", "delivered_on", "requested_on")
        if out["order_total"] is None:
            out["order_total"] = out["price"]
    c.done()
    return out


def tier_facts(facts: Any) -> dict[str, Any]:
    """Validated tier facts (counts as whole numbers, parts no larger than their totals), or FactsError."""
    fast = _fast_tier(facts)
    return fast if fast is not None else _full_tier(facts)


def _full_tier(facts: Any) -> dict[str, Any]:
    """The full checker of tier facts: reports every problem at once."""
    c = _Checker("tier", facts)
    out = c.all()
    if not c.errors:
        for part, whole in (("valid_tracking", "shipments"), ("prepaid_label_returns", "returns")):
            if out[part] > out[whole]:
                c.errors.append((part, f"{out[part]} is more than {whole} ({out[whole]})"))
        if out["as_of"] is None:
            out["as_of"] = today()
        if out["enrolled_on"] is not None and out["enrolled_on"] > out["as_of"]:
            c.errors.append(("enrolled_on", f"{out['enrolled_on']} is after as_of ({out['as_of']})"))
    c.done()
    return out


def claim_facts(facts: Any) -> dict[str, Any]:
    """Validated claim facts with money as Decimals and evidence as a sorted tuple, or FactsError."""
    fast = _fast_claim(facts)
    return fast if fast is not None else _full_claim(facts)


def _full_claim(facts: Any) -> dict[str, Any]:
    """The full checker of claim facts: reports every problem at once."""
    c = _Checker("claim", facts)
    out = c.all()
    _either(c, out, "days_since_refund", "refunded_on")
    if not c.errors:
        if out["filed_on"] is None:
            out["filed_on"] = today()
        _count_back(c, out, "days_since_refund", "refunded_on", "filed_on")
        back, back_on = out["days_since_return_delivered"], out["return_delivered_on"]
        if back is None and back_on is not None:
            out["days_since_return_delivered"] = back = (out["filed_on"] - back_on).days
        if back is not None and out["return_received"] is False:
            c.errors.append(("days_since_return_delivered", "must be null when return_received is false"))
        elif back is None and out["return_received"] is True:
            c.errors.append(("days_since_return_delivered", "is required when return_received is true"))
        if out["order_total"] is None:
            out["order_total"] = out["refund_amount"]
    c.done()
    return out


_FULL = {"refund": _full_refund, "claim": _full_claim, "tier": _full_tier}
