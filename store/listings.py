"""What the bot lists and looks up, always scoped by the owning account: a buyer sees only their
order items, a seller only their refunds and claims; someone else's row is simply "not found"."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from .db import run
from .errors import NotFound
from .models import Claim, Decision, Order, OrderItem, Product, Refund, ReturnRequest
from .timeutil import aware
from .types import UTCDateTime


@dataclass(frozen=True)
class OrderItemView:
    """A buyer's delivered order item, with its refund request and refund if there are any."""

    order_item_id: str
    order_id: str
    seller_id: str
    product_id: str
    product_name: str
    category: str
    quantity: int
    price: Decimal
    placed_at: datetime
    delivered_at: datetime
    return_request_id: str | None
    refund_id: str | None
    decision_id: str | None


@dataclass(frozen=True)
class RefundView:
    """A refund on a seller's order, with the decision that issued it and its claim, if any."""

    refund_id: str
    order_item_id: str
    product_name: str
    category: str
    amount: Decimal
    fee: Decimal
    issued_by: str
    issued_at: datetime
    return_delivered_at: datetime | None
    decision_id: str | None
    outcome: str | None
    rule: str | None
    claim_id: str | None
    claim_status: str | None
    order_id: str = ""
    return_reason: str | None = None  # the buyer's reason, when they asked for the refund
    ships_back: bool | None = None  # None: no return request
    condition_received: str | None = None


@dataclass(frozen=True)
class ClaimView:
    """A seller's claim and where it stands."""

    claim_id: str
    refund_id: str
    order_item_id: str
    reason: str
    status: str
    evidence: list[str]
    filed_at: datetime
    reimbursement: Decimal | None
    decision_id: str | None


def _one(session: Session, query: Select, missing: str):
    """The query's first row, or NotFound (also when the row belongs to someone else)."""
    row = session.execute(query).first()
    if row is None:
        raise NotFound(missing)
    return row


def _order_items(as_of: bool) -> Select:
    query = (
        select(OrderItem.id, Order.id, Order.seller_id, Product.id, Product.name, Product.category, OrderItem.quantity,
               OrderItem.unit_price, Order.placed_at, Order.delivered_at, ReturnRequest.id, Refund.id, ReturnRequest.decision_id)
        .join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id)
        .outerjoin(ReturnRequest, ReturnRequest.order_item_id == OrderItem.id)
        .outerjoin(Refund, Refund.order_item_id == OrderItem.id)
        .where(Order.buyer_id == bindparam("buyer"), Order.delivered_at.is_not(None))
    )
    # Delivered means delivered by `as_of` (as in the refund facts), not merely scheduled.
    return query.where(Order.delivered_at <= bindparam("as_of", type_=UTCDateTime())) if as_of else query


# Built once (every /refund lists the buyer's items): with and without an as-of time.
_BUYER_ITEMS = {dated: _order_items(dated).order_by(Order.delivered_at.desc(), OrderItem.id).limit(bindparam("limit"))
                for dated in (False, True)}
_BUYER_ITEM = {dated: _order_items(dated).where(OrderItem.id == bindparam("item")) for dated in (False, True)}


def _params(buyer_id: str, as_of: datetime | None, **more) -> dict:
    return {"buyer": buyer_id, **({} if as_of is None else {"as_of": aware(as_of)}), **more}


def _order_item_view(row) -> OrderItemView:
    # The query selects unit_price where the view has price (the line total).
    values = list(row)
    values[7] = values[7] * values[6]
    return OrderItemView(*values)


def buyer_order_items(session: Session, *, buyer_id: str, as_of: datetime | None = None,
                      limit: int = 20) -> list[OrderItemView]:
    """The buyer's order items delivered (by `as_of`, if given), most recently delivered first."""
    rows = run(session, _BUYER_ITEMS[as_of is not None], _params(buyer_id, as_of, limit=limit))
    return [_order_item_view(row) for row in rows]


def buyer_order_item(session: Session, *, buyer_id: str, order_item_id: str,
                     as_of: datetime | None = None) -> OrderItemView:
    """One of the buyer's delivered order items (by `as_of`, if given); NotFound for anyone else's."""
    row = run(session, _BUYER_ITEM[as_of is not None], _params(buyer_id, as_of, item=order_item_id)).first()
    if row is None:
        raise NotFound(f"no delivered order item {order_item_id!r}")
    return _order_item_view(row)


def _refunds(seller_id: str) -> Select:
    return (
        select(Refund.id, Refund.order_item_id, Product.name, Product.category, Refund.amount, Refund.fee, Refund.issued_by,
               Refund.issued_at, ReturnRequest.delivered_at, Refund.decision_id, Decision.outcome, Decision.rule, Claim.id,
               Claim.status, Order.id, ReturnRequest.reason, ReturnRequest.ships_back, ReturnRequest.condition_received)
        .join(OrderItem, Refund.order_item_id == OrderItem.id)
        .join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id)
        .outerjoin(ReturnRequest, ReturnRequest.order_item_id == Refund.order_item_id)
        .outerjoin(Decision, Decision.id == Refund.decision_id)
        .outerjoin(Claim, Claim.refund_id == Refund.id)
        .where(Order.seller_id == seller_id)
    )


def seller_refunds(session: Session, *, seller_id: str, limit: int = 20) -> list[RefundView]:
    """Refunds the marketplace issued on the seller's orders, newest first, with their decisions."""
    query = _refunds(seller_id).where(Refund.issued_by == "marketplace").order_by(Refund.issued_at.desc(), Refund.id).limit(limit)
    return [RefundView(*row) for row in session.execute(query)]


def seller_refund(session: Session, *, seller_id: str, refund_id: str) -> RefundView:
    """One refund on the seller's orders; NotFound for anyone else's."""
    return RefundView(*_one(session, _refunds(seller_id).where(Refund.id == refund_id), f"no refund {refund_id!r}"))


def _claims(seller_id: str) -> Select:
    return (
        select(Claim.id, Claim.refund_id, Refund.order_item_id, Claim.reason, Claim.status, Claim.evidence, Claim.filed_at,
               Claim.reimbursement, Claim.decision_id)
        .join(Refund, Claim.refund_id == Refund.id)
        .join(OrderItem, Refund.order_item_id == OrderItem.id)
        .join(Order, OrderItem.order_id == Order.id)
        .where(Order.seller_id == seller_id)
    )


def seller_claims(session: Session, *, seller_id: str, status: str | None = None, limit: int = 20) -> list[ClaimView]:
    """The seller's claims (optionally of one status), most recently filed first."""
    query = _claims(seller_id)
    if status is not None:
        query = query.where(Claim.status == status)
    query = query.order_by(Claim.filed_at.desc(), Claim.id).limit(limit)
    return [ClaimView(*row) for row in session.execute(query)]


def seller_claim(session: Session, *, seller_id: str, claim_id: str) -> ClaimView:
    """One of the seller's claims; NotFound for anyone else's."""
    return ClaimView(*_one(session, _claims(seller_id).where(Claim.id == claim_id), f"no claim {claim_id!r}"))
