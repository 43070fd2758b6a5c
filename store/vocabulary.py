"""The fixed words stored in enum columns (checked by the schema). The refund and claim words
mirror policy.vocabulary, which the store may not import; a test keeps them equal."""
from __future__ import annotations

REFUND_REASONS = ("no_longer_needed", "defective", "damaged_in_transit", "wrong_item", "not_as_described", "not_received")
CONDITIONS = ("unopened", "opened", "used", "damaged")
CLAIM_REASONS = (
    "return_not_received",
    "returned_damaged",
    "different_item_returned",
    "refunded_non_returnable",
    "delivered_not_received",
)
EVIDENCE_KINDS = ("photo", "tracking", "signature")
REFUND_ISSUERS = ("marketplace", "seller")
REFUND_OUTCOMES = ("approve_return", "returnless_refund", "partial_refund", "deny", "escalate")

FULFILMENTS = ("seller", "marketplace")
ENROLMENTS = ("default", "choice")
CONTACT_CHANNELS = ("chat", "email", "phone")
CLAIM_STATUSES = ("pending", "approved", "denied", "needs_evidence")
DECISION_KINDS = ("refund", "tier", "claim")
DECISION_CHANNELS = ("cli", "telegram", "terminal")
ROLES = ("buyer", "seller", "admin", "agent")

# Refund outcomes that move money to the buyer, and those where the item is sent back.
REFUNDING_OUTCOMES = ("approve_return", "returnless_refund", "partial_refund")
SHIP_BACK_OUTCOMES = ("approve_return", "partial_refund")
# A claim decision's outcome -> the claim's status.
CLAIM_STATUS_OF = {"approve": "approved", "deny": "denied", "needs_evidence": "needs_evidence"}
# Claims that may still be decided (again).
OPEN_CLAIM_STATUSES = ("pending", "needs_evidence")
# Claim decisions that leave the claim open: too early to file is offered again when it becomes eligible.
REOPENING_CLAIM_REASONS = ("too_early",)

# The review desk: what a case is, and where it stands.
CASE_KINDS = ("escalation", "appeal", "claim_review")
CASE_STATUSES = ("open", "decided")
# Who decided a decision: the engine, or a person ("agent:ID", "admin:TELEGRAM_ID").
ENGINE = "engine"

# The outbox: a message waiting, delivered, or given up on (the person blocked the bot, or too many failures).
OUTBOX_STATUSES = ("pending", "sent", "undeliverable")
