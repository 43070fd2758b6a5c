"""Turns an engine Decision into the store's decision-log record."""
from __future__ import annotations

from datetime import datetime

from typing import Any, Callable

from rules import Decision
from rules.decision import jsonable
from store import DecisionRecord, RefundRequestRecorded, open_case, record_refund_request, refund_facts
from store.vocabulary import SHIP_BACK_OUTCOMES


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


def request_refund(session, decide: Callable[[Any], Decision], *, order_item_id: str, reason: str, condition: str,
                   at: datetime, channel: str) -> tuple[dict, Decision, RefundRequestRecorded]:
    """Facts from the store, the decision, and the request (with its refund) recorded in the session's transaction.

    Raises RefundRequestExists when the item already has a request. Returns the facts, the decision
    and what was recorded. An escalated request opens a case on the review desk in the same transaction.
    """
    facts = refund_facts(session, order_item_id=order_item_id, reason=reason, condition=condition, as_of=at)
    decision = decide(facts)
    recorded = record_refund_request(session, order_item_id=order_item_id, reason=reason, condition=condition, requested_at=at,
                                     decision=decision_record(decision, decided_at=at, channel=channel),
                                     prepaid_label=decision.outcome in SHIP_BACK_OUTCOMES)
    if decision.outcome == "escalate":
        open_case(session, kind="escalation", decision_id=recorded.decision_id, opened_at=at, opened_by="engine")
    return facts, decision, recorded
