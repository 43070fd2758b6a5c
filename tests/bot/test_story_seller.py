"""Sellers ask about their tier, refunds and claims, and file claims with evidence."""
from __future__ import annotations

from store import list_decisions, seller_claims


def test_tier_comes_from_the_sellers_own_records(outdoor, service):
    outdoor.say("/tier")
    text = outdoor.text
    assert "Your reward tier over the last 90 days (as of 2026-11-20)" in text
    assert "Tier: not eligible." in text and "(rule" not in text  # a handful of units: below the 100 minimum
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
    assert ("Trail Sleeping Bag · order O1 · $80.00 refunded on 2026-11-20\n"
            "The buyer said: It's faulty. Return: none needed (refunded without a return).\n"
            "Decision: refund without return (Items that can't be sent back are refunded when they arrive faulty, damaged or wrong).\n"
            "Refund RF-") in outdoor.text
    assert ("Rain Jacket · order O4 · $40.00 refunded on 2026-11-02\n"
            "The buyer said: I don't need it any more. Return: on its way back to you.\n"
            "Decision: the marketplace refunded it without a chat decision.\nRefund RF4") in outdoor.text  # imported
    assert "(rule" not in outdoor.text and " - " not in outdoor.text


def test_a_return_that_never_came_back_is_reimbursed(outdoor, service):
    outdoor.say("/claim")
    assert "Which refund do you want to claim for?\n\n• Rain Jacket · $40.00 · file by 2026-12-02 (12 days left)" in outdoor.text
    assert outdoor.buttons == ["Rain Jacket · $40.00"]
    outdoor.tap("Rain Jacket")
    outdoor.tap("The return never arrived")
    assert "Needed for this reason: nothing." in outdoor.text
    outdoor.tap("Submit claim")
    assert "Your claim is approved." in outdoor.text and "Reimbursement: $40.00" in outdoor.text
    assert "you are reimbursed $40.00" in outdoor.text and "the seller" not in outdoor.text.casefold()
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
    assert "Your claim needs more evidence." in outdoor.text and "(rule" not in outdoor.text
    outdoor.say("/cancel")  # the seller goes away; the claim stays open
    outdoor.say("/claim")
    assert "is waiting for evidence" in outdoor.text
    outdoor.tap("Evidence: It came back damaged")
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
    outdoor.tap("Delivered, buyer says it wasn't")
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


def test_a_seller_asks_what_they_are_owed(outdoor, alice):
    outdoor.say("what am I owed?")
    assert outdoor.text == ("You can still claim 1 refund for about $40.00. The soonest deadline is 2026-12-02 (12 days left) "
                            "for RF4 (Rain Jacket). Send /claim to file.")
    outdoor.say("/claim")
    outdoor.tap("Rain Jacket")
    outdoor.tap("The return never arrived")
    outdoor.tap("Submit claim")
    outdoor.say("/owed")
    assert outdoor.text == "There are no refunds you can still claim for right now."


def test_report_sends_the_sellers_return_rates_with_a_chart(outdoor, alice):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    alice.tap("Unopened")
    outdoor.say("/report")
    [reply] = outdoor.replies
    assert reply.text.startswith("Your returns since 2026-05-24: ")
    assert "Most refunded product: " in reply.text and "past refund decisions differently." in reply.text
    assert "Today's policy would decide 0 of your 1 past refund decisions differently." in reply.text
    assert reply.attachment.kind == "photo" and reply.attachment.content.startswith(b"\x89PNG")
