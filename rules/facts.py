"""Checks and normalises the facts of each decision kind; every bad field is reported at once."""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from policy.errors import did_you_mean
from policy.vocabulary import CLAIM_REASONS, CONDITIONS, EVIDENCE_KINDS, REFUND_ISSUERS, REFUND_REASONS

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1000000000")
MAX_DAYS = 100_000
MAX_COUNT = 10**12
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

REFUND_FIELDS = ("category", "price", "days_since_delivery", "reason", "condition", "buyer_returns_90d")
TIER_FIELDS = ("shipments", "valid_tracking", "returns", "prepaid_label_returns", "units", "contacts")
CLAIM_FIELDS = (
    "reason", "days_since_refund", "return_received", "days_since_return_delivered", "category",
    "refund_amount", "refund_issued_by", "auto_refund_late", "evidence",
)
_OPTIONAL_CLAIM = {"days_since_return_delivered", "evidence"}


class FactsError(ValueError):
    """The facts of a request are invalid; `errors` lists (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in errors))


class _Checker:
    def __init__(self, facts: Any, fields: tuple[str, ...], optional: frozenset[str] | set[str] = frozenset()):
        self.errors: list[tuple[str, str]] = []
        if not isinstance(facts, (dict, Mapping)):
            self.errors.append(("", f"facts must be a JSON object, got {type(facts).__name__}"))
            self.facts: Mapping = {}
            return
        self.facts = facts
        for name in facts:
            if name not in fields:
                self.errors.append((str(name), f"unknown field{did_you_mean(name, fields)}"))
        for name in fields:
            if name not in facts and name not in optional:
                self.errors.append((name, "is required"))

    def enum(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.facts.get(name)
        if name in self.facts and value not in choices:
            self.errors.append((name, f"{value!r} is not one of {', '.join(choices)}{did_you_mean(value, choices)}"))
        return value

    def integer(self, name: str, maximum: int) -> int | None:
        value = self.facts.get(name)
        if name not in self.facts:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append((name, f"must be a whole number, got {value!r}"))
        elif not 0 <= value <= maximum:
            self.errors.append((name, f"must be between 0 and {maximum}, got {value}"))
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.facts.get(name)
        if name in self.facts and not isinstance(value, bool):
            self.errors.append((name, f"must be true or false, got {value!r}"))
        return value

    def money(self, name: str) -> Decimal | None:
        value = self.facts.get(name)
        if name not in self.facts:
            return None
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

    def category(self, name: str) -> str | None:
        value = self.facts.get(name)
        if name in self.facts and not (isinstance(value, str) and CATEGORY_RE.match(value)):
            self.errors.append((name, f"must be a category code (lower-case letters, digits, underscores), got {value!r}"))
        return value

    def done(self) -> None:
        if self.errors:
            raise FactsError(self.errors)


_REASONS = frozenset(REFUND_REASONS)
_CONDITIONS = frozenset(CONDITIONS)


def _cents(value: Any) -> Decimal | None:
    """The fast path of money(): an int or float with at most two decimals, as cents; else None."""
    kind = type(value)
    if kind is int:
        if 0 <= value <= MAX_MONEY:
            return Decimal(value).quantize(CENT)
    elif kind is float:
        # round() is exact enough to spot a third decimal; the Decimal comes from the shortest repr.
        if 0.0 <= value <= 1e9 and round(value, 2) == value:
            return Decimal(repr(value)).quantize(CENT)
    return None


def refund_facts(facts: Any) -> dict[str, Any]:
    """Validated refund facts with `price` as a Decimal, or FactsError."""
    # Fast path for well-formed requests; anything unusual goes through the checker, which
    # reports every problem at once.
    if type(facts) is dict and len(facts) == 6:
        category = facts.get("category")
        days = facts.get("days_since_delivery")
        reason = facts.get("reason")
        condition = facts.get("condition")
        returns = facts.get("buyer_returns_90d")
        if (type(category) is str and type(reason) is str and type(condition) is str
                and type(days) is int and type(returns) is int
                and reason in _REASONS and condition in _CONDITIONS
                and 0 <= days <= MAX_DAYS and 0 <= returns <= MAX_COUNT and CATEGORY_RE.match(category)):
            price = _cents(facts.get("price"))
            if price is not None:
                return {"category": category, "price": price, "days_since_delivery": days, "reason": reason,
                        "condition": condition, "buyer_returns_90d": returns}
    c = _Checker(facts, REFUND_FIELDS)
    out = {
        "category": c.category("category"),
        "price": c.money("price"),
        "days_since_delivery": c.integer("days_since_delivery", MAX_DAYS),
        "reason": c.enum("reason", REFUND_REASONS),
        "condition": c.enum("condition", CONDITIONS),
        "buyer_returns_90d": c.integer("buyer_returns_90d", MAX_COUNT),
    }
    c.done()
    return out


def tier_facts(facts: Any) -> dict[str, int]:
    """Validated tier counts (whole numbers, parts no larger than their totals), or FactsError."""
    c = _Checker(facts, TIER_FIELDS)
    out = {name: c.integer(name, MAX_COUNT) for name in TIER_FIELDS}
    if not c.errors:
        for part, whole in (("valid_tracking", "shipments"), ("prepaid_label_returns", "returns")):
            if out[part] > out[whole]:
                c.errors.append((part, f"{out[part]} is more than {whole} ({out[whole]})"))
    c.done()
    return out


def claim_facts(facts: Any) -> dict[str, Any]:
    """Validated claim facts with `refund_amount` as a Decimal and evidence as a sorted tuple, or FactsError."""
    c = _Checker(facts, CLAIM_FIELDS, _OPTIONAL_CLAIM)
    out = {
        "reason": c.enum("reason", CLAIM_REASONS),
        "days_since_refund": c.integer("days_since_refund", MAX_DAYS),
        "return_received": c.boolean("return_received"),
        "days_since_return_delivered": None,
        "category": c.category("category"),
        "refund_amount": c.money("refund_amount"),
        "refund_issued_by": c.enum("refund_issued_by", REFUND_ISSUERS),
        "auto_refund_late": c.boolean("auto_refund_late"),
        "evidence": (),
    }
    delivered = c.facts.get("days_since_return_delivered")
    if delivered is not None:
        out["days_since_return_delivered"] = c.integer("days_since_return_delivered", MAX_DAYS)
        if out["return_received"] is False:
            c.errors.append(("days_since_return_delivered", "must be null when return_received is false"))
    elif out["return_received"] is True:
        c.errors.append(("days_since_return_delivered", "is required when return_received is true"))
    evidence = c.facts.get("evidence", [])
    if evidence is None:
        evidence = []
    if not isinstance(evidence, (list, tuple)):
        c.errors.append(("evidence", f"must be a list of {', '.join(EVIDENCE_KINDS)}, got {evidence!r}"))
    else:
        for item in evidence:
            if item not in EVIDENCE_KINDS:
                c.errors.append(("evidence", f"{item!r} is not one of {', '.join(EVIDENCE_KINDS)}{did_you_mean(item, EVIDENCE_KINDS)}"))
        out["evidence"] = tuple(sorted(set(e for e in evidence if e in EVIDENCE_KINDS)))
    c.done()
    return out
