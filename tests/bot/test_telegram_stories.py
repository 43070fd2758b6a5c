"""The same conversations through python-telegram-bot's real Application, offline (no network)."""
from __future__ import annotations

import asyncio
from itertools import count

import pytest
from sqlalchemy import func, select

from bot.config import LimitsConfig, TelegramConfig
from bot.markup import plain
from bot.service import ChatService
from bot.telegram_app import build_application
from store import link_identity
from store.models import Refund

from .conftest import NOW
from .telegram_offline import (
    OfflineRequest, callback_update, channel_post_update, command_update, message_update, offline_builder, photo_update,
    process_updates,
)

TELEGRAM = TelegramConfig(token="123456:OFFLINE-TEST-TOKEN", base_url="https://api.telegram.org/bot", base_file_url="",
                          mode="polling", webhook_listen="127.0.0.1", webhook_port=8443, webhook_url="", webhook_secret="")


class TelegramChat:
    """One Telegram user talking to the bot through Application.process_update."""

    _ids = count(50_000)

    def __init__(self, app, request: OfflineRequest, user_id: int, language: str = "en"):
        self.app, self.request, self.user_id, self.language = app, request, user_id, language
        self.sent = []

    async def _feed(self, *updates):
        before = len(self.request.calls_to("sendMessage"))
        await process_updates(self.app, *updates)
        self.sent = [c for c in self.request.calls_to("sendMessage")[before:] if c.chat_id == self.user_id]
        return self.sent

    async def say(self, text: str):
        uid = next(self._ids)
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            update = command_update(uid, self.user_id, command, args, bot=self.app.bot, language_code=self.language)
        else:
            update = message_update(uid, self.user_id, text, bot=self.app.bot, language_code=self.language)
        return await self._feed(update)

    def data(self, label: str) -> str:
        return self._button(label)[1]

    def _button(self, label: str):
        found = [(c, d) for c in self.sent for text, d in c.buttons if label.casefold() in text.casefold()]
        assert len(found) == 1, (label, [c.buttons for c in self.sent])
        return found[0]

    async def tap(self, label: str):
        """Press a button under the message it came with, as a Telegram client does (its id, text and keyboard)."""
        call, data = self._button(label)
        return await self._feed(callback_update(next(self._ids), self.user_id, data, bot=self.app.bot,
                                                message_id=call.result["message_id"], message_text=plain(call.text),
                                                reply_markup=call.params.get("reply_markup")))

    async def photo(self, file_id: str):
        return await self._feed(photo_update(next(self._ids), self.user_id, bot=self.app.bot, file_id=file_id))

    @property
    def text(self) -> str:
        """What the person reads in the messages sent to them (the HTML without its tags)."""
        return "\n".join(plain(c.text) for c in self.sent)


@pytest.fixture
async def telegram(live_marketplace, runtime):
    service = ChatService(live_marketplace, runtime, limits=LimitsConfig(messages_per_minute=1000, max_text_length=1000))
    request = OfflineRequest()
    app, _ = build_application(TELEGRAM, service, builder=offline_builder(request))
    with live_marketplace.write() as session:
        for user, role, account in [(101, "buyer", "B1"), (102, "buyer", "B2"), (201, "seller", "S1")]:
            link_identity(session, telegram_user_id=user, role=role, account_id=account, linked_at=NOW)
    await app.initialize()
    yield app, request
    await app.shutdown()


async def test_a_buyer_is_denied_a_sleeping_bag_through_telegram(telegram):
    app, request = telegram
    alice = TelegramChat(app, request, 101)
    await alice.say("/refund")
    question = alice.sent[0]
    assert question.text.startswith("Which item is it about?\n\n<b>Order O1</b> · delivered ") and question.parse_mode == "HTML"
    await alice.tap("Trail Sleeping Bag")
    [edit] = request.calls_to("editMessageText")  # the question now shows the answer, and its keyboard is gone
    assert edit.params["message_id"] == question.result["message_id"] and "reply_markup" not in edit.params
    assert edit.text.endswith("\n\n› <b>Trail Sleeping Bag · $80.00</b>") and edit.parse_mode == "HTML"
    await alice.tap("don't need it")
    await alice.tap("Unopened")
    assert alice.sent[0].text.startswith("<b>Sorry, this refund can&#x27;t be approved.</b>") or \
        alice.sent[0].text.startswith("<b>Sorry, this refund can't be approved.</b>")
    assert "(rule" not in alice.text and alice.sent[0].text.splitlines()[-1].startswith("<i>Decision D-")
    assert len(request.calls_to("answerCallbackQuery")) == 3  # every button press is acknowledged
    edits = request.calls_to("editMessageText")
    assert len(edits) == 3 and all("reply_markup" not in e.params for e in edits)
    assert [e.text.rsplit("› ", 1)[1] for e in edits] == [
        "<b>Trail Sleeping Bag · $80.00</b>", "<b>I don't need it any more</b>", "<b>Unopened</b>"]


async def test_a_seller_gets_their_tier_and_files_a_claim_with_a_photo(telegram):
    app, request = telegram
    seller = TelegramChat(app, request, 201)
    await seller.say("what's my tier?")
    assert "Your reward tier over the last 90 days" in seller.text
    [chart] = request.calls_to("sendPhoto")
    assert chart.chat_id == 201 and chart.files["photo"].startswith(b"\x89PNG")
    await seller.say("/claim RF4")
    await seller.tap("Delivered, buyer says it wasn't")
    await seller.photo("AgACAgQAAxkBAAIBnWb")
    assert "Photo added (1 so far)." in seller.text
    await seller.tap("Tracking")
    await seller.say("9400 1000 0000 0000 0000 00")
    assert "Tracking number 9400100000000000000000 added." in seller.text
    await seller.tap("Signature")
    await seller.tap("Submit claim")
    assert "Your claim is approved." in seller.text and "Reimbursement: $40.00" in seller.text


async def test_a_redelivered_update_is_handled_once(telegram, live_marketplace):
    app, request = telegram
    alice = TelegramChat(app, request, 101)
    await alice.say("/refund O1-1")
    await alice.tap("faulty")
    update = callback_update(60_001, 101, alice.data("Unopened"), bot=app.bot)
    await process_updates(app, update)
    await process_updates(app, update)  # Telegram delivers it again
    texts = [c.text for c in request.calls_to("sendMessage") if "Refund: $80.00" in plain(c.text or "")]
    assert len(texts) == 1
    with live_marketplace.read() as session:
        assert session.scalar(select(func.count()).select_from(Refund).where(Refund.order_item_id == "O1-1")) == 1


async def test_two_taps_on_the_same_button_at_once_create_one_refund(telegram, live_marketplace):
    app, request = telegram
    alice = TelegramChat(app, request, 101)
    await alice.say("/refund O2-1")
    await alice.tap("wrong item")
    data = alice.data("Unopened")
    await asyncio.gather(*(app.process_update(callback_update(61_000 + i, 101, data, bot=app.bot)) for i in range(3)))
    decided = [c for c in request.calls_to("sendMessage") if "Your return is approved." in (c.text or "")]
    assert len(decided) == 1
    with live_marketplace.read() as session:
        assert session.scalar(select(func.count()).select_from(Refund).where(Refund.order_item_id == "O2-1")) == 1


async def test_updates_without_a_user_are_ignored(telegram):
    app, request = telegram
    await process_updates(app, channel_post_update(62_001, -100123, "/refund", bot=app.bot))
    assert request.calls_to("sendMessage") == []


async def test_forged_callback_data_gets_the_expired_answer(telegram):
    app, request = telegram
    bob = TelegramChat(app, request, 102)
    for data in ("O1-1", "x" * 64, "AAAAAA:1", "refund:O1-1"):
        await bob._feed(callback_update(next(TelegramChat._ids), 102, data, bot=app.bot))
        assert bob.text.startswith("That button has expired.")


async def test_a_long_reply_is_split_to_fit_telegram(telegram, runtime, policy_file):
    from bot.sender import MAX_MESSAGE, chunks

    parts = chunks("line\n" * 2000)
    assert all(len(p) <= MAX_MESSAGE for p in parts) and "".join(p + "\n" for p in parts).count("line") == 2000


async def test_admins_are_told_when_an_edited_policy_file_is_rejected(live_marketplace, runtime, policy_file):
    service = ChatService(live_marketplace, runtime, limits=LimitsConfig(messages_per_minute=100, max_text_length=1000))
    request = OfflineRequest()
    app, bot = build_application(TELEGRAM, service, builder=offline_builder(request))
    with live_marketplace.write() as session:
        link_identity(session, telegram_user_id=301, role="admin", account_id=None, linked_at=NOW)
    await app.initialize()
    await bot.started(app)
    runtime.add_listener(bot.on_reload)
    try:
        policy_file.write_text(policy_file.read_text().replace("max_price: 15", "max_price: -15"))
        result = await asyncio.to_thread(runtime.reload, "file")  # as the watcher thread does
        assert not result.ok
        for _ in range(100):
            if request.calls_to("sendMessage"):
                break
            await asyncio.sleep(0.01)
        [notice] = request.calls_to("sendMessage")
        assert notice.chat_id == 301
        assert notice.text.startswith(f"A policy reload (file) was rejected; still serving {runtime.version}.")
        assert "out-of-range: returns.returnless.max_price" in notice.text
        await asyncio.to_thread(runtime.reload, "admin")  # failures admins asked for in the chat are answered there
        await asyncio.sleep(0.05)
        assert len(request.calls_to("sendMessage")) == 1
    finally:
        await app.shutdown()


async def test_an_approved_return_sends_its_label_as_a_document(telegram):
    from .labels_read import barcodes

    app, request = telegram
    alice = TelegramChat(app, request, 101)
    await alice.say("/refund O2-1")
    await alice.tap("wrong item")
    await alice.tap("Unopened")
    assert "Your return is approved." in alice.text
    [document] = request.calls_to("sendDocument")
    assert document.chat_id == 101
    rma = barcodes(document.files["document"])["Code128"]
    assert f"RMA {rma}" in alice.text
    await alice.say("/label")
    assert len(request.calls_to("sendDocument")) == 2


async def test_the_command_menu_follows_the_role_and_the_language(live_marketplace, runtime):
    from datetime import datetime, timedelta, timezone

    from store import create_invite

    service = ChatService(live_marketplace, runtime, limits=LimitsConfig(messages_per_minute=100, max_text_length=1000))
    request = OfflineRequest()
    app, bot = build_application(TELEGRAM, service, builder=offline_builder(request))
    await app.initialize()
    try:
        await bot.started(app)
        defaults = request.calls_to("setMyCommands")
        assert [(c.params.get("language_code"), [x["command"] for x in c.params["commands"]]) for c in defaults] == [
            (None, ["start", "language", "help"]), ("es", ["start", "language", "help"])]
        now = datetime.now(timezone.utc)
        with live_marketplace.write() as session:
            code = create_invite(session, role="seller", account_id="S1", created_at=now, expires_at=now + timedelta(days=1))
        request.clear()
        sam = TelegramChat(app, request, 404, language="es")
        await sam.say(f"/start {code}")
        [menu_call] = request.calls_to("setMyCommands")
        assert menu_call.params["scope"] == {"type": "chat", "chat_id": 404}
        commands = {c["command"]: c["description"] for c in menu_call.params["commands"]}
        assert set(commands) == {"tier", "refunds", "claims", "claim", "owed", "report", "decision", "language", "help", "cancel"}
        assert commands["tier"] == "Tu nivel de recompensas, con un gráfico"
    finally:
        await app.shutdown()
async def test_private_data_is_only_answered_in_a_private_chat(telegram):
    app, request = telegram
    group = -100_777
    before = len(request.calls_to("sendMessage"))
    await process_updates(app, command_update(60_001, 101, "refund", bot=app.bot, chat_id=group))
    await process_updates(app, message_update(60_002, 101, "I want to return my sleeping bag", bot=app.bot, chat_id=group))
    await process_updates(app, callback_update(60_003, 101, "x:1", bot=app.bot, chat_id=group))
    sent = request.calls_to("sendMessage")[before:]
    assert [c.chat_id for c in sent] == [group, group]  # the command and the button; the chatter in the group is not answered
    assert all(c.text == "I only talk about orders, refunds and claims in a private chat. Please write to me privately." for c in sent)
    with telegram_store(app).read() as session:
        assert session.scalar(select(func.count()).select_from(Refund)) == 1  # only the fixture's refund


async def test_commands_addressed_to_another_bot_are_ignored(telegram):
    app, request = telegram
    before = len(request.calls_to("sendMessage"))
    await process_updates(app, command_update(60_010, 101, "status@OtherBot", bot=app.bot))
    assert request.calls_to("sendMessage")[before:] == []
    await process_updates(app, command_update(60_011, 101, "status@Test_Bot", bot=app.bot))  # ours (test_bot), in any case
    [answer] = request.calls_to("sendMessage")[before:]
    assert answer.text.startswith("You haven't asked for any refunds yet.")


def telegram_store(app):
    return app.handlers[0][0].callback.__self__.service.store
