"""Replies through the outbox: written in the transaction that handled the update, sent by the outbox
sender after the commit, so a crash between deciding and replying still delivers the reply, once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy.orm import Session

from store import enqueue

from .messages import Reply
from .telegram_app import keyboard


class OutboxDelivery:
    """Queues each reply of an update as an outbox message (keyed by the update, so never twice) and wakes the sender."""

    def __init__(self, wake: Callable[[], None], *, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.wake = wake
        self.clock = clock

    def enqueue(self, session: Session, *, update_id: int, chat_id: int, replies: list[Reply]) -> None:
        """Queue the replies in the handling transaction, in order."""
        now = self.clock()
        for i, reply in enumerate(replies):
            markup = keyboard(reply)
            # A microsecond apart: the sender takes messages by next_attempt_at, so an update's replies keep their order.
            enqueue(session, chat_id=chat_id, text=reply.text, dedupe_key=f"update:{update_id}:{i}", now=now,
                    not_before=now + timedelta(microseconds=i), reply_markup=markup.to_dict() if markup else None)

    def committed(self, chat_id: int, replies: list[Reply]) -> None:
        """Wake the sender when there is something to send."""
        if replies:
            self.wake()

    def notify(self, session: Session, *, chat_ids: list[int], text: str, key: str) -> None:
        """Queue one text to several chats (admin notices), once per `key`."""
        now = self.clock()
        for chat_id in chat_ids:
            enqueue(session, chat_id=chat_id, text=text, dedupe_key=f"{key}:{chat_id}", now=now)
