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
