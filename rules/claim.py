"""The claim kind as a table: reimbursement claims' built-in rules as data, their lookups (dated windows, caps) and amounts."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from policy import templates
from policy.model import CustomRule, Dated, Policy
from policy.vocabulary import BUILTIN_CLAIM_RULES

from .conditions import all_of, same_event
from .decision import Decision
from .facts import CENT, claim_facts
from .program import KindTable, RuleSpec, placeholders
from .text import cite, in_force_note, money, percent, show, words

ZERO = Decimal("0.00")
NO_CAP = Decimal("1000000000000.00")

# Built-in claim rules: outcome, reason code, explanation, values used. Conditions are in ClaimTable.builtins.
RULES = {
    "not_covered": ("deny", "not_covered", "Claims for \"{reason}\" are not part of the reimbursement program, so this claim is denied.", ()),
    "auto_refund_late": ("deny", "auto_refund_late",
                         "The marketplace refunded the buyer because the seller missed the response deadline, so the seller bears this refund.", ()),
    "filing_window": ("deny", "filing_window",
                      "Claims must be filed within {filing_window_days} days of the later of the refund and the return's delivery; "
                      "this one is {days_since_anchor} days after, so it is denied.", ("filing_window_days",)),
    "refund_issuer": ("deny", "refund_issuer",
                      "Claims for \"{reason}\" cover refunds issued by {issuers}, and this refund was issued by the {refund_issued_by}, so it is denied.", ()),
    "return_was_received": ("deny", "return_received",
                            "The return has been delivered back to the seller, so a \"{reason}\" claim does not apply.", ()),
    "return_not_delivered": ("deny", "return_not_delivered",
                             "The return has not been delivered back yet, so a \"{reason}\" claim can't be assessed; file when it arrives.", ()),
    "item_returnable": ("deny", "item_returnable",
                        "{Category_label} can be returned under the policy, so a claim for a refunded non-returnable item does not apply.", ()),
    "too_early": ("deny", "too_early",
                  "A \"{reason}\" claim can be filed {min_days_since_refund} days after the refund; it has been {days_since_refund}, "
                  "so file again on day {min_days_since_refund}.", ("min_days_since_refund",)),
    "needs_evidence": ("needs_evidence", "missing_evidence", "A \"{reason}\" claim needs {missing}; add it and the claim will be assessed.", ()),
    "order_cap_reached": ("deny", "order_cap_reached",
                          "Reimbursements on one order are capped at {cap}, and this order has reached it, so this claim is denied.",
                          ("max_per_order", "max_share_of_order")),
    "reimbursable": ("approve", "reimbursable", "The claim meets the \"{reason}\" conditions, so the seller is reimbursed {reimbursement}.",
                     ("reimbursement_rate", "max_per_order", "max_share_of_order")),
}
assert list(RULES) == [name for name, _ in BUILTIN_CLAIM_RULES]
REASON_CODES = {name: spec[1] for name, spec in RULES.items()}

_LABELS = {"filing_window_days": "filing window", "min_days_since_refund": "waiting period",
           "reimbursement_rate": "reimbursement rate", "max_per_order": "per-order cap", "max_share_of_order": "per-order cap"}


def anchor_days(f: dict) -> int:
    """Days since the later of the refund and the return's delivery: the filing window's start."""
    delivered = f["days_since_return_delivered"]
    return f["days_since_refund"] if delivered is None else min(f["days_since_refund"], delivered)


def _resolve(value: Any, day: date, name: str, dated: dict) -> Any:
    if type(value) is Dated:
        value, start = value.at(day)
        if start is not None:
            dated[name] = (value, start)
    return value


class ClaimContext:
    """The claims section plus the marketplace's category table."""

    def __init__(self, policy: Policy):
        self.claims = policy.claims
        self.product_tags = policy.product_tags
        self.returnable = {name: cat.returnable for name, cat in policy.returns.categories.items()}
        self.labels = {name: cat.label for name, cat in policy.returns.categories.items()}


class ClaimTable(KindTable):
    """Reimbursement claims: a seller's SAFE-T style claim on a refund."""

    kind = "claim"
    default_template = "This claim matches the rule {rule}, so the outcome is: {outcome}."
    event_types = {"reason_covered": "bool", "issuer_covered": "bool", "return_required": "enum", "non_returnable_only": "bool",
                   "min_days_since_refund": "days", "evidence_missing": "count", "filing_window_days": "days",
                   "cap_left": "money", "auto_refund_denied": "bool"}

    def context(self, policy: Policy) -> ClaimContext:
        return ClaimContext(policy)

    def builtins(self, ctx: ClaimContext) -> list[RuleSpec]:
        when = {
            "not_covered": {"reason_covered": False},
            "auto_refund_late": {"auto_refund_denied": True},
            "filing_window": {"$gt": {"days_since_anchor": same_event("filing_window_days")}},
            "refund_issuer": {"issuer_covered": False},
            "return_was_received": all_of([{"return_required": "not_received"}, {"return_received": True}]),
            "return_not_delivered": all_of([{"return_required": "received"}, {"return_received": False}]),
            "item_returnable": all_of([{"non_returnable_only": True}, {"category_returnable": True}]),
            "too_early": {"$lt": {"days_since_refund": same_event("min_days_since_refund")}},
            "needs_evidence": {"$gt": {"evidence_missing": 0}},
            "order_cap_reached": {"$lte": {"cap_left": 0}},
            "reimbursable": {"$ex": {"days_since_refund": 1}},  # catch-all
        }
        return [RuleSpec(name, priority, RULES[name][0], RULES[name][1], RULES[name][2], when[name], RULES[name][3],
                         fields=placeholders(RULES[name][2]))
                for name, priority in BUILTIN_CLAIM_RULES]

    def custom_rules(self, policy: Policy) -> dict[str | None, tuple[CustomRule, ...]]:
        return {None: policy.claims.rules}

    def check(self, raw: Any) -> dict:
        return claim_facts(raw)

    def lookup(self, ctx: ClaimContext, given: dict) -> dict:
        c = ctx.claims
        day = given["refunded_on"]
        dated: dict[str, tuple[Any, date]] = {}
        spec = c.reasons.get(given["reason"])
        f = dict(given)
        sku = given["sku"]
        if sku is not None and sku in ctx.product_tags:
            f["product_tags"] = tuple(sorted(set(given["product_tags"]).union(ctx.product_tags[sku])))
        f["days_since_anchor"] = anchor_days(given)
        f["category_returnable"] = ctx.returnable.get(given["category"], True)
        f["reason_covered"] = spec is not None
        f["auto_refund_denied"] = c.deny_late_auto_refunds and given["auto_refund_late"]
        f["filing_window_days"] = _resolve(c.filing_window_days, day, "filing_window_days", dated)
        f["issuer_covered"] = spec is None or given["refund_issued_by"] in spec.refund_issued_by
        f["return_required"] = spec.return_state if spec else "any"
        f["non_returnable_only"] = bool(spec and spec.non_returnable_only)
        f["min_days_since_refund"] = _resolve(spec.min_days_since_refund, day, "min_days_since_refund", dated) if spec else 0
        f["missing"] = tuple(e for e in spec.evidence if e not in given["evidence"]) if spec else ()
        f["evidence_missing"] = len(f["missing"])
        f["rate"] = _resolve(spec.reimbursement_rate, day, "reimbursement_rate", dated) if spec else Decimal(0)
        f["issuers"] = " or ".join(sorted(spec.refund_issued_by)) if spec else ""
        caps = []
        if c.max_per_order is not None:
            cap = _resolve(c.max_per_order, day, "max_per_order", dated)
            caps.append((cap, cap - given["order_reimbursed"]))
        if c.max_share_of_order is not None:
            share = _resolve(c.max_share_of_order, day, "max_share_of_order", dated)
            cap = (given["order_total"] * share).quantize(CENT, rounding=ROUND_HALF_UP)
            caps.append((cap, cap - given["order_reimbursed"]))
        f["cap"], f["cap_left"] = min(caps, key=lambda x: x[1]) if caps else (None, NO_CAP)
        f["dated"] = dated
        return f

    def decision(self, ctx: ClaimContext, spec: RuleSpec, f: dict, given: dict, version: str) -> Decision:
        reimbursement, capped = ZERO, False
        if spec.outcome == "approve":
            rate = spec.custom.reimbursement_rate if spec.custom is not None and spec.custom.reimbursement_rate is not None else f["rate"]
            reimbursement = (f["refund_amount"] * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            if reimbursement > f["cap_left"]:
                reimbursement, capped = max(f["cap_left"], ZERO), True
        label = ctx.labels.get(f["category"], words(f["category"]))
        own = {
            "reason": words(f["reason"]),
            "Category_label": label[:1].upper() + label[1:],
            "issuers": f["issuers"],
            "missing": " and ".join(f"a {e}" for e in f["missing"]),
            "reimbursement": money(reimbursement),
            "cap": money(f["cap"]) if f["cap"] is not None else "",
            "rule": spec.cited,
            "outcome": words(spec.outcome),
            "seller": f["seller_id"] or "the seller",
            "refund_issued_by": f["refund_issued_by"],
        }
        text = templates.render(spec.template, {n: own[n] if n in own else show("claim", n, f.get(n)) for n in spec.fields})
        if capped:
            text = text.rstrip(".") + f", the rest of the {money(f['cap'])} cap on this order."
        details: dict[str, Any] = {"days_left_to_file": max(0, f["filing_window_days"] - f["days_since_anchor"])}
        if spec.outcome == "needs_evidence":
            details["missing_evidence"] = list(f["missing"])
        if capped:
            details["capped"] = True
        notes = [(name, f["dated"][name]) for name in spec.uses if name in f["dated"]]
        if notes:
            details["in_force"] = {name: start.isoformat() for name, (_, start) in notes}
            text = in_force_note(text, [(_LABELS[n], _shown(n, v), start) for n, (v, start) in notes], "refunds", f["refunded_on"])
        return Decision(
            kind="claim",
            outcome=spec.outcome,
            reason=spec.reason,
            rule=spec.cited,
            explanation=cite(text, spec.cited),
            policy_version=version,
            amounts={"reimbursement": reimbursement},
            details=details,
            facts=given,
        )


def _shown(name: str, value: Any) -> str:
    if name in ("filing_window_days", "min_days_since_refund"):
        return f"{value} days"
    if name in ("reimbursement_rate", "max_share_of_order"):
        return percent(value)
    return money(value)


TABLE = ClaimTable()
