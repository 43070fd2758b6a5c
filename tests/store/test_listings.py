"""What the bot lists, scoped by owner: someone else's row is not found."""
from decimal import Decimal

import pytest

from store import (
    NotFound, buyer_order_item, buyer_order_items, seller_claim, seller_claims, seller_refund,
    seller_refunds,
)

from .data import at, buyer, claim, item, load, order, product, refund, return_, seller


@pytest.fixture
def shop(store):
    load(store, [
        seller("S1"), seller("S2"), buyer("B1"), buyer("B2"),
        product("P1", "S1", category="sleeping_bags", price="80.00"), product("P2", "S2"),
        order("O1", "B1", "S1", "2026-05-01", [item("I1", "P1", 1, "80.00"), item("I2", "P1", 2, "80.00")], delivered="2026-05-03"),
        order("O2", "B1", "S2", "2026-05-05", [item("I3", "P2")], delivered="2026-05-07"),
        order("O3", "B1", "S1", "2026-05-20", [item("I4", "P1")]),  # not delivered
        order("O4", "B2", "S1", "2026-05-01", [item("I5", "P1")], delivered="2026-05-02"),
        return_("R1", "I1", "2026-05-10", delivered="2026-05-20"),
        refund("F1", "I1", "2026-05-11", amount="80.00"),  # window runs from the return's delivery, 2026-05-20
        refund("F2", "I2", "2026-05-01", amount="160.00"),  # from the refund: last day 2026-05-31
        refund("F3", "I5", "2026-05-12", issued_by="seller"),
        refund("F4", "I3", "2026-05-12"),  # another seller's
        claim("CL1", "F3", "2026-05-15", status="denied"),
    ])
    return store


def test_a_buyer_sees_their_delivered_items(shop):
    with shop.read() as session:
        items = buyer_order_items(session, buyer_id="B1")
    assert [i.order_item_id for i in items] == ["I3", "I1", "I2"]
    i2 = items[2]
    assert (i2.category, i2.quantity, i2.price, i2.refund_id, i2.return_request_id) == ("sleeping_bags", 2, Decimal("160.00"), "F2", None)
    assert (items[1].return_request_id, items[1].refund_id) == ("R1", "F1")


def test_a_buyer_cannot_see_another_buyers_item(shop):
    with shop.read() as session:
        assert buyer_order_item(session, buyer_id="B2", order_item_id="I5").order_id == "O4"
        with pytest.raises(NotFound):
            buyer_order_item(session, buyer_id="B2", order_item_id="I1")
        with pytest.raises(NotFound):
            buyer_order_item(session, buyer_id="B1", order_item_id="I4")  # not delivered


def test_a_seller_sees_their_marketplace_refunds(shop):
    with shop.read() as session:
        refunds = seller_refunds(session, seller_id="S1")
        assert [r.refund_id for r in refunds] == ["F1", "F2"]
        assert seller_refund(session, seller_id="S1", refund_id="F3").claim_status == "denied"
        with pytest.raises(NotFound):
            seller_refund(session, seller_id="S1", refund_id="F4")


def test_a_seller_sees_their_claims(shop):
    with shop.read() as session:
        assert [c.claim_id for c in seller_claims(session, seller_id="S1")] == ["CL1"]
        assert seller_claims(session, seller_id="S1", status="approved") == []
        assert seller_claims(session, seller_id="S2") == []
        with pytest.raises(NotFound):
            seller_claim(session, seller_id="S2", claim_id="CL1")


def test_items_delivered_after_as_of_are_not_listed_as_delivered(store):
    from datetime import datetime, timedelta, timezone

    from store import buyer_order_item, buyer_order_items, import_records
    from store.errors import NotFound

    now = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    with store.write() as session:
        import_records(session, records=[
            {"type": "seller", "id": "S9", "name": "Late Co"},
            {"type": "buyer", "id": "B9", "name": "Early"},
            {"type": "product", "id": "P9", "seller_id": "S9", "sku": "X", "name": "Lamp", "category": "home", "price": 10},
            {"type": "order", "id": "O9", "buyer_id": "B9", "seller_id": "S9", "fulfilment": "seller",
             "placed_at": (now - timedelta(days=2)).isoformat(), "delivered_at": (now + timedelta(hours=6)).isoformat(),
             "items": [{"id": "O9-1", "product_id": "P9", "quantity": 1, "unit_price": 10}]},
        ])
    with store.read() as session:
        assert [i.order_item_id for i in buyer_order_items(session, buyer_id="B9")] == ["O9-1"]
        assert buyer_order_items(session, buyer_id="B9", as_of=now) == []
        assert buyer_order_items(session, buyer_id="B9", as_of=now + timedelta(hours=7))[0].order_item_id == "O9-1"
        with pytest.raises(NotFound):
            buyer_order_item(session, buyer_id="B9", order_item_id="O9-1", as_of=now)
