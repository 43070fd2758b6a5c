"""Chat identities, one-time invites, conversation state and processed updates."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from store import (
    NotFound, StaleState, StoreError, create_invite, get_identity, link_identity, load_conversation, mark_update_processed,
    prune_processed_updates, redeem_invite, save_conversation,
)
from store.models import ChatInvite

from .data import at, buyer, load, seller

NOW = at("2026-06-01T10:00:00")


@pytest.fixture
def people(store):
    load(store, [seller("S1"), buyer("B1")])
    return store


def test_an_invite_links_a_user_once(people):
    with people.write() as session:
        code = create_invite(session, role="seller", account_id="S1", created_at=NOW, expires_at=NOW + timedelta(days=1))
    with people.read() as session:
        assert code not in {row.code_hash for row in session.scalars(select(ChatInvite))}  # only the hash is kept
    with people.write() as session:
        identity = redeem_invite(session, code=code, telegram_user_id=42, now=NOW + timedelta(hours=1))
    assert (identity.role, identity.account_id) == ("seller", "S1")
    with people.write() as session, pytest.raises(NotFound, match="already used"):
        redeem_invite(session, code=code, telegram_user_id=43, now=NOW + timedelta(hours=2))
    with people.read() as session:
        assert get_identity(session, telegram_user_id=42).account_id == "S1"
        assert get_identity(session, telegram_user_id=43) is None


def test_expired_and_unknown_invites_are_refused(people):
    with people.write() as session:
        code = create_invite(session, role="buyer", account_id="B1", created_at=NOW, expires_at=NOW + timedelta(days=1))
        with pytest.raises(NotFound):
            redeem_invite(session, code=code, telegram_user_id=42, now=NOW + timedelta(days=1))
        with pytest.raises(NotFound):
            redeem_invite(session, code="made-up", telegram_user_id=42, now=NOW)


def test_invites_need_a_real_account(people):
    with people.write() as session:
        with pytest.raises(NotFound, match="no buyer 'B9'"):
            create_invite(session, role="buyer", account_id="B9", created_at=NOW, expires_at=NOW + timedelta(days=1))
        with pytest.raises(StoreError, match="role"):
            create_invite(session, role="owner", account_id="B1", created_at=NOW, expires_at=NOW + timedelta(days=1))
        with pytest.raises(StoreError, match="admin has no account"):
            create_invite(session, role="admin", account_id="B1", created_at=NOW, expires_at=NOW + timedelta(days=1))
        assert create_invite(session, role="admin", account_id=None, created_at=NOW, expires_at=NOW + timedelta(days=1))


def test_relinking_replaces_the_earlier_link(people):
    with people.write() as session:
        link_identity(session, telegram_user_id=7, role="buyer", account_id="B1", linked_at=NOW)
        link_identity(session, telegram_user_id=7, role="admin", account_id=None, linked_at=NOW)
    with people.read() as session:
        assert get_identity(session, telegram_user_id=7) == type(get_identity(session, telegram_user_id=7))(7, "admin", None)


def test_conversation_state_uses_optimistic_versions(people):
    with people.write() as session:
        assert load_conversation(session, telegram_user_id=5).version == 0
        assert save_conversation(session, telegram_user_id=5, state={"step": "pick_item"}, expected_version=0, now=NOW) == 1
        assert save_conversation(session, telegram_user_id=5, state={"step": "reason", "item": "I1"}, expected_version=1, now=NOW) == 2
        with pytest.raises(StaleState):
            save_conversation(session, telegram_user_id=5, state={"step": "stale"}, expected_version=1, now=NOW)
        with pytest.raises(StaleState):
            save_conversation(session, telegram_user_id=5, state={}, expected_version=0, now=NOW)
    with people.read() as session:
        loaded = load_conversation(session, telegram_user_id=5)
    assert (loaded.state, loaded.version) == ({"step": "reason", "item": "I1"}, 2)


def test_updates_are_processed_once(people):
    with people.write() as session:
        assert mark_update_processed(session, update_id=1001, processed_at=NOW) is True
        assert mark_update_processed(session, update_id=1001, processed_at=NOW) is False
        assert mark_update_processed(session, update_id=1002, processed_at=NOW + timedelta(days=2)) is True
        assert prune_processed_updates(session, before=NOW + timedelta(days=1)) == 1
        assert mark_update_processed(session, update_id=1002, processed_at=NOW) is False


def test_an_update_starts_with_its_mark_the_rate_limit_and_the_chat_in_one_call(store):
    from datetime import datetime, timezone

    from store import link_identity, save_conversation, start_update
    from store.models import ProcessedUpdate, RateLimit
    from sqlalchemy import func, select

    now = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
    with store.write() as session:
        link_identity(session, telegram_user_id=7, role="admin", account_id=None, linked_at=now)
        save_conversation(session, telegram_user_id=7, state={"flow": "x"}, expected_version=0, now=now)

    def start(update_id, user=7, per_minute=2, at=1000.0):
        with store.write() as session:
            return start_update(session, update_id=update_id, telegram_user_id=user, processed_at=now, now=at, per_minute=per_minute)

    first = start(1)
    assert (first.new, first.rate, first.identity.role, first.conversation.state, first.conversation.version) == (
        True, "ok", "admin", {"flow": "x"}, 1)
    assert (start(1).new, start(1).rate) == (False, None)  # a redelivery: no budget spent
    stranger = start(2, user=8)
    assert (stranger.rate, stranger.identity, stranger.conversation.version) == ("ok", None, 0)
    assert start(3).rate == "ok" and start(4).rate == "warn" and start(5).rate == "drop"  # 2 a minute: a burst of 2
    nothing = start(None, at=1100.0)  # no update id: nothing to mark (the budget is full again a minute later)
    assert (nothing.new, nothing.rate, nothing.identity.role) == (True, "ok", "admin")
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 5
        assert session.scalar(select(RateLimit.refused).where(RateLimit.telegram_user_id == 7)) == 0
