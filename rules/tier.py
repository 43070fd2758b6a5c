"""Seller reward tiers: the rewards section of a policy compiled into one first-hit ruleset."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from policy import templates
from policy.facts import NEVER_ENROLLED_DAYS
from policy.model import CustomRule, Policy, RewardsPolicy, Tier
from policy.vocabulary import NOT_ELIGIBLE, TIER_PRIORITY

from .conditions import literal, same_event
from .dated import resolve
from .decision import Decision
from .facts import _FAST, TIER_FIELDS, tier_facts
from .program import KindTable, RuleSpec, custom_spec
from .text import cite, in_force_note, money, percent, ratio, show, words

FEE_QUANTUM = Decimal("0.0001")


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


class TierContext:
    """The rewards section."""

    def __init__(self, policy: Policy):
        self.rewards = policy.rewards


class TierTable(KindTable):
    """Seller reward tiers: a seller's counts over the window."""

    kind = "tier"
    default_template = "Your account matches the rule {rule}, so your tier is {tier}."
    event_types = {"min_units": "count", "min_vtr": "money", "min_aprl": "money"}

    def context(self, policy: Policy) -> TierContext:
        return TierContext(policy)

    def builtins(self, ctx: TierContext) -> list[RuleSpec]:
        w = ctx.rewards
        specs = [
            RuleSpec("low_volume", 100, "eligible" if w.tier(w.low_volume_treat_as) else "not_eligible", "low_volume", "",
                     {"$lt": {"units": same_event("min_units")}}, ("min_units",), extra=w.tier(w.low_volume_treat_as)),
            RuleSpec("vtr_below_minimum", 200, "not_eligible", "vtr_below_minimum", "", {"$lt": {"vtr": same_event("min_vtr")}}, ("min_vtr",)),
            RuleSpec("aprl_below_minimum", 300, "not_eligible", "aprl_below_minimum", "", {"$lt": {"aprl": same_event("min_aprl")}},
                     ("min_aprl",)),
        ]
        for i, tier in enumerate(w.tiers):
            # The last tier has no bound: it is the catch-all every request reaches.
            condition = {"$lte": {"cpu": literal(tier.max_cpu)}} if tier.max_cpu is not None else {"$ex": {"units": 1}}
            specs.append(RuleSpec(f"tier_{tier.name}", TIER_PRIORITY + i, "eligible", "cpu_tier", "", condition, (), extra=tier))
        return specs

    def custom_rules(self, policy: Policy) -> dict[str | None, tuple[CustomRule, ...]]:
        return {None: policy.rewards.rules}

    def spec_of(self, custom: CustomRule) -> RuleSpec:
        return custom_spec(custom, "tier", self.default_template, extra=None)

    def check(self, raw: Any) -> dict:
        return tier_facts(raw)

    fast_check = staticmethod(_FAST["tier"])  # the generated checker (rules/factcode.py); check() runs when it steps aside

    def lookup(self, ctx: TierContext, given: dict) -> dict:
        w = ctx.rewards
        day = given["as_of"]
        dated: dict[str, tuple[Any, date]] = {}
        m = Metrics.of(given)
        f = dict(given)
        # No shipments: tracking can't be shown valid (VTR 0). No returns: no label was missing (APRL 1).
        # No units: CPU 0, but the low-volume rule catches it first (min_units is at least 1).
        f["vtr"] = float(m.vtr) if m.vtr is not None else 0.0
        f["aprl"] = float(m.aprl) if m.aprl is not None else 1.0
        f["cpu"] = float(m.cpu) if m.cpu is not None else 0.0
        enrolled = given["enrolled_on"]
        f["days_since_enrolment"] = (day - enrolled).days if enrolled is not None else NEVER_ENROLLED_DAYS
        f["min_units"] = resolve(w.low_volume_min_units, day, "min_units", dated)
        f["min_vtr"] = resolve(w.min_vtr, day, "min_vtr", dated)
        f["min_aprl"] = resolve(w.min_aprl, day, "min_aprl", dated)
        f["fee_per_unit"] = resolve(w.fee_per_unit, day, "fee_per_unit", dated)
        f["metrics"] = m
        f["dated"] = dated
        return f

    def decision(self, ctx: TierContext, spec: RuleSpec, f: dict, given: dict, version: str) -> Decision:
        w = replace(ctx.rewards, fee_per_unit=f["fee_per_unit"], min_vtr=f["min_vtr"], min_aprl=f["min_aprl"],
                    low_volume_min_units=f["min_units"])
        m = f["metrics"]
        counts = {name: f[name] for name in TIER_FIELDS}
        if spec.custom is not None:
            tier = w.tier(spec.custom.tier) if spec.custom.tier else None
        else:
            tier = spec.extra
        discount = tier.discount if tier else Decimal(0)
        fee = (w.fee_per_unit * (1 - discount)).quantize(FEE_QUANTUM, rounding=ROUND_HALF_UP).normalize()
        if spec.custom is not None:
            own = {"tier": tier.name if tier else NOT_ELIGIBLE, "discount": percent(discount), "fee_per_unit": money(fee, exact=True),
                   "rule": spec.cited, "outcome": words(spec.outcome)}
            text = templates.render(spec.template, {n: own[n] if n in own else show("tier", n, f.get(n)) for n in spec.fields})
        else:
            text = _explain(w, spec, tier, counts, m, fee)
        notes = [(name, f["dated"][name]) for name in ("fee_per_unit", *spec.uses) if name in f["dated"]]
        details = {
            "eligible": tier is not None,
            "tier": tier.name if tier else NOT_ELIGIBLE,
            "vtr": _shown(m.vtr),
            "aprl": _shown(m.aprl),
            "cpu": _shown(m.cpu),
            "advice": advice(w, counts, m, spec.id, given=tier, by=spec.custom),
        }
        if notes:
            details["in_force"] = {name: start.isoformat() for name, (_, start) in notes}
            text = in_force_note(text, [(_LABELS[n], _shown_value(n, v), start) for n, (v, start) in notes], "days", f["as_of"])
        return Decision(
            kind="tier",
            outcome="eligible" if tier else "not_eligible",
            reason=spec.reason,
            rule=spec.cited,
            explanation=cite(text, spec.cited),
            policy_version=version,
            amounts={"discount": discount, "fee_per_unit": fee},
            details=details,
            facts=given,
        )


_LABELS = {"fee_per_unit": "base fee", "min_units": "low-volume threshold", "min_vtr": "minimum VTR", "min_aprl": "minimum APRL"}


def _shown_value(name: str, value: Any) -> str:
    if name == "fee_per_unit":
        return money(value, exact=True) + " per unit"
    if name == "min_units":
        return f"{value} units"
    return percent(value)


def _explain(w: RewardsPolicy, spec: RuleSpec, tier: Tier | None, f: dict, m: Metrics, fee: Decimal) -> str:
    if spec.id == "low_volume":
        text = (f"You had {f['units']} units in the last {w.window_days} days and the program assesses sellers "
                f"from {w.low_volume_min_units} units")
        if tier is None:
            return text + ", so you are not eligible for a discount yet."
        return text + f", so until then you get the {tier.name} tier: {_price(fee, w.fee_per_unit)}."
    if spec.id == "vtr_below_minimum":
        return (f"Your Valid Tracking Rate is {ratio(m.vtr)} and the program needs at least {percent(w.min_vtr)}, "
                f"so you are not eligible for a discount.")
    if spec.id == "aprl_below_minimum":
        return (f"Your prepaid return label rate is {ratio(m.aprl)} and the program needs at least {percent(w.min_aprl)}, "
                f"so you are not eligible for a discount.")
    assert tier is not None
    if tier.max_cpu is None:
        previous = w.tiers[-2].max_cpu if len(w.tiers) > 1 else None
        bound = f", above every discount tier's limit ({percent(previous)})" if previous is not None else ""
        return f"Your Contacts Per Unit is {ratio(m.cpu)}{bound}, so you are in the {tier.name} tier: {_price(fee, w.fee_per_unit)}."
    return (f"Your Contacts Per Unit is {ratio(m.cpu)}, within the {tier.name} tier's limit of {percent(tier.max_cpu)}, "
            f"so {_price(fee, w.fee_per_unit)}.")


TABLE = TierTable()



def _price(fee: Decimal, base: Decimal) -> str:
    if fee == 0:
        return "the service is free"
    if fee == base:
        return f"the full fee of {money(base)} per unit applies"
    return f"you pay {money(fee, exact=True)} per unit instead of {money(base)}"


def _ceil(x: Fraction) -> int:
    return max(0, math.ceil(x))


def advice(w: RewardsPolicy, f: dict[str, int], m: Metrics, fired: str, *, given: Tier | None = None,
           by: CustomRule | None = None) -> list[str]:
    """Concrete steps that move the seller up: volume, tracking, labels, then contacts.

    `given` is the tier an operator's rule `by` gave: the built-in thresholds did not place the seller, so
    the advice starts from that tier and names the rule instead of the tier table's contacts limit."""
    if given is not None and by is not None:
        return _advice_after_custom(w, given, by)
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


def _advice_after_custom(w: RewardsPolicy, given: Tier, by: CustomRule) -> list[str]:
    """Advice for a tier an operator's rule gave: the rule, since the tier table's limits did not decide it."""
    reason = by.description.rstrip(".") or by.id
    if w.tiers and given.name == w.tiers[0].name:
        return [f"You are in the best tier by the policy's rule {by.id}: {reason}."]
    return [f"Your tier comes from the policy's rule {by.id}: {reason}; the tier table's contacts limits do not apply to it."]


def _rate_step(what: str, unit: str, good: int, total: int, minimum: Fraction, name: str) -> str:
    if total == 0:
        return f"Ship with {what}: there are no {unit} in the window to measure your {name}."
    fix_existing = _ceil(minimum * total - good)
    if minimum >= 1:
        return f"Every one of your {unit} needs {what}; fix the {total - good} without it."
    next_ones = _ceil((minimum * total - good) / (1 - minimum))
    return (f"Raise your {name} from {ratio(Fraction(good, total))} to {percent(float(minimum))}: give your next {next_ones} "
            f"{unit} {what}, or correct {fix_existing} of the {total - good} {unit} without it.")
