"""Review cases: one per decision, decided once (two agents at once: one wins, the other learns who),
with the refund or reimbursement written in the same transaction."""
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from store import (
    CaseClosed, CaseExists, DecisionRecord, StoreError, case_detail, cases_for, decide_case, list_cases, log_decision,
    open_case, record_refund_request,
)
from store.models import Decision, Refund, ReturnRequest

from .data import at, buyer, item, load, order, product, seller

T0 = at("2026-06-01T10:00:00")


@pytest.fixture
def escalated(store):
    """An $800 item whose refund request the engine escalated, and its case."""
    load(store, [seller("S1"), buyer("B1"), product("P1", "S1", price="800.00"),
                 order("O1", "B1", "S1", "2026-05-20", [item("I1", "P1", unit_price="800.00")], delivered="2026-05-25")])
    engine = DecisionRecord(kind="refund", outcome="escalate", reason="high_value", rule="high_value", policy_version="v1",
                            explanation="Expensive.", decided_at=T0, facts={"price": 800})
    with store.write() as session:
        recorded = record_refund_request(session, order_item_id="I1", reason="defective", condition="opened", requested_at=T0,
                                         decision=engine, prepaid_label=False)
        case = open_case(session, kind="escalation", decision_id=recorded.decision_id, opened_at=T0, opened_by="engine")
    return store, case


def review(outcome="approve_return", by="agent:ann", amount="800.00", **extra) -> DecisionRecord:
    return DecisionRecord(kind="refund", outcome=outcome, reason="review_escalation", rule="review", policy_version="v1",
                          explanation=f"Reviewed by {by}", decided_at=at("2026-06-01T12:00:00"), decided_by=by, note="ok",
                          refund_amount=Decimal(amount) if amount else None, fee=Decimal(0), **extra)


def test_a_decision_gets_one_case(escalated):
    store, case = escalated
    with store.write() as session, pytest.raises(CaseExists) as raised:
        open_case(session, kind="appeal", decision_id=case.decision_id, opened_at=T0, opened_by="buyer:B1")
    assert raised.value.existing_id == case.case_id


def test_cases_are_found_by_their_items_and_not_by_others(escalated):
    store, case = escalated
    with store.read() as session:
        assert cases_for(session, order_item_ids=["I1"]) == [case]
        assert cases_for(session, order_item_ids=["I9", "I1"]) == [case]
        assert cases_for(session, order_item_ids=["I9"]) == cases_for(session, order_item_ids=[]) == []
        assert cases_for(session, claim_ids=["CL-1"]) == []  # an escalation is about no claim
        assert cases_for(session, order_item_ids=["I1"], claim_ids=[]) == []
        assert cases_for(session) == [case]


def test_the_review_is_logged_with_who_the_note_and_the_decision_it_reviews(escalated):
    store, case = escalated
    with store.write() as session:
        decided = decide_case(session, case_id=case.case_id, record=review())
    with store.read() as session:
        detail = case_detail(session, case_id=case.case_id)
        refund = session.execute(select(Refund.amount, Refund.decision_id)).one()
        request = session.execute(select(ReturnRequest.decision_id, ReturnRequest.ships_back)).one()
    assert detail.case.status == "decided" and detail.case.decided_by == "agent:ann"
    assert (detail.review.id, detail.review.reviews_decision_id, detail.review.note) == (decided.review_decision_id, case.decision_id, "ok")
    assert (detail.review.buyer_id, detail.review.seller_id, detail.review.order_item_id) == ("B1", "S1", "I1")
    assert tuple(refund) == (Decimal("800.00"), decided.review_decision_id) and detail.review.refund_id == decided.refund_id
    assert tuple(request) == (decided.review_decision_id, True)
    assert [h.id for h in detail.history] == [case.decision_id, decided.review_decision_id]


@pytest.mark.parametrize("record, problem", [
    (review(amount="800.01"), "at most the price paid"),
    (review("partial_refund", amount="0"), "more than 0"),
    (review(by="engine"), "decided by a person"),
    (review("approve"), "a refund decision of"),
])
def test_bad_reviews_are_refused_and_change_nothing(escalated, record, problem):
    store, case = escalated
    with pytest.raises(StoreError, match=problem):
        with store.write() as session:
            decide_case(session, case_id=case.case_id, record=record)
    with store.read() as session:
        assert [c.case_id for c in list_cases(session)] == [case.case_id]
        assert session.scalar(select(func.count()).select_from(Refund)) == 0


def test_two_agents_deciding_at_once_exactly_one_wins(escalated):
    store, case = escalated
    outcome = {}

    def second_agent():
        try:
            with store.write() as session:
                outcome["raj"] = decide_case(session, case_id=case.case_id, record=review("deny", by="agent:raj", amount=None))
        except CaseClosed as exc:
            outcome["raj"] = exc

    with store.write() as session:
        outcome["ann"] = decide_case(session, case_id=case.case_id, record=review())
        other = threading.Thread(target=second_agent)
        other.start()
        time.sleep(0.5)  # raj's transaction now waits on ann's (PostgreSQL: the case row; SQLite: the write lock)
        assert other.is_alive()
    other.join(30)
    lost = outcome["raj"]
    assert isinstance(lost, CaseClosed) and lost.decided_by == "agent:ann"
    assert lost.review_decision_id == outcome["ann"].review_decision_id
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Refund)) == 1
        assert session.scalar(select(func.count()).select_from(Decision).where(Decision.decided_by != "engine")) == 1


def test_two_agents_racing_from_threads_leave_one_review(escalated):
    store, case = escalated
    start = threading.Barrier(4)
    results = []

    def agent(name, outcome):
        start.wait()
        try:
            with store.write() as session:
                results.append(decide_case(session, case_id=case.case_id,
                                           record=review(outcome, by=f"agent:{name}", amount=None if outcome == "deny" else "800.00")))
        except CaseClosed as exc:
            results.append(exc)

    threads = [threading.Thread(target=agent, args=(n, o)) for n, o in
               [("ann", "approve_return"), ("raj", "deny"), ("kim", "returnless_refund"), ("lee", "deny")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [r for r in results if not isinstance(r, CaseClosed)]
    lost = [r for r in results if isinstance(r, CaseClosed)]
    assert len(won) == 1 and len(lost) == 3
    with store.read() as session:
        [decided] = list_cases(session, status="decided")
        reviews = session.scalar(select(func.count()).select_from(Decision).where(Decision.reviews_decision_id.is_not(None)))
    assert reviews == 1 and {l.decided_by for l in lost} == {decided.decided_by}
