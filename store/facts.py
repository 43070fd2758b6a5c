"""The facts of a refund request and of a claim, built from the store (the rules engine's inputs)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import NotFound, StoreError
from .models import Order, OrderItem, Product, Refund, ReturnRequest
from .timeutil import aware, days_between

BUYER_RETURNS_DAYS = 90


def refund_facts(session: Session, *, order_item_id: str, reason: str, condition: str, as_of: datetime) -> dict[str, Any]:
    """Refund facts for an order item: category, price (the line total), days since delivery,
    reason, condition and the buyer's return requests in the 90 days before `as_of`."""
    as_of = aware(as_of)
    row = session.execute(
        select(Product.category, OrderItem.unit_price, OrderItem.quantity, Order.delivered_at, Order.buyer_id)
        .join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id)
        .where(OrderItem.id == order_item_id)
    ).first()
    if row is None:
        raise NotFound(f"no order item {order_item_id!r}")
    category, unit_price, quantity, delivered_at, buyer_id = row
    if delivered_at is None or delivered_at > as_of:
        raise StoreError(f"order item {order_item_id!r} has not been delivered")
    returns = session.scalar(
        select(func.count(ReturnRequest.id))
        .join(OrderItem, ReturnRequest.order_item_id == OrderItem.id)
        .join(Order, OrderItem.order_id == Order.id)
        .where(Order.buyer_id == buyer_id,
               ReturnRequest.requested_at >= as_of - timedelta(days=BUYER_RETURNS_DAYS),
               ReturnRequest.requested_at < as_of)
    )
    return {
        "category": category,
        "price": unit_price * quantity,
        "days_since_delivery": days_between(delivered_at, as_of),
        "reason": reason,
        "condition": condition,
        "buyer_returns_90d": int(returns),
    }


def claim_facts(session: Session, *, refund_id: str, reason: str, evidence: Iterable[str], as_of: datetime) -> dict[str, Any]:
    """Claim facts for a refund: days since the refund, whether and when its return was delivered
    back (by `as_of`), category, amount, issuer, late auto-refund flag, plus the claim's reason and evidence."""
    as_of = aware(as_of)
    row = session.execute(
        select(Refund.amount, Refund.issued_by, Refund.issued_at, Refund.auto_refund_late, Product.category,
               ReturnRequest.delivered_at)
        .join(OrderItem, Refund.order_item_id == OrderItem.id)
        .join(Product, OrderItem.product_id == Product.id)
        .outerjoin(ReturnRequest, ReturnRequest.order_item_id == Refund.order_item_id)
        .where(Refund.id == refund_id)
    ).first()
    if row is None:
        raise NotFound(f"no refund {refund_id!r}")
    amount, issued_by, issued_at, auto_refund_late, category, return_delivered_at = row
    if issued_at > as_of:
        raise StoreError(f"refund {refund_id!r} was issued after {as_of.isoformat()}")
    received = return_delivered_at is not None and return_delivered_at <= as_of
    return {
        "reason": reason,
        "days_since_refund": days_between(issued_at, as_of),
        "return_received": received,
        "days_since_return_delivered": days_between(return_delivered_at, as_of) if received else None,
        "category": category,
        "refund_amount": amount,
        "refund_issued_by": issued_by,
        "auto_refund_late": auto_refund_late,
        "evidence": list(evidence),
    }
