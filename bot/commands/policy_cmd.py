"""`refundbot policy check|schema`: validate a policy file, print the JSON Schema."""
from __future__ import annotations

import argparse
import sys

from policy import PolicyErrors, load_policy, schema_json
from rules import EngineError, compile_policy

from .common import policy_path_of


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


def print_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema."""
    print(schema_json())
    return 0
