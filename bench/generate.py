"""Deterministic marketplace data for benchmarks: N sellers x M orders as JSON Lines (the import format).

Each seller gets 20 products, M orders over the 120 days before --end, one parcel per shipped order,
and its own tracking quality, contact rate and return-label habit, so sellers spread across tiers.
Proportions: 1-3 items an order (mostly 1), 90% seller-fulfilled, 97% shipped, 8% of items returned
(85% of those sent back), 75% of returns refunded, 10% of marketplace refunds claimed.
Policy-language-2 fields come from a second random stream (so the rest is the same as before they
existed): buyers' countries (a fifth unknown) and a `member` tag for 10%, a `final_sale` tag on 5%
of products, shipping paid on 60% of orders, an A-to-z claim on 1%, reimbursements on approved claims.

    python bench/generate.py --sellers 1000 --orders 1000 --seed 1 --out var/bench.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, datetime, time, timedelta, timezone
from typing import IO, Iterator

CATEGORIES = (("apparel", 25, 80), ("shoes", 40, 160), ("electronics", 15, 600), ("home", 10, 200), ("toys", 8, 60),
              ("books", 5, 40), ("software", 20, 120), ("batteries", 5, 30), ("sleeping_bags", 40, 300), ("grocery", 3, 30))
REASONS = ("no_longer_needed", "defective", "damaged_in_transit", "wrong_item", "not_as_described", "not_received")
CONDITIONS = ("unopened", "opened", "used", "damaged")
CLAIMS = ("return_not_received", "returned_damaged", "different_item_returned", "refunded_non_returnable", "delivered_not_received")
STATUSES = ("pending", "approved", "denied", "needs_evidence")
COUNTRIES = (None, "US", "US", "DE", "FR", "GB", "ES", "IT", "CA", "MX")
DAYS = 120


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(sellers: int, orders: int, seed: int, end: date) -> Iterator[dict]:
    """Records in dependency order: sellers, buyers, products, then each order with its parcel, contacts and returns."""
    rng = random.Random(seed)
    extra = random.Random(seed + 1_000_003)  # the policy-2 fields' own stream
    start = datetime.combine(end - timedelta(days=DAYS), time(), tzinfo=timezone.utc)
    buyers = max(1, sellers * orders // 10)
    for s in range(1, sellers + 1):
        yield {"type": "seller", "id": f"S{s}", "name": f"Seller {s}", "csba_enrolled_at": _iso(start - timedelta(days=rng.randrange(400))),
               "csba_enrolment": rng.choice(("default", "default", "choice"))}
    for b in range(1, buyers + 1):
        yield {"type": "buyer", "id": f"B{b}", "name": f"Buyer {b}", "country": extra.choice(COUNTRIES),
               "tags": ["member"] if extra.random() < 0.1 else []}
    products: dict[int, list[tuple[str, str]]] = {}
    for s in range(1, sellers + 1):
        products[s] = []
        for p in range(1, 21):
            category, low, high = rng.choice(CATEGORIES)
            price = f"{rng.uniform(low, high):.2f}"
            pid = f"P{s}-{p}"
            products[s].append((pid, price))
            yield {"type": "product", "id": pid, "seller_id": f"S{s}", "sku": f"SKU{p:03d}", "name": f"Product {p} of seller {s}",
                   "category": category, "price": price, "tags": ["final_sale"] if extra.random() < 0.05 else []}
    refund_no = claim_no = 0
    for s in range(1, sellers + 1):
        # Per-seller habits: most sellers are good, some are not (so tiers spread out).
        invalid_rate = rng.choice((0.0, 0.0, 0.01, 0.02, 0.08))
        contact_rate = rng.choice((0.02, 0.04, 0.08, 0.12, 0.18, 0.25, 0.4))
        no_label_rate = rng.choice((0.0, 0.0, 0.02, 0.1))
        for o in range(1, orders + 1):
            oid = f"O{s}-{o}"
            placed = start + timedelta(seconds=rng.randrange(DAYS * 86400))
            shipped = placed + timedelta(hours=rng.randrange(4, 72)) if rng.random() < 0.97 else None
            delivered = shipped + timedelta(hours=rng.randrange(24, 120)) if shipped else None
            items = []
            for i in range(rng.choice((1, 1, 1, 1, 2, 2, 3))):
                pid, price = rng.choice(products[s])
                items.append({"id": f"{oid}-{i + 1}", "product_id": pid, "quantity": rng.choice((1, 1, 1, 2)), "unit_price": price})
            order = {"type": "order", "id": oid, "buyer_id": f"B{rng.randrange(1, buyers + 1)}", "seller_id": f"S{s}",
                     "fulfilment": "seller" if rng.random() < 0.9 else "marketplace", "placed_at": _iso(placed), "items": items,
                     "shipping_paid": extra.choice(("4.99", "7.50", "12.00")) if extra.random() < 0.6 else "0.00",
                     "a_to_z_claim": extra.random() < 0.01}
            if shipped:
                order["shipped_at"], order["delivered_at"] = _iso(shipped), _iso(delivered)
            yield order
            if shipped:
                valid = rng.random() >= invalid_rate
                yield {"type": "shipment", "id": f"SH{s}-{o}", "order_id": oid, "carrier": rng.choice(("UPS", "USPS", "FedEx", "DHL")),
                       "tracking_number": f"T{rng.randrange(10**11)}" if valid else None, "tracking_valid": valid,
                       "shipped_at": _iso(shipped), "delivered_at": _iso(delivered)}
            if rng.random() < contact_rate:
                yield {"type": "contact", "id": f"C{s}-{o}", "order_id": oid, "channel": rng.choice(("chat", "email", "phone")),
                       "contacted_at": _iso(placed + timedelta(hours=rng.randrange(1, 240)))}
            if not delivered:
                continue
            for item in items:
                if rng.random() >= 0.08:
                    continue
                requested = delivered + timedelta(hours=rng.randrange(1, 600))
                ships_back = rng.random() < 0.85
                back = requested + timedelta(days=rng.randrange(3, 12)) if ships_back and rng.random() < 0.8 else None
                ret = {"type": "return", "id": f"R{item['id']}", "order_item_id": item["id"], "reason": rng.choice(REASONS),
                       "condition": rng.choice(CONDITIONS), "requested_at": _iso(requested),
                       "prepaid_label": ships_back and rng.random() >= no_label_rate, "ships_back": ships_back}
                if back:
                    ret["delivered_at"], ret["condition_received"] = _iso(back), rng.choice(CONDITIONS)
                yield ret
                if rng.random() >= 0.75:
                    continue
                refund_no += 1
                issuer = "marketplace" if rng.random() < 0.7 else "seller"
                issued = requested + timedelta(hours=rng.randrange(1, 72))
                amount = f"{float(item['unit_price']) * item['quantity']:.2f}"
                yield {"type": "refund", "id": f"F{refund_no}", "order_item_id": item["id"], "amount": amount, "issued_by": issuer,
                       "issued_at": _iso(issued), "auto_refund_late": rng.random() < 0.03}
                if issuer == "marketplace" and rng.random() < 0.1:
                    claim_no += 1
                    claim = {"type": "claim", "id": f"CL{claim_no}", "refund_id": f"F{refund_no}", "reason": rng.choice(CLAIMS),
                             "evidence": rng.sample(("photo", "tracking", "signature"), rng.randrange(3)),
                             "filed_at": _iso(issued + timedelta(days=rng.randrange(1, 30))), "status": rng.choice(STATUSES)}
                    if claim["status"] == "approved":
                        claim["reimbursement"] = f"{float(amount) * extra.choice((0.5, 1.0)):.2f}"
                    yield claim


def write(records: Iterator[dict], out: IO[str]) -> int:
    """Write records as JSON Lines; returns the number of rows they make (order items count as rows)."""
    rows = 0
    dumps = json.dumps
    for record in records:
        out.write(dumps(record, separators=(",", ":")) + "\n")
        rows += 1 + len(record.get("items", ()))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Write the generated file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=1000, help="orders per seller")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 1), help="last day of the data (YYYY-MM-DD)")
    parser.add_argument("--out", default="-", help="output file (default: stdout)")
    args = parser.parse_args(argv)
    records = generate(args.sellers, args.orders, args.seed, args.end)
    if args.out == "-":
        rows = write(records, sys.stdout)
    else:
        with open(args.out, "w") as out:
            rows = write(records, out)
    print(f"{rows} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
