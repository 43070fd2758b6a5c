"""docs/policy.md stays true to the code: its example loads and its rule tables match the engine."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from policy import DEFAULT_POLICY_PATH, PolicyErrors, load_policy, load_policy_text
from policy.facts import FACTS
from policy.yamlsafe import parse
from policy.vocabulary import BUILTIN_REFUND_RULES
from rules import compile_policy

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text()


def _table_after(heading_text: str) -> list[tuple[str, str]]:
    """(priority, rule id) rows of the first table after `heading_text`."""
    section = DOC[DOC.index(heading_text):]
    return re.findall(r"^\| +(\d+\+?) \| `([a-z_<>]+)` \|", section, re.M)[:20]


def test_the_complete_example_loads_and_compiles():
    example = re.search(r"## A complete example\n\n```yaml\n(.*?)```", DOC, re.S).group(1)
    compiled = compile_policy(load_policy_text(example, "docs/policy.md"))
    try:
        assert compiled.decide_refund({"category": "software", "price": 30, "days_since_delivery": 2, "reason": "no_longer_needed",
                                       "condition": "opened", "buyer_returns_90d": 0}).rule == "opened_software"
    finally:
        compiled.close()


def test_refund_rule_table_matches_the_engine():
    rows = _table_after("**First hit.**")
    assert [(name, int(p)) for p, name in rows[: len(BUILTIN_REFUND_RULES)]] == list(BUILTIN_REFUND_RULES)


def test_claim_rule_table_matches_the_engine(engine):
    rows = _table_after("**Claim requests**")
    assert tuple(name for _, name in rows) == engine.rule_ids()["claim"]


def test_tier_rule_table_matches_the_engine(engine):
    rows = _table_after("**Tier requests**")
    fixed = tuple(name for _, name in rows[:3])
    assert fixed == engine.rule_ids()["tier"][:3]
    assert rows[3] == ("400+", "tier_<name>")
    assert all(r.startswith("tier_") for r in engine.rule_ids()["tier"][3:])


# -- policy language 2: the fact tables and every checked example --------------------------------

CHECK = re.compile(r"<!-- check: (refund|claim|tier) (\{.*?\}) => (\{.*?\}) -->")
ERROR = re.compile(r"<!-- error: ([a-z-]+) -->")
BLOCK = re.compile(r"((?:<!-- (?:check|error): .*? -->\n)+)```yaml\n(.*?)```", re.S)
DATE_OF = {"refund": "requested_on", "claim": "filed_on", "tier": "as_of"}
DOC_DAY = "2026-06-15"


def _merge(base, extra, key=None):
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{k: _merge(base[k], v, k) if k in base else v for k, v in extra.items()}}
    if key in ("rules", "window_extensions") and isinstance(base, list):
        return base + extra
    return extra


def _examples():
    found = []
    for headers, body in BLOCK.findall(DOC):
        checks = [(kind, json.loads(facts), json.loads(want)) for kind, facts, want in CHECK.findall(headers)]
        errors = ERROR.findall(headers)
        found.append((body, checks, errors))
    return found


EXAMPLES = _examples()


def _load_example(tmp_path, body: str):
    base = parse(Path(DEFAULT_POLICY_PATH).read_text(), "default").data
    fragment = parse(body, "docs/policy.md").data  # the policy loader's YAML: dates stay text
    if "seller" in fragment:
        base["sellers"] = {"directory": "sellers"}
        (tmp_path / "sellers").mkdir(exist_ok=True)
        (tmp_path / "sellers" / f"{fragment['seller']}.yaml").write_text(body)
    else:
        base = _merge(base, fragment)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False))
    return load_policy(str(path))


def test_the_fact_tables_list_every_fact_of_each_kind():
    for kind, facts in FACTS.items():
        section = DOC[DOC.index(f"<!-- facts: {kind} -->"):]
        names = re.findall(r"^\| `([a-z_0-9]+)` \|", section.split("\n\n")[0], re.M)
        assert names == list(facts), kind


def test_the_docs_have_checked_examples_of_every_construct():
    bodies = "".join(body for body, _, _ in EXAMPLES)
    for construct in ("contains:", "buyer_return_rate", "yearly:", "until:", "buyer_country:", "member", "fixed:", "min:",
                      "above_price:", "keep_item_refund", "max_per_order", "reimbursement_rate", "from: 2026-02-16",
                      "claims:\n  rules:", "rewards:\n  rules:", "seller: S9", "days_since_enrolment", "orders_90d"):
        assert construct in bodies, construct
    assert sum(len(checks) for _, checks, _ in EXAMPLES) >= 25
    assert {code for _, _, errors in EXAMPLES for code in errors} >= {"wrong-kind", "min-above-max", "out-of-range",
                                                                       "overlapping-dates", "bad-date", "below-floor"}


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_each_example_decides_or_fails_as_documented(tmp_path, index):
    body, checks, errors = EXAMPLES[index]
    if errors:
        with pytest.raises(PolicyErrors) as info:
            _load_example(tmp_path, body)
        assert set(errors) <= {e.code for e in info.value.errors}, info.value
        return
    compiled = compile_policy(_load_example(tmp_path, body))
    try:
        for kind, facts, want in checks:
            if DATE_OF[kind] not in facts and not (kind == "refund" and "requested_on" in facts):
                facts = {**facts, DATE_OF[kind]: DOC_DAY}
            got = compiled.decide(kind, facts).to_dict()
            assert {k: got.get(k) for k in want} == want, (facts, got)
    finally:
        compiled.close()
