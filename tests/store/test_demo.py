"""The demo data exercises policy language 2: who is who, and the facts the store builds for them."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from store import claim_facts_for, import_records, refund_facts_for, tier_facts_for
from store.demo import SAFET_CHANGE, demo_plan

from .data import at

TODAY = date(2026, 11, 30)


def _by_id(plan, kind: str) -> dict:
    return {r["id"]: r for r in plan.records if r["type"] == kind}


@pytest.fixture
def demo(store):
    plan = demo_plan(TODAY)
    with store.write() as session:
        import_records(session, records=plan.records, source="demo")
    return store


def test_the_people_of_policy_language_2():
    plan = demo_plan(TODAY)
    buyers, products, orders = _by_id(plan, "buyer"), _by_id(plan, "product"), _by_id(plan, "order")
    assert {b: (buyers[b]["country"], buyers[b]["tags"]) for b in ("B7", "B8", "B9")} == {
        "B7": ("DE", []), "B8": ("FR", []), "B9": ("US", ["member"])}
    assert (buyers["B1"]["country"], buyers["B1"]["tags"]) == (None, [])  # the original people are unchanged
    assert {p for p, r in products.items() if "final_sale" in r["tags"]} == {"P91", "P93"}
    assert {r["seller_id"] for p, r in products.items() if p.startswith("P9")} == {"S9"}
    s9 = _by_id(plan, "seller")["S9"]
    assert (s9["csba_enrolment"], s9["csba_enrolled_at"][:10]) == ("choice", "2026-10-21")
    assert orders["O9055"]["a_to_z_claim"] is True and orders["O9056"]["fulfilment"] == "marketplace"
    holiday = [o for o in orders.values() if o["delivered_at"][:10] in ("2025-11-24", "2025-12-12")]
    assert {o["id"] for o in holiday} == {"O9803", "O9703"}


def test_refunds_either_side_of_the_safet_change_are_decided_with_their_claims():
    requests = {r.order_item_id: r for r in demo_plan(TODAY).requests}
    before, after = requests["O9051-1"], requests["O9052-1"]
    assert before.requested_at.date() < SAFET_CHANGE <= after.requested_at.date()
    for request in (before, after):  # claimed 40 days after the return arrived: inside 60 days, outside 30
        assert (request.claim.filed_at - request.return_delivered_at).days == 40
    early = {r.order_item_id for r in demo_plan(date(2026, 3, 1)).requests}
    assert "O9051-1" not in early  # a demo dated before the claims were filed leaves them out


def test_the_holiday_refund_is_asked_in_january_or_just_before_today():
    asked = {today: next(r for r in demo_plan(today).requests if r.order_item_id == "O9803-1").requested_at
             for today in (TODAY, date(2027, 1, 5))}
    assert asked == {TODAY: datetime(2026, 1, 20, 12, tzinfo=timezone.utc), date(2027, 1, 5): datetime(2027, 1, 4, 12, tzinfo=timezone.utc)}


def test_the_demo_people_have_the_facts_their_rules_need(demo):
    now = at("2026-11-30T15:00:00")
    with demo.read() as session:
        dress = refund_facts_for(session, order_item_id="O9701-1", reason="no_longer_needed", condition="unopened", as_of=now)
        coat = refund_facts_for(session, order_item_id="O9801-1", reason="no_longer_needed", condition="unopened", as_of=now)
        member = refund_facts_for(session, order_item_id="O9901-1", reason="no_longer_needed", condition="unopened", as_of=now)
        holiday = refund_facts_for(session, order_item_id="O9703-1", reason="no_longer_needed", condition="unopened",
                                   as_of=at("2027-01-20"))
        capped = claim_facts_for(session, refund_id="F90572", reason="returned_damaged", evidence=["photo"], as_of=now)
        tier = tier_facts_for(session, seller_id="S9", as_of=TODAY, window_days=90)
    assert (dress["buyer_country"], dress["product_tags"], dress["days_since_delivery"], dress["seller_id"]) == (
        "DE", ["final_sale"], 8, "S9")
    assert (dress["order_total"], dress["shipping_paid"]) == (Decimal("64.95"), Decimal("4.95"))
    assert (coat["buyer_country"], coat["order_total"], coat["price"]) == ("FR", Decimal("197.50"), Decimal("150.00"))
    assert (member["buyer_tags"], member["days_since_delivery"]) == (["member"], 40)
    assert (holiday["delivered_on"], holiday["requested_on"]) == (date(2025, 12, 12), date(2027, 1, 20))
    assert (capped["order_total"], capped["order_reimbursed"], capped["refund_amount"]) == (
        Decimal("5600.00"), Decimal("2800.00"), Decimal("2800.00"))
    assert (tier["enrolled_on"], tier["orders_90d"] < 30) == (date(2026, 10, 21), True)


def test_the_orders_seller_s9_claims_on_in_the_chat(demo):
    """The engine refunds O9055-1 and O9056-1 when `refundbot demo` runs (tests/bot/test_store_commands.py);
    here, the facts of their orders and of the imported seller-issued refund."""
    now = at("2026-11-30T15:00:00")
    with demo.read() as session:
        a_to_z, marketplace = (refund_facts_for(session, order_item_id=item, reason="defective", condition="opened", as_of=now)
                               for item in ("O9055-1", "O9056-1"))
        seller_issued = claim_facts_for(session, refund_id="F9058", reason="returned_damaged", evidence=["photo"], as_of=now)
    assert (a_to_z["a_to_z_claim"], a_to_z["fulfilled_by"]) == (True, "seller")
    assert (marketplace["a_to_z_claim"], marketplace["fulfilled_by"]) == (False, "marketplace")
    assert (seller_issued["refund_issued_by"], seller_issued["seller_id"], seller_issued["order_reimbursed"]) == (
        "seller", "S9", Decimal("0.00"))
