"""Offline Telegram for fast bot tests through the real `Application.process_update`.

    request = OfflineRequest()
    app = offline_builder(request).build()
    app.add_handler(...)
    await app.initialize()
    await process_updates(app, command_update(1, user_id=42, command="start", bot=app.bot))
    [call] = request.calls_to("sendMessage")
    assert call.text == "Hello" and call.buttons == [("Yes", "yes")]
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest, RequestData

TOKEN = "123456:OFFLINE-TEST-TOKEN"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Test Bot", "username": "test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
# Methods whose Bot API answer is just `true`.
TRUE_METHODS = frozenset({
    "answerCallbackQuery", "deleteMessage", "deleteMessages", "sendChatAction", "setMyCommands",
    "deleteMyCommands", "setChatMenuButton", "setWebhook", "deleteWebhook", "setMessageReaction",
    "pinChatMessage", "unpinChatMessage", "answerInlineQuery", "close", "logOut",
})
Answer = Callable[[dict[str, Any]], Any]


class NoAnswer(Exception):
    """OfflineRequest has no default answer for a Bot API method."""


@dataclass(frozen=True)
class BotCall:
    """One Bot API call the bot made: the method and its parameters as JSON values."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None  # what the offline Bot API answered (a sent message: its message_id)

    @property
    def chat_id(self) -> int | str | None:
        """The target chat (an int, or an @username string)."""
        value = self.params.get("chat_id")
        return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value

    @property
    def text(self) -> str | None:
        """The message text, or the caption for media."""
        return self.params.get("text", self.params.get("caption"))

    @property
    def parse_mode(self) -> str | None:
        """The parse mode the bot asked for, if any."""
        return self.params.get("parse_mode")

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline keyboard buttons as (text, callback_data), row by row."""
        rows = (self.params.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(button["text"], button.get("callback_data")) for row in rows for button in row]


class OfflineRequest(BaseRequest):
    """Answers Bot API calls in memory with plausible results and records them in order."""

    def __init__(
        self,
        *,
        answers: dict[str, Answer] | None = None,
        files: dict[str, bytes] | None = None,
        bot_user: dict[str, Any] | None = None,
    ) -> None:
        self.calls: list[BotCall] = []
        self.answers = dict(answers or {})  # method -> params -> result, overriding the defaults
        self.files = dict(files or {})  # file_id -> bytes that getFile + download return
        self.bot_user = bot_user or BOT_USER
        self.downloads: list[str] = []  # file_ids the bot downloaded, in order
        self._paths: dict[str, str] = {}  # file_path handed out by getFile -> file_id
        self._message_ids = count(10_001)

    @property
    def read_timeout(self) -> float | None:
        """No network, so no timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def calls_to(self, *methods: str) -> list[BotCall]:
        """The recorded calls to any of `methods`, in order."""
        return [call for call in self.calls if call.method in methods]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.calls.clear()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one call: file downloads by path, Bot API methods by name."""
        if "/file/bot" in url:
            file_id = next((fid for path, fid in self._paths.items() if url.endswith("/" + path)),
                           url.rsplit("/", 1)[1])
            self.downloads.append(file_id)
            return 200, self.files.get(file_id, f"offline file {file_id}".encode())
        api_method = url.rsplit("/", 1)[1]
        params = request_data.parameters if request_data else {}
        uploads = request_data.multipart_data if request_data else {}
        files = {name: part[1] if isinstance(part[1], bytes) else part[1].read() for name, part in uploads.items()}
        try:
            result = self._answer(api_method, params)
        except NoAnswer as exc:
            self.calls.append(BotCall(api_method, params, files))
            body = {"ok": False, "error_code": 400, "description": exc.args[0]}
            return 400, json.dumps(body).encode()
        self.calls.append(BotCall(api_method, params, files, result))
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method in self.answers:
            return self.answers[method](params)
        if method == "getMe":
            return self.bot_user
        if method in TRUE_METHODS:
            return True
        if method == "getUpdates":
            return []
        if method == "getFile":
            file_id = params["file_id"]
            path = f"files/{len(self._paths) + 1}.jpg"
            self._paths[path] = file_id
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_path": path}
        if method.startswith("send"):
            return self._message(params, next(self._message_ids), method)
        if method.startswith("edit"):
            if "inline_message_id" in params:
                return True
            return self._message(params, int(params["message_id"]), method)
        raise NoAnswer(
            f"OfflineRequest has no answer for {method}; pass answers={{{method!r}: ...}}"
        )

    def _message(self, params: dict[str, Any], message_id: int, method: str) -> dict[str, Any]:
        chat_id = params.get("chat_id", 0)
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = {"id": -1001, "type": "channel", "username": chat_id[1:]}
        else:
            chat = {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "supergroup"}
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat,
                   "from": self.bot_user}
        for key in ("text", "caption", "reply_markup"):
            if key in params:
                message[key] = params[key]
        sent_file = {"file_id": f"sent-{message_id}", "file_unique_id": f"u-{message_id}"}
        if method == "sendPhoto":
            message["photo"] = [{**sent_file, "width": 800, "height": 600}]
        if method == "sendDocument":
            message["document"] = sent_file
        return message


def offline_builder(request: OfflineRequest, token: str = TOKEN) -> ApplicationBuilder:
    """An ApplicationBuilder whose bot talks to `request` (getUpdates to a throwaway one)."""
    return Application.builder().token(token).request(request).get_updates_request(OfflineRequest())


async def process_updates(app: Application, *updates: Update, raise_errors: bool = True) -> None:
    """Feed `updates` to app.process_update in order; re-raise the first handler error."""
    errors: list[BaseException] = []

    async def collect(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_error_handler(collect)
    try:
        for update in updates:
            await app.process_update(update)
    finally:
        app.remove_error_handler(collect)
    if raise_errors and errors:
        raise errors[0]


def user_dict(
    user_id: int, *, first_name: str = "Test", username: str | None = None,
    language_code: str | None = "en",
) -> dict[str, Any]:
    """A Telegram User as JSON."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def _chat(chat_id: int, user_id: int, first_name: str = "Test") -> dict[str, Any]:
    if chat_id == user_id:
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": "supergroup", "title": "Test group"}


def _user_message(
    update_id: int, user_id: int, *, chat_id: int | None, message_id: int | None,
    language_code: str | None, first_name: str = "Test", username: str | None = None,
    **content: Any,
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id if message_id is None else message_id,
            "date": int(time.time()),
            "chat": _chat(user_id if chat_id is None else chat_id, user_id, first_name),
            "from": user_dict(user_id, first_name=first_name, username=username,
                              language_code=language_code),
            **content,
        },
    }


def message_update(
    update_id: int, user_id: int, text: str, *, bot: Bot, language_code: str | None = "en",
    chat_id: int | None = None, message_id: int | None = None, first_name: str = "Test",
    username: str | None = None, entities: list[dict[str, Any]] | None = None,
) -> Update:
    """A text message from `user_id` (in their private chat unless `chat_id` is given)."""
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    data = _user_message(update_id, user_id, chat_id=chat_id, message_id=message_id,
                         language_code=language_code, first_name=first_name, username=username,
                         **content)
    return Update.de_json(data, bot)


def command_update(
    update_id: int, user_id: int, command: str, args: str = "", *, bot: Bot, **options: Any,
) -> Update:
    """A /command with optional arguments, marked as a bot_command as clients send it; options
    are message_update's."""
    command = "/" + command.lstrip("/")
    entity = {"type": "bot_command", "offset": 0, "length": len(command)}
    return message_update(update_id, user_id, f"{command} {args}".strip(), bot=bot,
                          entities=[entity], **options)


def photo_update(
    update_id: int, user_id: int, *, bot: Bot, file_id: str = "photo-1",
    caption: str | None = None, language_code: str | None = "en", chat_id: int | None = None,
) -> Update:
    """A photo message (a small and a large size; the large one has `file_id`)."""
    sizes = [
        {"file_id": f"{file_id}-small", "file_unique_id": f"{file_id}-s", "width": 320,
         "height": 240},
        {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 1280, "height": 960},
    ]
    content: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
    data = _user_message(update_id, user_id, chat_id=chat_id, message_id=None,
                         language_code=language_code, **content)
    return Update.de_json(data, bot)


def callback_update(
    update_id: int, user_id: int, data: str, *, bot: Bot, message_id: int = 1,
    message_text: str = "", chat_id: int | None = None, language_code: str | None = "en",
    reply_markup: dict[str, Any] | None = None,
) -> Update:
    """A press of an inline button with `data` under the bot's message `message_id` (with its text and keyboard)."""
    chat_id = user_id if chat_id is None else chat_id
    message = {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
               "chat": _chat(chat_id, user_id), "text": message_text}
    if reply_markup is not None:
        message["reply_markup"] = reply_markup
    query = {
        "id": f"cq-{update_id}", "chat_instance": f"ci-{chat_id}", "data": data,
        "from": user_dict(user_id, language_code=language_code), "message": message,
    }
    return Update.de_json({"update_id": update_id, "callback_query": query}, bot)


def channel_post_update(update_id: int, chat_id: int, text: str, *, bot: Bot) -> Update:
    """A channel post: an update with no user at all (effective_user is None)."""
    post = {"message_id": update_id, "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": "channel", "title": "Test channel"}}
    return Update.de_json({"update_id": update_id, "channel_post": post}, bot)
