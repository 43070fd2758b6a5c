"""Seller tier counts against hand-computed values, window edges included, on both databases."""
from datetime import date

import pytest

from store import NotFound, all_tier_facts, tier_facts

from .data import buyer, contact, item, load, order, product, return_, seller, shipment

AS_OF = date(2026, 6, 30)  # a 90-day window: 2026-04-02 00:00 UTC up to 2026-07-01 00:00 UTC


@pytest.fixture
def shop(store):
    load(store, [
        seller("S1"), seller("S2"), seller("S3"), buyer("B1"),
        product("P1", "S1"), product("P2", "S2"),
        # S1, seller-fulfilled
        order("O1", "B1", "S1", "2026-06-01", [item("I1", "P1", 2), item("I2", "P1", 1)]),
        order("O2", "B1", "S1", "2026-04-02T00:00:00", [item("I3", "P1")]),  # first day of the window
        order("O3", "B1", "S1", "2026-04-01T23:59:59", [item("I4", "P1", 5)]),  # the day before: its units don't count
        order("O4", "B1", "S1", "2026-07-01T00:00:00", [item("I5", "P1", 7)]),  # after as_of
        shipment("SH1", "O1", "2026-06-02"),
        shipment("SH2", "O2", "2026-04-02T00:00:00", valid=False),
        shipment("SH3", "O3", "2026-04-03"),  # counted: shipped in the window
        shipment("SH4", "O4", "2026-07-01T00:00:00"),
        contact("C1", "O1", "2026-06-05"),
        contact("C2", "O2", "2026-04-01T23:59:59"),
        contact("C3", "O3", "2026-06-30T23:59:59"),  # last second of as_of
        return_("R1", "I1", "2026-06-10"),
        return_("R2", "I3", "2026-06-11", prepaid_label=False),  # a return without a prepaid label
        return_("R3", "I4", "2026-03-30"),  # outside
        return_("R4", "I2", "2026-06-12", prepaid_label=False, ships_back=False),  # returnless: no return shipment
        # S1, marketplace-fulfilled: counts for nothing
        order("O5", "B1", "S1", "2026-06-01", [item("I6", "P1", 9)], fulfilment="marketplace"),
        shipment("SH5", "O5", "2026-06-02", valid=False),
        contact("C5", "O5", "2026-06-03"),
        return_("R5", "I6", "2026-06-04"),
        # S2: no shipments, every contact outside the window
        order("O6", "B1", "S2", "2026-05-01", [item("I7", "P2", 4)]),
        contact("C6", "O6", "2026-03-01"),
        contact("C7", "O6", "2026-07-02"),
    ])
    return store


def test_counts_match_hand_computed_values(shop):
    with shop.read() as session:
        assert tier_facts(session, seller_id="S1", as_of=AS_OF, window_days=90) == {
            "shipments": 3, "valid_tracking": 2, "returns": 2, "prepaid_label_returns": 1, "units": 4, "contacts": 2,
        }


def test_no_shipments_and_contacts_outside_the_window(shop):
    with shop.read() as session:
        assert tier_facts(session, seller_id="S2", as_of=AS_OF, window_days=90) == {
            "shipments": 0, "valid_tracking": 0, "returns": 0, "prepaid_label_returns": 0, "units": 4, "contacts": 0,
        }


def test_a_seller_without_orders_has_zero_counts(shop):
    with shop.read() as session:
        assert set(tier_facts(session, seller_id="S3", as_of=AS_OF, window_days=90).values()) == {0}


def test_the_window_moves_with_as_of(shop):
    # One day later: 2026-04-02 drops out (O2, SH2), 2026-07-01 comes in (O4, SH4); C3 stays.
    with shop.read() as session:
        assert tier_facts(session, seller_id="S1", as_of=date(2026, 7, 1), window_days=90) == {
            "shipments": 3, "valid_tracking": 3, "returns": 2, "prepaid_label_returns": 1, "units": 10, "contacts": 2,
        }


def test_a_one_day_window_is_just_as_of(shop):
    with shop.read() as session:
        assert tier_facts(session, seller_id="S1", as_of=date(2026, 4, 2), window_days=1) == {
            "shipments": 1, "valid_tracking": 0, "returns": 0, "prepaid_label_returns": 0, "units": 1, "contacts": 0,
        }


def test_all_sellers_agree_with_one_seller_at_a_time(shop):
    with shop.read() as session:
        everyone = all_tier_facts(session, as_of=AS_OF, window_days=90)
        assert sorted(everyone) == ["S1", "S2", "S3"]
        for seller_id, facts in everyone.items():
            assert facts == tier_facts(session, seller_id=seller_id, as_of=AS_OF, window_days=90)


def test_unknown_seller_is_not_found(shop):
    with shop.read() as session, pytest.raises(NotFound, match="no seller 'S9'"):
        tier_facts(session, seller_id="S9", as_of=AS_OF, window_days=90)
