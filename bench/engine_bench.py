"""Refund decision throughput and latency: refundbot's compiled durable_rules engine against peers.

In one run, the same generated refund requests are decided by
  - refundbot: `CompiledPolicy.decide_refund` (validation, table lookups, the durable_rules C core,
    amounts, explanation, the rule that fired),
  - zen-engine evaluating an equivalent first-hit decision table built from the same policy
    (with and without its trace),
  - a hand-written plain-Python function for the same policy.
The peers get the same validation, table lookups and amount arithmetic as refundbot, so the
comparison is of the rule evaluation; refundbot additionally writes the explanation. All must
agree on (rule, outcome, refund amount, fee) for every request. Then RSS is measured across
1,000,000 refundbot decisions.

Run: python bench/engine_bench.py [--requests 20000] [--rss-decisions 1000000]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import zen  # noqa: E402

from policy import DEFAULT_POLICY_PATH, Policy, load_policy  # noqa: E402
from policy.model import Condition  # noqa: E402
from policy.vocabulary import BUILTIN_REFUND_RULES  # noqa: E402
from rules import compile_policy  # noqa: E402
from rules.facts import refund_facts  # noqa: E402
from rules.refund import BUILTIN, RefundProgram, _amounts  # noqa: E402
from tests.rules.generate import refund_requests  # noqa: E402

Result = tuple  # (rule, outcome, refund_amount, fee)


# -- zen-engine: the policy as a JDM decision table ----------------------------------------------

COLUMNS = ["category", "price", "days_since_delivery", "reason", "condition", "buyer_returns_90d",
           "returnable", "seller_fault", "restocking_rate"]


def _zen_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def _zen_cell(c: Condition) -> str:
    if c.op == "eq":
        return _zen_value(c.value)
    if c.op == "in":
        return ", ".join(_zen_value(v) for v in c.value)
    if c.op == "not_in":
        return "not in [" + ", ".join(_zen_value(v) for v in c.value) + "]"
    symbol = {"ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.op]
    return f"{symbol} {_zen_value(c.value)}"


def zen_table(policy: Policy) -> dict:
    """A first-hit JDM decision table equivalent to the policy's refund rules."""
    r = policy.returns
    builtin_rows = {
        "non_returnable": {"returnable": "false", "seller_fault": "false"},
        "outside_window": {"days_since_delivery": "> window_days"},
        "high_value": {"price": f">= {r.escalation_min_price}"},
        "serial_returner": {"buyer_returns_90d": f">= {r.escalation_min_returns_90d}"},
        "non_returnable_seller_fault": {"returnable": "false"},
        "not_received": {"reason": '"not_received"'},
        "low_value": {"price": f"<= {r.returnless_max_price}"},
        "restocking_fee": {"restocking_rate": "> 0", "seller_fault": "false"},
        "approve_return": {},
    }
    rows = [(p, name, builtin_rows[name]) for name, p in BUILTIN_REFUND_RULES]
    for rule in r.rules:
        cells: dict[str, str] = {}
        for c in rule.conditions:
            cell = _zen_cell(c)
            cells[c.field] = f"{cells[c.field]} and {cell}" if c.field in cells else cell
        rows.append((rule.priority, rule.id, cells))
    rows.sort(key=lambda row: row[0])
    content = {
        "hitPolicy": "first",
        "inputs": [{"id": c, "type": "expression", "field": c, "name": c} for c in COLUMNS],
        "outputs": [{"id": "rule", "type": "expression", "field": "rule", "name": "rule"}],
        "rules": [dict({"_id": f"r{i}", "rule": json.dumps(name)}, **{c: cells.get(c, "") for c in COLUMNS})
                  for i, (_, name, cells) in enumerate(rows)],
    }
    node = lambda i, t: {"id": i, "type": t, "name": i, "position": {"x": 0, "y": 0}}  # noqa: E731
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [node("in", "inputNode"), dict(node("refund", "decisionTableNode"), content=content), node("out", "outputNode")],
        "edges": [{"id": "e1", "type": "edge", "sourceId": "in", "targetId": "refund"},
                  {"id": "e2", "type": "edge", "sourceId": "refund", "targetId": "out"}],
    }


def zen_decider(policy: Policy, program: RefundProgram, trace: bool) -> Callable[[dict], Result]:
    """Validation and lookups as refundbot does them, the rules in zen-engine, the same amounts."""
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"refund": zen_table(policy)}}})
    rules = program.rules
    options = {"trace": True} if trace else None

    def decide(raw: dict) -> Result:
        f = program.lookup(refund_facts(raw))
        ctx = {**f, "price": float(f["price"]), "restocking_rate": float(f["restocking_rate"])}
        fired = rules[engine.evaluate("refund", ctx, options)["result"]["rule"]]
        rate = fired.fee_rate if fired.fee_rate is not None else f["restocking_rate"]
        return (fired.id, fired.outcome, *_amounts(fired.outcome, f["price"], rate))

    return decide


# -- plain Python: the default policy's rules written by hand ------------------------------------

def python_decider(policy: Policy, program: RefundProgram) -> Callable[[dict], Result]:
    """A hand-written first-hit function for the default policy (its two custom rules included)."""
    r = policy.returns
    min_price, min_returns, max_price = r.escalation_min_price, r.escalation_min_returns_90d, r.returnless_max_price
    custom = {rule.id: rule for rule in r.rules}
    assert set(custom) == {"opened_software", "damaged_batteries"}, "the hand-written peer encodes the default policy"
    outcome_of = {name: BUILTIN[name][0] for name in BUILTIN} | {k: v.outcome for k, v in custom.items()}

    def which(f: dict) -> str:
        if not f["returnable"] and not f["seller_fault"]:
            return "non_returnable"
        if f["category"] == "software" and f["condition"] in ("opened", "used") and not f["seller_fault"]:
            return "opened_software"
        if f["days_since_delivery"] > f["window_days"]:
            return "outside_window"
        if f["price"] >= min_price:
            return "high_value"
        if f["buyer_returns_90d"] >= min_returns:
            return "serial_returner"
        if f["category"] == "batteries" and f["reason"] in ("defective", "damaged_in_transit"):
            return "damaged_batteries"
        if not f["returnable"]:
            return "non_returnable_seller_fault"
        if f["reason"] == "not_received":
            return "not_received"
        if f["price"] <= max_price:
            return "low_value"
        if f["restocking_rate"] > 0 and not f["seller_fault"]:
            return "restocking_fee"
        return "approve_return"

    def decide(raw: dict) -> Result:
        f = program.lookup(refund_facts(raw))
        rule = which(f)
        outcome = outcome_of[rule]
        return (rule, outcome, *_amounts(outcome, f["price"], f["restocking_rate"]))

    return decide


# -- measurement ----------------------------------------------------------------------------------

def rss_mb() -> float:
    """Current resident set size in MiB (not the peak)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(decide: Callable[[dict], Any], requests: list[dict], min_seconds: float) -> tuple[float, float, float]:
    """(decisions per second, p50 us, p99 us) for `decide` over `requests`."""
    for facts in requests[:2000]:
        decide(facts)
    gc.collect()
    done, start = 0, time.perf_counter()
    while True:
        for facts in requests:
            decide(facts)
        done += len(requests)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
    clock = time.perf_counter_ns
    latencies = []
    for facts in requests:
        t0 = clock()
        decide(facts)
        latencies.append(clock() - t0)
    latencies.sort()
    return done / elapsed, statistics.median(latencies) / 1000, latencies[int(0.99 * len(latencies))] / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="generated refund requests (default 20000)")
    parser.add_argument("--rss-decisions", type=int, default=1_000_000, help="decisions for the RSS check (default 1000000)")
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum time per throughput run (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    policy = load_policy(DEFAULT_POLICY_PATH)
    compiled = compile_policy(policy)
    requests = refund_requests(policy, args.requests, seed=args.seed)

    def refundbot(raw: dict) -> Result:
        d = compiled.decide_refund(raw)
        return (d.rule, d.outcome, d.amounts["refund_amount"], d.amounts["fee"])

    peers = [
        ("refundbot (durable_rules C core)", compiled.decide_refund, refundbot),
        ("zen-engine decision table", None, zen_decider(policy, compiled.refund, trace=False)),
        ("zen-engine decision table + trace", None, zen_decider(policy, compiled.refund, trace=True)),
        ("plain Python function", None, python_decider(policy, compiled.refund)),
    ]
    expected = [refundbot(facts) for facts in requests]
    print(f"refundbot engine benchmark: {len(requests)} generated refund requests (seed {args.seed}), "
          f"policy {policy.version}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'engine':36s} {'decisions/s':>12s} {'p50 us':>8s} {'p99 us':>8s} {'agree':>13s}")
    figures = {}
    for name, timed, as_result in peers:
        agree = sum(as_result(facts) == want for facts, want in zip(requests, expected))
        rate, p50, p99 = measure(timed or as_result, requests, args.seconds)
        figures[name] = (rate, p50, p99, agree)
        print(f"{name:36s} {rate:12,.0f} {p50:8.2f} {p99:8.2f} {agree:>6}/{len(requests)}")

    ours = figures["refundbot (durable_rules C core)"]
    zen_plain, zen_trace = figures["zen-engine decision table"], figures["zen-engine decision table + trace"]
    python = figures["plain Python function"]
    print("ratios (throughput):")
    print(f"  refundbot / zen-engine          {ours[0] / zen_plain[0]:5.2f}x")
    print(f"  refundbot / zen-engine + trace  {ours[0] / zen_trace[0]:5.2f}x")
    print(f"  refundbot / plain Python        {ours[0] / python[0]:5.2f}x")

    gc.collect()
    for facts in requests:
        compiled.decide_refund(facts)
    before = rss_mb()
    rounds, rest = divmod(args.rss_decisions, len(requests))
    for _ in range(rounds):
        for facts in requests:
            compiled.decide_refund(facts)
    for facts in requests[:rest]:
        compiled.decide_refund(facts)
    gc.collect()
    growth = rss_mb() - before
    print(f"RSS over {args.rss_decisions:,} refundbot decisions: {before:.1f} MiB -> {before + growth:.1f} MiB (growth {growth:+.2f} MiB)")

    checks = [
        (f"p50 {ours[1]:.2f} us <= 15 us (rule trace included)", ours[1] <= 15),
        (f"throughput {ours[0]:,.0f}/s >= zen-engine's {zen_plain[0]:,.0f}/s", ours[0] >= zen_plain[0]),
        (f"RSS growth {growth:+.2f} MiB <= 5 MiB", growth <= 5),
        ("all engines agree on every request", all(f[3] == len(requests) for f in figures.values())),
    ]
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    compiled.close()
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
