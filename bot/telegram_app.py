"""The Telegram transport: python-telegram-bot updates in, the chat service's replies out."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from .config import TelegramConfig
from .flows.admin import reload_notice
from .markup import escape
from .menu import LANGUAGES, menu
from .messages import Attachment, Incoming, Photo, Reply
from .sender import OutboxSender, chunks
from .service import ChatService

log = logging.getLogger("refundbot.telegram")

MAX_CAPTION = 1024
CONCURRENT_UPDATES = 8


def addressed_elsewhere(text: str | None, bot_username: str | None) -> bool:
    """True for a command addressed to another bot (`/refunds@OtherBot`), which this bot must ignore."""
    if not text or not text.startswith("/"):
        return False
    head = text[1:].split(None, 1)[0] if text[1:].strip() else ""
    _, at, target = head.partition("@")
    return bool(at) and (bot_username is None or target.casefold() != bot_username.lstrip("@").casefold())


def incoming_of(update: Update, bot_username: str | None = None) -> Incoming | None:
    """The transport-neutral form of an update; None for updates with no person behind them (channel posts)
    and for commands addressed to another bot."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    query = update.callback_query
    message = update.effective_message
    chat = update.effective_chat
    photo = None
    if message is not None and query is None and message.photo:
        biggest = message.photo[-1]
        photo = Photo(biggest.file_id, biggest.file_unique_id)
    text = None
    if query is None and message is not None:
        text = message.text or (message.caption if photo is None else None)
    if query is None and text is None and photo is None:
        return None  # stickers, joins, edits: nothing to answer
    if addressed_elsewhere(text, bot_username):
        return None
    return Incoming(
        user_id=user.id,
        text=text,
        button=query.data if query is not None else None,
        photo=photo,
        language=user.language_code,
        update_id=update.update_id,
        chat_id=chat.id if chat is not None else user.id,
        chat_type=chat.type if chat is not None else None,
    )


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons])


def keyboard_json(reply: Reply) -> dict | None:
    """The reply's buttons as the inline keyboard's JSON, what `keyboard(reply).to_dict()` gives, without building
    python-telegram-bot's objects (every queued reply with buttons needs it)."""
    if not reply.buttons:
        return None
    return {"inline_keyboard": [[{"callback_data": b.data, "text": b.text} for b in row] for row in reply.buttons]}


async def send_attachment(bot, chat_id: int, attachment: Attachment) -> None:
    """Send a reply's file: a document (a label PDF) or a photo (a chart)."""
    file = InputFile(attachment.content, filename=attachment.filename)
    if attachment.kind == "photo":
        await bot.send_photo(chat_id, file)
    else:
        await bot.send_document(chat_id, file)


def settled(query) -> tuple[int, int, str] | None:
    """How the message whose button was pressed should read now: (chat id, message id, its HTML text with the
    answer chosen, or "" to only drop its keyboard); None for an old or inaccessible message."""
    message = query.message
    if not isinstance(message, Message):
        return None
    rows = message.reply_markup.inline_keyboard if message.reply_markup else ()
    chosen = next((b.text for row in rows for b in row if b.callback_data == query.data), None)
    shown = message.text_html if message.text else ""
    if chosen is not None and shown:
        shown += f"\n\n› <b>{escape(chosen)}</b>"
    return message.chat.id, message.message_id, shown


async def settle_keyboard(query) -> None:
    """Edit the message whose button was pressed: the question shows the answer chosen and loses its keyboard,
    so old keyboards don't pile up (an old or inaccessible message is left as it is)."""
    edit = settled(query)
    if edit is None:
        return
    shown = edit[2]
    try:
        if shown:
            await query.edit_message_text(shown, parse_mode=ParseMode.HTML, reply_markup=None)
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:  # e.g. older than 48 hours, or already edited by a double tap
        log.info("could not edit the message of callback query %s: %s", query.id, exc)


async def set_chat_menu(bot, chat_id: int, role: str | None, lang: str) -> None:
    """Show this chat the command menu of its role, described in its language."""
    commands = [BotCommand(name, description) for name, description in menu(role, lang)]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.info("could not set the command menu of chat %s: %s", chat_id, exc)


class TelegramBot:
    """Feeds updates to the chat service (in a worker thread: it does database I/O) and sends its replies."""

    def __init__(self, service: ChatService):
        self.service = service
        self.application: Application | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.sender: OutboxSender | None = None
        self._sender_task: asyncio.Task | None = None
        self._stop_sending = asyncio.Event()

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update end to end."""
        incoming = incoming_of(update, context.bot.username)
        if incoming is None:
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()  # stop the button's spinner at once
            except TelegramError as exc:
                log.info("could not answer callback query %s: %s", update.callback_query.id, exc)
        replies = await asyncio.to_thread(self.service.handle, incoming)
        if update.callback_query is not None:
            await settle_keyboard(update.callback_query)
        for reply in replies:
            await self.send(incoming.chat_id, reply)

    async def send(self, chat_id: int, reply: Reply) -> None:
        """Send one reply (split if it is longer than Telegram allows; buttons on the last part)."""
        if reply.photo:
            await self.send_photo(chat_id, reply)
            return
        parts = chunks(reply.text)
        for i, part in enumerate(parts):
            await self.application.bot.send_message(chat_id, part, parse_mode=ParseMode.HTML,
                                                    reply_markup=keyboard(reply) if i == len(parts) - 1 else None)
        if reply.attachment is not None:
            await send_attachment(self.application.bot, chat_id, reply.attachment)
        if reply.menu is not None:
            await set_chat_menu(self.application.bot, chat_id, *reply.menu)

    async def send_photo(self, chat_id: int, reply: Reply) -> None:
        """Show a stored photo again: fetched from Telegram (getFile, download) and sent with its caption."""
        bot = self.application.bot
        try:
            file = await bot.get_file(reply.photo)
            data = await file.download_as_bytearray()
        except TelegramError as exc:
            log.warning("could not fetch photo %s: %s", reply.photo, exc)
            await bot.send_message(chat_id, f"{reply.text}{escape(f' (the photo could not be fetched from Telegram: {exc})')}",
                                   parse_mode=ParseMode.HTML, reply_markup=keyboard(reply))
            return
        if len(reply.text) <= MAX_CAPTION:
            await bot.send_photo(chat_id, bytes(data), caption=reply.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(reply))
            return
        await bot.send_photo(chat_id, bytes(data))  # a caption cut short could cut a tag in two: the text follows
        await self.send(chat_id, replace(reply, photo=None))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log errors outside the service (network, Telegram); the bot keeps running."""
        log.error("error while handling %r", update, exc_info=context.error)

    def notify_admins(self, text: str) -> None:
        """Send `text` to every linked admin; safe to call from any thread."""
        if self._loop is None or self.application is None:
            return
        for chat_id in self.service.admin_chats():
            asyncio.run_coroutine_threadsafe(self.send(chat_id, Reply(text)), self._loop)

    async def started(self, application: Application) -> None:
        """post_init hook: remember the loop so other threads can send, set the menu for chats not linked yet
        (per language), and start delivering the outbox."""
        self._loop = asyncio.get_running_loop()
        for lang in LANGUAGES:
            commands = [BotCommand(name, description) for name, description in menu(None, lang)]
            try:
                await application.bot.set_my_commands(commands, language_code=None if lang == "en" else lang)
            except TelegramError as exc:
                log.warning("could not set the default command menu (%s): %s", lang, exc)
        self._stop_sending = asyncio.Event()
        self.sender = OutboxSender(self.service.store, application.bot)
        # Our own task (post_init runs before the Application starts), stopped and awaited in post_stop.
        self._sender_task = asyncio.create_task(self.sender.run(self._stop_sending), name="outbox sender")

    async def stopping(self, application: Application) -> None:
        """post_stop hook: let the outbox sender finish its batch and stop."""
        self._stop_sending.set()
        if self._sender_task is not None:
            await asyncio.wait([self._sender_task], timeout=30)

    def on_reload(self, result) -> None:
        """Tell admins about reloads they did not ask for in the chat (file edits, SIGHUP) that failed."""
        if not result.ok and result.trigger != "admin":
            self.notify_admins(reload_notice(result))


def build_application(telegram: TelegramConfig, service: ChatService, *,
                      builder: ApplicationBuilder | None = None) -> tuple[Application, TelegramBot]:
    """The python-telegram-bot Application wired to the chat service (`builder` lets tests bring their own request)."""
    bot = TelegramBot(service)
    if builder is None:
        base = telegram.base_url.rstrip("/")
        files = telegram.base_file_url.rstrip("/") if telegram.base_file_url else base.replace("/bot", "/file/bot")
        builder = (Application.builder().token(telegram.token).base_url(base).base_file_url(files)
                   .rate_limiter(AIORateLimiter()))  # Telegram's limits, for replies and the outbox alike
    application = builder.concurrent_updates(CONCURRENT_UPDATES).post_init(bot.started).post_stop(bot.stopping).build()
    application.add_handler(TypeHandler(Update, bot.on_update))
    application.add_error_handler(bot.on_error)
    bot.application = application
    return application, bot
