"""Return analytics as SQL aggregates: units sold and returns by month, by reason, by category and for
the most returned SKUs; the products with the most refunded money; and the refund decisions to
replay. For one seller or the whole marketplace, from a start date."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterator

from sqlalchemy import String, func, select, text, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from .decisions import DecisionRecord, _record
from .models import Decision, MonthlySales, Order, OrderItem, Product, Refund, ReturnRequest
from .timeutil import day_start

TOP = 10


class month_of(FunctionElement):
    """The UTC calendar month of a timestamp column as 'YYYY-MM' (SQLite stores UTC text; PostgreSQL timestamptz)."""

    type = String()
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM')"


class month_start(FunctionElement):
    """A cheap month key to group many rows by (PostgreSQL: the month's first instant; SQLite: 'YYYY-MM')."""

    type = String()
    inherit_cache = True


@compiles(month_start, "sqlite")
def _start_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_start, "postgresql")
def _start_postgresql(element, compiler, **kw):
    return f"date_trunc('month', {compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"


class month_label(FunctionElement):
    """A month_start key as 'YYYY-MM'."""

    type = String()
    inherit_cache = True


@compiles(month_label, "sqlite")
def _label_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(month_label, "postgresql")
def _label_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


WORK_MEM = "64MB"  # the marketplace's hash joins and aggregates fit in memory instead of spilling to disk


@dataclass
class ReturnStats:
    """Counts per month ('YYYY-MM'); keys of the per-reason, per-category and per-SKU maps are (month, name)."""

    seller_id: str | None
    since: date
    units: dict[str, int] = field(default_factory=dict)
    returns: dict[str, int] = field(default_factory=dict)
    returns_by_reason: dict[tuple[str, str], int] = field(default_factory=dict)
    units_by_category: dict[tuple[str, str], int] = field(default_factory=dict)
    returns_by_category: dict[tuple[str, str], int] = field(default_factory=dict)
    units_by_sku: dict[tuple[str, str], int] = field(default_factory=dict)
    returns_by_sku: dict[tuple[str, str], int] = field(default_factory=dict)
    top_refunded: list[tuple[str, str, str, int, Decimal]] = field(default_factory=list)  # seller, sku, name, refunds, amount

    @property
    def months(self) -> list[str]:
        """Every month with sales or returns, in order."""
        return sorted(set(self.units) | set(self.returns))


def _sku(seller_column, sku_column):
    return seller_column + ":" + sku_column


def return_stats(session: Session, *, seller_id: str | None, since: date, top: int = TOP) -> ReturnStats:
    """Units and returns from `since` (UTC) by month and by reason, category and SKU (the `top` most returned
    SKUs), and the `top` products by refunded money; for `seller_id`, or the marketplace when None."""
    start = day_start(since)
    stats = ReturnStats(seller_id, since)
    mine = (lambda query: query.where(Order.seller_id == seller_id)) if seller_id is not None else (lambda query: query)
    # Orders are joined only to pick the seller's: every order item has its order (a non-null foreign key).
    joined = (lambda query: query.join(Order, OrderItem.order_id == Order.id)) if seller_id is not None else (lambda query: query)

    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    sold = month_of(Order.placed_at)
    # Units by month and category from the monthly summary for whole months; a first month `since` starts
    # inside comes from the orders themselves, by month and product first (cheap keys), then by category.
    whole = since if since.day == 1 else (since.replace(day=28) + timedelta(days=4)).replace(day=1)
    summary = select(MonthlySales.month, Product.category, func.sum(MonthlySales.units)).join(
        Product, MonthlySales.product_id == Product.id).where(MonthlySales.month >= f"{whole:%Y-%m}").group_by(
        MonthlySales.month, Product.category)
    if seller_id is not None:
        summary = summary.where(MonthlySales.seller_id == seller_id)
    parts = [summary]
    if whole != since:
        key = month_start(Order.placed_at).label("month")
        per_product = mine(select(key, OrderItem.product_id, func.sum(OrderItem.quantity).label("units"))
                           .select_from(OrderItem).join(Order, OrderItem.order_id == Order.id)
                           .where(Order.placed_at >= start, Order.placed_at < day_start(whole))
                           .group_by(key, OrderItem.product_id)).subquery()
        month = month_label(per_product.c.month)
        parts.append(select(month, Product.category, func.sum(per_product.c.units))
                     .join_from(per_product, Product, per_product.c.product_id == Product.id).group_by(month, Product.category))
    for part in parts:
        for month, category, count in session.execute(part):
            stats.units_by_category[(month, category)] = int(count)
            stats.units[month] = stats.units.get(month, 0) + int(count)

    # Returns by month, reason and category, and by product (the most returned SKUs are picked from these).
    asked = month_of(ReturnRequest.requested_at)
    sku = _sku(Product.seller_id, Product.sku)

    def returned(*columns):
        return (mine(joined(select(*columns, func.count()).select_from(ReturnRequest)
                            .join(OrderItem, ReturnRequest.order_item_id == OrderItem.id)))
                .join(Product, OrderItem.product_id == Product.id).where(ReturnRequest.requested_at >= start))
    per_product: dict[str, int] = {}
    if postgresql:  # one pass over the join, grouped both ways at once
        both = returned(asked, ReturnRequest.reason, Product.category, OrderItem.product_id, func.grouping(OrderItem.product_id)).group_by(
            func.grouping_sets(tuple_(asked, ReturnRequest.reason, Product.category), tuple_(OrderItem.product_id)))
        groups = []
        for month, reason, category, product_id, aside, n in session.execute(both):
            if aside:  # GROUPING(product_id) = 1: product_id is not in this row's grouping, a (month, reason, category) row
                groups.append((month, reason, category, n))
            else:
                per_product[product_id] = int(n)
    else:
        groups = []
        for month, reason, category, product_id, n in session.execute(
                returned(asked, ReturnRequest.reason, Product.category, OrderItem.product_id)
                .group_by(asked, ReturnRequest.reason, Product.category, OrderItem.product_id)):
            groups.append((month, reason, category, n))
            per_product[product_id] = per_product.get(product_id, 0) + int(n)
    for month, reason, category, count in groups:
        count = int(count)
        stats.returns[month] = stats.returns.get(month, 0) + count
        stats.returns_by_reason[(month, reason)] = stats.returns_by_reason.get((month, reason), 0) + count
        stats.returns_by_category[(month, category)] = stats.returns_by_category.get((month, category), 0) + count
    products = sorted(per_product, key=lambda p: (-per_product[p], p))[:top]
    if products:
        stats.returns_by_sku = {(m, k): int(n) for m, k, n in session.execute(
            returned(asked, sku).where(OrderItem.product_id.in_(products)).group_by(asked, sku))}
        per_sku_units = [select(MonthlySales.month, sku, func.sum(MonthlySales.units))
                         .join(Product, MonthlySales.product_id == Product.id)
                         .where(MonthlySales.product_id.in_(products), MonthlySales.month >= f"{whole:%Y-%m}")
                         .group_by(MonthlySales.month, sku)]
        if whole != since:
            per_sku_units.append(select(sold, sku, func.sum(OrderItem.quantity)).select_from(OrderItem)
                                 .join(Order, OrderItem.order_id == Order.id).join(Product, OrderItem.product_id == Product.id)
                                 .where(OrderItem.product_id.in_(products), Order.placed_at >= start,
                                        Order.placed_at < day_start(whole)).group_by(sold, sku))
        stats.units_by_sku = {(m, k): int(n) for part in per_sku_units for m, k, n in session.execute(part)}

    paid = mine(joined(select(Product.seller_id, Product.sku, Product.name, func.count(), func.sum(Refund.amount))
                       .select_from(Refund).join(OrderItem, Refund.order_item_id == OrderItem.id))
                .join(Product, OrderItem.product_id == Product.id)
                .where(Refund.issued_at >= start)
                .group_by(Product.id, Product.seller_id, Product.sku, Product.name)
                .order_by(func.sum(Refund.amount).desc(), Product.seller_id, Product.sku).limit(top))
    stats.top_refunded = [(s, k, n, int(c), Decimal(str(a)).quantize(Decimal("0.01"))) for s, k, n, c, a in session.execute(paid)]
    return stats


def refund_decisions(session: Session, *, seller_id: str | None, since: date, batch: int = 1000) -> Iterator[DecisionRecord]:
    """The logged refund decisions from `since` (for the seller's orders, or all), oldest first, streamed."""
    query = (select(Decision).where(Decision.kind == "refund", Decision.decided_at >= day_start(since))
             .order_by(Decision.decided_at, Decision.id).execution_options(yield_per=batch))
    if seller_id is not None:
        query = query.where(Decision.seller_id == seller_id)
    for row in session.scalars(query):
        yield _record(row)


