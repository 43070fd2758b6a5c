"""The review desk's cases: decisions handed to a person, and the person's decision on them.

A case is opened for one decision (an escalated refund, an engine's denial the buyer appealed, a
denied claim the seller asked to have reviewed); `decision_id` is unique, so each decision is
reviewed at most once. `decide_case` writes the review as a decision like any other (its own id,
who decided, when, the note, `reviews_decision_id`), flips the case from open to decided with one
conditional UPDATE (of two agents deciding at once exactly one matches the open row; the other's
savepoint is rolled back and it is told who decided), and writes the money it moves (the refund,
or the claim's reimbursement) in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import run
from .decisions import DecisionRecord, _record, get_decision, list_decisions, log_decision
from .errors import AlreadyExists, NotFound, StoreError
from .ids import new_id
from .models import Buyer, Case, Claim, Decision, Order, OrderItem, Product, Refund, ReturnRequest, Seller
from .timeutil import aware
from .vocabulary import CASE_KINDS, ENGINE, REFUNDING_OUTCOMES, SHIP_BACK_OUTCOMES

REFUND_REVIEW_OUTCOMES = ("approve_return", "returnless_refund", "partial_refund", "deny")
CLAIM_REVIEW_OUTCOMES = ("approve", "deny")
RECENT_RETURNS = 10


class CaseExists(AlreadyExists):
    """The decision already has a case (it was escalated, appealed or sent for review before)."""


class CaseClosed(StoreError):
    """The case was decided already; `decided_by` and `review_decision_id` say by whom and how."""

    def __init__(self, message: str, *, decided_by: str | None, review_decision_id: str | None):
        super().__init__(message)
        self.decided_by = decided_by
        self.review_decision_id = review_decision_id


@dataclass(frozen=True)
class CaseView:
    """A case as the queue lists it."""

    case_id: str
    kind: str
    status: str
    decision_id: str
    order_item_id: str
    buyer_id: str
    seller_id: str
    claim_id: str | None
    statement: str | None
    opened_at: datetime
    opened_by: str
    decided_at: datetime | None
    decided_by: str | None
    review_decision_id: str | None
    product_name: str
    price: Decimal  # the line total the buyer paid

    def age(self, now: datetime) -> timedelta:
        """How long the case has waited (until it was decided)."""
        return (self.decided_at or aware(now, "now")) - self.opened_at

    def overdue(self, now: datetime, after: timedelta) -> bool:
        """True for an open case older than `after`."""
        return self.status == "open" and self.age(now) > after


@dataclass(frozen=True)
class PastReturn:
    """One of the buyer's earlier refund requests."""

    order_item_id: str
    product_name: str
    requested_at: datetime
    reason: str
    outcome: str | None


@dataclass(frozen=True)
class CaseDetail:
    """Everything an agent needs to decide a case."""

    case: CaseView
    decision: DecisionRecord
    review: DecisionRecord | None
    order_id: str
    fulfilment: str
    placed_at: datetime
    delivered_at: datetime | None
    category: str
    quantity: int
    buyer_name: str
    seller_name: str
    refund_id: str | None
    refund_amount: Decimal | None
    recent_returns: list[PastReturn] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)  # Telegram file ids kept with the decisions
    history: list[DecisionRecord] = field(default_factory=list)  # every decision on the item (or claim), oldest first


@dataclass(frozen=True)
class CaseDecided:
    """What decide_case wrote."""

    case_id: str
    review_decision_id: str
    refund_id: str | None


def _cases():
    return (select(Case.id, Case.kind, Case.status, Case.decision_id, Case.order_item_id, Case.buyer_id, Case.seller_id,
                   Case.claim_id, Case.statement, Case.opened_at, Case.opened_by, Case.decided_at, Case.decided_by,
                   Case.review_decision_id, Product.name, OrderItem.unit_price * OrderItem.quantity)
            .join(OrderItem, Case.order_item_id == OrderItem.id).join(Product, OrderItem.product_id == Product.id))


def _view(row) -> CaseView:
    values = list(row)
    values[-1] = Decimal(str(values[-1])).quantize(Decimal("0.01"))
    return CaseView(*values)


def open_case(session: Session, *, kind: str, decision_id: str, opened_at: datetime, opened_by: str,
              statement: str | None = None) -> CaseView:
    """Hand a decision to a person; CaseExists if it already has a case."""
    if kind not in CASE_KINDS:
        raise StoreError(f"case kind {kind!r} is not one of {', '.join(CASE_KINDS)}")
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(f"no decision {decision_id!r}")
    if decision.order_item_id is None or decision.buyer_id is None or decision.seller_id is None:
        raise StoreError(f"decision {decision_id!r} is not about an order item")
    if kind == "claim_review" and decision.claim_id is None:
        raise StoreError(f"decision {decision_id!r} is not about a claim")
    existing = session.execute(select(Case.id).where(Case.decision_id == decision_id)).scalar()
    if existing:
        raise CaseExists(f"decision {decision_id!r} already has case {existing}", existing_id=existing, decision_id=decision_id)
    case_id = new_id("C")
    try:
        with session.begin_nested():
            session.add(Case(id=case_id, kind=kind, status="open", decision_id=decision_id, order_item_id=decision.order_item_id,
                             buyer_id=decision.buyer_id, seller_id=decision.seller_id,
                             claim_id=decision.claim_id if kind == "claim_review" else None, statement=statement,
                             opened_at=aware(opened_at, "opened_at"), opened_by=opened_by))
            session.flush()
    except IntegrityError:
        existing = session.execute(select(Case.id).where(Case.decision_id == decision_id)).scalar()
        if existing:
            raise CaseExists(f"decision {decision_id!r} already has case {existing}", existing_id=existing,
                             decision_id=decision_id) from None
        raise
    return get_case(session, case_id=case_id)


def get_case(session: Session, *, case_id: str) -> CaseView:
    """One case; NotFound if there is none."""
    row = session.execute(_cases().where(Case.id == case_id)).first()
    if row is None:
        raise NotFound(f"no case {case_id!r}")
    return _view(row)


def list_cases(session: Session, *, status: str | None = "open", opened_before: datetime | None = None,
               limit: int = 50) -> list[CaseView]:
    """Cases (open ones by default), oldest first; `opened_before` keeps only those opened earlier (overdue)."""
    query = _cases()
    if status is not None:
        query = query.where(Case.status == status)
    if opened_before is not None:
        query = query.where(Case.opened_at < aware(opened_before, "opened_before"))
    return [_view(row) for row in session.execute(query.order_by(Case.opened_at, Case.id).limit(limit))]


def _cases_for(items: bool, claims: bool):
    query = _cases()
    if items:
        query = query.where(Case.order_item_id.in_(bindparam("items", expanding=True)), Case.kind != "claim_review")
    if claims:
        query = query.where(Case.claim_id.in_(bindparam("claims", expanding=True)))
    return query.order_by(Case.opened_at, Case.id)


# Built once (by which of the two lists is given): a buyer's refund decision runs it.
_CASES_FOR = {(items, claims): _cases_for(items, claims) for items in (False, True) for claims in (False, True)}


def cases_for(session: Session, *, order_item_ids: list[str] | None = None, claim_ids: list[str] | None = None) -> list[CaseView]:
    """The cases about these order items (buyer side) or claims (seller side), oldest first."""
    query = _CASES_FOR[order_item_ids is not None, claim_ids is not None]
    params = {**({} if order_item_ids is None else {"items": list(order_item_ids)}),
              **({} if claim_ids is None else {"claims": list(claim_ids)})}
    return [_view(row) for row in run(session, query, params)]


def case_detail(session: Session, *, case_id: str, returns_limit: int = RECENT_RETURNS) -> CaseDetail:
    """The case with its decision, order, buyer, seller, the buyer's recent returns and any photos."""
    case = get_case(session, case_id=case_id)
    decision = get_decision(session, decision_id=case.decision_id)
    review = get_decision(session, decision_id=case.review_decision_id) if case.review_decision_id else None
    order = session.execute(
        select(Order.id, Order.fulfilment, Order.placed_at, Order.delivered_at, Product.category, OrderItem.quantity,
               Buyer.name, Seller.name, Refund.id, Refund.amount)
        .join(OrderItem, OrderItem.order_id == Order.id).join(Product, OrderItem.product_id == Product.id)
        .join(Buyer, Order.buyer_id == Buyer.id).join(Seller, Order.seller_id == Seller.id)
        .outerjoin(Refund, Refund.order_item_id == OrderItem.id)
        .where(OrderItem.id == case.order_item_id)
    ).one()
    returns = session.execute(
        select(ReturnRequest.order_item_id, Product.name, ReturnRequest.requested_at, ReturnRequest.reason, Decision.outcome)
        .join(OrderItem, ReturnRequest.order_item_id == OrderItem.id).join(Order, OrderItem.order_id == Order.id)
        .join(Product, OrderItem.product_id == Product.id).outerjoin(Decision, Decision.id == ReturnRequest.decision_id)
        .where(Order.buyer_id == case.buyer_id).order_by(ReturnRequest.requested_at.desc()).limit(returns_limit)
    )
    subject = {"claim_id": case.claim_id} if case.claim_id else {"order_item_id": case.order_item_id}
    history = list(reversed(list_decisions(session, limit=50, **subject)))
    photos = []
    for record in history:
        for file_id in (record.result or {}).get("evidence_files", []):
            if file_id not in photos:
                photos.append(file_id)
    return CaseDetail(case, decision, review, *order, recent_returns=[PastReturn(*r) for r in returns], photos=photos,
                      history=history)


def decide_case(session: Session, *, case_id: str, record: DecisionRecord) -> CaseDecided:
    """Record a person's decision on an open case, with the refund or reimbursement it moves, once.

    `record` is the review (kind refund or claim, its outcome, `refund_amount`/`fee` or
    `reimbursement`, `decided_by`, `note`); its subjects and `reviews_decision_id` are filled in
    here. CaseClosed if the case was decided already (also when another agent won the race).
    """
    case = get_case(session, case_id=case_id)
    if case.status != "open":
        raise _closed(session, case_id)
    if record.decided_by == ENGINE:
        raise StoreError("a case is decided by a person, not the engine")
    allowed = CLAIM_REVIEW_OUTCOMES if case.kind == "claim_review" else REFUND_REVIEW_OUTCOMES
    kind = "claim" if case.kind == "claim_review" else "refund"
    if record.kind != kind or record.outcome not in allowed:
        raise StoreError(f"a {case.kind} case is decided with a {kind} decision of {', '.join(allowed)}; "
                         f"got {record.kind} {record.outcome!r}")
    refund_id = None
    try:
        with session.begin_nested():
            if kind == "refund":
                refund_id = _refund_effects(session, case, record)
            record = record.about(buyer_id=case.buyer_id, seller_id=case.seller_id, order_item_id=case.order_item_id,
                                  refund_id=refund_id, claim_id=case.claim_id)
            review_id = log_decision(session, record=replace(record, reviews_decision_id=case.decision_id,
                                                             id=record.id or new_id("D")))
            won = session.execute(
                update(Case).where(Case.id == case_id, Case.status == "open")
                .values(status="decided", decided_at=aware(record.decided_at, "decided_at"), decided_by=record.decided_by,
                        review_decision_id=review_id)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                raise _Lost()
            _link(session, case, review_id, refund_id, record)
    except _Lost:
        raise _closed(session, case_id) from None
    except IntegrityError:
        # A concurrent review may have written the item's refund first; otherwise it is a real error.
        if get_case(session, case_id=case_id).status != "open":
            raise _closed(session, case_id) from None
        raise
    return CaseDecided(case_id, review_id, refund_id)


class _Lost(Exception):
    pass


def _closed(session: Session, case_id: str) -> CaseClosed:
    row = session.execute(select(Case.decided_by, Case.review_decision_id).where(Case.id == case_id)).first()
    return CaseClosed(f"case {case_id} was already decided by {row.decided_by if row else 'someone else'}",
                      decided_by=row.decided_by if row else None, review_decision_id=row.review_decision_id if row else None)


def _refund_effects(session: Session, case: CaseView, record: DecisionRecord) -> str | None:
    """The refund an approving review issues (the amount checked against the price paid)."""
    if record.outcome not in REFUNDING_OUTCOMES:
        return None
    amount = record.refund_amount
    if amount is None or amount <= 0 or amount > case.price:
        raise StoreError(f"a refund on case {case.case_id} must be more than 0 and at most the price paid, {case.price}; "
                         f"got {amount}")
    existing = session.execute(select(Refund.id).where(Refund.order_item_id == case.order_item_id)).scalar()
    if existing:
        raise StoreError(f"order item {case.order_item_id} was already refunded ({existing})")
    return new_id("RF")


def _link(session: Session, case: CaseView, review_id: str, refund_id: str | None, record: DecisionRecord) -> None:
    """Point the item's request (or the claim) at the review, and write the refund or reimbursement."""
    if case.kind == "claim_review":
        approved = record.outcome == "approve"
        session.execute(update(Claim).where(Claim.id == case.claim_id)
                        .values(status="approved" if approved else "denied", decision_id=review_id,
                                reimbursement=record.reimbursement if approved else None)
                        .execution_options(synchronize_session=False))
        return
    values = {"decision_id": review_id}
    if record.outcome in REFUNDING_OUTCOMES:
        values.update(ships_back=record.outcome in SHIP_BACK_OUTCOMES, prepaid_label=record.outcome in SHIP_BACK_OUTCOMES)
    session.execute(update(ReturnRequest).where(ReturnRequest.order_item_id == case.order_item_id).values(**values)
                    .execution_options(synchronize_session=False))
    if refund_id:
        session.add(Refund(id=refund_id, order_item_id=case.order_item_id, amount=record.refund_amount,
                           fee=record.fee or Decimal(0), issued_by="marketplace",
                           issued_at=aware(record.decided_at, "decided_at"), auto_refund_late=False, decision_id=review_id))
        session.flush()


def seller_reviews(session: Session, *, seller_id: str, limit: int = 10) -> list[tuple[DecisionRecord, str | None]]:
    """People's decisions on the seller's orders (reviews of escalations, appeals and claims), newest
    first, each with the product's name."""
    rows = session.execute(
        select(Decision, Product.name)
        .outerjoin(OrderItem, OrderItem.id == Decision.order_item_id).outerjoin(Product, Product.id == OrderItem.product_id)
        .where(Decision.seller_id == seller_id, Decision.reviews_decision_id.is_not(None))
        .order_by(Decision.decided_at.desc(), Decision.id.desc()).limit(limit))
    return [(_record(decision), name) for decision, name in rows]


def count_open_cases(session: Session) -> int:
    """How many cases wait for a person."""
    return session.execute(select(func.count()).select_from(Case).where(Case.status == "open")).scalar_one()
