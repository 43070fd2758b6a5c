"""Turns an engine Decision into the store's decision-log record."""
from __future__ import annotations

from datetime import datetime

from rules import Decision
from rules.decision import jsonable
from store import DecisionRecord


def decision_record(decision: Decision, *, decided_at: datetime, channel: str, **subjects: str | None) -> DecisionRecord:
    """The log record of `decision`: its facts, its JSON result and its money amounts as Decimals."""
    amounts = decision.amounts
    money = decision.kind in ("refund", "claim")  # a tier's fee_per_unit is a rate, kept in the result only
    return DecisionRecord(
        kind=decision.kind, outcome=decision.outcome, reason=decision.reason, rule=decision.rule,
        policy_version=decision.policy_version, explanation=decision.explanation, decided_at=decided_at,
        facts=jsonable(decision.facts), result=decision.to_dict(), channel=channel,
        refund_amount=amounts.get("refund_amount") if money else None, fee=amounts.get("fee") if money else None,
        reimbursement=amounts.get("reimbursement") if money else None, **subjects,
    )
