"""The terminal transport: the same chat service on stdin/stdout, buttons shown as numbered choices.

One trusted person types; nothing they type is dropped without a word. On a terminal, lines are
edited and recalled with prompt_toolkit (history kept in a file); piped input is read line by line
(one line in, the replies out) and echoed so the output reads as a transcript. A number answers
the numbered choices of the last replies; `/photo PATH` sends a picture file (claim evidence);
files the bot sends (return labels, charts) are saved in a folder and their paths printed; messages
queued for the person while they were away (a case decided by an agent) are shown at the next prompt.
"""
from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Callable, TextIO

from store import Identity

from .markup import plain
from .messages import Attachment, Button, Incoming, Photo, Reply
from .service import ChatService
from .texts import text

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
QUIT = ("/quit", "/exit")


def terminal_user_id(identity: Identity) -> int:
    """A stable negative user id per account, so terminal conversations never collide with Telegram users."""
    return -(zlib.crc32(f"{identity.role}:{identity.account_id}".encode()) or 1)


def render(replies: list[Reply], save: Callable[[Attachment], Path] | None = None) -> tuple[str, list[Button]]:
    """The replies as text with numbered choices, and the buttons in that numbering; files are saved with `save`."""
    lines, buttons = [], []
    for reply in replies:
        shown = plain(reply.text)
        lines.append(f"[photo {reply.photo}] {shown}" if reply.photo else shown)
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

    def incoming(self, line: str) -> Incoming | str:
        """The update a typed line stands for, or what to tell the person when it can't be one."""
        text = line.strip()
        if text.isdigit() and self.buttons:
            if 1 <= int(text) <= len(self.buttons):
                return Incoming(self.user_id, button=self.buttons[int(text) - 1].data, language=self.language)
            return f"There is no choice {text}: choose 1 to {len(self.buttons)}.\n"
        if text.split(" ", 1)[0] == "/photo":
            return self._photo(text[len("/photo"):].strip())
        return Incoming(self.user_id, text=text, language=self.language)

    def _photo(self, name: str) -> Incoming | str:
        if not name:
            return "Say which picture: /photo PATH (e.g. /photo ~/box.jpg).\n"
        path = Path(name).expanduser()
        if not path.is_file():
            return f"There is no file {name}; nothing was sent.\n"
        resolved = str(path.resolve())
        return Incoming(self.user_id, photo=Photo(f"terminal:{resolved}", f"terminal:{resolved}"), language=self.language)

    def send(self, line: str) -> str:
        """Handle one typed line; returns what to print."""
        incoming = self.incoming(line)
        if isinstance(incoming, str):
            return incoming  # the numbered choices stay as they were
        replies = self.service.handle(incoming, identity=self.identity)
        if not replies:
            return "(No reply: the bot had nothing to say to that.)\n"
        shown, self.buttons = render(replies, self.save)
        return shown

    def pending(self) -> str:
        """Messages queued for this account while it was away (decisions made by others), shown once."""
        messages = self.service.pending_messages(self.identity)
        if not messages:
            return ""
        return "\n".join([plain(text(self.language, "pending_messages"))] + [f"* {plain(m.text)}" for m in messages]) + "\n\n"

    def save(self, attachment: Attachment) -> Path:
        """Write a file the bot sent (a label, a chart) into the files folder; returns its absolute path."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / (_SAFE_NAME.sub("_", attachment.filename).lstrip(".") or "file")
        path.write_bytes(attachment.content)
        return path.resolve()

    def run(self, stdin: TextIO, stdout: TextIO, *, prompt: bool, history: Path | None = None,
            editor: Callable[[], str] | None = None) -> int:
        """Read lines until end of input (or /quit), printing the replies; `prompt` for an interactive terminal
        (lines read with `editor`, by default prompt_toolkit's line editor)."""
        stdout.write(self.send("/start"))
        stdout.flush()
        read = (editor or line_editor(history)) if prompt else None
        while True:
            if read is not None:
                stdout.write(self.pending())  # what others decided while this person was away, before the prompt
                stdout.flush()
                try:
                    line = read()
                except (EOFError, KeyboardInterrupt):
                    return 0
            else:
                line = stdin.readline()
                if not line:
                    return 0
            if line.strip() in QUIT:
                return 0
            if not line.strip():
                continue
            if read is None:  # piped: echo the input so the output reads as a transcript
                stdout.write(f"> {line.strip()}\n")
            stdout.write(self.pending() + self.send(line))
            stdout.flush()


def line_editor(history: Path | None, **session_options) -> Callable[[], str]:
    """prompt_toolkit's prompt with line editing, and history kept in `history` (in memory without one);
    `session_options` go to its PromptSession (tests pass `input` and `output`)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    if history is not None:
        history.parent.mkdir(parents=True, exist_ok=True)
    session = PromptSession(history=FileHistory(str(history)) if history is not None else InMemoryHistory(), **session_options)
    return lambda: session.prompt("> ")
