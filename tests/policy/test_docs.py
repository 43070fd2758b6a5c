"""docs/policy.md stays true to the code: its example loads and its rule tables match the engine."""
from __future__ import annotations

import re
from pathlib import Path

from policy import load_policy_text
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
