"""The chat reads the policy as the rules do. The items /refund offers are those inside the return window that applies
to them: window extensions (holiday, EU, members), the seller's overlay and dated windows count. The list used the
marketplace's category window alone, so the demo's holiday and member items were hidden as "past their return window",
and a dated window made /refund fail; a dated claim wait made a too-early claim fail."""
from __future__ import annotations

from .conftest import NOW, linked
from .test_story_demo import amazon, demo  # noqa: F401 - fixtures

DAY = NOW.date()


def test_the_holiday_and_member_windows_keep_items_on_the_list(demo):  # noqa: F811
    greta = linked(demo, 701, "buyer", "B7")  # Germany
    greta.say("/refund")
    # software (7 days) delivered 20 days ago in this holiday period: returnable until January 31
    assert any(label.startswith("Photo editing suite") for label in greta.buttons), greta.text
    # last year's holiday beanie (returnable until last January 31) is past every window
    assert not any(label.startswith("Knit beanie") for label in greta.buttons)
    assert "(1 older item is past its return window.)" in greta.text
    ivy = linked(demo, 709, "buyer", "B9")  # a member: 60 days
    ivy.say("/refund")
    assert any(label.startswith("Wool winter coat") for label in ivy.buttons), ivy.text  # 40 days ago
    assert any(label.startswith("Trail hiking boots") for label in ivy.buttons), ivy.text  # 45 days ago
    assert "past their return window" not in ivy.text


def test_a_sentence_finds_an_item_only_a_longer_window_keeps_open(demo):  # noqa: F811
    ivy = linked(demo, 709, "buyer", "B9")
    ivy.say("I want to return my hiking boots")
    assert "I found Trail hiking boots in your orders." in ivy.text, ivy.text  # 45 days ago: inside a member's 60


def test_a_dated_window_lists_the_items_inside_it(service, policy_file, runtime):
    text = policy_file.read_text()
    policy_file.write_text(text.replace("  default_window_days: 30", "  default_window_days:\n    - {value: 30}\n"
                                        f"    - {{from: {DAY.isoformat()}, value: 3}}", 1))
    runtime.reload()
    alice = linked(service, 801, "buyer", "B1")
    alice.say("/refund")  # apparel (30 days, not dated) delivered 10 days ago; the sleeping bag's category has no window
    assert any(label.startswith("Rain Jacket") for label in alice.buttons), alice.text


def test_a_too_early_claim_under_a_dated_wait_is_offered_again_on_the_date_of_the_wait_in_force(marketplace, runtime, policy_file):
    """A claim reason's min_days_since_refund may be dated (looked up on the refund date, as the claim rules do); the
    seller's "decide again on" date used it as a number and the claim's submission failed with TypeError."""
    from datetime import timedelta

    from bot.config import LimitsConfig
    from bot.service import ChatService

    from .test_story_desk import refund_of

    text = policy_file.read_text()
    policy_file.write_text(text.replace("      min_days_since_refund: 14", "      min_days_since_refund:\n        - {value: 14}\n"
                                        f"        - {{from: {(DAY - timedelta(days=1)).isoformat()}, value: 10}}", 1))
    runtime.reload()
    service = ChatService(marketplace, runtime, limits=LimitsConfig(messages_per_minute=1000, max_text_length=1000), clock=lambda: NOW)
    alice, outdoor = linked(service, 101, "buyer", "B1"), linked(service, 201, "seller", "S1")
    alice.say("/refund O2-1")
    alice.tap("wrong item")
    alice.tap("Unopened")
    outdoor.say(f"/claim {refund_of(service.store, 'O2-1')}")  # refunded today: the 10-day wait is in force
    outdoor.tap("The return never arrived")
    outdoor.tap("Submit claim")
    assert f"I'll message you on {(DAY + timedelta(days=10)).isoformat()}" in outdoor.text, outdoor.text
