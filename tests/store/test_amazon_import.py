"""Import of Amazon's returns and orders reports: the documented samples, every header variant, every
bad line with its line and column, idempotency and later reports, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from store import ImportFailed, StoreError
from store.amazon import ORDERS, RETURNS, import_amazon_report, report_format
from store.amazon import values
from store.amazon.words import CHANNELS, RESOLUTIONS, RETURN_REASONS, SAFET_REASONS, SAFET_STATES
from store.models import Base, Buyer, Claim, Order, OrderItem, Refund, ReturnRequest, Seller, Shipment

from .amazon_files import DOC, ORDERS_SAMPLE, RETURNS_SAMPLE, table, with_cell, write

UTC = timezone.utc
TABLES = ("sellers", "buyers", "products", "orders", "order_items", "shipments", "return_requests", "refunds", "claims")


def load(store, path: str, fmt: str | None = None, seller: str = "S1"):
    with store.write() as session:
        return import_amazon_report(session, path=path, seller_id=seller, fmt=fmt)


def snapshot(store) -> dict[str, list]:
    with store.read() as session:
        return {t: sorted(tuple(map(str, row)) for row in session.execute(Base.metadata.tables[t].select())) for t in TABLES}


def samples(tmp_path) -> tuple[str, str]:
    return (write(tmp_path / "orders.txt", *table(ORDERS_SAMPLE)), write(tmp_path / "returns.txt", *table(RETURNS_SAMPLE)))


def test_the_documented_samples_import(store, tmp_path):
    orders, returns = samples(tmp_path)
    first = load(store, orders)
    assert (first.fmt, first.counts.lines, first.counts.new, first.counts.skipped) == (ORDERS, 4, 3, 1)
    second = load(store, returns)
    assert (second.fmt, second.counts.new, second.counts.stored, second.counts.rows["claims"]) == (RETURNS, 3, 0, 1)
    with store.read() as session:
        assert session.get(Seller, "S1").name == "S1"
        order = session.get(Order, "113-0000002-0000002")
        assert (order.fulfilment, order.currency, order.placed_at) == ("seller", "USD", datetime(2026, 3, 3, 17, 30, tzinfo=UTC))
        assert session.get(Order, "113-0000004-0000004").fulfilment == "marketplace"
        assert session.get(Order, "113-0000001-0000001").shipping_paid == Decimal("5.99")
        assert session.get(Order, "113-0000005-0000005").a_to_z_claim is True  # A-to-Z Claim Y in the returns report
        assert session.get(Order, "113-0000001-0000001").a_to_z_claim is False
        assert session.get(Buyer, "amz:113-0000002-0000002").country == "US"
        assert session.get(Order, "113-0000003-0000003") is None  # cancelled
        line = session.get(OrderItem, "113-0000002-0000002:TENT-2")
        assert (line.quantity, line.unit_price) == (2, Decimal("199.00"))
        assert session.scalar(select(func.count()).select_from(Shipment)) == 3
        defective = session.get(ReturnRequest, "R:113-0000001-0000001:BAG-1")
        assert (defective.reason, defective.condition, defective.amazon_reason, defective.amazon_rma_id, defective.prepaid_label) == (
            "defective", "used", "CR-DEFECTIVE", "DkJ8sRMA1", True)
        assert defective.requested_at == datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 09:00 PST
        assert defective.delivered_at == datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
        refund = session.get(Refund, "F:113-0000002-0000002:TENT-2")
        assert (refund.amount, refund.issued_by, refund.issued_at, refund.amazon_resolution) == (
            Decimal("199.00"), "marketplace", datetime(2026, 3, 20, tzinfo=UTC), "StandardRefund")
        claim = session.get(Claim, "SAFET:SAFET-77")
        assert (claim.refund_id, claim.reason, claim.status, claim.safet_claim_id, claim.safet_claim_state) == (
            refund.id, "returned_damaged", "pending", "SAFET-77", "Under review")
        lamp = session.get(OrderItem, "113-0000005-0000005:LAMP-3")  # only in the returns report
        assert (lamp.quantity, lamp.unit_price) == (1, Decimal("25.00"))
        assert session.get(ReturnRequest, "R:113-0000005-0000005:LAMP-3").prepaid_label is False


def test_importing_again_changes_nothing(store, tmp_path):
    orders, returns = samples(tmp_path)
    load(store, orders)
    load(store, returns)
    before = snapshot(store)
    again = load(store, returns)
    assert (again.counts.new, again.counts.stored) == (0, 3)
    assert load(store, orders).counts.new == 0
    assert snapshot(store) == before


def test_a_later_report_fills_in_what_was_not_known(store, tmp_path):
    header, lines = table(RETURNS_SAMPLE)
    early = [list(c) for c in lines]
    for column in ("SafeT claim state", "Return delivery date"):
        early[1][header.index(column)] = ""
    load(store, write(tmp_path / "early.txt", header, early))
    load(store, write(tmp_path / "late.txt", header, lines))
    with store.read() as session:
        assert session.get(ReturnRequest, "R:113-0000002-0000002:TENT-2").delivered_at == datetime(2026, 3, 20, tzinfo=UTC)
        assert session.get(Claim, "SAFET:SAFET-77").safet_claim_state == "Under review"
        assert session.get(Refund, "F:113-0000002-0000002:TENT-2").issued_at == datetime(2026, 3, 20, tzinfo=UTC)
    # an empty cell in a later report does not erase a known delivery date
    load(store, write(tmp_path / "again.txt", header, early))
    with store.read() as session:
        assert session.get(ReturnRequest, "R:113-0000002-0000002:TENT-2").delivered_at == datetime(2026, 3, 20, tzinfo=UTC)


def _variant(sample: str, rename: dict[str, str] | None = None, extra: bool = False, reverse: bool = False) -> tuple[list, list]:
    header, lines = table(sample)
    header = [(rename or {}).get(h, h) for h in header]
    if extra:
        header = header + ["Order Item ID", "Category", "Something new"]
        lines = [cells + [f"OI-{i}", "Sports & Outdoors", "x"] for i, cells in enumerate(lines)]
    if reverse:
        header, lines = header[::-1], [cells[::-1] for cells in lines]
    return header, lines


HEADER_VARIANTS = {
    "as documented": {},
    "upper case": {h: h.upper() for h in table(RETURNS_SAMPLE)[0]},
    "lower case with underscores": {h: h.lower().replace(" ", "_") for h in table(RETURNS_SAMPLE)[0]},
    "SafeT claim ID": {"SafeT claim id": "SafeT claim ID", "SafeT Action reason": "Safe-T action reason"},
    "Return reason": {"Return Reason": "Return reason"},
    "Reason and SKU": {"Return Reason": "Reason", "Merchant SKU": "SKU"},
    "A to Z": {"A-to-Z Claim": "A to Z claim", "Currency code": "Currency"},
    "Return delivery Date": {"Return delivery date": "Return Delivery Date", "Refunded Amount": "refunded amount"},
}


@pytest.mark.parametrize("variant", HEADER_VARIANTS)
def test_every_header_spelling_reads_the_same(tmp_path, store_url, variant):
    from store import open_store
    store = open_store(store_url)
    try:
        load(store, write(tmp_path / "a.txt", *_variant(RETURNS_SAMPLE, HEADER_VARIANTS[variant])))
        assert snapshot(store)["claims"] and len(snapshot(store)["refunds"]) == 3
    finally:
        store.close()


@pytest.mark.parametrize("shape", ["extra columns", "reordered", "CRLF and BOM", "trailing empty cells dropped", "optional columns absent"])
def test_real_files_vary(store, tmp_path, shape):
    header, lines = table(RETURNS_SAMPLE)
    newline, prefix = "\n", ""
    if shape == "extra columns":
        header, lines = _variant(RETURNS_SAMPLE, extra=True)
    elif shape == "reordered":
        header, lines = _variant(RETURNS_SAMPLE, reverse=True)
    elif shape == "CRLF and BOM":
        newline, prefix = "\r\n", "\ufeff"
    elif shape == "trailing empty cells dropped":
        lines = [cells[:-1] if cells[-1] == "" else cells for cells in lines]
        header = header[:-1] + ["Refunded Amount"]
    elif shape == "optional columns absent":
        keep = ["Order ID", "Order date", "Return request date", "Merchant SKU", "Return Reason", "Refunded Amount"]
        lines = [[cells[header.index(k)] for k in keep] for cells in lines]
        header = keep
    done = load(store, write(tmp_path / "r.txt", header, lines, newline, prefix))
    assert done.counts.new == 3
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Refund)) == 3
        if shape == "extra columns":
            assert {p for p in session.scalars(select(Base.metadata.tables["products"].c.category))} == {"sports_outdoors"}


def test_the_report_is_told_by_its_header(store, tmp_path):
    orders, returns = samples(tmp_path)
    assert (report_format(orders), report_format(returns)) == (ORDERS, RETURNS)
    with pytest.raises(ImportFailed, match=r"returns.txt:1: the header is an amazon-returns report's, not an amazon-orders"):
        load(store, returns, fmt=ORDERS)
    other = write(tmp_path / "other.txt", ["id", "name"], [["1", "x"]])
    with pytest.raises(ImportFailed, match=r"other.txt:1: cannot tell the report from its header"):
        load(store, other)
    with pytest.raises(StoreError, match="unknown report format"):
        load(store, returns, fmt="amazon-settlements")


R = RETURNS_SAMPLE
BAD_RETURNS = [
    # (line, column, value, expected message after "PATH:LINE: ")
    (2, "Order ID", "", "Order ID: is empty"),
    (3, "Order date", "2026-13-45", "Order date: is not a date or time Amazon writes: '2026-13-45'"),
    (3, "Order date", "31/02/2026", "Order date: is not a real date: '31/02/2026'"),
    (2, "Return request date", "2026-03-01 10:00:00 XYZ", "Return request date: has an unknown time zone 'XYZ'"),
    (2, "Return request date", "2026-02-01", "Return request date: 2026-02-01 is before the Order date 2026-03-01"),
    (2, "Return delivery date", "2026-03-01", "Return delivery date: 2026-03-01 is before the Return request date 2026-03-10"),
    (4, "Return Reason", "CR-WHATEVER", "Return Reason: unknown return reason 'CR-WHATEVER'"),
    (2, "Return Reason", "", "Return Reason: is empty"),
    (2, "Refunded Amount", "eighty", "Refunded Amount: is not an amount of money: 'eighty'"),
    (2, "Refunded Amount", "-89.00", "Refunded Amount: must not be negative, got '-89.00'"),
    (2, "Refunded Amount", "89.001", "Refunded Amount: must have at most two decimal places"),
    (3, "Order quantity", "two", "Order quantity: must be a whole number of at least 1, got 'two'"),
    (3, "Order quantity", "0", "Order quantity: must be a whole number of at least 1, got '0'"),
    (2, "Currency code", "US Dollar", "Currency code: must be a three-letter currency code such as USD, got 'US Dollar'"),
    (4, "A-to-Z Claim", "maybe", "A-to-Z Claim: must be Y or N, got 'maybe'"),
    (3, "SafeT claim state", "Lost in space", "SafeT claim state: unknown SAFE-T claim state 'Lost in space'"),
    (3, "SafeT Action reason", "Because", "SafeT Action reason: unknown SAFE-T action reason 'Because'"),
    (3, "SafeT Action reason", "", "SafeT Action reason: is empty, but the line names a SAFE-T claim"),
    (3, "SafeT claim creation time", "", "SafeT claim creation time: is empty"),
    (3, "Refunded Amount", "", "SafeT claim id: names a SAFE-T claim, but the line has no Refunded Amount to claim"),
    (2, "Merchant SKU", "X" * 41, "Merchant SKU: must be an id of 1 to 40 characters"),
]


@pytest.mark.parametrize("line, column, value, message", BAD_RETURNS, ids=[f"{c}={v[:12]!r}" for _, c, v, _ in BAD_RETURNS])
def test_a_bad_returns_line_names_its_line_and_column_and_writes_nothing(store, tmp_path, line, column, value, message):
    path = write(tmp_path / "returns.txt", *with_cell(R, line, column, value))
    with pytest.raises(ImportFailed) as caught:
        load(store, path)
    assert str(caught.value).startswith(f"{path}:{line}: {message}")
    assert (caught.value.line, caught.value.path) == (line, path)
    assert not any(rows for name, rows in snapshot(store).items())


def _fails(store, path: str, expected: str) -> None:
    with pytest.raises(ImportFailed) as caught:
        load(store, path)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_bad_lines_of_an_orders_report(store, tmp_path):
    cases = [
        (2, "fulfillment-channel", "Drone", "fulfillment-channel: unknown fulfillment channel 'Drone'"),
        (3, "quantity", "-1", "quantity: must be a whole number, got '-1'"),
        (2, "purchase-date", "yesterday", "purchase-date: is not a date or time Amazon writes"),
        (2, "last-updated-date", "2026-02-01T00:00:00Z", "last-updated-date: 2026-02-01 is before the purchase-date 2026-03-01"),
        (3, "item-price", "$3.999", "item-price: must have at most two decimal places"),
        (3, "ship-country", "USA", "ship-country: must be a two-letter country code such as US, got 'USA'"),
        (2, "sku", "", "sku: is empty"),
    ]
    for line, column, value, message in cases:
        path = write(tmp_path / "orders.txt", *with_cell(ORDERS_SAMPLE, line, column, value))
        _fails(store, path, f"{path}:{line}: {message}")
    assert not any(snapshot(store).values())


def test_bad_headers_and_files(store, tmp_path):
    header, lines = table(R)
    missing = write(tmp_path / "missing.txt", [h for h in header if h != "Return Reason"],
                    [c[:header.index("Return Reason")] + c[header.index("Return Reason") + 1:] for c in lines])
    _fails(store, missing, f"{missing}:1: Return Reason: missing column")
    twice = write(tmp_path / "twice.txt", header + ["return reason"], [c + ["x"] for c in lines])
    _fails(store, twice, f"{twice}:1: return reason: the column appears twice (also as 'Return Reason')")
    wide = write(tmp_path / "wide.txt", header, [lines[0], lines[1] + ["oops"], lines[2]])
    _fails(store, wide, f"{wide}:3: the line has {len(header) + 1} cells but the header has {len(header)}")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(("\t".join(header) + "\n").encode() + "\t".join(lines[0]).replace("Down", "Dün").encode("latin-1") + b"\n")
    _fails(store, str(latin), f"{latin}:2: the line is not UTF-8 text")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    _fails(store, str(empty), f"{empty}:1: empty file")


def test_a_report_may_not_change_stored_money_or_reasons(store, tmp_path):
    load(store, write(tmp_path / "a.txt", *table(R)))
    before = snapshot(store)
    changed = write(tmp_path / "b.txt", *with_cell(R, 2, "Refunded Amount", "99.00"))
    _fails(store, changed, f"{changed}:2: Refunded Amount: refund 'F:113-0000001-0000001:BAG-1' is already stored with amount 89.00; "
                           "this report says 99.00")
    reason = write(tmp_path / "c.txt", *with_cell(R, 4, "Return Reason", "CR-DEFECTIVE"))
    _fails(store, reason, f"{reason}:4: Return Reason: return 'R:113-0000005-0000005:LAMP-3' is already stored with reason wrong_item")
    issuer = write(tmp_path / "d.txt", *with_cell(R, 2, "Resolution", "SellerRefund"))
    _fails(store, issuer, f"{issuer}:2: Resolution: refund 'F:113-0000001-0000001:BAG-1' is already stored with issued_by marketplace")
    assert snapshot(store) == before
    other = write(tmp_path / "e.txt", *table(R))
    with pytest.raises(ImportFailed, match=r"e.txt:2: Order ID: order '113-0000001-0000001' is stored as another seller's order"):
        load(store, other, seller="S2")


def test_a_line_repeated_with_other_values_is_an_error(store, tmp_path):
    header, lines = table(R)
    twice = [lines[0], lines[1], [*lines[0][:header.index("Refunded Amount")], "10.00"]]
    path = write(tmp_path / "twice.txt", header, twice)
    _fails(store, path, f"{path}:4: Refunded Amount: refund 'F:113-0000001-0000001:BAG-1' is already in this import with amount 89.00, here 10.00")


def test_a_line_repeated_in_a_later_batch_is_checked_against_the_stored_row(store, tmp_path, monkeypatch):
    from store.amazon import writer
    monkeypatch.setattr(writer, "BATCH_LINES", 1)  # a batch per order: the repeat finds its row stored, not staged
    header, lines = table(R)
    amount = header.index("Refunded Amount")
    assert lines[0][0] < lines[1][0]  # the repeat sorts before the greatest stored id: it is looked up
    path = write(tmp_path / "later.txt", header, [lines[0], lines[1], [*lines[0][:amount], "10.00", *lines[0][amount + 1:]]])
    _fails(store, path, f"{path}:4: Refunded Amount: refund 'F:113-0000001-0000001:BAG-1' is already stored with amount 89.00; "
                        "this report says 10.00")
    again = write(tmp_path / "again.txt", header, [lines[0], lines[1], lines[0]])
    done = load(store, again)
    assert (done.counts.new, done.counts.stored) == (2, 1)


def test_a_row_the_database_refuses_names_its_line(store, tmp_path):
    with store.write() as session:  # the same (seller, SKU) stored under another product id
        session.add(Seller(id="S1", name="S1"))
        session.flush()
        session.execute(Base.metadata.tables["products"].insert().values(
            id="P-OLD", seller_id="S1", sku="LAMP-3", name="lamp", category="toys", price=Decimal("1.00")))
    path = write(tmp_path / "r.txt", *table(R))
    _fails(store, path, f"{path}:4: product: rejected by the database:")


@pytest.mark.parametrize("text, expected", [
    ("2026-03-01T10:00:00+00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01T10:00:00-08:00", datetime(2026, 3, 1, 18, tzinfo=UTC)),
    ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-01 10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01 10:00:00 PST", datetime(2026, 3, 1, 18, tzinfo=UTC)),
    ("2026-07-01 10:00:00 PDT", datetime(2026, 7, 1, 17, tzinfo=UTC)),
    ("2026-03-01 10:00 CET", datetime(2026, 3, 1, 9, tzinfo=UTC)),
    ("03/01/2026", datetime(2026, 3, 1, tzinfo=UTC)),
    ("3/1/2026 14:05", datetime(2026, 3, 1, 14, 5, tzinfo=UTC)),
    ("01.03.2026", datetime(2026, 3, 1, tzinfo=UTC)),
    ("01-Mar-2026", datetime(2026, 3, 1, tzinfo=UTC)),
    ("1 MAR 2026", datetime(2026, 3, 1, tzinfo=UTC)),
])
def test_every_date_format(text, expected):
    assert values.timestamp(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("89.00", "89.00"), ("1,234.56", "1234.56"), ("1.234,56", "1234.56"), ("12,5", "12.50"), ("$89", "89.00"),
    ("USD 89.00", "89.00"), ("89,00 EUR", "89.00"), ("€ 5", "5.00"), ("1,234", "1234.00"),
])
def test_every_money_format(text, expected):
    assert values.money(text) == Decimal(expected)


def test_the_words_tables_in_the_docs_match_the_code():
    section = DOC[DOC.index("### Amazon's words"):DOC.index("### Samples")]
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|(?: `([^`]+)` \|| (yes|no) \|)?$", section, re.M)
    documented = {(a, b, c or d) for a, b, c, d in rows}
    expected = ({(k, r, c) for k, (r, c) in RETURN_REASONS.items()} | {(k, r, "") for k, r in SAFET_REASONS.items()}
                | {(k, r, "") for k, r in SAFET_STATES.items()} | {(k, r, "") for k, r in CHANNELS.items()}
                | {(k, i, "yes" if late else "no") for k, (i, late) in RESOLUTIONS.items()})
    assert documented == expected


def test_an_order_s_shipping_is_the_sum_of_its_lines_and_a_to_z_sticks(store, tmp_path):
    header, lines = table(ORDERS_SAMPLE)
    second = list(lines[0])
    second[header.index("sku")] = "BAG-9"
    second[header.index("shipping-price")] = "1.01"
    load(store, write(tmp_path / "o.txt", header, [lines[0], second]))
    rh, rl = table(RETURNS_SAMPLE)
    claimed = list(rl[0])
    claimed[rh.index("A-to-Z Claim")] = "Y"
    load(store, write(tmp_path / "r1.txt", rh, [claimed]))
    load(store, write(tmp_path / "r2.txt", rh, [rl[0]]))  # a later N does not clear it
    load(store, write(tmp_path / "o2.txt", header, [lines[0], second]))  # nor does the orders report
    with store.read() as session:
        order = session.get(Order, "113-0000001-0000001")
        assert (order.shipping_paid, order.a_to_z_claim) == (Decimal("7.00"), True)


def test_an_a_to_z_claim_on_any_line_of_an_order_marks_it(store, tmp_path):
    header, lines = table(RETURNS_SAMPLE)
    first, second = list(lines[0]), list(lines[0])
    first[header.index("A-to-Z Claim")] = "Y"
    second[header.index("Merchant SKU")] = "BAG-9"
    load(store, write(tmp_path / "r.txt", header, [first, second]))
    with store.read() as session:
        assert session.get(Order, "113-0000001-0000001").a_to_z_claim is True


def _empty(store) -> None:
    with store.write() as session:
        for t in reversed(Base.metadata.sorted_tables):
            session.execute(t.delete())


def _everything(store) -> dict[str, list]:
    with store.read() as session:
        sales = sorted(tuple(map(str, row)) for row in session.execute(Base.metadata.tables["monthly_sales"].select()))
    return snapshot(store) | {"monthly_sales": sales}


def test_any_batch_lookup_and_statement_size_stores_the_same(store, tmp_path, monkeypatch):
    from bench.amazon_reports import generate
    from store.amazon import writer
    generate(tmp_path, sellers=1, orders=500, seed=3, as_of=date(2026, 11, 30))

    def run() -> dict[str, list]:
        for kind in ("returns", "orders", "returns"):  # the orders report then changes what the returns report made
            load(store, str(tmp_path / f"S1.{kind}.txt"))
        return _everything(store)
    usual = run()
    assert len(usual["return_requests"]) > 20 and usual["monthly_sales"]
    _empty(store)
    for name, size in (("BATCH_LINES", 7), ("LOOKUP_CHUNK", 5), ("SQLITE_SHAPES", (4, 3, 1))):
        monkeypatch.setattr(writer, name, size)
    assert run() == usual


def test_ids_json_must_escape_are_found_when_stored(store, tmp_path):
    """The lookups bind ids as one JSON text, joined as they are unless one needs escaping."""
    header, lines = table(RETURNS_SAMPLE)
    order = header.index("Order ID")
    odd = [list(cells) for cells in lines]
    for cells, order_id in zip(odd, ('113-"quoted"-1', "113\\back\\slash-2", "113-\x01control-3")):
        cells[order] = order_id
    path = write(tmp_path / "odd.txt", header, odd)
    first = load(store, path)
    again = load(store, path)
    assert (first.counts.new, first.counts.stored, again.counts.new, again.counts.stored) == (3, 0, 0, 3)
    with store.read() as session:
        assert session.get(Order, '113-"quoted"-1') is not None and session.get(Order, "113-\x01control-3").a_to_z_claim is True


def test_json_texts_are_json():
    from store.amazon.writer import _json_texts
    for texts in ([], ["a"], ["a", "b,c"], ['a"b'], ["a\\b"], ["\x1f"], ["ü", "€"], ["\u2028"]):
        assert json.loads(_json_texts(texts)) == texts


def test_a_value_in_a_column_written_as_a_literal_is_refused(store):
    """SQLite writes the columns a returns report never fills as NULL literals, and those it fills with one value (the
    seller, an order's fulfilment and shipping, a refund's fee) as that literal; another value there is the writer's
    bug, not silently dropped."""
    from store.amazon import writer
    with store.write() as session:
        batch = writer.BatchWriter(session, fmt=RETURNS, seller_id="S'1", path="r.txt", header=None)
        if session.get_bind().dialect.name != "sqlite":
            assert batch._literals == {}
            return
        row = ("R:1", "1", "defective", "opened", datetime(2026, 3, 1, tzinfo=UTC), True, True, None, None, None, None, "x")
        bound = batch._binders["return_requests"]([(row, 2), (row, 3)])
        values = batch._statements["return_requests"][0].split(" VALUES ")[1].split(" ON CONFLICT ")[0]
        assert len(bound) == 2 * (len(row) - 2) and values.count("NULL") == 2
        with pytest.raises(StoreError, match="written as that literal"):
            batch._binders["return_requests"]([(row, 2), (row[:9] + ("D1",) + row[10:], 3)])
        order = ("O1", "amz:O1", "S'1", "seller", datetime(2026, 3, 1, tzinfo=UTC), None, None, "USD", Decimal("0.00"), False)
        assert len(batch._binders["orders"]([(order, 2)])) == 5
        assert "'S''1', 'seller', ?, NULL, NULL, ?, 0.0, ?" in batch._statements["orders"][0]
        with pytest.raises(StoreError, match="written as that literal"):
            batch._binders["orders"]([(order, 2), (order[:2] + ("S2",) + order[3:], 3)])


def test_a_seller_id_with_a_quote_is_written_as_it_is(store, tmp_path):
    """The seller is written into the orders of a returns report as an SQL literal on SQLite: quoted."""
    header, lines = table(RETURNS_SAMPLE)
    path = write(tmp_path / "quoted.txt", header, lines)
    load(store, path, seller="O'Brien; DROP TABLE orders --")
    with store.read() as session:
        assert {o.seller_id for o in session.scalars(select(Order))} == {"O'Brien; DROP TABLE orders --"}


def _indexes(session) -> list[tuple]:
    """Every index of the database with its definition (and, on SQLite, the statistics stored for it)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        found = connection.exec_driver_sql("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
        stats = connection.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1").fetchall() if connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() else []
        return sorted(map(tuple, found)) + sorted(map(tuple, stats))
    return sorted(map(tuple, connection.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")))


def test_indexes_built_after_a_load_that_dominates_their_table_leave_all_as_it_was(store, tmp_path, monkeypatch):
    """SQLite drops a table's plain indexes before a load that will at least double the table and builds them again
    after it (store/amazon/deferred.py): the same rows, the same indexes and statistics after, and after a failed
    import too, even before its rollback; PostgreSQL defers nothing."""
    from bench.amazon_reports import generate
    from store.amazon import deferred, writer
    generate(tmp_path, sellers=1, orders=500, seed=3, as_of=date(2026, 11, 30))

    def run() -> dict[str, list]:
        for kind in ("returns", "orders", "returns"):
            load(store, str(tmp_path / f"S1.{kind}.txt"))
        return _everything(store)
    usual = run()  # these files are far below DEFER_MIN_ROWS: nothing deferred
    _empty(store)
    sqlite = store.dialect == "sqlite"
    with store.write() as session:
        if sqlite:  # statistics for one deferred index, to be kept
            session.connection().exec_driver_sql("ANALYZE")
            session.connection().exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('refunds', 'ix_refunds_issued_at', '1000 3')")
        before = _indexes(session)
    assert ("ix_refunds_issued_at", "1000 3") in before or not sqlite
    rebuilt: list[str] = []
    restore = deferred.DeferredIndexes.restore

    def counted(self) -> None:
        rebuilt.extend(name for name, _, _ in self.dropped)
        restore(self)
    monkeypatch.setattr(deferred.DeferredIndexes, "restore", counted)
    monkeypatch.setattr(deferred, "DEFER_MIN_ROWS", 1)
    monkeypatch.setattr(writer, "BATCH_LINES", 7)  # indexes dropped at a table's first batch, built at the end
    assert run() == usual
    with store.read() as session:
        assert _indexes(session) == before
    if sqlite:
        assert {"ix_return_requests_requested_at", "ix_return_requests_delivered_at", "ix_refunds_issued_at",
                "ix_shipments_shipped_at"} <= set(rebuilt)
        assert not {"ix_claims_safet_claim_id", "sqlite_autoindex_refunds_2"} & set(rebuilt)  # UNIQUE: never deferred
        # tables the monthly sales triggers read keep their indexes
        assert not {"ix_orders_buyer_id_placed_at", "ix_order_items_product_id", "ix_order_items_order_id_quantity_id"} & set(rebuilt)
    else:
        assert rebuilt == []

    _empty(store)
    header, lines = table((tmp_path / "S1.returns.txt").read_text().rstrip("\n"))
    lines[30][header.index("Return Reason")] = "CR-WHATEVER"  # a bad line after several batches were written
    path = write(tmp_path / "bad.txt", header, lines)
    with pytest.raises(ImportFailed) as caught:
        with store.write() as session:
            try:
                import_amazon_report(session, path=path, seller_id="S1")
            finally:
                during = _indexes(session)
    assert caught.value.line == 32
    assert during == before
    with store.read() as session:
        assert _indexes(session) == before
    assert not any(rows for name, rows in snapshot(store).items() if name != "sellers")


ODD_CELLS = ("", " ", "x", "0", "1", "2", "-1", "89.001", "1.234,56", "USD 12.00", "$0.00", "2026-13-45", "2026-02-01",
             "2026-03-30T10:00:00Z", "03/31/2026", "31.03.2026", "2026-03-11 09:00:00 XYZ", "Returnless refund", "AutoRefund",
             "SellerRefund", "AmazonUnPaidLabel", "Y", "N", "maybe", "usd", "Sports & Outdoors", "CR-DEFECTIVE", "Denied",
             "Item returned damaged", "X" * 41, "X" * 65, "Y" * 55, "Y" * 58, "Y" * 60, "Y" * 63, "x" * 250, "CR-" + " " * 250 + "DEFECTIVE", "Auto" + " " * 80 + "Refund")


def _same_conversion(header_cells: list[str], lines: list[list[str]]) -> int:
    from store.amazon.columns import read_header
    from store.amazon.rows import CellError, Line, returns_converter, returns_rows

    header = read_header(header_cells, RETURNS)
    convert = returns_converter(header, "S1")
    compared = 0
    for cells in lines:
        outcomes = []
        for run in (lambda: returns_rows(Line(header, list(cells)), "S1"), lambda: convert(list(cells))):
            try:
                outcomes.append(run())
            except CellError as exc:
                outcomes.append(("error", str(exc)))
        assert outcomes[0] == outcomes[1], cells
        compared += 1
    return compared


def test_the_per_header_converter_makes_what_returns_rows_makes(tmp_path):
    """The converter specialised to a header must make the same rows, and fail on the same cell with the same
    message, as the reference returns_rows: on generated reports in every date style, and on the documented
    sample with each cell in turn set to odd values, under the full header and a minimal one."""
    from bench.amazon_reports import generate
    generate(tmp_path, sellers=4, orders=300, seed=5, as_of=date(2026, 11, 30))
    compared = 0
    for seller in ("S1", "S2", "S3", "S4"):
        header, lines = table((tmp_path / f"{seller}.returns.txt").read_text().rstrip("\n"))
        compared += _same_conversion(header, lines)
    header, lines = table(R)
    for column in header:
        at = header.index(column)
        compared += _same_conversion(header, [[*cells[:at], odd, *cells[at + 1:]] for cells in lines for odd in ODD_CELLS])
    keep = [header.index(c) for c in ("Order ID", "Order date", "Return request date", "Merchant SKU", "Return Reason", "Refunded Amount")]
    compared += _same_conversion([header[i] for i in keep], [[cells[i] for i in keep] for cells in lines])
    compared += _same_conversion(header, [cells[:5] for cells in lines])  # short lines: the missing cells are empty
    extra = [*header, "Refund issued by", "Refund date"]  # columns the sample lacks
    compared += _same_conversion(extra, [[*cells, issuer, date] for cells in lines for issuer in ODD_CELLS
                                         for date in ("", "2026-03-31", "2026-02-01", "x")])
    assert compared > 3000


@pytest.mark.parametrize("seller", ["S1) ON CONFLICT (id) DO NOTHING", "S1 VALUES (1)", "x'), ('y"])
def test_a_seller_id_that_reads_like_sql_is_written_as_it_is(store, tmp_path, monkeypatch, seller):
    """The seller is an SQL literal inside the SQLite statements, also in those of many rows made from the one-row
    statement: its text is never taken for a part of the statement."""
    from store.amazon import writer
    monkeypatch.setattr(writer, "SQLITE_SHAPES", (2, 1))  # the sample's three orders: a statement of two rows
    header, lines = table(RETURNS_SAMPLE)
    path = write(tmp_path / "odd-seller.txt", header, lines)
    first = load(store, path, seller=seller)
    again = load(store, path, seller=seller)
    assert (first.counts.new, again.counts.stored) == (3, 3)
    with store.read() as session:
        assert {o.seller_id for o in session.scalars(select(Order))} == {seller}


def test_a_seller_id_with_a_nul_is_imported_on_sqlite(store, tmp_path, backend):
    """SQLite takes no NUL in a statement's text, so such a seller is bound, not written as a literal (PostgreSQL's
    text holds no NUL at all)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL's text holds no NUL")
    header, lines = table(RETURNS_SAMPLE)
    path = write(tmp_path / "nul.txt", header, lines)
    assert load(store, path, seller="S\x001").counts.new == 3
    with store.read() as session:
        assert {o.seller_id for o in session.scalars(select(Order))} == {"S\x001"}


def test_a_to_z_claims_of_stored_orders_are_set_chunk_by_chunk(store, tmp_path, monkeypatch):
    """After the orders report, the returns report sets the A-to-z claims of stored orders: more claimed orders than a
    lookup chunk are each set, and nothing else changes."""
    from bench.amazon_reports import generate
    from store.amazon import writer
    generate(tmp_path, sellers=1, orders=500, seed=5, as_of=date(2026, 11, 30))

    def run() -> dict[str, list]:
        for kind in ("orders", "returns"):
            load(store, str(tmp_path / f"S1.{kind}.txt"))
        return _everything(store)
    usual = run()
    with store.read() as session:
        claimed = session.scalar(select(func.count()).select_from(Order).where(Order.a_to_z_claim.is_(True)))
    _empty(store)
    monkeypatch.setattr(writer, "LOOKUP_CHUNK", 1)
    marked: list[str] = []
    mark = writer.BatchWriter._mark_claimed
    monkeypatch.setattr(writer.BatchWriter, "_mark_claimed", lambda self, ids: (marked.extend(ids), mark(self, ids))[1])
    assert claimed >= 2 and run() == usual and len(marked) == claimed
