"""The validated policy as immutable Python objects."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping


def money(value: Any) -> Decimal:
    """A YAML number as an exact Decimal (via its shortest text form, never binary float)."""
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Category:
    """Per-category return settings, with the policy's defaults filled in."""

    name: str
    window_days: int
    returnable: bool
    restocking_fee: Mapping[str, Decimal]
    label: str


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a custom rule: `field op value`."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class CustomRule:
    """An operator-written refund rule from `returns.rules`."""

    id: str
    priority: int
    conditions: tuple[Condition, ...]
    outcome: str
    reason: str
    fee_rate: Decimal | None
    explanation: str | None
    description: str
    line: int


@dataclass(frozen=True, slots=True)
class ReturnsPolicy:
    """Return windows, category table, fees, returnless and escalation thresholds, custom rules."""

    default_window_days: int
    categories: Mapping[str, Category]
    seller_fault_reasons: frozenset[str]
    restocking_fee: Mapping[str, Decimal]
    returnless_max_price: Decimal
    escalation_min_price: Decimal
    escalation_min_returns_90d: int
    rules: tuple[CustomRule, ...]

    def category(self, name: str) -> Category:
        """Settings for `name`; categories the policy does not list get the defaults."""
        found = self.categories.get(name)
        if found is not None:
            return found
        return Category(name, self.default_window_days, True, self.restocking_fee, name.replace("_", " "))


@dataclass(frozen=True, slots=True)
class Tier:
    """A reward tier: sellers with CPU at or below `max_cpu` (None: no bound) get `discount`."""

    name: str
    max_cpu: Decimal | None
    discount: Decimal


@dataclass(frozen=True, slots=True)
class RewardsPolicy:
    """The seller reward program: metric window, eligibility, low-volume treatment, tiers, base fee."""

    window_days: int
    fee_per_unit: Decimal
    min_vtr: Decimal
    min_aprl: Decimal
    low_volume_min_units: int
    low_volume_treat_as: str
    tiers: tuple[Tier, ...]

    def tier(self, name: str) -> Tier | None:
        """The tier called `name`, if any."""
        return next((t for t in self.tiers if t.name == name), None)


@dataclass(frozen=True, slots=True)
class ClaimReason:
    """What a reimbursement claim for one reason needs."""

    reason: str
    return_state: str
    refund_issued_by: frozenset[str]
    evidence: tuple[str, ...]
    min_days_since_refund: int
    non_returnable_only: bool
    reimbursement_rate: Decimal


@dataclass(frozen=True, slots=True)
class ClaimsPolicy:
    """Claim filing window and the reimbursable reasons."""

    filing_window_days: int
    deny_late_auto_refunds: bool
    reasons: Mapping[str, ClaimReason]


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy. `version` (label + content hash) names it in every decision."""

    label: str
    content_hash: str
    source: str
    returns: ReturnsPolicy
    rewards: RewardsPolicy
    claims: ClaimsPolicy
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def version(self) -> str:
        """The policy version cited by decisions: the file's version text plus its content hash."""
        return f"{self.label}+{self.content_hash[:12]}"


def freeze(mapping: dict) -> Mapping:
    """A read-only view of a dict."""
    return MappingProxyType(dict(mapping))
