"""The facts of a refund request, a claim and a seller's tier, built from the store: the rules engine's
inputs, in the fact model of policy language 2 (docs/store.md lists each fact and how it is computed).

`refund_facts_for`, `claim_facts_for`, `tier_facts_for` and `all_tier_facts_for` return every fact;
the bot and the CLI decide on exactly these.
Aggregates (orders, returns, order totals, reimbursements) are computed in SQL, each lookup one
statement built once at import.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from .db import run
from .errors import NotFound, StoreError
from .metrics import all_tier_facts, tier_facts
from .models import Buyer, Claim, Order, OrderItem, Product, Refund, ReturnRequest, Seller
from .timeutil import aware, days_between, utc_date, window
from .types import Money
from .weekly import WeekCounts, week_bounds
from .windows import window_sums

BUYER_RETURNS_DAYS = 90
BUYER_ORDERS_DAYS = 90
SELLER_ORDERS_DAYS = 90

def _tags(value: Any) -> list[str]:
    return sorted(value or [])


def _order_total(order_id) -> Any:
    """The order's lines (quantity x unit price) plus its shipping, as a correlated scalar subquery."""
    line = aliased(OrderItem)
    lines = (select(func.coalesce(func.sum(line.quantity * line.unit_price), 0))
             .where(line.order_id == order_id).scalar_subquery())
    return type_coerce(Order.shipping_paid + lines, Money())


def _refund_statement():
    other_order, returned_item, returned_order = aliased(Order), aliased(OrderItem), aliased(Order)
    since, until = bindparam("since", type_=Order.placed_at.type), bindparam("until", type_=Order.placed_at.type)
    returns = (select(func.count(ReturnRequest.id))
               .join(returned_item, ReturnRequest.order_item_id == returned_item.id)
               .join(returned_order, returned_item.order_id == returned_order.id)
               .where(returned_order.buyer_id == Order.buyer_id, ReturnRequest.requested_at >= since,
                      ReturnRequest.requested_at < until)
               .scalar_subquery())
    orders = (select(func.count(other_order.id))
              .where(other_order.buyer_id == Order.buyer_id, other_order.placed_at >= since, other_order.placed_at < until)
              .scalar_subquery())
    return (
        select(Product.category, Product.sku, Product.tags.label("product_tags"), OrderItem.unit_price, OrderItem.quantity,
               Order.seller_id, Order.delivered_at, Order.fulfilment, Order.shipping_paid, Order.a_to_z_claim,
               Buyer.country, Buyer.tags.label("buyer_tags"), _order_total(Order.id).label("order_total"),
               returns.label("returns"), orders.label("orders"))
        .join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id)
        .join(Buyer, Order.buyer_id == Buyer.id)
        .where(OrderItem.id == bindparam("order_item_id"))
    )


REFUND_ROW = _refund_statement()


def refund_facts_for(session: Session, *, order_item_id: str, reason: str, condition: str, as_of: datetime) -> dict[str, Any]:
    """Every refund fact for an order item requested at `as_of` (NotFound: no such item; StoreError: not delivered by then)."""
    as_of = aware(as_of)
    since = as_of - timedelta(days=BUYER_RETURNS_DAYS)
    row = run(session, REFUND_ROW, {"order_item_id": order_item_id, "since": since, "until": as_of}).first()
    if row is None:
        raise NotFound(f"no order item {order_item_id!r}")
    if row.delivered_at is None or row.delivered_at > as_of:
        raise StoreError(f"order item {order_item_id!r} has not been delivered")
    return {
        "category": row.category,
        "price": row.unit_price * row.quantity,
        "days_since_delivery": days_between(row.delivered_at, as_of),
        "reason": reason,
        "condition": condition,
        "buyer_returns_90d": int(row.returns),
        "sku": row.sku,
        "product_tags": _tags(row.product_tags),
        "seller_id": row.seller_id,
        "buyer_country": row.country,
        "buyer_tags": _tags(row.buyer_tags),
        "buyer_orders_90d": int(row.orders),
        "delivered_on": utc_date(row.delivered_at),
        "requested_on": utc_date(as_of),
        "order_total": row.order_total,
        "shipping_paid": row.shipping_paid,
        "fulfilled_by": row.fulfilment,
        "a_to_z_claim": row.a_to_z_claim,
    }


def _claim_statement():
    other_claim, other_refund, other_item = aliased(Claim), aliased(Refund), aliased(OrderItem)
    reimbursed = (select(func.coalesce(func.sum(other_claim.reimbursement), 0))
                  .join(other_refund, other_claim.refund_id == other_refund.id)
                  .join(other_item, other_refund.order_item_id == other_item.id)
                  .where(other_item.order_id == Order.id, other_item.id != OrderItem.id, other_claim.status == "approved",
                         other_claim.filed_at <= bindparam("as_of", type_=Claim.filed_at.type))
                  .scalar_subquery())
    return (
        select(Refund.amount, Refund.issued_by, Refund.issued_at, Refund.auto_refund_late, Product.category, Product.sku,
               Product.tags, Order.seller_id, Order.fulfilment, Order.a_to_z_claim, ReturnRequest.delivered_at,
               _order_total(Order.id).label("order_total"), type_coerce(reimbursed, Money()).label("reimbursed"))
        .join(OrderItem, Refund.order_item_id == OrderItem.id)
        .join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id)
        .outerjoin(ReturnRequest, ReturnRequest.order_item_id == Refund.order_item_id)
        .where(Refund.id == bindparam("refund_id"))
    )


CLAIM_ROW = _claim_statement()


def claim_facts_for(session: Session, *, refund_id: str, reason: str, evidence: Iterable[str], as_of: datetime) -> dict[str, Any]:
    """Every claim fact for a claim on a refund filed at `as_of` (NotFound: no such refund; StoreError: refunded later)."""
    as_of = aware(as_of)
    row = session.execute(CLAIM_ROW, {"refund_id": refund_id, "as_of": as_of}).first()
    if row is None:
        raise NotFound(f"no refund {refund_id!r}")
    if row.issued_at > as_of:
        raise StoreError(f"refund {refund_id!r} was issued after {as_of.isoformat()}")
    received = row.delivered_at is not None and row.delivered_at <= as_of
    return {
        "reason": reason,
        "days_since_refund": days_between(row.issued_at, as_of),
        "return_received": received,
        "days_since_return_delivered": days_between(row.delivered_at, as_of) if received else None,
        "category": row.category,
        "refund_amount": row.amount,
        "refund_issued_by": row.issued_by,
        "auto_refund_late": row.auto_refund_late,
        "evidence": list(evidence),
        "seller_id": row.seller_id,
        "sku": row.sku,
        "product_tags": _tags(row.tags),
        "refunded_on": utc_date(row.issued_at),
        "return_delivered_on": utc_date(row.delivered_at) if received else None,
        "filed_on": utc_date(as_of),
        "fulfilled_by": row.fulfilment,
        "a_to_z_claim": row.a_to_z_claim,
        "order_total": row.order_total,
        "order_reimbursed": row.reimbursed,
    }


def _seller_statement():
    since, until = bindparam("since", type_=Order.placed_at.type), bindparam("until", type_=Order.placed_at.type)
    orders = (select(func.count(Order.id))
              .where(and_(Order.seller_id == Seller.id, Order.fulfilment == "seller", Order.placed_at >= since,
                          Order.placed_at < until))
              .scalar_subquery())
    return select(Seller.csba_enrolled_at, orders.label("orders")).where(Seller.id == bindparam("seller_id"))


SELLER_ROW = _seller_statement()


def enrolled_by(enrolled_at: datetime | None, as_of: date) -> date | None:
    """The CSBA enrolment day as known on `as_of`: None before it (a past week of the tier chart) or without one."""
    enrolled_on = utc_date(enrolled_at) if enrolled_at is not None else None
    return enrolled_on if enrolled_on is not None and enrolled_on <= as_of else None


def tier_facts_for(session: Session, *, seller_id: str, as_of: date, window_days: int) -> dict[str, Any]:
    """Every tier fact of a seller on `as_of`: the metric counts over `window_days`, enrolment and 90-day orders."""
    counts = tier_facts(session, seller_id=seller_id, as_of=as_of, window_days=window_days)  # NotFound for an unknown seller
    since, until = window(as_of, SELLER_ORDERS_DAYS)
    row = session.execute(SELLER_ROW, {"seller_id": seller_id, "since": since, "until": until}).one()
    return {
        **counts,
        "seller_id": seller_id,
        "enrolled_on": enrolled_by(row.csba_enrolled_at, as_of),
        "orders_90d": int(row.orders),
        "as_of": as_of,
    }


ENROLMENT = select(Seller.csba_enrolled_at).where(Seller.id == bindparam("seller_id"))


def _trailing(enrolled_at: datetime | None, seller_id: str, days: list[date], counts: list[dict[str, int]],
              orders: list[int]) -> list[dict[str, Any]]:
    """tier_facts_for's facts on each of `days` from its window's counts and its 90 days' orders."""
    return [{**facts, "seller_id": seller_id, "enrolled_on": enrolled_by(enrolled_at, day), "orders_90d": count, "as_of": day}
            for day, facts, count in zip(days, counts, orders)]


def _enrolment(session: Session, seller_id: str) -> datetime | None:
    enrolled = run(session, ENROLMENT, {"seller_id": seller_id}).one_or_none()
    if enrolled is None:
        raise NotFound(f"no seller {seller_id!r}")
    return enrolled.csba_enrolled_at


def tier_facts_series(session: Session, *, seller_id: str, days: list[date], window_days: int) -> list[dict[str, Any]]:
    """tier_facts_for on each of `days`, from one grouped statement instead of two a day; NotFound for an unknown
    seller."""
    enrolled_at = _enrolment(session, seller_id)
    counts, orders = window_sums(session, seller_id=seller_id, metric_windows=[window(day, window_days) for day in days],
                                 order_windows=[window(day, SELLER_ORDERS_DAYS) for day in days])
    return _trailing(enrolled_at, seller_id, days, counts, orders)


def tier_chart_facts(session: Session, *, seller_id: str, as_of: date,
                     window_days: int) -> tuple[list[WeekCounts], list[dict[str, Any]]]:
    """The tier chart's data: weekly_tier_counts, and tier_facts_series on each week's last day (the last is
    tier_facts_for on `as_of`), from two statements; NotFound for an unknown seller."""
    enrolled_at = _enrolment(session, seller_id)
    weeks = week_bounds(as_of, window_days)
    days = [(end - timedelta(days=1)).date() for _start, end in weeks]
    counts, orders = window_sums(session, seller_id=seller_id,
                                 metric_windows=[*weeks, *(window(day, window_days) for day in days)],
                                 order_windows=[window(day, SELLER_ORDERS_DAYS) for day in days])
    return ([WeekCounts(start, end, week) for (start, end), week in zip(weeks, counts)],
            _trailing(enrolled_at, seller_id, days, counts[len(weeks):], orders))


def _all_sellers_statement():
    since, until = bindparam("since", type_=Order.placed_at.type), bindparam("until", type_=Order.placed_at.type)
    orders = (select(Order.seller_id, func.count(Order.id).label("orders"))
              .where(Order.fulfilment == "seller", Order.placed_at >= since, Order.placed_at < until)
              .group_by(Order.seller_id).subquery())
    return (select(Seller.id, Seller.csba_enrolled_at, func.coalesce(orders.c.orders, 0).label("orders"))
            .outerjoin(orders, orders.c.seller_id == Seller.id))


ALL_SELLERS_ROWS = _all_sellers_statement()


def all_tier_facts_for(session: Session, *, as_of: date, window_days: int) -> dict[str, dict[str, Any]]:
    """Every seller's tier facts, `{seller_id: facts}` as tier_facts_for gives them, from grouped queries."""
    counts = all_tier_facts(session, as_of=as_of, window_days=window_days)
    since, until = window(as_of, SELLER_ORDERS_DAYS)
    for seller_id, enrolled_at, orders in session.execute(ALL_SELLERS_ROWS, {"since": since, "until": until}):
        counts[seller_id].update(seller_id=seller_id, enrolled_on=enrolled_by(enrolled_at, as_of),
                                 orders_90d=int(orders), as_of=as_of)
    return counts
