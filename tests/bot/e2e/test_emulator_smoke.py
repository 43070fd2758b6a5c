"""The real python-telegram-bot Application against the emulator: messages, buttons, edits."""
from __future__ import annotations

import asyncio
import socket
import time

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters,
)

from tests.bot.e2e.emulator_process import (
    EmulatorError, running_emulator, start_emulator, stop_emulator,
)
from tests.bot.e2e.harness import TelegramEmulator, running_bot

pytestmark = pytest.mark.e2e

KEYBOARD = InlineKeyboardMarkup([
    [InlineKeyboardButton("Yes", callback_data="choice:yes"),
     InlineKeyboardButton("No", callback_data="choice:no")],
    [InlineKeyboardButton("Edit me", callback_data="edit")],
])


async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_chat_action("typing")
    await update.message.reply_text("Hello! Pick one:", reply_markup=KEYBOARD)


async def choice(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    await query.message.reply_text(f"pressed {query.data} as {query.from_user.id}")


async def edit(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("editing")
    edited = await query.edit_message_text("Edited <b>text</b>", parse_mode="HTML")
    await query.message.reply_text(f"edit returned message {edited.message_id}")


async def photo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    biggest = update.message.photo[-1]
    await update.message.reply_text(f"photo {biggest.file_id} {biggest.width}x{biggest.height} "
                                    f"caption={update.message.caption}")


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    await update.message.reply_text(f"echo {update.message.text} ({user.language_code})")


def echo_app(token: str, base_url: str) -> Application:
    """A tiny bot with a command, buttons, an edit, photos and a text echo."""
    async def set_menu(application: Application) -> None:
        await application.bot.set_my_commands([("start", "Start over")])
        application.bot_data["menu set"] = True

    app = (Application.builder().token(token).base_url(base_url)
           .get_updates_connection_pool_size(2).post_init(set_menu).build())
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(choice, pattern=r"^choice:"))
    app.add_handler(CallbackQueryHandler(edit, pattern=r"^edit$"))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


async def test_user_and_bot_talk_through_the_emulator(telegram_emulator: TelegramEmulator):
    async with running_bot(echo_app, telegram_emulator) as app:
        alice = telegram_emulator.user(first_name="Alice")
        bob = telegram_emulator.user(language_code="de")

        await alice.send("/start")
        menu = await alice.reply()
        assert menu.text == "Hello! Pick one:"
        assert [(b.text, b.callback_data) for b in menu.buttons] == [
            ("Yes", "choice:yes"), ("No", "choice:no"), ("Edit me", "edit")]

        await alice.press(menu, "No")
        assert (await alice.reply()).text == f"pressed choice:no as {alice.user_id}"

        await bob.send("hello there")
        await alice.send_photo("receipt-1", caption="broken lid")
        assert (await bob.reply()).text == "echo hello there (de)"
        assert (await alice.reply()).text == "photo receipt-1 1280x960 caption=broken lid"
        await bob.assert_no_reply(within=0.2)

    assert app.bot_data["menu set"]  # running_bot ran post_init
    assert not app.running and not app.updater.running
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftover == []


async def test_button_edits_the_message(telegram_emulator: TelegramEmulator):
    async with running_bot(echo_app, telegram_emulator):
        user = telegram_emulator.user()
        await user.send("/start")
        menu = await user.reply()

        await user.press(menu, "Edit me")
        edited = await user.edited(menu)
        assert (edited.message_id, edited.text, edited.parse_mode) == (
            menu.message_id, "Edited <b>text</b>", "HTML")
        assert edited.buttons == []  # an edit without reply_markup drops the keyboard
        assert (await user.reply()).text == f"edit returned message {menu.message_id}"


async def test_waiting_for_a_reply_that_never_comes_says_what_arrived(
    telegram_emulator: TelegramEmulator,
):
    async with running_bot(echo_app, telegram_emulator):
        user = telegram_emulator.user()
        await user.send("/start")
        arrived = r"expected 2 bot message.*got 1:\n  #\d+ 'Hello! Pick one:' buttons="
        with pytest.raises(AssertionError, match=arrived):
            await user.replies(2, timeout=0.5)
        with pytest.raises(AssertionError, match=r"no button 'Maybe'.*\['Yes', 'No', 'Edit me'\]"):
            await user.press((await user.reply()), "Maybe")


async def test_bot_errors_fail_the_test_with_the_emulators_reason(
    telegram_emulator: TelegramEmulator,
):
    async def send_voice(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_voice(b"not really an ogg")

    app = Application.builder()
    with pytest.raises(AssertionError, match="API method 'sendVoice' is not supported"):
        async with running_bot(app, telegram_emulator) as running:
            running.add_handler(CommandHandler("voice", send_voice))
            user = telegram_emulator.user()
            await user.send("/voice")
            reason = r"(?s)got 0.*the bot raised.*sendVoice. is not supported"
            with pytest.raises(AssertionError, match=reason):
                await user.reply(timeout=0.5)


def test_emulator_exits_cleanly_on_sigterm_and_when_its_parent_goes():
    with running_emulator() as emulator:
        port = int(emulator.api_url.rsplit(":", 1)[1])
        assert emulator.api_url.startswith("http://127.0.0.1:")
    assert emulator.process.returncode == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

    orphan = start_emulator()
    orphan.process.stdin.close()  # what the pipe sees when pytest is killed
    deadline = time.monotonic() + 5
    while orphan.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert orphan.process.returncode == 0
    with pytest.raises(EmulatorError, match="had exited with code 0"):
        stop_emulator(orphan)
