"""The engine's command line: policy check, policy schema, decide over JSON Lines."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from bot.cli import main
from policy import DEFAULT_POLICY_PATH

from tests.rules.test_seed_examples import CLAIM, REFUND, TIER


def run(monkeypatch, capsys, argv, stdin: bytes = b""):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(*items) -> bytes:
    return b"".join((item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n" for item in items)


def test_policy_check_ok(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["policy", "check", DEFAULT_POLICY_PATH])
    assert code == 0
    assert out.startswith("ok: policy 2026.11-1+") and "rules refund 11, tier 8, claim 10 (2 custom)" in out
    assert out.count("\n") == 1


def test_policy_check_lists_every_error(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(DEFAULT_POLICY_PATH).read().replace("default_window_days: 30", "default_window_days: -30")
                   .replace("fee_per_unit: 0.50", "fee_per_unit: free"))
    code, out, err = run(monkeypatch, capsys, ["policy", "check", str(bad)])
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}:10:24: out-of-range: returns.default_window_days:")
    assert lines[1].startswith(f"{bad}:67:17: wrong-type: rewards.fee_per_unit:")
    assert "2 error(s)" in err


def test_policy_check_uses_the_configured_policy(monkeypatch, capsys, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"policy: {DEFAULT_POLICY_PATH}\n")
    code, out, _ = run(monkeypatch, capsys, ["--config", str(config), "policy", "check"])
    assert code == 0 and out.startswith("ok:")


def test_policy_schema_is_json(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["policy", "schema"])
    assert code == 0
    assert json.loads(out)["title"] == "refundbot policy"


@pytest.mark.parametrize("kind, facts, outcome", [("refund", REFUND, "approve_return"), ("tier", TIER, "eligible"), ("claim", CLAIM, "approve")])
def test_decide_each_kind(monkeypatch, capsys, kind, facts, outcome):
    code, out, _ = run(monkeypatch, capsys, ["decide", kind, "--policy", DEFAULT_POLICY_PATH], jsonl(facts))
    assert code == 0
    decision = json.loads(out)
    assert decision["kind"] == kind and decision["outcome"] == outcome and decision["policy_version"].startswith("2026.11-1+")


def test_decide_keeps_order_and_reports_bad_lines_without_stopping(monkeypatch, capsys):
    stdin = jsonl(
        {**REFUND, "category": "sleeping_bags", "price": 80, "days_since_delivery": 5},
        b"{not json",
        {**REFUND, "price": -4},
        b"   ",
        [1, 2],
        {**REFUND, "condition": "used"},
        b"\xff\xfe",
    )
    code, out, _ = run(monkeypatch, capsys, ["decide", "refund", "--policy", DEFAULT_POLICY_PATH], stdin)
    assert code == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert [r.get("outcome") or r["error"].split(":")[0] for r in results] == [
        "deny", "line 2", "line 3", "line 5", "partial_refund", "line 7"]
    assert results[2]["field"] == "price" and "price: must be between 0 and" in results[2]["error"]
    assert results[1]["line"] == 2 and "invalid JSON" in results[1]["error"]
    assert "JSON object" in results[3]["error"]


def test_decide_names_every_bad_field(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, ["decide", "tier", "--policy", DEFAULT_POLICY_PATH], jsonl({**TIER, "units": -1, "contact": 3}))
    result = json.loads(out)
    assert code == 1
    assert result["fields"] == ["contact", "units"]
    assert "did you mean 'contacts'" in result["error"]


def test_decide_with_a_broken_policy_fails_before_reading(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    code, out, err = run(monkeypatch, capsys, ["decide", "refund", "--policy", str(bad)], jsonl(REFUND))
    assert code == 1 and out == ""
    assert f"{bad}:1:10: wrong-type: version" in err


def test_bad_arguments_exit_2(monkeypatch, capsys):
    with pytest.raises(SystemExit) as info:
        run(monkeypatch, capsys, ["decide", "refunds"])
    assert info.value.code == 2
    assert "invalid choice: 'refunds'" in capsys.readouterr().err


def test_console_script_round_trip():
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "decide", "refund", "--policy", DEFAULT_POLICY_PATH],
                          input=jsonl(REFUND, REFUND), capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["outcome"] for line in proc.stdout.splitlines()] == ["approve_return", "approve_return"]


def test_decide_reports_a_number_python_cannot_convert_and_goes_on(monkeypatch, capsys):
    huge = b'{"category": "apparel", "price": ' + b"9" * 5000 + b"}"
    code, out, _ = run(monkeypatch, capsys, ["decide", "refund", "--policy", DEFAULT_POLICY_PATH], jsonl(huge, REFUND))
    first, second = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and first == {"error": "line 1: invalid JSON: a number has too many digits", "line": 1}
    assert second["outcome"] == "approve_return"
