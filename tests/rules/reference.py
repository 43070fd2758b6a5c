"""A plain-Python reference evaluator of the policy language, written from docs/policy.md.

It shares no code with rules/: it reads the Policy model and applies first-hit semantics
directly, with exact Fractions for the seller ratios, so the compiled durable_rules engine
can be cross-checked against it on generated requests.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from policy import Policy

CENT = Decimal("0.01")


class Expected(NamedTuple):
    rule: str
    outcome: str
    reason: str
    amounts: dict[str, Decimal]


def _dec(x: Any) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _test(value: Any, op: str, operand: Any) -> bool:
    if isinstance(value, Decimal) and op in ("gt", "gte", "lt", "lte", "eq", "ne"):
        operand = _dec(operand)
    if isinstance(value, Decimal) and op in ("in", "not_in"):
        operand = [_dec(v) for v in operand]
    if op == "eq":
        return value == operand
    if op == "ne":
        return value != operand
    if op == "in":
        return value in operand
    if op == "not_in":
        return value not in operand
    if op == "gt":
        return value > operand
    if op == "gte":
        return value >= operand
    if op == "lt":
        return value < operand
    if op == "lte":
        return value <= operand
    raise AssertionError(op)


def refund(policy: Policy, facts: dict) -> Expected:
    """The expected refund decision for valid facts."""
    r = policy.returns
    price = _dec(facts["price"])
    cat = r.categories.get(facts["category"])
    window = cat.window_days if cat else r.default_window_days
    returnable = cat.returnable if cat else True
    fees = cat.restocking_fee if cat else r.restocking_fee
    rate = fees[facts["condition"]]
    seller_fault = facts["reason"] in r.seller_fault_reasons
    view = dict(facts, price=price, returnable=returnable, seller_fault=seller_fault, window_days=window)

    candidates = [
        (100, "non_returnable", lambda: not returnable and not seller_fault, "deny", "non_returnable", None),
        (200, "outside_window", lambda: facts["days_since_delivery"] > window, "deny", "outside_window", None),
        (300, "high_value", lambda: price >= r.escalation_min_price, "escalate", "high_value", None),
        (400, "serial_returner", lambda: facts["buyer_returns_90d"] >= r.escalation_min_returns_90d, "escalate", "serial_returner", None),
        (500, "non_returnable_seller_fault", lambda: not returnable, "returnless_refund", "non_returnable_seller_fault", None),
        (600, "not_received", lambda: facts["reason"] == "not_received", "returnless_refund", "not_received", None),
        (700, "low_value", lambda: price <= r.returnless_max_price, "returnless_refund", "low_value", None),
        (800, "restocking_fee", lambda: rate > 0 and not seller_fault, "partial_refund", "restocking_fee", None),
        (900, "approve_return", lambda: True, "approve_return", "return_approved", None),
    ]
    for rule in r.rules:
        test = (lambda rule=rule: all(_test(view[c.field], c.op, c.value) for c in rule.conditions))
        candidates.append((rule.priority, rule.id, test, rule.outcome, rule.reason, rule.fee_rate))
    for _, rule_id, test, outcome, reason, fixed_rate in sorted(candidates, key=lambda c: c[0]):
        if test():
            break
    refund_amount, fee = Decimal("0.00"), Decimal("0.00")
    if outcome in ("approve_return", "returnless_refund"):
        refund_amount = price.quantize(CENT)
    elif outcome == "partial_refund":
        fee = (price * (fixed_rate if fixed_rate is not None else rate)).quantize(CENT, rounding=ROUND_HALF_UP)
        refund_amount = price - fee
    return Expected(rule_id, outcome, reason, {"refund_amount": refund_amount, "fee": fee})


def tier(policy: Policy, facts: dict) -> Expected:
    """The expected tier decision for valid counts."""
    w = policy.rewards
    vtr = Fraction(facts["valid_tracking"], facts["shipments"]) if facts["shipments"] else Fraction(0)
    aprl = Fraction(facts["prepaid_label_returns"], facts["returns"]) if facts["returns"] else Fraction(1)
    cpu = Fraction(facts["contacts"], facts["units"]) if facts["units"] else Fraction(0)
    chosen = None
    if facts["units"] < w.low_volume_min_units:
        rule_id, reason = "low_volume", "low_volume"
        chosen = next((t for t in w.tiers if t.name == w.low_volume_treat_as), None)
    elif vtr < Fraction(str(w.min_vtr)):
        rule_id, reason = "vtr_below_minimum", "vtr_below_minimum"
    elif aprl < Fraction(str(w.min_aprl)):
        rule_id, reason = "aprl_below_minimum", "aprl_below_minimum"
    else:
        chosen = next(t for t in w.tiers if t.max_cpu is None or cpu <= Fraction(str(t.max_cpu)))
        rule_id, reason = f"tier_{chosen.name}", "cpu_tier"
    discount = chosen.discount if chosen else Decimal(0)
    fee = (w.fee_per_unit * (1 - discount)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return Expected(rule_id, "eligible" if chosen else "not_eligible", reason, {"discount": discount, "fee_per_unit": fee})


def claim(policy: Policy, facts: dict) -> Expected:
    """The expected claim decision for valid facts."""
    c = policy.claims
    spec = c.reasons.get(facts["reason"])
    delivered = facts.get("days_since_return_delivered")
    anchor = facts["days_since_refund"] if delivered is None else min(facts["days_since_refund"], delivered)
    category = policy.returns.categories.get(facts["category"])
    returnable = category.returnable if category else True
    evidence = set(facts.get("evidence") or [])

    def result(rule_id: str, outcome: str, reason: str) -> Expected:
        amount = Decimal("0.00")
        if outcome == "approve":
            amount = (_dec(facts["refund_amount"]) * spec.reimbursement_rate).quantize(CENT, rounding=ROUND_HALF_UP)
        return Expected(rule_id, outcome, reason, {"reimbursement": amount})

    if spec is None:
        return result("not_covered", "deny", "not_covered")
    if c.deny_late_auto_refunds and facts["auto_refund_late"]:
        return result("auto_refund_late", "deny", "auto_refund_late")
    if anchor > c.filing_window_days:
        return result("filing_window", "deny", "filing_window")
    if facts["refund_issued_by"] not in spec.refund_issued_by:
        return result("refund_issuer", "deny", "refund_issuer")
    if spec.return_state == "not_received" and facts["return_received"]:
        return result("return_was_received", "deny", "return_received")
    if spec.return_state == "received" and not facts["return_received"]:
        return result("return_not_delivered", "deny", "return_not_delivered")
    if spec.non_returnable_only and returnable:
        return result("item_returnable", "deny", "item_returnable")
    if facts["days_since_refund"] < spec.min_days_since_refund:
        return result("too_early", "deny", "too_early")
    if any(e not in evidence for e in spec.evidence):
        return result("needs_evidence", "needs_evidence", "missing_evidence")
    return result("reimbursable", "approve", "reimbursable")


EVALUATORS = {"refund": refund, "tier": tier, "claim": claim}
