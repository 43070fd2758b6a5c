"""Import of JSON Lines and CSV: round trips, every kind of bad row with its line, idempotency."""
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store import ImportFailed, StoreError, import_paths
from store.models import Base, Buyer, Claim, Order, OrderItem, Product, Refund, ReturnRequest, Seller

from .data import at

RECORDS = [
    {"type": "seller", "id": "S1", "name": "Acme", "csba_enrolled_at": "2026-01-01T00:00:00Z", "csba_enrolment": "default"},
    {"type": "buyer", "id": "B1", "name": "Ann", "country": "DE", "tags": ["member", "gift_card", "member"]},
    {"type": "product", "id": "P1", "seller_id": "S1", "sku": "BAG-1", "name": "Down bag", "category": "sleeping_bags",
     "price": 79.99, "tags": ["final_sale"]},
    {"type": "order", "id": "O1", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
     "placed_at": "2026-05-01T10:00:00+02:00", "shipped_at": "2026-05-02T09:00:00Z", "delivered_at": "2026-05-04T15:30:00Z",
     "shipping_paid": "4.95", "a_to_z_claim": True, "items": [{"id": "I1", "product_id": "P1", "quantity": 2, "unit_price": "79.99"}]},
    {"type": "shipment", "id": "SH1", "order_id": "O1", "carrier": "UPS", "tracking_number": "1Z999", "tracking_valid": True,
     "shipped_at": "2026-05-02T09:00:00Z", "delivered_at": "2026-05-04T15:30:00Z"},
    {"type": "contact", "id": "C1", "order_id": "O1", "contacted_at": "2026-05-06T08:00:00Z", "channel": "email"},
    {"type": "return", "id": "R1", "order_item_id": "I1", "reason": "defective", "condition": "opened",
     "requested_at": "2026-05-07T08:00:00Z", "prepaid_label": True, "delivered_at": "2026-05-12T08:00:00Z",
     "condition_received": "damaged"},
    {"type": "refund", "id": "F1", "order_item_id": "I1", "amount": 159.98, "issued_by": "marketplace",
     "issued_at": "2026-05-08T08:00:00Z"},
    {"type": "claim", "id": "CL1", "refund_id": "F1", "reason": "returned_damaged", "evidence": ["photo"],
     "filed_at": "2026-05-20T08:00:00Z", "status": "pending"},
]

CSV = {
    "sellers.csv": "id,name,csba_enrolled_at,csba_enrolment\nS1,Acme,2026-01-01T00:00:00Z,default\n",
    "buyers.csv": "id,name,country,tags\nB1,Ann,DE,member; gift_card\n",
    "products.csv": "id,seller_id,sku,name,category,price,tags\nP1,S1,BAG-1,Down bag,sleeping_bags,79.99,final_sale\n",
    "orders.csv": "id,buyer_id,seller_id,fulfilment,placed_at,shipped_at,delivered_at,shipping_paid,a_to_z_claim\n"
                  "O1,B1,S1,seller,2026-05-01T10:00:00+02:00,2026-05-02T09:00:00Z,2026-05-04T15:30:00Z,4.95,true\n",
    "order_items.csv": "id,order_id,product_id,quantity,unit_price\nI1,O1,P1,2,79.99\n",
    "shipments.csv": "id,order_id,carrier,tracking_number,tracking_valid,shipped_at,delivered_at\n"
                     "SH1,O1,UPS,1Z999,true,2026-05-02T09:00:00Z,2026-05-04T15:30:00Z\n",
    "contacts.csv": "id,order_id,contacted_at,channel\nC1,O1,2026-05-06T08:00:00Z,email\n",
    "returns.csv": "id,order_item_id,reason,condition,requested_at,prepaid_label,ships_back,delivered_at,condition_received\n"
                   "R1,I1,defective,opened,2026-05-07T08:00:00Z,true,,2026-05-12T08:00:00Z,damaged\n",
    "refunds.csv": "id,order_item_id,amount,fee,issued_by,issued_at,auto_refund_late\nF1,I1,159.98,,marketplace,2026-05-08T08:00:00Z,\n",
    "claims.csv": "id,refund_id,reason,evidence,filed_at,status,reimbursement\nCL1,F1,returned_damaged,photo,2026-05-20T08:00:00Z,pending,\n",
}


def write_jsonl(path: Path, records: list) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return str(path)


def run_import(store, *paths):
    with store.write() as session:
        return import_paths(session, paths=list(paths))


def counts(store) -> dict:
    with store.read() as session:
        return {t.name: session.execute(select(func.count()).select_from(t)).scalar() for t in Base.metadata.sorted_tables}


def check_contents(store):
    with store.read() as session:
        seller = session.get(Seller, "S1")
        assert (seller.csba_enrolled_at, seller.csba_enrolment) == (at("2026-01-01T00:00:00"), "default")
        buyer = session.get(Buyer, "B1")
        assert (buyer.country, buyer.tags) == ("DE", ["gift_card", "member"])
        assert (session.get(Product, "P1").price, session.get(Product, "P1").tags) == (Decimal("79.99"), ["final_sale"])
        order = session.get(Order, "O1")
        assert (order.placed_at, order.delivered_at) == (at("2026-05-01T08:00:00"), at("2026-05-04T15:30:00"))
        assert (order.shipping_paid, order.a_to_z_claim) == (Decimal("4.95"), True)
        line = session.get(OrderItem, "I1")
        assert (line.order_id, line.quantity, line.unit_price) == ("O1", 2, Decimal("79.99"))
        rr = session.get(ReturnRequest, "R1")
        assert (rr.prepaid_label, rr.ships_back, rr.condition_received) == (True, True, "damaged")
        refund = session.get(Refund, "F1")
        assert (refund.amount, refund.fee, refund.auto_refund_late) == (Decimal("159.98"), Decimal("0.00"), False)
        claim = session.get(Claim, "CL1")
        assert (claim.evidence, claim.status, claim.reimbursement) == (["photo"], "pending", None)


def test_jsonl_round_trip_and_idempotent_reimport(store, tmp_path):
    path = write_jsonl(tmp_path / "data.jsonl", RECORDS)
    report = run_import(store, path)
    assert (sum(report.new.values()), report.new["order_item"]) == (10, 1)
    check_contents(store)
    before = counts(store)
    again = run_import(store, path)
    assert (sum(again.new.values()), sum(again.unchanged.values())) == (0, 10)
    assert counts(store) == before


def test_csv_directory_round_trip_equals_jsonl(store, tmp_path):
    for name, content in CSV.items():
        (tmp_path / name).write_text(content)
    report = run_import(store, str(tmp_path))
    assert report.total == 10
    check_contents(store)
    # The JSON Lines form of the same records is already stored: nothing changes.
    again = run_import(store, write_jsonl(tmp_path / "same.jsonl", RECORDS))
    assert sum(again.unchanged.values()) == 10


def test_references_may_point_forward_in_the_same_import(store, tmp_path):
    reordered = list(reversed(RECORDS))
    run_import(store, write_jsonl(tmp_path / "backwards.jsonl", reordered))
    check_contents(store)


def test_references_to_stored_rows_resolve(store, tmp_path):
    run_import(store, write_jsonl(tmp_path / "a.jsonl", RECORDS[:3]))
    run_import(store, write_jsonl(tmp_path / "b.jsonl", RECORDS[3:]))
    check_contents(store)


BAD_ROWS = [
    ("not json", "{oops", "invalid JSON"),
    ("not an object", "[1, 2]", "a record must be a JSON object, got list"),
    ("missing type", {"id": "X"}, "missing field 'type'"),
    ("unknown type", {"type": "wizard", "id": "X"}, "unknown record type 'wizard'; expected one of seller, buyer"),
    ("unknown field", {"type": "buyer", "id": "B2", "name": "x", "nickname": "y"}, "unknown field 'nickname' in a buyer record"),
    ("missing field", {"type": "buyer", "id": "B2"}, "missing field 'name'"),
    ("wrong type", {"type": "buyer", "id": 7, "name": "x"}, "field 'id' must be an id"),
    ("wrong type bool", {"type": "shipment", "id": "SH2", "order_id": "O1", "carrier": "UPS", "tracking_valid": "yes",
                         "shipped_at": "2026-05-02T09:00:00Z"}, "field 'tracking_valid' must be true or false, got 'yes'"),
    ("bad enum", {"type": "contact", "id": "C2", "order_id": "O1", "contacted_at": "2026-05-06T08:00:00Z", "channel": "fax"},
     "field 'channel' must be one of chat, email, phone, got 'fax'"),
    ("negative money", {"type": "product", "id": "P2", "seller_id": "S1", "sku": "X", "name": "x", "category": "toys",
                        "price": -1.5}, "field 'price' must not be negative, got -1.5"),
    ("fractional cents", {"type": "product", "id": "P2", "seller_id": "S1", "sku": "X", "name": "x", "category": "toys",
                          "price": 1.005}, "field 'price' must have at most two decimal places"),
    ("naive timestamp", {"type": "contact", "id": "C2", "order_id": "O1", "contacted_at": "2026-05-06T08:00:00", "channel": "chat"},
     "field 'contacted_at' needs a timezone"),
    ("missing reference", {"type": "contact", "id": "C2", "order_id": "O404", "contacted_at": "2026-05-06T08:00:00Z",
                           "channel": "chat"}, "field 'order_id' refers to order 'O404', which is neither in this import nor stored"),
    ("bad item", {"type": "order", "id": "O2", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
                  "placed_at": "2026-05-01T10:00:00Z", "items": [{"id": "I2", "product_id": "P1", "quantity": 0, "unit_price": "1"}]},
     "items[0]: field 'quantity' must be a whole number of at least 1, got 0"),
    ("duplicate id", {"type": "buyer", "id": "B1", "name": "Ann"}, "buyer 'B1' appears twice in this import (first at"),
    ("schema check", {"type": "order", "id": "O2", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
                      "placed_at": "2026-05-01T10:00:00Z", "shipped_at": "2026-04-01T10:00:00Z"},
     "rejected by the database"),
    ("lower-case country", {"type": "buyer", "id": "B2", "name": "x", "country": "de"},
     "field 'country' must be an ISO 3166-1 alpha-2 country code (two upper-case letters, like DE), got 'de'"),
    ("three-letter country", {"type": "buyer", "id": "B2", "name": "x", "country": "DEU"}, "field 'country' must be an ISO 3166-1"),
    ("country not text", {"type": "buyer", "id": "B2", "name": "x", "country": 49}, "field 'country' must be an ISO 3166-1"),
    ("tags not a list", {"type": "buyer", "id": "B2", "name": "x", "tags": "member"},
     "field 'tags' must be a list of tags (lower-case codes like final_sale), got 'member'"),
    ("upper-case tag", {"type": "product", "id": "P2", "seller_id": "S1", "sku": "X", "name": "x", "category": "toys",
                        "price": 1, "tags": ["ok", "Final_Sale"]}, "field 'tags' must list tags as lower-case codes"),
    ("tag with a space", {"type": "buyer", "id": "B2", "name": "x", "tags": ["final sale"]},
     "field 'tags' must list tags as lower-case codes (letters, digits, underscores, like final_sale), got 'final sale'"),
    ("negative shipping", {"type": "order", "id": "O2", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
                           "placed_at": "2026-05-01T10:00:00Z", "shipping_paid": "-4.95"},
     "field 'shipping_paid' must not be negative, got -4.95"),
    ("a-to-z not a boolean", {"type": "order", "id": "O2", "buyer_id": "B1", "seller_id": "S1", "fulfilment": "seller",
                              "placed_at": "2026-05-01T10:00:00Z", "a_to_z_claim": "yes"},
     "field 'a_to_z_claim' must be true or false, got 'yes'"),
    ("second refund for an item", {"type": "refund", "id": "F2", "order_item_id": "I1", "amount": 1, "issued_by": "seller",
                                   "issued_at": "2026-05-08T08:00:00Z"}, "rejected by the database"),
]


@pytest.mark.parametrize("bad", [b[1] for b in BAD_ROWS], ids=[b[0] for b in BAD_ROWS])
def test_a_bad_row_stops_the_import_at_its_line_and_writes_nothing(store, tmp_path, bad):
    expected = next(message for _, row, message in BAD_ROWS if row is bad)
    path = write_jsonl(tmp_path / "bad.jsonl", RECORDS[:2] + [""] + RECORDS[2:] + [bad] + [{"type": "buyer", "id": "B9", "name": "z"}])
    with pytest.raises(ImportFailed) as raised:
        run_import(store, path)
    assert str(raised.value).startswith(f"{path}:11: {expected}")
    assert (raised.value.path, raised.value.line) == (path, 11)
    assert set(counts(store).values()) == {0}


CSV_BAD = [
    ("unknown column", "id,name,shoe_size\nB1,Ann,9\n", 1, "unknown column 'shoe_size' for buyer records"),
    ("missing column", "id\nB1\n", 1, "missing column 'name'"),
    ("short row", "id,name\nB1,Ann\nB2\n", 3, "expected 2 values, got 1"),
    ("empty required cell", "id,name\nB1,Ann\n\nB2,\n", 4, "missing field 'name'"),
    ("bad country", "id,name,country\nB1,Ann,DE\nB2,Ben,fr\n", 3, "field 'country' must be an ISO 3166-1 alpha-2 country code"),
    ("bad tag", "id,name,tags\nB1,Ann,member;VIP\n", 2, "field 'tags' must list tags as lower-case codes .*got 'VIP'"),
]


@pytest.mark.parametrize("content, line, expected", [c[1:] for c in CSV_BAD], ids=[c[0] for c in CSV_BAD])
def test_bad_csv_rows_name_their_line(store, tmp_path, content, line, expected):
    path = tmp_path / "buyers.csv"
    path.write_text(content)
    with pytest.raises(ImportFailed, match=f"^{path}:{line}: {expected}"):
        run_import(store, str(path))
    assert set(counts(store).values()) == {0}


def test_csv_values_are_parsed_by_type(store, tmp_path):
    for name in ("sellers.csv", "buyers.csv", "products.csv", "orders.csv", "order_items.csv"):
        (tmp_path / name).write_text(CSV[name])
    bad = tmp_path / "shipments.csv"
    bad.write_text("id,order_id,carrier,tracking_number,tracking_valid,shipped_at\nSH1,O1,UPS,,maybe,2026-05-02T09:00:00Z\n")
    with pytest.raises(ImportFailed, match="shipments.csv:2: field 'tracking_valid' must be true or false, got 'maybe'"):
        run_import(store, str(tmp_path))
    assert set(counts(store).values()) == {0}


def test_csv_new_order_fields_are_checked(store, tmp_path):
    for name in ("sellers.csv", "buyers.csv"):
        (tmp_path / name).write_text(CSV[name])
    (tmp_path / "orders.csv").write_text("id,buyer_id,seller_id,fulfilment,placed_at,shipping_paid,a_to_z_claim\n"
                                         "O1,B1,S1,seller,2026-05-01T10:00:00Z,,\n"
                                         "O2,B1,S1,seller,2026-05-01T10:00:00Z,-2,false\n")
    with pytest.raises(ImportFailed, match="orders.csv:3: field 'shipping_paid' must not be negative, got -2"):
        run_import(store, str(tmp_path))
    assert set(counts(store).values()) == {0}


def test_records_without_the_new_fields_get_their_defaults(store, tmp_path):
    old = [{k: v for k, v in r.items() if k not in ("country", "tags", "shipping_paid", "a_to_z_claim")} for r in RECORDS]
    run_import(store, write_jsonl(tmp_path / "old.jsonl", old))
    with store.read() as session:
        buyer, order = session.get(Buyer, "B1"), session.get(Order, "O1")
        assert (buyer.country, buyer.tags, session.get(Product, "P1").tags) == (None, [], [])
        assert (order.shipping_paid, order.a_to_z_claim) == (Decimal("0.00"), False)


def test_changed_tags_are_an_error_and_reordered_tags_are_unchanged(store, tmp_path):
    run_import(store, write_jsonl(tmp_path / "a.jsonl", RECORDS))
    reordered = [dict(r) for r in RECORDS]
    reordered[1] = {**reordered[1], "tags": ["member", "gift_card"]}
    assert run_import(store, write_jsonl(tmp_path / "b.jsonl", reordered)).unchanged["buyer"] == 1
    changed = [dict(r) for r in RECORDS]
    changed[1] = {**changed[1], "tags": ["member"]}
    with pytest.raises(ImportFailed, match=r"c.jsonl:2: buyer 'B1' is already stored with a different tags "
                                           r"\(\['gift_card', 'member'\] stored, \['member'\] here\)"):
        run_import(store, write_jsonl(tmp_path / "c.jsonl", changed))


def test_a_csv_file_is_typed_by_its_name(store, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("id,name\nB1,Ann\n")
    with pytest.raises(ImportFailed, match="people.csv:1: cannot tell the record type from the file name"):
        run_import(store, str(path))


def test_missing_files_and_other_formats_are_errors(store, tmp_path):
    with pytest.raises(StoreError, match="no such file"):
        run_import(store, str(tmp_path / "nope.jsonl"))
    (tmp_path / "data.xml").write_text("<x/>")
    with pytest.raises(StoreError, match="reads .jsonl"):
        run_import(store, str(tmp_path / "data.xml"))


def test_a_changed_record_is_an_error_not_an_update(store, tmp_path):
    run_import(store, write_jsonl(tmp_path / "a.jsonl", RECORDS))
    changed = [dict(r) for r in RECORDS]
    changed[2]["price"] = 89.99
    path = write_jsonl(tmp_path / "b.jsonl", changed + [{"type": "buyer", "id": "B2", "name": "Bob"}])
    with pytest.raises(ImportFailed, match=r"b.jsonl:3: product 'P1' is already stored with a different price "
                                           r"\(Decimal\('79.99'\) stored, Decimal\('89.99'\) here\)"):
        run_import(store, path)
    with store.read() as session:
        assert session.get(Product, "P1").price == Decimal("79.99")
        assert session.scalar(select(func.count(Seller.id))) == 1


def test_the_same_instant_in_another_offset_is_unchanged(store, tmp_path):
    run_import(store, write_jsonl(tmp_path / "a.jsonl", RECORDS))
    shifted = [dict(r) for r in RECORDS]
    shifted[3] = {**shifted[3], "placed_at": "2026-05-01T08:00:00Z"}
    assert run_import(store, write_jsonl(tmp_path / "b.jsonl", shifted)).new == dict.fromkeys(
        ("seller", "buyer", "product", "order", "order_item", "shipment", "contact", "return", "refund", "claim"), 0)


def test_an_import_restores_the_settings_it_changes(store, tmp_path):
    import gc

    with store.write() as session:
        if store.dialect == "sqlite":
            session.connection().exec_driver_sql("PRAGMA cache_size=-4000")
            mapped = session.connection().exec_driver_sql("PRAGMA mmap_size").scalar()
        import_paths(session, paths=[write_jsonl(tmp_path / "a.jsonl", RECORDS)])
        assert gc.isenabled()
        if store.dialect == "sqlite":
            assert session.connection().exec_driver_sql("PRAGMA cache_size").scalar() == -4000
            assert session.connection().exec_driver_sql("PRAGMA mmap_size").scalar() == mapped


@pytest.mark.parametrize("name", ["schema check", "second refund for an item"])
def test_small_chunks_store_the_same_and_name_a_refused_line(store, tmp_path, monkeypatch, name):
    from store import importer
    monkeypatch.setattr(importer, "CHUNK", 2)
    bad = next(row for n, row, _ in BAD_ROWS if n == name)
    test_a_bad_row_stops_the_import_at_its_line_and_writes_nothing(store, tmp_path, bad)
    run_import(store, write_jsonl(tmp_path / "good.jsonl", RECORDS))
    check_contents(store)
