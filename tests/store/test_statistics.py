"""Planner statistics after an import: PostgreSQL analyses the tables an import grew, as autovacuum would, at once."""
from __future__ import annotations

from sqlalchemy import text

from store import import_records
from store.amazon import import_amazon_report
from store.statistics import KEPT_BY_TRIGGERS, tables_to_analyze

from .amazon_files import ORDERS_SAMPLE, RETURNS_SAMPLE, table, write


def test_a_table_is_analysed_when_an_import_grows_it_past_autovacuum_s_threshold():
    assert tables_to_analyze({"orders": 1}, {}) == sorted(["orders", *KEPT_BY_TRIGGERS["orders"]])  # never analysed
    assert tables_to_analyze({"refunds": 1}, {"refunds": -1.0}) == ["refunds"]
    assert tables_to_analyze({"refunds": 149}, {"refunds": 1000.0}) == []  # 50 + 10% of 1,000 = 150
    assert tables_to_analyze({"refunds": 150}, {"refunds": 1000.0}) == ["refunds"]
    assert tables_to_analyze({"refunds": 0, "claims": 0}, {}) == []
    assert tables_to_analyze({"orders": 500, "order_items": 900}, {"orders": 10.0, "order_items": 10.0}) == [
        "monthly_sales", "order_items", "orders"]


def test_every_import_analyses_its_tables_in_one_order():
    """ANALYZE holds its lock on a table until the import commits: two imports that analyse shared tables in different
    orders deadlock (one analyses order_items then monthly_sales, the other orders, monthly_sales, then order_items),
    and PostgreSQL aborts one of them. Every import takes the tables in the same order."""
    tables = ["buyers", "orders", "order_items", "return_requests", "refunds"]
    chosen = [tables_to_analyze({t: 1000 for i, t in enumerate(tables) if mask >> i & 1}, {}) for mask in range(1, 2 ** len(tables))]
    assert tables_to_analyze({"order_items": 1000}, {}) == ["monthly_sales", "order_items"]
    for one in chosen:
        for other in chosen:
            shared = set(one) & set(other)
            assert [t for t in one if t in shared] == [t for t in other if t in shared]


def _orders(first: int, count: int) -> list[dict]:
    records = [] if first else [
        {"type": "seller", "id": "S1", "name": "Acme"},
        {"type": "buyer", "id": "B1", "name": "Ann"},
        {"type": "product", "id": "P1", "seller_id": "S1", "sku": "BAG-1", "name": "Down bag", "category": "sleeping_bags",
         "price": "79.99"}]
    for n in range(first, first + count):
        records.append({"type": "order", "id": f"O{n}", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
                        "placed_at": "2026-05-01T10:00:00Z", "items": [{"id": f"I{n}", "product_id": "P1", "quantity": 1,
                                                                       "unit_price": "79.99"}]})
    return records


def _estimates(store) -> dict[str, float]:
    with store.read() as session:
        return dict(session.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('orders', 'order_items', "
                                         "'monthly_sales', 'sellers') AND relnamespace = current_schema()::regnamespace")).all())


def test_an_import_leaves_postgresql_planning_on_what_the_tables_hold(store, backend):
    with store.write() as session:
        import_records(session, records=_orders(0, 400))
    if backend == "sqlite":
        return  # nothing to do: the import's own statistics (store.amazon.deferred) are SQLite's
    estimates = _estimates(store)
    assert (estimates["orders"], estimates["order_items"]) == (400, 400)
    assert estimates["monthly_sales"] == 1  # kept by triggers: one product, one month
    with store.write() as session:  # 20 more orders: under 50 + 10% of 400, left to autovacuum
        import_records(session, records=_orders(400, 20))
    assert _estimates(store)["orders"] == 400
    with store.write() as session:  # 100 more: past it
        import_records(session, records=_orders(420, 100))
    assert _estimates(store)["orders"] == 520


def test_an_amazon_report_import_analyses_the_tables_it_wrote(store, backend, tmp_path):
    for fmt, sample in (("amazon-orders", ORDERS_SAMPLE), ("amazon-returns", RETURNS_SAMPLE)):
        path = write(tmp_path / f"{fmt}.tsv", *table(sample))
        with store.write() as session:
            import_amazon_report(session, path=path, seller_id="S1", fmt=fmt)
    if backend == "sqlite":
        return
    with store.read() as session:
        counted = dict(session.execute(text("SELECT 'orders', count(*) FROM orders UNION ALL "
                                            "SELECT 'return_requests', count(*) FROM return_requests")).all())
        estimates = dict(session.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('orders', 'return_requests') "
                                              "AND relnamespace = current_schema()::regnamespace")).all())
    assert counted["return_requests"] > 0
    assert estimates["return_requests"] == counted["return_requests"]
    assert 0 < estimates["orders"] <= counted["orders"]  # analysed after the orders report (the returns' few new orders are under the threshold)
