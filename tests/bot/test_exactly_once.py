"""A redelivered update or a double tap creates one refund or claim, never two."""
from __future__ import annotations

from bot.markup import plain
import threading
from dataclasses import replace

from sqlalchemy import func, select

from bot.messages import Incoming
from store.models import Claim, Decision, Refund, ReturnRequest



def _count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_same_update_delivered_twice_is_handled_once(alice, service):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    button = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Unopened"][0]
    update = Incoming(user_id=101, button=button, update_id=9_000_001, language="en")
    first = service.handle(update)
    assert "Refund: $80.00" in plain(first[0].text)
    assert service.handle(update) == []  # the redelivery is ignored
    assert service.handle(replace(update)) == []
    assert _count(service.store, Refund) == 2  # RF4 from the fixture, and this one
    assert _count(service.store, ReturnRequest) == 2


def test_a_double_tap_on_the_final_button_decides_once(alice, service):
    alice.say("/refund O1-1")
    alice.tap("faulty")
    button = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Unopened"][0]
    first = alice.press(button)
    second = alice.press(button)
    decision_id = plain(first[0].text).split("Decision ")[1].split(" ")[0]
    assert "That was already decided" in plain(second[0].text) and decision_id in plain(second[0].text)
    assert _count(service.store, Refund) == 2


def _race(service, updates):
    barrier = threading.Barrier(len(updates))
    results = [None] * len(updates)

    def run(i):
        barrier.wait()
        results[i] = service.handle(updates[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(updates))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_the_same_button_pressed_twice_at_once_creates_one_refund(alice, service):
    for item in ("O2-1", "O2-2"):
        alice.say(f"/refund {item}")
        alice.tap("wrong item")
        button = [b.data for r in alice.replies for b in r.flat_buttons() if b.text == "Unopened"][0]
        taps = [Incoming(user_id=101, button=button, update_id=9_100_000 + i + (10 if item == "O2-2" else 0), language="en")
                for i in range(4)]
        results = _race(service, taps)
        texts = [plain(r[0].text) for r in results]
        decided = [t for t in texts if "Your return is approved." in t]
        assert len(decided) == 1, texts
        assert all("already decided" in t or t in decided for t in texts), texts
    assert _count(service.store, Refund) == 3


def test_the_same_claim_submitted_twice_at_once_creates_one_claim(outdoor, service):
    outdoor.say("/claim RF4")
    outdoor.tap("The return never arrived")
    submit = [b.data for r in outdoor.replies for b in r.flat_buttons() if b.text == "Submit claim"][0]
    taps = [Incoming(user_id=201, button=submit, update_id=9_200_000 + i, language="en") for i in range(4)]
    texts = [plain(r[0].text) for r in _race(service, taps)]
    assert sum("Your claim is approved." in t for t in texts) == 1, texts
    assert _count(service.store, Claim) == 1
    assert _count(service.store, Decision) == 1
