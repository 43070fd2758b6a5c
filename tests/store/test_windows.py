"""The tier chart's data from one grouped statement against the one-window statements, on generated shops and both databases."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from store import NotFound, tier_chart_facts, tier_facts, tier_facts_for, tier_facts_series, weekly_tier_counts

from .data import buyer, contact, item, load, order, product, return_, seller, shipment

AS_OF = date(2026, 6, 30)
FIRST = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _moment(rng: random.Random) -> str:
    """A second between 2026-01-01 and 2026-07-10, midnight (a window's edge) or a second before it often."""
    day = FIRST + timedelta(days=rng.randrange(190))
    moment = rng.choice([day, day - timedelta(seconds=1), day + timedelta(seconds=rng.randrange(86_400))])
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def generated_shop(seed: int) -> list[dict]:
    """Sellers S1 (many rows, enrolled in CSBA mid-window), S2 (marketplace-fulfilled only) and S3 (none), with rows at random moments."""
    rng = random.Random(seed)
    records = [seller("S1", csba_enrolled_at="2026-05-20T00:00:00Z", csba_enrolment="choice"), seller("S2"), seller("S3"), buyer("B1"),
               product("P1", "S1"), product("P2", "S2")]
    for n in range(120):
        seller_id, fulfilment = rng.choice([("S1", "seller")] * 4 + [("S1", "marketplace"), ("S2", "marketplace")])
        items = [item(f"I{n}-{k}", "P1" if seller_id == "S1" else "P2", rng.randint(1, 4)) for k in range(rng.randint(1, 2))]
        records.append(order(f"O{n}", "B1", seller_id, _moment(rng), items, fulfilment=fulfilment))
        if rng.random() < 0.8:
            records.append(shipment(f"SH{n}", f"O{n}", _moment(rng), valid=rng.random() < 0.7))
        for k in range(rng.randint(0, 2)):
            records.append(contact(f"C{n}-{k}", f"O{n}", _moment(rng)))
        for line in items:
            if rng.random() < 0.4:
                records.append(return_(f"R{line['id']}", line["id"], _moment(rng), prepaid_label=rng.random() < 0.5,
                                       ships_back=rng.random() < 0.8))
    return records


@pytest.mark.parametrize("seed", [1, 2])
def test_the_chart_data_is_the_one_window_statements_week_by_week(store, seed):
    load(store, generated_shop(seed))
    with store.read() as session:
        for seller_id in ("S1", "S2", "S3"):
            for window_days in (90, 30, 28, 5, 1):
                weeks, trailing = tier_chart_facts(session, seller_id=seller_id, as_of=AS_OF, window_days=window_days)
                assert weeks == weekly_tier_counts(session, seller_id=seller_id, as_of=AS_OF, window_days=window_days)
                days = [(week.end - timedelta(days=1)).date() for week in weeks]
                assert trailing == tier_facts_series(session, seller_id=seller_id, days=days, window_days=window_days)
                # each week is a window of its own length ending on its last day; each day's facts are tier_facts_for's
                assert [w.counts for w in weeks] == [
                    tier_facts(session, seller_id=seller_id, as_of=day, window_days=(w.end - w.start).days)
                    for w, day in zip(weeks, days)]
                assert trailing == [tier_facts_for(session, seller_id=seller_id, as_of=day, window_days=window_days)
                                    for day in days]
        s1 = tier_chart_facts(session, seller_id="S1", as_of=AS_OF, window_days=90)
    assert any(w.counts["returns"] and w.counts["contacts"] for w in s1[0])  # not a comparison of zeros alone
    assert len({f["orders_90d"] for f in s1[1]}) > 1 and len({f["enrolled_on"] for f in s1[1]}) > 1


def test_the_chart_data_of_an_unknown_seller_is_not_found(store):
    load(store, [seller("S1")])
    with store.read() as session, pytest.raises(NotFound):
        tier_chart_facts(session, seller_id="S9", as_of=AS_OF, window_days=90)
