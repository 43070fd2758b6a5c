"""Real-world behaviour: rate limits, long texts, failing steps, concurrent workers on one conversation."""
from __future__ import annotations

from bot.markup import plain
import logging

from bot.config import LimitsConfig
from bot.messages import Incoming
from bot.service import ChatService

from .conftest import NOW, Chat


def test_too_many_messages_are_refused_once_then_dropped(marketplace, runtime):
    clock = [0.0]
    service = ChatService(marketplace, runtime, limits=LimitsConfig(messages_per_minute=3, max_text_length=100),
                          clock=lambda: NOW, wallclock=lambda: clock[0])
    chat = Chat(service, 4242)
    for _ in range(3):
        assert chat.say("/help")
    assert "sending messages faster" in plain(chat.say("/help")[0].text)
    assert chat.say("/help") == []
    clock[0] += 61
    assert "refund assistant" in plain(chat.say("/start")[0].text)
    other = Chat(service, 4343)
    assert other.say("/help")  # the limit is per person


def test_long_texts_are_capped(marketplace, runtime):
    service = ChatService(marketplace, runtime, limits=LimitsConfig(messages_per_minute=100, max_text_length=20), clock=lambda: NOW)
    chat = Chat(service, 4444)
    replies = chat.say("/start " + "x" * 5000)
    assert plain(replies[0].text) == "(Your message was long, so I only read the first 20 characters.)"
    assert "unknown, already used or expired" in plain(replies[1].text)


def test_a_failing_step_apologises_with_a_reference_and_the_bot_goes_on(alice, service, monkeypatch, caplog):
    from bot.flows import buyer

    def broken(turn, condition):
        raise RuntimeError("the carrier API is down")

    alice.say("/refund O1-1")
    alice.tap("faulty")
    unopened = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Unopened"][0]
    monkeypatch.setitem(buyer.STEPS, "condition", broken)
    with caplog.at_level(logging.ERROR, logger="refundbot.bot"):
        alice.press(unopened)
    assert alice.text.startswith("Sorry, something went wrong on our side.")
    reference = alice.text.split("reference ")[1].rstrip(".")
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)
    monkeypatch.setitem(buyer.STEPS, "condition", buyer.decide)
    alice.press(unopened)  # nothing was saved by the failed update: the same prompt still works
    assert "Refund: $80.00" in alice.text


def test_a_second_worker_continues_the_same_conversation(alice, service, marketplace, runtime):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    other_worker = ChatService(marketplace, runtime, limits=service.limits, clock=lambda: NOW)
    button = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Used"][0]
    replies = other_worker.handle(Incoming(user_id=101, button=button, update_id=77_001, language="en"))
    assert "Refund: $80.00" in plain(replies[0].text)
