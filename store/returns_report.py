"""Return analytics as SQL aggregates: units sold and returns by month, by reason, by category and for
the most returned SKUs; the products with the most refunded money; and the refund decisions to
replay. For one seller or the whole marketplace, from a start date."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterator

from sqlalchemy import String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from .decisions import DecisionRecord, _record
from .models import Decision, Order, OrderItem, Product, Refund, ReturnRequest
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

    sold = month_of(Order.placed_at)
    units = mine(select(sold, Product.category, func.sum(OrderItem.quantity))
                 .select_from(OrderItem).join(Order, OrderItem.order_id == Order.id).join(Product, OrderItem.product_id == Product.id)
                 .where(Order.placed_at >= start).group_by(sold, Product.category))
    for month, category, count in session.execute(units):
        stats.units_by_category[(month, category)] = int(count)
        stats.units[month] = stats.units.get(month, 0) + int(count)

    asked = month_of(ReturnRequest.requested_at)
    returns = mine(select(asked, ReturnRequest.reason, Product.category, func.count())
                   .select_from(ReturnRequest).join(OrderItem, ReturnRequest.order_item_id == OrderItem.id)
                   .join(Order, OrderItem.order_id == Order.id).join(Product, OrderItem.product_id == Product.id)
                   .where(ReturnRequest.requested_at >= start).group_by(asked, ReturnRequest.reason, Product.category))
    for month, reason, category, count in session.execute(returns):
        count = int(count)
        stats.returns[month] = stats.returns.get(month, 0) + count
        stats.returns_by_reason[(month, reason)] = stats.returns_by_reason.get((month, reason), 0) + count
        stats.returns_by_category[(month, category)] = stats.returns_by_category.get((month, category), 0) + count

    most = mine(select(OrderItem.product_id).select_from(ReturnRequest).join(OrderItem, ReturnRequest.order_item_id == OrderItem.id)
                .join(Order, OrderItem.order_id == Order.id).where(ReturnRequest.requested_at >= start)
                .group_by(OrderItem.product_id).order_by(func.count().desc(), OrderItem.product_id).limit(top))
    products = [row[0] for row in session.execute(most)]
    if products:
        sku = _sku(Product.seller_id, Product.sku)
        per_sku_units = (select(sold, sku, func.sum(OrderItem.quantity)).select_from(OrderItem)
                         .join(Order, OrderItem.order_id == Order.id).join(Product, OrderItem.product_id == Product.id)
                         .where(OrderItem.product_id.in_(products), Order.placed_at >= start).group_by(sold, sku))
        stats.units_by_sku = {(m, s): int(n) for m, s, n in session.execute(per_sku_units)}
        per_sku_returns = (select(asked, sku, func.count()).select_from(ReturnRequest)
                           .join(OrderItem, ReturnRequest.order_item_id == OrderItem.id)
                           .join(Product, OrderItem.product_id == Product.id)
                           .where(OrderItem.product_id.in_(products), ReturnRequest.requested_at >= start).group_by(asked, sku))
        stats.returns_by_sku = {(m, s): int(n) for m, s, n in session.execute(per_sku_returns)}

    paid = mine(select(Product.seller_id, Product.sku, Product.name, func.count(), func.sum(Refund.amount))
                .select_from(Refund).join(OrderItem, Refund.order_item_id == OrderItem.id)
                .join(Order, OrderItem.order_id == Order.id).join(Product, OrderItem.product_id == Product.id)
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


