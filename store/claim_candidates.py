"""The refunds a seller might still claim for, with every fact a claim decision needs: one SQL
statement, built once, narrowed to the seller and to refunds whose filing window could still be open
(the claim finder in rules/finder.py decides each one through the policy)."""
from __future__ import annotations

from dataclasses import dataclass
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, bindparam, case, func, select, type_coerce, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import TypeDecorator

from .models import Claim, Order, OrderItem, Product, Refund, ReturnRequest
from .timeutil import aware, day_start, utc_date
from .types import CENT


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


class Raw(TypeDecorator):
    """A column read as the driver returns it: claim_candidates converts the few values it needs itself,
    cheaper than SQLAlchemy's per-row result processors (a seller may have thousands of candidates)."""

    impl = String
    cache_ok = True

    def result_processor(self, dialect, coltype):
        return None


def _statement():
    line, other_claim, other_refund, other_item = aliased(OrderItem), aliased(Claim), aliased(Refund), aliased(OrderItem)
    order_total = Order.shipping_paid + select(func.coalesce(func.sum(line.quantity * line.unit_price), 0)).where(
        line.order_id == Order.id).scalar_subquery()
    reimbursed = (
        select(func.coalesce(func.sum(other_claim.reimbursement), 0))
        .join(other_refund, other_claim.refund_id == other_refund.id)
        .join(other_item, other_refund.order_item_id == other_item.id)
        .where(other_item.order_id == Order.id, other_item.id != OrderItem.id, other_claim.status == "approved")
        .scalar_subquery())
    since = bindparam("since", type_=Refund.issued_at.type)
    as_of = bindparam("as_of", type_=Refund.issued_at.type)
    returned = case((ReturnRequest.delivered_at <= as_of, ReturnRequest.delivered_at), else_=None)
    raw = [type_coerce(c, Raw()) for c in (Refund.amount, Refund.issued_at, Refund.auto_refund_late, Product.tags,
                                           Order.a_to_z_claim, returned, order_total, reimbursed, ReturnRequest.ships_back)]
    columns = select(Refund.id, Order.id, OrderItem.id, Product.name, ReturnRequest.reason, raw[8], Claim.id,
                     Claim.status, raw[0], Refund.issued_by, raw[1], raw[2], Product.category,
                     Product.sku, raw[3], Order.fulfilment, raw[4], raw[5], raw[6], raw[7])
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
ZERO = Decimal("0.00")


class _Values:
    """The driver's values as the ORM would read them: SQLite gives UTC text and floats, PostgreSQL aware
    datetimes and Decimals. Dates, amounts and tags repeat across a seller's refunds, so each is converted once."""

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite
        self.dates: dict[Any, date] = {}
        self.amounts: dict[Any, Decimal] = {}
        self.tags: dict[Any, list[str]] = {}

    def day(self, value: Any) -> date | None:
        """The UTC date of a timestamp."""
        if value is None:
            return None
        found = self.dates.get(value)
        if found is None:
            found = self.dates[value] = date.fromisoformat(value[:10]) if self.sqlite else utc_date(value)
        return found

    def money(self, value: Any) -> Decimal:
        """An amount to the cent (SQLite's NUMERIC is a float, read as SQLAlchemy reads it: to two places)."""
        found = self.amounts.get(value)
        if found is None:
            exact = Decimal("%.2f" % value) if type(value) is float else Decimal(value)
            found = self.amounts[value] = exact.quantize(CENT)
        return found

    def tag_list(self, value: Any) -> list[str]:
        """A product's tags, sorted."""
        key = value if type(value) is str else tuple(value or ())
        found = self.tags.get(key)
        if found is None:
            found = self.tags[key] = sorted(json.loads(value) if type(value) is str else value or [])
        return found


def claim_candidates(session: Session, *, seller_id: str, as_of: datetime, lookback_days: int) -> list[ClaimCandidate]:
    """The seller's refunds issued by `as_of` whose later of refund and return delivery is at most
    `lookback_days` days before `as_of` (the longest filing window the policy has), claimed or not."""
    as_of = aware(as_of)
    since = day_start(utc_date(as_of) - timedelta(days=lookback_days))
    filed_on = utc_date(as_of)
    values = _Values(session.get_bind().dialect.name == "sqlite")
    day, money, tag_list = values.day, values.money, values.tag_list
    out = []
    rows = session.execute(CANDIDATES, {"seller_id": seller_id, "as_of": as_of, "since": since}).all()
    rows.sort(key=lambda r: (r[10], r[0]))  # by issue time (SQLite's UTC text sorts as the instants do), then id
    for row in rows:
        (refund_id, order_id, item_id, name, return_reason, ships_back, claim_id, claim_status, amount, issued_by, issued_at,
         late, category, sku, tags, fulfilment, a_to_z, returned_at, order_total, reimbursed) = row
        refunded_on = day(issued_at)
        returned_on = day(returned_at)
        facts = {
            "days_since_refund": (filed_on - refunded_on).days,
            "return_received": returned_on is not None,
            "days_since_return_delivered": (filed_on - returned_on).days if returned_on is not None else None,
            "category": category, "refund_amount": money(amount), "refund_issued_by": issued_by, "auto_refund_late": bool(late),
            "seller_id": seller_id, "sku": sku, "product_tags": list(tag_list(tags)), "refunded_on": refunded_on,
            "return_delivered_on": returned_on, "filed_on": filed_on, "fulfilled_by": fulfilment, "a_to_z_claim": bool(a_to_z),
            "order_total": money(order_total) if order_total is not None else ZERO,
            "order_reimbursed": money(reimbursed) if reimbursed is not None else ZERO,
        }
        out.append(ClaimCandidate(refund_id, order_id, item_id, name, return_reason,
                                  None if ships_back is None else bool(ships_back), claim_id, claim_status, facts))
    return out
