"""The bad-cell classes of Amazon reports that tests/store/test_amazon_import.py does not list: each is an error on
its line naming its column as the file spells it, and nothing of the file is written, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from store import ImportFailed
from store.amazon import import_amazon_report
from store.models import Base

from .amazon_files import ORDERS_SAMPLE, RETURNS_SAMPLE, table, write

EXTRA = ["Refund date", "Refund issued by", "Category"]  # columns some returns reports add


def _returns_with(line: int, column: str, value: str) -> tuple[list[str], list[list[str]]]:
    header, lines = table(RETURNS_SAMPLE)
    header = header + EXTRA
    lines = [cells + ["", "", "Outdoors"] for cells in lines]
    lines[line - 2][header.index(column)] = value
    return header, lines


def _orders_with(line: int, column: str, value: str) -> tuple[list[str], list[list[str]]]:
    header, lines = table(ORDERS_SAMPLE)
    header = header + ["category"]
    lines = [cells + ["Outdoors"] for cells in lines]
    lines[line - 2][header.index(column)] = value
    return header, lines


BAD = [
    # (report, line, column, value, expected message after "PATH:LINE: ")
    ("returns", 2, "Refund issued by", "The butler", "Refund issued by: unknown refund issuer 'The butler'"),
    ("returns", 2, "Refund date", "2026-02-01", "Refund date: 2026-02-01 is before the Order date 2026-03-01"),
    ("returns", 3, "Refund date", "soon", "Refund date: is not a date or time Amazon writes: 'soon'"),
    ("returns", 4, "Category", "123", "Category: must be a category name starting with a letter, got '123'"),
    ("returns", 2, "Amazon RMA ID", "R" * 65, "Amazon RMA ID: must be an id of 1 to 64 characters"),
    ("returns", 3, "Order Amount", "lots", "Order Amount: is not an amount of money: 'lots'"),
    ("returns", 3, "SafeT claim reimbursement amount", "-3", "SafeT claim reimbursement amount: must not be negative, got '-3'"),
    ("returns", 3, "SafeT claim creation time", "tomorrow", "SafeT claim creation time: is not a date or time Amazon writes"),
    ("orders", 2, "order-status", "", "order-status: is empty"),
    ("orders", 3, "quantity", "", "quantity: is empty"),
    ("orders", 2, "currency", "Dollars", "currency: must be a three-letter currency code such as USD, got 'Dollars'"),
    ("orders", 2, "shipping-price", "free", "shipping-price: is not an amount of money: 'free'"),
    ("orders", 5, "category", "%%", "category: must be a category name starting with a letter, got '%%'"),
]


@pytest.mark.parametrize("report, line, column, value, message", BAD, ids=[f"{r}:{c}" for r, _, c, _, _ in BAD])
def test_each_bad_cell_names_its_line_and_column_and_nothing_is_written(store, tmp_path, report, line, column, value, message):
    cells = _returns_with(line, column, value) if report == "returns" else _orders_with(line, column, value)
    path = write(tmp_path / f"{report}.txt", *cells)
    with pytest.raises(ImportFailed) as caught:
        with store.write() as session:
            import_amazon_report(session, path=path, seller_id="S1")
    assert str(caught.value).startswith(f"{path}:{line}: {message}"), str(caught.value)
    with store.read() as session:
        assert not any(session.execute(Base.metadata.tables[t].select()).first() for t in ("sellers", "orders", "refunds"))


def test_the_extra_columns_import_when_good(store, tmp_path):
    header, lines = _returns_with(2, "Refund issued by", "SellerRefund")
    lines[1][header.index("Refund date")] = "2026-03-21"
    with store.write() as session:
        done = import_amazon_report(session, path=write(tmp_path / "returns.txt", header, lines), seller_id="S1")
    assert done.counts.new == 3
