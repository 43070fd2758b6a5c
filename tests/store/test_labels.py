"""Return labels read the seller's return address from the store, only for the buyer's own prepaid returns."""
import pytest

from store import NotFound, buyer_return_label, buyer_return_labels
from store.importer import import_paths

from .data import buyer, item, load, order, product, return_, seller

ADDRESS = "Returns Dept\n1 Dock Street\nSeattle, WA 98134"


@pytest.fixture
def shop(store):
    load(store, [seller("S1", return_address=ADDRESS), seller("S2"), buyer("B1"), buyer("B2"), product("P1", "S1"),
                 product("P2", "S2"),
                 order("O1", "B1", "S1", "2026-05-01", [item("I1", "P1", quantity=2)], delivered="2026-05-03"),
                 order("O2", "B1", "S2", "2026-05-01", [item("I2", "P2")], delivered="2026-05-03"),
                 order("O3", "B2", "S1", "2026-05-01", [item("I3", "P1")], delivered="2026-05-03"),
                 return_("R1", "I1", "2026-05-05"), return_("R2", "I2", "2026-05-06", delivered="2026-05-09"),
                 return_("R3", "I3", "2026-05-05", prepaid_label=False)])
    return store


def test_a_label_carries_the_sellers_return_address_and_the_line(shop):
    with shop.read() as session:
        label = buyer_return_label(session, buyer_id="B1", rma="R1")
    assert (label.return_address, label.seller_name, label.buyer_name, label.order_id, label.quantity) == (
        ADDRESS, "Seller S1", "Buyer B1", "O1", 2)
    assert label.return_delivered_at is None


def test_labels_list_the_buyers_prepaid_returns_newest_first(shop):
    with shop.read() as session:
        assert [v.rma for v in buyer_return_labels(session, buyer_id="B1")] == ["R2", "R1"]
        assert buyer_return_labels(session, buyer_id="B2") == []  # R3 has no prepaid label
        assert buyer_return_labels(session, buyer_id="B1")[0].return_address is None  # S2 has none on file


def test_someone_elses_return_is_not_found(shop):
    with shop.read() as session, pytest.raises(NotFound):
        buyer_return_label(session, buyer_id="B2", rma="R1")


def test_the_return_address_imports_from_csv(store, tmp_path):
    (tmp_path / "sellers.csv").write_text('id,name,return_address\nS9,Nine,"Nine Returns\n9 Road"\nS8,Eight,\n')
    with store.write() as session:
        import_paths(session, paths=[tmp_path / "sellers.csv"])
    with store.read() as session:
        from store.models import Seller

        assert session.get(Seller, "S9").return_address == "Nine Returns\n9 Road"
        assert session.get(Seller, "S8").return_address is None
