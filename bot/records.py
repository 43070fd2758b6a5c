"""A rules.Decision as the store's decision-log record."""
from __future__ import annotations

from datetime import datetime

from rules import Decision
from rules.decision import jsonable
from store import DecisionRecord


def record_of(decision: Decision, *, channel: str, decided_at: datetime, **subjects: str | None) -> DecisionRecord:
    """The decision-log record of `decision`: facts, result, amounts, and who it is about."""
    amounts = decision.amounts
    return DecisionRecord(
        kind=decision.kind,
        outcome=decision.outcome,
        reason=decision.reason,
        rule=decision.rule,
        policy_version=decision.policy_version,
        explanation=decision.explanation,
        decided_at=decided_at,
        facts=jsonable(decision.facts),
        result=decision.to_dict(),
        channel=channel,
        refund_amount=amounts.get("refund_amount"),
        fee=amounts.get("fee"),
        reimbursement=amounts.get("reimbursement"),
        **{k: v for k, v in subjects.items() if v is not None},
    )
