"""Words people use: free text mapped to status, a refund with its reason, or a clear "I can't help with that"."""
from __future__ import annotations

import pytest

from bot.intent import Intent, understand

from .intents.corpus import CORPUS, HOLDOUT, load, score

ACCURACY_FLOOR = 0.95
HOLDOUT_FLOOR = 0.90  # phrases never used to tune the patterns: the figure that says how it generalises


def test_the_corpus_is_large_and_covers_every_result():
    phrases = load(CORPUS)
    assert len(phrases) >= 300
    expected = {p.expected for p in phrases}
    for wanted in ("status", "refund", "out_of_scope:billing", "unknown", "help", "tier", "claim", "claims", "refunds"):
        assert wanted in expected
    for reason in ("not_received", "damaged_in_transit", "defective", "wrong_item", "not_as_described", "no_longer_needed"):
        assert f"refund:{reason}" in expected
    assert sum(1 for p in phrases if any(c in p.text for c in "áéíóúñ¿")) >= 40  # Spanish, with its accents


def test_the_corpus_is_understood_above_the_floor():
    result = score(load(CORPUS))
    assert result.accuracy >= ACCURACY_FLOOR, [(p.text, p.expected, got) for p, got in result.misses]


def test_held_out_phrases_are_understood_above_their_floor():
    result = score(load(HOLDOUT))
    assert result.accuracy >= HOLDOUT_FLOOR, [(p.text, p.expected, got) for p, got in result.misses]


@pytest.mark.parametrize("path", [CORPUS, HOLDOUT], ids=["corpus", "holdout"])
def test_no_phrase_starts_a_money_moving_flow_it_should_not(path):
    assert score(load(path)).false_starts == []


def test_no_corpus_phrase_fills_in_a_different_reason():
    # A reason read from a sentence is shown ("Got it: ...") and can be cancelled; still, none may be wrong here.
    assert score(load(CORPUS)).wrong_reasons == []


@pytest.mark.parametrize("text, intent", [
    ("where is my refund", Intent("status")),
    ("my parcel never came", Intent("refund", reason="not_received")),
    ("it arrived broken", Intent("refund", reason="damaged_in_transit")),
    ("wrong size", Intent("refund", reason="no_longer_needed")),
    ("they sent me the wrong size", Intent("refund", reason="wrong_item")),
    ("I was charged twice", Intent("out_of_scope", topic="billing")),
    ("¿Dónde está mi reembolso?", Intent("status")),
    ("el paquete llegó roto", Intent("refund", reason="damaged_in_transit")),
    ("my refnud never arived", Intent("status")),
])
def test_the_examples_from_the_brief(text, intent):
    assert understand(text, "buyer") == intent


def test_a_seller_and_an_unlinked_person_get_their_own_intents():
    assert understand("what's my tier", "seller") == Intent("tier")
    assert understand("it arrived broken", "seller") == Intent("unknown")
    assert understand("it arrived broken", None) == Intent("unknown")
    assert understand("hola", None) == Intent("help")


def test_where_is_my_refund_shows_status_and_starts_nothing(alice):
    alice.say("where is my refund?")
    assert "You haven't asked for any refunds yet." in alice.text
    assert alice.buttons == []


def test_a_broken_item_starts_the_refund_with_the_reason_filled_in(alice):
    alice.say("my sleeping bag arrived broken")
    assert "I found Trail Sleeping Bag in your orders." in alice.text
    assert "Got it: It arrived damaged." in alice.text
    assert "What condition is Trail Sleeping Bag in?" in alice.text  # the reason question is skipped
    alice.tap("Damaged")
    assert "You'll get a refund and can keep the item." in alice.text


def test_a_parcel_that_never_came_is_confirmed_before_anything_is_decided(alice, service):
    from store import list_decisions

    alice.say("my sleeping bag never came")
    assert "So Trail Sleeping Bag never arrived?" in alice.text
    with service.store.read() as session:
        assert list_decisions(session, buyer_id="B1", kind="refund") == []
    alice.tap("No, something else")
    assert "What's the problem with Trail Sleeping Bag?" in alice.text
    alice.say("/cancel")
    alice.say("my sleeping bag never came")
    alice.tap("Yes, it never arrived")
    assert "Refund: $80.00" in alice.text


def test_a_reason_without_an_item_lists_the_orders_and_keeps_the_reason(alice):
    alice.say("it doesn't work")
    assert "Which item is it about?" in alice.text
    alice.tap("Trail Sleeping Bag")
    assert "Got it: It's faulty." in alice.text and "What condition" in alice.text


def test_a_double_charge_gets_a_clear_no_and_what_the_bot_can_do(alice):
    alice.say("I was charged twice!")
    assert alice.text.startswith("I can't look into charges on your card")
    assert "What I can do for you:" in alice.text and "/refund" in alice.text
    assert alice.buttons == []


def test_spanish_sentences_work_too(alice):
    alice.say("¿dónde está mi reembolso?")
    assert "You haven't asked for any refunds yet." in alice.text
    alice.say("me cobraron dos veces")
    assert "I can't look into charges" in alice.text


def test_cancel_in_words_leaves_a_prompt(alice):
    alice.say("/refund")
    alice.say("never mind")
    assert "Okay, cancelled." in alice.text


def test_a_seller_asks_in_words(outdoor):
    outdoor.say("how am I doing?")
    assert "Your reward tier" in outdoor.text
    outdoor.say("show my claims")
    assert "You haven't filed any claims." in outdoor.text
