"""`refundbot policy test`: table-driven cases, failures with their line, unreached rules."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from policy import DEFAULT_POLICY_PATH, PolicyErrors
from rules.cases import run_cases

DEFAULT_CASES = str(Path(DEFAULT_POLICY_PATH).with_name("default.cases.yaml"))

CASES = """\
cases:
  - name: passes
    kind: refund
    facts: {category: apparel, price: 40, days_since_delivery: 10, reason: no_longer_needed, condition: unopened, buyer_returns_90d: 0}
    expect: {outcome: approve_return, refund_amount: 40.00}
  - name: wrong expectation
    kind: refund
    facts: {category: apparel, price: 40, days_since_delivery: 45, reason: no_longer_needed, condition: unopened, buyer_returns_90d: 0}
    expect: {outcome: approve_return, refund_amont: 40}
  - name: bad facts
    kind: tier
    facts: {shipments: -1}
    expect: {tier: free}
"""


def test_the_default_policy_passes_its_own_cases(engine):
    report = run_cases(engine, DEFAULT_CASES)
    assert report.total >= 30 and not report.failures
    # every claim reason is covered by the default policy, which caps no order
    assert report.unreached == {"claim": ["not_covered", "order_cap_reached"]}


def test_failures_name_the_case_line_and_what_differs(engine, tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text(CASES)
    report = run_cases(engine, str(path))
    assert (report.total, report.passed) == (3, 1)
    first, second = (str(f) for f in report.failures)
    assert first.startswith(f"{path}:6: case 'wrong expectation': expected outcome 'approve_return', got 'deny'; ")
    assert "a refund decision has no field 'refund_amont' (did you mean 'refund_amount'?)" in first
    assert first.endswith("decided by rule outside_window")
    assert second.startswith(f"{path}:10: case 'bad facts': invalid facts: ")
    assert "low_value" in report.unreached["refund"]


def test_a_malformed_cases_file_is_reported_with_locations(engine, tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n  - name: x\n    kind: refunds\n    facts: {}\n    expect: {}\n")
    with pytest.raises(PolicyErrors) as info:
        run_cases(engine, str(path))
    messages = [str(e) for e in info.value.errors]
    assert f"{path}:3:11: bad-value: cases[0].kind: 'refunds' is not one of refund, tier, claim (did you mean 'refund'?)" in messages
    assert any(m.startswith(f"{path}:5:13: too-few: cases[0].expect") for m in messages)


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["policy", "test", DEFAULT_POLICY_PATH, DEFAULT_CASES]) == 0
    out = capsys.readouterr().out
    assert "not reached by any case: claim: not_covered" in out and "cases passed" in out
    assert main(["policy", "test", DEFAULT_POLICY_PATH, DEFAULT_CASES, "--require-coverage"]) == 1
    path = tmp_path / "cases.yaml"
    path.write_text(CASES)
    assert main(["policy", "test", DEFAULT_POLICY_PATH, str(path)]) == 1
    assert "1 of 3 cases passed, 2 failed" in capsys.readouterr().out
