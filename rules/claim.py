"""The claim kind as a table: reimbursement claims' built-in rules as data, their lookups (dated windows, caps) and amounts."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from policy.model import CustomRule, Policy
from policy.vocabulary import BUILTIN_CLAIM_RULES

from .conditions import all_of, same_event
from .decision import Decision
from .facts import _FAST, CENT, claim_facts
from .dated import Resolved
from .program import KindTable, RuleSpec, placeholders
from .text import cite, compiled_template, in_force_note, money, percent, shower, words

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


class ClaimContext:
    """The claims section plus the marketplace's category table, with each reason's values resolved once per dated period."""

    def __init__(self, policy: Policy):
        self.claims = c = policy.claims
        self.product_tags = policy.product_tags
        self.returnable = {name: cat.returnable for name, cat in policy.returns.categories.items()}
        self.labels = {name: cat.label for name, cat in policy.returns.categories.items()}
        caps = {name: value for name, value in (("max_per_order", c.max_per_order), ("max_share_of_order", c.max_share_of_order))
                if value is not None}
        self.per_order, self.share = "max_per_order" in caps, "max_share_of_order" in caps
        # reason -> (spec, its values by dated period, issuers in words); None: a reason the policy does not cover
        self.reasons: dict[str | None, tuple[Any, Resolved, str]] = {None: (None, Resolved({"filing_window_days": c.filing_window_days,
                                                                                            **caps}), "")}
        for reason, spec in c.reasons.items():
            values = {"filing_window_days": c.filing_window_days, "min_days_since_refund": spec.min_days_since_refund,
                      "reimbursement_rate": spec.reimbursement_rate, **caps}
            self.reasons[reason] = (spec, Resolved(values), " or ".join(sorted(spec.refund_issued_by)))


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

    fast_check = staticmethod(_FAST["claim"])  # the generated checker (rules/factcode.py); check() runs when it steps aside

    def lookup(self, ctx: ClaimContext, given: dict) -> dict:
        reimbursed = given["order_reimbursed"]
        spec, resolved, issuers = ctx.reasons.get(given["reason"]) or ctx.reasons[None]
        values, dated = resolved.at(given["refunded_on"])
        f = dict(given)
        sku = given["sku"]
        if sku is not None and sku in ctx.product_tags:
            f["product_tags"] = tuple(sorted(set(given["product_tags"]).union(ctx.product_tags[sku])))
        f["days_since_anchor"] = anchor_days(given)
        f["category_returnable"] = ctx.returnable.get(given["category"], True)
        f["auto_refund_denied"] = ctx.claims.deny_late_auto_refunds and given["auto_refund_late"]
        f["filing_window_days"] = values[0]
        if spec is None:
            f["reason_covered"], f["issuer_covered"], f["return_required"], f["non_returnable_only"] = False, True, "any", False
            f["min_days_since_refund"], f["missing"], f["evidence_missing"], f["rate"] = 0, (), 0, Decimal(0)
            i = 1
        else:
            f["reason_covered"] = True
            f["issuer_covered"] = given["refund_issued_by"] in spec.refund_issued_by
            f["return_required"] = spec.return_state
            f["non_returnable_only"] = bool(spec.non_returnable_only)
            f["min_days_since_refund"], f["rate"] = values[1], values[2]
            evidence = given["evidence"]
            f["missing"] = missing = tuple(e for e in spec.evidence if e not in evidence) if spec.evidence else ()
            f["evidence_missing"] = len(missing)
            i = 3
        f["issuers"] = issuers
        cap = None
        if ctx.per_order:
            cap = values[i]
            left = cap - reimbursed
            i += 1
        if ctx.share:
            share = (given["order_total"] * values[i]).quantize(CENT, rounding=ROUND_HALF_UP)
            if cap is None or share - reimbursed < left:  # the first of equal caps, as min() would pick
                cap, left = share, share - reimbursed
        f["cap"], f["cap_left"] = (cap, left) if cap is not None else (None, NO_CAP)
        f["dated"] = dated
        return f

    def plan(self, ctx: ClaimContext, spec: RuleSpec) -> Callable[..., str]:
        # The rule's explanation compiled once: (facts, reimbursement, rule, context) -> text.
        values = tuple((name, _PLACEHOLDERS[name] if name in _PLACEHOLDERS else _fact_value(name)) for name in spec.fields)
        return compiled_template(spec.template, values, 4)

    def decision(self, ctx: ClaimContext, spec: RuleSpec, f: dict, given: dict, version: str) -> Decision:
        reimbursement, capped = ZERO, False
        outcome = spec.outcome
        if outcome == "approve":
            rate = spec.custom.reimbursement_rate if spec.custom is not None and spec.custom.reimbursement_rate is not None else f["rate"]
            reimbursement = (f["refund_amount"] * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            if reimbursement > f["cap_left"]:
                reimbursement, capped = max(f["cap_left"], ZERO), True
        text = spec.plan(f, reimbursement, spec, ctx)
        if capped:
            text = text.rstrip(".") + f", the rest of the {money(f['cap'])} cap on this order."
        details: dict[str, Any] = {"days_left_to_file": max(0, f["filing_window_days"] - f["days_since_anchor"])}
        if outcome == "needs_evidence":
            details["missing_evidence"] = list(f["missing"])
        if capped:
            details["capped"] = True
        dated = f["dated"]
        if dated:
            notes = [(name, dated[name]) for name in spec.uses if name in dated]
            if notes:
                details["in_force"] = {name: start.isoformat() for name, (_, start) in notes}
                text = in_force_note(text, [(_LABELS[n], _shown(n, v), start) for n, (v, start) in notes], "refunds", f["refunded_on"])
        return _new_tuple(Decision, ("claim", outcome, spec.reason, spec.cited, cite(text, spec.cited), version,
                                     {"reimbursement": reimbursement}, details, given))


def _label(f: dict, ctx: ClaimContext) -> str:
    label = ctx.labels.get(f["category"])
    if label is None:
        label = words(f["category"])
    return label[:1].upper() + label[1:]


# How the built-in explanations' own placeholders are computed from (facts, reimbursement, rule, context).
_PLACEHOLDERS: dict[str, Callable[..., Any]] = {
    "reason": lambda f, r, rule, ctx: words(f["reason"]),
    "Category_label": lambda f, r, rule, ctx: _label(f, ctx),
    "issuers": lambda f, r, rule, ctx: f["issuers"],
    "missing": lambda f, r, rule, ctx: " and ".join(f"a {e}" for e in f["missing"]),
    "reimbursement": lambda f, r, rule, ctx: money(r),
    "cap": lambda f, r, rule, ctx: money(f["cap"]) if f["cap"] is not None else "",
    "rule": lambda f, r, rule, ctx: rule.cited,
    "outcome": lambda f, r, rule, ctx: words(rule.outcome),
    "seller": lambda f, r, rule, ctx: f["seller_id"] or "the seller",
    "refund_issued_by": lambda f, r, rule, ctx: f["refund_issued_by"],
}


def _fact_value(name: str) -> Callable[..., Any]:
    shown = shower("claim", name)
    return lambda f, r, rule, ctx: shown(f.get(name))


# Decisions are NamedTuples; building one from a tuple skips the keyword-argument __new__.
_new_tuple = tuple.__new__


def _shown(name: str, value: Any) -> str:
    if name in ("filing_window_days", "min_days_since_refund"):
        return f"{value} days"
    if name in ("reimbursement_rate", "max_share_of_order"):
        return percent(value)
    return money(value)


TABLE = ClaimTable()
