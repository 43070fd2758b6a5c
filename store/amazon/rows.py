"""One report line into store rows: what each column of Amazon's two reports becomes."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..records import Bad
from . import values as v
from .columns import Header
from .words import CHANNELS, DEFAULT_RESOLUTION, RESOLUTIONS, RETURN_REASONS, SAFET_REASONS, SAFET_STATES, key, keyed

ZERO = Decimal("0.00")
UNCATEGORIZED = "uncategorized"
_REASONS = keyed(RETURN_REASONS)
_SAFET_REASONS = keyed(SAFET_REASONS)
_SAFET_STATES = keyed(SAFET_STATES)
_RESOLUTIONS = keyed(RESOLUTIONS)
_CHANNELS = keyed(CHANNELS)
SKIPPED_ORDER_STATUSES = frozenset(("cancelled", "canceled"))
SHIPPED_STATUSES = frozenset(("shipped", "delivered", "partiallyshipped", "shipping"))


class CellError(ValueError):
    """A bad cell: the column as the file spells it, and what is wrong."""

    def __init__(self, column: str, message: str):
        super().__init__(f"{column}: {message}")
        self.column = column


def row_id(*parts: str) -> str:
    """A store id made of report ids (so importing again finds the same rows), at most 64 characters."""
    joined = ":".join(parts)
    if len(joined) <= 64:
        return joined
    return joined[:47] + "~" + hashlib.blake2b(joined.encode(), digest_size=8).hexdigest()


class Line:
    """A report line's cells, read by documented column name; one Line serves a whole file (`use` sets the cells)."""

    __slots__ = ("header", "cells", "_index")

    def __init__(self, header: Header, cells: list[str] | None = None):
        self.header = header
        # An absent column reads the cell one past the header's width, which use() keeps empty.
        self._index = {name: (header.width if i is None else i) for name, i in header.index.items()}
        self.cells: list[str] = []
        if cells is not None:
            self.use(cells)

    def use(self, cells: list[str]) -> "Line":
        """Read `cells` from now on (padded: a short line's missing cells are empty)."""
        missing = self.header.width + 1 - len(cells)
        if missing > 0:
            cells.extend([""] * missing)
        else:
            cells[self.header.width] = ""
        self.cells = cells
        return self

    def text(self, name: str) -> str:
        """The cell's text, stripped; "" when the column is absent or the cell empty."""
        return self.cells[self._index[name]].strip()

    def value(self, name: str, parse: Callable[[str], Any], required: bool = False, default: Any = None) -> Any:
        """The cell parsed; CellError naming the column when it is bad, or empty and required."""
        text = self.cells[self._index[name]].strip()
        if not text:
            if required:
                raise CellError(self.header.label(name), "is empty")
            return default
        try:
            return parse(text)
        except Bad as exc:
            raise CellError(self.header.label(name), str(exc)) from None

    def word(self, name: str, table: dict, what: str, default: Any = None) -> Any:
        """The cell looked up in one of the words tables; CellError for a word the table lacks."""
        text = self.cells[self._index[name]].strip()
        if not text:
            return default
        found = table.get(key(text))
        if found is None:
            raise CellError(self.header.label(name), f"unknown {what} {text[:60]!r} (the words Amazon uses are listed in docs/import.md)")
        return found

    def fail(self, name: str, message: str) -> CellError:
        """A CellError for `name`'s column."""
        return CellError(self.header.label(name), message)


def _sku(text: str) -> str:
    return v.identifier(text, 40)


def _product(seller_id: str, sku: str, name: str | None, category: str, price: Decimal) -> tuple:
    return (row_id(seller_id, sku), seller_id, sku, (name or sku)[:200], category, price)


def returns_rows(line: Line, seller_id: str) -> dict[str, tuple]:
    """The rows one line of a returns report makes: buyer, product, order, order item, return request,
    refund (when an amount was refunded) and claim (when it names a SAFE-T claim)."""
    order_id = line.value("Order ID", v.identifier, True)
    sku = line.value("Merchant SKU", _sku, True)
    placed_at = line.value("Order date", v.timestamp, True)
    requested_at = line.value("Return request date", v.timestamp, True)
    if requested_at < placed_at:
        raise line.fail("Return request date", f"{requested_at:%Y-%m-%d} is before the Order date {placed_at:%Y-%m-%d}")
    returned_at = line.value("Return delivery date", v.timestamp)
    if returned_at is not None and returned_at < requested_at:
        raise line.fail("Return delivery date", f"{returned_at:%Y-%m-%d} is before the Return request date {requested_at:%Y-%m-%d}")
    reason, condition = line.word("Return Reason", _REASONS, "return reason")
    currency = line.value("Currency code", v.currency)
    ordered = line.value("Order quantity", v.quantity) or line.value("Return quantity", v.quantity, default=1)
    order_amount = line.value("Order Amount", v.money, default=ZERO)
    unit_price = v.share(order_amount, ordered)
    category = line.value("Category", v.category_code, default=UNCATEGORIZED)
    label = key(line.text("Label type"))
    resolution_text = line.text("Resolution")
    ships_back = "returnless" not in key(resolution_text) and "returnless" not in key(line.text("Return type"))
    item_id = row_id(order_id, sku)
    product = _product(seller_id, sku, line.text("Item Name"), category, unit_price)
    rows: dict[str, Any] = {
        "buyers": (row_id("amz", order_id), f"Amazon buyer, order {order_id}", None),
        "products": product,
        "orders": (order_id, row_id("amz", order_id), seller_id, "seller", placed_at, None, None, currency, ZERO,
                   line.value("A-to-Z Claim", v.flag, default=False)),
        "order_items": (item_id, order_id, product[0], ordered, unit_price),
        "return_requests": (row_id("R", item_id), item_id, reason, condition, requested_at,
                            "prepaid" in label and "unpaid" not in label, ships_back, returned_at, None, None,
                            line.value("Amazon RMA ID", v.identifier), line.text("Return Reason")[:200]),
    }
    refunded = line.value("Refunded Amount", v.money)
    claim_id = line.value("SafeT claim id", v.identifier)
    if refunded is not None and refunded > 0:
        if line.text("Refund issued by"):
            issued_by, late = line.word("Refund issued by", _RESOLUTIONS, "refund issuer")
        else:  # a resolution the table lacks counts as the marketplace's refund (see DEFAULT_RESOLUTION)
            issued_by, late = _RESOLUTIONS.get(key(resolution_text), DEFAULT_RESOLUTION)
        issued_at = line.value("Refund date", v.timestamp) or returned_at or requested_at
        if issued_at < placed_at:
            raise line.fail("Refund date", f"{issued_at:%Y-%m-%d} is before the Order date {placed_at:%Y-%m-%d}")
        rows["refunds"] = (row_id("F", item_id), item_id, refunded, ZERO, issued_by, issued_at, late, None, resolution_text[:64] or None)
    if claim_id is not None:
        if "refunds" not in rows:
            raise line.fail("SafeT claim id", "names a SAFE-T claim, but the line has no Refunded Amount to claim")
        state = line.word("SafeT claim state", _SAFET_STATES, "SAFE-T claim state", "pending")
        rows["claims"] = (row_id("SAFET", claim_id), rows["refunds"][0],
                          line.word("SafeT Action reason", _SAFET_REASONS, "SAFE-T action reason") or _missing(line, "SafeT Action reason"),
                          [], line.value("SafeT claim creation time", v.timestamp, True), state,
                          line.value("SafeT claim reimbursement amount", v.money), None, claim_id,
                          line.text("SafeT claim state")[:64] or None)
    return rows


def _missing(line: Line, name: str):
    raise line.fail(name, "is empty, but the line names a SAFE-T claim")


def order_rows(line: Line, seller_id: str) -> dict[str, Any] | None:
    """The rows one line of an orders report makes (buyer, product, order, order item, and a shipment
    for a shipped order), or None for a cancelled line or one with quantity 0."""
    order_id = line.value("amazon-order-id", v.identifier, True)
    sku = line.value("sku", _sku, True)
    placed_at = line.value("purchase-date", v.timestamp, True)
    status = key(line.value("order-status", str, True))
    fulfilment = line.word("fulfillment-channel", _CHANNELS, "fulfillment channel") or _empty(line, "fulfillment-channel")
    quantity = line.value("quantity", v.count, True)
    updated_at = line.value("last-updated-date", v.timestamp)
    if updated_at is not None and updated_at < placed_at:
        raise line.fail("last-updated-date", f"{updated_at:%Y-%m-%d} is before the purchase-date {placed_at:%Y-%m-%d}")
    currency = line.value("currency", v.currency)
    item_price = line.value("item-price", v.money, default=ZERO)
    shipping = line.value("shipping-price", v.money, default=ZERO)
    country = line.value("ship-country", v.country)
    if status in SKIPPED_ORDER_STATUSES or quantity == 0 or key(line.text("item-status")) in SKIPPED_ORDER_STATUSES:
        return None
    unit_price = v.share(item_price, quantity)  # item-price is the line's price for all its units
    category = line.value("category", v.category_code, default=UNCATEGORIZED)
    item_id = row_id(order_id, sku)
    product = _product(seller_id, sku, line.text("product-name"), category, unit_price)
    rows: dict[str, Any] = {
        "buyers": (row_id("amz", order_id), f"Amazon buyer, order {order_id}", country),
        "products": product,
        "orders": (order_id, row_id("amz", order_id), seller_id, fulfilment, placed_at, None, None, currency, shipping, False),
        "order_items": (item_id, order_id, product[0], quantity, unit_price),
    }
    if status in SHIPPED_STATUSES or key(line.text("item-status")) in SHIPPED_STATUSES:
        # The orders report has no tracking: the shipment counts, its tracking is not known to be valid.
        rows["shipments"] = (row_id("SH", order_id), order_id, line.text("ship-service-level")[:64] or "unknown", None, False,
                             updated_at or placed_at, None)
    return rows


def _empty(line: Line, name: str):
    raise line.fail(name, "is empty")
