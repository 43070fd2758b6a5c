"""Explanations compiled per rule read exactly as the policy's template renderer writes them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from policy import templates
from rules.text import cite, compiled_template, show, shower

VALUES = {"price": "$1,234.50", "days": 7, "reason": "changed 100% of mind", "rule": "r1", "empty": ""}


@pytest.mark.parametrize("template", [
    "Items costing {price} or more are checked by a person.",
    "{days} days, {days} again; {reason} (100% sure, {{braces}} kept, %s and %d stay).",
    "No placeholders at all, 50% off.",
    "",
    "{price:>12} aligned, {days:03d} padded",  # format specs: the renderer's own path
    "{price!r} converted",  # conversions are shown without them
    "{0} and {price.real} are never evaluated",
    "unbalanced {price",
    "{reason}" + "x" * 2500,  # longer than the renderer allows
    "{empty}{rule}",
])
def test_compiled_templates_match_the_renderer(template):
    names = templates.fields(template)
    values = tuple((name, lambda a, b, name=name: VALUES[name]) for name in names)
    compiled = compiled_template(template, values, 2)
    assert compiled(None, None) == templates.render(template, {name: VALUES[name] for name in names})
    # the same as expressions over the arguments, and cited: the cited text, or None (then render and cite)
    expressions = tuple((name, f"VALUES[{name!r}]") for name in names)
    assert compiled_template(template, expressions, 2, env={"VALUES": VALUES})(None, None) == compiled(None, None)
    with_rule = compiled_template(template, expressions, 2, " (rule r1).", env={"VALUES": VALUES})
    if with_rule is not None and with_rule(None, None) is not None:
        assert with_rule(None, None) == cite(compiled(None, None), "r1")


@pytest.mark.parametrize("template, cited", [
    ("Items costing {price} or more are checked.", True), ("{days} days, no full stop", True), ("{reason}", False),
    ("{reason}" + "x" * 2500 + ".", True), ("trailing space. ", False), ("", False), ("{price:>12} aligned.", False),
])
def test_cited_templates_exist_when_the_ending_is_known(template, cited):
    names = templates.fields(template)
    expressions = tuple((name, f"VALUES[{name!r}]") for name in names)
    with_rule = compiled_template(template, expressions, 2, " (rule r1).", env={"VALUES": VALUES})
    assert (with_rule is not None) is cited
    if cited:
        rendered = templates.render(template, {name: VALUES[name] for name in names})
        assert with_rule(None, None) == (None if rendered.endswith("…") else cite(rendered, "r1"))  # too long: render, then cite


@pytest.mark.parametrize("name, value", [
    ("price", Decimal("1234.5")), ("price", None), ("product_tags", ("final_sale", "gift")), ("product_tags", ()),
    ("a_to_z_claim", True), ("reason", "not_as_described"), ("days_since_delivery", 12), ("delivered_on", None),
    ("buyer_return_rate", 0.125), ("sku", "SKU-1"), ("no_such_fact", 3),
])
def test_a_facts_shower_shows_it_as_show_does(name, value):
    assert shower("refund", name)(value) == show("refund", name, value)


def test_percent_of_equal_decimals_is_remembered_and_zeros_keep_their_sign():
    from rules.text import _percent, percent

    for rate in ("0.15", "0.150", "0.025", "0.5", "1", "0.333"):
        assert percent(Decimal(rate)) == percent(Decimal(rate)) == _percent(Decimal(rate)) == _percent(float(rate))
    assert (percent(Decimal("-0")), percent(Decimal("0")), percent(Decimal("0.00"))) == ("-0%", "0%", "0%")


def test_in_force_note_is_its_parts_in_one_sentence():
    from datetime import date

    from rules.text import in_force_note, in_force_part, with_in_force

    values = [("return window", "20 days", date(2026, 6, 1)), ("restocking fee", "10%", date(2026, 3, 1))]
    parts = [in_force_part(label, shown, "requests", start.isoformat()) for label, shown, start in values]
    assert in_force_note("Text. ", values, "requests", date(2026, 6, 15)) == with_in_force("Text. ", parts, "requests", date(2026, 6, 15)) == (
        "Text. This uses the return window of 20 days in force for requests from 2026-06-01 and the restocking fee of 10% "
        "in force for requests from 2026-03-01 (the request date is 2026-06-15).")
