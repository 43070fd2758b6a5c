"""Import of Amazon's seller reports (the returns report and the all-orders report), streamed line by
line and written in batches in the caller's transaction (see docs/import.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy.orm import Session

from ..errors import ImportFailed, StoreError
from ..importer import bulk_load
from ..statistics import refresh_statistics
from .columns import FORMATS, ORDERS, RETURNS, HeaderError, detect, read_header
from .rows import CellError, Line, order_rows, returns_converter
from .writer import BatchWriter, Counts, ensure_seller

__all__ = ["FORMATS", "ORDERS", "RETURNS", "AmazonImport", "import_amazon_report", "report_format"]


@dataclass(frozen=True)
class AmazonImport:
    """What one report file added: its format, lines, and rows per table."""

    path: str
    fmt: str
    counts: Counts

    def summary(self) -> str:
        """One line, e.g. `amazon-returns: 3 lines, 3 returns (2 new, 1 already stored), 2 refunds, 1 SAFE-T claim`."""
        c = self.counts
        main = "returns" if self.fmt == RETURNS else "order lines"
        parts = [f"{c.new + c.stored} {main} ({c.new} new, {c.stored} already stored)"]
        if self.fmt == RETURNS:
            parts += [f"{c.rows['refunds']} refunds", f"{c.rows['claims']} SAFE-T claims"]
        else:
            parts += [f"{c.rows['orders']} orders", f"{c.rows['shipments']} shipments"]
        skipped = f", {c.skipped} cancelled lines skipped" if c.skipped else ""
        return f"{self.path}: {self.fmt}: {c.lines} lines, {', '.join(parts)}{skipped}"


def _lines(path: str, opened: list | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each non-blank line of a tab-separated UTF-8 file, read as a stream (the open
    file is appended to `opened`, if given)."""
    with open(path, "rb") as handle:
        if opened is not None:
            opened.append(handle)
        number = 0
        header: list[str] = []
        for number, raw in enumerate(handle, start=1):
            try:
                decoded = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ImportFailed(path, number, f"the line is not UTF-8 text (byte {exc.start + 1}); "
                                                 "save the report as UTF-8") from None
            decoded = decoded.rstrip("\r\n")
            if "\x00" in decoded:  # PostgreSQL cannot store a NUL (its driver raised on the id lookup) and no report value has one
                raise ImportFailed(path, number, _nul_message(decoded, header))
            if decoded.strip():
                cells = decoded.split("\t")
                if not header:
                    header = cells
                yield number, cells
        if number == 0:
            raise ImportFailed(path, 1, "empty file: expected a header line")


def _nul_message(line: str, header: list[str]) -> str:
    """`column: ...` for the first cell of `line` holding a NUL, the column named as the header spells it."""
    position = line[:line.index("\x00")].count("\t")
    column = header[position].strip() if position < len(header) else f"cell {position + 1}"
    return f"{column}: contains a NUL character (\\x00); a report's values never do: is the file a text report?"


def _read(lines: Iterator[tuple[int, list[str]]], path: str, width: int, convert, writer: BatchWriter) -> None:
    counts, add = writer.counts, writer.add
    for number, cells in lines:
        counts.lines += 1
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise ImportFailed(path, number, f"the line has {len(cells)} cells but the header has {width} "
                                             "(a tab inside a value?)")
        try:
            rows = convert(cells)
        except CellError as exc:
            raise ImportFailed(path, number, str(exc)) from None
        if rows is None:
            counts.skipped += 1
            continue
        add(rows, number)
    writer.flush()


def report_format(path: str) -> str | None:
    """The report a file's header belongs to, or None."""
    for _, cells in _lines(path):
        return detect(cells)
    return None


def import_amazon_report(session: Session, *, path: str, seller_id: str, fmt: str | None = None) -> AmazonImport:
    """Import one Amazon report file for `seller_id` (created if new); `fmt` is detected from the header when
    None. ImportFailed with `PATH:LINE: column: message` on a bad line; the caller rolls back."""
    if fmt is not None and fmt not in FORMATS:
        raise StoreError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    opened: list = []
    lines = _lines(path, opened)
    try:
        _, header_cells = next(lines)
    except StopIteration:
        raise ImportFailed(path, 1, "empty file: expected a header line") from None
    found = detect(header_cells)
    if fmt is None:
        if found is None:
            raise ImportFailed(path, 1, "cannot tell the report from its header: expected Amazon's returns report "
                                        "(Order ID, Return request date, ...) or all-orders report (amazon-order-id, purchase-date, ...); "
                                        "name it with --format")
        fmt = found
    elif found is not None and found != fmt:
        raise ImportFailed(path, 1, f"the header is an {found} report's, not an {fmt} report's")
    try:
        header = read_header(header_cells, fmt)
    except HeaderError as exc:
        raise ImportFailed(path, 1, str(exc)) from None
    ensure_seller(session, seller_id=seller_id)
    size = os.fstat(opened[0].fileno()).st_size
    writer = BatchWriter(session, fmt=fmt, seller_id=seller_id, path=path, header=header,
                         read_fraction=lambda: 1.0 if opened[0].closed or not size else opened[0].tell() / size)
    if fmt == RETURNS:
        convert = returns_converter(header, seller_id)
    else:
        line = Line(header)
        convert = lambda cells: order_rows(line.use(cells), seller_id)  # noqa: E731
    width = header.width
    with bulk_load(session):
        try:
            _read(lines, path, width, convert, writer)
        except BaseException:
            writer.indexes.abandon()
            raise
        writer.indexes.restore()
    refresh_statistics(session, written=writer.counts.rows)
    return AmazonImport(path, fmt, writer.counts)
