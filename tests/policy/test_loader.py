"""Every class of policy error is reported with its exact location, and all errors come at once."""
from __future__ import annotations

import pytest

from policy import PolicyErrors, load_policy, load_policy_text
from policy.yamlsafe import MAX_DEPTH

from .minimal import MINIMAL, edit

RULES = """\
  rules:
    - id: r1
      priority: 150
      when: {category: apparel}
      then: {outcome: deny, reason: x}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(PolicyErrors) as info:
        load_policy_text(text, "p.yaml")
    return [str(e) for e in info.value.errors]


def with_rules(rules: str) -> str:
    return edit("rewards:\n", rules + "rewards:\n")


def two_rules(earlier: str, later: str) -> str:
    """MINIMAL with rule r1 (priority 150) when `earlier`, then r2 (priority 160) when `later`."""
    return with_rules(f"  rules:\n    - id: r1\n      priority: 150\n      when: {earlier}\n      then: {{outcome: deny, reason: x}}\n"
                      f"    - id: r2\n      priority: 160\n      when: {later}\n      then: {{outcome: deny, reason: y}}\n")


def test_minimal_policy_loads():
    policy = load_policy_text(MINIMAL, "p.yaml")
    assert policy.label == "t1"
    assert policy.returns.category("sleeping_bags").returnable is False
    assert policy.returns.category("unlisted").window_days == 30


def test_version_is_label_plus_content_hash():
    a = load_policy_text(MINIMAL, "p.yaml")
    b = load_policy_text(MINIMAL + "# a comment changes the hash\n", "p.yaml")
    assert a.version.startswith("t1+") and len(a.version) == len("t1+") + 12
    assert a.version != b.version and a.label == b.label


def test_default_policy_loads(default_policy):
    assert default_policy.label == "2026.11-1"
    assert {r.id for r in default_policy.returns.rules} == {"opened_software", "damaged_batteries"}


@pytest.mark.parametrize("text, expected", [
    ("version: [unclosed\n", "p.yaml:2:1: yaml-syntax:"),
    ("a: &x 1\nb: 2\n", "p.yaml:1:4: yaml-anchor: anchors (&name) are not allowed in a policy file"),
    ("a: 1\nb: *x\n", "p.yaml:2:4: yaml-alias:"),
    ("a: !!python/object:os.system {}\n", "p.yaml:1:4: yaml-tag: the tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"),
    ("a: !custom 3\n", "p.yaml:1:4: yaml-tag:"),
    ("a: 1\na: 2\n", "p.yaml:2:1: duplicate-key: (document): the key 'a' appears twice"),
    ("a: b\x07\n", "p.yaml:1:5: yaml-character: the character U+0007 is not allowed in YAML"),
    ("- 1\n- 2\n", "p.yaml:1:1: wrong-type: a policy must be a mapping of sections, found a list"),
    ("", "p.yaml:1:1: wrong-type: a policy must be a mapping of sections, found an empty file"),
    ("# a list, after comments\n\n- 1\n", "p.yaml:3:1: wrong-type: a policy must be a mapping of sections, found a list"),
    ("# text\nplain words\n", "p.yaml:2:1: wrong-type: a policy must be a mapping of sections, found text"),
    ("a: [1, 2\nb: 3\n", "p.yaml:2:2: yaml-syntax: while parsing a flow sequence started at line 1, column 4: expected ',' or ']', but got ':'"),
    ('a: "open\nb: 3\n', "p.yaml:3:1: yaml-syntax: while scanning a quoted scalar started at line 1, column 4: found unexpected end of stream"),
    ("a: Note: x\n", "p.yaml:1:8: yaml-syntax: mapping values are not allowed here (quote a value that contains ': ', "
                     "or check this line's indentation against the line above)"),
    ("a: !!int 15.5\n", "p.yaml:1:4: yaml-value: a: '15.5' can't be read as !!int"),
    ("a: !!float cheap\n", "p.yaml:1:4: yaml-value: a: 'cheap' can't be read as !!float"),
    ("a: !!bool maybe\n", "p.yaml:1:4: yaml-value: a: 'maybe' can't be read as !!bool"),
    ("a: 0x_\n", "p.yaml:1:4: yaml-value: a: '0x_' can't be read as !!int"),
    ("a:\n  0x_: 1\n", "p.yaml:2:3: yaml-value: a key: '0x_' can't be read as !!int"),
    ("a: " + "9" * 5000 + "\n", "p.yaml:1:4: yaml-value: a: a number written with 5000 characters is too large"),
    ("2026-11-31: a date that does not exist\n", "p.yaml:1:1: unknown-key: 2026-11-31: unknown key '2026-11-31'"),
])
def test_yaml_level_errors(text, expected):
    assert any(e.startswith(expected) for e in errors(text)), errors(text)


def test_nesting_past_the_depth_limit():
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    assert errors(deep) == [f"p.yaml:1:{MAX_DEPTH + 3}: yaml-depth: nesting is deeper than {MAX_DEPTH} levels"]


def test_alias_bomb_is_refused_before_expansion():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
    assert errors(bomb) == ["p.yaml:1:4: yaml-anchor: anchors (&name) are not allowed in a policy file"]


def test_oversized_file(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(MINIMAL + "#" * 2_000_000)
    with pytest.raises(PolicyErrors) as info:
        load_policy(str(path))
    assert str(info.value).startswith(f"{path}:1:1: file-too-large:")


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"version: t\n# caf\xe9\n")
    with pytest.raises(PolicyErrors) as info:
        load_policy(str(path))
    assert str(info.value) == f"{path}:2:1: file-encoding: the file is not valid UTF-8"


def test_missing_file(tmp_path):
    with pytest.raises(PolicyErrors) as info:
        load_policy(str(tmp_path / "nope.yaml"))
    assert "file-unreadable: No such file or directory" in str(info.value)


@pytest.mark.parametrize("old, new, expected", [
    ('version: "t1"', "version: 3",
     "p.yaml:1:10: wrong-type: version: expected text, got a whole number (quote it to make it text)"),
    ("  default_window_days: 30", "  default_window_dayz: 30",
     "p.yaml:3:3: unknown-key: returns.default_window_dayz: unknown key 'default_window_dayz' (did you mean 'default_window_days'?)"),
    ("    apparel: {window_days: 30}", "    apparel: {window_days: -3}",
     "p.yaml:5:28: out-of-range: returns.categories.apparel.window_days: -3 is negative; the minimum is 0"),
    ("  returnless: {max_price: 15}", "  returnless: {max_price: -0.01}",
     "p.yaml:9:27: out-of-range: returns.returnless.max_price: -0.01 is negative; the minimum is 0"),
    ("  seller_fault_reasons: [defective]", "  seller_fault_reasons: [defectiv]",
     "p.yaml:7:26: bad-value: returns.seller_fault_reasons[0]: 'defectiv' is not one of no_longer_needed, defective, "
     "damaged_in_transit, wrong_item, not_as_described, not_received (did you mean 'defective'?)"),
    ("  seller_fault_reasons: [defective]", "  seller_fault_reasons: [defective, defective]",
     "p.yaml:7:37: duplicate-item: returns.seller_fault_reasons[1]: 'defective' is listed twice"),
    ("    apparel: {window_days: 30}", "    Apparel: {window_days: 30}",
     "p.yaml:5:5: bad-name: returns.categories.Apparel: 'Apparel' must be lower-case letters, digits and underscores, starting with a letter"),
    ("  restocking_fee: {used: 0.5}", "  restocking_fee: {usd: 0.5}",
     "p.yaml:8:20: unknown-key: returns.restocking_fee.usd: unknown key 'usd'; expected one of unopened, opened, used, damaged (did you mean 'used'?)"),
    ("  escalation: {min_price: 500, min_buyer_returns_90d: 6}", "  escalation: {min_price: 500}",
     "p.yaml:10:3: missing-key: returns.escalation: the key 'min_buyer_returns_90d' is required"),
    ("  fee_per_unit: 0.5", "  fee_per_unit: cheap",
     "p.yaml:13:17: wrong-type: rewards.fee_per_unit: expected a number, got text"),
    ("  low_volume: {min_units: 100, treat_as: not_eligible}", "  low_volume: {min_units: 100, treat_as: fre}",
     "p.yaml:15:42: bad-value: rewards.low_volume.treat_as: treat_as 'fre' is neither not_eligible nor a tier name (did you mean 'free'?)"),
    ("    - {name: standard, discount: 0}", "    - {name: standard, max_cpu: 0.03, discount: 0}",
     "p.yaml:18:33: overlapping-tiers: rewards.tiers[1].max_cpu: tier standard has max_cpu 0.03, not above free's 0.05: list tiers best first"),
    ("    - {name: standard, discount: 0}", "    - {name: free, discount: 0}",
     "p.yaml:18:14: duplicate-id: rewards.tiers[1].name: tier name 'free' is already used by tiers[0]"),
    ("    - {name: free, max_cpu: 0.05, discount: 1.0}", "    - {name: free, discount: 1.0}",
     "p.yaml:17:7: missing-key: rewards.tiers[0]: tier free: only the last tier may leave out max_cpu"),
    ("    - {name: standard, discount: 0}", "    - {name: standard, discount: 1.5}",
     "p.yaml:18:34: out-of-range: rewards.tiers[1].discount: 1.5 is too large; the maximum is 1"),
    ("    returned_damaged: {return: received, evidence: [photo]}", "    returned_damaged: {return: recieved, evidence: [photo]}",
     "p.yaml:22:32: bad-value: claims.reasons.returned_damaged.return: 'recieved' is not one of received, not_received, any (did you mean 'received'?)"),
    ("    returned_damaged: {return: received, evidence: [photo]}", "    returned_damage: {}",
     "p.yaml:22:5: unknown-key: claims.reasons.returned_damage: unknown key 'returned_damage'; expected one of return_not_received, "
     "returned_damaged, different_item_returned, refunded_non_returnable, delivered_not_received (did you mean 'returned_damaged'?)"),
    ("  filing_window_days: 30", "  filing_window_days: 10\n  extra: 1",
     "p.yaml:21:3: unknown-key: claims.extra: unknown key 'extra'; expected one of filing_window_days, deny_late_auto_refunds, reasons"),
    ("    returned_damaged: {return: received, evidence: [photo]}", "    returned_damaged: {min_days_since_refund: 31}",
     "p.yaml:22:47: unreachable: claims.reasons.returned_damaged.min_days_since_refund: claims for returned_damaged must wait 31 days, "
     "past the 30-day filing window, so none can be approved"),
])
def test_schema_and_semantic_errors_have_exact_locations(old, new, expected):
    found = errors(edit(old, new))
    assert expected in found, found


def test_missing_section_is_reported_at_the_document():
    found = errors(MINIMAL.split("claims:")[0])
    assert found == ["p.yaml:1:1: missing-key: (document): the key 'claims' is required"]


@pytest.mark.parametrize("rule_change, expected", [
    (("priority: 150", "priority: 300"),
     "p.yaml:13:17: duplicate-priority: returns.rules[0].priority: priority 300 is taken by the built-in rule high_value"),
    (("id: r1", "id: high_value"), "p.yaml:12:11: reserved-id: returns.rules[0].id: rule id 'high_value' is a built-in rule's id"),
    (("{category: apparel}", "{category: aparel}"),
     "p.yaml:14:24: bad-value: returns.rules[0].when.category: category 'aparel' is not known (did you mean 'apparel'?); "
     "declare it under returns.categories first"),
    (("{category: apparel}", "{price: {gt: 100, lt: 50}}"),
     "p.yaml:14:13: unreachable: returns.rules[0].when: rule r1 can never fire: its conditions contradict each other"),
    (("{category: apparel}", "{days_since_delivery: {gt: 3, lt: 4}}"),
     "p.yaml:14:13: unreachable: returns.rules[0].when: rule r1 can never fire: its conditions contradict each other"),
    (("{category: apparel}", "{reason: {in: [defective], not_in: [defective]}}"),
     "p.yaml:14:13: unreachable: returns.rules[0].when: rule r1 can never fire: its conditions contradict each other"),
    (("{category: apparel}", "{category: {gt: apparel}}"),
     "p.yaml:14:29: bad-operator: returns.rules[0].when.category.gt: category can't be compared with gt; use eq, ne, in or not_in"),
    (("{category: apparel}", "{price: cheap}"), "p.yaml:14:21: wrong-type: returns.rules[0].when.price: price compares numbers; got 'cheap'"),
    (("{category: apparel}", "{returnable: [true]}"),
     "p.yaml:14:26: wrong-type: returns.rules[0].when.returnable: returnable is true or false, not a list"),
    (("{category: apparel}", "{colour: red}"),
     "p.yaml:14:14: unknown-key: returns.rules[0].when.colour: unknown key 'colour'; expected one of category, price, "
     "days_since_delivery, reason, condition, buyer_returns_90d, returnable, seller_fault, window_days"),
    (("{outcome: deny, reason: x}", "{outcome: partial_refund, reason: x}"),
     "p.yaml:15:13: missing-key: returns.rules[0].then: rule r1: a partial_refund needs then.fee_rate"),
    (("{outcome: deny, reason: x}", "{outcome: deny, reason: x, fee_rate: 0.1}"),
     "p.yaml:15:40: bad-value: returns.rules[0].then.fee_rate: rule r1: fee_rate only applies to partial_refund"),
    (("{outcome: deny, reason: x}", "{outcome: deny, reason: x, explanation: 'costs {prise}'}"),
     "p.yaml:15:53: bad-template: returns.rules[0].then.explanation: explanation: {prise} is not a fact it can show (did you mean 'price'?)"),
    (("{outcome: deny, reason: x}", "{outcome: deny, reason: x, explanation: 'costs {price.__class__}'}"),
     "p.yaml:15:53: bad-template: returns.rules[0].then.explanation: explanation: {price.__class__} is not a fact it can show"),
    (("{outcome: deny, reason: x}", "{outcome: deny, reason: x, explanation: 'brace {'}"),
     "p.yaml:15:53: bad-template: returns.rules[0].then.explanation: explanation: Single '{' encountered in format string; "
     "write {{ and }} for literal braces"),
])
def test_custom_rule_errors(rule_change, expected):
    found = errors(with_rules(RULES.replace(*rule_change)))
    assert any(e.startswith(expected) for e in found), found


def test_shadowed_rule_is_unreachable():
    second = RULES + "    - id: r2\n      priority: 160\n      when: {category: apparel, condition: used}\n      then: {outcome: deny, reason: y}\n"
    assert errors(with_rules(second)) == [
        "p.yaml:18:13: unreachable: returns.rules[1].when: rule r2 can never fire: rule r1 (priority 150) matches every request it would"
    ]


@pytest.mark.parametrize("earlier, later", [
    ("{condition: [opened, used]}", "{condition: used}"),
    ("{category: apparel}", "{category: apparel, price: {gt: 10}}"),
    ("{price: {gte: 100}}", "{price: {gt: 200, lt: 300}}"),
    ("{price: {gt: 100}}", "{price: [150, 200]}"),
    ("{price: {gt: 100}}", "{price: {gte: 100, ne: 100}}"),
    ("{days_since_delivery: {gt: 3}}", "{days_since_delivery: {gte: 4}}"),
    ("{buyer_returns_90d: {lt: 5}}", "{buyer_returns_90d: [0, 1, 2, 3, 4]}"),
    ("{buyer_returns_90d: [1, 2, 3]}", "{buyer_returns_90d: {gte: 1, lte: 3}}"),
    ("{category: {ne: sleeping_bags}}", "{category: apparel}"),
    ("{category: {not_in: [apparel]}}", "{category: {not_in: [apparel, sleeping_bags]}}"),
    ("{reason: {ne: defective}}", "{reason: [wrong_item, not_received]}"),
    ("{returnable: true}", "{returnable: {ne: false}}"),
    ("{reason: [no_longer_needed, defective, damaged_in_transit, wrong_item, not_as_described, not_received]}", "{condition: used}"),
])
def test_a_rule_covered_by_an_earlier_one_is_unreachable(earlier, later):
    assert errors(two_rules(earlier, later)) == [
        "p.yaml:18:13: unreachable: returns.rules[1].when: rule r2 can never fire: rule r1 (priority 150) matches every request it would"
    ]


@pytest.mark.parametrize("earlier, later", [
    ("{condition: [opened, used]}", "{condition: [used, damaged]}"),
    ("{price: {gt: 100}}", "{price: {gte: 100}}"),
    ("{price: {gt: 100}}", "{price: {gte: 100, ne: 100.5}}"),
    ("{days_since_delivery: {gt: 3}}", "{days_since_delivery: {gte: 3}}"),
    ("{buyer_returns_90d: [1, 2]}", "{buyer_returns_90d: {gte: 1, lte: 3}}"),
    ("{category: {ne: sleeping_bags}}", "{category: {ne: apparel}}"),
    ("{category: apparel}", "{category: {ne: sleeping_bags}}"),
    ("{price: {lt: 1000}}", "{category: apparel}"),
])
def test_a_rule_that_matches_more_than_the_earlier_one_is_reachable(earlier, later):
    policy = load_policy_text(two_rules(earlier, later), "p.yaml")
    assert [r.id for r in policy.returns.rules] == ["r1", "r2"]


def test_two_custom_rules_with_one_priority_are_named():
    second = RULES + "    - id: r2\n      priority: 150\n      when: {condition: used}\n      then: {outcome: deny, reason: y}\n"
    assert errors(with_rules(second)) == [
        "p.yaml:17:17: duplicate-priority: returns.rules[1].priority: priority 150 is taken by rule r1 (rules[0])"
    ]


def test_duplicate_rule_ids():
    second = RULES + "    - id: r1\n      priority: 160\n      when: {condition: used}\n      then: {outcome: deny, reason: y}\n"
    assert "p.yaml:16:11: duplicate-id: returns.rules[1].id: rule id 'r1' is already used by rules[0]" in errors(with_rules(second))


def test_too_many_condition_values_for_the_engine():
    values = ", ".join(str(i) for i in range(100))
    many = "  rules:\n" + "".join(
        f"    - id: r{i}\n      priority: {4 - i}\n      when: {{buyer_returns_90d: [{values}], price: {{gt: {i}}}}}\n"
        f"      then: {{outcome: deny, reason: x}}\n" for i in range(4))
    found = errors(with_rules(many))
    assert found == ["p.yaml:11:3: too-large: returns.rules: the custom rules have 404 condition values; the engine allows about 382: "
                     "move long lists into returns.categories settings"]


def test_all_errors_are_reported_at_once():
    text = edit("  default_window_days: 30", "  default_window_days: -1")
    text = edit("  fee_per_unit: 0.5", "  fee_per_unit: -2", text)
    text = edit("    returned_damaged: {return: received, evidence: [photo]}", "    returned_damaged: {evidence: [fotos]}", text)
    found = errors(text)
    assert [e.split(": ")[1] for e in found] == ["out-of-range", "out-of-range", "bad-value"]
    assert [e.split(":")[1] for e in found] == ["3", "13", "22"]


def test_semantic_errors_in_valid_sections_are_reported_with_schema_errors_elsewhere():
    text = edit("  fee_per_unit: 0.5", "  fee_per_unit: -2", with_rules(RULES.replace("priority: 150", "priority: 300")))
    codes = sorted(e.split(": ")[1] for e in errors(text))
    assert codes == ["duplicate-priority", "out-of-range"]


@pytest.mark.parametrize("old, new, expected", [
    ("  returnless: {max_price: 15}", "  returnless: {max_price: 15.999}",
     "p.yaml:9:27: bad-value: returns.returnless.max_price: 15.999 has more than 2 decimal places"),
    ("  fee_per_unit: 0.5", "  fee_per_unit: 0.12345",
     "p.yaml:13:17: bad-value: rewards.fee_per_unit: 0.12345 has more than 4 decimal places"),
    ("  returnless: {max_price: 15}", "  returnless: !!str {max_price: 15}",
     "p.yaml:9:15: yaml-tag: the tag 'tag:yaml.org,2002:str' does not fit a mapping"),
    ("    apparel: {window_days: 30}", "    no: {window_days: 30}",
     "p.yaml:5:5: wrong-type: returns.categories.False: the key False must be text (YAML reads yes/no/on/off/true/false as true or false: quote the key)"),
])
def test_money_decimals_contradictory_tags_and_boolean_keys(old, new, expected):
    assert expected in errors(edit(old, new)), errors(edit(old, new))
