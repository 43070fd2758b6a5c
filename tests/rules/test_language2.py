"""Policy language 2 decided: the shipped Amazon 2026 policy with seller S9's overlay, each rule of the issue by a test."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from policy import load_policy
from rules import FactsError, compile_policy
from rules.cases import run_cases

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
AMAZON = str(POLICY_DIR / "amazon-2026.yaml")
AMAZON_CASES = str(POLICY_DIR / "amazon-2026.cases.yaml")

BASE = {"category": "apparel", "price": 40, "days_since_delivery": 5, "reason": "no_longer_needed", "condition": "unopened",
        "buyer_returns_90d": 0, "requested_on": "2026-06-15"}
CLAIM = {"reason": "return_not_received", "return_received": False, "category": "home", "refund_amount": 80,
         "refund_issued_by": "marketplace", "auto_refund_late": False}
TIER = {"shipments": 1000, "valid_tracking": 1000, "returns": 20, "prepaid_label_returns": 20, "units": 1000, "contacts": 50,
        "enrolled_on": "2024-01-01", "as_of": "2026-05-15", "orders_90d": 900}


@pytest.fixture(scope="module")
def amazon():
    compiled = compile_policy(load_policy(AMAZON))
    yield compiled
    compiled.close()


def test_the_amazon_policy_passes_its_own_cases(amazon):
    report = run_cases(amazon, AMAZON_CASES)
    assert report.total >= 45 and not report.failures, [str(f) for f in report.failures]


def test_the_amazon_policy_loads_seller_s9s_overlay_and_its_version_covers_it(amazon):
    assert set(amazon.policy.overlays) == {"S9"}
    assert amazon.rule_ids()["refund"].count("S9/keep_it_small_complaints") == 1
    assert "1 seller overlays" in amazon.summary()


def test_holiday_window(amazon):
    d = amazon.decide_refund({**BASE, "delivered_on": "2026-12-24", "requested_on": "2027-01-31", "days_since_delivery": None})
    assert (d.outcome, d.details["window"]) == ("approve_return", "holiday_returns")
    assert "The holiday returns window of 38 days applies" in d.explanation
    late = amazon.decide_refund({**BASE, "delivered_on": "2026-12-24", "requested_on": "2027-02-01", "days_since_delivery": None})
    assert late.rule == "outside_window"


def test_eu_withdrawal_and_member_windows(amazon):
    software = {**BASE, "category": "software", "days_since_delivery": 12}
    assert amazon.decide_refund({**software, "buyer_country": "FR"}).outcome == "approve_return"
    assert amazon.decide_refund({**software, "buyer_country": "GB"}).rule == "outside_window"
    assert amazon.decide_refund(software).rule == "outside_window"  # no country: no EU window
    member = {**BASE, "days_since_delivery": 59, "buyer_tags": ["member", "newsletter"]}
    assert amazon.decide_refund(member).details["window"] == "member_window"


def test_final_sale_tag(amazon):
    d = amazon.decide_refund({**BASE, "product_tags": ["clearance", "final_sale"]})
    assert (d.outcome, d.rule, d.details["source"]) == ("deny", "final_sale", "marketplace")
    assert d.explanation.endswith("(rule final_sale).")


@pytest.mark.parametrize("facts, fee, refund", [
    ({"category": "shoes", "condition": "opened", "price": 70}, "5.00", "65.00"),        # fixed fee
    ({"condition": "used", "price": 10}, "5.00", "5.00"),                                 # percentage, minimum
    ({"condition": "used", "price": "99.99"}, "20.00", "79.99"),                          # percentage, 20% of 99.99 rounds half up
    ({"condition": "used", "price": 900}, "50.00", "850.00"),                             # percentage, maximum
    ({"category": "electronics", "condition": "opened", "price": 100}, "0.00", "100.00"),  # fee only above $100
    ({"category": "electronics", "condition": "opened", "price": "100.01"}, "15.00", "85.01"),
])
def test_fees(amazon, facts, fee, refund):
    d = amazon.decide_refund({**BASE, **facts})
    assert (d.amounts["fee"], d.amounts["refund_amount"]) == (Decimal(fee), Decimal(refund))


def test_keep_the_item_partial_refund_is_its_own_outcome_and_cites_the_seller(amazon):
    d = amazon.decide_refund({**BASE, "reason": "not_as_described", "price": "39.99", "seller_id": "S9"})
    assert (d.outcome, d.rule, d.amounts["refund_amount"], d.amounts["fee"]) == ("keep_item_refund", "S9/keep_it_small_complaints",
                                                                                 Decimal("12.00"), Decimal("0.00"))
    assert d.details == {"source": "seller S9", "keeps_item": True}
    assert "(rule S9/keep_it_small_complaints)" in d.explanation and "from S9" in d.explanation


def test_seller_overlay_values_are_cited_as_the_sellers(amazon):
    d = amazon.decide_refund({**BASE, "days_since_delivery": 55, "seller_id": "S9"})
    assert (d.outcome, d.details["source"]) == ("approve_return", "seller S9")
    assert "Seller S9's own return window of 60 days applies" in d.explanation
    other = amazon.decide_refund({**BASE, "days_since_delivery": 55, "seller_id": "S1"})
    assert (other.rule, other.details["source"]) == ("outside_window", "marketplace")


def test_serial_returner_rate(amazon):
    assert amazon.decide_refund({**BASE, "buyer_returns_90d": 2, "buyer_orders_90d": 4}).rule == "serial_returner_rate"
    assert amazon.decide_refund({**BASE, "buyer_returns_90d": 2, "buyer_orders_90d": 3}).rule == "approve_return"  # < 4 orders
    assert amazon.decide_refund({**BASE, "buyer_returns_90d": 1, "buyer_orders_90d": 4}).rule == "approve_return"  # 25%


def test_reimbursement_cap_and_lower_rate(amazon):
    capped = amazon.decide_claim({**CLAIM, "days_since_refund": 20, "filed_on": "2026-05-01", "refund_amount": 900,
                                  "order_total": 9000, "order_reimbursed": "4500.50"})
    assert (capped.amounts["reimbursement"], capped.details["capped"]) == (Decimal("499.50"), True)
    assert "the rest of the $5,000.00 cap on this order" in capped.explanation
    damaged = amazon.decide_claim({**CLAIM, "reason": "returned_damaged", "return_received": True, "days_since_refund": 9,
                                   "days_since_return_delivered": 3, "evidence": ["photo"], "filed_on": "2026-05-01",
                                   "refund_amount": "45.25"})
    assert damaged.amounts["reimbursement"] == Decimal("22.63")  # 50%, half up


def test_dated_filing_window_says_which_value_applied(amazon):
    before = amazon.decide_claim({**CLAIM, "refunded_on": "2026-02-15", "filed_on": "2026-04-10"})
    after = amazon.decide_claim({**CLAIM, "refunded_on": "2026-02-16", "filed_on": "2026-04-10"})
    assert (before.outcome, after.outcome) == ("approve", "deny")
    assert "in_force" not in before.details
    assert after.details["in_force"] == {"filing_window_days": "2026-02-16"}
    assert "the filing window of 30 days in force for refunds from 2026-02-16 (the refund date is 2026-02-16)" in after.explanation


def test_custom_claim_rules(amazon):
    facts = {**CLAIM, "days_since_refund": 20, "filed_on": "2026-05-01"}
    assert amazon.decide_claim({**facts, "a_to_z_claim": True}).rule == "a_to_z_claim"
    assert amazon.decide_claim({**facts, "fulfilled_by": "marketplace"}).rule == "marketplace_fulfilled"
    assert amazon.decide_claim({**facts, "category": "grocery"}).rule == "lost_return_non_returnable"
    assert amazon.decide_claim(facts).rule == "reimbursable"


def test_custom_tier_rules_csba_2026(amazon):
    assert amazon.decide_tier({**TIER, "enrolled_on": "2026-02-15"}).rule == "new_enrolment"  # day 89
    assert amazon.decide_tier({**TIER, "enrolled_on": "2026-02-14"}).rule == "tier_standard"  # day 90
    assert amazon.decide_tier({**TIER, "enrolled_on": None}).rule == "tier_standard"
    assert amazon.decide_tier({**TIER, "orders_90d": 29}).rule == "low_order_volume"
    free = amazon.decide_tier({**TIER, "contacts": 29, "valid_tracking": 10})
    assert (free.rule, free.amounts["fee_per_unit"], free.details["tier"]) == ("cpu_below_3_percent", Decimal(0), "free")


def test_tier_advice_names_the_operators_rule_that_gave_the_tier(amazon):
    # CSBA 2026's free tier comes from custom rules; the tier table's own free tier allows 0% contacts,
    # so advice from the table ("keep Contacts Per Unit at or below 0%") would misstate what keeps it.
    new = amazon.decide_tier({**TIER, "enrolled_on": "2026-02-15"})
    assert new.details["advice"] == ["You are in the best tier by the policy's rule new_enrolment: "
                                     "Free for the first 90 days after enrolment."]
    low_cpu = amazon.decide_tier({**TIER, "contacts": 29, "valid_tracking": 10})
    assert low_cpu.details["advice"] == ["You are in the best tier by the policy's rule cpu_below_3_percent: "
                                         "Free when Contacts Per Unit is below 3%."]
    standard = amazon.decide_tier(TIER)  # the tier table decided: its advice is unchanged
    assert standard.rule == "tier_standard"
    assert any("Cut buyer contacts by 50" in step for step in standard.details["advice"])


def test_new_facts_are_checked_and_unknown_ones_get_a_suggestion(amazon):
    with pytest.raises(FactsError) as info:
        amazon.decide_refund({**BASE, "buyer_contry": "DE", "buyer_tags": ["Member"], "delivered_on": "2026-02-30",
                              "buyer_return_rate": 0.5, "fulfilled_by": "marketplce"})
    errors = dict(info.value.errors)
    assert "did you mean 'buyer_country'" in errors["buyer_contry"]
    assert "is not a tag" in errors["buyer_tags"]
    assert "exists" in errors["delivered_on"]
    assert "derived" in errors["buyer_return_rate"]
    assert "did you mean 'marketplace'" in errors["fulfilled_by"]


def test_old_requests_still_decide_the_same_under_the_default_policy(engine):
    old = {k: v for k, v in BASE.items() if k != "requested_on"}
    d = engine.decide_refund(old)
    assert (d.outcome, d.rule, d.details) == ("approve_return", "approve_return", {"source": "marketplace"})


def test_replaying_stored_decisions_under_the_amazon_policy_reports_what_changes(engine, amazon):
    from rules.replay import StoredDecision, replay

    def stored(i, kind, facts):
        d = engine.decide(kind, facts)
        return StoredDecision(f"D{i}", kind, d.policy_version, {k: v for k, v in facts.items()}, d.to_dict())

    decisions = [
        stored(1, "refund", {**BASE, "condition": "used", "price": 400}),                    # 50% fee -> 20% capped at $50
        stored(2, "refund", {**BASE, "product_tags": ["final_sale"]}),                       # approved -> final sale
        stored(3, "refund", BASE),                                                            # unchanged
        stored(4, "claim", {**CLAIM, "refunded_on": "2026-01-10", "filed_on": "2026-02-25"}),  # 60 days before 2026-02-16
    ]
    report = replay(amazon, decisions)
    assert (report.total, report.changed, report.failed) == (4, 3, 0)  # the plain request decides the same
    assert set(report.groups) == {("refund", "partial_refund", "partial_refund"), ("refund", "approve_return", "deny"),
                                  ("claim", "deny", "approve")}
    assert report.money()["fee"] == Decimal("-150.00")
    assert report.money()["reimbursement"] == Decimal("80.00")


def test_a_sellers_section_gives_the_values_its_overlay_set(amazon):
    # Which values a seller's overlay set comes from its section's lookup memo (with the looked-up values), worked
    # out once per category, condition and dated period; the marketplace's section has none.
    table, ctx = amazon.refund.table, amazon.refund.ctx
    assert ctx.marketplace.differs is None and ctx.sellers["S9"].differs is not None
    request = dict(category="apparel", price=40, days_since_delivery=10, reason="no_longer_needed", condition="used", buyer_returns_90d=0,
                   requested_on="2026-06-15")
    at = {name: i for i, name in enumerate(table.looked_up)}
    for seller, expected in ((None, None), ("S1", None), ("S9", frozenset({"window_days", "restocking_fee"}))):
        given = table.check({**request, "seller_id": seller} if seller else request)
        twice = [table.lookup_values(ctx, given) for _ in range(2)]  # worked out, then read from the memo
        assert twice[0] == twice[1] and twice[0][at["seller_values"]] == expected, seller
