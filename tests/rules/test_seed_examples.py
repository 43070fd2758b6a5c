"""The seeds' program, as the default policy must decide it."""
from __future__ import annotations

from decimal import Decimal

import pytest

REFUND = dict(category="apparel", price=40, days_since_delivery=10, reason="no_longer_needed", condition="unopened", buyer_returns_90d=0)
TIER = dict(shipments=1000, valid_tracking=970, returns=100, prepaid_label_returns=97, units=1000, contacts=40)
CLAIM = dict(reason="return_not_received", days_since_refund=20, return_received=False, days_since_return_delivered=None,
             category="apparel", refund_amount=60, refund_issued_by="marketplace", auto_refund_late=False, evidence=[])


@pytest.mark.parametrize("seed, change, outcome, reason, refund_amount, fee", [
    (1, dict(category="sleeping_bags", price=80, days_since_delivery=5), "deny", "non_returnable", "0", "0"),
    (2, dict(category="sleeping_bags", price=80, days_since_delivery=5, reason="defective"), "returnless_refund",
     "non_returnable_seller_fault", "80", "0"),
    (3, dict(days_since_delivery=45), "deny", "outside_window", "0", "0"),
    (4, dict(), "approve_return", "return_approved", "40", "0"),
    (5, dict(category="electronics", reason="defective", days_since_delivery=3, price=800), "escalate", "high_value", "0", "0"),
    (6, dict(reason="wrong_item", days_since_delivery=3, buyer_returns_90d=7), "escalate", "serial_returner", "0", "0"),
    (7, dict(condition="used"), "partial_refund", "restocking_fee", "20", "20"),
])
def test_refund_seed(engine, seed, change, outcome, reason, refund_amount, fee):
    decision = engine.decide_refund({**REFUND, **change})
    assert (decision.outcome, decision.reason) == (outcome, reason), f"seed {seed}"
    assert decision.amounts == {"refund_amount": Decimal(refund_amount), "fee": Decimal(fee)}
    assert decision.rule in decision.explanation
    assert decision.policy_version == engine.version


@pytest.mark.parametrize("seed, change, eligible, tier, discount", [
    (8, dict(), True, "free", "1"),
    (9, dict(valid_tracking=940), False, "not_eligible", "0"),
    (10, dict(contacts=70), True, "gold", "0.5"),
    (10, dict(contacts=150), True, "silver", "0.3"),
    (10, dict(contacts=250), True, "bronze", "0.15"),
])
def test_tier_seed(engine, seed, change, eligible, tier, discount):
    d = engine.decide_tier({**TIER, **change})
    assert (d.details["eligible"], d.details["tier"], d.amounts["discount"]) == (eligible, tier, Decimal(discount)), f"seed {seed}"
    assert d.outcome == ("eligible" if eligible else "not_eligible")
    assert d.amounts["fee_per_unit"] == Decimal("0.50") * (1 - Decimal(discount))


def test_seed_8_metrics_and_free_service(engine):
    d = engine.decide_tier(TIER)
    assert (d.details["vtr"], d.details["aprl"], d.details["cpu"]) == (0.97, 0.97, 0.04)
    assert d.amounts["fee_per_unit"] == 0
    assert "free" in d.explanation


@pytest.mark.parametrize("seed, change, outcome, reason, reimbursement", [
    (11, dict(days_since_refund=40), "deny", "filing_window", "0"),
    (12, dict(), "approve", "reimbursable", "60"),
    (13, dict(reason="returned_damaged", return_received=True, days_since_return_delivered=5), "needs_evidence", "missing_evidence", "0"),
    (14, dict(auto_refund_late=True), "deny", "auto_refund_late", "0"),
    (15, dict(reason="refunded_non_returnable", category="sleeping_bags"), "approve", "reimbursable", "60"),
])
def test_claim_seed(engine, seed, change, outcome, reason, reimbursement):
    d = engine.decide_claim({**CLAIM, **change})
    assert (d.outcome, d.reason) == (outcome, reason), f"seed {seed}"
    assert d.amounts == {"reimbursement": Decimal(reimbursement)}


def test_seed_11_window_counts_from_the_later_return_delivery(engine):
    late_return = dict(reason="returned_damaged", return_received=True, days_since_refund=40, days_since_return_delivered=10,
                       evidence=["photo"])
    d = engine.decide_claim({**CLAIM, **late_return})
    assert (d.outcome, d.amounts["reimbursement"]) == ("approve", Decimal("60"))


def test_seed_13_names_the_missing_photo(engine):
    d = engine.decide_claim({**CLAIM, "reason": "returned_damaged", "return_received": True, "days_since_return_delivered": 5})
    assert d.details["missing_evidence"] == ["photo"]
    assert "photo" in d.explanation
