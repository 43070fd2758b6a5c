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


# The rows a returns line makes, as one tuple (see returns_rows): the order's, its buyer's and its item's rows are made
# from their fields (buyer_row, order_row, item_row) only when the writer writes them (after the orders report, it writes none).
(ORDER_ID, BUYER_ID, PLACED_AT, CURRENCY, A_TO_Z, PRODUCT, ITEM_ID, ORDERED, UNIT_PRICE, RETURN, REFUND, CLAIM) = range(12)


def returns_rows(line: Line, seller_id: str) -> tuple:
    """The rows one line of a returns report makes, as (order id, buyer id, order date, currency, A-to-z claim, product
    row, order item id, units ordered, unit price, return request row, refund row or None, claim row or None): a
    refund when an amount was refunded, a claim when the line names a SAFE-T claim."""
    order_id = line.value("Order ID", v.identifier, True)
    sku = line.value("Merchant SKU", _sku, True)
    placed_at = line.value("Order date", v.timestamp, True)
    requested_at = line.value("Return request date", v.timestamp, True)
    if requested_at < placed_at:
        raise line.fail("Return request date", f"{requested_at:%Y-%m-%d} is before the Order date {placed_at:%Y-%m-%d}")
    returned_at = line.value("Return delivery date", v.timestamp)
    if returned_at is not None and returned_at < requested_at:
        raise line.fail("Return delivery date", f"{returned_at:%Y-%m-%d} is before the Return request date {requested_at:%Y-%m-%d}")
    reason, condition = line.word("Return Reason", _REASONS, "return reason") or _empty(line, "Return Reason")
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
    a_to_z = line.value("A-to-Z Claim", v.flag, default=False)
    return_row = (row_id("R", item_id), item_id, reason, condition, requested_at, "prepaid" in label and "unpaid" not in label,
                  ships_back, returned_at, None, None, line.value("Amazon RMA ID", v.identifier), line.text("Return Reason")[:200])
    refunded = line.value("Refunded Amount", v.money)
    claim_id = line.value("SafeT claim id", v.identifier)
    refund = claim = None
    if refunded is not None and refunded > 0:
        if line.text("Refund issued by"):
            issued_by, late = line.word("Refund issued by", _RESOLUTIONS, "refund issuer")
        else:  # a resolution the table lacks counts as the marketplace's refund (see DEFAULT_RESOLUTION)
            issued_by, late = _RESOLUTIONS.get(key(resolution_text), DEFAULT_RESOLUTION)
        issued_at = line.value("Refund date", v.timestamp) or returned_at or requested_at
        if issued_at < placed_at:
            raise line.fail("Refund date", f"{issued_at:%Y-%m-%d} is before the Order date {placed_at:%Y-%m-%d}")
        refund = (row_id("F", item_id), item_id, refunded, ZERO, issued_by, issued_at, late, None, resolution_text[:64] or None)
    if claim_id is not None:
        if refund is None:
            raise line.fail("SafeT claim id", "names a SAFE-T claim, but the line has no Refunded Amount to claim")
        state = line.word("SafeT claim state", _SAFET_STATES, "SAFE-T claim state", "pending")
        claim = (row_id("SAFET", claim_id), refund[0],
                 line.word("SafeT Action reason", _SAFET_REASONS, "SAFE-T action reason") or _missing(line, "SafeT Action reason"),
                 [], line.value("SafeT claim creation time", v.timestamp, True), state,
                 line.value("SafeT claim reimbursement amount", v.money), None, claim_id, line.text("SafeT claim state")[:64] or None)
    return (order_id, row_id("amz", order_id), placed_at, currency, a_to_z, product, item_id, ordered, unit_price, return_row, refund, claim)


def buyer_name(order_id: str) -> str:
    """The name an Amazon order's buyer is stored with (the reports do not name buyers)."""
    return f"Amazon buyer, order {order_id}"


def buyer_row(rows: tuple) -> tuple:
    """The buyer row of a returns line's `rows` (returns_rows' tuple)."""
    return (rows[BUYER_ID], buyer_name(rows[ORDER_ID]), None)


def order_row(rows: tuple, seller_id: str, a_to_z: bool) -> tuple:
    """The order row of a returns line's `rows`, with the A-to-z claim of all its lines."""
    return (rows[ORDER_ID], rows[BUYER_ID], seller_id, "seller", rows[PLACED_AT], None, None, rows[CURRENCY], ZERO, a_to_z)


def item_row(rows: tuple) -> tuple:
    """The order item row of a returns line's `rows`."""
    return (rows[ITEM_ID], rows[ORDER_ID], rows[PRODUCT][0], rows[ORDERED], rows[UNIT_PRICE])


def returns_converter(header: Header, seller_id: str) -> Callable[[list[str]], tuple]:
    """`returns_rows` specialised to one file's header: the cells are read by position and each distinct cell
    text is parsed once (reports repeat a few thousand dates, amounts and words). A line it is not sure of
    (a cell that fails to parse, an empty required cell, dates out of order) goes to `returns_rows`, which
    makes the same rows and raises the located errors; a test compares the two."""
    line = Line(header)
    at = line._index
    width = header.width
    positions = tuple(at[name] for name in ("Order ID", "Merchant SKU", "Order date", "Return request date", "Return delivery date",
                                            "Return Reason", "Currency code", "Order quantity", "Return quantity", "Order Amount",
                                            "Category", "Label type", "Resolution", "Return type", "Item Name", "A-to-Z Claim",
                                            "Amazon RMA ID", "Refunded Amount", "SafeT claim id", "Refund issued by", "Refund date",
                                            "SafeT Action reason", "SafeT claim state", "SafeT claim creation time",
                                            "SafeT claim reimbursement amount"))
    (order_c, sku_c, placed_c, requested_c, returned_c, reason_c, currency_c, ordered_c, returned_qty_c, amount_c,
     category_c, label_c, resolution_c, type_c, name_c, a_to_z_c, rma_c, refunded_c, claim_c, issuer_c, refund_date_c,
     safet_reason_c, safet_state_c, filed_c, reimbursement_c) = positions
    # Every column the fast path reads is in the header: no cell past the header's width is read, so a line is padded
    # only when it is short (IndexError: the line goes to returns_rows, which pads it).
    complete = max(positions) < width

    def memo(parse: Callable[[str], Any], empty: Any = _REQUIRED) -> Callable[[str], Any]:
        """A reader of one kind of cell: the raw cell -> its value (`empty` for a blank cell; _Unsure when it does not
        parse or a required cell is blank), remembered per distinct raw text (at most 50,000, like the caches in
        values.py). A dict's own lookup: a cell read before costs no Python call."""
        known = _Memo()
        known.parse, known.empty = parse, empty
        return known.__getitem__

    def with_text(parse: Callable[[str], Any]) -> Callable[[str], Any]:
        return lambda text: (parse(text), text[:200])

    required_time, optional_time = memo(v.timestamp), memo(v.timestamp, None)
    optional_money = memo(v.money, None)
    order_amount_of = memo(v.money, ZERO)
    reason_of = memo(with_text(_reason))  # (reason, condition), the stripped text
    currency_of = memo(v.currency, None)
    quantity_of = memo(v.quantity, None)
    category_of = memo(v.category_code, UNCATEGORIZED)
    a_to_z_of = memo(v.flag, False)
    issuer_of = memo(_issuer, None)
    resolution_of = memo(lambda text: (_RESOLUTIONS.get(key(text), DEFAULT_RESOLUTION), text[:64] or None),
                         (DEFAULT_RESOLUTION, None))  # (issuer, the text kept), the issuer a blank Resolution gives
    safet_reason_of = memo(_safet_reason)
    safet_state_of = memo(lambda text: (_safet_state(text), text[:64]), ("pending", None))
    labels: dict[tuple[str, str, str], tuple[bool, bool]] = {}
    shares: dict[tuple[Decimal, int], Decimal] = {}
    products: dict[tuple, tuple] = {}

    sales: dict[tuple[str, ...], tuple] = {}

    def sale(sku_raw: str, name: str, category_raw: str, amount_raw: str, ordered_raw: str, returned_qty_raw: str,
             currency_raw: str) -> Any:
        """(product row, units ordered, unit price, currency) from their cells; _Unsure for a cell it cannot read."""
        sku = sku_raw.strip()
        currency, ordered = currency_of(currency_raw), quantity_of(ordered_raw)
        if ordered is None:
            ordered = quantity_of(returned_qty_raw) or 1
        order_amount, category = order_amount_of(amount_raw), category_of(category_raw)
        if not sku or len(sku) > 40:
            raise _Unsure
        unit_price = shares.get((order_amount, ordered))
        if unit_price is None:
            if len(shares) >= 50_000:
                shares.clear()
            unit_price = shares[(order_amount, ordered)] = v.share(order_amount, ordered)
        product = products.get((sku, name, category, unit_price))
        if product is None:
            if len(products) >= 50_000:
                products.clear()
            product = products[(sku, name, category, unit_price)] = _product(seller_id, sku, name.strip(), category, unit_price)
        return product, ordered, unit_price, currency

    def slow(cells: list[str]) -> tuple:
        return returns_rows(line.use(cells), seller_id)

    def convert(cells: list[str]) -> tuple:
        try:
            if not complete:
                missing = width + 1 - len(cells)
                if missing > 0:
                    cells.extend([""] * missing)
                else:
                    cells[width] = ""
            order_id = cells[order_c].strip()
            placed_at, requested_at, returned_at = required_time(cells[placed_c]), required_time(cells[requested_c]), optional_time(cells[returned_c])
            reason = reason_of(cells[reason_c])
            # The product's cells and the order's money repeat together line after line: read as one.
            sold_key = (cells[sku_c], cells[name_c], cells[category_c], cells[amount_c], cells[ordered_c], cells[returned_qty_c],
                        cells[currency_c])
            sold = sales.get(sold_key)
            if sold is None:
                sold = sale(*sold_key)
                if len(sales) >= 50_000:
                    sales.clear()
                sales[sold_key] = sold
            product, ordered, unit_price, currency = sold
            a_to_z = a_to_z_of(cells[a_to_z_c])
            rma = cells[rma_c].strip()  # (a distinct RMA id on every line: not worth a memo)
            refunded = optional_money(cells[refunded_c])
            if (not order_id or len(order_id) > 64 or len(rma) > 64 or requested_at < placed_at
                    or (returned_at is not None and returned_at < requested_at)):
                return slow(cells)
            resolution_raw = cells[resolution_c]
            key_of = (cells[label_c], resolution_raw, cells[type_c])
            label = labels.get(key_of)
            if label is None:
                if len(labels) >= 50_000:
                    labels.clear()
                label = labels[key_of] = _label_and_shipping(*(text.strip() for text in key_of))
            item_id, buyer_id = f"{order_id}:{product[2]}", f"amz:{order_id}"  # row_id's, unless too long
            if len(item_id) > 62:
                item_id, buyer_id = row_id(order_id, product[2]), row_id("amz", order_id)
            return_id, refund_id = (f"R:{item_id}", f"F:{item_id}") if len(item_id) <= 62 else (row_id("R", item_id), row_id("F", item_id))
            claim_id = cells[claim_c].strip()
            refund = claim = None
            if refunded is not None and refunded > ZERO:
                resolution = resolution_of(resolution_raw)
                issuer = issuer_of(cells[issuer_c]) or resolution[0]
                issued_at = optional_time(cells[refund_date_c]) or returned_at or requested_at
                if issued_at < placed_at:
                    return slow(cells)
                refund = (refund_id, item_id, refunded, ZERO, issuer[0], issued_at, issuer[1], None, resolution[1])
                if claim_id:
                    if len(claim_id) > 64:
                        return slow(cells)
                    state = safet_state_of(cells[safet_state_c])
                    claim = (row_id("SAFET", claim_id), refund_id, safet_reason_of(cells[safet_reason_c]), [],
                             required_time(cells[filed_c]), state[0], optional_money(cells[reimbursement_c]), None, claim_id, state[1])
            elif claim_id:
                return slow(cells)
        except (_Unsure, IndexError):  # a cell that does not parse, a blank required one, a short line
            return slow(cells)
        return (order_id, buyer_id, placed_at, currency, a_to_z, product, item_id, ordered, unit_price,
                (return_id, item_id, reason[0][0], reason[0][1], requested_at, label[0], label[1], returned_at, None, None, rma or None,
                 reason[1]),
                refund, claim)

    return convert


class _Unsure(Exception):
    """A cell the fast path leaves to returns_rows (which reports the error, if any)."""


_REQUIRED = object()  # a memo's `empty` for a cell that must not be blank


class _Memo(dict):
    """Raw cell -> value; a cell not read before is parsed by __missing__ (see returns_converter's memo)."""

    __slots__ = ("parse", "empty")

    def __missing__(self, raw: str) -> Any:
        text = raw.strip()
        if not text:
            if self.empty is _REQUIRED:
                raise _Unsure
            found = self.empty
        else:
            try:
                found = self.parse(text)
            except Bad:
                raise _Unsure from None  # not remembered
        if len(self) >= 50_000:
            self.clear()
        self[raw] = found
        return found


def _reason(text: str) -> tuple[str, str]:
    found = _REASONS.get(key(text))
    if found is None:
        raise Bad("unknown")
    return found


def _issuer(text: str) -> tuple[str, bool]:
    found = _RESOLUTIONS.get(key(text))
    if found is None:
        raise Bad("unknown")
    return found


def _safet_reason(text: str) -> str:
    found = _SAFET_REASONS.get(key(text))
    if found is None:
        raise Bad("unknown")
    return found


def _safet_state(text: str) -> str:
    found = _SAFET_STATES.get(key(text))
    if found is None:
        raise Bad("unknown")
    return found


def _label_and_shipping(label_text: str, resolution_text: str, type_text: str) -> tuple[bool, bool]:
    """(prepaid_label, ships_back) from the Label type, Resolution and Return type cells."""
    label = key(label_text)
    return ("prepaid" in label and "unpaid" not in label,
            "returnless" not in key(resolution_text) and "returnless" not in key(type_text))


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
        "buyers": (row_id("amz", order_id), buyer_name(order_id), country),
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
