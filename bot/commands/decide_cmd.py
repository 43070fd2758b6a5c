"""`refundbot decide refund|tier|claim`: JSON Lines of facts in, one JSON decision per line out."""
from __future__ import annotations

import argparse
import json
import sys
from typing import IO

from rules import KINDS, CompiledPolicy, EngineError, FactsError

from .common import load_compiled, policy_path_of

MAX_LINE_BYTES = 1024 * 1024


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `decide` command."""
    decide = sub.add_parser(
        "decide",
        help="decide JSON Lines of facts from stdin",
        description="Reads one JSON object of facts per line from stdin and writes one JSON decision per line, "
        "in the same order. A bad line gets {\"error\": ...} naming the line and field; the rest are still "
        "decided and the exit code is 1. Blank lines are skipped.",
    )
    decide.add_argument("kind", choices=KINDS, help="what to decide")
    decide.add_argument("--policy", metavar="PATH", help="policy file (default: the configured policy)")
    decide.set_defaults(handler=run_decide)


def run_decide(args: argparse.Namespace) -> int:
    """Decide every line of stdin."""
    compiled = load_compiled(policy_path_of(args, args.policy))
    try:
        failures = decide_stream(compiled, args.kind, sys.stdin.buffer, sys.stdout)
    finally:
        compiled.close()
    return 1 if failures else 0


def decide_stream(compiled: CompiledPolicy, kind: str, source: IO[bytes], out: IO[str]) -> int:
    """Decide each JSON line of `source` into `out`; returns how many lines failed."""
    failures = 0
    for number, raw in enumerate(_lines(source), start=1):
        if raw is None:
            result = _error(number, None, f"the line is longer than {MAX_LINE_BYTES} bytes")
        elif not raw.strip():
            continue
        else:
            result = _decide_line(compiled, kind, number, raw)
        if "error" in result:
            failures += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return failures


def _lines(source: IO[bytes]):
    """Yield each line as bytes, or None for a line over the size cap (which is skipped to its end)."""
    while True:
        line = source.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # discard the rest of the oversized line
                rest = source.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
        else:
            yield line


def _decide_line(compiled: CompiledPolicy, kind: str, number: int, raw: bytes) -> dict:
    try:
        facts = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(number, None, f"invalid JSON: {exc}")
    except ValueError:  # an integer of more than 4,300 digits: Python refuses to convert it
        return _error(number, None, "invalid JSON: a number has too many digits")
    try:
        return compiled.decide(kind, facts).to_dict()
    except FactsError as exc:
        fields = [f for f, _ in exc.errors if f]
        result = _error(number, fields[0] if fields else None, "; ".join(f"{f}: {m}" if f else m for f, m in exc.errors))
        if len(fields) > 1:
            result["fields"] = fields
        return result
    except EngineError as exc:
        return _error(number, None, f"engine error: {exc}")


def _error(number: int, field: str | None, message: str) -> dict:
    result: dict = {"error": f"line {number}: {message}", "line": number}
    if field:
        result["field"] = field
    return result
