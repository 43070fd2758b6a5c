"""The compiled engine agrees with the plain-Python reference evaluator on generated requests."""
from __future__ import annotations

import yaml
import pytest

from policy import DEFAULT_POLICY_PATH
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
