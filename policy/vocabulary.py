"""The fixed words of the policy language: reasons, conditions, outcomes and fact fields."""
from __future__ import annotations

REFUND_REASONS = ("no_longer_needed", "defective", "damaged_in_transit", "wrong_item", "not_as_described", "not_received")
CONDITIONS = ("unopened", "opened", "used", "damaged")
REFUND_OUTCOMES = ("approve_return", "returnless_refund", "partial_refund", "keep_item_refund", "deny", "escalate")
FULFILMENT = ("seller", "marketplace")

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

# Built-in claim rules in first-hit order.
BUILTIN_CLAIM_RULES = (
    ("not_covered", 100),
    ("auto_refund_late", 200),
    ("filing_window", 300),
    ("refund_issuer", 400),
    ("return_was_received", 500),
    ("return_not_delivered", 510),
    ("item_returnable", 600),
    ("too_early", 700),
    ("needs_evidence", 800),
    ("order_cap_reached", 850),
    ("reimbursable", 900),
)

# Built-in tier rules before the tiers; tier i is rule tier_<name> at priority TIER_PRIORITY + i.
BUILTIN_TIER_RULES = (
    ("low_volume", 100),
    ("vtr_below_minimum", 200),
    ("aprl_below_minimum", 300),
)
TIER_PRIORITY = 400

# Upper bound on condition leaves per decision kind: durable_rules hangs when one rete node
# gets about 511 children, so policies are kept well below it.
MAX_CONDITION_LEAVES = 400
