"""Refund and claim facts built from the store."""
from decimal import Decimal

import pytest

from store import NotFound, StoreError, claim_facts, refund_facts

from .data import at, buyer, item, load, order, product, refund, return_, seller


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
