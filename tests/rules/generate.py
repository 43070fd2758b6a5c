"""Deterministic generators of decision requests and random valid policies, weighted towards boundaries."""
from __future__ import annotations

import random
from typing import Any

import yaml

from policy import Policy, PolicyErrors, load_policy_text
from policy.vocabulary import CLAIM_REASONS, CONDITIONS, EVIDENCE_KINDS, REFUND_OUTCOMES, REFUND_REASONS

UNLISTED_CATEGORIES = ["garden", "kitchen", "pet_supplies"]


def _near(rng: random.Random, points: list[float], spread: float, low: float, high: float) -> float:
    """A value at, just under or just over one of `points`, or anywhere in [low, high]."""
    if points and rng.random() < 0.5:
        p = rng.choice(points)
        value = rng.choice([p, p - spread, p + spread, p - 10 * spread, p + 10 * spread])
    else:
        value = rng.uniform(low, high)
    return min(max(value, low), high)


def refund_requests(policy: Policy, n: int, seed: int = 1) -> list[dict[str, Any]]:
    """`n` refund requests over the policy's categories plus unlisted ones."""
    rng = random.Random(seed)
    r = policy.returns
    categories = list(r.categories) + UNLISTED_CATEGORIES
    prices = [float(r.returnless_max_price), float(r.escalation_min_price)]
    for rule in r.rules:
        prices += [float(c.value) for c in rule.conditions if c.field == "price" and not isinstance(c.value, tuple)]
    windows = sorted({c.window_days for c in r.categories.values()} | {r.default_window_days})
    out = []
    for _ in range(n):
        price = round(_near(rng, prices, 0.01, 0.0, 2000.0), 2)
        if rng.random() < 0.2:
            price = float(rng.randint(0, 1000))
        out.append({
            "category": rng.choice(categories),
            "price": price,
            "days_since_delivery": int(_near(rng, windows, 1, 0, 120)),
            "reason": rng.choice(REFUND_REASONS),
            "condition": rng.choice(CONDITIONS),
            "buyer_returns_90d": int(_near(rng, [r.escalation_min_returns_90d], 1, 0, 20)),
        })
    return out


def tier_requests(n: int, seed: int = 2) -> list[dict[str, int]]:
    """`n` sets of seller counts, including zero denominators and exact threshold ratios."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        shipments = rng.choice([0, rng.randint(1, 50), rng.randint(50, 5000), 100, 1000])
        units = rng.choice([0, shipments, shipments + rng.randint(0, 500), rng.randint(1, 200), 1000])
        returns = rng.choice([0, rng.randint(0, max(1, units // 5)), 20, 100])
        share = rng.choice([0.9, 0.94, 0.95, 0.96, 1.0, rng.random()])
        valid = min(shipments, round(shipments * share))
        prepaid = min(returns, round(returns * rng.choice([0.9, 0.95, 1.0, rng.random()])))
        cpu = rng.choice([0.0, 0.05, 0.1, 0.2, 0.3, 0.31, rng.random() * 0.5])
        contacts = round(units * cpu) + rng.choice([-1, 0, 0, 1])
        out.append({"shipments": shipments, "valid_tracking": valid, "returns": returns,
                    "prepaid_label_returns": prepaid, "units": units, "contacts": max(0, contacts)})
    return out


def claim_requests(policy: Policy, n: int, seed: int = 3) -> list[dict[str, Any]]:
    """`n` claims across reasons, windows, issuers, return states and evidence."""
    rng = random.Random(seed)
    categories = list(policy.returns.categories) + UNLISTED_CATEGORIES
    window = policy.claims.filing_window_days
    waits = [s.min_days_since_refund for s in policy.claims.reasons.values()]
    out = []
    for _ in range(n):
        received = rng.random() < 0.5
        days_refund = int(_near(rng, [window] + waits, 1, 0, 90))
        out.append({
            "reason": rng.choice(CLAIM_REASONS),
            "days_since_refund": days_refund,
            "return_received": received,
            "days_since_return_delivered": int(_near(rng, [window], 1, 0, 90)) if received else None,
            "category": rng.choice(categories),
            "refund_amount": round(rng.uniform(0, 900), 2),
            "refund_issued_by": rng.choice(["marketplace", "marketplace", "seller"]),
            "auto_refund_late": rng.random() < 0.15,
            "evidence": rng.sample(EVIDENCE_KINDS, rng.randint(0, len(EVIDENCE_KINDS))),
        })
    return out


_FIELDS = {
    "category": "category", "price": "number", "days_since_delivery": "days", "reason": "reason",
    "condition": "condition", "buyer_returns_90d": "count", "returnable": "bool", "seller_fault": "bool",
    "window_days": "days",
}


def _random_condition(rng: random.Random, field: str, categories: list[str]) -> Any:
    kind = _FIELDS[field]
    if kind in ("number", "days", "count"):
        scale = {"number": 600, "days": 60, "count": 10}[kind]
        value = round(rng.uniform(0, scale), 2) if kind == "number" else rng.randint(0, scale)
        op = rng.choice(["gt", "gte", "lt", "lte", "eq", "ne", "in"])
        if op == "in":
            return [value, value + 1]
        return {op: value}
    if kind == "bool":
        return rng.choice([True, False])
    pool = {"category": categories, "reason": list(REFUND_REASONS), "condition": list(CONDITIONS)}[kind]
    values = rng.sample(pool, rng.randint(1, min(3, len(pool))))
    form = rng.choice(["eq", "list", "not_in", "ne"])
    if form == "eq":
        return values[0]
    if form == "list":
        return values
    if form == "ne":
        return {"ne": values[0]}
    return {"not_in": values}


def random_policy(seed: int, base: dict) -> Policy:
    """A valid policy derived from `base` (a parsed policy document) with random categories, thresholds and custom rules."""
    rng = random.Random(seed)
    for attempt in range(100):
        doc = yaml.safe_load(yaml.safe_dump(base))
        doc["version"] = f"random-{seed}-{attempt}"
        r = doc["returns"]
        r["default_window_days"] = rng.choice([7, 14, 30, 60])
        cats = {}
        for i in range(rng.randint(2, 12)):
            entry: dict[str, Any] = {}
            if rng.random() < 0.7:
                entry["window_days"] = rng.choice([0, 7, 14, 30, 45, 90])
            if rng.random() < 0.3:
                entry["returnable"] = False
            if rng.random() < 0.4:
                entry["restocking_fee"] = {rng.choice(CONDITIONS): rng.choice([0, 0.1, 0.15, 0.25, 1])}
            cats[f"cat{i}"] = entry
        r["categories"] = cats
        r["seller_fault_reasons"] = rng.sample(REFUND_REASONS, rng.randint(0, len(REFUND_REASONS)))
        r["restocking_fee"] = {c: rng.choice([0, 0, 0.1, 0.5]) for c in CONDITIONS}
        r["returnless"] = {"max_price": rng.choice([0, 10, 15, 25.5])}
        r["escalation"] = {"min_price": rng.choice([100, 500, 999.99]), "min_buyer_returns_90d": rng.randint(1, 8)}
        priorities = rng.sample([p for p in range(1, 900) if p % 100], rng.randint(0, 8))
        rules = []
        for i, priority in enumerate(priorities):
            fields = rng.sample(list(_FIELDS), rng.randint(1, 3))
            outcome = rng.choice(REFUND_OUTCOMES)
            then: dict[str, Any] = {"outcome": outcome, "reason": f"custom_{i}"}
            if outcome == "partial_refund":
                then["fee_rate"] = rng.choice([0.05, 0.2, 0.333])
            if outcome == "keep_item_refund":
                then["refund_rate"] = rng.choice([0.3, 0.5, 0.125])
            rules.append({"id": f"rule_{i}", "priority": priority,
                          "when": {f: _random_condition(rng, f, list(cats)) for f in fields}, "then": then})
        r["rules"] = rules
        try:
            return load_policy_text(yaml.safe_dump(doc, sort_keys=False), f"<random {seed}>")
        except PolicyErrors as exc:
            if any(e.code != "unreachable" for e in exc.errors):
                raise
    raise AssertionError(f"no reachable random policy for seed {seed}")
