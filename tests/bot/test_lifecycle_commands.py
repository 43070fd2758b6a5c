"""`refundbot decisions show` and `refundbot policy replay` over a store with real decisions."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update

from bot.cli import main
from store.models import Decision


@pytest.fixture
def decided(alice, bob, outdoor, service, store_url, tmp_path):
    """Decisions of every kind in the store, and a config pointing at it."""
    alice.say("/refund O1-1")
    alice.tap("don't need it")
    alice.tap("Unopened")        # deny, non_returnable
    alice.say("/refund O2-1")
    alice.tap("don't need it")
    alice.tap("Used")            # partial_refund, fee $20
    bob.say("/refund O3-2")
    bob.tap("don't need it")
    bob.tap("Unopened")          # returnless_refund, low_value $9
    outdoor.say("/tier")
    outdoor.say("/claim RF4")
    outdoor.tap("The return never arrived")
    outdoor.tap("Submit claim")  # approve $40
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: {store_url}\n")
    return config


def edited_policy(policy_file, tmp_path, *changes):
    text = policy_file.read_text()
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "edited.yaml"
    path.write_text(text)
    return str(path)


def count_decisions(service) -> int:
    with service.store.read() as session:
        return session.scalar(select(func.count()).select_from(Decision))


def test_replay_of_the_same_policy_changes_nothing(decided, policy_file, capsys):
    assert main(["--config", str(decided), "policy", "replay", str(policy_file)]) == 0
    out = capsys.readouterr().out
    assert "Replayed 5 stored decisions" in out and "unchanged: 5" in out and "changed:   0" in out
    assert "Money impact: refund amounts $0.00, fees $0.00, reimbursements $0.00" in out


def test_replay_groups_changes_with_money_and_samples_and_writes_nothing(decided, policy_file, tmp_path, service, capsys):
    new = edited_policy(policy_file, tmp_path,
                        ("sleeping_bags: {returnable: false, label: sleeping bags}", "sleeping_bags: {label: sleeping bags}"),
                        ("used: 0.5", "used: 0.25"))
    before = count_decisions(service)
    assert main(["--config", str(decided), "policy", "replay", new, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert count_decisions(service) == before
    assert (report["decisions"], report["changed"], report["unchanged"]) == (5, 2, 3)
    groups = {(g["kind"], g["old"], g["new"]): g for g in report["groups"]}
    assert groups[("refund", "deny", "approve_return")]["money"] == {"refund_amount": 80.0, "fee": 0.0, "reimbursement": 0.0}
    assert groups[("refund", "partial_refund", "partial_refund")]["money"] == {"refund_amount": 10.0, "fee": -10.0, "reimbursement": 0.0}
    with service.store.read() as session:
        denied = session.scalar(select(Decision.id).where(Decision.outcome == "deny"))
    assert groups[("refund", "deny", "approve_return")]["samples"] == [denied]
    assert report["money"] == {"refund_amount": 90.0, "fee": -10.0, "reimbursement": 0.0}


def test_replay_text_report(decided, policy_file, tmp_path, capsys):
    new = edited_policy(policy_file, tmp_path, ("filing_window_days: 30", "filing_window_days: 15"))
    assert main(["--config", str(decided), "policy", "replay", new, "--kind", "claim"]) == 0
    out = capsys.readouterr().out
    assert "Replayed 1 stored decisions" in out
    assert "  claim: approve -> deny: 1; reimbursements -$40.00; e.g. D-" in out


def test_replay_since_a_later_day_sees_nothing(decided, policy_file, capsys):
    assert main(["--config", str(decided), "policy", "replay", str(policy_file), "--since", "2026-11-21"]) == 0
    assert "Replayed 0 stored decisions since 2026-11-21" in capsys.readouterr().out


def test_replay_reports_facts_it_can_no_longer_decide(decided, policy_file, service, capsys):
    with service.store.write() as session:
        victim = session.scalar(select(Decision.id).where(Decision.kind == "refund").limit(1))
        session.execute(update(Decision).where(Decision.id == victim).values(facts={"category": "apparel"}))
    assert main(["--config", str(decided), "policy", "replay", str(policy_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == 1 and report["failed_samples"][0].startswith(f"{victim}: price: is required")


def test_replay_refuses_a_broken_policy(decided, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    assert main(["--config", str(decided), "policy", "replay", str(bad)]) == 1
    assert "wrong-type: version" in capsys.readouterr().err


def test_decisions_show_prints_facts_rule_version_and_explanation(decided, service, capsys):
    with service.store.read() as session:
        decision_id = session.scalar(select(Decision.id).where(Decision.outcome == "partial_refund"))
    assert main(["--config", str(decided), "decisions", "show", decision_id]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Decision {decision_id} (refund), 2026-11-20T12:00:00+00:00 via telegram")
    assert "  policy version: 2026.11-1+" in out and "  rule:           restocking_fee" in out
    assert "  amounts:        refund amount $20.00, fee $20.00" in out
    assert "  about:          buyer_id B1, seller_id S1, order_item_id O2-1, refund_id RF-" in out
    assert '    condition: "used"' in out and "    price: 40.0" in out
    assert "50% restocking fee" in out
    assert main(["--config", str(decided), "decisions", "show", decision_id, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["id"] == decision_id and record["facts"]["condition"] == "used" and record["fee"] == 20.0


def test_decisions_show_unknown_id(decided, capsys):
    assert main(["--config", str(decided), "decisions", "show", "D-NOPE"]) == 1
    assert "no decision 'D-NOPE'" in capsys.readouterr().err
