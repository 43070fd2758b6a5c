"""Dumps every decision (or error) over generated requests, for proving an engine change keeps the meaning.

For the default, Amazon 2026, random (language 1 and 2) and big (bench/engine_bench.py) policies, and
each decision kind (refund, claim, tier), it decides generated requests (tests/rules/generate.py),
the same requests with store-shaped values (Decimals, dates) and malformed variants of them, and
writes one line per request: the whole Decision (outcome, reason, rule, explanation, version,
amounts, details, facts) or the error's type and (field, message) pairs. It prints a digest per
section and overall; run it before and after a change and compare the files (they must be identical).

Run: python bench/decision_dump.py --out /tmp/dump.txt
"""
from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from policy import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from rules import compile_policy  # noqa: E402
from rules.facts import pin_today  # noqa: E402
from tests.rules import generate  # noqa: E402

AMAZON = str(ROOT / "policy" / "amazon-2026.yaml")
# Requests without a date are decided on "today": pinned, the digest is the same whatever day it is made.
REFERENCE_DAY = date(2026, 11, 30)
# Values that break one fact or another: wrong types, out of range, malformed codes and dates.
BAD_VALUES = [None, "x", "", -1, -0.5, 1.005, 1.5, True, False, [], {}, ["final_sale", "BAD"], "2026-13-01", "2026-02-30",
              10**13, float("nan"), float("inf"), "ABC", "de", "12.345", Decimal("-1"), Decimal("1.001"), "a" * 70, 0, 100000, 100001,
              date(2026, 1, 1), "2026-01-01", ["member"], ["gift", "gift"], 3.0, "1e3", Decimal("NaN")]
EXTRA_KEYS = ["pricee", "returnable", "window_days", "buyer_return_rate", "days_since_anchor", "cap_left", "seller_fault", 7]


def store_shaped(facts: dict) -> dict:
    """The same facts as the store builds them: money as Decimals, dates as dates."""
    out = {}
    for name, value in facts.items():
        if type(value) is float:
            value = Decimal(repr(value)).quantize(Decimal("0.01"))
        elif type(value) is str and len(value) == 10 and value[4] == "-" and value[:4].isdigit():
            value = date.fromisoformat(value)
        out[name] = value
    return out


def malformed(rng: random.Random, facts: dict) -> Any:
    """`facts` broken in one or two ways (or not a mapping at all)."""
    pick = rng.random()
    if pick < 0.02:
        return rng.choice([[], "facts", None, 3, [facts]])
    out = dict(facts)
    for _ in range(rng.choice([1, 1, 1, 2])):
        what = rng.random()
        keys = list(out)
        if what < 0.25 and keys:
            del out[rng.choice(keys)]
        elif what < 0.35:
            out[rng.choice(EXTRA_KEYS)] = rng.choice(BAD_VALUES[:8])
        elif keys:
            out[rng.choice(keys)] = rng.choice(BAD_VALUES)
    return out


def line(compiled, kind: str, facts: Any) -> str:
    """One decision or error, written out in full."""
    try:
        d = compiled.decide(kind, facts)
    except Exception as exc:  # noqa: BLE001 - every failure is part of the dump
        errors = getattr(exc, "errors", None)
        return f"ERROR {type(exc).__name__} {errors!r}" if errors is not None else f"ERROR {type(exc).__name__} {exc}"
    return (f"{d.kind}|{d.outcome}|{d.reason}|{d.rule}|{d.policy_version}|{list(d.amounts.items())!r}|{d.details!r}|"
            f"{d.explanation}|{list(d.facts.items())!r}")


def dump(name: str, compiled, kind: str, requests: Iterable[Any], seed: int, out, totals: dict) -> None:
    """Write the decisions of `requests`, their store-shaped twins and malformed variants, under a header."""
    rng = random.Random(seed)
    digest, count, errors = hashlib.sha256(), 0, 0
    for facts in requests:
        variants = [facts, store_shaped(facts)]
        if rng.random() < 0.25:
            variants.append(malformed(rng, facts))
        for variant in variants:
            text = line(compiled, kind, variant)
            out.write(text + "\n")
            digest.update(text.encode() + b"\n")
            count += 1
            errors += text.startswith("ERROR")
    out.write(f"== {name} {kind}: {count} lines, {errors} errors, sha256 {digest.hexdigest()}\n")
    print(f"{name:28s} {kind:7s} {count:7,d} lines {errors:6,d} errors  {digest.hexdigest()[:16]}")
    totals["lines"] += count
    totals["digest"].update(digest.digest())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="file to write every decision to")
    parser.add_argument("--requests", type=int, default=3000, help="generated requests per policy and kind (default 3000)")
    parser.add_argument("--today", type=date.fromisoformat, default=REFERENCE_DAY,
                        help=f"the day requests without a date are decided on (default {REFERENCE_DAY}, so a digest "
                             "does not change with the day it is made)")
    args = parser.parse_args()
    pin_today(args.today)
    n = args.requests
    totals = {"lines": 0, "digest": hashlib.sha256()}
    with open(DEFAULT_POLICY_PATH) as fh:
        base = yaml.safe_load(fh)
    home = Path(tempfile.mkdtemp(prefix="refundbot-dump-"))
    try:
        with open(args.out, "w") as out:
            default = load_policy(DEFAULT_POLICY_PATH)
            amazon = load_policy(AMAZON)
            policies = [("default", default, 1), ("amazon-2026", amazon, 2)]
            for seed in range(3):
                policies.append((f"random-{seed}", generate.random_policy(seed, base), 1))
                policies.append((f"random2-{seed}", generate.random_policy2(seed, base, home / f"r{seed}"), 2))
            from bench.engine_bench import big_policy, big_requests  # noqa: PLC0415 - imports zen only when run
            (home / "big").mkdir()
            big = load_policy(str(big_policy(home / "big", 10_000, 1_000)))
            for name, policy, language in policies + [("big", big, 3)]:
                compiled = compile_policy(policy)
                try:
                    if language == 1:
                        kinds = {"refund": generate.refund_requests(policy, n, seed=5), "claim": generate.claim_requests(policy, n, seed=6),
                                 "tier": generate.tier_requests(n, seed=7)}
                    else:
                        kinds = {"refund": generate.refund_requests2(policy, n, seed=15),
                                 "claim": generate.claim_requests2(policy, n, seed=16), "tier": generate.tier_requests2(n, seed=17)}
                    if language == 3:
                        kinds["refund"] = big_requests(policy, 2 * n, 10_000, 1_000, seed=18)
                    if language >= 2:  # the seeds' six facts too
                        kinds["refund"] += generate.refund_requests(policy, n // 3, seed=19)
                        kinds["claim"] += generate.claim_requests(policy, n // 3, seed=20)
                    for kind, requests in kinds.items():
                        dump(name, compiled, kind, requests, len(name) * 31 + len(kind), out, totals)
                finally:
                    compiled.close()
            out.write(f"== total {totals['lines']} lines, sha256 {totals['digest'].hexdigest()}\n")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"total {totals['lines']:,} lines, digest {totals['digest'].hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
