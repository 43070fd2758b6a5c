"""Table-driven policy tests: cases of facts and expected results, run against a compiled policy."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from policy.errors import PolicyErrors, did_you_mean
from policy.validate import SchemaValidator
from policy.yamlsafe import load_file

from .compiler import CompiledPolicy
from .decision import KINDS
from .facts import FactsError

CASES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["cases"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "cases": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "kind", "facts", "expect"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "kind": {"enum": list(KINDS)},
                    "facts": {"type": "object"},
                    "expect": {"type": "object", "minProperties": 1},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class CaseFailure:
    """One case that did not decide as expected."""

    source: str
    line: int
    name: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: case '{self.name}': " + "; ".join(self.problems)


@dataclass
class CaseReport:
    """The outcome of running a cases file: failures, counts and the rules no case reached."""

    total: int = 0
    failures: list[CaseFailure] = field(default_factory=list)
    fired: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in KINDS})
    unreached: dict[str, list[str]] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        """How many cases passed."""
        return self.total - len(self.failures)


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        try:
            return Decimal(str(expected)) == Decimal(str(actual))
        except InvalidOperation:
            return False
    return expected == actual


def run_cases(compiled: CompiledPolicy, path: str) -> CaseReport:
    """Run every case in the YAML file at `path`; raises PolicyErrors if the file itself is malformed."""
    located = load_file(path)
    validator = SchemaValidator(located)
    validator.check(located.data, CASES_SCHEMA)
    if validator.errors:
        raise PolicyErrors(validator.errors)
    report = CaseReport()
    for index, case in enumerate(located.data["cases"]):
        report.total += 1
        line = located.where(("cases", index))[0]
        problems = _check_case(compiled, case, report)
        if problems:
            report.failures.append(CaseFailure(path, line, case["name"], tuple(problems)))
    for kind, ids in compiled.rule_ids().items():
        missing = [rule for rule in ids if rule not in report.fired[kind]]
        if missing:
            report.unreached[kind] = missing
    return report


def _check_case(compiled: CompiledPolicy, case: dict, report: CaseReport) -> list[str]:
    try:
        decision = compiled.decide(case["kind"], case["facts"])
    except FactsError as exc:
        return [f"invalid facts: {exc}"]
    report.fired[case["kind"]].add(decision.rule)
    actual = decision.to_dict()
    problems = []
    for key, expected in case["expect"].items():
        if key not in actual:
            problems.append(f"a {case['kind']} decision has no field '{key}'{did_you_mean(key, list(actual))}")
        elif not _same(expected, actual[key]):
            problems.append(f"expected {key} {expected!r}, got {actual[key]!r}")
    if problems:
        problems.append(f"decided by rule {decision.rule}")
    return problems
