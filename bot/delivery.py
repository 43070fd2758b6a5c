"""Replies through the outbox: written in the transaction that handled the update, sent after the commit,
so a crash between deciding and replying still delivers the reply, once.

The handling transaction also claims the replies for this process's sender (a lease, as any sender
takes), so the sender can send them the moment the transaction commits, without a claim
transaction of its own; if the process dies first, the lease runs out and any sender delivers them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy.orm import Session

from store import Outgoing, enqueue, take_by_id

from .messages import Reply
from .telegram_app import keyboard


@dataclass(frozen=True)
class Queued:
    """An update's replies as queued and claimed in its handling transaction."""

    chat_id: int
    messages: tuple[Outgoing, ...]


class OutboxDelivery:
    """Queues each reply of an update as an outbox message (keyed by the update, so never twice), claimed for `owner`."""

    def __init__(self, send: Callable[[Queued], None], *, owner: str, lease: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.send, self.owner, self.lease, self.clock = send, owner, lease, clock

    def enqueue(self, session: Session, *, update_id: int, chat_id: int, replies: list[Reply]) -> Queued:
        """Queue the replies in the handling transaction, in order, and claim them for this process's sender."""
        now = self.clock()
        ids = []
        for i, reply in enumerate(replies):
            markup = keyboard(reply)
            # A microsecond apart: senders take messages by next_attempt_at, so an update's replies keep their order.
            ids.append(enqueue(session, chat_id=chat_id, text=reply.text, dedupe_key=f"update:{update_id}:{i}", now=now,
                               not_before=now + timedelta(microseconds=i), reply_markup=markup.to_dict() if markup else None,
                               photo=reply.photo))
        return Queued(chat_id, tuple(take_by_id(session, message_ids=ids, owner=self.owner, now=now, lease=self.lease)))

    def committed(self, queued: Queued) -> None:
        """The transaction committed: hand the claimed messages to the sender."""
        if queued.messages:
            self.send(queued)

    def notify(self, session: Session, *, chat_ids: list[int], text: str, key: str) -> None:
        """Queue one text to several chats (admin notices), once per `key`; any sender delivers it."""
        now = self.clock()
        for chat_id in chat_ids:
            enqueue(session, chat_id=chat_id, text=text, dedupe_key=f"{key}:{chat_id}", now=now)
