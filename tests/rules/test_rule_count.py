"""The rule count of every compiled rule set is independent of the number of products, sellers and dated values
(categories: tests/rules/test_engine.py): those are table lookups done before the engine sees the event."""
from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from policy import DEFAULT_POLICY_PATH, load_policy
from rules import compile_policy

from .test_seed_examples import CLAIM, REFUND, TIER

FINAL_SALE_RULE = {"id": "final_sale", "priority": 110, "when": {"product_tags": {"contains": "final_sale"}, "seller_fault": False},
                   "then": {"outcome": "deny", "reason": "final_sale"}}
SELLER_RULE = {"id": "keep_it", "priority": 455, "when": {"reason": "not_as_described", "price": {"lte": 80}},
               "then": {"outcome": "keep_item_refund", "reason": "keep_item", "refund_rate": 0.3}}


def _dated(first, later):
    return [{"value": first}] + [{"from": f"2026-{month:02d}-01", "value": later if month % 2 else first} for month in range(1, 13)]


def _write(home, *, skus: int, sellers: int, dated: bool) -> str:
    """The default policy with a final-sale rule, `skus` tagged products and `sellers` overlays (three of them with a
    rule of their own), its windows, fees, thresholds and claim window dated when `dated`."""
    with open(DEFAULT_POLICY_PATH) as fh:
        doc = yaml.safe_load(fh)
    doc["version"] = f"count-{skus}-{sellers}-{dated}"
    doc["returns"]["rules"].append(FINAL_SALE_RULE)
    doc["products"] = {f"SKU-{i}": ["final_sale"] if i % 2 else ["gift"] for i in range(skus)}
    if dated:
        doc["returns"]["default_window_days"] = _dated(30, 45)
        doc["returns"]["returnless"]["max_price"] = _dated(15, 10)
        doc["returns"]["escalation"]["min_price"] = _dated(500, 400)
        doc["rewards"]["fee_per_unit"] = _dated(0.5, 0.25)
        doc["claims"]["filing_window_days"] = _dated(60, 30)
    overlays = home / "sellers"
    overlays.mkdir()
    if sellers:
        doc["sellers"] = {"directory": "sellers"}
    for i in range(sellers):
        overlay = {"seller": f"S{i}", "version": f"s{i}", "returns": {"categories": {"apparel": {"window_days": 30 + i % 60}}}}
        if i < 3:
            overlay["returns"]["rules"] = [SELLER_RULE]
        (overlays / f"S{i}.yaml").write_text(yaml.safe_dump(overlay))
    path = home / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def _sizes(compiled) -> dict[str, dict]:
    """Rules per rule set of each kind: {kind: {rule set key: count}}."""
    return {kind: {key: len(rules) for key, (_, rules) in program.rulesets.items()} for kind, program in compiled.programs.items()}


@pytest.fixture(scope="module")
def small_and_large(tmp_path_factory):
    small = compile_policy(load_policy(_write(tmp_path_factory.mktemp("small"), skus=1, sellers=3, dated=False)))
    large = compile_policy(load_policy(_write(tmp_path_factory.mktemp("large"), skus=10_000, sellers=300, dated=True)))
    yield small, large
    small.close()
    large.close()


def test_products_sellers_and_dated_values_add_no_rules(small_and_large):
    small, large = small_and_large
    assert len(large.policy.product_tags) == 10_000 and len(large.policy.overlays) == 300
    sizes, expected = _sizes(large), _sizes(small)
    assert sizes == expected  # per kind: the marketplace's rule set and one per seller whose overlay has rules, no more
    assert set(sizes["refund"]) == {None, "S0", "S1", "S2"}
    assert sizes["refund"]["S0"] == sizes["refund"][None] + 1  # the seller's own rule
    assert max(n for kind in sizes.values() for n in kind.values()) < 30


def test_the_lookups_still_decide(small_and_large):
    _, large = small_and_large
    assert large.decide_refund({**REFUND, "sku": "SKU-9999", "requested_on": "2026-06-15"}).rule == "final_sale"
    assert large.decide_refund({**REFUND, "sku": "SKU-9998", "requested_on": "2026-06-15"}).rule != "final_sale"
    # seller S250's overlay gives apparel 30 + 250 % 60 = 40 days; the marketplace's apparel window is 30
    apparel = {**REFUND, "category": "apparel", "days_since_delivery": 35, "requested_on": "2026-06-15"}
    assert large.decide_refund({**apparel, "seller_id": "S250"}).details["source"] == "seller S250"
    assert large.decide_refund({**apparel, "seller_id": "S250"}).outcome != "deny"
    assert large.decide_refund(apparel).rule == "outside_window"
    assert large.decide_refund({**REFUND, "seller_id": "S1", "reason": "not_as_described", "price": 40,
                                "requested_on": "2026-06-15"}).rule == "S1/keep_it"
    # dated values: the claim window in force on the refund date (60 in even months' periods, 30 in odd ones)
    late = {**CLAIM, "days_since_refund": 40, "filed_on": "2026-04-15"}  # refunded 2026-03-06: 30 days
    assert large.decide_claim(late).rule == "filing_window"
    assert large.decide_claim(late).details["in_force"] == {"filing_window_days": "2026-03-01"}
    assert large.decide_claim({**late, "filed_on": "2026-03-15"}).outcome == "approve"  # refunded 2026-02-03: 60 days
    silver = {**TIER, "contacts": 150}  # CPU 15%: silver, 30% off the base fee, which is 0.25 in odd months' periods, else 0.50
    may, june = large.decide_tier({**silver, "as_of": "2026-05-15"}), large.decide_tier({**silver, "as_of": "2026-06-15"})
    assert (may.amounts["fee_per_unit"], june.amounts["fee_per_unit"]) == (Decimal("0.175"), Decimal("0.35"))


def test_the_longest_window_bounds_every_window_a_request_gets(small_and_large):
    _, large = small_and_large
    assert large.longest_window_days == 30 + 59  # seller S59's apparel window (30 + i % 60), above the dated 45 days
    apparel = {**REFUND, "category": "apparel", "requested_on": "2026-06-15"}
    assert max(large.longest_refund_window({**apparel, "seller_id": f"S{i}"}) for i in range(300)) == large.longest_window_days
