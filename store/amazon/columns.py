"""The columns of Amazon's two flat-file reports, found in a header however the file spells them."""
from __future__ import annotations

import re
from dataclasses import dataclass

RETURNS = "amazon-returns"
ORDERS = "amazon-orders"
FORMATS = (RETURNS, ORDERS)


@dataclass(frozen=True)
class Column:
    """A report column: its documented name, whether a file must have it, other names files use."""

    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


def column_key(header: str) -> str:
    """A header cell reduced to letters and digits: "SafeT claim ID", "Safe-T Claim Id" and "safet_claim_id" agree."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


RETURN_COLUMNS = (
    Column("Order ID", True), Column("Order date", True), Column("Return request date", True),
    Column("Return request status"), Column("Amazon RMA ID"), Column("Merchant RMA ID"), Column("Label type"),
    Column("Label cost"), Column("Currency code", aliases=("Currency",)), Column("Return carrier"), Column("Tracking ID"),
    Column("Label to be paid by"), Column("A-to-Z Claim", aliases=("AtoZ claim",)), Column("Is prime"), Column("ASIN"),
    Column("Merchant SKU", True, ("SKU", "Seller SKU")), Column("Item Name", aliases=("Product name",)),
    Column("Return quantity"), Column("Return Reason", True, ("Reason",)), Column("In policy"), Column("Return type"),
    Column("Resolution"), Column("Invoice number"), Column("Return delivery date"), Column("Order Amount"),
    Column("Order quantity"), Column("SafeT Action reason"), Column("SafeT claim id"), Column("SafeT claim state"),
    Column("SafeT claim creation time"), Column("SafeT claim reimbursement amount"), Column("Refunded Amount"),
    # Columns some files carry beyond the documented ones.
    Column("Category", aliases=("Product category",)), Column("Order Item ID"),
    Column("Refund date", aliases=("Refunded date", "Refund issued date")), Column("Refund issued by", aliases=("Refunded by",)),
)

ORDER_COLUMNS = (
    Column("amazon-order-id", True), Column("merchant-order-id"), Column("purchase-date", True), Column("last-updated-date"),
    Column("order-status", True), Column("fulfillment-channel", True), Column("sales-channel"), Column("order-channel"),
    Column("url"), Column("ship-service-level"), Column("product-name"), Column("sku", True), Column("asin"),
    Column("item-status"), Column("quantity", True), Column("currency"), Column("item-price"), Column("item-tax"),
    Column("shipping-price"), Column("shipping-tax"), Column("gift-wrap-price"), Column("gift-wrap-tax"),
    Column("item-promotion-discount"), Column("ship-promotion-discount"), Column("ship-city"), Column("ship-state"),
    Column("ship-postal-code"), Column("ship-country"), Column("promotion-ids"), Column("is-business-order"),
    Column("purchase-order-number"), Column("price-designation"), Column("category"),
)

SPECS = {RETURNS: RETURN_COLUMNS, ORDERS: ORDER_COLUMNS}
# A header with these columns is that report (detection when --format is not given).
SIGNATURES = {RETURNS: ("orderid", "returnrequestdate"), ORDERS: ("amazonorderid", "purchasedate")}


class HeaderError(ValueError):
    """The header is not usable; the message names the column."""


@dataclass(frozen=True)
class Header:
    """Where each known column is in a file (None when absent) and how the file spells it."""

    width: int
    index: dict[str, int | None]
    spelled: dict[str, str]

    def label(self, name: str) -> str:
        """The column as the file writes it (for error messages), or its documented name."""
        return self.spelled.get(name, name)


def detect(cells: list[str]) -> str | None:
    """The report a header belongs to, or None."""
    keys = {column_key(cell) for cell in cells}
    for fmt, signature in SIGNATURES.items():
        if all(k in keys for k in signature):
            return fmt
    return None


def read_header(cells: list[str], fmt: str) -> Header:
    """Locate the report's columns; unknown columns are ignored (files carry extra ones). HeaderError when
    a required column is missing or a column appears twice."""
    lookup: dict[str, str] = {}
    for column in SPECS[fmt]:
        for spelling in (column.name, *column.aliases):
            lookup[column_key(spelling)] = column.name
    index: dict[str, int | None] = {column.name: None for column in SPECS[fmt]}
    spelled: dict[str, str] = {}
    for position, cell in enumerate(cells):
        name = lookup.get(column_key(cell))
        if name is None:
            continue
        if index[name] is not None:
            raise HeaderError(f"{cell.strip()}: the column appears twice (also as {spelled[name]!r})")
        index[name] = position
        spelled[name] = cell.strip()
    for column in SPECS[fmt]:
        if column.required and index[column.name] is None:
            raise HeaderError(f"{column.name}: missing column (a {fmt} report needs "
                              f"{', '.join(c.name for c in SPECS[fmt] if c.required)})")
    return Header(len(cells), index, spelled)
