"""Sellers ask about their tier, refunds and claims, and file claims with evidence."""
from __future__ import annotations

from store import list_decisions, seller_claims


def test_tier_comes_from_the_sellers_own_records(outdoor, service):
    outdoor.say("/tier")
    text = outdoor.text
    assert "Your reward tier over the last 90 days (as of 2026-11-20)" in text
    assert "Tier: not eligible." in text and "(rule low_volume)" in text  # a handful of units: below the 100 minimum
    assert "To move up:" in text and "more units within 90 days" in text
    with service.store.read() as session:
        [record] = list_decisions(session, seller_id="S1", kind="tier")
    assert record.id in text and record.facts["units"] == 4 and record.channel == "telegram"


def test_refunds_lists_marketplace_refunds_with_decisions(outdoor, alice):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    alice.tap("Unopened")
    outdoor.say("/refunds")
    assert "Recent marketplace refunds on your orders:" in outdoor.text
    assert "Trail Sleeping Bag $80.00 on 2026-11-20: refund without return (rule non_returnable_seller_fault)" in outdoor.text
    assert "RF4 Rain Jacket $40.00 on 2026-11-02: - (rule -)" in outdoor.text  # imported, decided before refundbot


def test_a_return_that_never_came_back_is_reimbursed(outdoor, service):
    outdoor.say("/claim")
    assert "Which refund do you want to claim for?" in outdoor.text
    assert "RF4 Rain Jacket $40.00 - file by 2026-12-02 (12 days left)" in outdoor.buttons
    outdoor.tap("RF4")
    outdoor.tap("The return never arrived")
    assert "Needed for this reason: nothing." in outdoor.text
    outdoor.tap("Submit claim")
    assert "Your claim is approved." in outdoor.text and "Reimbursement: $40.00" in outdoor.text
    with service.store.read() as session:
        [claim] = seller_claims(session, seller_id="S1")
    assert (claim.refund_id, claim.status, claim.reimbursement) == ("RF4", "approved", 40)
    assert claim.claim_id in outdoor.text and claim.decision_id in outdoor.text
    outdoor.say("/claims")
    assert f"{claim.claim_id} on RF4: The return never arrived, approved $40.00" in outdoor.text


def test_a_damaged_return_needs_a_photo_and_a_photo_counts(outdoor, service):
    from store import record_return_delivery
    from tests.bot.conftest import NOW
    from datetime import timedelta

    with service.store.write() as session:
        record_return_delivery(session, return_request_id="R4", delivered_at=NOW - timedelta(days=2), condition_received="damaged")
    outdoor.say("/claim RF4")
    outdoor.tap("It came back damaged")
    assert "Needed for this reason: photo." in outdoor.text
    outdoor.tap("Submit claim")
    assert "Your claim needs more evidence." in outdoor.text and "(rule needs_evidence)" in outdoor.text
    outdoor.say("/cancel")  # the seller goes away; the claim stays open
    outdoor.say("/claim")
    outdoor.tap("Add evidence to")
    outdoor.photo("AgACAgQAAxkBAAIB")  # evidence added later decides the claim again, without another Submit
    assert "Photo added (1 so far)." in outdoor.text and "Your claim is approved." in outdoor.text
    with service.store.read() as session:
        [claim] = seller_claims(session, seller_id="S1")
        decisions = list_decisions(session, claim_id=claim.claim_id)
    assert claim.status == "approved" and claim.evidence == ["photo"]
    assert [d.outcome for d in decisions] == ["approve", "needs_evidence"]
    assert decisions[0].result["evidence_files"] == ["AgACAgQAAxkBAAIB"]


def test_evidence_buttons_toggle_and_a_tracking_number_is_typed_and_checked(outdoor):
    outdoor.say("/claim RF4")
    outdoor.tap("Buyer says it never arrived")
    outdoor.tap("Tracking number")
    assert "Send the tracking number as text" in outdoor.text
    outdoor.say("my parcel")
    assert "doesn't look like a tracking number" in outdoor.text
    outdoor.say("1z 999 aa1 0123456784")
    assert "Tracking number 1Z999AA10123456784 added." in outdoor.text
    assert "Tracking number ✓" in outdoor.buttons and "Added so far: tracking." in outdoor.text
    outdoor.tap("Tracking number ✓")
    assert "Added so far: nothing." in outdoor.text
    outdoor.tap("Cancel")
    assert "Okay, cancelled." in outdoor.text


def test_a_photo_outside_a_claim_is_politely_refused(outdoor):
    outdoor.photo()
    assert "I'm not collecting evidence right now" in outdoor.text


def test_a_second_claim_on_the_same_refund_shows_the_first(outdoor):
    outdoor.say("/claim RF4")
    outdoor.tap("The return never arrived")
    outdoor.tap("Submit claim")
    outdoor.say("/claim RF4")
    assert "A claim was already filed for RF4" in outdoor.text


def test_seller_sentences(outdoor):
    outdoor.say("what is my tier?")
    assert "Your reward tier" in outdoor.text
    outdoor.say("I'd like to file a claim")
    assert "Which refund do you want to claim for?" in outdoor.text
