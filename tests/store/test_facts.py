"""Refund and claim facts built from the store."""
from datetime import date
from decimal import Decimal

import pytest

from store import (
    LEGACY_FIELDS, NotFound, StoreError, all_tier_facts_for, claim_facts, claim_facts_for, legacy_facts, refund_facts,
    refund_facts_for, tier_facts, tier_facts_for,
)

from .data import at, buyer, claim, item, load, order, product, refund, return_, seller


@pytest.fixture
def shop(store):
    load(store, [
        seller("S1"), buyer("B1"), buyer("B2"),
        product("P1", "S1", category="sleeping_bags", price="79.99"), product("P2", "S1", category="toys"),
        order("O1", "B1", "S1", "2026-05-01", [item("I1", "P1", 2, "79.99"), item("I2", "P2")], delivered="2026-05-03T18:00:00"),
        order("O2", "B1", "S1", "2026-01-01", [item("I3", "P2"), item("I4", "P2"), item("I5", "P2")], delivered="2026-01-05"),
        order("O3", "B2", "S1", "2026-05-01", [item("I6", "P2")], delivered="2026-05-02"),
        order("O4", "B1", "S1", "2026-05-20", [item("I7", "P2")]),  # not delivered
        # B1's return requests: 90 days before 2026-05-10T12:00 starts 2026-02-09T12:00
        return_("R1", "I3", "2026-02-09T12:00:00"),  # exactly 90 days before: counted
        return_("R2", "I4", "2026-02-09T11:59:59"),  # just outside
        return_("R3", "I5", "2026-05-10T12:00:00"),  # at as_of itself: not before it
        return_("R4", "I6", "2026-05-05"),  # another buyer's
        refund("F1", "I2", "2026-05-12", amount="20.00"),
        refund("F2", "I1", "2026-05-12", amount="159.98", issued_by="seller", auto_refund_late=True),
        return_("R5", "I2", "2026-05-11", delivered="2026-05-20"),
    ])
    return store


def test_refund_facts(shop):
    with shop.read() as session:
        facts = refund_facts(session, order_item_id="I1", reason="defective", condition="opened", as_of=at("2026-05-10T12:00:00"))
    assert facts == {"category": "sleeping_bags", "price": Decimal("159.98"), "days_since_delivery": 7, "reason": "defective",
                     "condition": "opened", "buyer_returns_90d": 1}
    assert isinstance(facts["price"], Decimal)


def test_days_since_delivery_counts_utc_calendar_days(shop):
    with shop.read() as session:
        same_day = refund_facts(session, order_item_id="I1", reason="defective", condition="opened", as_of=at("2026-05-03T23:59:59"))
        next_day = refund_facts(session, order_item_id="I1", reason="defective", condition="opened", as_of=at("2026-05-04T00:00:00"))
    assert (same_day["days_since_delivery"], next_day["days_since_delivery"]) == (0, 1)


def test_refund_facts_refuse_unknown_and_undelivered_items(shop):
    with shop.read() as session:
        with pytest.raises(NotFound):
            refund_facts(session, order_item_id="nope", reason="defective", condition="opened", as_of=at("2026-06-01"))
        with pytest.raises(StoreError, match="not been delivered"):
            refund_facts(session, order_item_id="I7", reason="defective", condition="opened", as_of=at("2026-06-01"))
        with pytest.raises(StoreError, match="timezone-aware"):
            refund_facts(session, order_item_id="I1", reason="defective", condition="opened", as_of=at("2026-06-01").replace(tzinfo=None))


def test_claim_facts_with_a_received_return(shop):
    with shop.read() as session:
        facts = claim_facts(session, refund_id="F1", reason="returned_damaged", evidence=["photo"], as_of=at("2026-05-25"))
    assert facts == {"reason": "returned_damaged", "days_since_refund": 13, "return_received": True,
                     "days_since_return_delivered": 5, "category": "toys", "refund_amount": Decimal("20.00"),
                     "refund_issued_by": "marketplace", "auto_refund_late": False, "evidence": ["photo"]}


def test_claim_facts_before_the_return_arrives(shop):
    with shop.read() as session:
        facts = claim_facts(session, refund_id="F1", reason="return_not_received", evidence=[], as_of=at("2026-05-19"))
    assert (facts["return_received"], facts["days_since_return_delivered"], facts["days_since_refund"]) == (False, None, 7)


def test_claim_facts_without_a_return(shop):
    with shop.read() as session:
        facts = claim_facts(session, refund_id="F2", reason="refunded_non_returnable", evidence=[], as_of=at("2026-05-12T23:00:00"))
    assert facts["return_received"] is False and facts["days_since_refund"] == 0
    assert (facts["category"], facts["refund_issued_by"], facts["auto_refund_late"]) == ("sleeping_bags", "seller", True)


def test_claim_facts_refuse_unknown_or_future_refunds(shop):
    with shop.read() as session:
        with pytest.raises(NotFound):
            claim_facts(session, refund_id="F9", reason="returned_damaged", evidence=[], as_of=at("2026-06-01"))
        with pytest.raises(StoreError, match="issued after"):
            claim_facts(session, refund_id="F1", reason="returned_damaged", evidence=[], as_of=at("2026-05-01"))


# Policy language 2: the full fact model of /tmp/facts.md (docs/store.md, "Facts for decisions").

REFUND_FACT_NAMES = {
    "category", "price", "days_since_delivery", "reason", "condition", "buyer_returns_90d", "sku", "product_tags", "seller_id",
    "buyer_country", "buyer_tags", "buyer_orders_90d", "delivered_on", "requested_on", "order_total", "shipping_paid",
    "fulfilled_by", "a_to_z_claim",
}
CLAIM_FACT_NAMES = {
    "reason", "days_since_refund", "return_received", "days_since_return_delivered", "category", "refund_amount",
    "refund_issued_by", "auto_refund_late", "evidence", "seller_id", "sku", "product_tags", "refunded_on",
    "return_delivered_on", "filed_on", "fulfilled_by", "a_to_z_claim", "order_total", "order_reimbursed",
}
TIER_FACT_NAMES = {"shipments", "valid_tracking", "returns", "prepaid_label_returns", "units", "contacts", "seller_id",
                   "enrolled_on", "orders_90d", "as_of"}


@pytest.fixture
def market(store):
    load(store, [
        seller("S9", csba_enrolled_at="2026-03-01T23:30:00-02:00", csba_enrolment="choice"), seller("S8"),
        buyer("B1", country="DE", tags=["vip", "member"]), buyer("B2"), buyer("B3", country="FR"),
        product("P1", "S9", category="apparel", price="40.00", tags=["final_sale", "clearance"]), product("P2", "S9"),
        product("P3", "S8"),
        # B1: an order with shipping, two lines, one of them two units: 2 x 40.00 + 15.50 + 4.95 shipping
        order("O1", "B1", "S9", "2026-05-01", [item("I1", "P1", 2, "40.00"), item("I2", "P2", 1, "15.50")],
              delivered="2026-05-03", shipping_paid="4.95"),
        order("O2", "B1", "S8", "2026-02-09T12:00:00", [item("I3", "P3")], delivered="2026-02-12"),  # 90 days before: counted
        order("O3", "B1", "S8", "2026-02-09T11:59:59", [item("I4", "P3")], delivered="2026-02-12"),  # just outside
        order("O4", "B1", "S9", "2026-05-10T12:00:00", [item("I5", "P2")]),  # at as_of itself: not before it
        # B2: one old order, nothing else in 90 days; marketplace-fulfilled with an A-to-z claim, no shipping
        order("O5", "B2", "S9", "2026-01-01", [item("I6", "P2", 3, "10.00")], fulfilment="marketplace",
              delivered="2026-01-04", a_to_z_claim=True),
        # B3: one order of three items; claims on two of them
        order("O6", "B3", "S9", "2026-02-01", [item("I7", "P2"), item("I8", "P2"), item("I9", "P2"), item("I10", "P1", 1, "40.00")],
              delivered="2026-02-05", shipping_paid="6.00"),
        order("O7", "B3", "S9", "2026-02-01", [item("I11", "P2")], delivered="2026-02-05"),
        order("O8", "B2", "S9", "2026-05-01", [item("I12", "P2")], fulfilment="marketplace"),  # not in S9's orders_90d
        refund("F7", "I7", "2026-02-15T23:59:59"), refund("F8", "I8", "2026-02-16T00:00:00"),
        refund("F9", "I9", "2026-02-16"), refund("F10", "I10", "2026-02-16", amount="40.00"), refund("F11", "I11", "2026-02-16"),
        return_("R7", "I7", "2026-02-10", delivered="2026-02-20"),
        claim("C8", "F8", "2026-03-01", status="approved", reason="returned_damaged", reimbursement="12.50"),
        claim("C9", "F9", "2026-03-02", status="approved", reason="returned_damaged", reimbursement="7.25"),
        claim("C10", "F10", "2026-03-01", status="denied", reason="returned_damaged"),
        claim("C11", "F11", "2026-03-01", status="approved", reason="returned_damaged", reimbursement="20.00"),  # another order
    ])
    return store


def test_refund_facts_for_gives_every_fact(market):
    with market.read() as session:
        facts = refund_facts_for(session, order_item_id="I1", reason="no_longer_needed", condition="unopened",
                                 as_of=at("2026-05-10T12:00:00"))
    assert set(facts) == REFUND_FACT_NAMES
    assert facts == {
        "category": "apparel", "price": Decimal("80.00"), "days_since_delivery": 7, "reason": "no_longer_needed",
        "condition": "unopened", "buyer_returns_90d": 0, "sku": "SKU-P1", "product_tags": ["clearance", "final_sale"],
        "seller_id": "S9", "buyer_country": "DE", "buyer_tags": ["member", "vip"], "buyer_orders_90d": 2,  # O1 and O2
        "delivered_on": date(2026, 5, 3), "requested_on": date(2026, 5, 10), "order_total": Decimal("100.45"),
        "shipping_paid": Decimal("4.95"), "fulfilled_by": "seller", "a_to_z_claim": False,
    }
    assert all(isinstance(facts[name], Decimal) for name in ("price", "order_total", "shipping_paid"))


def test_refund_facts_with_no_orders_in_90_days(market):
    with market.read() as session:
        facts = refund_facts_for(session, order_item_id="I6", reason="defective", condition="used", as_of=at("2026-04-20"))
    assert (facts["buyer_orders_90d"], facts["buyer_returns_90d"]) == (0, 0)
    assert (facts["buyer_country"], facts["buyer_tags"], facts["product_tags"]) == (None, [], [])
    assert (facts["fulfilled_by"], facts["a_to_z_claim"], facts["shipping_paid"], facts["order_total"]) == (
        "marketplace", True, Decimal("0.00"), Decimal("30.00"))


def test_the_legacy_refund_facts_are_the_full_facts_narrowed(market):
    with market.read() as session:
        args = dict(order_item_id="I1", reason="defective", condition="opened", as_of=at("2026-05-10T12:00:00"))
        full, old = refund_facts_for(session, **args), refund_facts(session, **args)
    assert old == legacy_facts("refund", full)
    assert list(old) == list(LEGACY_FIELDS["refund"])


def test_claim_facts_for_gives_every_fact(market):
    with market.read() as session:
        facts = claim_facts_for(session, refund_id="F7", reason="returned_damaged", evidence=["photo"], as_of=at("2026-03-05"))
    assert set(facts) == CLAIM_FACT_NAMES
    assert facts == {
        "reason": "returned_damaged", "days_since_refund": 18, "return_received": True, "days_since_return_delivered": 13,
        "category": "toys", "refund_amount": Decimal("20.00"), "refund_issued_by": "marketplace", "auto_refund_late": False,
        "evidence": ["photo"], "seller_id": "S9", "sku": "SKU-P2", "product_tags": [], "refunded_on": date(2026, 2, 15),
        "return_delivered_on": date(2026, 2, 20), "filed_on": date(2026, 3, 5), "fulfilled_by": "seller",
        "a_to_z_claim": False, "order_total": Decimal("106.00"),
        # approved on other items of O6: C8 12.50 + C9 7.25; not C10 (denied) nor C11 (another order)
        "order_reimbursed": Decimal("19.75"),
    }


def test_order_reimbursed_counts_other_items_approved_by_the_filing_day(market):
    with market.read() as session:
        def reimbursed(refund_id: str, when: str) -> Decimal:
            return claim_facts_for(session, refund_id=refund_id, reason="returned_damaged", evidence=[], as_of=at(when))["order_reimbursed"]

        assert reimbursed("F8", "2026-03-05") == Decimal("7.25")  # its own approved claim is not counted
        assert reimbursed("F7", "2026-03-01T12:00:00") == Decimal("12.50")  # C9 was filed the next day
        assert reimbursed("F7", "2026-02-20") == Decimal("0.00")  # nothing yet
        assert reimbursed("F11", "2026-03-05") == Decimal("0.00")  # alone on its order


def test_refunded_on_either_side_of_a_date(market):
    with market.read() as session:
        days = {rid: claim_facts_for(session, refund_id=rid, reason="return_not_received", evidence=[], as_of=at("2026-03-01"))
                for rid in ("F7", "F8")}
    assert (days["F7"]["refunded_on"], days["F8"]["refunded_on"]) == (date(2026, 2, 15), date(2026, 2, 16))
    assert (days["F8"]["return_received"], days["F8"]["return_delivered_on"]) == (False, None)


def test_return_delivered_on_is_unknown_before_it_arrives(market):
    with market.read() as session:
        facts = claim_facts_for(session, refund_id="F7", reason="return_not_received", evidence=[], as_of=at("2026-02-19"))
    assert (facts["return_received"], facts["return_delivered_on"], facts["filed_on"]) == (False, None, date(2026, 2, 19))


def test_the_legacy_claim_facts_are_the_full_facts_narrowed(market):
    with market.read() as session:
        args = dict(refund_id="F7", reason="returned_damaged", evidence=["photo"], as_of=at("2026-03-05"))
        assert claim_facts(session, **args) == legacy_facts("claim", claim_facts_for(session, **args))


def test_tier_facts_for_gives_every_fact(market):
    with market.read() as session:
        s9 = tier_facts_for(session, seller_id="S9", as_of=date(2026, 5, 10), window_days=90)
        s8 = tier_facts_for(session, seller_id="S8", as_of=date(2026, 5, 11), window_days=90)
        counts = tier_facts(session, seller_id="S9", as_of=date(2026, 5, 10), window_days=90)
        with pytest.raises(NotFound):
            tier_facts_for(session, seller_id="S404", as_of=date(2026, 5, 10), window_days=90)
    assert set(s9) == TIER_FACT_NAMES
    assert legacy_facts("tier", s9) == counts
    # S9's seller-fulfilled orders placed in the 90 days ending 2026-05-10 (from 2026-02-10): O1 and O4, not O6 and O7
    # (2026-02-01) nor O8 (the marketplace's)
    assert (s9["seller_id"], s9["enrolled_on"], s9["orders_90d"], s9["as_of"]) == ("S9", date(2026, 3, 2), 2, date(2026, 5, 10))
    # S8 on 2026-05-11: the window starts 2026-02-11, after O2 and O3
    assert (s8["enrolled_on"], s8["orders_90d"]) == (None, 0)


def test_all_tier_facts_for_equals_each_sellers(market):
    with market.read() as session:
        everyone = all_tier_facts_for(session, as_of=date(2026, 5, 10), window_days=90)
        assert set(everyone) == {"S8", "S9"}
        for seller_id, facts in everyone.items():
            assert facts == tier_facts_for(session, seller_id=seller_id, as_of=date(2026, 5, 10), window_days=90)


def test_tier_orders_90d_window_is_90_calendar_days_ending_on_as_of(market):
    with market.read() as session:
        def orders(day: date) -> int:
            return tier_facts_for(session, seller_id="S8", as_of=day, window_days=30)["orders_90d"]

        # O2 and O3 were placed on 2026-02-09; the 90 days ending 2026-05-09 start on 2026-02-09
        assert (orders(date(2026, 5, 9)), orders(date(2026, 5, 10)), orders(date(2026, 2, 8))) == (2, 0, 0)


def test_legacy_facts_refuses_an_unknown_kind():
    with pytest.raises(StoreError, match="unknown decision kind 'refnd'"):
        legacy_facts("refnd", {})
