"""The refund kind as a table: its built-in rules as data, its lookups (windows, fees, seller overlays) and its amounts."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from policy.model import CustomRule, Dated, Fee, Policy, ReturnsPolicy
from policy.reach import holds
from policy.vocabulary import BUILTIN_REFUND_RULES

from .conditions import all_of, same_event
from .decision import Decision
from .facts import CENT, refund_facts
from .program import KindTable, Program, RuleSpec, placeholders
from .text import cite, in_force_note, money, percent, show, words

ZERO = Decimal("0.00")

# Built-in refund rules: outcome, reason code, explanation, condition over event fields, values used.
BUILTIN = {
    "non_returnable": ("deny", "non_returnable",
                       "{Category_label} can't be returned for a reason like \"{reason}\", so this refund is declined.",
                       all_of([{"returnable": False}, {"seller_fault": False}]), ("returnable",)),
    "outside_window": ("deny", "outside_window",
                       "{Category_label} can be returned within {window_days} days of delivery and this item was delivered "
                       "{days_since_delivery} days ago, so this refund is declined.",
                       {"$gt": {"days_since_delivery": same_event("window_days")}}, ("window_days",)),
    "high_value": ("escalate", "high_value",
                   "Items costing {min_price} or more are checked by a person, so a member of our team will review this request.",
                   {"$gte": {"price": same_event("escalation_min_price")}}, ("escalation_min_price",)),
    "serial_returner": ("escalate", "serial_returner",
                        "This account has {buyer_returns_90d} returns in the last 90 days, so a member of our team will review this request.",
                        {"$gte": {"buyer_returns_90d": same_event("escalation_min_returns_90d")}}, ("escalation_min_returns_90d",)),
    "non_returnable_seller_fault": ("returnless_refund", "non_returnable_seller_fault",
                                    "{Category_label} can't be sent back, but the item is \"{reason}\", so you get {refund_amount} "
                                    "and keep the item.",
                                    {"returnable": False}, ("returnable",)),
    "not_received": ("returnless_refund", "not_received",
                     "The item never reached you, so you get {refund_amount} and there is nothing to send back.",
                     {"reason": "not_received"}, ()),
    "low_value": ("returnless_refund", "low_value",
                  "For items of {max_price} or less a return costs more than the item, so you get {refund_amount} and keep it.",
                  {"$lte": {"price": same_event("returnless_max_price")}}, ("returnless_max_price",)),
    "restocking_fee": ("partial_refund", "restocking_fee",
                       "An item returned {condition} for a reason that is not the seller's fault carries a {fee_rate} restocking fee, "
                       "so you get {refund_amount} back ({fee} fee) once the return arrives with the prepaid label.",
                       all_of([{"restocking_applies": True}, {"seller_fault": False}]), ("restocking_fee",)),
    "approve_return": ("approve_return", "return_approved",
                       "Your return is approved: send the item back with the prepaid label and you get {refund_amount} back.",
                       {"$ex": {"price": 1}}, ("window_days",)),  # catch-all: every request has a price
}
assert list(BUILTIN) == [name for name, _ in BUILTIN_REFUND_RULES]

# How the built-in explanations' own placeholders are computed from (facts, refund_amount, fee, fee spec, rule).
_PLACEHOLDERS = {
    "Category_label": lambda f, r, fee, spec, rule: f["category_label"][:1].upper() + f["category_label"][1:],
    "category_label": lambda f, r, fee, spec, rule: f["category_label"],
    "min_price": lambda f, r, fee, spec, rule: money(f["escalation_min_price"]),
    "max_price": lambda f, r, fee, spec, rule: money(f["returnless_max_price"]),
    "refund_amount": lambda f, r, fee, spec, rule: money(r),
    "fee": lambda f, r, fee, spec, rule: money(fee),
    "fee_rate": lambda f, r, fee, spec, rule: percent(spec.rate) if spec.is_rate else money(fee),
    "rule": lambda f, r, fee, spec, rule: rule.cited,
    "outcome": lambda f, r, fee, spec, rule: words(rule.outcome),
    "seller": lambda f, r, fee, spec, rule: f["seller_id"] or "the marketplace",
    "reason": lambda f, r, fee, spec, rule: words(f["reason"]),
    "condition": lambda f, r, fee, spec, rule: words(f["condition"]),
    "window_days": lambda f, r, fee, spec, rule: str(f["window_days"]),
    "days_since_delivery": lambda f, r, fee, spec, rule: str(f["days_since_delivery"]),
    "buyer_returns_90d": lambda f, r, fee, spec, rule: str(f["buyer_returns_90d"]),
}

_LABELS = {"window_days": "return window", "escalation_min_price": "review threshold",
           "escalation_min_returns_90d": "serial-returner threshold", "returnless_max_price": "returnless threshold",
           "restocking_fee": "restocking fee"}


def _shown(name: str, value: Any) -> str:
    if name == "window_days":
        return f"{value} days"
    if name == "escalation_min_returns_90d":
        return f"{value} returns"
    if isinstance(value, Fee):
        return percent(value.rate) if value.is_rate else "the fee schedule"
    return money(value)


def refund_amounts(outcome: str, price: Decimal, fee_spec: Fee, keep_rate: Decimal | None) -> tuple[Decimal, Decimal]:
    """(refund_amount, fee) for an outcome."""
    if outcome in ("approve_return", "returnless_refund"):
        return price, ZERO
    if outcome == "partial_refund":
        fee = fee_spec.amount(price)
        return price - fee, fee
    if outcome == "keep_item_refund":
        return (price * keep_rate).quantize(CENT, rounding=ROUND_HALF_UP), ZERO
    return ZERO, ZERO


class RefundContext:
    """The marketplace's returns section and each seller overlay's merged one."""

    def __init__(self, policy: Policy):
        self.returns = policy.returns
        self.overlays = {seller: o.returns for seller, o in policy.overlays.items()}


def _resolve(value: Any, day: date, name: str, dated: dict) -> Any:
    if type(value) is Dated:
        value, start = value.at(day)
        if start is not None:
            dated[name] = (value, start)
    return value


def _matches(conditions, f: dict) -> bool:
    for c in conditions:
        value = f[c.field]
        if isinstance(value, date):
            value = value.month * 100 + value.day if c.op == "yearly" else value.toordinal()
        elif value is None:
            return False
        if not holds(value, c):
            return False
    return True


def _until_window(delivered: date, month_day: tuple[int, int]) -> int:
    month, day = month_day
    year = delivered.year
    for candidate_year in (year, year + 1):
        try:
            end = date(candidate_year, month, day)
        except ValueError:  # 02-29 in a common year: the day before
            end = date(candidate_year, month, day - 1)
        if end >= delivered:
            return (end - delivered).days
    return 0  # pragma: no cover - the next year always qualifies


def table_values(r: ReturnsPolicy, f: dict) -> dict[str, Any]:
    """The returns-section values a request is decided by: category settings, window (with extensions), fee, thresholds."""
    day = f["requested_on"]
    dated: dict[str, tuple[Any, date]] = {}
    category = r.categories.get(f["category"]) or r.category(f["category"])
    window = category.window_days
    if type(window) is Dated:
        window = _resolve(window, day, "window_days", dated)
    window_source = None
    for extension in r.window_extensions:
        if _matches(extension.conditions, f):
            if extension.until is not None:
                longer = _until_window(f["delivered_on"], extension.until)
            else:
                longer = _resolve(extension.window_days, day, f"window_days:{extension.id}", dated)
            if longer > window:
                window, window_source = longer, extension.id
    fee = category.restocking_fee[f["condition"]]
    if type(fee) is Dated:
        fee = _resolve(fee, day, "restocking_fee", dated)
    min_price, max_price, min_returns = r.escalation_min_price, r.returnless_max_price, r.escalation_min_returns_90d
    if type(min_price) is Dated or type(max_price) is Dated or type(min_returns) is Dated:
        min_price = _resolve(min_price, day, "escalation_min_price", dated)
        max_price = _resolve(max_price, day, "returnless_max_price", dated)
        min_returns = _resolve(min_returns, day, "escalation_min_returns_90d", dated)
    return {
        "returnable": category.returnable,
        "seller_fault": f["reason"] in r.seller_fault_reasons,
        "window_days": window,
        "window_source": window_source,
        "fee_spec": fee,
        "restocking_applies": fee.rate > 0 if fee.is_rate else fee.amount(f["price"]) > 0,
        "category_label": category.label,
        "escalation_min_price": min_price,
        "returnless_max_price": max_price,
        "escalation_min_returns_90d": min_returns,
        "dated": dated,
    }


class RefundTable(KindTable):
    """Refund requests: a buyer's request on one order item."""

    kind = "refund"
    default_template = "This request matches the rule {rule}, so the outcome is: {outcome}."
    event_types = {"restocking_applies": "bool", "escalation_min_price": "money", "returnless_max_price": "money",
                   "escalation_min_returns_90d": "count"}

    def context(self, policy: Policy) -> RefundContext:
        return RefundContext(policy)

    def builtins(self, ctx: RefundContext) -> list[RuleSpec]:
        return [RuleSpec(name, priority, BUILTIN[name][0], BUILTIN[name][1], BUILTIN[name][2], BUILTIN[name][3],
                         BUILTIN[name][4], fields=placeholders(BUILTIN[name][2]))
                for name, priority in BUILTIN_REFUND_RULES]

    def custom_rules(self, policy: Policy) -> dict[str | None, tuple[CustomRule, ...]]:
        sets: dict[str | None, tuple[CustomRule, ...]] = {None: policy.returns.rules}
        for seller, overlay in policy.overlays.items():
            if any(rule.seller for rule in overlay.returns.rules):
                sets[seller] = overlay.returns.rules
        return sets

    def check(self, raw: Any) -> dict:
        return refund_facts(raw)

    def ruleset_key(self, facts: dict) -> str | None:
        return facts["seller_id"]

    def lookup(self, ctx: RefundContext, given: dict) -> dict:
        f = dict(given)
        orders = given["buyer_orders_90d"]
        f["buyer_return_rate"] = given["buyer_returns_90d"] / orders if orders else 0.0
        seller = given["seller_id"]
        overlay = ctx.overlays.get(seller) if seller is not None else None
        f.update(table_values(overlay if overlay is not None else ctx.returns, f))
        if overlay is not None:
            marketplace = table_values(ctx.returns, f)
            f["seller_values"] = {name for name in ("returnable", "window_days", "fee_spec") if marketplace[name] != f[name]}
            if "fee_spec" in f["seller_values"]:
                f["seller_values"].add("restocking_fee")
        return f

    def decision(self, ctx: RefundContext, spec: RuleSpec, f: dict, given: dict, version: str) -> Decision:
        custom = spec.custom
        fee_spec = custom.fee if custom is not None and custom.fee is not None else f["fee_spec"]
        refund_amount, fee = refund_amounts(spec.outcome, f["price"], fee_spec, custom.refund_rate if custom else None)
        values = {name: _PLACEHOLDERS[name](f, refund_amount, fee, fee_spec, spec) if name in _PLACEHOLDERS
                  else show("refund", name, f.get(name)) for name in spec.fields}
        text = spec.template.format_map(values)
        if custom is not None and custom.seller is not None:
            details: dict[str, Any] = {"source": f"seller {custom.seller}"}
        elif "seller_values" in f and any(name in f["seller_values"] for name in spec.uses):
            details = {"source": f"seller {f['seller_id']}"}
        else:
            details = {"source": "marketplace"}
        if spec.outcome == "keep_item_refund":
            details["keeps_item"] = True
        dated = f["dated"]
        if dated:
            notes = {}
            for name in spec.uses:
                hit = dated.get(name) or (dated.get(f"window_days:{f['window_source']}") if name == "window_days" and f["window_source"] else None)
                if hit is not None:
                    notes[name] = hit
            if notes:
                details["in_force"] = {name: start.isoformat() for name, (_, start) in notes.items()}
                text = in_force_note(text, [(_LABELS[n], _shown(n, v), start) for n, (v, start) in notes.items()],
                                     "requests", f["requested_on"])
        if "window_days" in spec.uses and spec.outcome in ("approve_return", "deny", "partial_refund"):
            if f["window_source"]:
                details["window"] = f["window_source"]
                text = f"{text.rstrip()} The {words(f['window_source'])} window of {f['window_days']} days applies."
            elif "seller_values" in f and "window_days" in f["seller_values"]:
                text = f"{text.rstrip()} Seller {f['seller_id']}'s own return window of {f['window_days']} days applies."
        if "seller_values" in f and spec.custom is None:
            if "restocking_fee" in spec.uses and "restocking_fee" in f["seller_values"]:
                text = f"{text.rstrip()} Seller {f['seller_id']}'s own restocking fee applies."
            if "returnable" in spec.uses and "returnable" in f["seller_values"]:
                text = f"{text.rstrip()} Seller {f['seller_id']} accepts returns of this category."
        return Decision(
            kind="refund",
            outcome=spec.outcome,
            reason=spec.reason,
            rule=spec.cited,
            explanation=cite(text, spec.cited),
            policy_version=version,
            amounts={"refund_amount": refund_amount, "fee": fee},
            details=details,
            facts=given,
        )


TABLE = RefundTable()


class RefundProgram(Program):
    """The compiled refund rulesets of one policy version."""

    def __init__(self, policy: Policy):
        super().__init__(TABLE, policy)
