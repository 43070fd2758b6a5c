"""The decision log: ids, round trips, owner-scoped lookups and listings."""
import re
from decimal import Decimal

import pytest

from store import DECISIONS_NOTED, DecisionRecord, NotFound, StoreError, get_decision, list_decisions, log_decision
from store.ids import new_id

from .data import at


def tier_record(**kw) -> DecisionRecord:
    base = dict(kind="tier", outcome="eligible", reason="cpu_tier", rule="tier_free", policy_version="2026.11-1+abc",
                explanation="Free (rule tier_free).", decided_at=at("2026-06-01"), seller_id="S1",
                facts={"units": 150, "contacts": 3}, result={"tier": "free", "discount": 1.0, "advice": ["keep it up"]})
    return DecisionRecord(**{**base, **kw})


def test_ids_are_short_unique_and_time_sortable():
    ids = [new_id("D") for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"D-[0-9A-HJKMNP-TV-Z]{12}", i) for i in ids)


def test_a_decision_round_trips(store):
    with store.write() as session:
        decision_id = log_decision(session, record=tier_record(refund_amount=None, fee=Decimal("0.25")))
    with store.read() as session:
        got = get_decision(session, decision_id=decision_id)
    assert got == tier_record(id=decision_id, fee=Decimal("0.25"))


def test_a_session_that_asks_notes_each_decision_written(store):
    with store.write() as session:
        log_decision(session, record=tier_record())  # before asking: not noted
        session.info[DECISIONS_NOTED] = noted = []
        first = log_decision(session, record=tier_record())
        second = log_decision(session, record=tier_record(outcome="not_eligible", rule="not_eligible"))
        del session.info[DECISIONS_NOTED]
        log_decision(session, record=tier_record())
    assert noted == [(first, "tier", "eligible", "tier_free"), (second, "tier", "not_eligible", "not_eligible")]


def test_a_decision_a_rolled_back_savepoint_took_back_is_not_noted(store):
    """A decision written in a savepoint that rolls back (a refund request or claim losing a race, an agent's review of
    a case another agent decided) was never written: it is not noted, so the chat's metrics and log line do not count
    it; one in a savepoint that commits stays noted."""
    with store.write() as session:
        session.info[DECISIONS_NOTED] = noted = []
        kept = log_decision(session, record=tier_record())
        with session.begin_nested():
            inner = log_decision(session, record=tier_record(outcome="not_eligible", rule="not_eligible"))
        with pytest.raises(RuntimeError):
            with session.begin_nested():
                log_decision(session, record=tier_record(rule="lost"))
                with session.begin_nested():
                    log_decision(session, record=tier_record(rule="lost too"))
                raise RuntimeError("the race was lost")
        outer = session.begin_nested()
        with session.begin_nested():
            log_decision(session, record=tier_record(rule="taken back with its parent"))
        outer.rollback()
        del session.info[DECISIONS_NOTED]
    assert noted == [(kept, "tier", "eligible", "tier_free"), (inner, "tier", "not_eligible", "not_eligible")]
    with store.read() as session:
        assert {d.id for d in list_decisions(session, seller_id="S1")} == {kept, inner}


def test_facts_with_dates_are_logged_as_iso_text(store):
    """Policy-2 facts carry dates (delivered_on, refunded_on, ...): the log stores them as ISO 8601 text."""
    from datetime import date

    with store.write() as session:
        decision_id = log_decision(session, record=tier_record(facts={"as_of": date(2026, 2, 16), "enrolled_on": None,
                                                                      "order_total": Decimal("5.50")}))
    with store.read() as session:
        assert get_decision(session, decision_id=decision_id).facts == {"as_of": "2026-02-16", "enrolled_on": None,
                                                                         "order_total": 5.5}


def test_a_given_id_is_kept(store):
    with store.write() as session:
        assert log_decision(session, record=tier_record(id="D-0000000000AB")) == "D-0000000000AB"


def test_lookups_by_owner(store):
    with store.write() as session:
        mine = log_decision(session, record=tier_record())
        theirs = log_decision(session, record=tier_record(seller_id="S2", decided_at=at("2026-06-02")))
        refund = log_decision(session, record=tier_record(kind="refund", seller_id="S1", buyer_id="B1", decided_at=at("2026-06-03")))
    with store.read() as session:
        assert get_decision(session, decision_id=mine, seller_id="S1").id == mine
        with pytest.raises(NotFound):
            get_decision(session, decision_id=theirs, seller_id="S1")
        with pytest.raises(NotFound):
            get_decision(session, decision_id=mine, buyer_id="B1")
        assert [d.id for d in list_decisions(session, seller_id="S1")] == [refund, mine]
        assert [d.id for d in list_decisions(session, seller_id="S1", kind="tier")] == [mine]
        assert [d.id for d in list_decisions(session, buyer_id="B1")] == [refund]
        with pytest.raises(StoreError, match="needs one or more"):
            list_decisions(session)


def test_bad_records_are_refused(store):
    with store.write() as session:
        with pytest.raises(StoreError, match="kind"):
            log_decision(session, record=tier_record(kind="vibe"))
        with pytest.raises(StoreError, match="channel"):
            log_decision(session, record=tier_record(channel="fax"))
        with pytest.raises(StoreError, match="timezone-aware"):
            log_decision(session, record=tier_record(decided_at=at("2026-06-01").replace(tzinfo=None)))
