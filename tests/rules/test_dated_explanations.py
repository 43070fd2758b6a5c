"""A refund or tier decision that used a dated value says which one applied, in `in_force` and in its explanation
(claims: tests/rules/test_language2.py); before the value's `from` date nothing is added."""
from __future__ import annotations

import pytest

from policy import DEFAULT_POLICY_PATH, load_policy_text
from rules import compile_policy

from .test_seed_examples import REFUND, TIER

DATED = {
    "    apparel: {window_days: 30}": "    apparel:\n      window_days:\n        - {value: 30}\n        - {from: 2026-06-01, value: 20}\n"
                                       "      restocking_fee:\n        opened:\n          - {value: 0}\n          - {from: 2026-06-01, value: 0.1}",
    "  fee_per_unit: 0.50": "  fee_per_unit:\n    - {value: 0.50}\n    - {from: 2026-06-01, value: 0.40}",
}


@pytest.fixture(scope="module")
def dated():
    with open(DEFAULT_POLICY_PATH) as fh:
        text = fh.read()
    for old, new in DATED.items():
        assert old in text
        text = text.replace(old, new, 1)
    compiled = compile_policy(load_policy_text(text, "dated.yaml"))
    yield compiled
    compiled.close()


def test_a_dated_window_and_fee_are_named(dated):
    late = dated.decide_refund({**REFUND, "days_since_delivery": 25, "requested_on": "2026-06-15"})
    assert (late.rule, late.details["in_force"]) == ("outside_window", {"window_days": "2026-06-01"})
    assert "the return window of 20 days in force for requests from 2026-06-01 (the request date is 2026-06-15)" in late.explanation
    before = dated.decide_refund({**REFUND, "days_since_delivery": 25, "requested_on": "2026-05-31"})
    assert (before.rule, "in_force" in before.details, "in force" in before.explanation) == ("approve_return", False, False)
    fee = dated.decide_refund({**REFUND, "condition": "opened", "requested_on": "2026-06-15"})
    assert (str(fee.amounts["fee"]), fee.details["in_force"]) == ("4.00", {"restocking_fee": "2026-06-01"})
    assert "the restocking fee of 10% in force for requests from 2026-06-01" in fee.explanation


def test_a_dated_tier_fee_is_named(dated):
    standard = {**TIER, "contacts": 400}  # CPU 40%: the standard tier, no discount
    june, may = (dated.decide_tier({**standard, "as_of": day}) for day in ("2026-06-15", "2026-05-15"))
    assert (str(june.amounts["fee_per_unit"]), str(may.amounts["fee_per_unit"])) == ("0.4", "0.5")
    assert june.details.get("in_force") == {"fee_per_unit": "2026-06-01"} and "in force" in june.explanation
    assert "in_force" not in may.details


def test_in_force_notes_read_from_their_memo_are_the_same(dated):
    # The sentence part of a dated value is remembered by its (value, from) pair: a second decision reads it, and a
    # new compilation (new pairs, whose ids may be an old pair's) writes it again.
    import rules.refund as refund

    request = {**REFUND, "days_since_delivery": 25, "requested_on": "2026-06-15"}
    first, again = dated.decide_refund(request), dated.decide_refund(request)
    assert first == again and refund._NOTES
    stale = {key: (None, name, "stale", "stale") for key, (_, name, _, _) in refund._NOTES.items()}
    refund._NOTES.update(stale)  # entries whose pair is not the one looked up are written again
    assert dated.decide_refund(request) == first
    with open(DEFAULT_POLICY_PATH) as fh:
        text = fh.read()
    for old, new in DATED.items():
        text = text.replace(old, new, 1)
    other = compile_policy(load_policy_text(text, "dated.yaml"))
    try:
        assert other.decide_refund(request).explanation == first.explanation
    finally:
        other.close()
