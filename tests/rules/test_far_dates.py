"""Dates at the ends of the calendar in a request's facts are decided or refused as bad facts, never an exception:
a holiday window's `until` day after a delivery in 9999 was a ValueError that ended `refundbot decide`."""
from __future__ import annotations

from pathlib import Path

import pytest

from policy import DEFAULT_POLICY_PATH, load_policy
from rules import FactsError, compile_policy

from .test_language2 import BASE, CLAIM, TIER

DAYS = ("0001-01-01", "0001-01-02", "1900-01-01", "9999-01-31", "9999-11-01", "9999-12-20", "9999-12-31")


@pytest.fixture(scope="module")
def amazon():
    compiled = compile_policy(load_policy(str(Path(DEFAULT_POLICY_PATH).with_name("amazon-2026.yaml"))))
    yield compiled
    compiled.close()


def test_a_holiday_delivery_in_the_last_year_there_is(amazon):
    # 56 days after delivery, past 30: the holiday window (until January 31 of a year that does not exist) runs to 9999-12-31
    d = amazon.decide_refund({**BASE, "days_since_delivery": None, "delivered_on": "9999-11-05", "requested_on": "9999-12-31"})
    assert (d.outcome, d.details.get("window")) == ("approve_return", "holiday_returns")


@pytest.mark.parametrize("kind, base, first, second", [
    ("refund", {**BASE, "days_since_delivery": None}, "delivered_on", "requested_on"),
    ("claim", CLAIM, "refunded_on", "filed_on"),
    ("tier", TIER, "enrolled_on", "as_of"),
])
def test_every_pair_of_far_days_decides_or_is_a_facts_error(amazon, kind, base, first, second):
    for a in DAYS:
        for b in DAYS:
            try:
                amazon.decide(kind, {**base, first: a, second: b})
            except FactsError:
                pass  # e.g. a delivery after the request
