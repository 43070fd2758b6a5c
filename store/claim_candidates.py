"""The refunds a seller might still claim for, with every fact a claim decision needs: one SQL
statement, built once, narrowed to the seller and to refunds whose filing window could still be open
(the claim finder in rules/finder.py decides each one through the policy)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, func, select, type_coerce, union_all
from sqlalchemy.orm import Session, aliased

from .models import Claim, Order, OrderItem, Product, Refund, ReturnRequest
from .timeutil import aware, day_start, utc_date
from .types import Money


@dataclass(frozen=True, slots=True)
class ClaimCandidate:
    """A refund on one of the seller's orders, as the claim finder needs it: the claim facts that do
    not depend on the claim (`facts`), what the refund was for, and its claim if one was filed."""

    refund_id: str
    order_id: str
    order_item_id: str
    product_name: str
    return_reason: str | None
    ships_back: bool | None
    claim_id: str | None
    claim_status: str | None
    facts: dict[str, Any]


def _statement():
    line, other_claim, other_refund, other_item = aliased(OrderItem), aliased(Claim), aliased(Refund), aliased(OrderItem)
    order_total = type_coerce(Order.shipping_paid + select(func.coalesce(func.sum(line.quantity * line.unit_price), 0))
                              .where(line.order_id == Order.id).scalar_subquery(), Money())
    reimbursed = type_coerce(
        select(func.coalesce(func.sum(other_claim.reimbursement), 0))
        .join(other_refund, other_claim.refund_id == other_refund.id)
        .join(other_item, other_refund.order_item_id == other_item.id)
        .where(other_item.order_id == Order.id, other_item.id != OrderItem.id, other_claim.status == "approved")
        .scalar_subquery(), Money())
    since = bindparam("since", type_=Refund.issued_at.type)
    as_of = bindparam("as_of", type_=Refund.issued_at.type)
    returned = case((ReturnRequest.delivered_at <= as_of, ReturnRequest.delivered_at), else_=None)
    columns = select(Refund.id, Order.id, OrderItem.id, Product.name, ReturnRequest.reason, ReturnRequest.ships_back, Claim.id,
                     Claim.status, Refund.amount, Refund.issued_by, Refund.issued_at, Refund.auto_refund_late, Product.category,
                     Product.sku, Product.tags, Order.fulfilment, Order.a_to_z_claim, returned, order_total, reimbursed)
    joined = (columns.join(OrderItem, Refund.order_item_id == OrderItem.id)
              .join(Order, OrderItem.order_id == Order.id)
              .join(Product, OrderItem.product_id == Product.id)
              .outerjoin(ReturnRequest, ReturnRequest.order_item_id == Refund.order_item_id)
              .outerjoin(Claim, Claim.refund_id == Refund.id)
              .where(Order.seller_id == bindparam("seller_id")))
    # The window runs from the later of the refund and the return's delivery: refunds issued since, and
    # earlier refunds whose return arrived since. Two branches, so each can use its own index.
    return union_all(
        joined.where(Refund.issued_at >= since, Refund.issued_at <= as_of),
        joined.where(Refund.issued_at < since, ReturnRequest.delivered_at >= since, ReturnRequest.delivered_at <= as_of),
    )


CANDIDATES = _statement()


def claim_candidates(session: Session, *, seller_id: str, as_of: datetime, lookback_days: int) -> list[ClaimCandidate]:
    """The seller's refunds issued by `as_of` whose later of refund and return delivery is at most
    `lookback_days` days before `as_of` (the longest filing window the policy has), claimed or not."""
    as_of = aware(as_of)
    since = day_start(utc_date(as_of) - timedelta(days=lookback_days))
    filed_on = utc_date(as_of)
    out = []
    rows = sorted(session.execute(CANDIDATES, {"seller_id": seller_id, "as_of": as_of, "since": since}), key=lambda r: (r[10], r[0]))
    for row in rows:
        (refund_id, order_id, item_id, name, return_reason, ships_back, claim_id, claim_status, amount, issued_by, issued_at,
         late, category, sku, tags, fulfilment, a_to_z, returned_at, order_total, reimbursed) = row
        refunded_on = utc_date(issued_at)
        returned_on = utc_date(returned_at) if returned_at is not None else None
        facts = {
            "days_since_refund": (filed_on - refunded_on).days,
            "return_received": returned_on is not None,
            "days_since_return_delivered": (filed_on - returned_on).days if returned_on is not None else None,
            "category": category, "refund_amount": amount, "refund_issued_by": issued_by, "auto_refund_late": bool(late),
            "seller_id": seller_id, "sku": sku, "product_tags": sorted(tags or []), "refunded_on": refunded_on,
            "return_delivered_on": returned_on, "filed_on": filed_on, "fulfilled_by": fulfilment, "a_to_z_claim": bool(a_to_z),
            "order_total": order_total if order_total is not None else Decimal("0.00"),
            "order_reimbursed": reimbursed if reimbursed is not None else Decimal("0.00"),
        }
        out.append(ClaimCandidate(refund_id, order_id, item_id, name, return_reason, ships_back, claim_id, claim_status, facts))
    return out


