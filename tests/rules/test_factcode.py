"""The generated fact checkers give exactly the full checker's facts, or step aside (None) so it reports the errors."""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from rules import FactsError
from rules.factcode import cents, float_cents
from rules.facts import _FAST, _FULL, fast_checker_knowing

from . import generate

BAD = [None, "x", "", -1, -0.5, 1.005, 1.5, 3.0, True, False, [], {}, ["final_sale", "BAD"], ["photo", "photo"], ["member"],
       "2026-13-01", "2026-02-30", "2026-01-01\n", "S1\n", 10**13, 100001, float("nan"), float("inf"), -0.0, 0.0, "ABC", "de", "12.34",
       Decimal("-1"), Decimal("1.001"), Decimal("NaN"), Decimal("sNaN"), Decimal("-0"), Decimal("5"), "a" * 70, 0, date(2026, 1, 1),
       "2026-01-01", ("gift",), ["gift"] * 101, [3], 7]


def _variants(rng: random.Random, facts: dict) -> list:
    out = [facts, {k: (Decimal(repr(v)) if type(v) is float else date.fromisoformat(v) if type(v) is str and v[:2] == "20" else v)
                   for k, v in facts.items()}]
    for _ in range(6):
        bad = dict(facts)
        for _ in range(rng.choice([1, 1, 2])):
            pick = rng.random()
            if pick < 0.2 and bad:
                del bad[rng.choice(list(bad))]
            elif pick < 0.3:
                bad[rng.choice(["pricee", "returnable", "cap_left", "vtr", 7])] = 1
            elif bad:
                bad[rng.choice(list(bad))] = rng.choice(BAD)
        out.append(bad)
    return out


def _full(kind: str, facts):
    try:
        return _FULL[kind](facts)
    except FactsError as exc:
        return exc


@pytest.mark.parametrize("kind", ["refund", "claim", "tier"])
def test_the_fast_checker_gives_the_full_checkers_facts_or_steps_aside(default_policy, kind):
    rng = random.Random(kind)
    requests = {"refund": generate.refund_requests(default_policy, 1500) + generate.refund_requests2(default_policy, 1500),
                "claim": generate.claim_requests(default_policy, 1500) + generate.claim_requests2(default_policy, 1500),
                "tier": generate.tier_requests(1500) + generate.tier_requests2(1500)}[kind]
    fast_ones = stepped_aside = 0
    for facts in requests:
        for variant in _variants(rng, facts):
            fast, full = _FAST[kind](variant), _full(kind, variant)
            if fast is None:
                stepped_aside += 1
                continue
            fast_ones += 1
            assert not isinstance(full, FactsError), (variant, full)
            # the same facts in the same order, each of the same type (Decimals with the same exponent)
            assert list(fast.items()) == list(full.items()), variant
            assert [(type(v), str(v)) for v in fast.values()] == [(type(v), str(v)) for v in full.values()], variant
    assert fast_ones > 5000 and stepped_aside > 5000, (fast_ones, stepped_aside)


def test_a_checker_knowing_a_policys_ids_gives_the_full_checkers_facts_or_steps_aside(default_policy):
    # SKUs and sellers of the policy's tables are taken as ids without the memo of checked ids; others are checked as ever
    known = {"sku": {f"SKU-{i}": () for i in range(40)}, "seller_id": {"S1": None, "S9": None}}
    fast_check = fast_checker_knowing("refund", known)
    assert fast_checker_knowing("refund", {"sku": {}, "seller_id": {}}) is _FAST["refund"]
    rng = random.Random(8)
    ids = ["SKU-1", "SKU-39", "SKU-40", "S1", "S9", "S2", "S1\n", "", "-x", "a" * 65, "é", 7, None]
    fast_ones = 0
    for facts in generate.refund_requests2(default_policy, 1500):
        for variant in _variants(rng, {**facts, "sku": rng.choice(ids), "seller_id": rng.choice(ids)}):
            fast, full = fast_check(variant), _full("refund", variant)
            assert fast is None or _FAST["refund"](variant) == fast
            if fast is not None:
                fast_ones += 1
                assert not isinstance(full, FactsError) and list(fast.items()) == list(full.items()), variant
    assert fast_ones > 1000, fast_ones


def test_float_amounts_are_parsed_as_cents_parses_them_also_when_remembered():
    rng = random.Random(5)
    known: dict = {}
    parse = float_cents(known)
    amounts = [round(rng.uniform(0, 5000), 2) for _ in range(6000)] + [rng.uniform(0, 100) for _ in range(600)]
    amounts += [0.0, -0.0, 1e9, 1e9 + 1, -0.01, 0.001, 0.1 + 0.2, 1e-300, 19.99, 0.07]
    for amount in amounts + amounts:  # the second time from the memo
        want, got = cents(amount), parse(amount)
        assert (want is None and got is None) or (str(got), got.as_tuple()) == (str(want), want.as_tuple()), amount
    assert known and -0.0 not in known
