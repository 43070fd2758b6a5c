"""The compiled engine agrees with the plain-Python reference evaluator on generated requests."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policy import DEFAULT_POLICY_PATH, load_policy
from rules import compile_policy

from . import generate, reference


def _mismatches(compiled, policy, kind, requests):
    evaluate = reference.EVALUATORS[kind]
    bad = []
    for facts in requests:
        got = compiled.decide(kind, facts)
        want = evaluate(policy, facts)
        if (got.rule, got.outcome, got.reason, dict(got.amounts)) != (want.rule, want.outcome, want.reason, want.amounts):
            bad.append((facts, (got.rule, got.outcome, dict(got.amounts)), want))
    return bad


@pytest.mark.parametrize("kind, make", [
    ("refund", lambda p: generate.refund_requests(p, 10_000)),
    ("tier", lambda p: generate.tier_requests(10_000)),
    ("claim", lambda p: generate.claim_requests(p, 10_000)),
])
def test_default_policy_matches_reference_on_10000_requests(engine, default_policy, kind, make):
    requests = make(default_policy)
    assert len(requests) == 10_000
    bad = _mismatches(engine, default_policy, kind, requests)
    assert not bad, f"{len(bad)} mismatches, first: {bad[0]}"


def test_every_default_rule_is_reached_by_the_generated_requests(engine, default_policy):
    fired = {engine.decide_refund(f).rule for f in generate.refund_requests(default_policy, 10_000)}
    fired |= {engine.decide_tier(f).rule for f in generate.tier_requests(10_000)}
    fired |= {engine.decide_claim(f).rule for f in generate.claim_requests(default_policy, 10_000)}
    every = {rule for ids in engine.rule_ids().values() for rule in ids}
    # The default policy covers every claim reason and caps no order, so only these can't fire.
    assert every - fired == {"not_covered", "order_cap_reached"}


def test_random_policies_with_custom_rules_match_reference():
    with open(DEFAULT_POLICY_PATH) as fh:
        base = yaml.safe_load(fh)
    total, custom_fired = 0, 0
    for seed in range(40):
        policy = generate.random_policy(seed, base)
        compiled = compile_policy(policy)
        try:
            requests = generate.refund_requests(policy, 500, seed=seed)
            bad = _mismatches(compiled, policy, "refund", requests)
            assert not bad, f"policy seed {seed}: {len(bad)} mismatches, first: {bad[0]}"
            custom_ids = {r.id for r in policy.returns.rules}
            custom_fired += sum(compiled.decide_refund(f).rule in custom_ids for f in requests)
            total += len(requests)
        finally:
            compiled.close()
    assert total == 20_000
    assert custom_fired > 1000  # the custom rules were really exercised


# -- policy language 2 ---------------------------------------------------------------------------

AMAZON = str(Path(DEFAULT_POLICY_PATH).with_name("amazon-2026.yaml"))


@pytest.fixture(scope="module")
def amazon():
    policy = load_policy(AMAZON)
    compiled = compile_policy(policy)
    yield policy, compiled
    compiled.close()


@pytest.mark.parametrize("kind, make", [
    ("refund", lambda p: generate.refund_requests2(p, 10_000)),
    ("tier", lambda p: generate.tier_requests2(10_000)),
    ("claim", lambda p: generate.claim_requests2(p, 10_000)),
])
def test_the_amazon_policy_with_its_overlay_matches_reference_on_10000_requests_with_every_fact(amazon, kind, make):
    policy, compiled = amazon
    requests = make(policy)
    assert len(requests) == 10_000
    bad = _mismatches(compiled, policy, kind, requests)
    assert not bad, f"{len(bad)} mismatches, first: {bad[0]}"
    rules = {compiled.decide(kind, f).rule for f in requests}
    assert len(rules) >= {"refund": 12, "tier": 5, "claim": 10}[kind], rules


def test_random_policies_with_every_new_construct_match_reference(tmp_path):
    with open(DEFAULT_POLICY_PATH) as fh:
        base = yaml.safe_load(fh)
    fired: dict[str, set[str]] = {"refund": set(), "tier": set(), "claim": set()}
    seller_rules = capped = dated = 0
    for seed in range(24):
        home = tmp_path / f"p{seed}"
        policy = generate.random_policy2(seed, base, home)
        compiled = compile_policy(policy)
        try:
            for kind, requests in (("refund", generate.refund_requests2(policy, 400, seed=seed)),
                                   ("claim", generate.claim_requests2(policy, 250, seed=seed)),
                                   ("tier", generate.tier_requests2(150, seed=seed))):
                bad = _mismatches(compiled, policy, kind, requests)
                assert not bad, f"policy seed {seed} ({home}), {kind}: {len(bad)} mismatches, first: {bad[0]}"
                for facts in requests:
                    decision = compiled.decide(kind, facts)
                    fired[kind].add(decision.rule.split("_")[0] if decision.rule[:2] in ("S1", "S9") else decision.rule)
                    seller_rules += "/" in decision.rule
                    capped += bool(decision.details.get("capped"))
                    dated += "in_force" in decision.details
        finally:
            compiled.close()
    # the new constructs were really exercised: seller rules, custom claim and tier rules, caps, dated values, extensions
    assert seller_rules > 100 and capped > 50 and dated > 1000, (seller_rules, capped, dated)
    assert any(r.startswith("claim_rule_") for r in fired["claim"]) and any(r.startswith("tier_rule_") for r in fired["tier"])
    assert "order_cap_reached" in fired["claim"]
