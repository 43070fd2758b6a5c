"""A Telegram user talking to a bot through the emulator's client API (/sendMessage, ...)."""
from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

POLL_SECONDS = 0.02
# Telegram clients mark a leading /command (optionally /command@botname) as a bot_command.
COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class BotReply:
    """A message the bot sent to the user's chat, as the emulator stored it."""

    message_id: int
    chat_id: int
    text: str | None
    parse_mode: str | None
    keyboard: tuple[tuple[Button, ...], ...]
    raw: dict[str, Any]

    @classmethod
    def from_stored(cls, entry: dict[str, Any]) -> BotReply:
        """Build a reply from one of the emulator's stored bot messages."""
        message = entry["message"]
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        keyboard = tuple(
            tuple(Button(b["text"], b.get("callback_data"), b.get("url")) for b in row)
            for row in rows
        )
        return cls(
            message_id=int(entry["messageId"]),
            chat_id=int(message["chat_id"]),
            text=message.get("text"),
            parse_mode=message.get("parse_mode"),
            keyboard=keyboard,
            raw=entry,
        )

    @property
    def buttons(self) -> list[Button]:
        """The inline buttons, row by row."""
        return [button for row in self.keyboard for button in row]

    def button(self, text: str) -> Button:
        """The inline button labelled `text`; AssertionError listing the labels if none is."""
        for button in self.buttons:
            if button.text == text:
                return button
        raise AssertionError(
            f"no button {text!r} on bot message {self.message_id}; it has "
            f"{[b.text for b in self.buttons]} (text: {self.text!r})"
        )

    def __str__(self) -> str:
        labels = f" buttons={[b.text for b in self.buttons]}" if self.keyboard else ""
        return f"#{self.message_id} {self.text!r}{labels}"


def _listing(replies: list[BotReply]) -> str:
    return "".join(f"\n  {reply}" for reply in replies)


class TelegramUser:
    """One user in a private chat with the bot whose token the emulator knows."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_url: str,
        token: str,
        *,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        diagnostics: Callable[[], str] = lambda: "",
    ) -> None:
        self.http, self.api_url, self.token = http, api_url, token
        self.user_id = self.chat_id = user_id
        self.profile: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            self.profile["username"] = username
        if language_code:
            self.profile["language_code"] = language_code
        self._diagnostics = diagnostics
        self._unread: list[BotReply] = []

    async def send(self, text: str) -> None:
        """Send a text message; a leading /command is marked as a bot command."""
        message: dict[str, Any] = {"text": text}
        if match := COMMAND.match(text):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        await self._send_message(message)

    async def send_photo(
        self, file_id: str = "photo-1", caption: str | None = None, *, width: int = 1280,
        height: int = 960,
    ) -> None:
        """Send a photo message (sizes only: the emulator has no files, so getFile fails)."""
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": f"{file_id}-s",
             "width": width // 4, "height": height // 4},
            {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": width,
             "height": height},
        ]
        message: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            message["caption"] = caption
        await self._send_message(message)

    async def press(self, reply: BotReply, button_text: str) -> None:
        """Press the inline button labelled `button_text` under `reply`."""
        button = reply.button(button_text)
        if button.callback_data is None:
            raise AssertionError(f"button {button_text!r} has no callback_data: {button}")
        await self.send_callback(reply, button.callback_data)

    async def send_callback(self, reply: BotReply, data: str) -> None:
        """Send a callback query with any `data` from `reply`, as a forged client could."""
        message: dict[str, Any] = {
            "message_id": reply.message_id,
            "date": int(reply.raw["time"]) // 1000,
            "chat": self._chat(),
            "text": reply.text,
        }
        if reply.raw["message"].get("reply_markup"):
            message["reply_markup"] = reply.raw["message"]["reply_markup"]
        await self._post("sendCallback", {
            "botToken": self.token, "from": self.profile, "message": message, "data": data,
        })

    async def replies(self, count: int = 1, timeout: float = 5.0) -> list[BotReply]:
        """Wait for the bot's next `count` messages to this chat, oldest first."""
        deadline = time.monotonic() + timeout
        while len(self._unread) < count:
            self._unread += await self._fetch_new()
            if len(self._unread) >= count:
                break
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} bot message(s) in chat {self.chat_id} within "
                    f"{timeout:g}s, got {len(self._unread)}:{_listing(self._unread)}"
                    f"{self._diagnostic_suffix()}"
                )
            await asyncio.sleep(POLL_SECONDS)
        got, self._unread = self._unread[:count], self._unread[count:]
        return got

    async def reply(self, timeout: float = 5.0) -> BotReply:
        """Wait for the bot's next message to this chat."""
        return (await self.replies(1, timeout))[0]

    async def assert_no_reply(self, within: float = 0.5) -> None:
        """Fail if the bot sends this chat anything within `within` seconds."""
        deadline = time.monotonic() + within
        while not self._unread and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            self._unread += await self._fetch_new()
        if self._unread:
            raise AssertionError(
                f"expected no bot message in chat {self.chat_id}, got:{_listing(self._unread)}"
            )

    async def edited(self, reply: BotReply, timeout: float = 5.0) -> BotReply:
        """Wait until the bot edits `reply` (text or keyboard) and return the new version."""
        deadline = time.monotonic() + timeout
        while True:
            current = await self._current(reply)
            if (current.text, current.keyboard) != (reply.text, reply.keyboard):
                return current
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"bot message {reply.message_id} was not edited within {timeout:g}s; "
                    f"it still reads {current}{self._diagnostic_suffix()}"
                )
            await asyncio.sleep(POLL_SECONDS)

    async def _current(self, reply: BotReply) -> BotReply:
        for entry in await self._post("getUpdatesHistory", {"token": self.token}):
            message = entry.get("message", {})
            if entry.get("messageId") == reply.message_id and "chat_id" in message:
                return BotReply.from_stored(entry)
        raise AssertionError(f"bot message {reply.message_id} is gone (deleted?)")

    def _chat(self) -> dict[str, Any]:
        chat = {"id": self.chat_id, "type": "private", "first_name": self.profile["first_name"]}
        if "username" in self.profile:
            chat["username"] = self.profile["username"]
        return chat

    async def _send_message(self, fields: dict[str, Any]) -> None:
        await self._post("sendMessage", {
            "botToken": self.token, "from": self.profile, "chat": self._chat(),
            "date": int(time.time()), **fields,
        })

    async def _fetch_new(self) -> list[BotReply]:
        entries = await self._post("getUpdates", {"token": self.token, "chatId": self.chat_id})
        return [BotReply.from_stored(entry) for entry in entries]

    async def _post(self, route: str, body: dict[str, Any]) -> Any:
        try:
            response = await self.http.post(f"{self.api_url}/{route}", json=body)
        except httpx.TransportError as exc:
            raise AssertionError(
                f"the Telegram emulator did not answer {route}: {exc!r}{self._diagnostic_suffix()}"
            ) from exc
        response.raise_for_status()
        payload = response.json()
        assert payload.get("ok"), f"emulator {route} failed: {payload}"
        return payload["result"]

    def _diagnostic_suffix(self) -> str:
        text = self._diagnostics().strip()
        return f"\n{text}" if text else ""
