"""The result of a decision: what was decided, why, by which rule of which policy version."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Mapping, NamedTuple

KINDS = ("refund", "tier", "claim")


_EMPTY: Mapping[str, Any] = {}


class Decision(NamedTuple):
    """One decision of any kind; `amounts` are exact Decimals, `details` are kind-specific extras.

    A NamedTuple rather than a frozen dataclass: it is as immutable and costs a fraction
    of the construction time on the decision hot path.
    """

    kind: str
    outcome: str
    reason: str
    rule: str
    explanation: str
    policy_version: str
    amounts: Mapping[str, Decimal] = _EMPTY
    details: Mapping[str, Any] = _EMPTY
    facts: Mapping[str, Any] = _EMPTY

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data: amounts as numbers, details inline, without the facts."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "outcome": self.outcome,
            "reason": self.reason,
            "rule": self.rule,
            "policy_version": self.policy_version,
        }
        for name, value in self.amounts.items():
            out[name] = float(value)
        out.update(self.details)
        out["explanation"] = self.explanation
        return out


def jsonable(value: Any) -> Any:
    """Facts with Decimals turned into numbers and dates into YYYY-MM-DD, for JSON."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
