"""`refundbot policy check|schema|test|replay`: validate, describe, test a policy, and replay decisions under it."""
from __future__ import annotations

import argparse
import sys

from policy import PolicyErrors, load_policy, schema_json
from rules import EngineError, compile_policy
from rules.cases import run_cases

from .common import iso_date, load_compiled, policy_path_of


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `policy` command group."""
    policy = sub.add_parser("policy", help="check a policy file or print its JSON Schema")
    actions = policy.add_subparsers(dest="policy_command", metavar="ACTION", parser_class=type(policy))
    actions.required = True
    check = actions.add_parser("check", help="validate and compile a policy; exit 1 listing every error")
    check.add_argument("path", nargs="?", help="policy file (default: the configured policy)")
    check.set_defaults(handler=check_policy)
    schema = actions.add_parser("schema", help="print the policy language's JSON Schema")
    schema.set_defaults(handler=print_schema)
    test = actions.add_parser("test", help="run table-driven cases against a policy",
                              description="Runs each case (facts and expected fields) against the policy, prints failures with "
                              "the case's line and the rules no case reached; exit 1 on any failure.")
    test.add_argument("policy", help="policy file")
    test.add_argument("cases", help="cases file (YAML, see policy/default.cases.yaml)")
    test.add_argument("--require-coverage", action="store_true", help="also fail when a rule is reached by no case")
    test.set_defaults(handler=test_policy)
    register_replay(actions)


def register_replay(actions: argparse._SubParsersAction) -> None:
    """Add `policy replay` to the policy command group."""
    rep = actions.add_parser("replay", help="re-decide stored decisions under a new policy, writing nothing",
                             description="Decides every stored decision's facts again under NEW_POLICY and reports how "
                             "many would change, grouped by old -> new outcome, with the money impact and sample "
                             "decision ids. Nothing is written.")
    rep.add_argument("policy", metavar="NEW_POLICY", help="the edited policy file")
    rep.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help="only decisions made on or after this day (UTC)")
    rep.add_argument("--kind", choices=("refund", "tier", "claim"), action="append", help="only these kinds (repeatable)")
    rep.add_argument("--json", action="store_true", help="print the report as JSON")
    rep.set_defaults(handler=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    """Replay stored decisions under a new policy (the store is imported only for this action)."""
    from .lifecycle_cmd import run_replay as replay_stored

    return replay_stored(args)


def check_policy(args: argparse.Namespace) -> int:
    """Validate and compile the policy; print a summary (exit 0) or every error (exit 1)."""
    path = policy_path_of(args, args.path)
    try:
        compiled = compile_policy(load_policy(path))
    except PolicyErrors as exc:
        for error in exc.errors:
            print(error)
        print(f"{len(exc.errors)} error(s) in {path}", file=sys.stderr)
        return 1
    except EngineError as exc:
        print(f"{path}:1:1: compile: {exc}")
        return 1
    try:
        print(f"ok: {compiled.summary()}")
    finally:
        compiled.close()
    return 0


def test_policy(args: argparse.Namespace) -> int:
    """Run a cases file against a policy; exit 1 on any failing case (or uncovered rule with --require-coverage)."""
    compiled = load_compiled(args.policy)
    try:
        report = run_cases(compiled, args.cases)
    except PolicyErrors as exc:
        for error in exc.errors:
            print(error)
        print(f"the cases file {args.cases} is invalid", file=sys.stderr)
        return 1
    finally:
        compiled.close()
    for failure in report.failures:
        print(failure)
    for kind, rules in report.unreached.items():
        print(f"not reached by any case: {kind}: {', '.join(rules)}")
    print(f"{report.passed} of {report.total} cases passed" + (f", {len(report.failures)} failed" if report.failures else ""))
    if report.failures or (args.require_coverage and report.unreached):
        return 1
    return 0


def print_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema."""
    print(schema_json())
    return 0
