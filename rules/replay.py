"""Replaying stored decisions under another policy: what would change, and what it would cost."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping, NamedTuple

from .compiler import CompiledPolicy
from .facts import FactsError

MONEY_FIELDS = ("refund_amount", "fee", "reimbursement")
SAMPLES = 5


class StoredDecision(NamedTuple):
    """What replay needs of a logged decision."""

    id: str
    kind: str
    policy_version: str
    facts: Mapping[str, Any]
    result: Mapping[str, Any]


def _amount(result: Mapping[str, Any], name: str) -> Decimal:
    value = result.get(name)
    return Decimal(str(value)) if value is not None else Decimal(0)


@dataclass
class ChangeGroup:
    """Decisions of one kind whose outcome went from `old` to `new` (or whose amounts changed)."""

    kind: str
    old: str
    new: str
    count: int = 0
    money: dict[str, Decimal] = field(default_factory=lambda: {name: Decimal(0) for name in MONEY_FIELDS})
    samples: list[str] = field(default_factory=list)


@dataclass
class ReplayReport:
    """The effect of a new policy on the stored decisions."""

    new_version: str
    total: int = 0
    unchanged: int = 0
    rule_only: int = 0  # same outcome and amounts, another rule
    groups: dict[tuple[str, str, str], ChangeGroup] = field(default_factory=dict)
    failed: int = 0
    failed_samples: list[str] = field(default_factory=list)
    old_versions: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        """Decisions whose outcome or amounts would change."""
        return sum(g.count for g in self.groups.values())

    def money(self) -> dict[str, Decimal]:
        """Total change in refunds, fees and reimbursements over every changed decision."""
        return {name: sum((g.money[name] for g in self.groups.values()), Decimal(0)) for name in MONEY_FIELDS}


def replay(compiled: CompiledPolicy, decisions: Iterable[StoredDecision]) -> ReplayReport:
    """Decide every stored decision's facts again with `compiled`; nothing is written anywhere."""
    report = ReplayReport(compiled.version)
    for stored in decisions:
        report.total += 1
        report.old_versions[stored.policy_version] += 1
        try:
            new = compiled.decide(stored.kind, stored.facts).to_dict()
        except (FactsError, ValueError) as exc:
            report.failed += 1
            if len(report.failed_samples) < SAMPLES:
                report.failed_samples.append(f"{stored.id}: {exc}")
            continue
        old = stored.result
        deltas = {name: _amount(new, name) - _amount(old, name) for name in MONEY_FIELDS}
        same_amounts = all(v == 0 for v in deltas.values()) and new.get("discount") == old.get("discount")
        if new["outcome"] == old.get("outcome") and same_amounts:
            report.unchanged += 1
            report.rule_only += new["rule"] != old.get("rule")
            continue
        key = (stored.kind, str(old.get("outcome")), new["outcome"])
        group = report.groups.setdefault(key, ChangeGroup(*key))
        group.count += 1
        for name, delta in deltas.items():
            group.money[name] += delta
        if len(group.samples) < SAMPLES:
            group.samples.append(stored.id)
    return report
