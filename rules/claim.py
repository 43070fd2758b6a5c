"""Reimbursement claims: the claims section of a policy compiled into one first-hit ruleset."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from policy.model import Policy

from .conditions import all_of, rule, same_event
from .decision import Decision
from .engine import CompiledRuleset
from .facts import CENT, claim_facts
from .text import cite, money, words

ZERO = Decimal("0.00")
_BOOL = ("false", "true")


@dataclass(frozen=True, slots=True)
class ClaimRule:
    """What a claim rule decides once it fires."""

    id: str
    priority: int
    outcome: str
    template: str


RULES = (
    ClaimRule("not_covered", 100, "deny", "Claims for \"{reason}\" are not part of the reimbursement program, so this claim is denied."),
    ClaimRule("auto_refund_late", 200, "deny",
              "The marketplace refunded the buyer because the seller missed the response deadline, so the seller bears this refund."),
    ClaimRule("filing_window", 300, "deny",
              "Claims must be filed within {filing_window_days} days of the later of the refund and the return's delivery; "
              "this one is {days_since_anchor} days after, so it is denied."),
    ClaimRule("refund_issuer", 400, "deny",
              "Claims for \"{reason}\" cover refunds issued by {issuers}, and this refund was issued by the {refund_issued_by}, so it is denied."),
    ClaimRule("return_was_received", 500, "deny",
              "The return has been delivered back to the seller, so a \"{reason}\" claim does not apply."),
    ClaimRule("return_not_delivered", 510, "deny",
              "The return has not been delivered back yet, so a \"{reason}\" claim can't be assessed; file when it arrives."),
    ClaimRule("item_returnable", 600, "deny",
              "{Category_label} can be returned under the policy, so a claim for a refunded non-returnable item does not apply."),
    ClaimRule("too_early", 700, "deny",
              "A \"{reason}\" claim can be filed {min_days_since_refund} days after the refund; it has been {days_since_refund}, "
              "so file again on day {min_days_since_refund}."),
    ClaimRule("needs_evidence", 800, "needs_evidence",
              "A \"{reason}\" claim needs {missing}; add it and the claim will be assessed."),
    ClaimRule("reimbursable", 900, "approve",
              "The claim meets the \"{reason}\" conditions, so the seller is reimbursed {reimbursement}."),
)

REASON_CODES = {
    "not_covered": "not_covered",
    "auto_refund_late": "auto_refund_late",
    "filing_window": "filing_window",
    "refund_issuer": "refund_issuer",
    "return_was_received": "return_received",
    "return_not_delivered": "return_not_delivered",
    "item_returnable": "item_returnable",
    "too_early": "too_early",
    "needs_evidence": "missing_evidence",
    "reimbursable": "reimbursable",
}


def anchor_days(f: dict) -> int:
    """Days since the later of the refund and the return's delivery: the filing window's start."""
    delivered = f["days_since_return_delivered"]
    return f["days_since_refund"] if delivered is None else min(f["days_since_refund"], delivered)


class ClaimProgram:
    """The compiled claim ruleset of one policy version, plus the per-reason tables it looks up."""

    def __init__(self, policy: Policy):
        c = policy.claims
        self.version = policy.version
        self._claims = c
        self._returnable = {name: cat.returnable for name, cat in policy.returns.categories.items()}
        self._labels = {name: cat.label for name, cat in policy.returns.categories.items()}
        conditions = {
            "not_covered": {"reason_covered": False},
            # With the policy's switch off, the rule stays (the rule set is fixed) but tests a value no event has.
            "auto_refund_late": {"auto_refund_late": True} if c.deny_late_auto_refunds else {"auto_refund_late": "disabled"},
            "filing_window": {"$gt": {"days_since_anchor": c.filing_window_days}},
            "refund_issuer": {"issuer_covered": False},
            "return_was_received": all_of([{"return_required": "not_received"}, {"return_received": True}]),
            "return_not_delivered": all_of([{"return_required": "received"}, {"return_received": False}]),
            "item_returnable": all_of([{"non_returnable_only": True}, {"category_returnable": True}]),
            "too_early": {"$lt": {"days_since_refund": same_event("min_days_since_refund")}},
            "needs_evidence": {"$gt": {"evidence_missing": 0}},
            "reimbursable": {"$ex": {"days_since_refund": 1}},  # catch-all
        }
        self.rules = {r.id: r for r in RULES}
        self.order = tuple(r.id for r in RULES)
        self.ruleset = CompiledRuleset(f"claim@{policy.version}", {r.id: rule(r.priority, conditions[r.id]) for r in RULES})

    def lookup(self, f: dict) -> dict:
        """The claim's facts plus the policy values for its reason and category."""
        spec = self._claims.reasons.get(f["reason"])
        return {
            **f,
            "reason_covered": spec is not None,
            "days_since_anchor": anchor_days(f),
            "issuer_covered": spec is None or f["refund_issued_by"] in spec.refund_issued_by,
            "return_required": spec.return_state if spec else "any",
            "non_returnable_only": bool(spec and spec.non_returnable_only),
            "category_returnable": self._returnable.get(f["category"], True),
            "min_days_since_refund": spec.min_days_since_refund if spec else 0,
            "missing": tuple(e for e in spec.evidence if e not in f["evidence"]) if spec else (),
            "rate": spec.reimbursement_rate if spec else Decimal(0),
            "issuers": " or ".join(sorted(spec.refund_issued_by)) if spec else "",
        }

    def decide(self, raw: Any) -> Decision:
        """Decide one reimbursement claim (see rules.facts.CLAIM_FIELDS); raises FactsError on bad facts."""
        given = claim_facts(raw)
        f = self.lookup(given)
        event = (
            f'{{"sid":"0","reason_covered":{_BOOL[f["reason_covered"]]},"auto_refund_late":{_BOOL[f["auto_refund_late"]]},'
            f'"days_since_anchor":{f["days_since_anchor"]},"issuer_covered":{_BOOL[f["issuer_covered"]]},'
            f'"return_required":"{f["return_required"]}","return_received":{_BOOL[f["return_received"]]},'
            f'"non_returnable_only":{_BOOL[f["non_returnable_only"]]},"category_returnable":{_BOOL[f["category_returnable"]]},'
            f'"days_since_refund":{f["days_since_refund"]},"min_days_since_refund":{f["min_days_since_refund"]},'
            f'"evidence_missing":{len(f["missing"])}}}'
        )
        fired = self.rules[self.ruleset.fire(event)]
        reimbursement = (f["refund_amount"] * f["rate"]).quantize(CENT, rounding=ROUND_HALF_UP) if fired.outcome == "approve" else ZERO
        details: dict[str, Any] = {"days_left_to_file": max(0, self._claims.filing_window_days - f["days_since_anchor"])}
        if fired.outcome == "needs_evidence":
            details["missing_evidence"] = list(f["missing"])
        return Decision(
            kind="claim",
            outcome=fired.outcome,
            reason=REASON_CODES[fired.id],
            rule=fired.id,
            explanation=cite(self._explain(fired, f, reimbursement), fired.id),
            policy_version=self.version,
            amounts={"reimbursement": reimbursement},
            details=details,
            facts=given,
        )

    def _explain(self, fired: ClaimRule, f: dict, reimbursement: Decimal) -> str:
        label = self._labels.get(f["category"], words(f["category"]))
        return fired.template.format(
            reason=words(f["reason"]),
            filing_window_days=self._claims.filing_window_days,
            days_since_anchor=f["days_since_anchor"],
            issuers=f["issuers"],
            refund_issued_by=f["refund_issued_by"],
            Category_label=label[:1].upper() + label[1:],
            min_days_since_refund=f["min_days_since_refund"],
            days_since_refund=f["days_since_refund"],
            missing=" and ".join(f"a {e}" for e in f["missing"]),
            reimbursement=money(reimbursement),
        )

    def close(self) -> None:
        """Free the compiled ruleset."""
        self.ruleset.close()
