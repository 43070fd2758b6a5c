"""The claim finder decides through the policy: every reason a refund fits, and every reason it can't
be claimed, under policy/amazon-2026.yaml (dated window: 60 days before 2026-02-16, 30 from it)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from policy import load_policy
from policy.model import Condition, CustomRule
from rules import compile_policy
from rules.finder import CANDIDATE_REASONS, find_claims, lookback_days, reasonless_denials, situation

AMAZON = Path(__file__).resolve().parents[2] / "policy" / "amazon-2026.yaml"
TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def amazon():
    compiled = compile_policy(load_policy(str(AMAZON)))
    yield compiled
    compiled.close()


@dataclass(frozen=True)
class Refund:
    refund_id: str = "F1"
    order_id: str = "O1"
    product_name: str = "Trail tent"
    return_reason: str | None = "defective"
    ships_back: bool | None = True
    claim_id: str | None = None
    claim_status: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def refund(*, refunded: int = 10, returned: int | None = None, category: str = "home", amount: str = "80.00", **changes) -> Refund:
    """A marketplace refund `refunded` days before TODAY on a seller-fulfilled order, its return delivered
    `returned` days before TODAY (None: not back)."""
    fact_changes = {k: changes.pop(k) for k in list(changes) if k not in Refund.__dataclass_fields__}
    refunded_on = TODAY - timedelta(days=refunded)
    returned_on = TODAY - timedelta(days=returned) if returned is not None else None
    facts = {
        "days_since_refund": refunded, "return_received": returned is not None, "days_since_return_delivered": returned,
        "category": category, "refund_amount": Decimal(amount), "refund_issued_by": "marketplace", "auto_refund_late": False,
        "seller_id": "S1", "sku": "TENT-2", "product_tags": [], "refunded_on": refunded_on, "return_delivered_on": returned_on,
        "filed_on": TODAY, "fulfilled_by": "seller", "a_to_z_claim": False, "order_total": Decimal(amount),
        "order_reimbursed": Decimal("0.00"), **fact_changes,
    }
    return Refund(facts=facts, **changes)


def one(compiled, candidate: Refund, today: date = TODAY):
    found = find_claims(compiled, [candidate], seller_id="S1", as_of=today)
    assert len(found.claimable) + len(found.not_claimable) == 1
    return (found.claimable or found.not_claimable)[0]


ELIGIBLE = {
    # name: (refund, reason that fits, deadline, missing evidence, estimated reimbursement)
    "return never came back": (refund(refunded=20), "return_not_received", TODAY + timedelta(days=10), (), "80.00"),
    "return came back damaged": (refund(refunded=12, returned=8), "returned_damaged", TODAY + timedelta(days=22), ("photo",), "40.00"),
    "non-returnable item refunded without a return": (refund(ships_back=False, category="grocery"), "refunded_non_returnable",
                                                       TODAY + timedelta(days=20), (), "80.00"),
    "buyer says it never arrived": (refund(return_reason="not_received", ships_back=False), "delivered_not_received",
                                    TODAY + timedelta(days=20), ("tracking", "signature"), "80.00"),
    "a refund without a return request": (refund(return_reason=None, ships_back=None), "delivered_not_received",
                                          TODAY + timedelta(days=20), ("tracking", "signature"), "80.00"),
    "last day of the window": (refund(refunded=40, returned=30), "returned_damaged", TODAY, ("photo",), "40.00"),
    "the old 60-day window for refunds before 2026-02-16": (
        refund(refunded=45, refunded_on=date(2026, 2, 10), filed_on=date(2026, 3, 27)), "return_not_received",
        date(2026, 4, 11), (), "80.00"),
    "capped at the order's $5,000": (refund(refunded=20, amount="4000.00", order_reimbursed=Decimal("3000.00")),
                                     "return_not_received", TODAY + timedelta(days=10), (), "2000.00"),
}


@pytest.mark.parametrize("name", ELIGIBLE)
def test_every_eligible_refund_gets_the_reason_that_fits(amazon, name):
    candidate, reason, deadline, missing, reimbursement = ELIGIBLE[name]
    today = candidate.facts["filed_on"]
    found = one(amazon, candidate, today)
    assert (found.reason, found.deadline, found.days_left, found.missing_evidence, found.reimbursement) == (
        reason, deadline, (deadline - today).days, missing, Decimal(reimbursement))
    assert reason in CANDIDATE_REASONS[situation(candidate)]


INELIGIBLE = {
    "seller-issued": (refund(refund_issued_by="seller"), "refund_issuer"),
    "A-to-z claim": (refund(a_to_z_claim=True), "a_to_z_claim"),
    "automatic refund after a missed deadline": (refund(auto_refund_late=True), "auto_refund_late"),
    "marketplace-fulfilled": (refund(fulfilled_by="marketplace"), "marketplace_fulfilled"),
    "outside the window (30 days from 2026-02-16)": (refund(refunded=45, refunded_on=date(2026, 2, 20), filed_on=date(2026, 4, 6)),
                                                     "filing_window"),
    "outside the window, from the return's delivery": (refund(refunded=50, returned=31), "filing_window"),
    "already claimed": (refund(claim_id="SAFET:1", claim_status="pending"), "already_claimed"),
    "too early to say the return never came": (refund(refunded=5), "too_early"),
    "a returnable item refunded without a return": (refund(ships_back=False, category="home"), "item_returnable"),
    "the order's cap is used up": (refund(refunded=20, order_reimbursed=Decimal("5000.00")), "order_cap_reached"),
}


@pytest.mark.parametrize("name", INELIGIBLE)
def test_every_ineligible_refund_says_why(amazon, name):
    candidate, why = INELIGIBLE[name]
    found = one(amazon, candidate, candidate.facts["filed_on"])
    assert found.why == why
    assert found.explanation


def test_the_list_is_deadline_first_and_sums_what_the_seller_is_owed(amazon):
    candidates = [replace(refund(refunded=r), refund_id=f"F{r}") for r in (25, 15, 20)] + [
        replace(refund(refund_issued_by="seller"), refund_id="F-seller")]
    found = find_claims(amazon, candidates, seller_id="S1", as_of=TODAY)
    assert [c.refund_id for c in found.claimable] == ["F25", "F20", "F15"]
    assert found.total == Decimal("240.00")
    assert found.soonest.deadline == TODAY + timedelta(days=5)
    assert [n.refund_id for n in found.not_claimable] == ["F-seller"]


def test_the_policy_decides_not_the_finder(amazon, engine):
    # The seed policy has no A-to-z or fulfilment rule: the same refund is claimable under it.
    candidate = refund(refunded=20, a_to_z_claim=True)
    assert one(amazon, candidate).why == "a_to_z_claim"
    assert one(engine, candidate).reason == "return_not_received"
    assert (lookback_days(amazon), lookback_days(engine)) == (60, 30)


def test_denials_that_hold_for_every_reason(amazon):
    settled = reasonless_denials(amazon)
    assert {"a_to_z_claim", "marketplace_fulfilled", "filing_window", "auto_refund_late", "order_cap_reached"} <= settled
    assert not settled & {"lost_return_non_returnable", "refund_issuer", "too_early", "return_not_delivered", "item_returnable"}


def _every_kind_of_refund() -> list[Refund]:
    """Refunds in every situation crossed with every reason they may be refused for, in and out of the window."""
    out = []
    situations = [{}, {"return_reason": "not_received", "ships_back": False}, {"ships_back": False, "category": "grocery"},
                  {"ships_back": False}, {"return_reason": None, "ships_back": None}]
    troubles = [{}, {"refund_issued_by": "seller"}, {"a_to_z_claim": True}, {"auto_refund_late": True},
                {"fulfilled_by": "marketplace"}, {"order_reimbursed": Decimal("5000.00")}, {"category": "grocery"}]
    for s, where in enumerate(situations):
        for t, trouble in enumerate(troubles):
            for refunded, returned in ((5, None), (20, None), (45, None), (12, 8), (40, 30), (50, 31), (3, 1)):
                out.append(replace(refund(refunded=refunded, returned=returned, **{**where, **trouble}),
                                   refund_id=f"F{s}-{t}-{refunded}-{returned}"))
    return out


def _custom(amazon, **rule):
    """The amazon policy plus one custom claim rule, compiled."""
    policy = amazon.policy
    added = CustomRule(id=rule.pop("id"), priority=rule.pop("priority"), conditions=rule.pop("conditions"), outcome=rule.pop("outcome"),
                       reason=rule.pop("reason"), fee_rate=None, explanation="Decided by a test rule.", description="test",
                       line=1, kind="claim", **rule)
    return compile_policy(replace(policy, claims=replace(policy.claims, rules=(*policy.claims.rules, added))))


@pytest.mark.parametrize("policy", ["amazon", "seed", "a custom approval", "a custom denial reading the reason"])
def test_asking_fewer_reasons_finds_the_same(amazon, engine, monkeypatch, policy):
    compiled = {"amazon": amazon, "seed": engine}.get(policy)
    if policy == "a custom approval":  # ranked above the window: a later reason could be approved where the first was not
        compiled = _custom(amazon, id="damage_always_paid", priority=250, outcome="approve", reason="goodwill",
                              conditions=(Condition("reason", "eq", "different_item_returned"),))
    elif policy == "a custom denial reading the reason":
        compiled = _custom(amazon, id="no_damage_claims", priority=120, outcome="deny", reason="no_damage",
                              conditions=(Condition("reason", "eq", "returned_damaged"),))
    candidates = _every_kind_of_refund()
    asked = []
    decide = compiled.decide_claim

    def counting(facts):
        asked.append(facts["reason"])
        return decide(facts)
    try:
        monkeypatch.setattr(compiled, "decide_claim", counting)
        fewer = find_claims(compiled, candidates, seller_id="S1", as_of=TODAY)
        n = len(asked)
        monkeypatch.setattr("rules.finder.reasonless_denials", lambda _: frozenset())
        every = find_claims(compiled, candidates, seller_id="S1", as_of=TODAY)
        assert fewer == every
        assert fewer.claimable and fewer.not_claimable
        if policy == "a custom approval":
            assert reasonless_denials(compiled) == frozenset() and n == len(asked) - n
        elif policy == "amazon":
            assert n < len(asked) - n  # some refunds needed one decision instead of two
    finally:
        if compiled not in (amazon, engine):
            compiled.close()
