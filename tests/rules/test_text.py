"""Explanations compiled per rule read exactly as the policy's template renderer writes them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from policy import templates
from rules.text import compiled_template, show, shower

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


@pytest.mark.parametrize("name, value", [
    ("price", Decimal("1234.5")), ("price", None), ("product_tags", ("final_sale", "gift")), ("product_tags", ()),
    ("a_to_z_claim", True), ("reason", "not_as_described"), ("days_since_delivery", 12), ("delivered_on", None),
    ("buyer_return_rate", 0.125), ("sku", "SKU-1"), ("no_such_fact", 3),
])
def test_a_facts_shower_shows_it_as_show_does(name, value):
    assert shower("refund", name)(value) == show("refund", name, value)
