"""Located errors for the constructs of policy language 2, beyond the broken-policy corpus."""
from __future__ import annotations

import pytest
import yaml

from policy import DEFAULT_POLICY_PATH, PolicyErrors, load_policy_text

with open(DEFAULT_POLICY_PATH) as fh:
    BASE = fh.read()


def errors_of(extra: str, *, replace: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    text = BASE if replace is None else BASE.replace(*replace)
    with pytest.raises(PolicyErrors) as info:
        load_policy_text(text + extra, "p.yaml")
    return [(e.code, e.message) for e in info.value.errors]


def codes(extra: str, **kw) -> list[str]:
    return [code for code, _ in errors_of(extra, **kw)]


CLAIM_RULES = "  rules:\n"
TIER_AT = ("  tiers:\n", "  rules:\n{rules}  tiers:\n")


def claim_rules(*rules: str) -> tuple[str, str]:
    return ("  deny_late_auto_refunds: true\n", "  deny_late_auto_refunds: true\n  rules:\n" + "".join(rules))


def tier_rules(*rules: str) -> tuple[str, str]:
    return ("  tiers:\n", "  rules:\n" + "".join(rules) + "  tiers:\n")


def rule(id: str, priority: int, when: str, then: str) -> str:
    return f"    - {{id: {id}, priority: {priority}, when: {when}, then: {then}}}\n"


def test_claim_rules_cannot_take_a_builtin_priority_or_fire_after_an_earlier_rule_that_covers_them():
    found = codes("", replace=claim_rules(rule("a", 300, "{a_to_z_claim: true}", "{outcome: deny, reason: x}"),
                                          rule("b", 150, "{fulfilled_by: marketplace}", "{outcome: deny, reason: x}"),
                                          rule("c", 160, "{fulfilled_by: marketplace, a_to_z_claim: true}", "{outcome: deny, reason: y}")))
    assert found == ["duplicate-priority", "unreachable"]


def test_tier_rules_name_real_tiers_and_are_checked_for_reachability():
    found = errors_of("", replace=tier_rules(rule("a", 10, "{orders_90d: {lt: 30}}", "{tier: platinum, reason: x}"),
                                             rule("b", 20, "{orders_90d: {lt: 10}}", "{tier: free, reason: y}"),
                                             rule("c", 30, "{cpu: {lt: 0.01, gt: 0.02}}", "{tier: free, reason: z}")))
    assert [c for c, _ in found] == ["bad-value", "unreachable", "unreachable"]
    assert "did you mean" in found[0][1] or "platinum" in found[0][1]


@pytest.mark.parametrize("when, code", [
    ("{buyer_country: de}", "bad-value"),                       # countries are upper case
    ("{delivered_on: {between: [2026-03-01, 2026-02-01]}}", "unreachable"),
    ("{delivered_on: {before: 2026-13-01}}", "bad-date"),
    ("{delivered_on: {yearly: [11-01]}}", "wrong-type"),
    ("{product_tags: {contains: Final-Sale}}", "bad-name"),
    ("{buyer_return_rate: {gt: high}}", "wrong-type"),
    ("{order_total: {lt: 0}}", "unreachable"),
    ("{buyer_return_rate: {gt: 1}}", "unreachable"),
    ("{reimbursement: 3}", "unknown-key"),
    ("{units: {gt: 3}}", "wrong-kind"),
])
def test_refund_conditions_on_new_facts(when, code):
    extra = ("  deny_late_auto_refunds: true\n", "  deny_late_auto_refunds: true\n")
    text = BASE.replace("  rules:\n    - id: opened_software\n", "  rules:\n" + rule("r", 160, when, "{outcome: escalate, reason: x}")
                        + "    - id: opened_software\n")
    with pytest.raises(PolicyErrors) as info:
        load_policy_text(text, "p.yaml")
    assert [e.code for e in info.value.errors] == [code], info.value
    del extra


@pytest.mark.parametrize("then, code", [
    ("{outcome: keep_item_refund, reason: x}", "missing-key"),
    ("{outcome: approve_return, reason: x, refund_rate: 0.3}", "bad-value"),
    ("{outcome: partial_refund, reason: x, fee_rate: 0.1, fee: {fixed: 5}}", "bad-value"),
    ("{outcome: partial_refund, reason: x, fee: {fixed: 5.555}}", "bad-value"),
    ("{outcome: partial_refund, reason: x, fee: {min: 9, max: 3}}", "min-above-max"),
    ("{outcome: deny, reason: x, fee: {fixed: 5}}", "bad-value"),
])
def test_refund_rule_amounts(then, code):
    text = BASE.replace("  rules:\n    - id: opened_software\n", "  rules:\n" + rule("r", 160, "{category: toys}", then)
                        + "    - id: opened_software\n")
    with pytest.raises(PolicyErrors) as info:
        load_policy_text(text, "p.yaml")
    assert [e.code for e in info.value.errors] == [code], info.value


def test_dated_values_need_a_from_after_the_first_and_dates_in_order():
    found = codes("", replace=("    max_price: 15\n", "    max_price:\n      - {value: 15}\n      - {value: 10}\n"))
    assert found == ["missing-key"]
    doc = yaml.safe_load(BASE)
    assert doc["returns"]["returnless"]["max_price"] == 15


def test_a_dated_value_loads_with_its_dates():
    policy = load_policy_text(BASE.replace("    max_price: 15\n", "    max_price:\n      - {value: 15}\n      - {from: 2026-02-16, value: 10}\n"))
    entries = policy.returns.returnless_max_price.entries
    assert [(str(d) if d else None, str(v)) for d, v in entries] == [(None, "15"), ("2026-02-16", "10")]
