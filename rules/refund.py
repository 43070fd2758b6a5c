"""Refund decisions: the returns section of a policy compiled into one first-hit ruleset."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from policy import templates
from policy.model import CustomRule, Policy
from policy.vocabulary import BUILTIN_REFUND_RULES

from .conditions import all_of, expression, literal, rule, same_event
from .decision import Decision
from .engine import CompiledRuleset
from .facts import CENT, refund_facts
from .text import cite, money, percent, words

ZERO = Decimal("0.00")
_BOOL = ("false", "true")


@dataclass(frozen=True, slots=True)
class RefundRule:
    """What a refund rule decides once it fires."""

    id: str
    outcome: str
    reason: str
    template: str
    fee_rate: Decimal | None = None  # fixed rate of a custom partial_refund; None: use the category table
    fields: tuple[str, ...] = ()  # the placeholders the template uses

    @classmethod
    def make(cls, id: str, outcome: str, reason: str, template: str, fee_rate: Decimal | None = None) -> "RefundRule":
        """A rule whose explanation formats only the placeholders it uses."""
        return cls(id, outcome, reason, template, fee_rate, templates.fields(template))


# How each explanation placeholder is computed from (facts, refund_amount, fee, rate, rule).
_PLACEHOLDERS: dict[str, Callable[[dict, Decimal, Decimal, Decimal, RefundRule], Any]] = {
    "category": lambda f, r, fee, rate, rule: f["category"],
    "category_label": lambda f, r, fee, rate, rule: f["category_label"],
    "Category_label": lambda f, r, fee, rate, rule: f["category_label"][:1].upper() + f["category_label"][1:],
    "price": lambda f, r, fee, rate, rule: money(f["price"]),
    "days_since_delivery": lambda f, r, fee, rate, rule: f["days_since_delivery"],
    "reason": lambda f, r, fee, rate, rule: words(f["reason"]),
    "condition": lambda f, r, fee, rate, rule: words(f["condition"]),
    "buyer_returns_90d": lambda f, r, fee, rate, rule: f["buyer_returns_90d"],
    "returnable": lambda f, r, fee, rate, rule: "yes" if f["returnable"] else "no",
    "seller_fault": lambda f, r, fee, rate, rule: "yes" if f["seller_fault"] else "no",
    "window_days": lambda f, r, fee, rate, rule: f["window_days"],
    "refund_amount": lambda f, r, fee, rate, rule: money(r),
    "fee": lambda f, r, fee, rate, rule: money(fee),
    "fee_rate": lambda f, r, fee, rate, rule: percent(rate),
    "rule": lambda f, r, fee, rate, rule: rule.id,
    "outcome": lambda f, r, fee, rate, rule: words(rule.outcome),
}


# Plain-language explanations of the built-in rules, with their outcome and reason code.
BUILTIN = {
    "non_returnable": ("deny", "non_returnable",
                       "{Category_label} can't be returned for a reason like \"{reason}\", so this refund is declined."),
    "outside_window": ("deny", "outside_window",
                       "{Category_label} can be returned within {window_days} days of delivery and this item was delivered "
                       "{days_since_delivery} days ago, so this refund is declined."),
    "high_value": ("escalate", "high_value",
                   "Items costing {min_price} or more are checked by a person, so a member of our team will review this request."),
    "serial_returner": ("escalate", "serial_returner",
                        "This account has {buyer_returns_90d} returns in the last 90 days, so a member of our team will review this request."),
    "non_returnable_seller_fault": ("returnless_refund", "non_returnable_seller_fault",
                                    "{Category_label} can't be sent back, but the item is \"{reason}\", so you get {refund_amount} "
                                    "and keep the item."),
    "not_received": ("returnless_refund", "not_received",
                     "The item never reached you, so you get {refund_amount} and there is nothing to send back."),
    "low_value": ("returnless_refund", "low_value",
                  "For items of {max_price} or less a return costs more than the item, so you get {refund_amount} and keep it."),
    "restocking_fee": ("partial_refund", "restocking_fee",
                       "An item returned {condition} for a reason that is not the seller's fault carries a {fee_rate} restocking fee, "
                       "so you get {refund_amount} back ({fee} fee) once the return arrives with the prepaid label."),
    "approve_return": ("approve_return", "return_approved",
                       "Your return is approved: send the item back with the prepaid label and you get {refund_amount} back."),
}
assert set(BUILTIN) == {name for name, _ in BUILTIN_REFUND_RULES}

_DEFAULT_CUSTOM = "This request matches the seller's rule {rule}, so the outcome is: {outcome}."


def _amounts(outcome: str, price: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(refund_amount, fee) for an outcome."""
    if outcome in ("approve_return", "returnless_refund"):
        return price, ZERO
    if outcome == "partial_refund":
        fee = (price * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        return price - fee, fee
    return ZERO, ZERO


class RefundProgram:
    """The compiled refund ruleset of one policy version, plus the tables looked up before it runs."""

    def __init__(self, policy: Policy):
        r = policy.returns
        self.version = policy.version
        self._returns = r
        self._seller_fault = r.seller_fault_reasons
        self._context = {
            "min_price": money(r.escalation_min_price),
            "max_price": money(r.returnless_max_price),
        }
        conditions = {
            "non_returnable": all_of([{"returnable": False}, {"seller_fault": False}]),
            "outside_window": {"$gt": {"days_since_delivery": same_event("window_days")}},
            "high_value": {"$gte": {"price": literal(r.escalation_min_price)}},
            "serial_returner": {"$gte": {"buyer_returns_90d": r.escalation_min_returns_90d}},
            "non_returnable_seller_fault": {"returnable": False},
            "not_received": {"reason": "not_received"},
            "low_value": {"$lte": {"price": literal(r.returnless_max_price)}},
            "restocking_fee": all_of([{"$gt": {"restocking_rate": 0}}, {"seller_fault": False}]),
            "approve_return": {"$ex": {"price": 1}},  # catch-all: every request has a price
        }
        definition: dict[str, Any] = {}
        self.rules: dict[str, RefundRule] = {}
        for name, priority in BUILTIN_REFUND_RULES:
            outcome, reason, template = BUILTIN[name]
            definition[name] = rule(priority, conditions[name])
            self.rules[name] = RefundRule.make(name, outcome, reason, template)
        for custom in r.rules:
            definition[custom.id] = rule(custom.priority, all_of(expression(c) for c in custom.conditions))
            self.rules[custom.id] = self._custom(custom)
        self.order = tuple(sorted(definition, key=lambda k: definition[k]["pri"]))
        self.ruleset = CompiledRuleset(f"refund@{policy.version}", definition)

    @staticmethod
    def _custom(custom: CustomRule) -> RefundRule:
        return RefundRule.make(custom.id, custom.outcome, custom.reason, custom.explanation or _DEFAULT_CUSTOM, custom.fee_rate)

    def lookup(self, facts: dict) -> dict:
        """The request's facts plus the policy table values the rules test."""
        category = self._returns.category(facts["category"])
        return {
            **facts,
            "returnable": category.returnable,
            "seller_fault": facts["reason"] in self._seller_fault,
            "window_days": category.window_days,
            "restocking_rate": category.restocking_fee[facts["condition"]],
            "category_label": category.label,
        }

    def decide(self, raw: Any) -> Decision:
        """Decide one refund request (see rules.facts.REFUND_FIELDS); raises FactsError on bad facts."""
        given = refund_facts(raw)
        f = self.lookup(given)
        # Facts are validated (category is a code, reason and condition are enum words, numbers are
        # Decimals or ints), so the event can be written directly; json.dumps would double the cost.
        event = (
            f'{{"sid":"0","category":"{f["category"]}","price":{f["price"]},'
            f'"days_since_delivery":{f["days_since_delivery"]},"reason":"{f["reason"]}",'
            f'"condition":"{f["condition"]}","buyer_returns_90d":{f["buyer_returns_90d"]},'
            f'"returnable":{_BOOL[f["returnable"]]},"seller_fault":{_BOOL[f["seller_fault"]]},'
            f'"window_days":{f["window_days"]},"restocking_rate":{f["restocking_rate"]}}}'
        )
        fired = self.rules[self.ruleset.fire(event)]
        rate = fired.fee_rate if fired.fee_rate is not None else f["restocking_rate"]
        refund_amount, fee = _amounts(fired.outcome, f["price"], rate)
        return Decision(
            kind="refund",
            outcome=fired.outcome,
            reason=fired.reason,
            rule=fired.id,
            explanation=cite(self._explain(fired, f, refund_amount, fee, rate), fired.id),
            policy_version=self.version,
            amounts={"refund_amount": refund_amount, "fee": fee},
            facts=given,
        )

    def _explain(self, fired: RefundRule, f: dict, refund_amount: Decimal, fee: Decimal, rate: Decimal) -> str:
        values = {name: self._context[name] if name in self._context else _PLACEHOLDERS[name](f, refund_amount, fee, rate, fired)
                  for name in fired.fields}
        return templates.render(fired.template, values)

    def close(self) -> None:
        """Free the compiled ruleset."""
        self.ruleset.close()
