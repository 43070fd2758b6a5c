"""The import record types: their fields, how each value is parsed from JSON and from CSV text,
and what each record refers to. Field names are the column names of the record's table."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from sqlalchemy import Table

from . import models
from .types import CENT
from .vocabulary import (
    CLAIM_REASONS, CLAIM_STATUSES, CONDITIONS, CONTACT_CHANNELS, ENROLMENTS, EVIDENCE_KINDS, FULFILMENTS, REFUND_ISSUERS,
    REFUND_REASONS,
)

MAX_MONEY = Decimal("9999999999.99")
MAX_INT = 2**31 - 1
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TAG_RE = CATEGORY_RE  # tags are codes like categories: final_sale, member
MAX_TAGS = 50
COUNTRY_RE = re.compile(r"^[A-Z]{2}$", re.ASCII)
ITEMS_FIELD = "items"  # a JSON Lines order may carry its order items inline


class Bad(ValueError):
    """A value that does not fit its field; the message completes "field 'x' ..."."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _string(limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if type(value) is not str:
            raise Bad(f"must be a string, got {_show(value)}")
        if not value or len(value) > limit:
            raise Bad(f"must be 1 to {limit} characters, got {len(value)}")
        if "\x00" in value:  # PostgreSQL cannot store it; SQLite would, so both refuse it here
            raise Bad(f"must not contain a NUL character (\\x00), got {_show(value)}")
        return value
    return parse


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _identifier(value: Any) -> str:
    if (type(value) is not str or not value or len(value) > 64 or value != value.strip()
            or (not value.isprintable() and _CONTROL.search(value))):
        raise Bad(f"must be an id (1 to 64 characters, no surrounding spaces or control characters), got {_show(value)}")
    return value


def _category(value: Any) -> str:
    if type(value) is not str or not CATEGORY_RE.fullmatch(value):
        raise Bad(f"must be a category code (lower-case letters, digits, underscores), got {_show(value)}")
    return value


def _country(value: Any) -> str:
    if type(value) is not str or not COUNTRY_RE.fullmatch(value):
        raise Bad(f"must be an ISO 3166-1 alpha-2 country code (two upper-case letters, like DE), got {_show(value)}")
    return value


def _tags(value: Any) -> list[str]:
    if type(value) is not list:
        raise Bad(f"must be a list of tags (lower-case codes like final_sale), got {_show(value)}")
    for tag in value:
        if type(tag) is not str or not TAG_RE.fullmatch(tag):
            raise Bad(f"must list tags as lower-case codes (letters, digits, underscores, like final_sale), got {_show(tag)}")
    tags = sorted(set(value))
    if len(tags) > MAX_TAGS:
        raise Bad(f"must have at most {MAX_TAGS} tags, got {len(tags)}")
    return tags


def _enum(choices: tuple[str, ...]) -> Callable[[Any], str]:
    allowed = frozenset(choices)

    def parse(value: Any) -> str:
        if value not in allowed or type(value) is not str:
            raise Bad(f"must be one of {', '.join(choices)}, got {_show(value)}")
        return value
    return parse


def _money(value: Any) -> Decimal:
    if type(value) is Decimal:
        amount = value
    elif type(value) in (int, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise Bad(f"must be an amount of money, got {_show(value)}") from None
    else:
        raise Bad(f"must be an amount of money, got {_show(value)}")
    if not amount.is_finite():
        raise Bad(f"must be an amount of money, got {_show(value)}")
    if amount < 0:
        raise Bad(f"must not be negative, got {value}")
    if amount > MAX_MONEY or amount != amount.quantize(CENT):
        raise Bad(f"must have at most two decimal places and be at most {MAX_MONEY}, got {value}")
    return amount.quantize(CENT)


def _positive_int(value: Any) -> int:
    if type(value) is not int or not 0 < value <= MAX_INT:
        raise Bad(f"must be a whole number of at least 1, got {_show(value)}")
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise Bad(f"must be true or false, got {_show(value)}")
    return value


def _timestamp(value: Any) -> datetime:
    if type(value) is not str:
        raise Bad(f"must be an ISO 8601 timestamp string, got {_show(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Bad(f"must be an ISO 8601 timestamp like 2026-11-01T10:00:00Z, got {_show(value)}") from None
    if parsed.tzinfo is None:
        raise Bad(f"needs a timezone (Z or +hh:mm), got {_show(value)}")
    return parsed


def _evidence(value: Any) -> list[str]:
    if type(value) is not list:
        raise Bad(f"must be a list of {', '.join(EVIDENCE_KINDS)}, got {_show(value)}")
    for item in value:
        if item not in EVIDENCE_KINDS:
            raise Bad(f"must list only {', '.join(EVIDENCE_KINDS)}, got {_show(item)}")
    return sorted(set(value))


# How CSV text becomes the JSON value the parser above expects ("" already means absent).
def _csv_int(text: str) -> Any:
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else text


def _csv_bool(text: str) -> Any:
    return {"true": True, "false": False}.get(text.lower(), text)


def _csv_list(text: str) -> Any:
    return [item.strip() for item in text.split(";") if item.strip()]


@dataclass(frozen=True)
class Field:
    """One field of a record: its parser, whether it must be present, its default, how CSV text reads."""

    name: str
    parse: Callable[[Any], Any]
    required: bool = True
    default: Any = None
    from_text: Callable[[str], Any] | None = None


@dataclass(frozen=True)
class RecordType:
    """A record type: its name in files, its table, fields and references (field -> record type)."""

    name: str
    csv_name: str
    table: Table
    fields: tuple[Field, ...]
    refs: tuple[tuple[str, str], ...] = ()
    field_names: tuple[str, ...] = field(init=False)  # in column order
    allowed: frozenset[str] = field(init=False)  # the keys a JSON record of this type may have
    specs: tuple[tuple, ...] = field(init=False)  # the fields as plain tuples, for the per-record loop

    def __post_init__(self):
        names = tuple(f.name for f in self.fields)
        object.__setattr__(self, "field_names", names)
        object.__setattr__(self, "specs", tuple((f.name, f.parse, f.required, f.default, f.from_text) for f in self.fields))
        object.__setattr__(self, "allowed", frozenset(("type", *names, *((ITEMS_FIELD,) if self.name == "order" else ()))))


ID, TEXT, TIME, MONEY = _identifier, _string(200), _timestamp, _money


def _f(name: str, parse: Callable[[Any], Any], required: bool = True, default: Any = None) -> Field:
    text = {_positive_int: _csv_int, _boolean: _csv_bool, _evidence: _csv_list, _tags: _csv_list}.get(parse)
    return Field(name, parse, required, default, text)


TYPES: dict[str, RecordType] = {t.name: t for t in (
    RecordType("seller", "sellers", models.Seller.__table__, (
        _f("id", ID), _f("name", TEXT), _f("csba_enrolled_at", TIME, False), _f("csba_enrolment", _enum(ENROLMENTS), False),
        _f("return_address", _string(500), False))),
    RecordType("buyer", "buyers", models.Buyer.__table__, (
        _f("id", ID), _f("name", TEXT), _f("country", _country, False), _f("tags", _tags, False, []))),
    RecordType("product", "products", models.Product.__table__, (
        _f("id", ID), _f("seller_id", ID), _f("sku", _string(64)), _f("name", TEXT), _f("category", _category),
        _f("price", MONEY), _f("tags", _tags, False, [])), (("seller_id", "seller"),)),
    RecordType("order", "orders", models.Order.__table__, (
        _f("id", ID), _f("buyer_id", ID), _f("seller_id", ID), _f("fulfilment", _enum(FULFILMENTS)), _f("placed_at", TIME),
        _f("shipped_at", TIME, False), _f("delivered_at", TIME, False), _f("shipping_paid", MONEY, False, Decimal("0.00")),
        _f("a_to_z_claim", _boolean, False, False)), (("buyer_id", "buyer"), ("seller_id", "seller"))),
    RecordType("order_item", "order_items", models.OrderItem.__table__, (
        _f("id", ID), _f("order_id", ID), _f("product_id", ID), _f("quantity", _positive_int), _f("unit_price", MONEY)),
        (("order_id", "order"), ("product_id", "product"))),
    RecordType("shipment", "shipments", models.Shipment.__table__, (
        _f("id", ID), _f("order_id", ID), _f("carrier", _string(64)), _f("tracking_number", _string(64), False),
        _f("tracking_valid", _boolean), _f("shipped_at", TIME), _f("delivered_at", TIME, False)), (("order_id", "order"),)),
    RecordType("contact", "contacts", models.Contact.__table__, (
        _f("id", ID), _f("order_id", ID), _f("contacted_at", TIME), _f("channel", _enum(CONTACT_CHANNELS))),
        (("order_id", "order"),)),
    RecordType("return", "returns", models.ReturnRequest.__table__, (
        _f("id", ID), _f("order_item_id", ID), _f("reason", _enum(REFUND_REASONS)), _f("condition", _enum(CONDITIONS)),
        _f("requested_at", TIME), _f("prepaid_label", _boolean), _f("ships_back", _boolean, False, True),
        _f("delivered_at", TIME, False), _f("condition_received", _enum(CONDITIONS), False), _f("quantity", _positive_int, False)),
        (("order_item_id", "order_item"),)),
    RecordType("refund", "refunds", models.Refund.__table__, (
        _f("id", ID), _f("order_item_id", ID), _f("amount", MONEY), _f("fee", MONEY, False, Decimal("0.00")),
        _f("issued_by", _enum(REFUND_ISSUERS)), _f("issued_at", TIME), _f("auto_refund_late", _boolean, False, False)),
        (("order_item_id", "order_item"),)),
    RecordType("claim", "claims", models.Claim.__table__, (
        _f("id", ID), _f("refund_id", ID), _f("reason", _enum(CLAIM_REASONS)), _f("evidence", _evidence, False, []),
        _f("filed_at", TIME), _f("status", _enum(CLAIM_STATUSES)), _f("reimbursement", MONEY, False)),
        (("refund_id", "refund"),)),
)}

# Parents before children: the order rows are inserted in.
ORDER = tuple(TYPES)
CSV_NAMES = {t.csv_name: t for t in TYPES.values()}


def parse_fields(kind: RecordType, record: dict[str, Any], text: bool = False) -> dict[str, Any]:
    """The record's column values; Bad naming the first field that is missing or wrong."""
    row = {}
    get = record.get
    for name, parse, required, default, from_text in kind.specs:
        value = get(name)
        if value is None or (text and value == ""):
            if required:
                raise Bad(f"missing field '{name}'")
            row[name] = default
            continue
        if text and from_text is not None:
            value = from_text(value)
        try:
            row[name] = parse(value)
        except Bad as exc:
            raise Bad(f"field '{name}' {exc}") from None
    return row
