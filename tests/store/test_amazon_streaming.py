"""Amazon reports are imported as a stream: the memory an import needs does not grow with the file (three times
the lines, the same peak), on SQLite and PostgreSQL. Python's allocations are traced, not the database's."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from store import open_store
from store.amazon import import_amazon_report, writer

from .amazon_files import ORDERS_SAMPLE, RETURNS_SAMPLE, table

MiB = 2 ** 20
BATCH = 500
SHAPES = {"amazon-orders": (ORDERS_SAMPLE, "amazon-order-id", "sku"), "amazon-returns": (RETURNS_SAMPLE, "Order ID", "Merchant SKU")}


def _report(path: Path, fmt: str, lines: int, tag: int) -> str:
    """`lines` lines like the docs sample's first, each its own order (`tag` keeps the files' orders apart)."""
    sample, order_column, sku_column = SHAPES[fmt]
    header, rows = table(sample)
    first, order_at, sku_at = rows[0], header.index(order_column), header.index(sku_column)
    with path.open("w", encoding="utf-8") as out:
        out.write("\t".join(header) + "\n")
        for n in range(lines):
            cells = list(first)
            cells[order_at], cells[sku_at] = f"{tag:03d}-{n:07d}-0000001", f"SKU-{n % 300}"
            out.write("\t".join(cells) + "\n")
    return str(path)


def _peak(store, path: str, seller: str) -> int:
    tracemalloc.start()
    try:
        with store.write() as session:
            done = import_amazon_report(session, path=path, seller_id=seller)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert done.counts.new == done.counts.lines


@pytest.mark.parametrize("fmt", SHAPES)
def test_three_times_the_lines_need_no_more_memory(store, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(writer, "BATCH_LINES", BATCH)  # batches of 500 lines instead of 5,000: the same code, 10x fewer lines
    _peak(store, _report(tmp_path / "warm.txt", fmt, 50, 1), "S1")  # caches and compiled statements
    small = _peak(store, _report(tmp_path / "small.txt", fmt, 2 * BATCH + 100, 2), "S2")
    large = _peak(store, _report(tmp_path / "large.txt", fmt, 6 * BATCH + 300, 3), "S3")
    # Holding the rows of the 2,200 more lines would add about 3 MiB (the check below); streamed, the peak is ~1 MiB.
    assert large - small < MiB / 2, (small / MiB, large / MiB)


def test_the_check_sees_a_file_held_whole(tmp_path, monkeypatch):
    """The same measure with every line in one batch (as if the importer read the file whole) grows,
    so the test above would see it (SQLite only: it checks the measure, not the store)."""
    store = open_store(f"sqlite:///{tmp_path / 'whole.sqlite3'}")
    small = _peak(store, _report(tmp_path / "small.txt", "amazon-returns", 2 * BATCH + 100, 2), "S2")
    monkeypatch.setattr(writer, "BATCH_LINES", 10 ** 9)
    large = _peak(store, _report(tmp_path / "large.txt", "amazon-returns", 6 * BATCH + 300, 3), "S3")
    store.close()
    assert large - small > 2 * MiB, (small / MiB, large / MiB)
