"""The durable_rules wrapper: versioned names, freeing, fixed rule count, decisions as data."""
from __future__ import annotations

import json
import os
import threading

import pytest
import yaml

from policy import DEFAULT_POLICY_PATH, load_policy_text
from rules import EngineError, compile_policy
from rules.decision import jsonable
from rules.engine import CompiledRuleset

from .test_seed_examples import CLAIM, REFUND, TIER


def _default_doc() -> dict:
    with open(DEFAULT_POLICY_PATH) as fh:
        return yaml.safe_load(fh)


def test_the_same_policy_compiles_twice_side_by_side(default_policy):
    first, second = compile_policy(default_policy), compile_policy(default_policy)
    try:
        assert first.refund.ruleset.name != second.refund.ruleset.name
        assert first.decide_refund(REFUND) == second.decide_refund(REFUND)
    finally:
        first.close()
        second.close()


def test_a_closed_policy_refuses_to_decide(default_policy):
    compiled = compile_policy(default_policy)
    compiled.close()
    compiled.close()  # closing twice is harmless
    assert compiled.closed
    with pytest.raises(EngineError, match="freed"):
        compiled.decide_refund(REFUND)


def test_closing_frees_the_session_state_that_deciding_created(default_policy):
    """durable_rules' delete_ruleset alone leaves ~200 KiB per compiled policy behind once it has decided."""
    def rss_mib() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def cycle() -> None:
        compiled = compile_policy(default_policy)
        compiled.decide_refund(REFUND)
        compiled.decide_tier(TIER)
        compiled.decide_claim(CLAIM)
        compiled.close()

    for _ in range(20):
        cycle()
    before = rss_mib()
    for _ in range(300):
        cycle()
    assert rss_mib() - before < 15  # leaking, 300 cycles take ~60 MiB


def test_ruleset_names_carry_the_policy_version(engine):
    assert engine.refund.ruleset.name.startswith(f"refund@{engine.version}#")
    assert engine.tier.ruleset.name.startswith(f"tier@{engine.version}#")


def test_rule_count_does_not_grow_with_categories(engine):
    doc = _default_doc()
    doc["returns"]["categories"] = {f"cat{i}": {"window_days": i % 90, "returnable": i % 7 != 0} for i in range(2000)}
    doc["returns"]["rules"] = []
    big = compile_policy(load_policy_text(yaml.safe_dump(doc), "<big>"))
    try:
        assert len(big.rule_ids()["refund"]) == len(engine.rule_ids()["refund"]) - len(engine.policy.returns.rules)
        d = big.decide_refund({**REFUND, "category": "cat1999", "days_since_delivery": 30})
        assert (d.outcome, d.reason) == ("deny", "outside_window")  # window 1999 % 90 = 19
        d = big.decide_refund({**REFUND, "category": "cat1995"})  # 1995 % 7 == 0: not returnable
        assert d.reason == "non_returnable"
    finally:
        big.close()


def test_every_ruleset_has_a_catch_all():
    ruleset = CompiledRuleset("catch-all-test", {"only": {"pri": 1, "all": [{"m": {"x": 1}}]}})
    try:
        first_name = ruleset.name
        with pytest.raises(EngineError, match="no rule matched"):
            ruleset.fire('{"sid":"0","x":2}')
        # The failed event left nothing behind: the ruleset was rebuilt and the next event is decided.
        assert ruleset.name != first_name and ruleset.name.startswith("catch-all-test#")
        assert ruleset.fire('{"sid":"0","x":1}') == "only"
    finally:
        ruleset.close()


def test_decisions_from_many_threads_are_each_decided_once(engine):
    requests = [{**REFUND, "days_since_delivery": d % 60, "price": 5 + d % 900} for d in range(3000)]
    expected = [engine.decide_refund(r) for r in requests]
    results: list = [None] * len(requests)

    def work(start: int) -> None:
        for i in range(start, len(requests), 4):
            results[i] = engine.decide_refund(requests[i])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_decision_to_dict_is_plain_json(engine):
    out = engine.decide_tier(TIER).to_dict()
    assert json.loads(json.dumps(out)) == out
    assert list(out)[:5] == ["kind", "outcome", "reason", "rule", "policy_version"]
    assert out["advice"] and out["explanation"].endswith("(rule tier_free).")
    facts = jsonable(engine.decide_claim(CLAIM).facts)
    assert facts["refund_amount"] == 60.0 and facts["evidence"] == [] and json.loads(json.dumps(facts)) == facts


def test_custom_rule_explanations_fill_in_facts(engine):
    d = engine.decide_refund({**REFUND, "category": "batteries", "reason": "defective", "price": 30})
    assert d.rule == "damaged_batteries"
    assert "$30.00" in d.explanation and d.explanation.endswith("(rule damaged_batteries).")


def test_custom_rule_without_explanation_gets_a_default(default_policy):
    doc = _default_doc()
    doc["returns"]["rules"] = [{"id": "toys_review", "priority": 250, "when": {"category": "toys"},
                                "then": {"outcome": "escalate", "reason": "toy_safety"}}]
    compiled = compile_policy(load_policy_text(yaml.safe_dump(doc), "<custom>"))
    try:
        d = compiled.decide_refund({**REFUND, "category": "toys"})
        assert (d.rule, d.outcome, d.reason) == ("toys_review", "escalate", "toy_safety")
        assert "toys_review" in d.explanation and "escalate" in d.explanation
    finally:
        compiled.close()
