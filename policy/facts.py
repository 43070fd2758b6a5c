"""The fact model of every decision kind: each fact's name, type and default (see /docs/policy.md).

Shared by the policy validator (which facts a rule may test, with which comparisons) and the
engine (how facts are checked and written into events). Names match the store's fact builder.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass
from typing import Any, Mapping

from .vocabulary import CLAIM_REASONS, CONDITIONS, EVIDENCE_KINDS, FULFILMENT, REFUND_ISSUERS, REFUND_REASONS

# Fact types and the comparisons each allows in a rule's `when`.
NUMBER_TYPES = ("money", "count", "days", "rate")
TEXT_TYPES = ("enum", "category", "id", "country")
OPERATORS = {
    **{t: ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between") for t in NUMBER_TYPES},
    **{t: ("eq", "ne", "in", "not_in") for t in TEXT_TYPES},
    "bool": ("eq", "ne"),
    "date": ("eq", "before", "after", "between", "gt", "gte", "lt", "lte", "yearly"),
    "tags": ("contains", "contains_all", "not_contains"),
}
ALL_OPERATORS = tuple(dict.fromkeys(op for ops in OPERATORS.values() for op in ops))


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of a decision kind. `default` applies when a request leaves the fact out (optional facts only)."""

    name: str
    type: str
    doc: str
    choices: tuple[str, ...] = ()
    required: bool = True
    default: Any = None
    derived: bool = False  # computed by the engine from the other facts and the policy, never given


def _f(name: str, type: str, doc: str, **kw: Any) -> Fact:
    return Fact(name, type, doc, **kw)


def _opt(name: str, type: str, doc: str, default: Any = None, **kw: Any) -> Fact:
    return Fact(name, type, doc, required=False, default=default, **kw)


def _derived(name: str, type: str, doc: str) -> Fact:
    return Fact(name, type, doc, required=False, derived=True)


REFUND = (
    _f("category", "category", "the product's category code"),
    _f("price", "money", "the order line's price (quantity x unit price)"),
    _opt("days_since_delivery", "days", "days from delivery to the request (required unless delivered_on is given)"),
    _f("reason", "enum", "why the buyer wants a refund", choices=REFUND_REASONS),
    _f("condition", "enum", "the item's condition", choices=CONDITIONS),
    _f("buyer_returns_90d", "count", "the buyer's return requests in the 90 days before the request"),
    _opt("sku", "id", "the product's SKU"),
    _opt("product_tags", "tags", "the product's tags, e.g. final_sale", default=()),
    _opt("seller_id", "id", "the seller whose order it is (selects the seller's overlay)"),
    _opt("buyer_country", "country", "the buyer's country, ISO 3166-1 alpha-2 (DE)"),
    _opt("buyer_tags", "tags", "the buyer's tags, e.g. member", default=()),
    _opt("buyer_orders_90d", "count", "orders the buyer placed in the 90 days before the request", default=0),
    _opt("delivered_on", "date", "the delivery date (default: requested_on minus days_since_delivery)"),
    _opt("requested_on", "date", "the request date; dated values are looked up on it (default: today, UTC)"),
    _opt("order_total", "money", "the order's lines plus shipping (default: price)"),
    _opt("shipping_paid", "money", "shipping the buyer paid", default="0"),
    _opt("fulfilled_by", "enum", "who shipped the order", default="seller", choices=FULFILMENT),
    _opt("a_to_z_claim", "bool", "the buyer opened an A-to-z claim on the order", default=False),
    _derived("buyer_return_rate", "rate", "buyer_returns_90d / buyer_orders_90d (0 with no orders)"),
    _derived("returnable", "bool", "the category is returnable (seller overlay first)"),
    _derived("seller_fault", "bool", "the reason is one of seller_fault_reasons"),
    _derived("window_days", "days", "the return window in force (category, extensions, overlay)"),
)

CLAIM = (
    _f("reason", "enum", "the claim reason", choices=CLAIM_REASONS),
    _opt("days_since_refund", "days", "days from the refund to the filing (required unless refunded_on is given)"),
    _f("return_received", "bool", "the return was delivered back to the seller"),
    _opt("days_since_return_delivered", "days", "days from the return's delivery to the filing (null unless received)"),
    _f("category", "category", "the product's category code"),
    _f("refund_amount", "money", "the refunded amount"),
    _f("refund_issued_by", "enum", "who issued the refund", choices=REFUND_ISSUERS),
    _f("auto_refund_late", "bool", "the marketplace refunded because the seller missed its deadline"),
    _opt("evidence", "tags", "evidence attached: photo, tracking, signature", default=(), choices=EVIDENCE_KINDS),
    _opt("seller_id", "id", "the seller filing the claim"),
    _opt("sku", "id", "the product's SKU"),
    _opt("product_tags", "tags", "the product's tags", default=()),
    _opt("refunded_on", "date", "the refund date; dated values are looked up on it (default: filed_on minus days_since_refund)"),
    _opt("return_delivered_on", "date", "the return's delivery date, if any"),
    _opt("filed_on", "date", "the filing date (default: today, UTC)"),
    _opt("fulfilled_by", "enum", "who shipped the order", default="seller", choices=FULFILMENT),
    _opt("a_to_z_claim", "bool", "the buyer opened an A-to-z claim on the order", default=False),
    _opt("order_total", "money", "the order's total (default: refund_amount)"),
    _opt("order_reimbursed", "money", "reimbursements already approved on the same order", default="0"),
    _derived("days_since_anchor", "days", "days since the later of the refund and the return's delivery"),
    _derived("category_returnable", "bool", "the category is returnable under the marketplace policy"),
)

TIER = (
    _f("shipments", "count", "shipments in the window"),
    _f("valid_tracking", "count", "shipments with valid tracking"),
    _f("returns", "count", "returns in the window"),
    _f("prepaid_label_returns", "count", "returns with a prepaid label"),
    _f("units", "count", "units sold in the window"),
    _f("contacts", "count", "buyer contacts in the window"),
    _opt("seller_id", "id", "the seller"),
    _opt("enrolled_on", "date", "the seller's enrolment date, if enrolled"),
    _opt("orders_90d", "count", "orders in the last 90 days (the last quarter)", default=0),
    _opt("as_of", "date", "the day the tier is computed for; dated values are looked up on it (default: today, UTC)"),
    _derived("vtr", "rate", "valid_tracking / shipments (0 with no shipments)"),
    _derived("aprl", "rate", "prepaid_label_returns / returns (1 with no returns)"),
    _derived("cpu", "rate", "contacts / units (0 with no units)"),
    _derived("days_since_enrolment", "days", "days from enrolled_on to as_of (never enrolled: 1,000,000,000)"),
)

FACTS: Mapping[str, Mapping[str, Fact]] = {
    "refund": {f.name: f for f in REFUND},
    "claim": {f.name: f for f in CLAIM},
    "tier": {f.name: f for f in TIER},
}

# The date dated values are looked up on, per kind.
DATE_FACT = {"refund": "requested_on", "claim": "refunded_on", "tier": "as_of"}

NEVER_ENROLLED_DAYS = 1_000_000_000


@functools.cache  # on every decision's hot path; the fact model never changes
def given_fields(kind: str) -> tuple[str, ...]:
    """The facts a request of `kind` may carry (every non-derived fact)."""
    return tuple(name for name, f in FACTS[kind].items() if not f.derived)


def kind_of_fact(name: str) -> list[str]:
    """The kinds that have a fact called `name`."""
    return [kind for kind, facts in FACTS.items() if name in facts]


def all_fact_names() -> tuple[str, ...]:
    """Every fact name of every kind, once."""
    return tuple(dict.fromkeys(name for facts in FACTS.values() for name in facts))
