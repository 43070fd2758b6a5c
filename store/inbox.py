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

from sqlalchemy import Integer, bindparam, cast, delete, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .chat import UpdateStart, start_of, start_parameters, start_update, start_update_statement
from .db import prepared
from .ids import new_id
from .models import InboxUpdate, OutboxMessage
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
    return session.execute(_STORE[session.get_bind().dialect.name],
                           _new_row(update_id, chat_id, body, received_at)).first() is not None


def _new_row(update_id: int, chat_id: int, body: str, received_at: datetime) -> dict:
    return {"update_id": update_id, "chat_id": chat_id, "body": body, "received_at": aware(received_at, "received_at"),
            "attempts": 0}


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


# The webhook's answer: an update's reply may ride in the webhook response to it (one Bot API method that Telegram
# executes if and only if it accepts that 2xx). Whether it does is decided once per update, by a conditional
# UPDATE of its inbox row: the handling transaction sets "response" when it puts a reply there, a webhook request
# that gives up waiting sets "sender" before answering a bare 200. Whichever commits first wins; on PostgreSQL the
# second waits on the row lock and then matches nothing.

@dataclass(frozen=True)
class UpdateState:
    """Where an update stands: handled or not, whether someone holds it under a live lease, how its reply leaves."""

    processed: bool
    held: bool
    reply_via: str | None


_TAKE_THIS_UPDATE = (
    update(_inbox)
    .where(_inbox.c.update_id == bindparam("id"), _inbox.c.processed_at.is_(None),
           or_(_inbox.c.taken_at.is_(None), _inbox.c.taken_at < bindparam("stale_before", type_=UTCDateTime())),
           ~exists().where(_earlier.c.chat_id == _inbox.c.chat_id, _earlier.c.processed_at.is_(None),
                           _earlier.c.update_id < _inbox.c.update_id))
    .values(taken_by=bindparam("worker"), taken_at=bindparam("taken_now"), attempts=_inbox.c.attempts + 1)
)
_TAKE_THIS = prepared(_TAKE_THIS_UPDATE.returning(_inbox.c.update_id, _inbox.c.chat_id, _inbox.c.body, _inbox.c.attempts,
                                                  _inbox.c.received_at))
# PostgreSQL: the take of a given update and the start of its handling (store.chat.start_update) in one statement.
_TAKE_AND_START = start_update_statement(take=_TAKE_THIS_UPDATE.returning(_inbox.c.update_id, _inbox.c.attempts).cte("take"))
_STATE = select(_inbox.c.processed_at, _inbox.c.taken_at, _inbox.c.reply_via).where(
    _inbox.c.update_id == bindparam("id"))
_REPLY_VIA = (update(_inbox).where(_inbox.c.update_id == bindparam("id"), _inbox.c.reply_via.is_(None))
              .values(reply_via=bindparam("via")))
_REPLY_VIA_OF = select(_inbox.c.reply_via).where(_inbox.c.update_id == bindparam("id"))
_FINISH_REPLYING = (update(_inbox).where(_inbox.c.update_id == bindparam("id"))
                    .values(processed_at=bindparam("at"), reply_via=func.coalesce(_inbox.c.reply_via, bindparam("via")))
                    .returning(_inbox.c.reply_via))


# PostgreSQL: a webhook that stores an update and handles it in one transaction (store_and_take) keeps the new row
# invisible until it commits, so the "nothing earlier of the chat pending" check of another transaction could miss it
# and take the chat's next update too early. So every take of a given update first takes a transaction-level advisory
# lock on its chat, in a statement of its own (a statement sees what committed before it began): try-lock, not wait; a
# chat whose lock is busy has its update taken later (by the request that waits for it, or a worker). SQLite needs
# none: its one write lock already keeps a second writer out until the commit.
CHAT_LOCKS = 0x72626F74  # the advisory-lock space of chats ("rbot"); the chat's id, folded into 32 bits, is the key
_FOLD = 2_147_483_647


def _chat_lock(chat_id):
    return func.pg_try_advisory_xact_lock(literal(CHAT_LOCKS, Integer), cast(chat_id % _FOLD, Integer))


_STORE_LOCKING = prepared(pg_insert(_inbox).on_conflict_do_nothing(index_elements=["update_id"])
                          .returning(_inbox.c.update_id, _chat_lock(_inbox.c.chat_id).label("locked")))
_LOCK_CHAT_OF = prepared(select(_chat_lock(_inbox.c.chat_id)).where(_inbox.c.update_id == bindparam("id")))


def store_update_locking(session: Session, *, update_id: int, chat_id: int, body: str, received_at: datetime) -> tuple[bool, bool]:
    """Put an update in the inbox, for taking it in this transaction: whether it is new, and whether its chat's take
    lock is held now (PostgreSQL; always True on SQLite; False for an update stored before, whose take locks it)."""
    if session.get_bind().dialect.name != "postgresql":
        return store_update(session, update_id=update_id, chat_id=chat_id, body=body, received_at=received_at), True
    row = session.execute(_STORE_LOCKING, _new_row(update_id, chat_id, body, received_at)).first()
    return (True, bool(row.locked)) if row is not None else (False, False)


def store_and_take(session: Session, *, update_id: int, chat_id: int, body: str, received_at: datetime, worker: str,
                   now: datetime, lease: timedelta) -> TakenUpdate | None:
    """Store an update (unless it is stored) and take it for `worker` in the same transaction, if it may be handled
    now (take_this_update); the taken update, or None (stored, to be taken later)."""
    _new, locked = store_update_locking(session, update_id=update_id, chat_id=chat_id, body=body, received_at=received_at)
    return take_this_update(session, update_id=update_id, worker=worker, now=now, lease=lease, chat_locked=locked)


def store_take_and_start(session: Session, *, update_id: int, chat_id: int, body: str, received_at: datetime, worker: str,
                         now: datetime, lease: timedelta, max_attempts: int, telegram_user_id: int, processed_at: datetime,
                         rate_now: float, per_minute: int) -> tuple[TakenUpdate | None, UpdateStart | None]:
    """store_and_take, then, if the update was taken with at most `max_attempts` attempts, the start of its handling
    (store.chat.start_update for `telegram_user_id`, with `rate_now` as its `now`): the taken update (or None) and the
    start (None unless it was started). On PostgreSQL the take and the start are one statement when this transaction
    stored the update and holds its chat's take lock (its usual case): one round trip fewer."""
    _new, locked = store_update_locking(session, update_id=update_id, chat_id=chat_id, body=body, received_at=received_at)
    now = aware(now, "now")
    if session.get_bind().dialect.name == "postgresql" and locked:
        row = session.execute(_TAKE_AND_START, {
            "worker": worker, "taken_now": now, "stale_before": now - lease, "max_attempts": max_attempts,
            **start_parameters(update_id=update_id, telegram_user_id=telegram_user_id, processed_at=processed_at, now=rate_now,
                               per_minute=per_minute)}).one()
        if row.taken_attempts is None:
            return None, None
        taken = TakenUpdate(update_id, chat_id, body, row.taken_attempts, aware(received_at, "received_at"))
        return taken, (start_of(row, telegram_user_id=telegram_user_id) if row.taken_attempts <= max_attempts else None)
    taken = take_this_update(session, update_id=update_id, worker=worker, now=now, lease=lease, chat_locked=locked)
    if taken is None or taken.attempts > max_attempts:
        return taken, None
    return taken, start_update(session, update_id=update_id, telegram_user_id=telegram_user_id, processed_at=processed_at,
                               now=rate_now, per_minute=per_minute)


def take_this_update(session: Session, *, update_id: int, worker: str, now: datetime, lease: timedelta,
                     chat_locked: bool = False) -> TakenUpdate | None:
    """Take one given update (the webhook, for its own request), or None if it is handled, held under a live
    lease, an earlier update of its chat is pending (that one goes first) or, on PostgreSQL, another transaction
    holds its chat's take lock. `chat_locked`: this transaction holds that lock (store_update_locking)."""
    now = aware(now, "now")
    if not chat_locked and session.get_bind().dialect.name == "postgresql" and not session.scalar(_LOCK_CHAT_OF, {"id": update_id}):
        return None
    row = session.execute(_TAKE_THIS, {"id": update_id, "worker": worker, "taken_now": now, "stale_before": now - lease}).first()
    return TakenUpdate(row.update_id, row.chat_id, row.body, row.attempts, row.received_at) if row else None


def update_state(session: Session, *, update_id: int, now: datetime, lease: timedelta) -> UpdateState | None:
    """The update's state, or None if it is not in the inbox."""
    row = session.execute(_STATE, {"id": update_id}).first()
    if row is None:
        return None
    held = row.taken_at is not None and aware(row.taken_at, "taken_at") >= aware(now, "now") - lease
    return UpdateState(row.processed_at is not None, held, row.reply_via)


def decide_reply_via(session: Session, *, update_id: int, via: str) -> str | None:
    """Decide how the update's reply leaves ("response" or "sender") unless that was decided; returns the decision
    in force (None if the update is not in the inbox). Call it in the handling transaction for "response"."""
    if via not in ("response", "sender"):
        raise ValueError(f"a reply leaves in the response or through the sender, not {via!r}")
    if session.execute(_REPLY_VIA, {"id": update_id, "via": via}).rowcount == 1:
        return via
    return session.execute(_REPLY_VIA_OF, {"id": update_id}).scalar()


def finish_update_replying(session: Session, *, update_id: int, processed_at: datetime, reply_via: str) -> str | None:
    """Mark an update handled and decide how its reply leaves, unless that was decided (decide_reply_via) in one
    statement; returns the decision in force. Call it in the transaction that handled the update."""
    if reply_via not in ("response", "sender"):
        raise ValueError(f"a reply leaves in the response or through the sender, not {reply_via!r}")
    return session.execute(_FINISH_REPLYING, {"id": update_id, "at": aware(processed_at, "processed_at"), "via": reply_via}).scalar()


# PostgreSQL: the inbox mark with the decision that the reply rides in the response, and that reply's outbox row
# (store.outbox.enqueue_answer), in one statement: the row is inserted only if the decision in force is "response".
def _finish_answering_statement():
    outbox = OutboxMessage.__table__
    finish = _FINISH_REPLYING.cte("finish")
    names = ("id", "dedupe_key", "chat_id", "text", "parse_mode", "reply_markup", "created_at", "next_attempt_at", "sent_at",
             "answers_update")
    values = [cast(bindparam(f"answer_{name}", type_=outbox.c[name].type), outbox.c[name].type) for name in names]
    answer = (pg_insert(outbox).from_select([*names, "status", "attempts"], select(*values, literal("sent"), literal(0))
                                         .where(exists(select(finish.c.reply_via).where(finish.c.reply_via == "response"))))
              .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(outbox.c.id).cte("answer"))
    return prepared(select(finish.c.reply_via, select(answer.c.id).scalar_subquery().label("answer_id")))


_FINISH_ANSWERING = _finish_answering_statement()


def finish_update_answering(session: Session, *, update_id: int, processed_at: datetime, chat_id: int, text: str,
                            dedupe_key: str, now: datetime, parse_mode: str | None = None,
                            reply_markup: dict | None = None) -> tuple[str | None, str | None]:
    """finish_update_replying with "response", then, if the reply does ride in the response, that reply queued as the
    response's message (store.outbox.enqueue_answer): one statement on PostgreSQL. Returns the decision in force and the
    message's id (None unless the decision is "response")."""
    from .outbox import enqueue_answer, existing_message

    if session.get_bind().dialect.name != "postgresql":
        via = finish_update_replying(session, update_id=update_id, processed_at=processed_at, reply_via="response")
        if via != "response":
            return via, None
        return via, enqueue_answer(session, chat_id=chat_id, text=text, dedupe_key=dedupe_key, update_id=update_id, now=now,
                                   parse_mode=parse_mode, reply_markup=reply_markup)
    now = aware(now, "now")
    row = session.execute(_FINISH_ANSWERING, {
        "id": update_id, "at": aware(processed_at, "processed_at"), "via": "response", **{f"answer_{k}": v for k, v in {
            "id": new_id("M"), "dedupe_key": dedupe_key, "chat_id": chat_id, "text": text, "parse_mode": parse_mode,
            "reply_markup": dict(reply_markup) if reply_markup is not None else None, "created_at": now, "next_attempt_at": now,
            "sent_at": now, "answers_update": update_id}.items()}}).first()
    if row is None or row.reply_via != "response":
        return (row.reply_via if row is not None else None), None
    return "response", row.answer_id if row.answer_id is not None else existing_message(session, dedupe_key=dedupe_key)
