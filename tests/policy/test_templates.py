"""Explanation templates: what `check` accepts renders as written for values of the declared kinds; `render` never raises and stays bounded."""
from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import templates
from policy.templates import MAX_RENDERED, MAX_WIDTH, TEXT, WHOLE_NUMBER, check, render
from policy.vocabulary import EXPLANATION_KINDS
from rules.refund import _PLACEHOLDERS

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = {"price": TEXT, "days": WHOLE_NUMBER}
VALUES = st.fixed_dictionaries({"price": st.text(max_size=30), "days": st.integers(0, 10**12)})

# Format specs as an operator (or an attacker) might write them: every part of the mini-language.
SPECS = st.builds(
    lambda fill, align, sign, alt, zero, width, group, precision, kind: fill + align + sign + alt + zero + width + group + precision + kind,
    st.sampled_from(["", "*", "0", "{", "}", " "]), st.sampled_from(["", "<", ">", "^", "="]), st.sampled_from(["", "+", "-", " "]),
    st.sampled_from(["", "#"]), st.sampled_from(["", "0"]),
    st.one_of(st.just(""), st.integers(0, 60).map(str), st.integers(10**5, 10**9).map(str)),
    st.sampled_from(["", ",", "_"]), st.one_of(st.just(""), st.integers(0, 12).map(lambda n: f".{n}"), st.just(".99999999")),
    st.sampled_from(["", "s", "d", "n", "x", "f", "e", "%", "c", "b", "o", "g", "r"]),
)


def test_the_kinds_match_what_the_engine_puts_in_each_placeholder():
    facts = {"category": "toys", "category_label": "toys", "price": 12, "days_since_delivery": 3, "reason": "defective",
             "condition": "used", "buyer_returns_90d": 1, "returnable": True, "seller_fault": True, "window_days": 30}

    class Rule:
        id, outcome = "r", "deny"

    for name, kind in EXPLANATION_KINDS.items():
        value = _PLACEHOLDERS[name](facts, 1, 1, 1, Rule)
        assert isinstance(value, int if kind == WHOLE_NUMBER else str), (name, value)


@SETTINGS
@given(spec=SPECS, name=st.sampled_from(["price", "days"]), values=VALUES)
def test_an_accepted_spec_renders_exactly_and_a_refused_one_never_breaks_a_decision(spec, name, values):
    template = f"a {{{name}:{spec}}} b"
    problems = check(template, KINDS)
    out = render(template, values)
    assert len(out) <= MAX_RENDERED
    if not problems:
        assert out == template.format_map(values)  # what the operator wrote, not a fallback
        assert len(out) <= len(template) + max(MAX_WIDTH, len(str(values[name])) + 20)
    else:  # refused at load time; should one reach a decision anyway, it still renders, bounded
        assert len(out) <= len(template) + max(MAX_WIDTH, len(str(values[name])) + 20)


@SETTINGS
@given(text=st.text(max_size=60), values=st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=5), st.integers(), st.none())))
def test_rendering_any_text_with_any_values_never_raises_and_is_bounded(text, values):
    assert len(render(text, values)) <= MAX_RENDERED


@pytest.mark.parametrize("template", ["{price:>1000000}", "{price:^99999999}", "{days:0999999d}", "{days:,>500000}"])
def test_a_huge_width_that_slipped_past_the_check_is_dropped_at_render_time(template):
    assert check(template, KINDS)
    assert render(template, {"price": "$1.00", "days": 3}) in ("$1.00", "3")


def test_a_wrong_type_code_at_render_time_falls_back_to_the_plain_value():
    assert render("{days:d} days, {price:s}", {"days": "three", "price": 5}) == "three days, 5"


def test_output_is_capped():
    out = render("{price}" * 3, {"price": "x" * 1500})
    assert len(out) == MAX_RENDERED and out.endswith("…")


@pytest.mark.parametrize("template, problem", [
    ("{price:>1000000}", "{price:>1000000}: the width 1000000 is over the limit of 40"),
    ("{price:.99}", "{price:.99}: the precision 99 is over the limit of 10"),
    ("{price:d}", "{price:d}: the type code 'd' does not fit text (use s, or leave it out)"),
    ("{days:s}", "{days:s}: the type code 's' does not fit whole number (use d or n, or leave it out)"),
    ("{days:.2}", "{days:.2}: Precision not allowed in integer format specifier (the value is whole number)"),
    ("{price:+}", "{price:+}: Sign not allowed in string format specifier (the value is text)"),
    ("{price!r}", "{price!r}: conversions are not allowed; write {price}"),
    ("{price:{days}}", "{price:{days}}: not a format spec (e.g. >12 to right-align in 12 characters)"),
    ("{price.__class__}", "{price.__class__} is not a fact it can show"),
    ("{0}", "{0} is not a fact it can show"),
    ("{pirce}", "{pirce} is not a fact it can show (did you mean 'price'?)"),
    ("{price", "expected '}' before end of string; write {{ and }} for literal braces"),
])
def test_check_names_each_problem(template, problem):
    assert check(template, KINDS) == [problem]


@pytest.mark.parametrize("template", ["{price:>12}", "{days:05d}", "{days:,}", "{price:.3}", "{days:=^40n}", "{{literal}} {price}"])
def test_check_accepts_bounded_specs_that_fit(template):
    assert check(template, KINDS) == []


def test_fields_lists_the_names_used():
    assert templates.fields("{days:3d} {price} {price:>4} {{x}} {0} {a.b}") == ("days", "price")
    assert [n for _, n, _, _ in string.Formatter().parse("{price}") if n] == ["price"]


def test_a_decision_shows_a_checked_spec_as_written():
    from policy import load_policy_text
    from rules import compile_policy

    from .minimal import edit

    rule = ("  rules:\n    - id: late_apparel\n      priority: 150\n      when: {category: apparel, days_since_delivery: {gt: 3}}\n"
            "      then: {outcome: deny, reason: late, explanation: 'Delivered {days_since_delivery:03d} days ago, price [{price:>9}]'}\n")
    compiled = compile_policy(load_policy_text(edit("rewards:\n", rule + "rewards:\n"), "p.yaml"))
    try:
        decision = compiled.decide_refund({"category": "apparel", "price": 20, "days_since_delivery": 7, "reason": "no_longer_needed",
                                           "condition": "unopened", "buyer_returns_90d": 0})
    finally:
        compiled.close()
    assert decision.explanation == "Delivered 007 days ago, price [   $20.00] (rule late_apparel)."
