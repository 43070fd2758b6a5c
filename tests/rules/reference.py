"""A plain-Python reference evaluator of the policy language, written from docs/policy.md.

It shares no code with rules/: it reads the Policy model and applies first-hit semantics
directly, with exact Fractions for ratios, its own date arithmetic, fee formula, window
extensions, seller overlays, dated values and caps, so the compiled durable_rules engine can be
cross-checked against it on generated requests and random policies.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from policy import Policy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _today() -> date:
    return datetime.now(timezone.utc).date()


class Expected(NamedTuple):
    rule: str
    outcome: str
    reason: str
    amounts: dict[str, Decimal]


def _dec(x: Any) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _day(x: Any) -> date | None:
    if x is None or isinstance(x, date):
        return x
    return date.fromisoformat(x)


def value_on(value: Any, day: date) -> Any:
    """The value in force on `day`: the last entry whose `from` is on or before it, else the first."""
    entries = getattr(value, "entries", None)
    if entries is None:
        return value
    chosen = entries[0][1]
    for start, v in entries:
        if start is None or start <= day:
            chosen = v
    return chosen


def fee_of(fee: Any, price: Decimal) -> Decimal:
    """rate x price + fixed, clamped to [min, max], zero at or below above_price, at most the price."""
    if fee.above_price is not None and price <= fee.above_price:
        return ZERO
    amount = price * fee.rate + fee.fixed
    if fee.min is not None:
        amount = max(amount, fee.min)
    if fee.max is not None:
        amount = min(amount, fee.max)
    return min(amount, price).quantize(CENT, rounding=ROUND_HALF_UP)


def _test(value: Any, op: str, operand: Any) -> bool:
    if isinstance(value, date):
        value = value.month * 100 + value.day if op == "yearly" else value.toordinal()
    if value is None:  # an unknown date, country, SKU or seller: only "not this" matches it
        return op in ("ne", "not_in")
    if op == "yearly":
        lo, hi = operand
        return lo <= value <= hi if lo <= hi else value >= lo or value <= hi
    if op == "contains_any":
        return bool(set(operand) & set(value))
    if op == "contains_all":
        return set(operand) <= set(value)
    if op == "contains_none":
        return not set(operand) & set(value)
    if isinstance(value, (Decimal, Fraction)) and op in ("gt", "gte", "lt", "lte", "eq", "ne"):
        operand = Fraction(str(operand))
        value = Fraction(value)
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


def matches(rule_conditions, view: dict) -> bool:
    return all(_test(view[c.field], c.op, c.value) for c in rule_conditions)


def refund_view(facts: dict) -> dict:
    """The request with every optional fact defaulted and dates parsed."""
    v = dict(facts)
    v["price"] = _dec(facts["price"])
    v["requested_on"] = _day(facts.get("requested_on")) or _today()
    v["delivered_on"] = _day(facts.get("delivered_on"))
    if "days_since_delivery" not in facts or facts["days_since_delivery"] is None:
        v["days_since_delivery"] = (v["requested_on"] - v["delivered_on"]).days
    elif v["delivered_on"] is None:
        v["delivered_on"] = v["requested_on"] - timedelta(days=facts["days_since_delivery"])
    v.setdefault("product_tags", [])
    v.setdefault("buyer_tags", [])
    v.setdefault("sku", None)
    v.setdefault("seller_id", None)
    v.setdefault("buyer_country", None)
    v.setdefault("buyer_orders_90d", 0)
    v.setdefault("fulfilled_by", "seller")
    v.setdefault("a_to_z_claim", False)
    v["order_total"] = _dec(facts.get("order_total", facts["price"]))
    v["shipping_paid"] = _dec(facts.get("shipping_paid", 0))
    orders = v["buyer_orders_90d"]
    v["buyer_return_rate"] = Fraction(v["buyer_returns_90d"], orders) if orders else Fraction(0)
    return v


def _until(delivered: date, month: int, day: int) -> int:
    for year in (delivered.year, delivered.year + 1):
        try:
            end = date(year, month, day)
        except ValueError:
            end = date(year, month, day - 1)
        if end >= delivered:
            return (end - delivered).days
    raise AssertionError


def tagged(policy: Policy, facts: dict) -> list:
    """The request's product tags plus the tags the policy gives its SKU."""
    return sorted(set(facts.get("product_tags") or []) | set(policy.product_tags.get(facts.get("sku"), ())))


def refund(policy: Policy, facts: dict) -> Expected:
    """The expected refund decision for valid facts."""
    v = refund_view(facts)
    v["product_tags"] = tagged(policy, facts)
    seller = v["seller_id"]
    r = policy.overlays[seller].returns if seller in policy.overlays else policy.returns
    day = v["requested_on"]
    price = v["price"]
    cat = r.categories.get(v["category"])
    window = value_on(cat.window_days if cat else r.default_window_days, day)
    for ext in r.window_extensions:
        if matches(ext.conditions, v):
            longer = _until(v["delivered_on"], *ext.until) if ext.until else value_on(ext.window_days, day)
            window = max(window, longer)
    returnable = cat.returnable if cat else True
    fees = cat.restocking_fee if cat else r.restocking_fee
    fee_spec = value_on(fees[v["condition"]], day)
    plain = fee_spec.fixed == 0 and fee_spec.min is None and fee_spec.max is None and fee_spec.above_price is None
    restocking = fee_spec.rate > 0 if plain else fee_of(fee_spec, price) > 0
    seller_fault = v["reason"] in r.seller_fault_reasons
    v.update(returnable=returnable, seller_fault=seller_fault, window_days=window)
    min_price = value_on(r.escalation_min_price, day)
    max_price = value_on(r.returnless_max_price, day)
    min_returns = value_on(r.escalation_min_returns_90d, day)

    candidates = [
        (100, "non_returnable", lambda: not returnable and not seller_fault, "deny", "non_returnable", None),
        (200, "outside_window", lambda: v["days_since_delivery"] > window, "deny", "outside_window", None),
        (300, "high_value", lambda: price >= min_price, "escalate", "high_value", None),
        (400, "serial_returner", lambda: v["buyer_returns_90d"] >= min_returns, "escalate", "serial_returner", None),
        (500, "non_returnable_seller_fault", lambda: not returnable, "returnless_refund", "non_returnable_seller_fault", None),
        (600, "not_received", lambda: v["reason"] == "not_received", "returnless_refund", "not_received", None),
        (700, "low_value", lambda: price <= max_price, "returnless_refund", "low_value", None),
        (800, "restocking_fee", lambda: restocking and not seller_fault, "partial_refund", "restocking_fee", None),
        (900, "approve_return", lambda: True, "approve_return", "return_approved", None),
    ]
    for rule in r.rules:
        rule_id = f"{rule.seller}/{rule.id}" if rule.seller else rule.id
        candidates.append((rule.priority, rule_id, (lambda rule=rule: matches(rule.conditions, v)), rule.outcome, rule.reason, rule))
    for _, rule_id, test, outcome, reason, custom in sorted(candidates, key=lambda c: c[0]):
        if test():
            break
    refund_amount, fee = ZERO, ZERO
    if outcome in ("approve_return", "returnless_refund"):
        refund_amount = price.quantize(CENT)
    elif outcome == "partial_refund":
        fee = fee_of(custom.fee if custom is not None and custom.fee is not None else fee_spec, price)
        refund_amount = price - fee
    elif outcome == "keep_item_refund":
        refund_amount = (price * custom.refund_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return Expected(rule_id, outcome, reason, {"refund_amount": refund_amount, "fee": fee})


def tier(policy: Policy, facts: dict) -> Expected:
    """The expected tier decision for valid counts."""
    w = policy.rewards
    day = _day(facts.get("as_of")) or _today()
    vtr = Fraction(facts["valid_tracking"], facts["shipments"]) if facts["shipments"] else Fraction(0)
    aprl = Fraction(facts["prepaid_label_returns"], facts["returns"]) if facts["returns"] else Fraction(1)
    cpu = Fraction(facts["contacts"], facts["units"]) if facts["units"] else Fraction(0)
    enrolled = _day(facts.get("enrolled_on"))
    view = dict(facts, vtr=vtr, aprl=aprl, cpu=cpu, as_of=day, enrolled_on=enrolled,
                orders_90d=facts.get("orders_90d", 0), seller_id=facts.get("seller_id"),
                days_since_enrolment=(day - enrolled).days if enrolled else 1_000_000_000)
    candidates = []
    treat = next((t for t in w.tiers if t.name == w.low_volume_treat_as), None)
    candidates.append((100, "low_volume", lambda: facts["units"] < value_on(w.low_volume_min_units, day), treat, "low_volume"))
    candidates.append((200, "vtr_below_minimum", lambda: vtr < Fraction(str(value_on(w.min_vtr, day))), None, "vtr_below_minimum"))
    candidates.append((300, "aprl_below_minimum", lambda: aprl < Fraction(str(value_on(w.min_aprl, day))), None, "aprl_below_minimum"))
    for i, t in enumerate(w.tiers):
        candidates.append((400 + i, f"tier_{t.name}", (lambda t=t: t.max_cpu is None or cpu <= Fraction(str(t.max_cpu))), t, "cpu_tier"))
    for rule in w.rules:
        chosen_tier = next((t for t in w.tiers if t.name == rule.tier), None)
        candidates.append((rule.priority, rule.id, (lambda rule=rule: matches(rule.conditions, view)), chosen_tier, rule.reason))
    for _, rule_id, test, chosen, reason in sorted(candidates, key=lambda c: c[0]):
        if test():
            break
    discount = chosen.discount if chosen else Decimal(0)
    fee = (value_on(w.fee_per_unit, day) * (1 - discount)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return Expected(rule_id, "eligible" if chosen else "not_eligible", reason, {"discount": discount, "fee_per_unit": fee})


def claim(policy: Policy, facts: dict) -> Expected:
    """The expected claim decision for valid facts."""
    c = policy.claims
    filed = _day(facts.get("filed_on")) or _today()
    days_refund = facts.get("days_since_refund")
    refunded = _day(facts.get("refunded_on"))
    if days_refund is None:
        days_refund = (filed - refunded).days
    elif refunded is None:
        refunded = filed - timedelta(days=days_refund)
    spec = c.reasons.get(facts["reason"])
    delivered = facts.get("days_since_return_delivered")
    anchor = days_refund if delivered is None else min(days_refund, delivered)
    category = policy.returns.categories.get(facts["category"])
    returnable = category.returnable if category else True
    evidence = set(facts.get("evidence") or [])
    amount = _dec(facts["refund_amount"])
    reimbursed = _dec(facts.get("order_reimbursed", 0))
    total = _dec(facts.get("order_total", facts["refund_amount"]))
    caps = []
    if c.max_per_order is not None:
        caps.append(value_on(c.max_per_order, refunded) - reimbursed)
    if c.max_share_of_order is not None:
        caps.append((total * value_on(c.max_share_of_order, refunded)).quantize(CENT, rounding=ROUND_HALF_UP) - reimbursed)
    left = min(caps) if caps else None
    view = dict(facts, days_since_refund=days_refund, refunded_on=refunded, filed_on=filed,
                return_delivered_on=_day(facts.get("return_delivered_on")), evidence=sorted(evidence),
                product_tags=tagged(policy, facts), seller_id=facts.get("seller_id"), sku=facts.get("sku"),
                fulfilled_by=facts.get("fulfilled_by", "seller"), a_to_z_claim=facts.get("a_to_z_claim", False),
                order_total=total, order_reimbursed=reimbursed, refund_amount=amount,
                days_since_anchor=anchor, category_returnable=returnable)

    def result(rule_id: str, outcome: str, reason: str, rate=None) -> Expected:
        money = ZERO
        if outcome == "approve":
            money = (amount * (rate if rate is not None else value_on(spec.reimbursement_rate, refunded))).quantize(CENT, rounding=ROUND_HALF_UP)
            if left is not None and money > left:
                money = max(left, ZERO)
        return Expected(rule_id, outcome, reason, {"reimbursement": money})

    builtin = [
        (100, lambda: spec is None, ("not_covered", "deny", "not_covered")),
        (200, lambda: c.deny_late_auto_refunds and facts["auto_refund_late"], ("auto_refund_late", "deny", "auto_refund_late")),
        (300, lambda: anchor > value_on(c.filing_window_days, refunded), ("filing_window", "deny", "filing_window")),
        (400, lambda: facts["refund_issued_by"] not in spec.refund_issued_by, ("refund_issuer", "deny", "refund_issuer")),
        (500, lambda: spec.return_state == "not_received" and facts["return_received"], ("return_was_received", "deny", "return_received")),
        (510, lambda: spec.return_state == "received" and not facts["return_received"], ("return_not_delivered", "deny", "return_not_delivered")),
        (600, lambda: spec.non_returnable_only and returnable, ("item_returnable", "deny", "item_returnable")),
        (700, lambda: days_refund < value_on(spec.min_days_since_refund, refunded), ("too_early", "deny", "too_early")),
        (800, lambda: any(e not in evidence for e in spec.evidence), ("needs_evidence", "needs_evidence", "missing_evidence")),
        (850, lambda: left is not None and left <= 0, ("order_cap_reached", "deny", "order_cap_reached")),
        (900, lambda: True, ("reimbursable", "approve", "reimbursable")),
    ]
    candidates = [(p, test, decided, None) for p, test, decided in builtin]
    for rule in c.rules:
        candidates.append((rule.priority, (lambda rule=rule: matches(rule.conditions, view)), (rule.id, rule.outcome, rule.reason), rule))
    for _, test, decided, custom in sorted(candidates, key=lambda x: x[0]):
        if test():
            return result(*decided, rate=custom.reimbursement_rate if custom is not None else None)
    raise AssertionError("the catch-all always matches")


EVALUATORS = {"refund": refund, "tier": tier, "claim": claim}
