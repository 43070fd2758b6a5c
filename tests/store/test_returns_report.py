"""Return analytics are SQL aggregates: per month, reason, category and SKU, and refunds paid, for one
seller or the marketplace, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from store.returns_report import return_stats

from .data import buyer, item, load, order, product, seller


def _shop(store) -> None:
    records = [seller("S1"), seller("S2"), buyer("B1"),
               product("P1", "S1", category="toys", price="10.00"), product("P2", "S1", category="books", price="5.00"),
               product("P3", "S2", category="toys", price="8.00"),
               order("O1", "B1", "S1", "2026-09-05", [item("I1", "P1", 2, "10.00"), item("I2", "P2", 1, "5.00")]),
               order("O2", "B1", "S1", "2026-10-02", [item("I3", "P1", 3, "10.00")]),
               order("O3", "B1", "S2", "2026-10-03", [item("I4", "P3", 5, "8.00")]),
               order("O0", "B1", "S1", "2026-06-01", [item("I0", "P1", 7, "10.00")])]  # before `since`
    returns = [("R1", "I1", "defective", "2026-09-10T10:00:00Z"), ("R2", "I2", "no_longer_needed", "2026-10-01T10:00:00Z"),
               ("R3", "I3", "defective", "2026-10-05T10:00:00Z"), ("R4", "I4", "wrong_item", "2026-10-06T10:00:00Z")]
    records += [{"type": "return", "id": r, "order_item_id": i, "reason": why, "condition": "opened", "requested_at": when,
                 "prepaid_label": True} for r, i, why, when in returns]
    records += [{"type": "refund", "id": f"F{n}", "order_item_id": i, "amount": amount, "issued_by": "marketplace",
                 "issued_at": "2026-10-10T00:00:00Z"} for n, (i, amount) in enumerate((("I1", "20.00"), ("I3", "30.00"), ("I4", "40.00")))]
    load(store, records)


def test_a_sellers_returns_by_month_reason_category_and_sku(store):
    _shop(store)
    with store.read() as session:
        s = return_stats(session, seller_id="S1", since=date(2026, 8, 1))
    assert s.months == ["2026-09", "2026-10"]
    assert (s.units, s.returns) == ({"2026-09": 3, "2026-10": 3}, {"2026-09": 1, "2026-10": 2})
    assert s.returns_by_reason == {("2026-09", "defective"): 1, ("2026-10", "no_longer_needed"): 1, ("2026-10", "defective"): 1}
    assert s.units_by_category == {("2026-09", "toys"): 2, ("2026-09", "books"): 1, ("2026-10", "toys"): 3}
    assert s.returns_by_category == {("2026-09", "toys"): 1, ("2026-10", "books"): 1, ("2026-10", "toys"): 1}
    assert s.units_by_sku == {("2026-09", "S1:SKU-P1"): 2, ("2026-09", "S1:SKU-P2"): 1, ("2026-10", "S1:SKU-P1"): 3}
    assert s.returns_by_sku == {("2026-09", "S1:SKU-P1"): 1, ("2026-10", "S1:SKU-P2"): 1, ("2026-10", "S1:SKU-P1"): 1}
    assert s.top_refunded == [("S1", "SKU-P1", "Product P1", 2, Decimal("50.00"))]


def test_the_marketplace_adds_every_seller(store):
    _shop(store)
    with store.read() as session:
        s = return_stats(session, seller_id=None, since=date(2026, 8, 1), top=1)
    assert (s.units, s.returns) == ({"2026-09": 3, "2026-10": 8}, {"2026-09": 1, "2026-10": 3})
    assert s.returns_by_category[("2026-10", "toys")] == 2
    assert s.top_refunded == [("S1", "SKU-P1", "Product P1", 2, Decimal("50.00"))]
    assert {k for _, k in s.returns_by_sku} == {"S1:SKU-P1"}  # only the most returned SKU
    with store.read() as session:
        assert return_stats(session, seller_id="S9", since=date(2026, 8, 1)).months == []


def test_month_boundaries_are_utc(store):
    _shop(store)
    with store.read() as session:
        s = return_stats(session, seller_id="S1", since=date(2026, 10, 1))
    assert s.returns == {"2026-10": 2}  # R2 at 2026-10-01T10:00Z counts, R1 in September does not
