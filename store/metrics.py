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

from sqlalchemy import bindparam, case, func, select, true
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Contact, Order, OrderItem, ReturnRequest, Seller, Shipment
from .timeutil import window
from .types import UTCDateTime

TIER_FACT_FIELDS = ("shipments", "valid_tracking", "returns", "prepaid_label_returns", "units", "contacts")


def _count_true(column) -> object:
    return func.coalesce(func.sum(case((column.is_(True), 1), else_=0)), 0)


def _metrics(as_of: date, window_days: int) -> list[tuple[tuple[str, ...], tuple, object, list]]:
    """(fields, aggregate columns, FROM clause, conditions) per metric, all joined to the seller's orders."""
    return _metrics_between(*window(as_of, window_days))


def metric_sources() -> list[tuple[tuple[str, ...], object, tuple, object, list]]:
    """(fields, the moment that places a row in a window, aggregate columns, FROM clause, other conditions) per
    metric, all joined to the seller's orders: bounded by a window in
    _metrics_between, bucketed by store.weekly."""
    orders = Order.__table__
    return [
        (("shipments", "valid_tracking"), Shipment.shipped_at, (func.count(), _count_true(Shipment.tracking_valid)),
         Shipment.__table__.join(orders, Shipment.order_id == Order.id), []),
        (("returns", "prepaid_label_returns"), ReturnRequest.requested_at, (func.count(), _count_true(ReturnRequest.prepaid_label)),
         ReturnRequest.__table__.join(OrderItem.__table__, ReturnRequest.order_item_id == OrderItem.id)
         .join(orders, OrderItem.order_id == Order.id), [ReturnRequest.ships_back.is_(True)]),
        (("units",), Order.placed_at, (func.coalesce(func.sum(OrderItem.quantity), 0),),
         OrderItem.__table__.join(orders, OrderItem.order_id == Order.id), []),
        (("contacts",), Contact.contacted_at, (func.count(),), Contact.__table__.join(orders, Contact.order_id == Order.id), []),
    ]


def _metrics_between(start, end) -> list[tuple[tuple[str, ...], tuple, object, list]]:
    return [(fields, aggregates, source, [*where, moment >= start, moment < end])
            for fields, moment, aggregates, source, where in metric_sources()]


def _tier_facts_statement():
    seller = bindparam("seller")
    columns = [select(func.count()).where(Seller.id == seller).scalar_subquery().label("known")]
    joined = None
    for fields, aggregates, source, where in _metrics_between(bindparam("start", type_=UTCDateTime()),
                                                              bindparam("end", type_=UTCDateTime())):
        part = (select(*(a.label(f) for a, f in zip(aggregates, fields))).select_from(source)
                .where(Order.seller_id == seller, Order.fulfilment == "seller", *where).subquery())
        columns += [part.c[f] for f in fields]
        joined = part if joined is None else joined.join(part, true())
    return select(*columns).select_from(joined)


# Built once: /tier runs it for today and for each week of its chart.
TIER_FACTS = _tier_facts_statement()


def tier_facts(session: Session, *, seller_id: str, as_of: date, window_days: int) -> dict[str, int]:
    """One seller's tier counts (the keys of TIER_FACT_FIELDS) over the window, in one statement;
    NotFound for an unknown seller."""
    start, end = window(as_of, window_days)
    row = session.execute(TIER_FACTS, {"seller": seller_id, "start": start, "end": end}).one()
    if not row.known:
        raise NotFound(f"no seller {seller_id!r}")
    return {name: int(row._mapping[name]) for name in TIER_FACT_FIELDS}


def all_tier_facts(session: Session, *, as_of: date, window_days: int) -> dict[str, dict[str, int]]:
    """Every seller's tier counts, `{seller_id: facts}`, from one grouped query per metric."""
    result = {sid: dict.fromkeys(TIER_FACT_FIELDS, 0) for sid in session.scalars(select(Seller.id).order_by(Seller.id))}
    for fields, aggregates, source, where in _metrics(as_of, window_days):
        query = (select(Order.seller_id, *aggregates).select_from(source)
                 .where(Order.fulfilment == "seller", *where).group_by(Order.seller_id))
        for seller_id, *values in session.execute(query):
            result[seller_id].update(zip(fields, (int(v) for v in values)))
    return result
