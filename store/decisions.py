"""The decision log: every decision of every kind, like an OPA decision record."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator, Mapping

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from .db import prepared
from .errors import NotFound, StoreError
from .ids import new_id
from .models import Decision
from .timeutil import aware
from .vocabulary import DECISION_CHANNELS, DECISION_KINDS, ENGINE

DECISION_PREFIX = "D"
# A session.info key: while it holds a list, log_decision appends (id, kind, outcome, rule) of each decision it writes
# in that session (the chat's logs and metrics).
DECISIONS_NOTED = "refundbot_decisions"
# The session.info key of the transaction (savepoint or not) each noted decision was written in: a rollback takes the
# decisions written in it (or in savepoints inside it) off the noted list, as it takes their rows back.
_NOTED_IN = "refundbot_decisions_in"
SUBJECTS = ("buyer_id", "seller_id", "order_item_id", "refund_id", "claim_id")


@dataclass(frozen=True)
class DecisionRecord:
    """One decision as the log stores it: what was decided, by which rule of which policy version,
    from which facts, about whom, when and through which channel. `id` is generated when None."""

    kind: str
    outcome: str
    reason: str
    rule: str
    policy_version: str
    explanation: str
    decided_at: datetime
    facts: Mapping[str, Any] = field(default_factory=dict)
    result: Mapping[str, Any] = field(default_factory=dict)
    channel: str = "cli"
    id: str | None = None
    refund_amount: Decimal | None = None
    fee: Decimal | None = None
    reimbursement: Decimal | None = None
    buyer_id: str | None = None
    seller_id: str | None = None
    order_item_id: str | None = None
    refund_id: str | None = None
    claim_id: str | None = None
    decided_by: str = ENGINE  # or the person: "agent:ID", "admin:TELEGRAM_ID"
    note: str | None = None  # the person's note
    reviews_decision_id: str | None = None  # for a review: the decision it reviews

    def about(self, **subjects: str | None) -> "DecisionRecord":
        """A copy with the subject references filled in where they are given."""
        return replace(self, **{k: v for k, v in subjects.items() if v is not None})


_COLUMNS = tuple(f.name for f in fields(DecisionRecord))
# Built once, and a Core insert rather than the ORM's unit of work: every decision in the chat runs it (prepared on
# PostgreSQL: an insert's plan does not depend on its values).
_INSERT = prepared(insert(Decision.__table__))


def log_decision(session: Session, *, record: DecisionRecord) -> str:
    """Write one decision row (in the caller's transaction) and return its id."""
    if record.kind not in DECISION_KINDS:
        raise StoreError(f"decision kind {record.kind!r} is not one of {', '.join(DECISION_KINDS)}")
    if record.channel not in DECISION_CHANNELS:
        raise StoreError(f"decision channel {record.channel!r} is not one of {', '.join(DECISION_CHANNELS)}")
    values = {name: getattr(record, name) for name in _COLUMNS}
    values["id"] = record.id or new_id(DECISION_PREFIX)
    values["decided_at"] = aware(record.decided_at, "decided_at")
    values["facts"], values["result"] = dict(record.facts), dict(record.result)
    session.flush()  # what the caller added first goes first, as when the row was flushed with it
    session.execute(_INSERT, values)
    noted = session.info.get(DECISIONS_NOTED)
    if noted is not None:
        noted.append((values["id"], record.kind, record.outcome, record.rule))
        written_in = session.info.setdefault(_NOTED_IN, {})
        written_in[values["id"]] = session.get_nested_transaction() or session.get_transaction()
    return values["id"]


@event.listens_for(Session, "after_soft_rollback")
def _unnote(session: Session, rolled_back: SessionTransaction) -> None:
    """Take the decisions written in a transaction or savepoint that rolled back off the noted list."""
    written_in = session.info.get(_NOTED_IN)
    if not written_in:
        return
    gone = set()
    for decision_id, transaction in written_in.items():
        while transaction is not None and transaction is not rolled_back:
            transaction = transaction.parent
        if transaction is not None:
            gone.add(decision_id)
    if gone:
        for decision_id in gone:
            del written_in[decision_id]
        noted = session.info.get(DECISIONS_NOTED)
        if noted is not None:
            noted[:] = [entry for entry in noted if entry[0] not in gone]


def _record(row: Decision) -> DecisionRecord:
    return DecisionRecord(**{name: getattr(row, name) for name in _COLUMNS})


def get_decision(session: Session, *, decision_id: str, buyer_id: str | None = None, seller_id: str | None = None) -> DecisionRecord:
    """The decision with this id; with an owner given, NotFound unless it is about that owner."""
    row = session.get(Decision, decision_id)
    if row is None or (buyer_id is not None and row.buyer_id != buyer_id) or (seller_id is not None and row.seller_id != seller_id):
        raise NotFound(f"no decision {decision_id!r}")
    return _record(row)


def list_decisions(session: Session, *, kind: str | None = None, limit: int = 50, **subjects: str) -> list[DecisionRecord]:
    """Decisions about the given subjects (buyer_id, seller_id, order_item_id, refund_id, claim_id), newest first."""
    unknown = set(subjects) - set(SUBJECTS)
    if unknown or not subjects:
        raise StoreError(f"list_decisions needs one or more of {', '.join(SUBJECTS)}; got {', '.join(sorted(subjects)) or 'none'}")
    query = select(Decision).where(*(getattr(Decision, name) == value for name, value in subjects.items()))
    if kind is not None:
        query = query.where(Decision.kind == kind)
    query = query.order_by(Decision.decided_at.desc(), Decision.id.desc()).limit(limit)
    return [_record(row) for row in session.scalars(query)]


def iter_decisions(session: Session, *, since: datetime | None = None, kinds: tuple[str, ...] | None = None,
                   decided_by: str | None = None, batch: int = 1000) -> Iterator[DecisionRecord]:
    """Every logged decision (decided at or after `since`, of `kinds`, by `decided_by`), oldest first, streamed in batches."""
    query = select(Decision).order_by(Decision.decided_at, Decision.id).execution_options(yield_per=batch)
    if decided_by is not None:
        query = query.where(Decision.decided_by == decided_by)
    if since is not None:
        query = query.where(Decision.decided_at >= aware(since, "since"))
    if kinds:
        query = query.where(Decision.kind.in_(kinds))
    for row in session.scalars(query):
        yield _record(row)
