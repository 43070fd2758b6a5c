"""The offline pattern: a real Application, updates built as JSON, Bot API calls recorded."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters,
)

from tests.bot.telegram_offline import (
    OfflineRequest, callback_update, channel_post_update, command_update, message_update,
    offline_builder, photo_update, process_updates,
)


async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Refund", callback_data="refund:7"),
                                      InlineKeyboardButton("Help", callback_data="help")]])
    name = update.effective_user.first_name
    await update.message.reply_text(f"<b>Hi</b> {name}", parse_mode="HTML", reply_markup=keyboard)


async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("ok")
    await query.edit_message_text(f"chose {query.data}")


async def photo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await update.message.photo[-1].get_file()
    content = await file.download_as_bytearray()
    await update.message.reply_text(f"got {len(content)} bytes, caption {update.message.caption}")
    sent = await update.message.reply_photo(b"thumbnail", caption="your photo")
    await update.message.reply_text(f"sent photo {sent.photo[-1].file_id}")


async def channel_post(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(update.effective_chat.id, f"user={update.effective_user}")


async def text(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"{update.effective_user.language_code}: {update.message.text}")


async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await context.bot.get_chat_member(update.effective_chat.id, update.effective_user.id)
    await update.message.reply_text(f"status {found.status}")


async def crash(_update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    raise ZeroDivisionError("handler bug")


def add_handlers(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("member", member))
    app.add_handler(CommandHandler("crash", crash))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POST, channel_post))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))


@pytest.fixture
def bot_api() -> OfflineRequest:
    return OfflineRequest(files={"photo-9": b"jpeg bytes"})


@pytest.fixture
async def app(bot_api: OfflineRequest) -> AsyncIterator[Application]:
    application = offline_builder(bot_api).build()
    add_handlers(application)
    await application.initialize()
    assert [call.method for call in bot_api.calls] == ["getMe"]
    bot_api.clear()
    yield application
    await application.shutdown()


async def test_command_replies_with_buttons(app: Application, bot_api: OfflineRequest):
    await process_updates(app, command_update(1, 42, "start", bot=app.bot, first_name="Ann"))

    [call] = bot_api.calls
    assert (call.method, call.chat_id, call.text, call.parse_mode) == (
        "sendMessage", 42, "<b>Hi</b> Ann", "HTML")
    assert call.buttons == [("Refund", "refund:7"), ("Help", "help")]


async def test_button_press_answers_then_edits(app: Application, bot_api: OfflineRequest):
    await process_updates(app, callback_update(2, 42, "refund:7", bot=app.bot, message_id=501))

    answer, edit = bot_api.calls
    assert (answer.method, answer.params["text"]) == ("answerCallbackQuery", "ok")
    assert answer.params["callback_query_id"] == "cq-2"
    assert (edit.method, edit.chat_id, edit.params["message_id"], edit.text) == (
        "editMessageText", 42, 501, "chose refund:7")
    assert edit.buttons == []


async def test_photo_is_fetched_and_downloaded(app: Application, bot_api: OfflineRequest):
    update = photo_update(3, 42, bot=app.bot, file_id="photo-9", caption="broken lid")
    await process_updates(app, update)

    get_file, text_reply, photo_reply, last = bot_api.calls
    assert (get_file.method, get_file.params["file_id"]) == ("getFile", "photo-9")
    assert bot_api.downloads == ["photo-9"]
    assert text_reply.text == "got 10 bytes, caption broken lid"
    assert (photo_reply.method, photo_reply.text) == ("sendPhoto", "your photo")
    assert photo_reply.files == {"photo": b"thumbnail"}
    assert last.text.startswith("sent photo sent-")


async def test_update_without_a_user(app: Application, bot_api: OfflineRequest):
    update = channel_post_update(4, -100123, "news", bot=app.bot)
    assert update.effective_user is None

    await process_updates(app, update)

    [call] = bot_api.calls_to("sendMessage")
    assert (call.chat_id, call.text) == (-100123, "user=None")


async def test_several_updates_are_recorded_in_order(app: Application, bot_api: OfflineRequest):
    await process_updates(
        app,
        message_update(5, 42, "hallo", bot=app.bot, language_code="de"),
        message_update(6, 43, "hello", bot=app.bot),
    )

    assert [(call.chat_id, call.text) for call in bot_api.calls_to("sendMessage")] == [
        (42, "de: hallo"), (43, "en: hello")]


async def test_unanswered_method_fails_with_its_name(app: Application, bot_api: OfflineRequest):
    with pytest.raises(BadRequest, match="OfflineRequest has no answer for getChatMember"):
        await process_updates(app, command_update(7, 42, "member", bot=app.bot))

    bot_api.answers["getChatMember"] = lambda params: {
        "status": "member", "user": {"id": params["user_id"], "is_bot": False, "first_name": "A"}}
    await process_updates(app, command_update(8, 42, "member", bot=app.bot))
    assert bot_api.calls[-1].text == "status member"


async def test_handler_errors_are_raised_unless_expected(app: Application):
    with pytest.raises(ZeroDivisionError, match="handler bug"):
        await process_updates(app, command_update(9, 42, "crash", bot=app.bot))
    await process_updates(app, command_update(10, 42, "crash", bot=app.bot), raise_errors=False)
