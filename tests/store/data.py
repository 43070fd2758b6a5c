"""Small record builders for store tests (the import format, as dicts)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from store import Store, import_records

UTC = timezone.utc


def at(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD[THH:MM:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _record(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **{k: v for k, v in fields.items() if v is not None}}


def iso(value: str) -> str:
    """'2026-06-01' or '2026-06-01T10:00:00' as an ISO timestamp in UTC."""
    return (value if "T" in value else value + "T12:00:00") + "Z"


def seller(id: str, **fields: Any) -> dict:
    return _record("seller", id=id, name=f"Seller {id}", **fields)


def buyer(id: str, country: str | None = None, tags: list[str] | None = None) -> dict:
    return _record("buyer", id=id, name=f"Buyer {id}", country=country, tags=tags)


def product(id: str, seller_id: str, category: str = "toys", price: str = "20.00", tags: list[str] | None = None) -> dict:
    return _record("product", id=id, seller_id=seller_id, sku=f"SKU-{id}", name=f"Product {id}", category=category, price=price,
                   tags=tags)


def item(id: str, product_id: str, quantity: int = 1, unit_price: str = "20.00") -> dict:
    return {"id": id, "product_id": product_id, "quantity": quantity, "unit_price": unit_price}


def order(id: str, buyer_id: str, seller_id: str, placed: str, items: list[dict], fulfilment: str = "seller",
          delivered: str | None = None, shipping_paid: str | None = None, a_to_z_claim: bool | None = None) -> dict:
    return _record("order", id=id, buyer_id=buyer_id, seller_id=seller_id, fulfilment=fulfilment, placed_at=iso(placed),
                   delivered_at=iso(delivered) if delivered else None, items=items, shipping_paid=shipping_paid,
                   a_to_z_claim=a_to_z_claim)


def shipment(id: str, order_id: str, shipped: str, valid: bool = True) -> dict:
    return _record("shipment", id=id, order_id=order_id, carrier="UPS", tracking_number=f"1Z{id}", tracking_valid=valid,
                   shipped_at=iso(shipped))


def contact(id: str, order_id: str, when: str) -> dict:
    return _record("contact", id=id, order_id=order_id, contacted_at=iso(when), channel="chat")


def return_(id: str, order_item_id: str, requested: str, prepaid_label: bool = True, ships_back: bool = True,
            reason: str = "no_longer_needed", delivered: str | None = None) -> dict:
    return _record("return", id=id, order_item_id=order_item_id, reason=reason, condition="unopened",
                   requested_at=iso(requested), prepaid_label=prepaid_label, ships_back=ships_back,
                   delivered_at=iso(delivered) if delivered else None, condition_received="unopened" if delivered else None)


def refund(id: str, order_item_id: str, issued: str, amount: str = "20.00", issued_by: str = "marketplace",
           auto_refund_late: bool = False) -> dict:
    return _record("refund", id=id, order_item_id=order_item_id, amount=amount, issued_by=issued_by, issued_at=iso(issued),
                   auto_refund_late=auto_refund_late)


def claim(id: str, refund_id: str, filed: str, status: str = "pending", reason: str = "return_not_received",
          reimbursement: str | None = None) -> dict:
    return _record("claim", id=id, refund_id=refund_id, reason=reason, evidence=[], filed_at=iso(filed), status=status,
                   reimbursement=reimbursement)


def load(opened: Store, records: list[dict]) -> None:
    """Import records into the store in one transaction."""
    with opened.write() as session:
        import_records(session, records=records)
