"""The durable inbox: Telegram updates stored before they are acknowledged, taken by workers under a lease.

A receiver (webhook or long polling) stores each update in a committed transaction before it
answers Telegram. Workers take the oldest update whose chat has no earlier pending update and
which nobody holds under a live lease (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write
lock), handle it, and mark it processed in the handling transaction. A worker that dies leaves
its lease to expire, and the update is taken again; the processed-update mark keeps the second
handling from doing anything twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .db import prepared
from .models import InboxUpdate
from .timeutil import aware
from .types import UTCDateTime


@dataclass(frozen=True)
class TakenUpdate:
    """An update a worker holds: its id, chat, raw JSON body and how often it was taken (1 the first time)."""

    update_id: int
    chat_id: int
    body: str
    attempts: int
    received_at: datetime


@dataclass(frozen=True)
class InboxStats:
    """Pending updates and when the oldest arrived (None when the inbox is empty)."""

    pending: int
    oldest_received_at: datetime | None


# Built once, on the table rather than the ORM class (whose DML goes through the unit of work's bulk path each call).
_inbox = InboxUpdate.__table__
_STORE = {name: prepared(insert(_inbox).on_conflict_do_nothing(index_elements=["update_id"]).returning(_inbox.c.update_id))
          for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}

_earlier = _inbox.alias("earlier")
# The oldest pending update of a chat with nothing earlier pending and no live lease.
_NEXT = prepared(
    select(_inbox.c.update_id)
    .where(_inbox.c.processed_at.is_(None),
           or_(_inbox.c.taken_at.is_(None), _inbox.c.taken_at < bindparam("stale_before", type_=UTCDateTime())),
           ~exists().where(_earlier.c.chat_id == _inbox.c.chat_id, _earlier.c.processed_at.is_(None),
                           _earlier.c.update_id < _inbox.c.update_id))
    .order_by(_inbox.c.update_id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_TAKE = prepared(
    update(_inbox).where(_inbox.c.update_id == bindparam("id"))
    .values(taken_by=bindparam("worker"), taken_at=bindparam("now"), attempts=_inbox.c.attempts + 1)
    .returning(_inbox.c.update_id, _inbox.c.chat_id, _inbox.c.body, _inbox.c.attempts, _inbox.c.received_at)
)
_FINISH = prepared(update(_inbox).where(_inbox.c.update_id == bindparam("id")).values(processed_at=bindparam("at")))
_STATS = select(func.count(), func.min(InboxUpdate.received_at)).where(InboxUpdate.processed_at.is_(None))


def store_update(session: Session, *, update_id: int, chat_id: int, body: str, received_at: datetime) -> bool:
    """Put an update in the inbox; True if it is new, False if it was stored before (a redelivery)."""
    return session.execute(_STORE[session.get_bind().dialect.name], {
        "update_id": update_id, "chat_id": chat_id, "body": body, "received_at": aware(received_at, "received_at"),
        "attempts": 0}).first() is not None


def take_update(session: Session, *, worker: str, now: datetime, lease: timedelta) -> TakenUpdate | None:
    """Take the next update to handle, or None: the oldest of a chat with nothing earlier pending, not under a live lease."""
    now = aware(now, "now")
    update_id = session.scalar(_NEXT, {"stale_before": now - lease})
    if update_id is None:
        return None
    row = session.execute(_TAKE, {"id": update_id, "worker": worker, "now": now}).one()
    return TakenUpdate(row.update_id, row.chat_id, row.body, row.attempts, row.received_at)


def finish_update(session: Session, *, update_id: int, processed_at: datetime) -> None:
    """Mark an update handled; call it in the transaction that handled it."""
    session.execute(_FINISH, {"id": update_id, "at": aware(processed_at, "processed_at")})


def inbox_stats(session: Session) -> InboxStats:
    """How many updates wait (taken or not) and when the oldest of them arrived."""
    pending, oldest = session.execute(_STATS).one()
    return InboxStats(pending, oldest)


def prune_inbox(session: Session, *, before: datetime) -> int:
    """Delete updates processed before `before`; returns how many."""
    return session.execute(delete(InboxUpdate).where(InboxUpdate.processed_at < aware(before, "before"))
                           .execution_options(synchronize_session=False)).rowcount
