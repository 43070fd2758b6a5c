"""The terminal transport: the same chat service on stdin/stdout, buttons shown as numbered choices.

Piped input works line by line (one line in, the replies out). A number answers the numbered
choices of the last replies; `/photo NAME` sends a photo (for claim evidence). Files the bot sends
(return labels, charts) are saved in a folder and their paths printed.
"""
from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Callable, TextIO

from store import Identity

from .messages import Attachment, Button, Incoming, Photo, Reply
from .service import ChatService


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def terminal_user_id(identity: Identity) -> int:
    """A stable negative user id per account, so terminal conversations never collide with Telegram users."""
    return -(zlib.crc32(f"{identity.role}:{identity.account_id}".encode()) or 1)


def render(replies: list[Reply], save: Callable[[Attachment], Path] | None = None) -> tuple[str, list[Button]]:
    """The replies as text with numbered choices, and the buttons in that numbering; files are saved with `save`."""
    lines, buttons = [], []
    for reply in replies:
        lines.append(reply.text)
        if reply.attachment is not None and save is not None:
            lines.append(f"  [{reply.attachment.kind} saved to {save(reply.attachment)}]")
        for button in reply.flat_buttons():
            buttons.append(button)
            lines.append(f"  {len(buttons)}) {button.text}")
        lines.append("")
    return "\n".join(lines), buttons


class Terminal:
    """A conversation between one account and the chat service over text streams."""

    def __init__(self, service: ChatService, identity: Identity, *, language: str = "en", files_dir: Path | str = "var/chat-files"):
        self.service, self.identity, self.language = service, identity, language
        self.files_dir = Path(files_dir)
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
        shown, self.buttons = render(self.service.handle(self.incoming(line), identity=self.identity), self.save)
        return shown

    def save(self, attachment: Attachment) -> Path:
        """Write a file the bot sent (a label, a chart) into the files folder; returns its absolute path."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / (_SAFE_NAME.sub("_", attachment.filename).lstrip(".") or "file")
        path.write_bytes(attachment.content)
        return path.resolve()

    def run(self, stdin: TextIO, stdout: TextIO, *, prompt: bool) -> int:
        """Read lines until end of input (or /quit), printing the replies."""
        stdout.write(self.send("/start"))
        stdout.flush()
        while True:
            if prompt:
                stdout.write("> ")
                stdout.flush()
            line = stdin.readline()
            if not line or line.strip() in ("/quit", "/exit"):
                return 0
            if not line.strip():
                continue
            if not prompt:  # piped: echo the input so the output reads as a transcript
                stdout.write(f"> {line.strip()}\n")
            stdout.write(self.send(line))
            stdout.flush()
