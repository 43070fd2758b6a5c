"""Chat tables for the bot: identities, one-time invites, conversation state, processed updates."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import BigInteger, bindparam, cast, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .db import prepared
from .errors import NotFound, StaleState, StoreError
from .models import Buyer, ChatIdentity, ChatInvite, Conversation, ProcessedUpdate, Seller
from .ratelimit import rate_check, rate_parameters, rate_statement, verdict
from .timeutil import aware
from .vocabulary import ROLES


@dataclass(frozen=True)
class Identity:
    """Who a Telegram user is: a role and the account it acts for (None for admins)."""

    telegram_user_id: int
    role: str
    account_id: str | None


@dataclass(frozen=True)
class ConversationState:
    """A chat user's stored state and its version (0: nothing stored yet)."""

    state: dict[str, Any]
    version: int


# Statements of every chat update, built once (each call would otherwise rebuild and re-key them).
_conversations, _identities, _processed = Conversation.__table__, ChatIdentity.__table__, ProcessedUpdate.__table__
_me = select(cast(bindparam("user"), BigInteger).label("telegram_user_id")).subquery("me")
# One round trip for both: either row may be missing (an unlinked chat has a conversation, a new one has neither).
_CHAT = prepared(
    select(_conversations.c.state, _conversations.c.version, _identities.c.role, _identities.c.buyer_id,
           _identities.c.seller_id, _identities.c.agent_id)
    .select_from(_me)
    .outerjoin(_conversations, _conversations.c.telegram_user_id == _me.c.telegram_user_id)
    .outerjoin(_identities, _identities.c.telegram_user_id == _me.c.telegram_user_id)
)
_START = {name: prepared(insert(_conversations).values(telegram_user_id=bindparam("user"), state=bindparam("new_state"), version=1,
                                              updated_at=bindparam("at"))
          .on_conflict_do_nothing(index_elements=["telegram_user_id"]).returning(_conversations.c.version))
          for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}
_ADVANCE = prepared(update(_conversations)
            .where(_conversations.c.telegram_user_id == bindparam("user"), _conversations.c.version == bindparam("expected"))
            .values(state=bindparam("new_state"), version=bindparam("new_version"), updated_at=bindparam("at")))
_MARK = {name: prepared(insert(_processed).values(update_id=bindparam("id"), processed_at=bindparam("at"))
         .on_conflict_do_nothing(index_elements=["update_id"]).returning(_processed.c.update_id))
         for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}


# PostgreSQL: the start of every update in one round trip (each statement is one): the processed mark, then the rate
# check only if the mark is new (a redelivery spends no budget), and the identity with the conversation. The CTEs run
# once each whatever the outer select reads; the select sees the chat as it was when the statement began.
def start_update_statement(take=None):
    """The PostgreSQL statement of start_update; with `take` (a CTE returning the update's inbox row as a worker takes
    it, store.inbox), the processed mark is made only if that take returned a row with at most :max_attempts attempts,
    and the statement also reads the take's attempts (`taken_attempts`, None when nothing was taken)."""
    if take is None:
        mark = pg_insert(_processed).values(update_id=bindparam("id"), processed_at=bindparam("at"))
    else:
        at = bindparam("at", type_=_processed.c.processed_at.type)
        mark = pg_insert(_processed).from_select(
            ["update_id", "processed_at"],
            select(cast(bindparam("id"), BigInteger), cast(at, _processed.c.processed_at.type))
            .where(exists(select(take.c.update_id).where(take.c.attempts <= bindparam("max_attempts")))))
    mark = mark.on_conflict_do_nothing(index_elements=["update_id"]).returning(_processed.c.update_id).cte("mark")
    rate = rate_statement(pg_insert, func.greatest, only_if=mark.c.update_id).cte("rate")
    columns = [select(mark.c.update_id).scalar_subquery().label("marked"), select(rate.c.refused).scalar_subquery().label("refused")]
    if take is not None:
        columns.append(select(take.c.attempts).scalar_subquery().label("taken_attempts"))
    return prepared(_CHAT.add_columns(*columns))


_START_UPDATE = start_update_statement()


@dataclass(frozen=True)
class UpdateStart:
    """What handling an update starts from: whether it is new (not processed before), the rate limit's verdict
    ("ok", "warn", "drop"; None for a redelivery) and, when that is "ok", the person's identity and conversation."""

    new: bool
    rate: str | None
    identity: Identity | None = None
    conversation: ConversationState | None = None


def start_update(session: Session, *, update_id: int | None, telegram_user_id: int, processed_at: datetime, now: float,
                 per_minute: int) -> UpdateStart:
    """Mark the update processed (`update_id` None: nothing to mark), check the person's rate limit unless it was
    processed before, and load their identity and conversation unless the limit refused: mark_update_processed,
    rate_check and load_chat, in one statement on PostgreSQL."""
    if update_id is None or session.get_bind().dialect.name != "postgresql":
        if update_id is not None and not mark_update_processed(session, update_id=update_id, processed_at=processed_at):
            return UpdateStart(False, None)
        rate = rate_check(session, telegram_user_id=telegram_user_id, now=now, per_minute=per_minute)
        if rate != "ok":
            return UpdateStart(True, rate)
        return UpdateStart(True, rate, *load_chat(session, telegram_user_id=telegram_user_id))
    row = session.execute(_START_UPDATE, start_parameters(update_id=update_id, telegram_user_id=telegram_user_id,
                                                          processed_at=processed_at, now=now, per_minute=per_minute)).one()
    return start_of(row, telegram_user_id=telegram_user_id)


def start_parameters(*, update_id: int, telegram_user_id: int, processed_at: datetime, now: float, per_minute: int) -> dict:
    """The parameters of start_update_statement."""
    return {"id": update_id, "at": aware(processed_at, "processed_at"),
            **rate_parameters(telegram_user_id=telegram_user_id, now=now, per_minute=per_minute)}


def start_of(row, *, telegram_user_id: int) -> UpdateStart:
    """The UpdateStart a row of start_update_statement says."""
    if row.marked is None:
        return UpdateStart(False, None)
    rate = verdict(row.refused)
    if rate != "ok":
        return UpdateStart(True, rate)
    return UpdateStart(True, rate, *_chat_of(telegram_user_id, row))


AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _accounts(session: Session, role: str, account_id: str | None) -> dict[str, str | None]:
    """The buyer_id/seller_id/agent_id columns for a role, checking that the account exists (agents are named freely)."""
    if role not in ROLES:
        raise StoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if role == "admin":
        if account_id is not None:
            raise StoreError("an admin has no account id")
        return {"buyer_id": None, "seller_id": None, "agent_id": None}
    if role == "agent":
        if account_id is None or not AGENT_ID.fullmatch(account_id):
            raise StoreError(f"an agent id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
                             f"got {account_id!r}")
        return {"buyer_id": None, "seller_id": None, "agent_id": account_id}
    model = Buyer if role == "buyer" else Seller
    if account_id is None or session.get(model, account_id) is None:
        raise NotFound(f"no {role} {account_id!r}")
    return {"buyer_id": account_id if role == "buyer" else None, "seller_id": account_id if role == "seller" else None,
            "agent_id": None}


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def link_identity(session: Session, *, telegram_user_id: int, role: str, account_id: str | None, linked_at: datetime) -> Identity:
    """Link a Telegram user to an account, replacing any earlier link."""
    accounts = _accounts(session, role, account_id)
    row = session.get(ChatIdentity, telegram_user_id, with_for_update=True)
    if row is None:
        row = ChatIdentity(telegram_user_id=telegram_user_id)
        session.add(row)
    row.role, row.buyer_id, row.seller_id, row.agent_id = role, accounts["buyer_id"], accounts["seller_id"], accounts["agent_id"]
    row.linked_at = aware(linked_at, "linked_at")
    session.flush()
    return Identity(telegram_user_id, role, account_id)


def get_identity(session: Session, *, telegram_user_id: int) -> Identity | None:
    """The account a Telegram user is linked to, or None."""
    row = session.get(ChatIdentity, telegram_user_id)
    if row is None:
        return None
    return Identity(row.telegram_user_id, row.role, row.buyer_id or row.seller_id or row.agent_id)


def list_identities(session: Session, *, role: str) -> list[Identity]:
    """Every chat user linked with `role`."""
    rows = session.scalars(select(ChatIdentity).where(ChatIdentity.role == role).order_by(ChatIdentity.telegram_user_id))
    return [Identity(r.telegram_user_id, r.role, r.buyer_id or r.seller_id or r.agent_id) for r in rows]


def chats_of(session: Session, *, role: str, account_id: str) -> list[int]:
    """The Telegram users linked to an account (a person may link more than one chat)."""
    column = {"buyer": ChatIdentity.buyer_id, "seller": ChatIdentity.seller_id, "agent": ChatIdentity.agent_id}.get(role)
    if column is None:
        raise StoreError(f"only buyers, sellers and agents have accounts to message, not {role!r}")
    query = select(ChatIdentity.telegram_user_id).where(ChatIdentity.role == role, column == account_id)
    return list(session.scalars(query.order_by(ChatIdentity.telegram_user_id)))


def create_invite(session: Session, *, role: str, account_id: str | None, created_at: datetime, expires_at: datetime) -> str:
    """A new one-time invite code for an account; only its SHA-256 is stored."""
    accounts = _accounts(session, role, account_id)
    created_at, expires_at = aware(created_at, "created_at"), aware(expires_at, "expires_at")
    if expires_at <= created_at:
        raise StoreError("an invite must expire after it is created")
    code = secrets.token_urlsafe(16)
    session.add(ChatInvite(code_hash=_hash(code), role=role, created_at=created_at, expires_at=expires_at, **accounts))
    session.flush()
    return code


def redeem_invite(session: Session, *, code: str, telegram_user_id: int, now: datetime) -> Identity:
    """Use an invite code once and link the user; NotFound if it is unknown, used or expired."""
    now = aware(now, "now")
    code_hash = _hash(code)
    # One conditional UPDATE is the atomic claim: of two concurrent redemptions only one matches.
    used = session.execute(
        update(ChatInvite)
        .where(ChatInvite.code_hash == code_hash, ChatInvite.used_at.is_(None), ChatInvite.expires_at > now)
        .values(used_at=now, used_by=telegram_user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise NotFound("this invite code is unknown, already used or expired")
    invite = session.execute(select(ChatInvite.role, ChatInvite.buyer_id, ChatInvite.seller_id, ChatInvite.agent_id)
                             .where(ChatInvite.code_hash == code_hash)).one()
    return link_identity(session, telegram_user_id=telegram_user_id, role=invite.role,
                         account_id=invite.buyer_id or invite.seller_id or invite.agent_id, linked_at=now)


def load_conversation(session: Session, *, telegram_user_id: int) -> ConversationState:
    """The user's conversation state and version (empty state, version 0, if none)."""
    return load_chat(session, telegram_user_id=telegram_user_id)[1]


def load_chat(session: Session, *, telegram_user_id: int) -> tuple[Identity | None, ConversationState]:
    """The account a Telegram user is linked to (or None) and their conversation state, in one query."""
    return _chat_of(telegram_user_id, session.execute(_CHAT, {"user": telegram_user_id}).one())


def _chat_of(telegram_user_id: int, row) -> tuple[Identity | None, ConversationState]:
    identity = None if row.role is None else Identity(telegram_user_id, row.role, row.buyer_id or row.seller_id or row.agent_id)
    return identity, ConversationState({}, 0) if row.version is None else ConversationState(dict(row.state), row.version)


def save_conversation(session: Session, *, telegram_user_id: int, state: Mapping[str, Any], expected_version: int,
                      now: datetime) -> int:
    """Store new state if the stored version is still `expected_version`; returns the new version, or StaleState."""
    values = {"user": telegram_user_id, "new_state": dict(state), "at": aware(now, "now")}
    if expected_version == 0:
        # ON CONFLICT DO NOTHING instead of a savepoint: a row another worker started wins, and this one reads it again.
        if session.execute(_START[session.get_bind().dialect.name], values).first() is None:
            raise StaleState(f"the conversation of user {telegram_user_id} was started elsewhere")
        return 1
    changed = session.execute(_ADVANCE, {**values, "expected": expected_version, "new_version": expected_version + 1}).rowcount
    if changed != 1:
        raise StaleState(f"the conversation of user {telegram_user_id} changed since version {expected_version}")
    return expected_version + 1


def mark_update_processed(session: Session, *, update_id: int, processed_at: datetime) -> bool:
    """Remember a Telegram update; True the first time, False if it was already processed."""
    statement = _MARK[session.get_bind().dialect.name]
    return session.execute(statement, {"id": update_id, "at": aware(processed_at, "processed_at")}).first() is not None


def prune_processed_updates(session: Session, *, before: datetime) -> int:
    """Forget updates processed before `before` (Telegram redelivers for at most a day); returns how many."""
    return session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < aware(before, "before"))).rowcount
