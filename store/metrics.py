"""Seller metrics for the reward tier, as SQL aggregates over the seller's seller-fulfilled orders.

Over the trailing window of `window_days` UTC calendar days ending on `as_of` (inclusive):
- shipments: shipments whose shipped_at falls in the window;
- valid_tracking: those of them with valid tracking;
- returns: return requests whose item is sent back (ships_back), requested in the window;
- prepaid_label_returns: those of them that had a prepaid return label;
- units: the quantities of order items on orders placed in the window;
- contacts: customer contacts made in the window.
Marketplace-fulfilled orders count for none of them.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Contact, Order, OrderItem, ReturnRequest, Seller, Shipment
from .timeutil import window

TIER_FACT_FIELDS = ("shipments", "valid_tracking", "returns", "prepaid_label_returns", "units", "contacts")


def _count_true(column) -> object:
    return func.coalesce(func.sum(case((column.is_(True), 1), else_=0)), 0)


def _queries(as_of: date, window_days: int, seller_id: str | None) -> list[tuple[tuple[str, ...], Select]]:
    """(fields, grouped query) per metric; each query yields (seller_id, *fields) per seller."""
    start, end = window(as_of, window_days)
    own = [Order.fulfilment == "seller"]
    if seller_id is not None:
        own.append(Order.seller_id == seller_id)

    def grouped(*columns, joined, where) -> Select:
        query = select(Order.seller_id, *columns).select_from(joined)
        return query.where(*own, *where).group_by(Order.seller_id)

    return [
        (("shipments", "valid_tracking"), grouped(
            func.count(Shipment.id), _count_true(Shipment.tracking_valid),
            joined=Shipment.__table__.join(Order.__table__, Shipment.order_id == Order.id),
            where=[Shipment.shipped_at >= start, Shipment.shipped_at < end])),
        (("returns", "prepaid_label_returns"), grouped(
            func.count(ReturnRequest.id), _count_true(ReturnRequest.prepaid_label),
            joined=ReturnRequest.__table__.join(OrderItem.__table__, ReturnRequest.order_item_id == OrderItem.id)
            .join(Order.__table__, OrderItem.order_id == Order.id),
            where=[ReturnRequest.ships_back.is_(True), ReturnRequest.requested_at >= start, ReturnRequest.requested_at < end])),
        (("units",), grouped(
            func.coalesce(func.sum(OrderItem.quantity), 0),
            joined=OrderItem.__table__.join(Order.__table__, OrderItem.order_id == Order.id),
            where=[Order.placed_at >= start, Order.placed_at < end])),
        (("contacts",), grouped(
            func.count(Contact.id),
            joined=Contact.__table__.join(Order.__table__, Contact.order_id == Order.id),
            where=[Contact.contacted_at >= start, Contact.contacted_at < end])),
    ]


def tier_facts(session: Session, *, seller_id: str, as_of: date, window_days: int) -> dict[str, int]:
    """One seller's tier counts (the keys of TIER_FACT_FIELDS) over the window; NotFound for an unknown seller."""
    if session.get(Seller, seller_id) is None:
        raise NotFound(f"no seller {seller_id!r}")
    facts = dict.fromkeys(TIER_FACT_FIELDS, 0)
    for fields, query in _queries(as_of, window_days, seller_id):
        row = session.execute(query).first()
        if row is not None:
            facts.update(zip(fields, (int(v) for v in row[1:])))
    return facts


def all_tier_facts(session: Session, *, as_of: date, window_days: int) -> dict[str, dict[str, int]]:
    """Every seller's tier counts, `{seller_id: facts}`, from one grouped query per metric."""
    result = {sid: dict.fromkeys(TIER_FACT_FIELDS, 0) for sid in session.scalars(select(Seller.id).order_by(Seller.id))}
    for fields, query in _queries(as_of, window_days, None):
        for seller_id, *values in session.execute(query):
            result[seller_id].update(zip(fields, (int(v) for v in values)))
    return result
