"""Deterministic generators of decision requests and random valid policies, weighted towards boundaries."""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import yaml

from policy import Policy, PolicyErrors, load_policy, load_policy_text
from policy.model import every
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
    prices = [float(v) for v in every(r.returnless_max_price) + every(r.escalation_min_price)] + [15.0, 100.0, 100.01]
    for rule in r.rules:
        prices += [float(c.value) for c in rule.conditions if c.field == "price" and not isinstance(c.value, tuple)]
    windows = sorted({w for c in r.categories.values() for w in every(c.window_days)} | set(every(r.default_window_days)))
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
            "buyer_returns_90d": int(_near(rng, list(every(r.escalation_min_returns_90d)), 1, 0, 20)),
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
    window = max(every(policy.claims.filing_window_days))
    waits = [w for s in policy.claims.reasons.values() for w in every(s.min_days_since_refund)] + list(every(policy.claims.filing_window_days))
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


# -- policy language 2: requests with every new fact, and random policies with every new construct --

TAGS = ["final_sale", "hazmat", "gift", "clearance"]
BUYER_TAGS = ["member", "vip", "staff"]
COUNTRIES = [None, "DE", "FR", "US", "GB", "IT"]
SELLERS = [None, "S1", "S2", "S9"]
SWITCH_DAYS = ["2026-02-16", "2026-06-01", "2026-11-01"]
_START = date(2025, 9, 1)


class _NoAliases(yaml.SafeDumper):
    """Policies may not use YAML aliases, so shared values are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_NoAliases, sort_keys=False)


def _a_date(rng: random.Random) -> date:
    if rng.random() < 0.4:  # at or next to a date the random policies switch values on, or a year end
        base = date.fromisoformat(rng.choice(SWITCH_DAYS + ["2026-12-31", "2026-10-31", "2027-01-31"]))
        return base + timedelta(days=rng.choice([-1, 0, 1]))
    return _START + timedelta(days=rng.randint(0, 540))


def refund_requests2(policy: Policy, n: int, seed: int = 11) -> list[dict[str, Any]]:
    """`n` refund requests using every refund fact, around the policy's thresholds and dates."""
    rng = random.Random(seed)
    base = refund_requests(policy, n, seed)
    out = []
    for facts in base:
        requested = _a_date(rng)
        facts = dict(facts, requested_on=requested.isoformat())
        if rng.random() < 0.5:
            delivered = requested - timedelta(days=facts.pop("days_since_delivery"))
            facts["delivered_on"] = delivered.isoformat()
        facts["product_tags"] = rng.sample(TAGS, rng.randint(0, 2))
        facts["buyer_tags"] = rng.sample(BUYER_TAGS, rng.randint(0, 1))
        country = rng.choice(COUNTRIES)
        if country:
            facts["buyer_country"] = country
        seller = rng.choice(SELLERS)
        if seller:
            facts["seller_id"] = seller
        facts["buyer_orders_90d"] = rng.choice([0, 1, 2, 4, 5, 8, 10, 20])
        facts["buyer_returns_90d"] = min(facts["buyer_returns_90d"], facts["buyer_orders_90d"] + rng.choice([0, 0, 3]))
        facts["fulfilled_by"] = rng.choice(["seller", "seller", "marketplace"])
        facts["a_to_z_claim"] = rng.random() < 0.1
        facts["sku"] = f"SKU-{rng.randint(1, 30)}"
        facts["order_total"] = round(float(facts["price"]) + rng.choice([0, 0, 12.5, 100]), 2)
        out.append(facts)
    return out


def claim_requests2(policy: Policy, n: int, seed: int = 13) -> list[dict[str, Any]]:
    """`n` claims with dates around the dated values, caps, A-to-z, fulfilment and tags."""
    rng = random.Random(seed)
    out = []
    for facts in claim_requests(policy, n, seed):
        refunded = _a_date(rng)
        filed = refunded + timedelta(days=facts["days_since_refund"])
        facts = dict(facts, refunded_on=refunded.isoformat(), filed_on=filed.isoformat())
        if rng.random() < 0.5:
            del facts["days_since_refund"]
        amount = rng.choice([facts["refund_amount"], 900.0, 2500.0, 4999.99])
        facts["refund_amount"] = amount
        facts["order_total"] = round(amount + rng.choice([0, 100, 5000]), 2)
        facts["order_reimbursed"] = rng.choice([0, 0, 100, 2500, 4500, 5000, 6000])
        facts["a_to_z_claim"] = rng.random() < 0.1
        facts["fulfilled_by"] = rng.choice(["seller", "seller", "marketplace"])
        facts["product_tags"] = rng.sample(TAGS, rng.randint(0, 2))
        if rng.random() < 0.5:
            facts["seller_id"] = rng.choice(["S1", "S9"])
        out.append(facts)
    return out


def tier_requests2(n: int, seed: int = 17) -> list[dict[str, Any]]:
    """`n` tier requests with enrolment dates, order counts and dates around the dated values."""
    rng = random.Random(seed)
    out = []
    for facts in tier_requests(n, seed):
        as_of = _a_date(rng)
        facts = dict(facts, as_of=as_of.isoformat(), orders_90d=rng.choice([0, 10, 29, 30, 31, 500]))
        if rng.random() < 0.7:
            facts["enrolled_on"] = (as_of - timedelta(days=rng.choice([0, 30, 89, 90, 91, 400]))).isoformat()
        out.append(facts)
    return out


def _dated(rng: random.Random, values: list) -> Any:
    """One of `values`, or a list of them valid from dates."""
    if rng.random() < 0.5:
        return rng.choice(values)
    starts = sorted(rng.sample(SWITCH_DAYS, rng.randint(1, 2)))
    entries = [{"value": rng.choice(values)}] + [{"from": d, "value": rng.choice(values)} for d in starts]
    return entries


def _fee(rng: random.Random) -> Any:
    if rng.random() < 0.4:
        return rng.choice([0, 0.1, 0.2, 0.5])
    fee: dict[str, Any] = {}
    if rng.random() < 0.7:
        fee["rate"] = rng.choice([0.1, 0.15, 0.2])
    if rng.random() < 0.4:
        fee["fixed"] = rng.choice([1, 5])
    if rng.random() < 0.4:
        fee["min"] = rng.choice([2, 5])
    if rng.random() < 0.4:
        fee["max"] = rng.choice([10, 50])
    if rng.random() < 0.3:
        fee["above_price"] = rng.choice([15, 100])
    if "min" in fee and "max" in fee and fee["min"] > fee["max"]:
        del fee["max"]
    return fee or {"fixed": 3}


_NEW_REFUND_CONDITIONS = {
    "product_tags": lambda rng: rng.choice([rng.choice(TAGS), {"contains": rng.sample(TAGS, 2)},
                                            {"contains_all": rng.sample(TAGS, 2)}, {"not_contains": rng.choice(TAGS)}]),
    "buyer_tags": lambda rng: rng.choice(["member", {"not_contains": "member"}, {"contains": ["vip", "staff"]}]),
    "buyer_country": lambda rng: rng.choice([["DE", "FR", "IT"], {"ne": "US"}, "GB", {"not_in": ["DE"]}]),
    "seller_id": lambda rng: rng.choice(["S1", {"ne": "S2"}, ["S1", "S9"]]),
    "buyer_return_rate": lambda rng: {rng.choice(["gte", "gt", "lt"]): rng.choice([0.25, 0.5, 0.6])},
    "buyer_orders_90d": lambda rng: {rng.choice(["gte", "lt"]): rng.choice([2, 4, 8])},
    "delivered_on": lambda rng: rng.choice([{"yearly": ["11-01", "12-31"]}, {"yearly": ["12-15", "01-15"]},
                                            {"before": "2026-06-01"}, {"between": ["2026-02-16", "2026-11-01"]}]),
    "requested_on": lambda rng: rng.choice([{"after": "2026-02-16"}, {"yearly": ["01-01", "01-31"]}, {"before": "2026-11-02"}]),
    "fulfilled_by": lambda rng: rng.choice(["seller", "marketplace"]),
    "a_to_z_claim": lambda rng: rng.choice([True, False]),
    "order_total": lambda rng: {"between": sorted([rng.choice([20, 100]), rng.choice([150, 600])])},
    "sku": lambda rng: rng.choice(["SKU-1", ["SKU-2", "SKU-3"], {"not_in": ["SKU-4"]}]),
}

_CLAIM_CONDITIONS = {
    "a_to_z_claim": lambda rng: True,
    "fulfilled_by": lambda rng: "marketplace",
    "category_returnable": lambda rng: rng.choice([True, False]),
    "reason": lambda rng: rng.sample(list(CLAIM_REASONS), 2),
    "refunded_on": lambda rng: rng.choice([{"before": "2026-02-16"}, {"yearly": ["11-01", "01-31"]}]),
    "product_tags": lambda rng: {"contains": rng.choice(TAGS)},
    "order_reimbursed": lambda rng: {"gt": rng.choice([0, 2000])},
    "refund_amount": lambda rng: {"between": [100, 1000]},
    "days_since_anchor": lambda rng: {"gt": rng.choice([10, 25])},
    "seller_id": lambda rng: "S9",
}

_TIER_CONDITIONS = {
    "days_since_enrolment": lambda rng: {"lt": rng.choice([30, 90])},
    "orders_90d": lambda rng: {"lt": rng.choice([30, 31])},
    "cpu": lambda rng: {rng.choice(["lt", "lte"]): rng.choice([0.03, 0.05, 0.1])},
    "vtr": lambda rng: {"gte": 0.9},
    "as_of": lambda rng: {"after": "2026-05-01"},
    "units": lambda rng: {"gte": 100},
}


def _rules(rng: random.Random, kind: str, conditions: dict, priorities: list[int], then, prefix: str) -> list[dict]:
    rules = []
    for i, priority in enumerate(priorities):
        when = {f: conditions[f](rng) for f in rng.sample(list(conditions), rng.randint(1, 2))}
        rules.append({"id": f"{prefix}_{i}", "priority": priority, "when": when, "then": then(rng, i)})
    return rules


def _refund_then(rng: random.Random, i: int) -> dict:
    outcome = rng.choice(REFUND_OUTCOMES)
    then: dict[str, Any] = {"outcome": outcome, "reason": f"custom_{i}"}
    if outcome == "partial_refund":
        fee = _fee(rng)
        then["fee"] = fee if isinstance(fee, dict) else {"rate": fee or 0.25}
    if outcome == "keep_item_refund":
        then["refund_rate"] = rng.choice([0.3, 0.5])
    return then


def random_policy2(seed: int, base: dict, home) -> Policy:
    """A valid random policy using every construct of policy language 2, written (with two seller overlays) under `home`."""
    from pathlib import Path
    rng = random.Random(seed)
    home = Path(home)
    for attempt in range(200):
        doc = yaml.safe_load(yaml.safe_dump(base))
        doc["version"] = f"random2-{seed}-{attempt}"
        r = doc["returns"]
        r["default_window_days"] = _dated(rng, [14, 30, 45])
        cats = {}
        for i in range(rng.randint(2, 6)):
            entry: dict[str, Any] = {}
            if rng.random() < 0.7:
                entry["window_days"] = _dated(rng, [0, 7, 14, 30, 60])
            if rng.random() < 0.3:
                entry["returnable"] = False
            if rng.random() < 0.6:
                entry["restocking_fee"] = {rng.choice(CONDITIONS): _dated(rng, [_fee(rng), _fee(rng)])}
            cats[f"cat{i}"] = entry
        r["categories"] = cats
        r["restocking_fee"] = {c: _dated(rng, [_fee(rng), 0]) for c in CONDITIONS}
        r["returnless"] = {"max_price": _dated(rng, [0, 15, 25.5])}
        r["escalation"] = {"min_price": _dated(rng, [100, 500]), "min_buyer_returns_90d": _dated(rng, [3, 6])}
        extensions = [
            {"id": "holiday", "when": {"delivered_on": {"yearly": [rng.choice(["11-01", "12-01"]), "12-31"]}},
             "until": rng.choice(["01-31", "02-29", "01-15"])},
            {"id": "eu", "when": {"buyer_country": ["DE", "FR"]}, "window_days": _dated(rng, [14, 21])},
            {"id": "members", "when": {"buyer_tags": {"contains": "member"}, "price": {"lt": rng.choice([100, 600])}},
             "window_days": rng.choice([60, 90])},
        ]
        r["window_extensions"] = rng.sample(extensions, rng.randint(0, 3))
        conditions = {**_NEW_REFUND_CONDITIONS,
                      "category": lambda rng: rng.sample(list(cats), 1)[0],
                      "price": lambda rng: {rng.choice(["gt", "lte"]): rng.choice([20, 99.99, 300])},
                      "reason": lambda rng: rng.sample(REFUND_REASONS, 2),
                      "returnable": lambda rng: rng.choice([True, False]),
                      "window_days": lambda rng: {"gte": rng.choice([30, 60])}}
        taken = rng.sample([p for p in range(1, 900) if p % 100], 12)
        r["rules"] = _rules(rng, "refund", conditions, taken[:rng.randint(2, 7)], _refund_then, "rule")
        c = doc["claims"]
        c["filing_window_days"] = _dated(rng, [30, 60])
        if rng.random() < 0.7:
            c["max_per_order"] = _dated(rng, [5000, 3000])
        if rng.random() < 0.4:
            c["max_share_of_order"] = _dated(rng, [0.5, 1])
        for spec in c["reasons"].values():
            if rng.random() < 0.5:
                spec["reimbursement_rate"] = _dated(rng, [0.5, 1, 0.8])
        claim_priorities = rng.sample([p for p in range(1, 900) if p % 100 and p not in (510, 850)], 4)
        c["rules"] = _rules(rng, "claim", _CLAIM_CONDITIONS, claim_priorities[:rng.randint(1, 4)],
                            lambda rng, i: (lambda o: {"outcome": o, "reason": f"claim_{i}", **({"reimbursement_rate": 0.5} if o == "approve" and rng.random() < 0.5 else {})})(
                                rng.choice(["approve", "deny", "needs_evidence"])), "claim_rule")
        w = doc["rewards"]
        w["fee_per_unit"] = _dated(rng, [0.5, 0.25])
        w["eligibility"] = {"min_vtr": _dated(rng, [0, 0.95]), "min_aprl": _dated(rng, [0.9, 0.95])}
        w["low_volume"] = {"min_units": _dated(rng, [1, 100]), "treat_as": "not_eligible"}
        tier_names = [t["name"] for t in w["tiers"]] + ["not_eligible"]
        w["rules"] = _rules(rng, "tier", _TIER_CONDITIONS, rng.sample([p for p in range(1, 400) if p % 100], 3)[:rng.randint(1, 3)],
                            lambda rng, i: {"tier": rng.choice(tier_names), "reason": f"tier_rule_{i}"}, "tier_rule")
        doc["products"] = {f"SKU-{i}": rng.sample(TAGS, rng.randint(1, 2)) for i in rng.sample(range(1, 31), 12)}
        doc["sellers"] = {"directory": "sellers", "floor": {"windows": False, "returnable": False, "fees": False, "deny_rules": False}}
        sellers = home / "sellers"
        sellers.mkdir(parents=True, exist_ok=True)
        for old in sellers.glob("*.yaml"):
            old.unlink()
        free = [p for p in range(1, 900) if p % 100 and p not in taken]
        for seller in ("S1", "S9"):
            overlay: dict[str, Any] = {"version": f"{seller}-1", "returns": {
                "default_window_days": _dated(rng, [20, 60]),
                "categories": {rng.choice(list(cats)): {"window_days": rng.choice([3, 90]), "returnable": rng.choice([True, False]),
                                                        "restocking_fee": {"used": _fee(rng)}}},
                "restocking_fee": {"opened": _fee(rng)},
                "window_extensions": [{"id": f"{seller.lower()}_ext", "when": {"product_tags": "gift"}, "window_days": 100}],
                "rules": _rules(rng, "refund", conditions, [free.pop(rng.randrange(len(free)))], _refund_then, f"{seller.lower()}_rule"),
            }}
            (sellers / f"{seller}.yaml").write_text(_dump(overlay))
        path = home / "policy.yaml"
        path.write_text(_dump(doc))
        try:
            return load_policy(str(path))
        except PolicyErrors as exc:
            if any(e.code != "unreachable" for e in exc.errors):
                raise
    raise AssertionError(f"no reachable random policy for seed {seed}")
