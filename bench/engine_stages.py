"""Where a decision's time goes: each stage of `Program.decide` timed alone (CPU us per decision, min of repeats).

Stages: fact checks, lookups, writing the event, the durable_rules C core (`fire`), explanation and
Decision, and the whole decision; for the default policy's refunds, the big language-2 policy's
(bench/engine_bench.py), the plain Amazon 2026 policy on the same requests, and finder-shaped
claims under Amazon 2026. The stages cost more together than alone (the C core and the Python
code evict each other's caches), so they do not add up to the whole.

Run: python bench/engine_stages.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine_bench import big_policy, big_requests, finder_claims  # noqa: E402
from policy import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from rules import compile_policy  # noqa: E402
from tests.rules.generate import refund_requests  # noqa: E402

STAGES = ("fact checks", "lookups", "writing the event", "C core (fire)", "explanation and Decision", "whole decision")


def stages(program, requests: list[dict], repeats: int) -> dict[str, float]:
    """CPU us per decision of each stage of `program` over `requests`, each stage alone (min of `repeats`)."""
    table, ctx = program.table, program.ctx
    given = [table.check(r) for r in requests]
    facts = [program.lookup(g) for g in given]
    events = [program.event(g, f) for g, f in zip(given, facts)]
    sets = [program.rulesets.get(table.ruleset_key(g)) or (program.ruleset, program.rules) for g in given]
    specs = [rules[ruleset.fire(e)] for (ruleset, rules), e in zip(sets, events)]
    runs = {
        "fact checks": lambda: [table.check(r) for r in requests],
        "lookups": lambda: [program.lookup(g) for g in given],
        "writing the event": lambda: [program.event(g, f) for g, f in zip(given, facts)],
        "C core (fire)": lambda: [ruleset.fire(e) for (ruleset, _), e in zip(sets, events)],
        "explanation and Decision": lambda: [table.decision(ctx, s, f, g, program.version) for s, f, g in zip(specs, facts, given)],
        "whole decision": lambda: [program.decide(r) for r in requests],
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):  # stages interleaved, so a busy moment of the machine hits them alike
        for name, run in runs.items():
            gc.collect()
            t0 = time.process_time()
            run()
            best[name] = min(best[name], (time.process_time() - t0) / len(requests) * 1e6)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    default = compile_policy(load_policy(DEFAULT_POLICY_PATH))
    amazon_policy = load_policy(str(ROOT / "policy" / "amazon-2026.yaml"))
    amazon = compile_policy(amazon_policy)
    home = Path(tempfile.mkdtemp(prefix="refundbot-stages-"))
    try:
        big_p = load_policy(str(big_policy(home, 10_000, 1_000)))
        big = compile_policy(big_p)
        big_reqs = big_requests(big_p, args.requests, 10_000, 1_000, 1)
        gc.collect()
        gc.freeze()  # as bench/engine_bench.py does for the big policy
        columns = {
            "default refunds": stages(default.refund, refund_requests(default.policy, args.requests, seed=1), args.repeats),
            "amazon-2026 refunds": stages(amazon.refund, big_reqs, args.repeats),
            "big language-2 refunds": stages(big.refund, big_reqs, args.repeats),
            "amazon-2026 claims": stages(amazon.claim, finder_claims(amazon_policy, args.requests, 1), args.repeats),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"CPU us per decision, each stage alone, min of {args.repeats} ({args.requests} requests)")
    print(f"{'stage':26s}" + "".join(f"{name:>24s}" for name in columns))
    for stage in STAGES:
        print(f"{stage:26s}" + "".join(f"{figures[stage]:24.2f}" for figures in columns.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
