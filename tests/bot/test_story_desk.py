"""Stories of the review desk: what the engine hands to a person is seen, decided and told."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.config import DeskConfig, LimitsConfig
from bot.markup import plain
from bot.service import ChatService
from store import get_decision, list_cases, seller_claims
from store.models import Claim, OutboxMessage, Refund

from .conftest import NOW, Chat, linked


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


def refund_of(store, order_item_id: str) -> str:
    """The id of the refund on an order item."""
    with store.read() as session:
        return session.execute(select(Refund.id).where(Refund.order_item_id == order_item_id)).scalar_one()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def desk(marketplace, runtime, clock) -> ChatService:
    return ChatService(marketplace, runtime, limits=LimitsConfig(messages_per_minute=1000, max_text_length=1000), clock=clock,
                       desk=DeskConfig(overdue_hours=24))


@pytest.fixture
def service(desk) -> ChatService:
    """The people of tests/bot/conftest.py (alice, bob, outdoor, gadgets) chat with the desk's service."""
    return desk


@pytest.fixture
def ann(desk) -> Chat:
    """An agent."""
    return linked(desk, 401, "agent", "ann")


@pytest.fixture
def raj(desk) -> Chat:
    """Another agent."""
    return linked(desk, 402, "agent", "raj")


def outbox(store, chat_id=None):
    """The queued messages as (chat, text as the person reads it, status, not before); each is HTML sent as HTML."""
    with store.read() as session:
        query = select(OutboxMessage.chat_id, OutboxMessage.text, OutboxMessage.status, OutboxMessage.next_attempt_at,
                       OutboxMessage.parse_mode)
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        rows = session.execute(query.order_by(OutboxMessage.created_at)).all()
    assert all(r.parse_mode == "HTML" for r in rows)
    return [(r.chat_id, plain(r.text), r.status, r.next_attempt_at) for r in rows]


def escalate_laptop(bob: Chat) -> str:
    bob.say("/refund O3-1")
    bob.tap("faulty")
    bob.tap("Opened, unused")
    assert "A member of our team will review your request." in bob.text
    assert "Your request is case C-" in bob.text and "I'll message you here when it's decided" in bob.text
    return "C-" + bob.text.split("case C-")[1].split(" ")[0]


def test_an_escalated_800_dollar_refund_is_approved_by_an_agent_and_the_buyer_is_told(desk, bob, ann, gadgets):
    case_id = escalate_laptop(bob)
    ann.say("/queue")
    assert "Open cases, oldest first (1 open, 0 overdue after 24 h):" in ann.text
    assert f"- {case_id} escalated refund: Laptop Pro $800.00, buyer B2, waiting 0 min" in ann.text
    ann.tap(case_id)
    text = ann.text
    assert f"Case {case_id}: escalated refund, open" in text
    assert "Buyer B2 (Bob); seller S2 (Gadget Hub)" in text and "Order O3 (seller fulfilled)" in text
    assert "Item O3-1: Laptop Pro (electronics) x1, paid $800.00" in text
    assert "by engine" in text and ": under review (high_value)" in text and "Rule high_value, policy " in text
    assert "Facts: " in text and "price 800" in text and "Buyer's recent returns:" in text
    assert ann.buttons == ["Approve the return", "Refund without return", "Partial refund", "Deny"]
    ann.tap("Approve the return")
    assert "Add a short note for the record (the buyer will see it):" in ann.text
    ann.say("Faulty screen confirmed from the photos; return approved.")
    assert f"Decided case {case_id}: return approved $800.00." in ann.text and "The buyer will get a message." in ann.text
    review_id = ann.text.split("Decision ")[1].split(" ")[0]
    with desk.store.read() as session:
        review = get_decision(session, decision_id=review_id)
        refund = session.execute(select(Refund.amount, Refund.decision_id).where(Refund.order_item_id == "O3-1")).one()
        [case] = list_cases(session, status="decided")
    assert tuple(refund) == (Decimal("800.00"), review_id)
    assert (review.kind, review.outcome, review.decided_by, review.note) == (
        "refund", "approve_return", "agent:ann", "Faulty screen confirmed from the photos; return approved.")
    assert review.reviews_decision_id == case.decision_id and review.decided_at == NOW and review.rule == "review"
    [(chat, message, status, _)] = outbox(desk.store)
    assert chat == 102 and status == "pending"
    assert f"Update on your refund request for Laptop Pro (case {case_id}): Your return is approved." in message
    assert "Refund: $800.00" in message and "Note from our team: Faulty screen confirmed" in message
    bob.say("/refund")
    assert "• Laptop Pro · $800.00 · return approved $800.00 after review by our team" in bob.text
    gadgets.say("/refunds")
    assert "Reviews of your orders by our team:" in gadgets.text
    assert f"O3-1 Laptop Pro: return approved $800.00 by agent:ann (decision {review_id}): Faulty screen confirmed" in gadgets.text
    ann.say("/queue")
    assert "No open cases." in ann.text


def test_a_partial_refund_amount_is_typed_and_checked(desk, bob, ann):
    case_id = escalate_laptop(bob)
    ann.say(f"/case {case_id}")
    ann.tap("Partial refund")
    assert "How much should the buyer get back? At most $800.00" in ann.text
    for bad in ("900", "abc", "0", "-5", "12.345"):
        ann.say(bad)
        assert "is not an amount I can use" in ann.text, bad
    ann.say("$250.50")
    ann.say("Missing charger only; partial refund agreed.")
    assert f"Decided case {case_id}: partial refund $250.50." in ann.text
    with desk.store.read() as session:
        refund = session.execute(select(Refund.amount, Refund.fee).where(Refund.order_item_id == "O3-1")).one()
    assert tuple(refund) == (Decimal("250.50"), Decimal("549.50"))


def test_a_denial_is_appealed_once_and_the_answer_reaches_the_buyer(desk, alice, ann):
    alice.say("/refund O1-1")
    alice.tap("don't need it")
    alice.tap("Unopened")
    assert "Sorry, this refund can't be approved." in alice.text
    denial = alice.text.split("Decision ")[1].split(" ")[0]
    alice.say("/refund")
    assert f"• Trail Sleeping Bag · $80.00 · denied (decision {denial}); you can appeal once" in alice.text
    alice.tap("Appeal: Trail Sleeping Bag")
    assert "In a sentence, why should we look at Trail Sleeping Bag again?" in alice.text
    alice.say("no")
    assert "Please tell me why in a sentence of 10 to 500 characters." in alice.text
    alice.say("The seller's listing said returns were accepted for 60 days.")
    assert "Your appeal is in our review queue as case C-" in alice.text
    case_id = "C-" + alice.text.split("case C-")[1].split(".")[0]
    alice.say("I want to return my sleeping bag")  # free text about the decided item: where it stands
    assert f"Trail Sleeping Bag: under review (case {case_id}, since 2026-11-20)" in alice.text and not alice.buttons
    ann.say("/queue")
    assert f"{case_id} appealed denial: Trail Sleeping Bag $80.00, buyer B1" in ann.text
    ann.say(f"/case {case_id}")
    assert "In their words: \"The seller's listing said returns were accepted for 60 days.\"" in ann.text
    ann.tap("Deny")
    ann.say("Sleeping bags can't be returned unopened or not; the listing says so.")
    assert f"Decided case {case_id}: denied." in ann.text
    [(chat, message, _, _)] = outbox(desk.store)
    assert chat == 101 and "Sorry, this refund can't be approved." in message and "the listing says so" in message
    alice.say("/refund")
    assert "• Trail Sleeping Bag · $80.00 · denied after review by our team" in alice.text
    assert "Appeal: Trail Sleeping Bag" not in alice.buttons  # once


def test_two_agents_on_one_case_the_second_is_told_who_decided(desk, bob, ann, raj):
    case_id = escalate_laptop(bob)
    ann.say(f"/case {case_id}")
    raj.say(f"/case {case_id}")
    raj.tap("Refund without return")
    raj.say("Cheaper than shipping it back.")
    assert f"Decided case {case_id}" in raj.text
    ann.tap("Deny")  # a stale prompt: the case is no longer open
    assert f"Case {case_id} was already decided by agent:raj" in ann.text and "Nothing was changed." in ann.text
    with desk.store.read() as session:
        assert len(session.scalars(select(Refund).where(Refund.order_item_id == "O3-1")).all()) == 1
    assert len(outbox(desk.store, 102)) == 1


def test_an_agent_who_typed_the_note_after_the_other_decided_loses_cleanly(desk, bob, ann, raj):
    case_id = escalate_laptop(bob)
    ann.say(f"/case {case_id}")
    ann.tap("Deny")
    raj.say(f"/case {case_id}")
    raj.tap("Approve the return")
    raj.say("Approved.")
    ann.say("Denied because of the price.")
    assert f"Case {case_id} was already decided by agent:raj" in ann.text
    with desk.store.read() as session:
        [case] = list_cases(session, status="decided")
        assert get_decision(session, decision_id=case.review_decision_id).outcome == "approve_return"


def test_overdue_cases_are_marked(desk, bob, ann, clock):
    case_id = escalate_laptop(bob)
    clock.now = NOW + timedelta(hours=25)
    ann.say("/queue")
    assert "(1 open, 1 overdue after 24 h)" in ann.text
    assert f"{case_id} escalated refund: Laptop Pro $800.00, buyer B2, waiting 1 d 1 h - OVERDUE" in ann.text


def test_buyers_and_sellers_cannot_see_the_queue_or_a_case(desk, bob, alice, outdoor, ann):
    case_id = escalate_laptop(bob)
    for person in (alice, bob, outdoor):
        person.say("/queue")
        assert "That command isn't available for your account." in person.text
        person.say(f"/case {case_id}")
        assert "That command isn't available for your account." in person.text and "Laptop" not in person.text
    ann.say(f"/case {case_id}")
    data = [b.data for r in ann.replies for b in r.flat_buttons()]
    bob.press(data[0])  # the agent's button, pressed by the buyer: not theirs
    assert "That button has expired." in bob.text
    with desk.store.read() as session:
        assert list_cases(session, status="open")


def test_forged_callback_data_cannot_act_on_a_case(desk, bob, ann, alice):
    case_id = escalate_laptop(bob)
    ann.say(f"/case {case_id}")
    nonce = ann.replies[-1].flat_buttons()[0].data.split(":")[0]
    ann.press(f"{nonce}:9")  # an index that was never offered
    assert "That button has expired." in ann.text
    ann.press("AAAA:1")
    assert "That button has expired." in ann.text
    # A decided case offers no buttons at all, so no callback can act on it.
    ann.say(f"/case {case_id}")
    ann.tap("Deny")
    ann.say("Not covered.")
    ann.say(f"/case {case_id}")
    assert "Decided by agent:ann" in ann.text and not ann.buttons
    ann.press(f"{nonce}:1")  # the first prompt's "Approve the return", replayed after the case was decided
    assert "That button has expired." in ann.text
    with desk.store.read() as session:
        assert not session.scalars(select(Refund).where(Refund.order_item_id == "O3-1")).all()


def test_admins_are_agents_too(desk, bob):
    case_id = escalate_laptop(bob)
    boss = linked(desk, 301, "admin", None)
    boss.say("/queue")
    assert case_id in boss.text
    boss.say(f"/case {case_id}")
    boss.tap("Refund without return")
    boss.say("Goodwill.")
    assert f"Decided case {case_id}: refund without return $800.00." in boss.text
    with desk.store.read() as session:
        [case] = list_cases(session, status="decided")
    assert case.decided_by == "admin:301"


def test_a_denied_claim_is_reviewed_on_request_and_the_seller_is_told(desk, outdoor, ann):
    outdoor.say("/claim RF4")
    outdoor.tap("Non-returnable item refunded")
    outdoor.tap("Submit claim")
    assert "Sorry, this claim is denied." in outdoor.text
    outdoor.say("/claim")
    assert "was denied: you can ask for a review once" in outdoor.text
    outdoor.tap("Review: Non-returnable")
    assert "why should we look at claim CL-" in outdoor.text
    outdoor.say("The jacket was a final-sale item, marked non-returnable on the listing.")
    assert "is in our review queue as case C-" in outdoor.text
    case_id = "C-" + outdoor.text.split("case C-")[1].split(".")[0]
    outdoor.say("/claim")
    assert "Review:" not in " ".join(outdoor.buttons)  # once
    ann.say("/queue")
    assert f"{case_id} claim waiting for review: Rain Jacket $40.00" in ann.text
    ann.say(f"/case {case_id}")
    assert ann.buttons == ["Approve the claim ($40.00)", "Deny"]
    ann.tap("Approve the claim")
    assert "(the seller will see it)" in ann.text
    ann.say("Listing confirms final sale.")
    assert f"Decided case {case_id}: approved $40.00." in ann.text
    with desk.store.read() as session:
        [claim] = seller_claims(session, seller_id="S1")
    assert (claim.status, claim.reimbursement) == ("approved", Decimal("40.00"))
    [(chat, message, _, _)] = outbox(desk.store)
    assert chat == 201 and f"Update on your claim {claim.claim_id} (case {case_id}): Your claim is approved. $40.00" in message


def test_a_claim_refused_as_too_early_is_offered_again_on_its_date(desk, alice, outdoor, clock):
    alice.say("/refund O2-1")
    alice.tap("wrong item")
    alice.tap("Unopened")
    assert "Your return is approved." in alice.text
    # Too early to be in the claim finder's list (the return never-arrived reason waits 14 days): filed by its id.
    outdoor.say(f"/claim {refund_of(desk.store, 'O2-1')}")
    outdoor.tap("The return never arrived")
    outdoor.tap("Submit claim")
    assert "so file again on day 14" in outdoor.text and "I'll message you on 2026-12-04" in outdoor.text
    with desk.store.read() as session:
        claim = session.execute(select(Claim.id, Claim.status).where(Claim.reason == "return_not_received")).one()
    assert claim.status == "pending"
    [(chat, message, status, not_before)] = outbox(desk.store)
    assert (chat, status, not_before.date().isoformat()) == (201, "pending", "2026-12-04")
    assert f"Your claim {claim.id} on refund" in message and "can be decided from today (2026-12-04)" in message
    outdoor.say("/claim")
    assert f"Your claim {claim.id} (The return never arrived) was too early: it can be decided from 2026-12-04" in outdoor.text
    assert "Decide again: The return never…" in outdoor.buttons
    clock.now = NOW + timedelta(days=14)
    outdoor.say("/claim")
    outdoor.tap("Decide again")
    assert "Your claim is approved." in outdoor.text


def test_the_terminal_shows_pending_messages_at_the_next_prompt(desk, ann):
    import io

    from bot.terminal import Terminal
    from store import Identity

    bob_terminal = Terminal(desk, Identity(0, "buyer", "B2"))
    bob_terminal.send("/refund O3-1")
    bob_terminal.send("It's faulty")
    reply = bob_terminal.send("Opened, unused")
    case_id = "C-" + reply.split("case C-")[1].split(" ")[0]
    ann.say(f"/case {case_id}")
    ann.tap("Approve the return")
    ann.say("Approved after checking.")
    stdout = io.StringIO()
    bob_terminal.run(io.StringIO("/status\n/status\n"), stdout, prompt=False)
    shown = stdout.getvalue()
    assert shown.count("While you were away:") == 1
    assert f"* Update on your refund request for Laptop Pro (case {case_id}): Your return is approved." in shown
    assert shown.index("While you were away:") < shown.index("Your refund requests:")


def test_operators_see_the_queue_and_a_case_on_the_command_line(desk, bob, ann, store_url, tmp_path, capsys):
    from bot.cli import main

    case_id = escalate_laptop(bob)  # opened on 2026-11-20, so overdue by any clock after 2026-11-21
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: demo\ndatabase:\n  url: {store_url}\ndesk:\n  overdue_hours: 24\n")
    patient = tmp_path / "patient.yaml"
    patient.write_text(f"mode: demo\ndatabase:\n  url: {store_url}\ndesk:\n  overdue_hours: 8760\n")

    assert main(["--config", str(config), "queue"]) == 0
    out = capsys.readouterr().out
    assert "1 open case(s), oldest first (overdue after 24 h):" in out
    assert case_id in out and "escalated refund" in out and "Laptop Pro $800.00" in out and "OVERDUE" in out
    assert main(["--config", str(config), "queue", "--overdue"]) == 0
    assert case_id in capsys.readouterr().out
    assert main(["--config", str(patient), "queue", "--overdue"]) == 0
    assert "No overdue cases." in capsys.readouterr().out
    assert main(["--config", str(config), "case", case_id]) == 0
    out = capsys.readouterr().out
    assert f"Case {case_id}: escalated refund, open" in out and "Rule high_value" in out and "Buyer's recent returns:" in out
    assert main(["--config", str(config), "case", "C-NOPE"]) == 1
    assert "no case 'C-NOPE'" in capsys.readouterr().err

    assert main(["--config", str(config), "invite", "agent", "kim"]) == 0
    assert "Invite for agent kim" in capsys.readouterr().out
    assert main(["--config", str(config), "invite", "agent", "bad name!"]) == 1
    assert "agent id 'bad name!'" in capsys.readouterr().err

    ann.say(f"/case {case_id}")
    ann.tap("Deny")
    ann.say("No fault found.")
    assert main(["--config", str(config), "outbox", "status"]) == 0
    assert "pending: 1" in capsys.readouterr().out
    assert main(["--config", str(config), "queue"]) == 0
    assert "No open cases." in capsys.readouterr().out


def test_a_chat_relinked_from_agent_to_buyer_keeps_no_desk_powers(desk, bob, ann):
    from store import link_identity

    case_id = escalate_laptop(bob)
    ann.say(f"/case {case_id}")
    with desk.store.write() as session:
        link_identity(session, telegram_user_id=401, role="buyer", account_id="B1", linked_at=NOW)
    ann.tap("Approve the return")
    assert "That button has expired." in ann.text
    with desk.store.read() as session:
        assert [c.case_id for c in list_cases(session, status="open")] == [case_id]


def test_decisions_show_names_the_agent_and_the_note(desk, bob, ann, store_url, tmp_path, capsys):
    from bot.cli import main

    case_id = escalate_laptop(bob)
    ann.say(f"/case {case_id}")
    ann.tap("Deny")
    ann.say("No fault found on inspection.")
    review_id = ann.text.split("Decision ")[1].split(" ")[0]
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: demo\ndatabase:\n  url: {store_url}\n")
    assert main(["--config", str(config), "decisions", "show", review_id]) == 0
    out = capsys.readouterr().out
    assert "decided by:     agent:ann, reviewing D-" in out and "note:           No fault found on inspection." in out


async def test_the_too_early_message_is_sent_on_its_day_and_not_before(desk, alice, outdoor, clock):
    import asyncio

    from bot.sender import OutboxSender, rate_limited_bot

    from .telegram_offline import TOKEN, OfflineRequest

    alice.say("/refund O2-1")
    alice.tap("wrong item")
    alice.tap("Unopened")
    outdoor.say(f"/claim {refund_of(desk.store, 'O2-1')}")
    outdoor.tap("The return never arrived")
    outdoor.tap("Submit claim")
    request = OfflineRequest()
    bot = rate_limited_bot(TOKEN, base_url="https://api.telegram.org/bot", request=request)
    await bot.initialize()
    try:
        sender = OutboxSender(desk.store, bot, clock=clock)
        clock.now = NOW + timedelta(days=13, hours=11)  # 2026-12-03 23:00
        await sender.run(asyncio.Event(), until_empty=True)
        assert request.calls_to("sendMessage") == []
        clock.now = NOW + timedelta(days=13, hours=12)  # 2026-12-04 00:00
        await sender.run(asyncio.Event(), until_empty=True)
    finally:
        await bot.shutdown()
    [message] = request.calls_to("sendMessage")
    assert message.chat_id == 201 and "can be decided from today (2026-12-04)" in message.text


def test_an_agent_links_with_an_invite_and_is_greeted_by_name(desk):
    from store import create_invite

    with desk.store.write() as session:
        code = create_invite(session, role="agent", account_id="kim", created_at=NOW, expires_at=NOW + timedelta(days=1))
    kim = Chat(desk, 403)
    kim.say(f"/start {code}")
    assert "You're all set, kim: this chat is linked to the review desk as an agent." in kim.text and "/queue" in kim.text
    assert kim.replies[0].menu == ("agent", "en")
    kim.say("/start")
    assert "Hello kim! You're on the review desk" in kim.text
