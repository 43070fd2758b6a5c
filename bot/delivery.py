"""Replies through the outbox: written in the transaction that handled the update, sent after the commit,
so a crash between deciding and replying still delivers the reply, once.

The handling transaction also claims the replies for this process's sender (a lease, as any sender
takes), so the sender can send them the moment the transaction commits, without a claim
transaction of its own; if the process dies first, the lease runs out and any sender delivers them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy.orm import Session

from store import Outgoing, OutgoingFile, enqueue, take_by_id
from store.outbox import enqueue_answer

from .answers import answerable, send_message
from .markup import escape
from .messages import Reply
from .telegram_app import keyboard_json

HTML = "HTML"  # replies are Telegram HTML (bot.markup)


@dataclass(frozen=True)
class Queued:
    """An update's replies as queued and claimed in its handling transaction."""

    chat_id: int
    messages: tuple[Outgoing, ...]  # for this process's sender
    update_id: int | None = None  # in webhook mode
    answer: dict[str, Any] | None = None  # the reply in the webhook response to the update, as its method (bot.answers)
    answer_index: int = 0  # messages[:answer_index] come before it, the rest after


class OutboxDelivery:
    """Queues each reply of an update as an outbox message (keyed by the update, so never twice), claimed for `owner`."""

    def __init__(self, send: Callable[[Queued], None], *, owner: str, lease: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), answer_in_response: bool = False):
        self.send, self.owner, self.lease, self.clock = send, owner, lease, clock
        self.answer_in_response = answer_in_response  # webhook mode: the first plain text reply may ride in the response

    def answerable(self, replies: list[Reply]) -> int | None:
        """In webhook mode, the index of the reply whose text would ride in the webhook response, or None."""
        if self.answer_in_response:
            for i, reply in enumerate(replies):
                if answerable(reply.text, reply.photo):
                    return i
        return None

    def answer_message(self, replies: list[Reply], *, update_id: int, chat_id: int) -> dict[str, Any] | None:
        """In webhook mode, the `answerable` reply as the keywords of store.outbox.enqueue_answer (for a handling that
        queues it with its inbox mark, store.inbox.finish_update_answering), or None."""
        i = self.answerable(replies)
        if i is None:
            return None
        reply = replies[i]
        return {"chat_id": chat_id, "text": reply.text, "dedupe_key": f"update:{update_id}:{i}", "now": self.clock(),
                "parse_mode": HTML, "reply_markup": keyboard_json(reply)}

    def enqueue(self, session: Session, *, update_id: int, chat_id: int, replies: list[Reply],
                edit: tuple[int, int, str] | None = None, in_response: bool = False, answered: str | None = None) -> Queued:
        """Queue the replies in the handling transaction, in order, and claim them for this process's sender.

        Everything the chat adapter would send goes this way, one outbox message per Bot API call: first
        `edit` (chat, message id, its new HTML text or "" for only dropping its keyboard) of the message
        whose button was pressed, then each reply's text (HTML, its buttons, or a photo shown again),
        its file (a label PDF, a chart PNG) and the chat's command menu when the reply sets one. With
        `in_response` (the handling decided so, store.inbox.finish_update_replying) the `answerable` reply's
        text is queued as delivered in the webhook response to the update instead, never sent by a sender
        (`answered`: the handling queued it so already, as `answer_message` gave it, with this id)."""
        now = self.clock()
        ids: list[str] = []
        answer_at = self.answerable(replies) if in_response else None
        answer, answer_index = None, 0

        def queue(key: str, **message) -> None:
            # A microsecond apart: senders take messages by next_attempt_at, so an update's messages keep their order.
            ids.append(enqueue(session, chat_id=message.pop("chat", chat_id), dedupe_key=f"update:{update_id}:{key}", now=now,
                               not_before=now + timedelta(microseconds=len(ids)), **message))

        if edit is not None:
            edit_chat, message_id, shown = edit
            queue("edit", chat=edit_chat, text=shown, parse_mode=HTML if shown else None, edit_message_id=message_id)
        for i, reply in enumerate(replies):
            markup = keyboard_json(reply)
            if i == answer_at:
                if answered is None:
                    enqueue_answer(session, chat_id=chat_id, text=reply.text, dedupe_key=f"update:{update_id}:{i}",
                                   update_id=update_id, now=now, parse_mode=HTML, reply_markup=markup)
                answer, answer_index = send_message(chat_id, reply.text, HTML, markup), len(ids)
            elif reply.text or reply.photo:
                queue(str(i), text=reply.text, parse_mode=HTML, reply_markup=markup, photo=reply.photo)
            if reply.attachment is not None:
                attachment = reply.attachment
                queue(f"{i}:file", text="", file=OutgoingFile(attachment.filename, attachment.kind, attachment.data))
            if reply.menu is not None:
                role, lang = reply.menu
                queue(f"{i}:menu", text="", menu={"role": role, "lang": lang})
        claimed = take_by_id(session, message_ids=ids, owner=self.owner, now=now, lease=self.lease)
        return Queued(chat_id, tuple(claimed), update_id if self.answer_in_response else None, answer, answer_index)

    def committed(self, queued: Queued) -> None:
        """The transaction committed: hand the claimed messages to the sender (and, in webhook mode, the answer)."""
        if queued.messages or queued.update_id is not None:
            self.send(queued)

    def notify(self, session: Session, *, chat_ids: list[int], text: str, key: str) -> None:
        """Queue one text to several chats (admin notices), once per `key`; any sender delivers it."""
        now = self.clock()
        for chat_id in chat_ids:
            enqueue(session, chat_id=chat_id, text=str(escape(text)), parse_mode=HTML, dedupe_key=f"{key}:{chat_id}", now=now)
