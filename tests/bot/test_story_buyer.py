"""Buyers ask for refunds in the chat: stories from the first message to the decision."""
from __future__ import annotations

from store import list_decisions


def test_a_sleeping_bag_bought_on_a_whim_is_not_returnable(alice):
    alice.say("/refund")
    assert "Which item is it about?" in alice.text
    assert "Order O1 · delivered 2026-11-15\n• Trail Sleeping Bag · $80.00" in alice.text
    alice.tap("Trail Sleeping Bag")
    assert "What's the problem with Trail Sleeping Bag?" in alice.text
    alice.tap("don't need it")
    assert "What condition" in alice.text
    alice.tap("Unopened")
    assert alice.text.startswith("Sorry, this refund can't be approved.\nRefund: none\n")
    assert "Policy: Some categories can only be returned when they arrive faulty, damaged or wrong." in alice.text
    assert "(rule" not in alice.text and "non_returnable" not in alice.text
    assert alice.text.splitlines()[-1].startswith("Decision D-") and "· policy 2026.11-1+" in alice.text.splitlines()[-1]


def test_a_faulty_sleeping_bag_is_refunded_without_a_return(alice, service):
    alice.say("I want to return my sleeping bag")
    assert "I found Trail Sleeping Bag in your orders." in alice.text
    alice.tap("faulty")
    alice.tap("Opened, unused")
    assert "You'll get a refund and can keep the item." in alice.text
    assert "Refund: $80.00" in alice.text
    assert "nothing to send back" in alice.text
    with service.store.read() as session:
        [record] = list_decisions(session, buyer_id="B1", kind="refund")
    assert (record.outcome, record.rule, record.refund_amount) == ("returnless_refund", "non_returnable_seller_fault", 80)
    assert record.id in alice.text and record.channel == "telegram"


def test_used_jacket_returns_with_a_restocking_fee_and_a_label(alice):
    alice.say("/refund")
    assert "Order O2 · delivered 2026-11-10\n• Rain Jacket · $40.00\n• Wool Socks · $20.00" in alice.text
    alice.tap("Rain Jacket")
    alice.tap("don't need it")
    alice.tap("Used")
    assert "Your return is approved with a restocking fee." in alice.text
    assert "Refund: $20.00 (price $40.00, restocking fee $20.00)" in alice.text
    assert "prepaid return label (RMA RR-" in alice.text


def test_an_expensive_laptop_goes_to_a_person(bob):
    bob.say("/refund")
    assert "• Rain Jacket · $40.00 · refunded" in bob.text  # decided items are listed with their decision, not offered
    assert bob.buttons == ["Laptop Pro · $800.00", "USB Cable · $9.00"]
    bob.tap("Laptop Pro")
    bob.tap("faulty")
    bob.tap("Opened, unused")
    assert "A member of our team will review your request." in bob.text
    assert "Policy: Expensive items are checked by a person." in bob.text


def test_an_item_that_never_arrived_skips_the_condition(bob):
    bob.say("/refund O3-2")
    bob.tap("never arrived")
    assert "What condition" not in bob.text
    assert bob.text.startswith("You'll get a refund.\nRefund: $9.00")  # nothing arrived: nothing to keep
    assert "Policy: Items that never arrive are refunded in full." in bob.text


def test_numbers_and_labels_can_be_typed_instead_of_tapping(alice):
    alice.say("/refund")
    alice.say("1")
    assert "What's the problem" in alice.text
    alice.say("the zip")
    assert "Please choose one of the options" in alice.text
    assert "It's faulty" in alice.buttons  # the choices are shown again
    alice.say("faulty")
    assert "What condition" in alice.text
    alice.say("used")
    assert "Your return is approved with a restocking fee." not in alice.text  # sleeping bags: no return
    assert "Sorry, this refund can't be approved." not in alice.text
    assert "can keep the item" in alice.text


def test_status_lists_requests_and_decisions(alice):
    alice.say("/status")
    assert "You haven't asked for any refunds yet" in alice.text
    alice.say("/refund O1-1")
    alice.tap("faulty")
    alice.tap("Unopened")
    alice.say("/status")
    assert "Trail Sleeping Bag: refund without return $80.00 on 2026-11-20 (decision D-" in alice.text


def test_asking_twice_for_the_same_item_gives_the_first_decision(alice):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    alice.tap("Unopened")
    first = alice.text
    alice.say("/refund O1-1")
    assert "You already asked for a refund on Trail Sleeping Bag" in alice.text
    assert first.split("Decision ")[1].split(" ")[0] in alice.text


def test_cancel_drops_the_flow(alice):
    alice.say("/refund")
    alice.say("/cancel")
    assert "Okay, cancelled." in alice.text
    alice.say("/cancel")
    assert "There's nothing to cancel." in alice.text


def test_unknown_input_says_what_the_bot_can_do(alice):
    alice.say("what's the weather")
    assert "I can't help with that, but here is what I can do." in alice.text and "/refund" in alice.text


def test_a_sentence_matching_several_items_offers_just_those(alice):
    alice.say("I want to return my jacket or socks")
    assert "Several of your orders match. Which one is it?" in alice.text
    assert alice.buttons == ["Rain Jacket · $40.00", "Wool Socks · $20.00"]


def test_a_line_of_several_units_asks_how_many(alice, service):
    from datetime import timedelta

    from store import buyer_return_labels, import_records

    from .conftest import NOW

    with service.store.write() as session:
        import_records(session, source="fixture", records=[
            {"type": "order", "id": "O7", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
             "placed_at": (NOW - timedelta(days=5)).isoformat(), "delivered_at": (NOW - timedelta(days=2)).isoformat(),
             "items": [{"id": "O7-1", "product_id": "P5", "quantity": 3, "unit_price": 20}]}])
    alice.say("/refund")
    assert "• Wool Socks × 3 · $60.00" in alice.text
    alice.tap("Wool Socks · $60.00")
    assert "You have 3 of Wool Socks. How many is this about?" in alice.text
    assert alice.buttons == ["1", "2", "All 3"]
    alice.tap("2")
    assert "What's the problem with Wool Socks?" in alice.text
    alice.tap("wrong item")
    alice.tap("Unopened")
    assert "Your return is approved." in alice.text and "Refund: $40.00" in alice.text  # two of three at $20
    with service.store.read() as session:
        [label] = buyer_return_labels(session, buyer_id="B1")
    assert (label.order_item_id, label.quantity) == ("O7-1", 2)
