"""One compiler for every decision kind: a new kind is a table of built-in rules, lookups and a decision hook."""
from __future__ import annotations

from types import SimpleNamespace

from rules.compiler import TABLES, CompiledPolicy
from rules.decision import Decision
from rules.program import KindTable, RuleSpec, placeholders


class ExchangeTable(KindTable):
    """A fourth kind, as a table only: exchanging an item for another size."""

    kind = "exchange"
    event_types = {"stock": "count", "days": "days"}
    OUT = "We have no {size} left, so we can't exchange it."
    SWAP = "We will send size {size} in exchange."

    def context(self, policy):
        return SimpleNamespace(stock={"S": 0, "M": 3}, window=policy.returns.default_window_days)

    def builtins(self, ctx):
        return [
            RuleSpec("too_late", 100, "deny", "too_late", "Exchanges are within {days} days.", {"$gt": {"days": ctx.window}},
                     fields=("days",)),
            RuleSpec("out_of_stock", 200, "deny", "out_of_stock", self.OUT, {"$lte": {"stock": 0}}, fields=placeholders(self.OUT)),
            RuleSpec("exchange", 900, "approve", "exchange", self.SWAP, {"$ex": {"stock": 1}}, fields=placeholders(self.SWAP)),
        ]

    def custom_rules(self, policy):
        return {None: ()}

    def check(self, raw):
        return {"size": str(raw["size"]), "days": int(raw["days"])}

    def lookup(self, ctx, given):
        return {**given, "stock": ctx.stock.get(given["size"], 0)}

    def decision(self, ctx, spec, f, given, version):
        return Decision("exchange", spec.outcome, spec.reason, spec.cited, spec.template.format(**f), version, facts=given)


def test_a_fourth_kind_is_a_table(default_policy):
    compiled = CompiledPolicy(default_policy, {**TABLES, "exchange": ExchangeTable()})
    try:
        assert compiled.decide("exchange", {"size": "M", "days": 3}).rule == "exchange"
        assert compiled.decide("exchange", {"size": "S", "days": 3}).explanation == "We have no S left, so we can't exchange it."
        assert compiled.decide("exchange", {"size": "M", "days": 31}).rule == "too_late"
        assert compiled.rule_ids()["exchange"] == ("too_late", "out_of_stock", "exchange")
        assert compiled.decide_refund({"category": "apparel", "price": 40, "days_since_delivery": 3, "reason": "defective",
                                       "condition": "opened", "buyer_returns_90d": 0}).outcome == "approve_return"
    finally:
        compiled.close()


def test_long_in_and_not_in_lists_reach_the_core_as_one_membership_field():
    """The EU list of 27 countries is one boolean event field, not 27 alternatives the C core tests on every event."""
    from pathlib import Path

    from policy import load_policy
    from rules.conditions import condensed

    members: dict = {}
    assert condensed({"$and": [{"a": 1}, {"$or": [{"c": "DE"}, {"c": "FR"}, {"c": "IT"}]}]}, members) == {"$and": [{"a": 1}, {"c__in0": True}]}
    assert condensed({"$and": [{"$neq": {"c": "DE"}}, {"$neq": {"c": "FR"}}, {"$neq": {"c": "IT"}}]}, members) == {"c__in0": False}
    assert condensed({"$or": [{"c": "DE"}, {"c": "FR"}]}, members) == {"$or": [{"c": "DE"}, {"c": "FR"}]}  # two: left as they are
    assert condensed({"$or": [{"n": 1}, {"n": 2}, {"n": 3}]}, members) == {"$or": [{"n": 1}, {"n": 2}, {"n": 3}]}  # numbers too
    assert members == {("c", frozenset({"DE", "FR", "IT"})): "c__in0"}

    compiled = CompiledPolicy(load_policy(str(Path(__file__).resolve().parents[2] / "policy" / "amazon-2026.yaml")))
    try:
        assert '"DE"' not in compiled.refund.ruleset._definition
        final_sale = {"category": "apparel", "price": 40, "days_since_delivery": 3, "reason": "no_longer_needed", "condition": "unopened",
                      "buyer_returns_90d": 0, "product_tags": ["final_sale"]}
        assert compiled.decide_refund({**final_sale, "buyer_country": "DE"}).rule == "eu_withdrawal_final_sale"
        assert compiled.decide_refund({**final_sale, "buyer_country": "US"}).rule == "final_sale"
        assert compiled.decide_refund(final_sale).rule == "final_sale"
    finally:
        compiled.close()


def test_a_fee_charged_from_a_price_on_is_charged_exactly_where_the_fee_is_more_than_zero():
    """Refund lookups compare the price with `fee_from` instead of working out the fee on every request."""
    import random
    from decimal import Decimal as D

    from policy.model import Fee
    from rules.refund import CENT, fee_from

    rng = random.Random(3)
    fees = [Fee(D("0.1"), D(0), None, D(10)), Fee(D("0.4"), D(0), None, D(100)), Fee(D("0.001"), D(0)), Fee(D(0), D(5), None, None, D(20)),
            Fee(D(0), D(0)), Fee(D("0.15"), D(0), D(2), D(3), D(50)), Fee(D("0.0001")), Fee(D("0.05"), D(1), D(0), None, D("9.99"))]
    prices = [D(rng.randrange(10**9)) * CENT for _ in range(2000)] + [D(c) * CENT for c in range(6000)]
    for fee in fees:
        start = fee_from(fee)
        assert [p for p in prices if (fee.amount(p) > 0) != (p >= start)] == [], fee
