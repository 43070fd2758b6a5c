"""The review desk through python-telegram-bot's real Application, offline: an agent decides in
another chat, the buyer's notification goes out through the outbox sender, photos are shown again."""
from __future__ import annotations

import asyncio

import pytest

from bot.config import LimitsConfig
from bot.sender import OutboxSender
from bot.service import ChatService
from bot.telegram_app import build_application
from store import link_identity

from .conftest import NOW
from .telegram_offline import OfflineRequest, offline_builder
from .test_telegram_stories import TELEGRAM, TelegramChat


@pytest.fixture
async def telegram(live_marketplace, runtime):
    service = ChatService(live_marketplace, runtime, limits=LimitsConfig(messages_per_minute=1000, max_text_length=1000))
    request = OfflineRequest(files={"AgACAgQAAxkBAAIBphoto": b"\xff\xd8\xff jpeg bytes"})
    app, _ = build_application(TELEGRAM, service, builder=offline_builder(request))
    with live_marketplace.write() as session:
        for user, role, account in [(102, "buyer", "B2"), (201, "seller", "S1"), (401, "agent", "ann")]:
            link_identity(session, telegram_user_id=user, role=role, account_id=account, linked_at=NOW)
    await app.initialize()
    yield app, request, service
    await app.shutdown()


async def deliver(service, app):
    await OutboxSender(service.store, app.bot, owner="test").run(asyncio.Event(), until_empty=True)


async def test_an_agent_approves_an_escalated_refund_and_the_buyer_gets_a_message(telegram):
    app, request, service = telegram
    bob, ann = TelegramChat(app, request, 102), TelegramChat(app, request, 401)
    await bob.say("/refund O3-1")
    await bob.tap("faulty")
    await bob.tap("Opened, unused")
    assert "A member of our team will review your request." in bob.text
    case_id = "C-" + bob.text.split("case C-")[1].split(" ")[0]
    await ann.say("/queue")
    assert f"{case_id} escalated refund: Laptop Pro $800.00" in ann.text
    await ann.tap(case_id)
    assert f"Case {case_id}: escalated refund, open" in ann.text
    await ann.tap("Approve the return")
    await ann.say("Screen fault confirmed.")
    assert f"Decided case {case_id}: return approved $800.00." in ann.text
    before = len(request.calls_to("sendMessage"))
    await deliver(service, app)
    [message] = request.calls_to("sendMessage")[before:]
    assert message.chat_id == 102 and f"(case {case_id}): Your return is approved." in message.text
    await deliver(service, app)  # nothing is sent twice
    assert len(request.calls_to("sendMessage")) == before + 1


async def test_the_photos_of_a_claim_are_fetched_from_telegram_and_shown_again(telegram):
    app, request, service = telegram
    seller, ann = TelegramChat(app, request, 201), TelegramChat(app, request, 401)
    await seller.say("/claim RF4")
    await seller.tap("A non-returnable item was refunded")
    await seller.photo("AgACAgQAAxkBAAIBphoto")
    await seller.tap("Submit claim")
    assert "Sorry, this claim is denied." in seller.text
    await seller.say("/claim")
    await seller.tap("Ask for a review")
    await seller.say("The photo shows the final-sale tag on the jacket.")
    case_id = "C-" + seller.text.split("case C-")[1].split(".")[0]
    await ann.say(f"/case {case_id}")
    assert "Photos: 1 (shown below)" in ann.text
    [get_file] = request.calls_to("getFile")
    assert get_file.params["file_id"] == "AgACAgQAAxkBAAIBphoto" and request.downloads == ["AgACAgQAAxkBAAIBphoto"]
    [photo] = request.calls_to("sendPhoto")
    assert photo.chat_id == 401 and photo.files["photo"] == b"\xff\xd8\xff jpeg bytes"
    assert photo.text == f"Evidence photo 1 of 1 for case {case_id}"


async def test_a_buyer_appeals_a_denial_and_hears_back_through_telegram(telegram, live_marketplace):
    app, request, service = telegram
    with live_marketplace.write() as session:
        link_identity(session, telegram_user_id=101, role="buyer", account_id="B1", linked_at=NOW)
    alice, ann = TelegramChat(app, request, 101), TelegramChat(app, request, 401)
    await alice.say("/refund O1-1")
    await alice.tap("don't need it")
    await alice.tap("Unopened")
    assert "Sorry, this refund can't be approved." in alice.text
    await alice.say("I'd like to return the sleeping bag")
    assert "You already asked for a refund on Trail Sleeping Bag: denied" in alice.text and "you can appeal once" in alice.text
    await alice.tap("Appeal the decision")
    await alice.say("It was a gift and is still sealed in its bag.")
    assert "Your appeal is in our review queue as case C-" in alice.text
    case_id = "C-" + alice.text.split("case C-")[1].split(".")[0]
    await ann.say(f"/case {case_id}")
    await ann.tap("Refund without return")
    await ann.say("Goodwill for a sealed gift.")
    before = len(request.calls_to("sendMessage"))
    await deliver(service, app)
    [message] = request.calls_to("sendMessage")[before:]
    assert message.chat_id == 101 and "You'll get a refund and can keep the item." in message.text
    assert "Note from our team: Goodwill for a sealed gift." in message.text


async def test_evidence_added_later_decides_a_claim_again_through_telegram(telegram, live_marketplace):
    from datetime import datetime, timedelta, timezone

    from store import record_return_delivery

    app, request, service = telegram
    with live_marketplace.write() as session:
        record_return_delivery(session, return_request_id="R4", delivered_at=datetime.now(timezone.utc) - timedelta(days=1),
                               condition_received="damaged")
    seller = TelegramChat(app, request, 201)
    await seller.say("/claim RF4")
    await seller.tap("It came back damaged")
    await seller.tap("Submit claim")
    assert "Your claim needs more evidence." in seller.text
    await seller.say("/cancel")
    await seller.say("/claim")
    await seller.tap("Add evidence to")
    await seller.photo("AgACAgQAAxkBAAIBphoto")
    assert "Photo added (1 so far)." in seller.text and "Your claim is approved." in seller.text
