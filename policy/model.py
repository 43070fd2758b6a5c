"""The validated policy as immutable Python objects."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Generic, Mapping, TypeVar

T = TypeVar("T")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Any) -> Decimal:
    """A YAML number as an exact Decimal (via its shortest text form, never binary float)."""
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Dated(Generic[T]):
    """A value that changes on dates: `entries` are (from, value) in date order; the first `from` may be None."""

    entries: tuple[tuple[date | None, T], ...]

    def at(self, day: date) -> tuple[T, date | None]:
        """The value in force on `day` and the date it applies from (days before the first `from` get the first value)."""
        chosen = self.entries[0]
        for entry in self.entries[1:]:
            if entry[0] <= day:
                chosen = entry
            else:
                break
        return chosen[1], chosen[0]


def at(value: Any, day: date) -> Any:
    """`value` itself, or for a Dated value the one in force on `day`."""
    return value.at(day)[0] if type(value) is Dated else value


def every(value: Any) -> tuple:
    """Every value a possibly Dated value takes."""
    return tuple(v for _, v in value.entries) if type(value) is Dated else (value,)


@dataclass(frozen=True, slots=True)
class Fee:
    """A fee: `rate` x price + `fixed`, at least `min` and at most `max`, only when the price is above `above_price`; never more than the price."""

    rate: Decimal = Decimal(0)
    fixed: Decimal = Decimal(0)
    min: Decimal | None = None
    max: Decimal | None = None
    above_price: Decimal | None = None

    def amount(self, price: Decimal) -> Decimal:
        """The fee on `price`, in cents (half up)."""
        if self.above_price is not None and price <= self.above_price:
            return ZERO
        fee = price * self.rate + self.fixed
        if self.min is not None and fee < self.min:
            fee = self.min
        if self.max is not None and fee > self.max:
            fee = self.max
        return min(fee, price).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def is_rate(self) -> bool:
        """True for a plain percentage (the seeds' restocking fees)."""
        return not self.fixed and self.min is None and self.max is None and self.above_price is None

    def at_most(self, other: "Fee") -> bool:
        """True when this fee never exceeds `other` on any price (checked at the points where either changes)."""
        points = {Decimal(0), Decimal("0.01"), Decimal(1_000_000)}
        for fee in (self, other):
            for p in (fee.above_price, fee.min, fee.max):
                if p is not None:
                    points |= {p, p + CENT}
            for bound in (fee.min, fee.max):
                if bound is not None and fee.rate:
                    q = ((bound - fee.fixed) / fee.rate).quantize(CENT)
                    points |= {q - CENT, q, q + CENT}
        return all(self.amount(p) <= other.amount(p) for p in points if p >= 0)


@dataclass(frozen=True, slots=True)
class Category:
    """Per-category return settings, with the policy's defaults filled in (values may be Dated)."""

    name: str
    window_days: Any  # int | Dated[int]
    returnable: bool
    restocking_fee: Mapping[str, Any]  # condition -> Fee | Dated[Fee]
    label: str


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a rule: `field op value`, with dates as ordinals and tags as sorted tuples.

    Operators: eq, ne, in, not_in, gt, gte, lt, lte; contains_any, contains_all, contains_none
    (tags); yearly (a (from, to) pair of month*100+day, wrapping the year end when from > to).
    """

    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class CustomRule:
    """An operator-written rule of any kind (`returns.rules`, `claims.rules`, `rewards.rules`, or a seller's)."""

    id: str
    priority: int
    conditions: tuple[Condition, ...]
    outcome: str
    reason: str
    fee_rate: Decimal | None  # refunds: partial_refund with a plain rate
    explanation: str | None
    description: str
    line: int
    kind: str = "refund"
    fee: Fee | None = None  # refunds: partial_refund's fee (fee_rate is Fee(rate=fee_rate))
    refund_rate: Decimal | None = None  # refunds: keep_item_refund's share of the price
    reimbursement_rate: Decimal | None = None  # claims: approve at this rate instead of the reason's
    tier: str | None = None  # tiers: the tier an eligible outcome gives
    seller: str | None = None  # the seller whose overlay holds the rule; None: the marketplace
    source: str = ""  # the file that holds the rule

    @property
    def cited(self) -> str:
        """The rule id a decision cites: seller rules carry their seller (`S9/no_final_sale`)."""
        return f"{self.seller}/{self.id}" if self.seller else self.id


@dataclass(frozen=True, slots=True)
class WindowExtension:
    """A longer return window for requests matching `conditions`: `window_days`, or until a month-day after a yearly range."""

    id: str
    conditions: tuple[Condition, ...]
    window_days: Any  # int | Dated[int] | None
    until: tuple[int, int] | None  # (month, day): returnable until that day after the delivery


@dataclass(frozen=True, slots=True)
class ReturnsPolicy:
    """Return windows, category table, fees, returnless and escalation thresholds, custom rules (values may be Dated)."""

    default_window_days: Any
    categories: Mapping[str, Category]
    seller_fault_reasons: frozenset[str]
    restocking_fee: Mapping[str, Any]
    returnless_max_price: Any
    escalation_min_price: Any
    escalation_min_returns_90d: Any
    rules: tuple[CustomRule, ...]
    window_extensions: tuple[WindowExtension, ...] = ()

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
    """The seller reward program: metric window, eligibility, low-volume treatment, tiers, base fee, custom rules."""

    window_days: int
    fee_per_unit: Any  # Decimal | Dated[Decimal]
    min_vtr: Any
    min_aprl: Any
    low_volume_min_units: Any
    low_volume_treat_as: str
    tiers: tuple[Tier, ...]
    rules: tuple[CustomRule, ...] = ()

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
    min_days_since_refund: Any  # int | Dated[int]
    non_returnable_only: bool
    reimbursement_rate: Any  # Decimal | Dated[Decimal]


@dataclass(frozen=True, slots=True)
class ClaimsPolicy:
    """Claim filing window, the reimbursable reasons, per-order caps and custom rules (values may be Dated)."""

    filing_window_days: Any
    deny_late_auto_refunds: bool
    reasons: Mapping[str, ClaimReason]
    max_per_order: Any = None  # Decimal | Dated | None: total reimbursements on one order
    max_share_of_order: Any = None  # Decimal | Dated | None: ... as a share of the order total
    rules: tuple[CustomRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Floor:
    """What a seller overlay may not go below: the marketplace's windows, returnable categories, fees; deny rules."""

    windows: bool = True
    returnable: bool = True
    fees: bool = True
    deny_rules: bool = True  # True: seller rules may not deny or escalate


@dataclass(frozen=True, slots=True)
class SellerOverlay:
    """A seller's own return rules: their returns section merged over the marketplace's, plus their rules."""

    seller: str
    label: str
    source: str
    returns: ReturnsPolicy


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
    overlays: Mapping[str, SellerOverlay] = field(default_factory=lambda: MappingProxyType({}))
    floor: Floor | None = None
    overlay_directory: str | None = None
    product_tags: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    raw_locations: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    @property
    def version(self) -> str:
        """The policy version cited by decisions: the file's version text plus its content hash."""
        return f"{self.label}+{self.content_hash[:12]}"


def freeze(mapping: dict) -> Mapping:
    """A read-only view of a dict."""
    return MappingProxyType(dict(mapping))
