"""The monthly sales summary equals the aggregate of orders and order items after every way rows are
written (JSON Lines, records, CSV, the demo data, both Amazon reports, ORM writes, changes and
deletions), on SQLite and PostgreSQL; and the returns report reads the same from it as from the raw rows."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from store import import_paths, import_records
from store.amazon import import_amazon_report
from store.demo import demo_plan
from store.models import MonthlySales, Order, OrderItem
from store.returns_report import month_of, return_stats

from .amazon_files import ORDERS_SAMPLE, RETURNS_SAMPLE, table, write
from .data import buyer, item, load, order, product, seller

UTC = timezone.utc


def summary(store) -> dict[tuple[str, str, str], tuple[int, int]]:
    with store.read() as session:
        return {(s, m, p): (n, u) for s, m, p, n, u in session.execute(
            select(MonthlySales.seller_id, MonthlySales.month, MonthlySales.product_id, MonthlySales.lines, MonthlySales.units))}


def aggregate(store) -> dict[tuple[str, str, str], tuple[int, int]]:
    month = month_of(Order.placed_at)
    with store.read() as session:
        return {(s, m, p): (n, int(u)) for s, m, p, n, u in session.execute(
            select(Order.seller_id, month, OrderItem.product_id, func.count(), func.sum(OrderItem.quantity))
            .join(Order, OrderItem.order_id == Order.id).group_by(Order.seller_id, month, OrderItem.product_id))}


def assert_summarised(store) -> None:
    expected = aggregate(store)
    assert expected, "the test must write some order items"
    assert summary(store) == expected


def _shop() -> list[dict]:
    return [seller("S1"), seller("S2"), buyer("B1"), product("P1", "S1"), product("P2", "S1"), product("P3", "S2"),
            order("O1", "B1", "S1", "2026-09-30T23:59:59", [item("I1", "P1", 2), item("I2", "P2", 1)]),
            order("O2", "B1", "S1", "2026-10-01T00:00:00", [item("I3", "P1", 3)]),
            order("O3", "B1", "S2", "2026-10-03", [item("I4", "P3", 5)]),
            order("O5", "B1", "S1", "2026-10-20", [item("I7", "P2", 2)]),
            {"type": "order_item", "id": "I5", "order_id": "O2", "product_id": "P1", "quantity": 4, "unit_price": "20.00"}]


def test_records_and_a_second_import(store):
    load(store, _shop())
    assert summary(store)[("S1", "2026-10", "P1")] == (2, 7)
    assert_summarised(store)
    load(store, [order("O4", "B1", "S1", "2026-10-09", [item("I6", "P1", 1)])])
    assert summary(store)[("S1", "2026-10", "P1")] == (3, 8)
    assert_summarised(store)


def test_json_lines_and_csv_files(store, tmp_path):
    (tmp_path / "shop.jsonl").write_text("\n".join(json.dumps(r) for r in _shop()[:6]) + "\n")
    (tmp_path / "orders.csv").write_text("id,buyer_id,seller_id,fulfilment,placed_at\nO1,B1,S1,seller,2026-08-31T23:00:00-02:00\n")
    (tmp_path / "order_items.csv").write_text("id,order_id,product_id,quantity,unit_price\nI1,O1,P1,2,20.00\nI2,O1,P2,3,20.00\n")
    with store.write() as session:
        import_paths(session, paths=[str(tmp_path)])
    assert summary(store) == {("S1", "2026-09", "P1"): (1, 2), ("S1", "2026-09", "P2"): (1, 3)}  # 01:00 UTC on 1 September
    assert_summarised(store)


def test_the_demo_data(store):
    with store.write() as session:
        import_records(session, records=demo_plan(date(2026, 11, 30)).records, source="demo")
    assert_summarised(store)


def test_both_amazon_reports_and_a_later_orders_report(store, tmp_path):
    orders, returns = write(tmp_path / "orders.txt", *table(ORDERS_SAMPLE)), write(tmp_path / "returns.txt", *table(RETURNS_SAMPLE))
    with store.write() as session:
        import_amazon_report(session, path=returns, seller_id="S1")  # creates orders the orders report then changes
    assert_summarised(store)
    with store.write() as session:
        import_amazon_report(session, path=orders, seller_id="S1")
    assert_summarised(store)
    header, rows = table(ORDERS_SAMPLE)
    i = header.index
    rows[0][i("purchase-date")] = "2026-04-30T10:00:00+00:00"  # the order moves to April
    rows[0][i("last-updated-date")] = "2026-05-01T10:00:00+00:00"
    rows[1][i("quantity")] = "3"
    rows[1][i("item-price")] = "597.00"
    later = write(tmp_path / "later.txt", header, rows)
    with store.write() as session:
        import_amazon_report(session, path=later, seller_id="S1")
    assert ("S1", "2026-04", "S1:BAG-1") in summary(store)
    assert_summarised(store)


def test_orm_writes_changes_and_deletions(store):
    load(store, _shop())
    with store.write() as session:
        session.add(Order(id="O9", buyer_id="B1", seller_id="S2", fulfilment="seller", placed_at=datetime(2026, 7, 1, tzinfo=UTC)))
        session.flush()
        session.add(OrderItem(id="I9", order_id="O9", product_id="P3", quantity=2, unit_price=Decimal("8.00")))
    assert_summarised(store)
    with store.write() as session:
        session.execute(update(Order).where(Order.id == "O1").values(placed_at=datetime(2026, 11, 2, tzinfo=UTC)))
        session.execute(update(Order).where(Order.id == "O3").values(seller_id="S1"))
        session.execute(update(OrderItem).where(OrderItem.id == "I3").values(quantity=1, product_id="P2"))
        session.execute(update(OrderItem).where(OrderItem.id == "I5").values(order_id="O9"))
    assert ("S1", "2026-09", "P1") not in summary(store)  # emptied rows go
    assert_summarised(store)
    with store.write() as session:
        session.execute(delete(OrderItem).where(OrderItem.id.in_(["I1", "I9"])))
    assert_summarised(store)
    with store.write() as session:
        session.execute(delete(OrderItem))
    assert summary(store) == {}


@pytest.mark.parametrize("since", [date(2026, 9, 1), date(2026, 9, 30), date(2026, 10, 2)])
@pytest.mark.parametrize("seller_id", ["S1", None])
def test_the_report_reads_the_same_from_the_summary(store, since, seller_id):
    load(store, _shop())
    with store.read() as session:
        stats = return_stats(session, seller_id=seller_id, since=since)
    raw = _raw_units(store, seller_id, since)
    assert stats.units == raw and raw  # a `since` inside a month counts that month's orders from `since` on
    assert sum(stats.units_by_category.values()) == sum(raw.values())


def _raw_units(store, seller_id, since) -> dict[str, int]:
    month = month_of(Order.placed_at)
    query = (select(month, func.sum(OrderItem.quantity)).join(Order, OrderItem.order_id == Order.id)
             .where(Order.placed_at >= datetime(since.year, since.month, since.day, tzinfo=UTC)).group_by(month))
    if seller_id is not None:
        query = query.where(Order.seller_id == seller_id)
    with store.read() as session:
        return {m: int(n) for m, n in session.execute(query)}
