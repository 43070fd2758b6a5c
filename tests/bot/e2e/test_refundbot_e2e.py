"""End to end: the real refundbot Application polls a Telegram Bot API emulator on loopback."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from telegram.ext import Application

from bot.config import LimitsConfig, TelegramConfig
from bot.service import ChatService
from bot.telegram_app import build_application
from store import create_invite, list_decisions

from .harness import TelegramEmulator, running_bot

pytestmark = pytest.mark.e2e


def invite(store, role: str, account: str) -> str:
    now = datetime.now(timezone.utc)
    with store.write() as session:
        return create_invite(session, role=role, account_id=account, created_at=now, expires_at=now + timedelta(days=1))


@pytest.fixture
def refundbot_factory(live_marketplace, runtime):
    """Builds the production Application for the emulator's token and base URL."""
    service = ChatService(live_marketplace, runtime, limits=LimitsConfig(messages_per_minute=100, max_text_length=1000))

    def factory(token: str, base_url: str) -> Application:
        telegram = TelegramConfig(token=token, base_url=base_url, base_file_url="", mode="polling", webhook_listen="127.0.0.1",
                                  webhook_port=0, webhook_url="", webhook_secret="")
        builder = Application.builder().token(token).base_url(base_url).get_updates_connection_pool_size(2)
        application, _ = build_application(telegram, service, builder=builder)
        return application

    return factory


async def test_a_buyer_is_denied_a_sleeping_bag_and_a_seller_asks_for_their_tier(
        telegram_emulator: TelegramEmulator, refundbot_factory, live_marketplace):
    buyer_code, seller_code = invite(live_marketplace, "buyer", "B1"), invite(live_marketplace, "seller", "S1")
    async with running_bot(refundbot_factory, telegram_emulator):
        ann = telegram_emulator.user(first_name="Ann", language_code="en")
        await ann.send(f"/start {buyer_code}")
        assert "Your chat is now linked as buyer B1." in (await ann.reply()).text

        await ann.send("/refund")
        orders = await ann.reply()
        assert orders.text == "Which order is it about?"
        await ann.press(orders, next(b.text for b in orders.buttons if b.text.startswith("Order O1 - delivered ")))
        reasons = await ann.reply()
        assert reasons.text == "What's the problem with Trail Sleeping Bag?"
        await ann.press(reasons, "I don't need it any more")
        conditions = await ann.reply()
        await ann.press(conditions, "Unopened")
        decision = await ann.reply()
        assert decision.text.startswith("Sorry, this refund can't be approved.")
        assert "(rule non_returnable)" in decision.text and "Decision D-" in decision.text
        assert not decision.keyboard  # the decision has no buttons left to tap

        sam = telegram_emulator.user(first_name="Sam")
        await sam.send(f"/start {seller_code}")
        assert "linked as seller S1" in (await sam.reply()).text
        await sam.send("/tier")
        tier = await sam.reply()
        assert tier.text.startswith("Your reward tier over the last 90 days")
        assert "Valid Tracking Rate:" in tier.text and "Contacts Per Unit:" in tier.text and "To move up:" in tier.text

        await ann.send("/tier")  # a buyer can't ask a seller's question
        assert "isn't available for your account" in (await ann.reply()).text

    with live_marketplace.read() as session:
        [refund_decision] = list_decisions(session, buyer_id="B1", kind="refund")
        [tier_decision] = list_decisions(session, seller_id="S1", kind="tier")
    assert (refund_decision.outcome, refund_decision.rule, refund_decision.channel) == ("deny", "non_returnable", "telegram")
    assert refund_decision.id in decision.text and tier_decision.id in tier.text


async def test_an_escalated_800_dollar_refund_is_approved_by_an_agent_and_the_buyer_is_notified(
        telegram_emulator: TelegramEmulator, refundbot_factory, live_marketplace):
    buyer_code, agent_code = invite(live_marketplace, "buyer", "B2"), invite(live_marketplace, "agent", "ann")
    async with running_bot(refundbot_factory, telegram_emulator):
        bob = telegram_emulator.user(first_name="Bob", language_code="en")
        await bob.send(f"/start {buyer_code}")
        assert "linked as buyer B2" in (await bob.reply()).text
        await bob.send("/refund O3-1")
        await bob.press(await bob.reply(), "It's faulty")
        await bob.press(await bob.reply(), "Opened, unused")
        escalated = await bob.reply()
        assert escalated.text.startswith("A member of our team will review your request.")
        case_id = "C-" + escalated.text.split("case C-")[1].split(" ")[0]

        ann = telegram_emulator.user(first_name="Ann", language_code="en")
        await ann.send(f"/start {agent_code}")
        assert "linked as agent ann" in (await ann.reply()).text
        await ann.send("/queue")
        queue = await ann.reply()
        assert f"{case_id} escalated refund: Laptop Pro $800.00, buyer B2" in queue.text
        await ann.press(queue, next(b.text for b in queue.buttons if b.text.startswith(case_id)))
        detail, decide = await ann.replies(count=2)
        assert f"Case {case_id}: escalated refund, open" in detail.text and "Rule high_value" in detail.text
        await ann.press(decide, "Approve the return")
        assert "Add a short note" in (await ann.reply()).text
        await ann.send("Checked the order: approved.")
        assert f"Decided case {case_id}: return approved $800.00." in (await ann.reply()).text

        notification = await bob.reply(timeout=10)  # delivered by the bot's outbox sender, unasked
        assert f"Update on your refund request for Laptop Pro (case {case_id}): Your return is approved." in notification.text
        assert "Note from our team: Checked the order: approved." in notification.text
        await bob.assert_no_reply(within=1.5)  # and only once

    with live_marketplace.read() as session:
        reviews = [d for d in list_decisions(session, buyer_id="B2", kind="refund") if d.decided_by == "agent:ann"]
    assert len(reviews) == 1 and reviews[0].id in notification.text
