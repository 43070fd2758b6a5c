"""What a prepaid return label shows, scoped by the buyer who asked for the return."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Buyer, Order, OrderItem, Product, ReturnRequest, Seller


@dataclass(frozen=True)
class ReturnLabelView:
    """A return that ships back on a prepaid label: its RMA (the return request id), where it goes and what is in it."""

    rma: str
    order_id: str
    order_item_id: str
    product_name: str
    quantity: int
    buyer_name: str
    seller_name: str
    return_address: str | None
    requested_at: datetime
    return_delivered_at: datetime | None


_LABELS: Select = (
    select(ReturnRequest.id, Order.id, OrderItem.id, Product.name, func.coalesce(ReturnRequest.quantity, OrderItem.quantity),
           Buyer.name, Seller.name,
           Seller.return_address, ReturnRequest.requested_at, ReturnRequest.delivered_at)
    .join(OrderItem, ReturnRequest.order_item_id == OrderItem.id)
    .join(Order, OrderItem.order_id == Order.id)
    .join(Product, OrderItem.product_id == Product.id)
    .join(Buyer, Order.buyer_id == Buyer.id)
    .join(Seller, Order.seller_id == Seller.id)
    .where(ReturnRequest.prepaid_label.is_(True), ReturnRequest.ships_back.is_(True))
)


def _view(row) -> ReturnLabelView:
    return ReturnLabelView(*row)


def buyer_return_labels(session: Session, *, buyer_id: str, limit: int = 5) -> list[ReturnLabelView]:
    """The buyer's returns that ship back on a prepaid label, newest request first."""
    query = _LABELS.where(Order.buyer_id == buyer_id).order_by(ReturnRequest.requested_at.desc(), ReturnRequest.id).limit(limit)
    return [_view(row) for row in session.execute(query)]


def buyer_return_label(session: Session, *, buyer_id: str, rma: str) -> ReturnLabelView:
    """One of the buyer's prepaid returns by RMA; NotFound for anyone else's (or one without a label)."""
    row = session.execute(_LABELS.where(Order.buyer_id == buyer_id, ReturnRequest.id == rma)).first()
    if row is None:
        raise NotFound(f"return {rma!r}")
    return _view(row)
