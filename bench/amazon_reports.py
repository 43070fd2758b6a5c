"""Deterministic Amazon-format reports for benchmarks and round-trip tests: for each of N sellers an
all-orders report and a returns report of M orders (tab-separated, as Seller Central writes them),
plus the truth the claim finder must reproduce under policy/amazon-2026.yaml (truth.jsonl).

Each seller writes its dates in one of Amazon's styles (ISO 8601 with an offset, US month/day/year,
local time with a zone, day-Mon-year). About `--return-rate` of the seller-fulfilled order lines
are returned; each return is given one case first (claimable because the return is damaged or never
arrived, too early, outside the filing window, older than the finder looks, seller-issued,
A-to-z claim, automatic refund after a missed deadline, marketplace-fulfilled, already claimed, or
not refunded) and its dates are chosen back from `--as-of` so that the case holds.

    python bench/amazon_reports.py --sellers 1000 --orders 1000 --out var/amazon
"""
from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

UTC = timezone.utc
DAYS = 120
CATEGORIES = (("Apparel", 25, 80), ("Shoes", 40, 160), ("Electronics", 15, 600), ("Home & Kitchen", 10, 200), ("Toys", 8, 60),
              ("Sports & Outdoors", 20, 300), ("Books", 5, 40))
REASONS = ("CR-UNWANTED_ITEM", "CR-DEFECTIVE", "CR-DAMAGED_BY_CARRIER", "CR-SWITCHEROO", "AMZ-PG-BAD-DESC", "CR-ORDERED_WRONG_ITEM",
           "Item defective or doesn't work", "No longer needed", "Inaccurate website description", "CR-QUALITY_UNACCEPTABLE")
CASES = (("claimable_damaged", 25), ("claimable_not_received", 15), ("too_early", 5), ("outside_window", 10), ("old", 15),
         ("seller_issued", 5), ("a_to_z", 4), ("auto_refund_late", 4), ("marketplace_fulfilled", 5), ("already_claimed", 7),
         ("not_refunded", 5))
ORDER_HEADER = ("amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status", "fulfillment-channel",
                "sales-channel", "order-channel", "url", "ship-service-level", "product-name", "sku", "asin", "item-status", "quantity",
                "currency", "item-price", "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax",
                "item-promotion-discount", "ship-promotion-discount", "ship-city", "ship-state", "ship-postal-code", "ship-country",
                "promotion-ids", "is-business-order", "purchase-order-number", "price-designation")
RETURN_HEADER = ("Order ID", "Order date", "Return request date", "Return request status", "Amazon RMA ID", "Merchant RMA ID",
                 "Label type", "Label cost", "Currency code", "Return carrier", "Tracking ID", "Label to be paid by", "A-to-Z Claim",
                 "Is prime", "ASIN", "Merchant SKU", "Item Name", "Return quantity", "Return Reason", "In policy", "Return type",
                 "Resolution", "Invoice number", "Return delivery date", "Order Amount", "Order quantity", "SafeT Action reason",
                 "SafeT claim id", "SafeT claim state", "SafeT claim creation time", "SafeT claim reimbursement amount",
                 "Refunded Amount", "Category", "Refund date")
STYLES = ("iso", "us", "zoned", "named")


def _moment(value: datetime, style: str) -> str:
    if style == "iso":
        return value.isoformat(timespec="seconds")
    if style == "us":
        return value.strftime("%m/%d/%Y")
    if style == "zoned":
        return (value - timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S PST")
    return value.strftime("%d-%b-%Y")


def _day(value: datetime, style: str) -> datetime:
    """What the report will read back: styles without a time of day keep only the date."""
    return datetime.combine(value.date(), time(), tzinfo=UTC) if style in ("us", "named") else value


@dataclass(frozen=True)
class Rules:
    """The claim program the truth assumes: filing window (from the later of refund and return delivery),
    waiting days for a return never received, how far back the finder lists refunds."""

    window_days: int = 30
    not_received_wait_days: int = 14
    lookback_days: int = 60
    damaged_rate: Decimal = Decimal("0.5")  # policy/amazon-2026.yaml reimburses customer damage at 50%


def generate(out: Path, *, sellers: int, orders: int, seed: int, as_of: date, return_rate: float = 0.1,
             rules: Rules = Rules(), first_seller: int = 1, days: int = DAYS) -> dict[str, int]:
    """Write S<n>.orders.txt and S<n>.returns.txt per seller and truth.jsonl; returns line counts. With
    `days` longer than the default, refunds spread evenly over that history (most then too old to claim)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    end = datetime.combine(as_of, time(12), tzinfo=UTC)
    counts = {"order_lines": 0, "return_lines": 0, "refunds": 0}
    weights = [w for _, w in CASES]
    names = [c for c, _ in CASES]
    with open(out / "truth.jsonl", "w") as truth:
        for s in range(first_seller, first_seller + sellers):
            seller = f"S{s}"
            style = STYLES[s % len(STYLES)]
            products = []
            for p in range(1, 21):
                category, low, high = rng.choice(CATEGORIES)
                products.append((f"SKU-{p:03d}", f"B0{s:05d}{p:03d}", f"Product {p} of seller {s}", category,
                                 Decimal(f"{rng.uniform(low, high):.2f}")))
            order_lines, return_lines = [ORDER_HEADER], [RETURN_HEADER]
            for o in range(1, orders + 1):
                order_id = f"{100 + s % 900:03d}-{s:07d}-{o:07d}"
                sku, asin, name, category, price = rng.choice(products)
                quantity = 1 if rng.random() < 0.85 else 2
                amount = price * quantity
                case = None
                if rng.random() < return_rate:
                    old_share = (days - rules.lookback_days) / days if days > DAYS else 0.0
                    case = "old" if rng.random() < old_share else rng.choices(names, weights)[0]
                channel = "Amazon" if case == "marketplace_fulfilled" or (case is None and rng.random() < 0.1) else "Merchant"
                dates = _dates(rng, case, end, rules, days) if case else None
                placed = dates["placed"] if dates else end - timedelta(seconds=rng.randrange(days * 86400))
                status = "Shipped" if rng.random() < 0.97 or case else rng.choice(("Pending", "Cancelled"))
                shipping = Decimal("0.00") if rng.random() < 0.6 else Decimal("5.99")
                order_lines.append((order_id, "", placed.isoformat(timespec="seconds"), (placed + timedelta(days=1)).isoformat(timespec="seconds"),
                                    status, channel, "Amazon.com", "", "", rng.choice(("Standard", "Expedited")), name, sku, asin,
                                    status, "0" if status == "Cancelled" else str(quantity), "USD",
                                    "" if status == "Cancelled" else str(amount), "", str(shipping), "", "", "", "", "",
                                    "Springfield", "IL", "62701", rng.choice(("US", "US", "US", "CA")), "", "false", "", ""))
                counts["order_lines"] += 1
                if case is None:
                    continue
                counts["return_lines"] += 1
                record = _return_line(rng, case, dates, style, order_id, sku, asin, name, category, amount, quantity)
                return_lines.append(record)
                if case != "not_refunded":
                    counts["refunds"] += 1
                    expected = _truth(case, dates, style, amount, end, rules)
                    if expected is not None:
                        truth.write(json.dumps({"seller": seller, "refund_id": f"F:{order_id}:{sku}", **expected}) + "\n")
            for suffix, lines in (("orders", order_lines), ("returns", return_lines)):
                (out / f"{seller}.{suffix}.txt").write_text("\n".join("\t".join(cells) for cells in lines) + "\n")
    return counts


def _dates(rng: random.Random, case: str, end: datetime, rules: Rules, days: int) -> dict:
    """Refund (and return delivery) dates back from `end` so that `case` holds on that day."""
    w = rules.window_days
    delivered = case in ("claimable_damaged", "already_claimed") or (case not in ("claimable_not_received", "too_early")
                                                                       and rng.random() < 0.6)
    age = {"claimable_not_received": (rules.not_received_wait_days, w), "too_early": (0, rules.not_received_wait_days - 1),
           "outside_window": (w + 1, rules.lookback_days), "old": (rules.lookback_days + 1, days)}.get(case, (0, w))
    anchor = end - timedelta(days=rng.randint(*age), seconds=rng.randrange(3600))
    if delivered:
        returned = anchor
        refunded = anchor - timedelta(days=rng.randint(0, 2))
    else:
        returned, refunded = None, anchor
    requested = refunded - timedelta(days=rng.randint(1, 5))
    placed = requested - timedelta(days=rng.randint(3, 15))
    return {"placed": placed, "requested": requested, "refunded": refunded, "returned": returned}


def _return_line(rng, case, dates, style, order_id, sku, asin, name, category, amount, quantity) -> tuple:
    resolution = {"seller_issued": "SellerRefund", "auto_refund_late": "AutoRefund"}.get(case, "StandardRefund")
    claimed = case == "already_claimed"
    returned = dates["returned"]
    return (order_id, _moment(dates["placed"], style), _moment(dates["requested"], style), "Approved", f"D{rng.randrange(10**9):09d}",
            "", rng.choice(("AmazonPrePaidLabel", "AmazonPrePaidLabel", "SelfShip")), "6.50", "USD", "UPS", f"1Z{rng.randrange(10**9)}",
            "Seller", "Y" if case == "a_to_z" else "N", "N", asin, sku, name, str(quantity), rng.choice(REASONS), "Y", "C-Returns",
            resolution, "", _moment(returned, style) if returned else "", str(amount), str(quantity),
            "Item returned damaged" if claimed else "", f"SC{rng.randrange(10**9)}" if claimed else "",
            "Under review" if claimed else "", _moment(dates["refunded"] + timedelta(days=1), "iso") if claimed else "", "",
            "" if case == "not_refunded" else str(amount), category, _moment(dates["refunded"], style))


def _truth(case: str, dates: dict, style: str, amount: Decimal, end: datetime, rules: Rules) -> dict | None:
    """What the finder must say about this refund on `end`'s day (None: older than it looks)."""
    if case == "old":
        return None
    refunded = _day(dates["refunded"], style).date()
    returned = _day(dates["returned"], style).date() if dates["returned"] else None
    anchor = max(refunded, returned) if returned else refunded
    deadline = anchor + timedelta(days=rules.window_days)
    if case.startswith("claimable"):
        damaged = case == "claimable_damaged"
        return {"status": "claimable", "reason": "returned_damaged" if damaged else "return_not_received",
                "deadline": deadline.isoformat(), "days_left": (deadline - end.date()).days,
                "missing": ["photo"] if damaged else [],
                "reimbursement": str((amount * (rules.damaged_rate if damaged else 1)).quantize(Decimal("0.01"), ROUND_HALF_UP))}
    return {"status": case, "deadline": deadline.isoformat()}


def main() -> None:
    """Command line: write the reports."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sellers", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument("--return-rate", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=DAYS, help="days of history (longer: most refunds too old to claim)")
    parser.add_argument("--out", type=Path, default=Path("var/amazon"))
    args = parser.parse_args()
    counts = generate(args.out, sellers=args.sellers, orders=args.orders, seed=args.seed, as_of=args.as_of, return_rate=args.return_rate,
                      days=args.days)
    print(f"{args.out}: {args.sellers} sellers, {counts['order_lines']:,} order lines, {counts['return_lines']:,} return lines, "
          f"{counts['refunds']:,} refunds")


if __name__ == "__main__":
    main()
