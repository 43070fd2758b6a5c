"""Transport-neutral messages: what a person sent, and what the bot answers."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Photo:
    """A photo a person sent: the transport's file id (Telegram's file_id) and its stable unique id."""

    file_id: str
    unique_id: str


@dataclass(frozen=True)
class Incoming:
    """One update from a person: a text (or command), a button press, or a photo."""

    user_id: int
    text: str | None = None
    button: str | None = None  # callback data
    photo: Photo | None = None
    language: str | None = None
    update_id: int | None = None  # set by transports that redeliver (Telegram)
    chat_id: int | None = None
    chat_type: str | None = None  # Telegram's private, group, supergroup or channel; None for trusted transports


@dataclass(frozen=True)
class Button:
    """A choice shown under a reply; `data` comes back as Incoming.button when pressed."""

    text: str
    data: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: a document (a label PDF) or a picture (a chart PNG)."""

    filename: str
    data: bytes  # the file, or a chart's recipe (bot.charts), drawn when the file is read: what the outbox stores
    kind: str = "document"  # or "photo"

    @property
    def content(self) -> bytes:
        """The file's bytes (a chart drawn now; read it outside the handling transaction)."""
        from .charts import drawn

        return drawn(self.data)


@dataclass(frozen=True)
class Reply:
    """One message from the bot, with rows of buttons and, optionally, a file sent with it."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    photo: str | None = None  # a photo to show again (the transport's file id), `text` its caption
    attachment: Attachment | None = None
    menu: tuple[str | None, str] | None = None  # (role, language): set this chat's command menu to the role's

    def flat_buttons(self) -> list[Button]:
        """The buttons in reading order."""
        return [b for row in self.buttons for b in row]
