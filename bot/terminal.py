"""The terminal transport: the same chat service on stdin/stdout, buttons shown as numbered choices.

Piped input works line by line (one line in, the replies out). A number answers the numbered
choices of the last replies; `/photo NAME` sends a photo (for claim evidence).
"""
from __future__ import annotations

import zlib
from typing import TextIO

from store import Identity

from .messages import Button, Incoming, Photo, Reply
from .service import ChatService
from .texts import text


def terminal_user_id(identity: Identity) -> int:
    """A stable negative user id per account, so terminal conversations never collide with Telegram users."""
    return -(zlib.crc32(f"{identity.role}:{identity.account_id}".encode()) or 1)


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    """The replies as text with numbered choices, and the buttons in that numbering."""
    lines, buttons = [], []
    for reply in replies:
        lines.append(f"[photo {reply.photo}] {reply.text}" if reply.photo else reply.text)
        for button in reply.flat_buttons():
            buttons.append(button)
            lines.append(f"  {len(buttons)}) {button.text}")
        lines.append("")
    return "\n".join(lines), buttons


class Terminal:
    """A conversation between one account and the chat service over text streams."""

    def __init__(self, service: ChatService, identity: Identity, *, language: str = "en"):
        self.service, self.identity, self.language = service, identity, language
        self.user_id = terminal_user_id(identity)
        self.buttons: list[Button] = []
        self._photos = 0

    def incoming(self, line: str) -> Incoming:
        """The update a typed line stands for."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return Incoming(self.user_id, button=self.buttons[int(text) - 1].data, language=self.language)
        if text.split(" ", 1)[0] == "/photo":
            self._photos += 1
            name = text[len("/photo"):].strip() or f"photo-{self._photos}"
            return Incoming(self.user_id, photo=Photo(f"terminal:{name}", f"terminal:{name}"), language=self.language)
        return Incoming(self.user_id, text=text, language=self.language)

    def send(self, line: str) -> str:
        """Handle one typed line; returns what to print."""
        shown, self.buttons = render(self.service.handle(self.incoming(line), identity=self.identity))
        return shown

    def pending(self) -> str:
        """Messages queued for this account while it was away (decisions made by others), shown once."""
        messages = self.service.pending_messages(self.identity)
        if not messages:
            return ""
        return "\n".join([text(self.language, "pending_messages")] + [f"* {m.text}" for m in messages]) + "\n\n"

    def run(self, stdin: TextIO, stdout: TextIO, *, prompt: bool) -> int:
        """Read lines until end of input (or /quit), printing the replies."""
        stdout.write(self.send("/start"))
        stdout.flush()
        while True:
            if prompt:
                stdout.write(self.pending())
                stdout.write("> ")
                stdout.flush()
            line = stdin.readline()
            if not line or line.strip() in ("/quit", "/exit"):
                return 0
            if not line.strip():
                continue
            if not prompt:  # piped: echo the input so the output reads as a transcript
                stdout.write(f"> {line.strip()}\n")
            stdout.write(self.pending() + self.send(line))
            stdout.flush()
