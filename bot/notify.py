"""Messages to people who did not ask: written to the outbox in the transaction of the decision they report."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store import chats_of, enqueue


def recipient_of(role: str, account_id: str) -> str:
    """The outbox's name for an account ("buyer:B1"), which the terminal reads its messages by."""
    return f"{role}:{account_id}"


def notify(session: Session, *, role: str, account_id: str, text: str, key: str, now: datetime,
           not_before: datetime | None = None) -> list[str]:
    """Queue `text` for every Telegram chat linked to the account (or for the terminal when none is);
    `key` names the event, so the same event never queues a message twice. Returns the message ids."""
    recipient = recipient_of(role, account_id)
    chats = chats_of(session, role=role, account_id=account_id) or [None]
    return [enqueue(session, chat_id=chat, recipient=recipient, text=text, now=now, not_before=not_before,
                    dedupe_key=f"{key}:{chat if chat is not None else 'account'}") for chat in chats]
