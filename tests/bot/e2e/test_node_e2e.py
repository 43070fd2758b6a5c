"""End to end through the durable path: `refundbot run`'s node polls the Telegram emulator, stores each update
in the inbox, handles it with its workers and answers through the outbox."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bot.config import TelegramConfig, load_config
from bot.node import Node
from store import create_invite, inbox_stats, list_decisions, outbox_counts

from .harness import TelegramEmulator

pytestmark = pytest.mark.e2e


async def test_a_buyer_is_decided_through_the_inbox_and_the_outbox(telegram_emulator: TelegramEmulator, live_marketplace,
                                                                   runtime, tmp_path):
    now = datetime.now(timezone.utc)
    with live_marketplace.write() as session:
        code = create_invite(session, role="buyer", account_id="B1", created_at=now, expires_at=now + timedelta(days=1))
    (tmp_path / "config.yaml").write_text("workers:\n  threads: 2\nlimits:\n  messages_per_minute: 100\n")
    config = load_config(str(tmp_path / "config.yaml"), env={})
    telegram = TelegramConfig(token=telegram_emulator.token, base_url=telegram_emulator.base_url, base_file_url="",
                              mode="polling", webhook_listen="127.0.0.1", webhook_port=0, webhook_url="", webhook_secret="")
    node = Node(replace(config, telegram=telegram), telegram, live_marketplace, runtime)
    running = asyncio.create_task(node.run())
    try:
        ann = telegram_emulator.user(first_name="Ann", language_code="en")
        await ann.send(f"/start {code}")
        assert "You're all set, Alice: this chat is linked to your buyer account." in (await ann.reply(timeout=15)).text
        await ann.send("/refund")
        orders = await ann.reply()
        await ann.press(orders, "Trail Sleeping Bag · $80.00")
        reasons = await ann.reply()
        await ann.press(reasons, "I don't need it any more")
        conditions = await ann.reply()
        await ann.press(conditions, "Unopened")
        decision = await ann.reply()
        assert decision.text.startswith("<b>Sorry, this refund can't be approved.</b>") and decision.parse_mode == "HTML"
    finally:
        node.stop.set()
        await running
    with live_marketplace.read() as session:
        [logged] = list_decisions(session, buyer_id="B1", kind="refund")
        assert inbox_stats(session).pending == 0
        # /start: the text and the chat's menu; /refund: the list; each of 3 presses: the pressed message's edit and the reply
        assert outbox_counts(session) == {"sent": 9}
    assert logged.id in decision.text and logged.channel == "telegram"
