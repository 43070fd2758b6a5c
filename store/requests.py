"""Money-moving writes: refund requests and claims, each exactly once, in the caller's transaction.

A refund request writes the return request, its decision and, for an outcome that refunds money
(approve_return, returnless_refund, partial_refund), the refund: amount and fee from the decision,
issued by the marketplace at the decision time. The item is sent back (ships_back) for
approve_return and partial_refund. A claim's status follows its decision: approve -> approved,
deny -> denied, needs_evidence -> needs_evidence, except a claim refused as too early, which stays
pending (it is offered again when it becomes eligible); the reimbursement is kept for approved claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import prepared, run
from .decisions import DecisionRecord, log_decision
from .errors import ClaimExists, NotFound, RefundRequestExists, StoreError
from .ids import new_id
from .models import Claim, Order, OrderItem, Refund, ReturnRequest
from .timeutil import aware
from .vocabulary import (
    CLAIM_REASONS, CLAIM_STATUS_OF, CONDITIONS, OPEN_CLAIM_STATUSES, EVIDENCE_KINDS, REFUND_OUTCOMES, REFUND_REASONS, REFUNDING_OUTCOMES,
    SHIP_BACK_OUTCOMES, REOPENING_CLAIM_REASONS,
)


@dataclass(frozen=True)
class RefundRequestRecorded:
    """What record_refund_request wrote: the return request, the refund (if any) and the decision."""

    return_request_id: str
    refund_id: str | None
    decision_id: str


@dataclass(frozen=True)
class ClaimRecorded:
    """What file_claim or reassess_claim wrote: the claim, its status and the decision."""

    claim_id: str
    status: str
    decision_id: str


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise StoreError(f"{what} {value!r} is not one of {', '.join(allowed)}")


def _evidence(evidence: Iterable[str]) -> list[str]:
    items = sorted(set(evidence))
    for item in items:
        _check(item, EVIDENCE_KINDS, "evidence")
    return items


# Built once: every refund decided in the chat runs these. Core inserts rather than the ORM's unit of work (nothing
# reads the objects back in the transaction), and key lookups, so prepared on PostgreSQL (their plans do not depend
# on the values).
_INSERT_REQUEST = prepared(insert(ReturnRequest.__table__).values(
    {c: bindparam(c) for c in ("id", "order_item_id", "reason", "condition", "requested_at", "prepaid_label", "ships_back",
                               "decision_id", "quantity")}))
_INSERT_REFUND = prepared(insert(Refund.__table__).values(
    {c: bindparam(c) for c in ("id", "order_item_id", "amount", "fee", "issued_by", "issued_at", "auto_refund_late",
                               "decision_id")}))
# The item's owners and units, and its request or refund if it has one (one of each per item), in one round trip.
_ITEM_STATE = prepared(select(Order.buyer_id, Order.seller_id, OrderItem.quantity, ReturnRequest.id.label("request_id"),
                               ReturnRequest.decision_id.label("request_decision_id"), Refund.id.label("refund_id"),
                               Refund.decision_id.label("refund_decision_id"))
                        .join(OrderItem, OrderItem.order_id == Order.id)
                        .outerjoin(ReturnRequest, ReturnRequest.order_item_id == OrderItem.id)
                        .outerjoin(Refund, Refund.order_item_id == OrderItem.id)
                        .where(OrderItem.id == bindparam("item")))


def _existing_request(session: Session, order_item_id: str) -> RefundRequestExists | None:
    row = run(session, _ITEM_STATE, {"item": order_item_id}).first()
    return _existing(row, order_item_id) if row is not None else None


def _existing(row, order_item_id: str) -> RefundRequestExists | None:
    """The item's request (or, without one, its refund) as _ITEM_STATE's row gives them."""
    if row.request_id is not None:
        return RefundRequestExists(f"a refund was already requested for order item {order_item_id!r} ({row.request_id})",
                                   existing_id=row.request_id, decision_id=row.request_decision_id)
    if row.refund_id is not None:
        return RefundRequestExists(f"order item {order_item_id!r} was already refunded ({row.refund_id})",
                                   existing_id=row.refund_id, decision_id=row.refund_decision_id)
    return None


def record_refund_request(session: Session, *, order_item_id: str, reason: str, condition: str, requested_at: datetime,
                          decision: DecisionRecord, prepaid_label: bool, quantity: int | None = None) -> RefundRequestRecorded:
    """Record a decided refund request once: RefundRequestExists if the item already has one (or a refund).
    `quantity` is how many units of the line it is about (None: all of them)."""
    _check(reason, REFUND_REASONS, "reason")
    _check(condition, CONDITIONS, "condition")
    _check(decision.outcome, REFUND_OUTCOMES, "refund outcome")
    if decision.kind != "refund":
        raise StoreError(f"a refund request needs a refund decision, got a {decision.kind} decision")
    refunds = decision.outcome in REFUNDING_OUTCOMES
    if refunds and decision.refund_amount is None:
        raise StoreError(f"a {decision.outcome} decision needs a refund_amount")
    requested_at = aware(requested_at, "requested_at")
    owner = run(session, _ITEM_STATE, {"item": order_item_id}).first()
    if owner is None:
        raise NotFound(f"no order item {order_item_id!r}")
    if quantity is not None and not (type(quantity) is int and 1 <= quantity <= owner.quantity):
        raise StoreError(f"quantity must be a whole number from 1 to {owner.quantity} (the units of the line), got {quantity!r}")
    existing = _existing(owner, order_item_id)
    if existing:
        raise existing
    refund_id = new_id("RF") if refunds else None
    record = decision.about(buyer_id=owner.buyer_id, seller_id=owner.seller_id, order_item_id=order_item_id, refund_id=refund_id)
    try:
        with session.begin_nested():
            decision_id = log_decision(session, record=record)
            request_id = new_id("RR")
            session.execute(_INSERT_REQUEST, {
                "id": request_id, "order_item_id": order_item_id, "reason": reason, "condition": condition,
                "requested_at": requested_at, "prepaid_label": prepaid_label,
                "ships_back": decision.outcome in SHIP_BACK_OUTCOMES, "decision_id": decision_id, "quantity": quantity,
            })
            if refund_id:  # neither refers to the other
                session.execute(_INSERT_REFUND, {
                    "id": refund_id, "order_item_id": order_item_id, "amount": decision.refund_amount,
                    "fee": decision.fee or Decimal(0), "issued_by": "marketplace",
                    "issued_at": aware(record.decided_at, "decided_at"), "auto_refund_late": False, "decision_id": decision_id,
                })
    except IntegrityError:
        existing = _existing_request(session, order_item_id)  # a concurrent request won the race
        if existing:
            raise existing from None
        raise
    return RefundRequestRecorded(request_id, refund_id, decision_id)


def record_return_delivery(session: Session, *, return_request_id: str, delivered_at: datetime, condition_received: str) -> None:
    """Record that the returned item arrived back (once; the same values again are a no-op)."""
    _check(condition_received, CONDITIONS, "condition_received")
    delivered_at = aware(delivered_at, "delivered_at")
    request = session.get(ReturnRequest, return_request_id, with_for_update=True)
    if request is None:
        raise NotFound(f"no return request {return_request_id!r}")
    if request.delivered_at is not None:
        if (request.delivered_at, request.condition_received) != (delivered_at, condition_received):
            raise StoreError(f"return request {return_request_id!r} was already delivered on {request.delivered_at.isoformat()}")
        return
    if delivered_at < request.requested_at:
        raise StoreError(f"return request {return_request_id!r} cannot be delivered before it was requested")
    request.delivered_at, request.condition_received = delivered_at, condition_received
    session.flush()


def _claim_status(decision: DecisionRecord) -> str:
    if decision.kind != "claim" or decision.outcome not in CLAIM_STATUS_OF:
        raise StoreError(f"a claim needs a claim decision with outcome {', '.join(CLAIM_STATUS_OF)}, "
                         f"got {decision.kind} {decision.outcome!r}")
    if decision.reason in REOPENING_CLAIM_REASONS:
        return "pending"  # refused for now (too early): offered again when it becomes eligible
    return CLAIM_STATUS_OF[decision.outcome]


def _existing_claim(session: Session, refund_id: str) -> ClaimExists | None:
    row = session.execute(select(Claim.id, Claim.decision_id).where(Claim.refund_id == refund_id)).first()
    if row is None:
        return None
    return ClaimExists(f"a claim was already filed for refund {refund_id!r} ({row[0]})", existing_id=row[0], decision_id=row[1])


def _refund_subjects(session: Session, refund_id: str) -> dict[str, str]:
    row = session.execute(
        select(Refund.order_item_id, Order.buyer_id, Order.seller_id)
        .join(OrderItem, Refund.order_item_id == OrderItem.id).join(Order, OrderItem.order_id == Order.id)
        .where(Refund.id == refund_id)
    ).first()
    if row is None:
        raise NotFound(f"no refund {refund_id!r}")
    return {"refund_id": refund_id, "order_item_id": row.order_item_id, "buyer_id": row.buyer_id, "seller_id": row.seller_id}


def file_claim(session: Session, *, refund_id: str, reason: str, evidence: Iterable[str], filed_at: datetime,
               decision: DecisionRecord) -> ClaimRecorded:
    """Record a decided claim once: ClaimExists if the refund already has one."""
    _check(reason, CLAIM_REASONS, "claim reason")
    status = _claim_status(decision)
    items = _evidence(evidence)
    filed_at = aware(filed_at, "filed_at")
    subjects = _refund_subjects(session, refund_id)
    existing = _existing_claim(session, refund_id)
    if existing:
        raise existing
    claim_id = new_id("CL")
    try:
        with session.begin_nested():
            decision_id = log_decision(session, record=decision.about(claim_id=claim_id, **subjects))
            session.add(Claim(id=claim_id, refund_id=refund_id, reason=reason, evidence=items, filed_at=filed_at, status=status,
                              reimbursement=decision.reimbursement if status == "approved" else None, decision_id=decision_id))
            session.flush()
    except IntegrityError:
        existing = _existing_claim(session, refund_id)
        if existing:
            raise existing from None
        raise
    return ClaimRecorded(claim_id, status, decision_id)


def reassess_claim(session: Session, *, claim_id: str, evidence: Iterable[str], decision: DecisionRecord) -> ClaimRecorded:
    """Decide a pending or needs_evidence claim again (e.g. with added evidence); StoreError once it is decided."""
    status = _claim_status(decision)
    items = _evidence(evidence)
    claim = session.execute(select(Claim.refund_id, Claim.status).where(Claim.id == claim_id).with_for_update()).first()
    if claim is None:
        raise NotFound(f"no claim {claim_id!r}")
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise StoreError(f"claim {claim_id!r} has already been decided ({claim.status})")
    refund_id = claim.refund_id
    decision_id = log_decision(session, record=decision.about(claim_id=claim_id, **_refund_subjects(session, refund_id)))
    changed = session.execute(
        update(Claim)
        .where(Claim.id == claim_id, Claim.status.in_(OPEN_CLAIM_STATUSES))
        .values(evidence=items, status=status, decision_id=decision_id,
                reimbursement=decision.reimbursement if status == "approved" else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # decided concurrently since the read above (SQLite has no FOR UPDATE)
        raise StoreError(f"claim {claim_id!r} has already been decided")
    return ClaimRecorded(claim_id, status, decision_id)
