"""A NUL character in imported text is an error on its line (and column), on SQLite and PostgreSQL alike:
PostgreSQL cannot store one, and its driver raised on the importers' id lookups instead of a located error."""
from __future__ import annotations

import json

import pytest

from store import ImportFailed, import_paths
from store.amazon import import_amazon_report
from store.models import Base

from .amazon_files import ORDERS_SAMPLE, RETURNS_SAMPLE, with_cell, write


def _nothing_stored(store) -> bool:
    with store.read() as session:
        return not any(session.execute(table.select()).first() for table in Base.metadata.sorted_tables
                       if table.name in ("sellers", "orders", "order_items", "products", "return_requests", "refunds"))


@pytest.mark.parametrize("sample, line, column", [
    (RETURNS_SAMPLE, 3, "Order ID"),        # an id: the batch's lookup of stored orders raised on PostgreSQL
    (RETURNS_SAMPLE, 4, "Item Name"),       # text
    (ORDERS_SAMPLE, 2, "sku"),
])
def test_a_nul_in_an_amazon_report_names_its_line_and_column(store, tmp_path, sample, line, column):
    path = write(tmp_path / "report.txt", *with_cell(sample, line, column, "A\x00B"))
    with pytest.raises(ImportFailed) as caught:
        with store.write() as session:
            import_amazon_report(session, path=path, seller_id="S1")
    assert str(caught.value).startswith(f"{path}:{line}: {column}: contains a NUL character")
    assert _nothing_stored(store)


@pytest.mark.parametrize("record, message", [
    ({"type": "seller", "id": "S\x001", "name": "Acme"}, "field 'id' must be an id (1 to 64 characters, no surrounding spaces or "
                                                          "control characters)"),
    ({"type": "seller", "id": "S\x1b1", "name": "Acme"}, "field 'id' must be an id"),
    ({"type": "seller", "id": "S1", "name": "Ac\x00me"}, "field 'name' must not contain a NUL character"),
])
def test_a_nul_or_control_character_in_a_record_names_its_line(store, tmp_path, record, message):
    path = tmp_path / "sellers.jsonl"
    path.write_text(json.dumps({"type": "seller", "id": "S0", "name": "first"}) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(ImportFailed) as caught:
        with store.write() as session:
            import_paths(session, paths=[str(path)])
    assert str(caught.value).startswith(f"{path}:2: ") and message in str(caught.value), str(caught.value)
    assert _nothing_stored(store)


def test_ids_with_other_unicode_still_import(store, tmp_path):
    path = tmp_path / "sellers.jsonl"
    path.write_text(json.dumps({"type": "seller", "id": "Sé\u00a01", "name": "Ac\tme"}) + "\n")
    with store.write() as session:
        assert import_paths(session, paths=[str(path)]).new["seller"] == 1
