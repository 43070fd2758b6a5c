"""Refund requests and claims are recorded exactly once, with their decisions, in one transaction."""
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from store import (
    ClaimExists, DecisionRecord, NotFound, RefundRequestExists, StoreError, file_claim, get_decision, list_decisions,
    reassess_claim, record_refund_request, record_return_delivery,
)
from store.models import Claim, Decision, Refund, ReturnRequest

from .data import at, buyer, item, load, order, product, seller

NOW = at("2026-06-01T10:00:00")


def refund_decision(outcome="approve_return", amount="20.00", fee="0.00", **kw) -> DecisionRecord:
    refunds = outcome in ("approve_return", "returnless_refund", "partial_refund")
    return DecisionRecord(kind="refund", outcome=outcome, reason="return_approved", rule="approve_return", policy_version="v1+abc",
                          explanation="Approved (rule approve_return).", decided_at=NOW, facts={"price": Decimal("20.00")},
                          result={"outcome": outcome}, refund_amount=Decimal(amount) if refunds else None,
                          fee=Decimal(fee) if refunds else None, channel="telegram", **kw)


def claim_decision(outcome="approve", reimbursement="20.00") -> DecisionRecord:
    return DecisionRecord(kind="claim", outcome=outcome, reason="reimbursable", rule="reimbursable", policy_version="v1+abc",
                          explanation="Reimbursed.", decided_at=at("2026-06-20"), facts={"reason": "return_not_received"},
                          result={"outcome": outcome}, reimbursement=Decimal(reimbursement))


@pytest.fixture
def shop(store):
    load(store, [seller("S1"), buyer("B1"), product("P1", "S1"),
                 order("O1", "B1", "S1", "2026-05-01", [item("I1", "P1"), item("I2", "P1"), item("I3", "P1")],
                       delivered="2026-05-03")])
    return store


def request(session, order_item_id="I1", decision=None, prepaid_label=True):
    return record_refund_request(session, order_item_id=order_item_id, reason="no_longer_needed", condition="unopened",
                                 requested_at=NOW, decision=decision or refund_decision(), prepaid_label=prepaid_label)


def test_an_approved_return_writes_request_refund_and_decision(shop):
    with shop.write() as session:
        done = request(session, decision=refund_decision("partial_refund", amount="10.00", fee="10.00"))
    assert re.fullmatch(r"D-[0-9A-HJKMNP-TV-Z]{12}", done.decision_id)
    with shop.read() as session:
        rr = session.get(ReturnRequest, done.return_request_id)
        rf = session.get(Refund, done.refund_id)
        assert (rr.order_item_id, rr.prepaid_label, rr.ships_back, rr.decision_id) == ("I1", True, True, done.decision_id)
        assert (rf.amount, rf.fee, rf.issued_by, rf.issued_at, rf.auto_refund_late) == (
            Decimal("10.00"), Decimal("10.00"), "marketplace", NOW, False)
        logged = get_decision(session, decision_id=done.decision_id)
    assert (logged.buyer_id, logged.seller_id, logged.order_item_id, logged.refund_id) == ("B1", "S1", "I1", done.refund_id)
    assert (logged.outcome, logged.channel, logged.facts, logged.refund_amount) == ("partial_refund", "telegram", {"price": 20.0}, Decimal("10.00"))


@pytest.mark.parametrize("outcome, refunds, ships_back", [
    ("approve_return", True, True), ("returnless_refund", True, False), ("partial_refund", True, True),
    ("deny", False, False), ("escalate", False, False)])
def test_which_outcomes_refund_and_which_send_the_item_back(shop, outcome, refunds, ships_back):
    with shop.write() as session:
        done = request(session, decision=refund_decision(outcome))
    with shop.read() as session:
        assert (done.refund_id is not None) == refunds
        assert session.scalar(select(func.count(Refund.id))) == int(refunds)
        assert session.get(ReturnRequest, done.return_request_id).ships_back is ships_back


def test_a_second_request_for_the_same_item_is_refused_with_the_earlier_decision(shop):
    with shop.write() as session:
        first = request(session)
    with shop.write() as session, pytest.raises(RefundRequestExists) as raised:
        request(session, decision=refund_decision("returnless_refund"))
    assert (raised.value.existing_id, raised.value.decision_id) == (first.return_request_id, first.decision_id)
    with shop.read() as session:
        assert session.scalar(select(func.count(Decision.id))) == 1
        assert session.scalar(select(func.count(Refund.id))) == 1


def test_a_denied_request_is_also_answered_once(shop):
    with shop.write() as session:
        first = request(session, decision=refund_decision("deny"))
    with shop.write() as session, pytest.raises(RefundRequestExists) as raised:
        request(session)
    assert raised.value.decision_id == first.decision_id


def test_an_imported_refund_blocks_a_request(shop):
    load(shop, [{"type": "refund", "id": "F1", "order_item_id": "I2", "amount": "5.00", "issued_by": "seller",
                 "issued_at": "2026-05-10T00:00:00Z"}])
    with shop.write() as session, pytest.raises(RefundRequestExists) as raised:
        request(session, order_item_id="I2")
    assert raised.value.existing_id == "F1"


def test_bad_requests_write_nothing(shop):
    with shop.write() as session:
        with pytest.raises(NotFound):
            request(session, order_item_id="I9")
        with pytest.raises(StoreError, match="needs a refund_amount"):
            request(session, decision=replace(refund_decision(), refund_amount=None))
        with pytest.raises(StoreError, match="refund decision"):
            request(session, decision=replace(refund_decision(), kind="claim"))
        with pytest.raises(StoreError, match="reason"):
            record_refund_request(session, order_item_id="I1", reason="bored", condition="unopened", requested_at=NOW,
                                  decision=refund_decision(), prepaid_label=True)
    with shop.read() as session:
        assert session.scalar(select(func.count(ReturnRequest.id))) == 0
        assert session.scalar(select(func.count(Decision.id))) == 0


def test_return_delivery_is_recorded_once(shop):
    with shop.write() as session:
        done = request(session)
        record_return_delivery(session, return_request_id=done.return_request_id, delivered_at=at("2026-06-05"), condition_received="used")
        record_return_delivery(session, return_request_id=done.return_request_id, delivered_at=at("2026-06-05"), condition_received="used")
        with pytest.raises(StoreError, match="already delivered"):
            record_return_delivery(session, return_request_id=done.return_request_id, delivered_at=at("2026-06-06"),
                                   condition_received="used")
    with shop.read() as session:
        rr = session.get(ReturnRequest, done.return_request_id)
        assert (rr.delivered_at, rr.condition_received) == (at("2026-06-05"), "used")


@pytest.fixture
def refunded(shop):
    with shop.write() as session:
        return request(session).refund_id


@pytest.mark.parametrize("outcome, status, reimbursement", [
    ("approve", "approved", Decimal("20.00")), ("deny", "denied", None), ("needs_evidence", "needs_evidence", None)])
def test_a_claim_takes_its_status_from_the_decision(shop, refunded, outcome, status, reimbursement):
    with shop.write() as session:
        done = file_claim(session, refund_id=refunded, reason="return_not_received", evidence=["photo", "photo"],
                          filed_at=at("2026-06-20"), decision=claim_decision(outcome))
    assert done.status == status
    with shop.read() as session:
        row = session.get(Claim, done.claim_id)
        assert (row.status, row.reimbursement, row.evidence, row.decision_id) == (status, reimbursement, ["photo"], done.decision_id)
        logged = get_decision(session, decision_id=done.decision_id)
        assert (logged.claim_id, logged.refund_id, logged.seller_id, logged.kind) == (done.claim_id, refunded, "S1", "claim")


def test_one_claim_per_refund(shop, refunded):
    with shop.write() as session:
        first = file_claim(session, refund_id=refunded, reason="return_not_received", evidence=[], filed_at=at("2026-06-20"),
                           decision=claim_decision())
    with shop.write() as session, pytest.raises(ClaimExists) as raised:
        file_claim(session, refund_id=refunded, reason="returned_damaged", evidence=["photo"], filed_at=at("2026-06-21"),
                   decision=claim_decision())
    assert (raised.value.existing_id, raised.value.decision_id) == (first.claim_id, first.decision_id)


def test_a_claim_needing_evidence_can_be_reassessed_once_decided_not_again(shop, refunded):
    with shop.write() as session:
        first = file_claim(session, refund_id=refunded, reason="returned_damaged", evidence=[], filed_at=at("2026-06-20"),
                           decision=claim_decision("needs_evidence"))
        second = reassess_claim(session, claim_id=first.claim_id, evidence=["photo"], decision=claim_decision("approve", "15.00"))
        with pytest.raises(StoreError, match="already been decided"):
            reassess_claim(session, claim_id=first.claim_id, evidence=["photo"], decision=claim_decision("deny"))
    with shop.read() as session:
        row = session.get(Claim, first.claim_id)
        assert (row.status, row.evidence, row.reimbursement, row.decision_id) == ("approved", ["photo"], Decimal("15.00"), second.decision_id)
        history = list_decisions(session, claim_id=first.claim_id)
    assert [d.outcome for d in history] == ["approve", "needs_evidence"]


def test_claims_need_a_claim_decision_and_a_refund(shop, refunded):
    with shop.write() as session:
        with pytest.raises(StoreError, match="claim decision"):
            file_claim(session, refund_id=refunded, reason="return_not_received", evidence=[], filed_at=at("2026-06-20"),
                       decision=refund_decision())
        with pytest.raises(NotFound):
            file_claim(session, refund_id="RF-NOPE", reason="return_not_received", evidence=[], filed_at=at("2026-06-20"),
                       decision=claim_decision())
        with pytest.raises(StoreError, match="evidence"):
            file_claim(session, refund_id=refunded, reason="return_not_received", evidence=["selfie"], filed_at=at("2026-06-20"),
                       decision=claim_decision())


def test_a_request_may_be_about_some_units_of_a_line(store):
    load(store, [seller("S1"), buyer("B1"), product("P1", "S1"),
                 order("O1", "B1", "S1", "2026-05-01", [item("I1", "P1", quantity=3)], delivered="2026-05-03")])
    with store.write() as session:
        for wrong in (0, 4, "2", True):
            with pytest.raises(StoreError, match="quantity must be a whole number from 1 to 3"):
                record_refund_request(session, order_item_id="I1", reason="no_longer_needed", condition="unopened",
                                      requested_at=NOW, decision=refund_decision(), prepaid_label=True, quantity=wrong)
        recorded = record_refund_request(session, order_item_id="I1", reason="no_longer_needed", condition="unopened",
                                         requested_at=NOW, decision=refund_decision(), prepaid_label=True, quantity=2)
    with store.read() as session:
        assert session.get(ReturnRequest, recorded.return_request_id).quantity == 2
