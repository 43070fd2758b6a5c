"""The demo under Amazon's current program (policy/amazon-2026.yaml, as `make demo` runs it): each
construct of policy language 2 shows in a decision in the chat, on the day the demo is made."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.commands.store_cmd import seed_demo
from bot.config import LimitsConfig
from bot.policy_runtime import PolicyRuntime
from bot.service import ChatService
from policy import DEFAULT_POLICY_PATH
from store import get_decision, list_decisions, open_store
from store.models import Refund

from .conftest import linked

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
AMAZON = Path(DEFAULT_POLICY_PATH).with_name("amazon-2026.yaml")


@pytest.fixture
def amazon():
    runtime = PolicyRuntime(str(AMAZON))
    yield runtime
    runtime.stop()


@pytest.fixture
def demo(store, amazon) -> ChatService:
    """The demo's data made today, its history decided under the Amazon policy, and the chat on it."""
    with store.write() as session:
        seed_demo(session, amazon.live, TODAY)
    return ChatService(store, amazon, limits=LimitsConfig(messages_per_minute=1000, max_text_length=1000), clock=lambda: NOW)


def refund_of(service: ChatService, order_item_id: str) -> str:
    with service.store.read() as session:
        return session.scalars(select(Refund.id).where(Refund.order_item_id == order_item_id)).one()


def rule_of(service: ChatService, reply: str) -> str:
    """The rule of the decision a reply names on its last line (buyers read the rule's words, not its id)."""
    decision_id = re.search(r"[Dd]ecision (D-[A-Z0-9]+)", reply)[1]
    with service.store.read() as session:
        return get_decision(session, decision_id=decision_id).rule


def ask_refund(chat, item: str, reason: str, condition: str) -> str:
    chat.say(f"/refund {item}")
    whole_line = [label for label in chat.buttons if label.startswith("All ")]
    if whole_line:  # a line of several units: the request is about all of them
        chat.tap(whole_line[0])
    chat.tap(reason)
    if condition:
        chat.tap(condition)
    return chat.text.replace("\n", " / ")


def test_buyers_meet_each_rule_of_the_amazon_program(demo):
    greta = linked(demo, 701, "buyer", "B7")  # Germany
    # The EU right of withdrawal: a final-sale dress delivered 8 days ago goes back; a final-sale scarf 20 days ago does not.
    assert "Why: The EU right of withdrawal gives you 14 days from delivery, final sale or not" in ask_refund(
        greta, "O9701-1", "don't need it", "Unopened")
    assert rule_of(demo, greta.text) == "eu_withdrawal_final_sale"
    refused = ask_refund(greta, "O9702-1", "don't need it", "Unopened")
    assert "Sorry, this refund can't be approved." in refused and rule_of(demo, refused) == "final_sale"
    assert 'Final-sale items can\'t be returned for a reason like "no longer needed"' in refused
    # A holiday-period order: software (7 days) delivered 20 days ago, past the EU's 14 days too.
    holiday = ask_refund(greta, "O9704-1", "don't need it", "Unopened")
    assert "Your return is approved." in holiday and "The holiday returns window of 82 days applies" in holiday

    ivy = linked(demo, 709, "buyer", "B9")  # a member, in the US
    member = ask_refund(ivy, "O9903-1", "don't need it", "Unopened")  # S1's boots, 45 days ago
    assert "Your return is approved." in member and "The member window of 60 days applies" in member
    assert rule_of(demo, member) == "approve_return"
    assert rule_of(demo, ask_refund(ivy, "O9902-1", "don't need it", "Unopened")) == "final_sale"  # final sale outside the EU

    hugo = linked(demo, 708, "buyer", "B8")  # France, buying from S9, whose overlay applies
    kept = ask_refund(hugo, "O9801-2", "not as described", "Opened, unused")  # a $12 beanie
    assert "You'll get part of the price back and can keep the item." in kept
    assert "Keep the item and get $12.00 (30%) back from S9; there is nothing to send back" in kept
    assert rule_of(demo, kept) == "S9/keep_it_small_complaints"
    fee = ask_refund(hugo, "O9801-1", "don't need it", "Used")  # S9's lower fee for used items: 10%
    assert "Refund: $135.00 (price $150.00, restocking fee $15.00)" in fee and "Seller S9's own restocking fee applies" in fee
    with demo.store.read() as session:
        sources = {d.rule: d.result["source"] for d in list_decisions(session, buyer_id="B8", kind="refund")}
    assert sources["S9/keep_it_small_complaints"] == "seller S9" and sources["restocking_fee"] == "seller S9"


def test_seller_s9_claims_what_safe_t_covers_and_is_told_why_not(demo):
    s9 = linked(demo, 790, "seller", "S9")

    def claim(item: str, why: str) -> str:
        s9.say(f"/claim {refund_of(demo, item)}")
        s9.tap(why)
        s9.photo(f"photo-{item}")
        s9.tap("Submit claim")
        return s9.text

    denied = claim("O9055-1", "came back damaged")
    assert "A-to-z Guarantee claim on this order, so SAFE-T does not reimburse it" in denied and rule_of(demo, denied) == "a_to_z_claim"
    denied = claim("O9056-1", "came back damaged")
    assert "The marketplace fulfilled this order, so SAFE-T does not apply" in denied and rule_of(demo, denied) == "marketplace_fulfilled"
    denied = claim("O9058-1", "came back damaged")
    assert "this refund was issued by you, so it is denied" in denied and rule_of(demo, denied) == "refund_issuer"
    capped = claim("O9057-2", "different item")  # the order's other coat was reimbursed $2,800 already
    assert "Reimbursement: $2,200.00" in capped and "the rest of the $5,000.00 cap on this order" in capped


def test_seller_s9_is_free_for_its_first_90_days_in_csba(demo):
    s9 = linked(demo, 790, "seller", "S9")
    s9.say("/tier")
    assert "You enrolled 40 days ago and CSBA is free for the first 90 days" in s9.text


def test_claims_either_side_of_the_safet_change_were_decided_by_the_window_in_force(demo):
    """The demo's claims on refunds of 2026-02-10 and 2026-02-18, each filed 40 days after the return came back."""
    s9 = linked(demo, 790, "seller", "S9")
    s9.say("/claims")
    assert "approved $75.00, filed 2026-03-26" in s9.text and "denied, filed 2026-04-03" in s9.text
    with demo.store.read() as session:
        claims = {d.facts["refunded_on"]: d for d in list_decisions(session, seller_id="S9", kind="claim")
                  if d.facts["refunded_on"] in ("2026-02-10", "2026-02-18")}
    before, after = claims["2026-02-10"], claims["2026-02-18"]
    assert (before.outcome, before.reimbursement, after.outcome, after.rule) == ("approve", Decimal("75.00"), "deny", "filing_window")
    assert "this one is 40 days after" in after.explanation and "30 days in force for refunds from 2026-02-16" in after.explanation
    s9.say(f"/decision {after.id}")
    assert "this one is 40 days after" in s9.text and "30 days in force for refunds from 2026-02-16" in s9.text


def test_replay_and_decisions_show_read_decisions_made_on_full_facts(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"policy: {AMAZON}\ndatabase:\n  url: sqlite:///{tmp_path}/demo.sqlite3\n")
    assert main(["--config", str(config), "demo"]) == 0
    assert f"--config {config} chat --as buyer:B1" in capsys.readouterr().out
    assert main(["--config", str(config), "seller", "tier", "S9"]) == 0
    tier = json.loads(capsys.readouterr().out)
    assert (tier["rule"], tier["tier"]) == ("new_enrolment", "free") and "You enrolled 40 days ago" in tier["explanation"]
    assert main(["--config", str(config), "policy", "replay", str(AMAZON), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["decisions"] > 10 and report["changed"] == report["failed"] == 0
    store = open_store(f"sqlite:///{tmp_path}/demo.sqlite3")
    try:
        with store.read() as session:
            [kept] = [d for d in list_decisions(session, seller_id="S9", kind="refund") if d.facts.get("delivered_on") == "2025-11-24"]
    finally:
        store.close()
    assert main(["--config", str(config), "decisions", "show", kept.id]) == 0
    shown = capsys.readouterr().out
    assert "holiday returns window" in shown and "delivered_on" in shown and "seller_id" in shown and "S9" in shown
