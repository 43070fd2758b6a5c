"""A buyer and a seller try every id of another account, by command and by forged callback data, and learn nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from store import list_decisions
from store.models import Claim, Decision, OrderItem, Refund, ReturnRequest


def _masked(text: str, ident: str) -> str:
    return text.replace(ident, "<ID>")


def _counts(store) -> tuple:
    with store.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Decision, ReturnRequest, Refund, Claim))


@pytest.fixture
def history(alice, outdoor, service):
    """Alice has a decided refund and S1 a claim: ids of theirs for others to try."""
    alice.say("/refund O1-1")
    alice.tap("faulty")
    alice.tap("Unopened")
    outdoor.say("/claim RF4")
    outdoor.tap("The return never arrived")
    outdoor.tap("Submit claim")
    with service.store.read() as session:
        ids = {
            "order_items": [r for (r,) in session.execute(select(OrderItem.id))],
            "decisions": [d.id for d in list_decisions(session, buyer_id="B1")] + [d.id for d in list_decisions(session, seller_id="S1")],
            "refunds": [r for (r,) in session.execute(select(Refund.id))],
            "claims": [c for (c,) in session.execute(select(Claim.id))],
        }
    assert ids["decisions"] and ids["refunds"] and ids["claims"]
    return ids


def test_a_buyer_cannot_reach_another_buyers_items_or_decisions(bob, history, service):
    before = _counts(service.store)
    nothing = {cmd: _masked("\n".join(r.text for r in bob.say(f"/{cmd} NOPE-404")), "NOPE-404") for cmd in ("refund", "decision")}
    for item in history["order_items"]:
        if item.startswith(("O3", "O4")):
            continue  # Bob's own
        bob.say(f"/refund {item}")
        assert _masked(bob.text, item) == nothing["refund"], item
    with service.store.read() as session:
        about_bob = {d.id for d in list_decisions(session, buyer_id="B2", kind="claim")}
    assert about_bob  # S1's claim on Bob's order names Bob, and still is not his to read
    for decision in history["decisions"]:
        bob.say(f"/decision {decision}")
        assert _masked(bob.text, decision) == nothing["decision"], decision
    assert _counts(service.store) == before


def test_a_seller_cannot_reach_another_sellers_refunds_claims_or_decisions(gadgets, history, service):
    before = _counts(service.store)
    probes = {"refunds": history["refunds"], "claim": history["refunds"], "claims": history["claims"], "decision": history["decisions"]}
    for command, idents in probes.items():
        nothing = _masked("\n".join(r.text for r in gadgets.say(f"/{command} NOPE-404")), "NOPE-404")
        for ident in idents:
            gadgets.say(f"/{command} {ident}")
            assert _masked(gadgets.text, ident) == nothing, (command, ident)
    gadgets.say("/refunds")
    assert "RF4" not in gadgets.text and "Trail Sleeping Bag" not in gadgets.text
    assert _counts(service.store) == before


def test_forged_and_foreign_callback_data_is_refused_the_same_way(alice, bob, outdoor, gadgets, history, service):
    alice.say("/refund")  # Alice now has live buttons
    alices_buttons = [b.data for r in alice.replies for b in r.flat_buttons()]
    outdoor.say("/claim")
    sellers_buttons = [b.data for r in outdoor.replies for b in r.flat_buttons()]
    nonce = alices_buttons[0].split(":")[0]
    forged = alices_buttons + [f"{nonce}:99", "O1-1", "RF4", "refund:O1-1", "x" * 64, "", ":", "AAAA:1", "../../etc", "\x00:1"]
    forged += [f"{b.split(':')[0]}:{i}" for b in alices_buttons for i in range(1, 5)]
    before = _counts(service.store)
    expired = None
    for chat, data in [(bob, d) for d in forged] + [(gadgets, d) for d in forged + sellers_buttons]:
        chat.press(data)
        expired = expired or chat.text
        assert chat.text == expired and "That button has expired." in chat.text, (data, chat.text)
    assert _counts(service.store) == before
    alice.tap("Rain Jacket")  # Alice's own prompt was not disturbed by any of it
    assert "What's the problem with Rain Jacket?" in alice.text


def test_a_seller_cannot_claim_a_refund_of_another_seller_by_buttons_either(gadgets, history):
    gadgets.say("/claim")
    assert all(not re.search(r"\bRF4\b", label) for label in gadgets.buttons)
