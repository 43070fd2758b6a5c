"""The fixed words of the policy language: reasons, conditions, outcomes and fact fields."""
from __future__ import annotations

REFUND_REASONS = ("no_longer_needed", "defective", "damaged_in_transit", "wrong_item", "not_as_described", "not_received")
CONDITIONS = ("unopened", "opened", "used", "damaged")
REFUND_OUTCOMES = ("approve_return", "returnless_refund", "partial_refund", "deny", "escalate")

TIER_OUTCOMES = ("eligible", "not_eligible")
NOT_ELIGIBLE = "not_eligible"

CLAIM_REASONS = (
    "return_not_received",
    "returned_damaged",
    "different_item_returned",
    "refunded_non_returnable",
    "delivered_not_received",
)
CLAIM_OUTCOMES = ("approve", "deny", "needs_evidence")
EVIDENCE_KINDS = ("photo", "tracking", "signature")
REFUND_ISSUERS = ("marketplace", "seller")
RETURN_STATES = ("received", "not_received", "any")

# Fields a custom refund rule may test, with their kind. The derived ones are looked up
# from the policy's tables before the engine sees the request.
REFUND_RULE_FIELDS = {
    "category": "string",
    "price": "number",
    "days_since_delivery": "integer",
    "reason": "reason",
    "condition": "condition",
    "buyer_returns_90d": "integer",
    "returnable": "boolean",
    "seller_fault": "boolean",
    "window_days": "integer",
}
RULE_OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte")

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"

# Built-in refund rules in first-hit order; custom rules take the free priorities between them.
BUILTIN_REFUND_RULES = (
    ("non_returnable", 100),
    ("outside_window", 200),
    ("high_value", 300),
    ("serial_returner", 400),
    ("non_returnable_seller_fault", 500),
    ("not_received", 600),
    ("low_value", 700),
    ("restocking_fee", 800),
    ("approve_return", 900),
)

# Names a custom rule's explanation may use as {placeholders}.
EXPLANATION_FIELDS = tuple(REFUND_RULE_FIELDS) + ("category_label", "refund_amount", "fee", "fee_rate", "rule")
# What each placeholder shows: whole numbers stay numbers; money, rates, words and yes/no are text.
EXPLANATION_KINDS = {name: "whole number" if REFUND_RULE_FIELDS.get(name) == "integer" else "text" for name in EXPLANATION_FIELDS}

# Upper bound on condition leaves per decision kind: durable_rules hangs when one rete node
# gets about 511 children, so policies are kept well below it.
MAX_CONDITION_LEAVES = 400
