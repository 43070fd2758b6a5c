"""Seller reward tiers: the rewards section of a policy compiled into one first-hit ruleset."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from policy.model import Policy, RewardsPolicy, Tier
from policy.vocabulary import NOT_ELIGIBLE

from .conditions import literal, rule
from .decision import Decision
from .engine import CompiledRuleset
from .facts import tier_facts
from .text import cite, money, percent, ratio

FEE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class TierRule:
    """What a tier rule decides once it fires: a tier (None: not eligible) and its reason code."""

    id: str
    tier: Tier | None
    reason: str


@dataclass(frozen=True, slots=True)
class Metrics:
    """A seller's ratios over the window; None where the denominator is zero."""

    vtr: Fraction | None
    aprl: Fraction | None
    cpu: Fraction | None

    @classmethod
    def of(cls, f: dict[str, int]) -> "Metrics":
        """Ratios from the counts."""
        def ratio(part: str, whole: str) -> Fraction | None:
            return Fraction(f[part], f[whole]) if f[whole] else None
        return cls(ratio("valid_tracking", "shipments"), ratio("prepaid_label_returns", "returns"), ratio("contacts", "units"))


def _shown(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 4)


class TierProgram:
    """The compiled tier ruleset of one policy version."""

    def __init__(self, policy: Policy):
        w = policy.rewards
        self.version = policy.version
        self._rewards = w
        low_tier = w.tier(w.low_volume_treat_as)
        specs: list[tuple[str, int, dict, TierRule]] = [
            ("low_volume", 100, {"$lt": {"units": w.low_volume_min_units}}, TierRule("low_volume", low_tier, "low_volume")),
            ("vtr_below_minimum", 200, {"$lt": {"vtr": literal(w.min_vtr)}}, TierRule("vtr_below_minimum", None, "vtr_below_minimum")),
            ("aprl_below_minimum", 300, {"$lt": {"aprl": literal(w.min_aprl)}}, TierRule("aprl_below_minimum", None, "aprl_below_minimum")),
        ]
        for i, tier in enumerate(w.tiers):
            # The last tier has no bound: it is the catch-all every request reaches.
            condition = {"$lte": {"cpu": literal(tier.max_cpu)}} if tier.max_cpu is not None else {"$ex": {"units": 1}}
            specs.append((f"tier_{tier.name}", 400 + i, condition, TierRule(f"tier_{tier.name}", tier, "cpu_tier")))
        self.rules = {name: spec for name, _, _, spec in specs}
        self.order = tuple(name for name, _, _, _ in specs)
        self.ruleset = CompiledRuleset(f"tier@{policy.version}", {name: rule(p, c) for name, p, c, _ in specs})

    def decide(self, raw: Any) -> Decision:
        """Decide a seller's tier from window counts (see rules.facts.TIER_FIELDS); FactsError on bad facts."""
        f = tier_facts(raw)
        m = Metrics.of(f)
        # No shipments: tracking can't be shown valid (VTR 0). No returns: no label was missing (APRL 1).
        # No units: CPU 0, but the low-volume rule catches it first (min_units is at least 1).
        event = (
            f'{{"sid":"0","units":{f["units"]},"vtr":{float(m.vtr) if m.vtr is not None else 0.0!r},'
            f'"aprl":{float(m.aprl) if m.aprl is not None else 1.0!r},"cpu":{float(m.cpu) if m.cpu is not None else 0.0!r}}}'
        )
        fired = self.rules[self.ruleset.fire(event)]
        w = self._rewards
        tier = fired.tier
        discount = tier.discount if tier else Decimal(0)
        fee = (w.fee_per_unit * (1 - discount)).quantize(FEE_QUANTUM, rounding=ROUND_HALF_UP).normalize()
        return Decision(
            kind="tier",
            outcome="eligible" if tier else "not_eligible",
            reason=fired.reason,
            rule=fired.id,
            explanation=cite(self._explain(fired, f, m, discount, fee), fired.id),
            policy_version=self.version,
            amounts={"discount": discount, "fee_per_unit": fee},
            details={
                "eligible": tier is not None,
                "tier": tier.name if tier else NOT_ELIGIBLE,
                "vtr": _shown(m.vtr),
                "aprl": _shown(m.aprl),
                "cpu": _shown(m.cpu),
                "advice": advice(w, f, m, fired.id),
            },
            facts=f,
        )

    def _explain(self, fired: TierRule, f: dict, m: Metrics, discount: Decimal, fee: Decimal) -> str:
        w = self._rewards
        if fired.id == "low_volume":
            text = (f"You had {f['units']} units in the last {w.window_days} days and the program assesses sellers "
                    f"from {w.low_volume_min_units} units")
            if fired.tier is None:
                return text + ", so you are not eligible for a discount yet."
            return text + f", so until then you get the {fired.tier.name} tier: {_price(fee, w.fee_per_unit)}."
        if fired.id == "vtr_below_minimum":
            return (f"Your Valid Tracking Rate is {ratio(m.vtr)} and the program needs at least {percent(w.min_vtr)}, "
                    f"so you are not eligible for a discount.")
        if fired.id == "aprl_below_minimum":
            return (f"Your prepaid return label rate is {ratio(m.aprl)} and the program needs at least {percent(w.min_aprl)}, "
                    f"so you are not eligible for a discount.")
        tier = fired.tier
        assert tier is not None
        if tier.max_cpu is None:
            previous = w.tiers[-2].max_cpu if len(w.tiers) > 1 else None
            bound = f", above every discount tier's limit ({percent(previous)})" if previous is not None else ""
            return f"Your Contacts Per Unit is {ratio(m.cpu)}{bound}, so you are in the {tier.name} tier: {_price(fee, w.fee_per_unit)}."
        return (f"Your Contacts Per Unit is {ratio(m.cpu)}, within the {tier.name} tier's limit of {percent(tier.max_cpu)}, "
                f"so {_price(fee, w.fee_per_unit)}.")

    def close(self) -> None:
        """Free the compiled ruleset."""
        self.ruleset.close()


def _price(fee: Decimal, base: Decimal) -> str:
    if fee == 0:
        return "the service is free"
    if fee == base:
        return f"the full fee of {money(base)} per unit applies"
    return f"you pay {money(fee, exact=True)} per unit instead of {money(base)}"


def _ceil(x: Fraction) -> int:
    return max(0, math.ceil(x))


def advice(w: RewardsPolicy, f: dict[str, int], m: Metrics, fired: str) -> list[str]:
    """Concrete steps that move the seller up: volume, tracking, labels, then contacts."""
    steps: list[str] = []
    if f["units"] < w.low_volume_min_units:
        steps.append(f"Sell {w.low_volume_min_units - f['units']} more units within {w.window_days} days to be assessed for a tier.")
    min_vtr, min_aprl = Fraction(str(w.min_vtr)), Fraction(str(w.min_aprl))
    if m.vtr is None or m.vtr < min_vtr:
        steps.append(_rate_step("valid tracking", "shipments", f["valid_tracking"], f["shipments"], min_vtr, "Valid Tracking Rate"))
    if m.aprl is not None and m.aprl < min_aprl:
        steps.append(_rate_step("a prepaid return label", "returns", f["prepaid_label_returns"], f["returns"], min_aprl,
                                "prepaid return label rate"))
    tiers = w.tiers
    current = next((i for i, t in enumerate(tiers) if t.max_cpu is None or (m.cpu or 0) <= Fraction(str(t.max_cpu))), len(tiers) - 1)
    if current > 0 and f["units"] > 0:
        better = tiers[current - 1]
        limit = Fraction(str(better.max_cpu))
        allowed = math.floor(limit * f["units"])
        fewer = f["contacts"] - allowed
        more_units = _ceil(Fraction(f["contacts"]) / limit) - f["units"] if limit > 0 else None
        alt = f", or sell {more_units} more units with no new contacts" if more_units is not None else ""
        steps.append(f"Cut buyer contacts by {fewer} (to {allowed} for {f['units']} units{alt}) to reach the {better.name} tier "
                     f"({percent(better.discount)} fee discount).")
    if not steps:
        best = tiers[0]
        cpu = f"Contacts Per Unit at or below {percent(best.max_cpu)} and " if best.max_cpu is not None else ""
        steps.append(f"You are in the best tier; keep {cpu}your tracking and prepaid label rates at "
                     f"{percent(w.min_vtr)} and {percent(w.min_aprl)} or better to stay there.")
    elif fired in ("vtr_below_minimum", "aprl_below_minimum", "low_volume"):
        steps.append(f"Once eligible, your current Contacts Per Unit of {ratio(m.cpu)} would put you in the {tiers[current].name} tier.")
    return steps


def _rate_step(what: str, unit: str, good: int, total: int, minimum: Fraction, name: str) -> str:
    if total == 0:
        return f"Ship with {what}: there are no {unit} in the window to measure your {name}."
    fix_existing = _ceil(minimum * total - good)
    if minimum >= 1:
        return f"Every one of your {unit} needs {what}; fix the {total - good} without it."
    next_ones = _ceil((minimum * total - good) / (1 - minimum))
    return (f"Raise your {name} from {ratio(Fraction(good, total))} to {percent(float(minimum))}: give your next {next_ones} "
            f"{unit} {what}, or correct {fix_existing} of the {total - good} {unit} without it.")
