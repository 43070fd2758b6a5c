"""Replies read well on a phone: short buttons naming the product, no codes for buyers, HTML escaped, a menu per role."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.format import MAX_BUTTON, button_label
from bot.markup import plain
from bot.menu import menu
from policy.vocabulary import BUILTIN_REFUND_RULES, CLAIM_REASONS, CONDITIONS, REFUND_REASONS
from store import import_records, record_return_delivery

from .conftest import NOW, Chat, linked

SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # a raw code: non_returnable, damaged_in_transit


class Recording(Chat):
    """A chat that keeps every reply it got."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.every = []

    def _send(self, **fields):
        replies = super()._send(**fields)
        self.every.extend(replies)
        return replies


def _recording(service, user_id: int, role: str, account: str) -> Recording:
    linked(service, user_id, role, account)
    return Recording(service, user_id)


def _tour_buyer(chat: Recording) -> None:
    """Every question and outcome a buyer can reach in the fixture marketplace, in English."""
    for item, reason, condition in [("O1-1", "no_longer_needed", "unopened"), ("O2-1", "no_longer_needed", "used"),
                                    ("O2-2", "wrong_item", "unopened")]:
        chat.say(f"/refund {item}")
        chat.tap({"no_longer_needed": "don't need", "wrong_item": "wrong item"}[reason])
        chat.tap({"unopened": "Unopened", "used": "Used"}[condition])
    for sentence in ("/refund", "/status", "/label", "where is my refund?", "I was charged twice", "my laptop arrived broken",
                     "/cancel", "hello", "asdf", "/help"):
        chat.say(sentence)
    for reply in list(chat.every):
        ids = re.findall(r"D-[0-9A-Z]{12}", reply.text)
        for decision_id in ids[:1]:
            chat.say(f"/decision {decision_id}")


@pytest.fixture
def odd_names(service):
    """A product whose name is long and full of HTML, bought by B1 and delivered yesterday."""
    with service.store.write() as session:
        import_records(session, source="fixture", records=[
            {"type": "product", "id": "P9", "seller_id": "S1", "sku": "X-9", "category": "apparel", "price": 30,
             "name": "Pots & Pans <XL> \"Deluxe\" extra-long-named kitchen set"},
            {"type": "order", "id": "O9", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
             "placed_at": (NOW - timedelta(days=4)).isoformat(), "delivered_at": (NOW - timedelta(days=1)).isoformat(),
             "items": [{"id": "O9-1", "product_id": "P9", "quantity": 1, "unit_price": 30}]},
        ])
    return service


def test_no_button_label_exceeds_32_characters_and_buyers_see_no_codes(odd_names):
    service = odd_names
    buyer = _recording(service, 101, "buyer", "B1")
    _tour_buyer(buyer)
    bob = _recording(service, 102, "buyer", "B2")
    bob.say("/refund")
    bob.tap("Laptop")
    bob.tap("faulty")
    bob.tap("Opened, unused")
    bob.say("/refund O3-2")
    bob.tap("never arrived")
    seller = _recording(service, 201, "seller", "S1")
    with service.store.write() as session:
        record_return_delivery(session, return_request_id="R4", delivered_at=NOW - timedelta(days=1), condition_received="damaged")
    for line in ("/tier", "/refunds", "/claims", "/claim"):
        seller.say(line)
    seller.tap("Rain Jacket · $40.00")
    seller.tap("came back damaged")
    seller.tap("Tracking number")
    seller.say("1Z999AA10123456784")
    seller.tap("Submit claim")
    seller.say("/claim")

    everyone = buyer.every + bob.every + seller.every
    labels = [b.text for r in everyone for b in r.flat_buttons()]
    assert len(labels) > 20
    assert [label for label in labels if len(label) > MAX_BUTTON] == []
    rule_ids = {name for name, _ in BUILTIN_REFUND_RULES} | {rule.id for rule in service.runtime.live.current.policy.returns.rules}
    for reply in buyer.every + bob.every:
        shown = plain(reply.text)
        assert "(rule" not in shown, shown
        assert not (set(SNAKE_CASE.findall(shown)) | {w for w in rule_ids if re.search(rf"\b{w}\b", shown)}), shown


def test_values_are_escaped_once_for_telegram_and_shown_plainly_in_the_terminal(odd_names):
    chat = linked(odd_names, 101, "buyer", "B1")
    chat.say("/refund")
    [listing] = chat.replies
    assert "• Pots &amp; Pans &lt;XL&gt; \"Deluxe\" extra-long-named kitchen set · $30.00" in listing.text
    assert "<b>Order O9</b>" in listing.text
    assert "• Pots & Pans <XL> \"Deluxe\" extra-long-named kitchen set · $30.00" in plain(listing.text)
    assert "Pots & Pans <XL> \"Delu… · $30.00" in chat.buttons  # a button is plain text: no escaping


def test_button_labels_shorten_the_name_and_keep_the_price():
    assert button_label("Rain Jacket", "$40.00") == "Rain Jacket · $40.00"
    long = button_label("Noise-cancelling over-ear headphones with case", "$1,249.00")
    assert len(long) == MAX_BUTTON and long.endswith("… · $1,249.00") and long.startswith("Noise-cancelling")
    assert all(len(button_label(label)) <= MAX_BUTTON for label in ("x" * 80,))


def test_every_reason_condition_and_claim_reason_label_fits_a_button(service):
    from bot.texts import label

    for lang in ("en", "es"):
        for code in REFUND_REASONS + CONDITIONS + CLAIM_REASONS:
            assert len(label(lang, code)) <= MAX_BUTTON, (lang, code)


def test_the_menu_lists_each_roles_commands_in_its_language():
    from bot.service import COMMANDS

    assert [name for name, _ in menu(None, "en")] == ["start", "language", "help"]
    for role in ("buyer", "seller", "admin"):
        names = [name for name, _ in menu(role, "en")]
        assert set(names) == set(COMMANDS[role]) - {"start"}, role
        assert all(1 <= len(description) <= 256 for _, description in menu(role, "es"))
    assert dict(menu("buyer", "es"))["refund"] == "Pedir un reembolso de un pedido entregado"
    assert dict(menu("buyer", "en"))["refund"] == "Ask for a refund on a delivered order"


def test_the_review_desk_fits_buttons_and_buyers_see_no_codes_in_its_texts_or_notifications(service):
    from sqlalchemy import select

    from store.models import OutboxMessage

    bob = _recording(service, 102, "buyer", "B2")
    alice = _recording(service, 101, "buyer", "B1")
    ann = _recording(service, 401, "agent", "ann")
    seller = _recording(service, 201, "seller", "S1")
    bob.say("/refund O3-1")
    bob.tap("faulty")
    bob.tap("Opened, unused")  # $800: escalated to the desk
    alice.say("/refund O1-1")
    alice.tap("don't need it")
    alice.tap("Unopened")  # denied
    alice.say("/refund")
    alice.tap("Appeal: Trail Sleeping Bag")
    alice.say("It is still sealed <b>unopened</b> & unused.")
    alice.say("I want to return my sleeping bag")
    seller.say("/claim RF4")
    seller.tap("Non-returnable item refunded")
    seller.tap("Submit claim")
    seller.say("/claim")
    seller.tap("Review: Non-returnable")
    seller.say("The jacket was a final-sale item.")
    ann.say("/queue")
    for _ in range(3):
        ann.tap("C-" + ann.replies[-1].flat_buttons()[0].text.split("C-")[1].split(" ")[0])
        outcome = "Approve the claim" if "Approve the claim" in " ".join(ann.buttons) else "Refund without return"
        ann.tap(outcome)
        ann.say("Checked: <i>fine</i> & fair.")
        ann.say("/queue")
    assert "No open cases." in plain(ann.replies[-1].text)
    for buyer in (alice, bob):
        buyer.say("/status")
        buyer.say("/refund")

    everyone = alice.every + bob.every + ann.every + seller.every
    labels = [b.text for r in everyone for b in r.flat_buttons()]
    assert "Approve the return" in labels and any(label.startswith("Appeal: ") for label in labels)
    assert [label for label in labels if len(label) > MAX_BUTTON] == []
    with service.store.read() as session:
        queued = session.execute(select(OutboxMessage.chat_id, OutboxMessage.text, OutboxMessage.parse_mode)).all()
    assert {chat for chat, _, _ in queued} == {101, 102, 201} and {mode for _, _, mode in queued} == {"HTML"}
    assert all("Checked: &lt;i&gt;fine&lt;/i&gt; &amp; fair." in text for _, text, _ in queued)  # the note escaped once
    rule_ids = {name for name, _ in BUILTIN_REFUND_RULES} | {rule.id for rule in service.runtime.live.current.policy.returns.rules}
    to_buyers = [r.text for r in alice.every + bob.every] + [text for chat, text, _ in queued if chat in (101, 102)]
    assert any("under review (case C-" in plain(text) for text in to_buyers)
    for text in to_buyers:
        shown = plain(text)
        assert "(rule" not in shown, shown
        assert not (set(SNAKE_CASE.findall(shown)) | {w for w in rule_ids if re.search(rf"\b{w}\b", shown)}), shown
