"""Demo data for `refundbot demo`: deterministic records dated relative to today, and the refund
requests and claims the demo then decides with the real engine (the bot command does that part).

Sellers are built to land in different tiers under policy/default.yaml: S1 with few contacts and
perfect tracking (free), S2 with about 15% contacts per unit (silver), S3 with a fifth of its
tracking invalid (not eligible) and S4 with too few units to be assessed (low volume).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

DEMO_SEED = 20261122
BUYERS = {"B1": "Ann Lee", "B2": "Ben Okafor", "B3": "Chloe Martin", "B4": "Dev Patel", "B5": "Eva Novak", "B6": "Farid Haddad"}
# The sellers' volume comes from background customers, so the named buyers' chats stay short.
CUSTOMERS = {f"B{n}": f"Customer {n}" for n in range(100, 160)}
# What each named buyer has bought: (product id, days since delivery).
PERSONA_ORDERS = {
    "B1": (("P11", 4), ("P21", 12), ("P31", 6), ("P22", 45)),   # sleeping bag, lamp, headphones, a sweater past the window
    "B2": (("P12", 8), ("P32", 3), ("P33", 5)),                 # boots, software, a cheap cable
    "B3": (("P13", 2), ("P23", 7), ("P42", 40)),                # batteries, soap (not returnable), a puzzle (45-day window)
    "B4": (("P41", 10), ("P31", 2)),                            # a personalized board, headphones
    "B5": (("P21", 3), ("P11", 9)),
    "B6": (("P22", 6),),
}


@dataclass(frozen=True)
class DemoSeller:
    """A demo seller: its products (id, name, category, price) and its order volume and quality."""

    id: str
    name: str
    products: tuple[tuple[str, str, str, str], ...]
    orders: int
    contacts: int
    invalid_tracking: int


SELLERS = (
    DemoSeller("S1", "Northwind Outdoor", (("P11", "Alpine down sleeping bag", "sleeping_bags", "89.00"),
                                           ("P12", "Trail hiking boots", "shoes", "120.00"),
                                           ("P13", "Headlamp battery pack", "batteries", "12.00")), 150, 3, 0),
    DemoSeller("S2", "Bluebird Home", (("P21", "Ceramic table lamp", "home", "45.00"),
                                       ("P22", "Merino wool sweater", "apparel", "25.00"),
                                       ("P23", "Lavender soap set", "personal_care", "19.00")), 120, 18, 0),
    DemoSeller("S3", "Quickship Gadgets", (("P31", "Noise-cancelling headphones", "electronics", "249.00"),
                                           ("P32", "Photo editing suite", "software", "39.00"),
                                           ("P33", "USB-C cable", "electronics", "9.99")), 110, 2, 22),
    DemoSeller("S4", "Tiny Crafts", (("P41", "Engraved cutting board", "personalized", "30.00"),
                                     ("P42", "Wooden puzzle", "toys", "22.00")), 30, 0, 0),
)

# Where each demo seller takes returns (printed on the prepaid return labels).
RETURN_ADDRESSES = {
    "S1": "Northwind Outdoor Returns\n1200 Harbor Way, Dock 4\nSeattle, WA 98134\nUnited States",
    "S2": "Bluebird Home - Returns\n77 Orchard Street\nPortland, OR 97205\nUnited States",
    "S3": "Quickship Gadgets RMA Desk\n5 Industrial Park Rd, Unit 12\nAustin, TX 78744\nUnited States",
    "S4": "Tiny Crafts\n9 Mill Lane\nBurlington, VT 05401\nUnited States",
}


@dataclass(frozen=True)
class DemoClaim:
    """A claim the seller files on a demo refund."""

    reason: str
    evidence: tuple[str, ...]
    filed_at: datetime


@dataclass(frozen=True)
class DemoRequest:
    """A buyer's refund request on a demo order item, what happens to the return, and the seller's claim."""

    order_item_id: str
    reason: str
    condition: str
    requested_at: datetime
    return_delivered_at: datetime | None = None
    condition_received: str | None = None
    claim: DemoClaim | None = None


@dataclass(frozen=True)
class DemoPlan:
    """Everything the demo writes: import records, then refund requests (and claims) to decide."""

    today: date
    records: list[dict[str, Any]]
    requests: list[DemoRequest]


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def demo_plan(today: date) -> DemoPlan:
    """The demo data for `today`: the same every run on the same day."""
    rng = random.Random(DEMO_SEED)
    records: list[dict[str, Any]] = []
    for seller in SELLERS:
        records.append({"type": "seller", "id": seller.id, "name": seller.name, "csba_enrolment": "default",
                        "csba_enrolled_at": _iso(_at(today - timedelta(days=400))), "return_address": RETURN_ADDRESSES[seller.id]})
    records += [{"type": "buyer", "id": bid, "name": name} for bid, name in {**BUYERS, **CUSTOMERS}.items()]
    for seller in SELLERS:
        records += [{"type": "product", "id": pid, "seller_id": seller.id, "sku": f"{seller.id}-{pid}", "name": name,
                     "category": category, "price": price} for pid, name, category, price in seller.products]
        records += _orders(seller, today, rng)
    records += _persona_orders(today, rng)
    picker = _Picker(records)
    records += _imported_refund_with_pending_claim(today, picker)
    return DemoPlan(today, records, _requests(today, picker))


def _orders(seller: DemoSeller, today: date, rng: random.Random) -> list[dict[str, Any]]:
    """`seller.orders` delivered orders spread over the last 80 days, one unit each, cycling through
    the products and the background customers; the first `invalid_tracking` shipments have invalid tracking."""
    records = []
    buyers = list(CUSTOMERS)
    for n in range(seller.orders):
        order_id = f"O{seller.id[1:]}{n + 1:03d}"
        pid, _, _, price = seller.products[n % len(seller.products)]
        placed = _at(today - timedelta(days=3 + (n * 77) // seller.orders), 9 + n % 8)
        shipped, delivered = placed + timedelta(days=1), placed + timedelta(days=2)  # delivered by yesterday
        records.append({"type": "order", "id": order_id, "buyer_id": buyers[n % len(buyers)], "seller_id": seller.id,
                        "fulfilment": "seller", "placed_at": _iso(placed), "shipped_at": _iso(shipped),
                        "delivered_at": _iso(delivered),
                        "items": [{"id": f"{order_id}-1", "product_id": pid, "quantity": 1, "unit_price": price}]})
        records.append(_shipment(order_id, shipped, delivered, rng, valid=n >= seller.invalid_tracking))
    for n in range(seller.contacts):
        order_id = f"O{seller.id[1:]}{1 + (n * 7) % seller.orders:03d}"
        records.append({"type": "contact", "id": f"C{seller.id[1:]}{n + 1:03d}", "order_id": order_id,
                        "contacted_at": _iso(_at(today - timedelta(days=2 + n * 3 % 60), 15)),
                        "channel": ("chat", "email", "phone")[n % 3]})
    return records


def _shipment(order_id: str, shipped: datetime, delivered: datetime, rng: random.Random, *, valid: bool) -> dict[str, Any]:
    return {"type": "shipment", "id": f"SH{order_id[1:]}", "order_id": order_id, "carrier": rng.choice(("UPS", "USPS", "FedEx")),
            "tracking_number": f"TRK{rng.randrange(10**9, 10**10)}" if valid else None, "tracking_valid": valid,
            "shipped_at": _iso(shipped), "delivered_at": _iso(delivered)}


def _persona_orders(today: date, rng: random.Random) -> list[dict[str, Any]]:
    """The named buyers' few orders (PERSONA_ORDERS), delivered before today so they can be refunded now."""
    products = {pid: (seller.id, price) for seller in SELLERS for pid, _, _, price in seller.products}
    records = []
    for buyer_id, orders in PERSONA_ORDERS.items():
        for n, (pid, days) in enumerate(orders, start=1):
            order_id = f"O9{buyer_id[1:]}{n:02d}"
            seller_id, price = products[pid]
            delivered = _at(today - timedelta(days=days), 10)
            shipped, placed = delivered - timedelta(days=2), delivered - timedelta(days=3)
            records.append({"type": "order", "id": order_id, "buyer_id": buyer_id, "seller_id": seller_id, "fulfilment": "seller",
                            "placed_at": _iso(placed), "shipped_at": _iso(shipped), "delivered_at": _iso(delivered),
                            "items": [{"id": f"{order_id}-1", "product_id": pid, "quantity": 1, "unit_price": price}]})
            records.append(_shipment(order_id, shipped, delivered, rng, valid=True))
    return records


class _Picker:
    """Hands out demo order items of a product, each once: the latest delivered at least two days before a moment."""

    def __init__(self, records: list[dict[str, Any]]):
        # Refund requests go to the background customers' orders, leaving the named buyers theirs to try.
        self.items = [(datetime.fromisoformat(r["delivered_at"]), r["items"][0]["product_id"], r["items"][0]["id"])
                      for r in records if r["type"] == "order" and r["buyer_id"] in CUSTOMERS]
        self.used: set[str] = set()

    def item(self, product_id: str, before: datetime) -> str:
        """An unused order item of `product_id` delivered at least two days before `before`."""
        latest = before - timedelta(days=2)
        _, _, item_id = max(i for i in self.items if i[1] == product_id and i[0] <= latest and i[2] not in self.used)
        self.used.add(item_id)
        return item_id


def _imported_refund_with_pending_claim(today: date, picker: _Picker) -> list[dict[str, Any]]:
    """A refund from before the bot existed, with a claim nobody has decided yet."""
    issued = _at(today - timedelta(days=20))
    return [
        {"type": "refund", "id": "F900", "order_item_id": picker.item("P33", issued), "amount": "9.99",
         "issued_by": "marketplace", "issued_at": _iso(issued)},
        {"type": "claim", "id": "CL900", "refund_id": "F900", "reason": "delivered_not_received",
         "evidence": ["tracking"], "filed_at": _iso(_at(today - timedelta(days=2))), "status": "pending"},
    ]


def _requests(today: date, picker: _Picker) -> list[DemoRequest]:
    def day(n: int) -> datetime:
        return _at(today - timedelta(days=n))

    def request(product_id: str, reason: str, condition: str, asked: int, returned: int | None = None,
                received: str | None = None, claim: DemoClaim | None = None) -> DemoRequest:
        return DemoRequest(picker.item(product_id, day(asked)), reason, condition, day(asked),
                           day(returned) if returned is not None else None, received, claim)

    return [
        # A faulty sleeping bag can't go back: refunded without a return; the seller's claim is approved.
        request("P11", "defective", "used", 30, claim=DemoClaim("refunded_non_returnable", (), day(5))),
        # Boots returned unworn came back damaged; the seller's claim lacks a photo.
        request("P12", "no_longer_needed", "unopened", 35, 28, "damaged", DemoClaim("returned_damaged", (), day(3))),
        # Faulty batteries must not be posted back.
        request("P13", "defective", "unopened", 20),
        # A lamp sent in the wrong colour; the return never arrived, yet the claim says it came back damaged.
        request("P21", "wrong_item", "unopened", 40, claim=DemoClaim("returned_damaged", ("photo",), day(10))),
        # A worn sweater sent back for no fault of the seller: half refunded; not claimed yet.
        request("P22", "no_longer_needed", "used", 12, 6, "used"),
        # Headphones that never arrived.
        request("P31", "not_received", "unopened", 15),
        # Opened software is not returnable.
        request("P32", "no_longer_needed", "opened", 9),
    ]
