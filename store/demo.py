"""Demo data for `refundbot demo`: deterministic records dated relative to today, and the refund
requests and claims the demo then decides with the real engine (the bot command does that part).

Sellers are built to land in different tiers under policy/default.yaml: S1 with few contacts and
perfect tracking (free), S2 with about 15% contacts per unit (silver), S3 with a fifth of its
tracking invalid (not eligible) and S4 with too few units to be assessed (low volume).

Seller S9 and buyers B7-B9 exercise policy language 2 (docs/store.md, "Demo data", lists who shows
what): final-sale products, buyers in the EU and a member, orders delivered in the holiday period,
marketplace refunds either side of SAFE-T's 2026-02-16 window change, an order with an A-to-z claim,
a marketplace-fulfilled order, a per-order reimbursement cap and a seller-issued refund.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

DEMO_SEED = 20261122
BUYERS = {"B1": "Ann Lee", "B2": "Ben Okafor", "B3": "Chloe Martin", "B4": "Dev Patel", "B5": "Eva Novak", "B6": "Farid Haddad",
          "B7": "Greta Weber", "B8": "Hugo Laurent", "B9": "Ivy Chen"}
# Where the policy-2 buyers live and their tags: two in the EU, one a member.
BUYER_PROFILES = {"B7": ("DE", ()), "B8": ("FR", ()), "B9": ("US", ("member",))}
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
    product_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    enrolled_days_ago: int = 400
    enrolment: str = "default"
    special_products: tuple[tuple[str, str, str, str], ...] = ()  # sold only in the named orders, not the background ones


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
    # Enrolled by choice 40 days ago, with fewer than 30 orders a quarter (CSBA May 2026: free).
    DemoSeller("S9", "Evergreen Apparel", (("P91", "Linen summer dress", "apparel", "60.00"),
                                           ("P92", "Wool winter coat", "apparel", "150.00"),
                                           ("P93", "Silk scarf", "apparel", "35.00"),
                                           ("P94", "Knit beanie", "apparel", "20.00")), 12, 0, 0,
               product_tags=(("P91", ("final_sale",)), ("P93", ("clearance", "final_sale"))), enrolled_days_ago=40,
               enrolment="choice", special_products=(("P95", "Cashmere overcoat", "apparel", "2800.00"),)),
)
# SAFE-T's filing window went from 60 to 30 days for refunds from this day.
SAFET_CHANGE = date(2026, 2, 16)
# The refunds either side of it are dated absolutely; a demo dated before this day leaves them out.
SAFET_DEMO_FROM = date(2026, 4, 10)


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
        records.append({"type": "seller", "id": seller.id, "name": seller.name, "csba_enrolment": seller.enrolment,
                        "csba_enrolled_at": _iso(_at(today - timedelta(days=seller.enrolled_days_ago)))})
    for bid, name in {**BUYERS, **CUSTOMERS}.items():
        country, tags = BUYER_PROFILES.get(bid, (None, ()))
        records.append({"type": "buyer", "id": bid, "name": name, "country": country, "tags": list(tags)})
    for seller in SELLERS:
        tags = dict(seller.product_tags)
        records += [{"type": "product", "id": pid, "seller_id": seller.id, "sku": f"{seller.id}-{pid}", "name": name,
                     "category": category, "price": price, "tags": list(tags.get(pid, ()))}
                    for pid, name, category, price in seller.products + seller.special_products]
        records += _orders(seller, today, rng)
    records += _persona_orders(today, rng)
    picker = _Picker(records)
    records += _imported_refund_with_pending_claim(today, picker)
    policy2 = _Policy2(today, rng)
    records += policy2.records
    return DemoPlan(today, records, _requests(today, picker) + policy2.requests)


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


class _Policy2:
    """Seller S9's orders that make policy language 2's rules matter (see docs/store.md, "Demo data").

    Named buyers' orders are left for the chat; the background customers' refunds and claims are
    history: decided by the engine at their own (past) dates, or imported. Their orders are numbered
    O9051 and up, after S9's background orders (O9001-O9012)."""

    def __init__(self, today: date, rng: random.Random):
        self.today, self.rng = today, rng
        self.prices = {pid: price for seller in SELLERS for pid, _, _, price in seller.products + seller.special_products}
        self.sellers = {pid: seller.id for seller in SELLERS for pid, *_ in seller.products + seller.special_products}
        self.records: list[dict[str, Any]] = []
        self.requests: list[DemoRequest] = []
        self._for_the_chat()
        self._holiday_history()
        if today >= SAFET_DEMO_FROM:
            self._safet_window_change()
        self._claims_for_the_chat()

    def ago(self, days: int, hour: int = 10) -> datetime:
        return _at(self.today - timedelta(days=days), hour)

    def order(self, order_id: str, buyer_id: str, delivered: datetime, lines: tuple[tuple[str, int], ...], *,
              shipping: str = "0.00", fulfilment: str = "seller", a_to_z: bool = False) -> list[str]:
        """A delivered order of `lines` (product, quantity); its item ids, `<order>-1`, `<order>-2`, ..."""
        placed, shipped = delivered - timedelta(days=3), delivered - timedelta(days=2)
        items = [{"id": f"{order_id}-{n}", "product_id": pid, "quantity": quantity, "unit_price": self.prices[pid]}
                 for n, (pid, quantity) in enumerate(lines, start=1)]
        self.records.append({"type": "order", "id": order_id, "buyer_id": buyer_id, "seller_id": self.sellers[lines[0][0]],
                             "fulfilment": fulfilment, "placed_at": _iso(placed), "shipped_at": _iso(shipped),
                             "delivered_at": _iso(delivered), "shipping_paid": shipping, "a_to_z_claim": a_to_z,
                             "items": items})
        if fulfilment == "seller":
            self.records.append(_shipment(order_id, shipped, delivered, self.rng, valid=True))
        return [item["id"] for item in items]

    def _for_the_chat(self) -> None:
        # B7 (Germany): a final-sale dress inside the EU's 14 days, a final-sale scarf past them.
        self.order("O9701", "B7", self.ago(8), (("P91", 1),), shipping="4.95")
        self.order("O9702", "B7", self.ago(20), (("P93", 1),))
        # B7: a beanie delivered in last year's holiday period (returnable in the chat until Jan 31).
        self.order("O9703", "B7", _at(date(self.today.year - 1, 12, 12)), (("P94", 1),))
        # B8 (France): a coat and two beanies with shipping (order total 197.50), and another seller's lamp.
        self.order("O9801", "B8", self.ago(12), (("P92", 1), ("P94", 2)), shipping="7.50")
        self.order("O9802", "B8", self.ago(16), (("P21", 1),))
        # B9 (member, US): a coat and boots past 30 days (a member's longer window), a final-sale dress.
        self.order("O9901", "B9", self.ago(40), (("P92", 1),))
        self.order("O9902", "B9", self.ago(5), (("P91", 1),))
        self.order("O9903", "B9", self.ago(45), (("P12", 1),))

    def _holiday_history(self) -> None:
        """B8's coat delivered in last year's holiday period, refunded in January, past the ordinary 30 days."""
        delivered = _at(date(self.today.year - 1, 11, 24))
        asked = min(_at(date(self.today.year, 1, 20)), _at(self.today - timedelta(days=1)))
        [item] = self.order("O9803", "B8", delivered, (("P92", 1),))
        self.requests.append(DemoRequest(item, "no_longer_needed", "unopened", asked))

    def _safet_window_change(self) -> None:
        """Two marketplace refunds of returns that came back damaged, either side of 2026-02-16, each claimed 40
        days after the return arrived: inside the old 60-day window, outside the new 30-day one."""
        for order_id, customer, refunded in (("O9051", "B120", date(2026, 2, 10)), ("O9052", "B121", date(2026, 2, 18))):
            [item] = self.order(order_id, customer, _at(refunded - timedelta(days=5)), (("P92", 1),))
            returned = _at(refunded + timedelta(days=4))
            self.requests.append(DemoRequest(item, "defective", "opened", _at(refunded), returned, "damaged",
                                             DemoClaim("returned_damaged", ("photo",), returned + timedelta(days=40))))

    def _claims_for_the_chat(self) -> None:
        """S9's recent marketplace refunds, unclaimed, for the seller to claim in the chat."""
        # An order the buyer opened an A-to-z Guarantee claim on: SAFE-T does not reimburse it.
        [item] = self.order("O9055", "B122", self.ago(10), (("P92", 1),), a_to_z=True)
        self.requests.append(DemoRequest(item, "not_as_described", "opened", self.ago(6, 12), self.ago(2), "damaged"))
        # A marketplace-fulfilled order: not the seller's to claim.
        [item] = self.order("O9056", "B123", self.ago(9), (("P92", 1),), fulfilment="marketplace")
        self.requests.append(DemoRequest(item, "defective", "opened", self.ago(7, 12), self.ago(3), "damaged"))
        # Two cashmere coats in one order (5,600.00), both returned damaged and refunded; the first claim was
        # reimbursed 2,800.00, so the second may get at most 2,200.00 under a 5,000 per-order cap.
        first, second = self.order("O9057", "B124", self.ago(25), (("P95", 1), ("P95", 1)))
        for n, item in enumerate((first, second), start=1):
            self.records += [
                {"type": "return", "id": f"RR9057{n}", "order_item_id": item, "reason": "no_longer_needed",
                 "condition": "unopened", "requested_at": _iso(self.ago(22)), "prepaid_label": True,
                 "delivered_at": _iso(self.ago(15)), "condition_received": "damaged"},
                {"type": "refund", "id": f"F9057{n}", "order_item_id": item, "amount": "2800.00", "issued_by": "marketplace",
                 "issued_at": _iso(self.ago(20))},
            ]
        self.records.append({"type": "claim", "id": "CL90571", "refund_id": "F90571", "reason": "returned_damaged",
                             "evidence": ["photo"], "filed_at": _iso(self.ago(10)), "status": "approved",
                             "reimbursement": "2800.00"})
        # A refund the seller issued themselves: not reimbursed.
        [item] = self.order("O9058", "B125", self.ago(12), (("P94", 1),))
        self.records.append({"type": "refund", "id": "F9058", "order_item_id": item, "amount": "20.00", "issued_by": "seller",
                             "issued_at": _iso(self.ago(8))})
