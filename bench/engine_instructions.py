"""Instructions per decision under valgrind's callgrind: a measure the machine's load cannot move.

Decides `--decisions` warm requests (the same generated requests as bench/engine_bench.py) inside one
`functools.reduce` call, and callgrind collects only inside that call:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --toggle-collect=functools_reduce \
        --callgrind-out-file=/tmp/cg.out .venv/bin/python bench/engine_instructions.py --policy default
    callgrind_annotate /tmp/cg.out | head -30     # "PROGRAM TOTALS" / decisions = instructions per decision

`--stage` times one stage alone instead of the whole decision (as bench/engine_stages.py does):
check, lookup, event, fire (the C core and its Python side), decision (explanation and Decision).
Without valgrind it runs the same loop and prints the CPU time per decision.

Policies (refunds unless named): default (its own requests); big (bench/engine_bench.py's language-2 policy: Amazon
2026, dated values, 10,000 tagged SKUs, 1,001 overlays) and amazon (plain Amazon 2026) on big's requests;
big-small (the same generator at 10 SKUs and 20 overlays, on requests drawn the same way): big / big-small is
the cost of scale alone; default-scaled (policy/default.yaml with the same 10,000 SKUs and 1,001 overlays) and
default-plain (policy/default.yaml) on the same requests (the default's, each given a SKU and a seller of the
catalogue); claims (finder-shaped, Amazon 2026).

Run: python bench/engine_instructions.py [--policy default|amazon|big|big-small|default-scaled|default-plain|claims]
         [--stage whole] [--decisions 2000]
"""
from __future__ import annotations

import argparse
import functools
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine_bench import big_policy, big_requests, catalogue_requests, finder_claims  # noqa: E402
from policy import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from rules import compile_policy  # noqa: E402
from tests.rules.generate import refund_requests  # noqa: E402


def stage_loop(program, requests: list[dict], stage: str):
    """(a function of one index, the indexes): `stage` of `program` over `requests`, the other stages' results precomputed."""
    table, ctx = program.table, program.ctx
    if stage == "whole":
        decide = program.decide
        return lambda _, i: decide(requests[i])
    given = [table.check(r) for r in requests]
    if stage == "check":
        check = table.check
        return lambda _, i: check(requests[i])
    lookup = table.lookup_values if table.looked_up else table.lookup  # what a decision looks up
    facts = [lookup(ctx, g) for g in given]
    if stage == "lookup":
        return lambda _, i: lookup(ctx, given[i])
    events = [program.event(g, f) for g, f in zip(given, facts)]
    if stage == "event":
        event = program.event
        return lambda _, i: event(given[i], facts[i])
    sets = [program.rulesets.get(table.ruleset_key(g)) or (program.ruleset, program.rules) for g in given]
    firers = {id(rules): ruleset.firer(rules) for ruleset, rules in sets}
    fires = [firers[id(rules)] for _, rules in sets]
    if stage == "fire":
        return lambda _, i: fires[i](events[i])
    specs = [fire(e) for fire, e in zip(fires, events)]
    decision, version = table.decision, program.version
    return lambda _, i: decision(ctx, specs[i], facts[i], given[i], version)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", choices=("default", "amazon", "big", "big-small", "default-scaled", "default-plain", "claims"),
                        default="default")
    parser.add_argument("--stage", choices=("whole", "check", "lookup", "event", "fire", "decision"), default="whole")
    parser.add_argument("--decisions", type=int, default=2000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="refundbot-instructions-"))
    try:
        if args.policy == "default":
            compiled = compile_policy(load_policy(DEFAULT_POLICY_PATH))
            program, requests = compiled.refund, refund_requests(compiled.policy, args.decisions, seed=1)
        elif args.policy == "claims":
            amazon = load_policy(str(ROOT / "policy" / "amazon-2026.yaml"))
            compiled = compile_policy(amazon)
            program, requests = compiled.claim, finder_claims(amazon, args.decisions, 1)
        elif args.policy in ("default-scaled", "default-plain"):
            scaled = load_policy(str(big_policy(home, 10_000, 1_000, base="default")))
            requests = catalogue_requests(refund_requests(scaled, args.decisions, seed=1), 10_000, 1_000, 1)
            compiled = compile_policy(scaled if args.policy == "default-scaled" else load_policy(DEFAULT_POLICY_PATH))
            program = compiled.refund
        else:
            skus, sellers = (10, 20) if args.policy == "big-small" else (10_000, 1_000)
            big = load_policy(str(big_policy(home, skus, sellers)))
            requests = big_requests(big, args.decisions, skus, sellers, 1)
            compiled = compile_policy(big if args.policy != "amazon" else load_policy(str(ROOT / "policy" / "amazon-2026.yaml")))
            program = compiled.refund
    finally:
        shutil.rmtree(home, ignore_errors=True)
    step = stage_loop(program, requests, args.stage)
    indexes = range(len(requests))
    for _ in range(2):  # warm: memos filled, code specialised
        for i in indexes:
            step(None, i)
    gc.collect()
    gc.freeze()
    t0 = time.process_time()
    functools.reduce(step, indexes, None)  # callgrind collects inside this call only (--toggle-collect=functools_reduce)
    cpu = (time.process_time() - t0) / len(requests) * 1e6
    print(f"{args.policy} {args.stage}: {len(requests)} decisions, {cpu:.2f} us CPU each")
    compiled.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
