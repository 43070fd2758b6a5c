"""The outbox: messages to people, written in the same transaction as what they report, and
delivered later by a sender.

Exactly once, in practice:
- `enqueue` runs in the caller's transaction, so a message exists if and only if the decision it
  reports was committed; its `dedupe_key` is unique, so the same notification is never queued
  twice (a second enqueue with the key is a no-op that returns the first message's id).
- `take_due` claims due messages in its own short transaction by setting a lease (owner and
  expiry). On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so concurrent senders
  take disjoint rows without waiting; on SQLite the write transaction (BEGIN IMMEDIATE) holds the
  database's write lock, which serialises the claims. A row whose lease has not expired is
  invisible to every other sender.
- The sender sends, then `mark_sent` in a new transaction (conditional on still holding the lease).
  The remaining edge is at-least-once: if the process dies after Telegram accepted a message and
  before `mark_sent` committed, the row's lease expires and another sender delivers it again. The
  lease (default 5 minutes) is far longer than one send (the Bot API request times out in
  seconds), so a live, slow sender is never overtaken; only a crash in that window duplicates.
- A message that rides in a webhook response (`enqueue_answer`, below) is never taken by a
  sender: exactly once (bot/answers.py).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .db import prepared
from .errors import StoreError
from .ids import new_id
from .models import OutboxMessage
from .timeutil import aware

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_MAX = timedelta(hours=1)
MAX_DEDUPE_KEY = 200


# The statements of every chat update's replies, built once.
_outbox = OutboxMessage.__table__
_ENQUEUE = {name: prepared(insert(_outbox).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_outbox.c.id))
            for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}
_BY_KEY = select(_outbox.c.id).where(_outbox.c.dedupe_key == bindparam("key"))


def _claim_statement(condition):
    """One statement that leases the claimable rows matching `condition` (oldest first, up to :limit) and returns them."""
    now = bindparam("now", type_=_outbox.c.lease_until.type)
    free = or_(_outbox.c.lease_until.is_(None), _outbox.c.lease_until <= now)
    pick = (select(_outbox.c.id).where(_outbox.c.status == "pending", free, condition)
            .order_by(_outbox.c.next_attempt_at, _outbox.c.id).limit(bindparam("limit"))
            .with_for_update(skip_locked=True))  # SQLite ignores this; its write lock serialises claims
    return prepared(update(_outbox).where(_outbox.c.id.in_(pick.scalar_subquery()))
                    .values(lease_owner=bindparam("owner"), lease_until=bindparam("until"), attempts=_outbox.c.attempts + 1)
                    .returning(*_outbox.c))


_due = bindparam("due", type_=_outbox.c.next_attempt_at.type)
_CLAIM_DUE = _claim_statement(_outbox.c.chat_id.is_not(None) & (_outbox.c.next_attempt_at <= _due))
_CLAIM_RECIPIENT = _claim_statement((_outbox.c.recipient == bindparam("for_recipient")) & (_outbox.c.next_attempt_at <= _due))
_CLAIM_IDS = _claim_statement(_outbox.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Outgoing:
    """A message claimed for delivery: where to, what, and the lease that must be held to mark it."""

    id: str
    chat_id: int | None
    recipient: str | None
    text: str
    parse_mode: str | None
    reply_markup: Mapping[str, Any] | None
    photo: str | None
    document: str | None
    attempts: int
    lease_owner: str
    edit_message_id: int | None = None  # edit this message of the chat (its text, or only its keyboard when text is empty)
    file: "OutgoingFile | None" = None
    menu: Mapping[str, Any] | None = None  # {"role": ..., "lang": ...}: set the chat's command menu


@dataclass(frozen=True)
class OutgoingFile:
    """A file sent as its own message: a document (a label PDF) or a photo (a chart PNG)."""

    name: str
    kind: str
    content: bytes


def enqueue(session: Session, *, chat_id: int | None, text: str, dedupe_key: str, now: datetime,
            recipient: str | None = None, parse_mode: str | None = None, reply_markup: Mapping[str, Any] | None = None,
            photo: str | None = None, document: str | None = None, not_before: datetime | None = None,
            edit_message_id: int | None = None, file: OutgoingFile | None = None, menu: Mapping[str, Any] | None = None) -> str:
    """Queue a message in the caller's transaction; the same `dedupe_key` again returns the first message's id.

    `chat_id` is the Telegram chat; `recipient` names the account ("buyer:B1") so the terminal can
    show it too (a message with no chat is only shown there). `not_before` delays delivery.
    Instead of a new text the message may be an edit of the chat's message `edit_message_id`, a
    `file`, or the chat's command `menu`; each is one Bot API call, delivered like any message.
    """
    if chat_id is None and recipient is None:
        raise StoreError("an outbox message needs a chat id or a recipient")
    if not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY:
        raise StoreError(f"an outbox dedupe key must have 1 to {MAX_DEDUPE_KEY} characters, got {len(dedupe_key or '')}")
    if not text and edit_message_id is None and file is None and menu is None:
        raise StoreError("an outbox message needs a text, an edit, a file or a menu")
    if file is not None and file.kind not in ("document", "photo"):
        raise StoreError(f"an outbox file is a document or a photo, not {file.kind!r}")
    now = aware(now, "now")
    return _insert_once(session, {
        "id": new_id("M"), "dedupe_key": dedupe_key, "chat_id": chat_id, "recipient": recipient, "text": text,
        "parse_mode": parse_mode, "reply_markup": dict(reply_markup) if reply_markup is not None else None, "photo": photo,
        "document": document, "edit_message_id": edit_message_id, "file_name": file.name if file else None,
        "file_kind": file.kind if file else None, "file_content": file.content if file else None,
        "menu": dict(menu) if menu is not None else None, "status": "pending", "created_at": now,
        "next_attempt_at": aware(not_before, "not_before") if not_before else now, "attempts": 0})


def _insert_once(session: Session, values: dict[str, Any]) -> str:
    """Insert one message; if its dedupe key is already queued, the first message's id instead."""
    inserted = session.execute(_ENQUEUE[session.get_bind().dialect.name], values).scalar()
    if inserted is not None:
        return inserted
    return existing_message(session, dedupe_key=values["dedupe_key"])


def existing_message(session: Session, *, dedupe_key: str) -> str:
    """The id of the message queued with `dedupe_key`."""
    return session.execute(_BY_KEY, {"key": dedupe_key}).scalar_one()


def _outgoing(row, owner: str) -> Outgoing:
    file = OutgoingFile(row.file_name, row.file_kind, row.file_content) if row.file_content is not None else None
    return Outgoing(row.id, row.chat_id, row.recipient, row.text, row.parse_mode, row.reply_markup, row.photo, row.document,
                    row.attempts, owner,  # as leased: the claim counted this attempt
                    edit_message_id=row.edit_message_id, file=file, menu=row.menu)


def _claim(session: Session, statement, params: dict[str, Any], *, owner: str, now: datetime, lease: timedelta,
           limit: int) -> list[Outgoing]:
    now = aware(now, "now")
    rows = session.execute(statement, {**params, "now": now, "due": now, "limit": limit, "owner": owner,
                                       "until": now + lease}).all()
    return [_outgoing(r, owner) for r in sorted(rows, key=lambda r: (r.next_attempt_at, r.id))]


def take_due(session: Session, *, owner: str, now: datetime, limit: int = 50, lease: timedelta = LEASE) -> list[Outgoing]:
    """Claim up to `limit` due Telegram messages for `owner` (a lease until now + `lease`); commit before sending."""
    return _claim(session, _CLAIM_DUE, {}, owner=owner, now=now, lease=lease, limit=limit)


def take_for_recipient(session: Session, *, recipient: str, owner: str, now: datetime, limit: int = 20,
                       lease: timedelta = LEASE) -> list[Outgoing]:
    """Claim an account's due messages (for the terminal, which shows them at the next prompt)."""
    return _claim(session, _CLAIM_RECIPIENT, {"for_recipient": recipient}, owner=owner, now=now, lease=lease, limit=limit)


def _held(message_id: str, owner: str):
    return (OutboxMessage.id == message_id, OutboxMessage.status == "pending", OutboxMessage.lease_owner == owner)


def mark_sent(session: Session, *, message_id: str, owner: str, now: datetime) -> bool:
    """Record delivery; False if `owner` no longer holds the lease (another sender took the message over)."""
    return session.execute(
        update(OutboxMessage).where(*_held(message_id, owner))
        .values(status="sent", sent_at=aware(now, "now"), lease_owner=None, lease_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def renew_lease(session: Session, *, message_id: str, owner: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """Hold a claimed message `lease` longer (before a send that took a while to prepare, such as drawing a chart);
    False if `owner` no longer holds it (another sender took it over: do not send)."""
    return session.execute(
        update(OutboxMessage).where(*_held(message_id, owner)).values(lease_until=aware(now, "now") + lease)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def backoff(attempts: int, *, jitter: float | None = None) -> timedelta:
    """The wait before attempt `attempts + 1`: doubling from 2 s, capped at an hour, with up to 25% jitter."""
    base = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    return base * (1 + (random.random() if jitter is None else jitter) * 0.25)


def mark_failed(session: Session, *, message_id: str, owner: str, error: str, now: datetime,
                retry_after: timedelta | None = None, max_attempts: int = MAX_ATTEMPTS) -> str:
    """Release a failed send for a later retry (back-off, or Telegram's retry_after); after
    `max_attempts` the message is undeliverable. Returns the new status ('' if the lease was lost)."""
    now = aware(now, "now")
    row = session.execute(select(OutboxMessage.attempts).where(*_held(message_id, owner))).first()
    if row is None:
        return ""
    if row.attempts >= max_attempts:
        return "undeliverable" if mark_undeliverable(session, message_id=message_id, owner=owner, error=error, now=now) else ""
    wait = max(retry_after or timedelta(0), backoff(row.attempts))
    changed = session.execute(
        update(OutboxMessage).where(*_held(message_id, owner))
        .values(next_attempt_at=now + wait, lease_owner=None, lease_until=None, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    ).rowcount
    return "pending" if changed == 1 else ""


def mark_undeliverable(session: Session, *, message_id: str, owner: str, error: str, now: datetime) -> bool:
    """Give up on a message (the person blocked the bot, the chat is gone); it is never retried."""
    return session.execute(
        update(OutboxMessage).where(*_held(message_id, owner))
        .values(status="undeliverable", lease_owner=None, lease_until=None, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def outbox_counts(session: Session) -> dict[str, int]:
    """How many messages are pending, sent and undeliverable."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}


def prune_outbox(session: Session, *, before: datetime) -> int:
    """Delete messages sent (or given up on) that were queued before `before`; pending ones stay. Returns how many."""
    return session.execute(
        delete(OutboxMessage).where(OutboxMessage.status.in_(("sent", "undeliverable")),
                                    OutboxMessage.created_at < aware(before, "before"))
        .execution_options(synchronize_session=False)
    ).rowcount


def take_by_id(session: Session, *, message_ids: list[str], owner: str, now: datetime, lease: timedelta = LEASE) -> list[Outgoing]:
    """Claim the given pending messages for `owner`, oldest first; in the transaction that queued them, the
    process that wrote them can send them right after the commit, with no claim transaction of its own."""
    if not message_ids:
        return []
    return _claim(session, _CLAIM_IDS, {"ids": list(message_ids)}, owner=owner, now=now, lease=lease, limit=len(message_ids))


# A message carried by the webhook response to an update (see store/inbox.py, decide_reply_via): it is "sent" from
# the moment the handling transaction commits, with `answers_update` naming the update; Telegram executes it when it
# accepts a 2xx for that update and retries the update until it gets one, and every 2xx for it carries the message.
# No sender takes it (senders take only pending rows).

def enqueue_answer(session: Session, *, chat_id: int, text: str, dedupe_key: str, update_id: int, now: datetime,
                   parse_mode: str | None = None, reply_markup: Mapping[str, Any] | None = None) -> str:
    """Queue, in the handling transaction, a text delivered in the webhook response to `update_id`: it is sent
    (no sender takes it); the same `dedupe_key` again returns the first message's id."""
    now = aware(now, "now")
    return _insert_once(session, {
        "id": new_id("M"), "dedupe_key": dedupe_key, "chat_id": chat_id, "text": text, "parse_mode": parse_mode,
        "reply_markup": dict(reply_markup) if reply_markup is not None else None, "status": "sent", "created_at": now,
        "next_attempt_at": now, "sent_at": now, "attempts": 0, "answers_update": update_id})


def response_message(session: Session, *, update_id: int) -> Outgoing | None:
    """The message the webhook response to `update_id` carries, or None."""
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.answers_update == update_id, OutboxMessage.status == "sent")
                          .order_by(OutboxMessage.id).limit(1)).first()
    return _outgoing(row, "") if row is not None else None


def release_responses(session: Session, *, update_ids: list[int], now: datetime) -> int:
    """Hand messages meant for webhook responses to the senders (Telegram redelivered their updates by getUpdates,
    so no 2xx for them was accepted and none will be); returns how many."""
    if not update_ids:
        return 0
    return session.execute(
        update(OutboxMessage).where(OutboxMessage.answers_update.in_(update_ids), OutboxMessage.status == "sent")
        .values(status="pending", sent_at=None, answers_update=None, next_attempt_at=aware(now, "now"))
        .execution_options(synchronize_session=False)
    ).rowcount
