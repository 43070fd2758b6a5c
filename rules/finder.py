"""The SAFE-T claim finder: which of a seller's refunds can still be claimed, and why the others can't.

Pure: it takes the candidates the store narrowed (each with the claim facts that do not depend on
the claim) and decides every one through the compiled policy, so the policy alone says what is
claimable. The finder only chooses which claim reasons to ask about, from what happened to the
return (CANDIDATE_REASONS), and tries them in order until one is not denied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterable, Mapping, Protocol

from policy.model import every

from .compiler import CompiledPolicy
from .decision import Decision

# What happened to the return -> the claim reasons that could fit, most specific first.
CANDIDATE_REASONS: dict[str, tuple[str, ...]] = {
    "buyer_says_not_received": ("delivered_not_received",),
    "returned": ("returned_damaged", "different_item_returned"),
    "return_not_back": ("return_not_received",),
    "returnless": ("refunded_non_returnable",),
    "no_return_request": ("refunded_non_returnable", "delivered_not_received"),
}
ALREADY_CLAIMED = "already_claimed"


class Candidate(Protocol):
    """What the finder reads of a refund (store.ClaimCandidate has these)."""

    refund_id: str
    order_id: str
    product_name: str
    return_reason: str | None
    ships_back: bool | None
    claim_id: str | None
    claim_status: str | None
    facts: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Claimable:
    """A refund that can be claimed now: the reason that fits, the last day to file, the evidence still
    to add and the reimbursement the policy would approve with it."""

    refund_id: str
    order_id: str
    product_name: str
    refund_amount: Decimal
    reason: str
    deadline: date
    days_left: int
    missing_evidence: tuple[str, ...]
    reimbursement: Decimal
    rule: str
    explanation: str


@dataclass(frozen=True, slots=True)
class NotClaimable:
    """A refund that cannot be claimed (now): why, as the policy's reason code (or already_claimed), and its words."""

    refund_id: str
    order_id: str
    product_name: str
    refund_amount: Decimal
    why: str
    rule: str | None
    explanation: str
    deadline: date | None = None
    claim_id: str | None = None


@dataclass
class Findings:
    """The finder's answer for one seller on one day under one policy version."""

    seller_id: str
    as_of: date
    policy_version: str
    claimable: list[Claimable] = field(default_factory=list)
    not_claimable: list[NotClaimable] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """What the seller is owed: the sum of the claimable refunds' estimated reimbursements."""
        return sum((c.reimbursement for c in self.claimable), Decimal("0.00"))

    @property
    def soonest(self) -> Claimable | None:
        """The claimable refund whose deadline comes first."""
        return self.claimable[0] if self.claimable else None


def lookback_days(compiled: CompiledPolicy) -> int:
    """The longest filing window the policy has on any date: refunds older than that cannot be claimed."""
    return max(every(compiled.policy.claims.filing_window_days))


def situation(candidate: Candidate) -> str:
    """What happened to the refund's return: a key of CANDIDATE_REASONS."""
    if candidate.return_reason == "not_received":
        return "buyer_says_not_received"
    if candidate.ships_back is None:  # a refund without a return request: nothing says what happened
        return "no_return_request"
    if not candidate.ships_back:
        return "returnless"
    return "returned" if candidate.facts["return_received"] else "return_not_back"


# Built-in claim rules whose condition reads no fact the claim reason (or the evidence asked with it) changes.
REASONLESS_BUILTINS = frozenset(("auto_refund_late", "filing_window", "order_cap_reached"))
VARIED = frozenset(("reason", "evidence"))  # what the finder varies between the reasons it asks about


def reasonless_denials(compiled: CompiledPolicy) -> frozenset[str]:
    """The rules whose denial of one claim reason is every reason's: a rule that reads neither the reason nor
    the evidence matches the other reasons too, so only a rule ranked above it could decide them otherwise,
    and only an approval would change the finder's answer. Empty when the policy has a custom approving rule."""
    rules = compiled.policy.claims.rules
    if any(rule.outcome == "approve" for rule in rules):
        return frozenset()
    custom = {rule.cited for rule in rules}
    return (REASONLESS_BUILTINS - custom) | {rule.cited for rule in rules if not any(c.field in VARIED for c in rule.conditions)}


def find_claims(compiled: CompiledPolicy, candidates: Iterable[Candidate], *, seller_id: str, as_of: date) -> Findings:
    """Decide every candidate refund through the policy: claimable ones (soonest deadline first) and the rest with why."""
    findings = Findings(seller_id, as_of, compiled.version)
    reasons = compiled.policy.claims.reasons
    decide = compiled.decide_claim
    settled = reasonless_denials(compiled)
    for c in candidates:
        amount = c.facts["refund_amount"]
        if c.claim_id is not None:
            findings.not_claimable.append(NotClaimable(
                c.refund_id, c.order_id, c.product_name, amount, ALREADY_CLAIMED, None,
                f"Claim {c.claim_id} was already filed for this refund ({c.claim_status}).", claim_id=c.claim_id))
            continue
        first: Decision | None = None  # the first reason's denial: the answer unless another reason is approved
        for reason in CANDIDATE_REASONS[situation(c)]:
            spec = reasons.get(reason)
            needed = tuple(spec.evidence) if spec is not None else ()
            # Decided as if the seller added the evidence the reason needs: what it would pay, or why not.
            decision = decide({**c.facts, "reason": reason, "evidence": list(needed)})
            if decision.outcome == "approve":
                days_left = decision.details["days_left_to_file"]
                findings.claimable.append(Claimable(
                    c.refund_id, c.order_id, c.product_name, amount, reason, as_of + timedelta(days=days_left), days_left,
                    needed, decision.amounts["reimbursement"], decision.rule, decision.explanation))
                first = None
                break
            if first is None:
                first = decision
                if decision.rule in settled:  # the next reasons would be denied too
                    break
        if first is not None:
            days_left = first.details.get("days_left_to_file", 0)
            deadline = as_of + timedelta(days=days_left) if first.reason != "filing_window" else None
            findings.not_claimable.append(NotClaimable(c.refund_id, c.order_id, c.product_name, amount, first.reason,
                                                       first.rule, first.explanation, deadline))
    findings.claimable.sort(key=lambda x: (x.deadline, x.refund_id))
    findings.not_claimable.sort(key=lambda x: (x.why, x.refund_id))
    return findings
