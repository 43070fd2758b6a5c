"""Bad facts are refused with every problem named by field; good facts are normalised."""
from __future__ import annotations

from decimal import Decimal

import pytest

from rules import FactsError

from .test_seed_examples import CLAIM, REFUND, TIER


def errors_of(call, facts):
    with pytest.raises(FactsError) as info:
        call(facts)
    return dict(info.value.errors)


def test_every_refund_field_error_is_reported_at_once(engine):
    bad = dict(category="Sleeping Bags", price=-1, days_since_delivery=2.5, reason="changed_mind", condition="new",
               buyer_returns_90d=True)
    errors = errors_of(engine.decide_refund, bad)
    assert set(errors) == set(REFUND)
    assert "did you mean" not in errors["condition"]
    assert "between 0 and" in errors["price"]


def test_unknown_and_missing_fields_are_named_with_a_suggestion(engine):
    facts = {k: v for k, v in REFUND.items() if k != "days_since_delivery"}
    facts["days_since_delivry"] = 3
    errors = errors_of(engine.decide_refund, facts)
    assert errors["days_since_delivery"] == "is required"
    assert "did you mean 'days_since_delivery'" in errors["days_since_delivry"]


@pytest.mark.parametrize("price, problem", [
    (19.999, "more than two decimal places"),
    ("abc", "amount of money"),
    (float("nan"), "finite"),
    (None, "amount of money"),
    (True, "amount of money"),
    (10**10, "between 0 and"),
])
def test_bad_prices(engine, price, problem):
    assert problem in errors_of(engine.decide_refund, {**REFUND, "price": price})["price"]


@pytest.mark.parametrize("price, expected", [(40, "40.00"), (19.99, "19.99"), ("19.90", "19.90"), (Decimal("7.5"), "7.50"), (12.0, "12.00")])
def test_prices_are_exact_decimals(engine, price, expected):
    d = engine.decide_refund({**REFUND, "price": price})
    assert d.facts["price"] == Decimal(expected) and str(d.facts["price"]) == expected


def test_facts_must_be_an_object(engine):
    assert "JSON object" in errors_of(engine.decide_refund, [1, 2])[""]


def test_tier_parts_cannot_exceed_their_totals(engine):
    errors = errors_of(engine.decide_tier, {**TIER, "valid_tracking": 1001, "prepaid_label_returns": 101})
    assert set(errors) == {"valid_tracking", "prepaid_label_returns"}


def test_tier_counts_must_be_whole_non_negative_numbers(engine):
    errors = errors_of(engine.decide_tier, {**TIER, "units": -1, "contacts": "4"})
    assert set(errors) == {"units", "contacts"}


def test_claim_return_delivery_must_match_return_received(engine):
    errors = errors_of(engine.decide_claim, {**CLAIM, "return_received": True, "days_since_return_delivered": None})
    assert "required when return_received is true" in errors["days_since_return_delivered"]
    errors = errors_of(engine.decide_claim, {**CLAIM, "return_received": False, "days_since_return_delivered": 3})
    assert "must be null" in errors["days_since_return_delivered"]


def test_claim_evidence_must_be_known_kinds(engine):
    errors = errors_of(engine.decide_claim, {**CLAIM, "evidence": ["photo", "fotos"]})
    assert "'fotos'" in errors["evidence"]
    assert "did you mean 'photo'" in errors["evidence"]


def test_claim_evidence_may_be_omitted(engine):
    facts = {k: v for k, v in CLAIM.items() if k not in ("evidence", "days_since_return_delivered")}
    assert engine.decide_claim(facts).outcome == "approve"


def _checked_money(value):
    """The full checker's amount: the reference the fast paths must reproduce exactly (value and exponent)."""
    from rules.facts import _Checker
    checker = _Checker("refund", {"price": value})
    before = len(checker.errors)  # the other facts are missing
    out = checker.money("price", None)
    return None if len(checker.errors) > before else out


def test_the_fast_money_path_gives_the_checkers_decimals():
    import random

    from rules.facts import _cents
    rng = random.Random(5)
    values = [0, 0.0, -0.0, 0.01, 0.1, 0.29, 1.005, 19.99, 19.999, 1e9, 1e9 + 0.01, 999999999.99, 123456.78, 2**31, -1, -0.01]
    values += [round(rng.uniform(0, 10 ** rng.randint(0, 9)), rng.choice((0, 1, 2, 2, 2, 3))) for _ in range(20_000)]
    values += [rng.uniform(0, 1e9) for _ in range(2_000)] + [rng.randint(0, 10**9) for _ in range(2_000)]
    for value in values:
        fast = _cents(value)
        if fast is not None:  # None: the checker decides
            want = _checked_money(value)
            assert want is not None and str(fast) == str(want) and fast.as_tuple() == want.as_tuple(), value


@pytest.mark.parametrize("field, value", [("reason", []), ("condition", {}), ("fulfilled_by", ["seller"]), ("category", {"a": 1})])
def test_unhashable_values_are_refused_by_field(engine, field, value):
    facts = {**REFUND, "seller_id": "S9", field: value}  # more than the seeds' six facts: the fast path of every fact
    assert field in errors_of(engine.decide_refund, facts)


def test_today_can_be_pinned_for_records_that_must_not_depend_on_the_day():
    from datetime import date, datetime, timezone

    from rules.facts import pin_today, today

    try:
        pin_today(date(2026, 11, 30))
        assert today() == date(2026, 11, 30)
    finally:
        pin_today(None)
    assert today() == datetime.now(timezone.utc).date()
