"""Turns schema-valid policy data into a Policy, checking what a schema cannot: references, order, reachability."""
from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from .errors import PolicyError, did_you_mean
from .model import (
    Category, ClaimReason, ClaimsPolicy, Condition, CustomRule, Policy, ReturnsPolicy, RewardsPolicy, Tier, freeze, money,
)
from . import templates
from .reach import covers, impossible_field
from .vocabulary import (
    BUILTIN_REFUND_RULES, CONDITIONS, EXPLANATION_KINDS, MAX_CONDITION_LEAVES, NOT_ELIGIBLE, REFUND_REASONS,
    REFUND_RULE_FIELDS,
)
from .yamlsafe import Located, show_path

_ENUMS = {"reason": REFUND_REASONS, "condition": CONDITIONS}
_ORDER_OPS = ("gt", "gte", "lt", "lte")


class PolicyBuilder:
    """Builds the Policy model from validated data and records semantic errors."""

    def __init__(self, located: Located, content_hash: str):
        self.located = located
        self.content_hash = content_hash
        self.errors: list[PolicyError] = []

    def fail(self, path: tuple, code: str, message: str, *, key: bool = False) -> None:
        """Record an error located at `path`."""
        self.errors.append(self.located.error(path, code, f"{show_path(path)}: {message}", key=key))

    def build(self, skip: set = frozenset()) -> Policy | None:
        """The Policy, or None when errors were recorded; sections in `skip` already failed the schema."""
        data = self.located.data
        returns = self._returns(data["returns"]) if "returns" not in skip else None
        rewards = self._rewards(data["rewards"]) if "rewards" not in skip else None
        claims = self._claims(data["claims"]) if "claims" not in skip else None
        if self.errors or skip:
            return None
        return Policy(
            label=data["version"],
            content_hash=self.content_hash,
            source=self.located.source,
            returns=returns,
            rewards=rewards,
            claims=claims,
            raw=data,
        )

    # -- returns --------------------------------------------------------------------------------

    def _cents(self, path: tuple, value, places: int = 2) -> None:
        """Money in the policy has at most `places` decimals (prices two, a per-unit fee four)."""
        if value is not None and money(value) != money(value).quantize(Decimal(1).scaleb(-places)):
            self.fail(path, "bad-value", f"{value} has more than {places} decimal places")

    def _returns(self, r: dict) -> ReturnsPolicy:
        self._cents(("returns", "returnless", "max_price"), r["returnless"]["max_price"])
        self._cents(("returns", "escalation", "min_price"), r["escalation"]["min_price"])
        defaults = {c: money(r["restocking_fee"].get(c, 0)) for c in CONDITIONS}
        categories = {}
        for name, c in (r.get("categories") or {}).items():
            fees = dict(defaults)
            fees.update({k: money(v) for k, v in (c.get("restocking_fee") or {}).items()})
            categories[name] = Category(
                name=name,
                window_days=c.get("window_days", r["default_window_days"]),
                returnable=c.get("returnable", True),
                restocking_fee=freeze(fees),
                label=c.get("label") or name.replace("_", " "),
            )
        rules = tuple(self._custom_rule(i, rule, categories) for i, rule in enumerate(r.get("rules") or []))
        self._check_rule_set(rules)
        return ReturnsPolicy(
            default_window_days=r["default_window_days"],
            categories=freeze(categories),
            seller_fault_reasons=frozenset(r["seller_fault_reasons"]),
            restocking_fee=freeze(defaults),
            returnless_max_price=money(r["returnless"]["max_price"]),
            escalation_min_price=money(r["escalation"]["min_price"]),
            escalation_min_returns_90d=r["escalation"]["min_buyer_returns_90d"],
            rules=tuple(sorted(rules, key=lambda x: x.priority)),
        )

    def _custom_rule(self, index: int, rule: dict, categories: dict) -> CustomRule:
        base = ("returns", "rules", index)
        conditions: list[Condition] = []
        for field, spec in rule["when"].items():
            conditions.extend(self._conditions(base + ("when", field), field, spec, categories))
        then = rule["then"]
        fee_rate = then.get("fee_rate")
        if then["outcome"] == "partial_refund" and fee_rate is None:
            self.fail(base + ("then",), "missing-key", f"rule {rule['id']}: a partial_refund needs then.fee_rate")
        if then["outcome"] != "partial_refund" and fee_rate is not None:
            self.fail(base + ("then", "fee_rate"), "bad-value", f"rule {rule['id']}: fee_rate only applies to partial_refund", key=True)
            fee_rate = None
        explanation = then.get("explanation")
        if explanation is not None:
            self._check_template(base + ("then", "explanation"), explanation)
        line, _ = self.located.where(base)
        return CustomRule(
            id=rule["id"],
            priority=rule["priority"],
            conditions=tuple(conditions),
            outcome=then["outcome"],
            reason=then["reason"],
            fee_rate=money(fee_rate) if fee_rate is not None else None,
            explanation=explanation,
            description=rule.get("description", ""),
            line=line,
        )

    def _conditions(self, path: tuple, field: str, spec: Any, categories: dict) -> list[Condition]:
        if isinstance(spec, list):
            pairs = [("in", spec, path)]
        elif isinstance(spec, dict):
            pairs = [(op, value, path + (op,)) for op, value in spec.items()]
        else:
            pairs = [("eq", spec, path)]
        out = []
        for op, value, where in pairs:
            if op in ("in", "not_in"):
                value = value if isinstance(value, list) else [value]
            elif isinstance(value, list):
                self.fail(where, "wrong-type", f"{field} {op}: expected a single value, got a list")
                continue
            values = value if isinstance(value, list) else [value]
            if all(self._check_value(where, field, op, v, categories) for v in values):
                # Lists are kept sorted and de-duplicated so that equal conditions compare equal.
                frozen = tuple(sorted(set(value), key=repr)) if isinstance(value, list) else value
                out.append(Condition(field, op, frozen))
        return out

    def _check_value(self, path: tuple, field: str, op: str, value: Any, categories: dict) -> bool:
        kind = REFUND_RULE_FIELDS[field]
        if kind in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(path, "wrong-type", f"{field} compares numbers; got {value!r}")
                return False
            return True
        if op in _ORDER_OPS:
            self.fail(path, "bad-operator", f"{field} can't be compared with {op}; use eq, ne, in or not_in")
            return False
        if kind == "boolean":
            if op in ("in", "not_in"):
                self.fail(path, "wrong-type", f"{field} is true or false, not a list")
                return False
            if not isinstance(value, bool):
                self.fail(path, "wrong-type", f"{field} is true or false; got {value!r}")
                return False
            return True
        if not isinstance(value, str):
            self.fail(path, "wrong-type", f"{field} compares text; got {value!r}")
            return False
        choices = _ENUMS.get(field) or tuple(categories)
        if value not in choices:
            hint = did_you_mean(value, choices)
            extra = "" if field in _ENUMS else "; declare it under returns.categories first"
            self.fail(path, "bad-value", f"{field} {value!r} is not known{hint}{extra}")
            return False
        return True

    def _check_template(self, path: tuple, text: str) -> None:
        for problem in templates.check(text, EXPLANATION_KINDS):
            self.fail(path, "bad-template", f"explanation: {problem}")

    def _check_rule_set(self, rules: tuple[CustomRule, ...]) -> None:
        builtin = dict(BUILTIN_REFUND_RULES)
        by_priority = {p: f"the built-in rule {name}" for name, p in BUILTIN_REFUND_RULES}
        seen_ids: dict[str, int] = {}
        for i, rule in enumerate(rules):
            path = ("returns", "rules", i)
            if rule.id in builtin:
                self.fail(path + ("id",), "reserved-id", f"rule id {rule.id!r} is a built-in rule's id")
            elif rule.id in seen_ids:
                self.fail(path + ("id",), "duplicate-id", f"rule id {rule.id!r} is already used by rules[{seen_ids[rule.id]}]")
            seen_ids.setdefault(rule.id, i)
            if rule.priority in by_priority:
                self.fail(path + ("priority",), "duplicate-priority", f"priority {rule.priority} is taken by {by_priority[rule.priority]}")
            else:
                by_priority[rule.priority] = f"rule {rule.id} (rules[{i}])"
        ordered = sorted(enumerate(rules), key=lambda x: x[1].priority)
        for pos, (i, rule) in enumerate(ordered):
            path = ("returns", "rules", i, "when")
            field = impossible_field(rule.conditions)
            if field is not None:
                self.fail(path, "unreachable", f"rule {rule.id} can never fire: its conditions contradict each other "
                          f"or ask for a number below 0 (on {field})")
                continue
            for _, earlier in ordered[:pos]:
                if covers(earlier.conditions, rule.conditions):
                    self.fail(path, "unreachable",
                              f"rule {rule.id} can never fire: rule {earlier.id} (priority {earlier.priority}) matches every request it would")
                    break
        leaves = sum(len(c.value) if c.op in ("in", "not_in") else 1 for r in rules for c in r.conditions)
        if leaves + 2 * len(BUILTIN_REFUND_RULES) > MAX_CONDITION_LEAVES:
            self.fail(("returns", "rules"), "too-large",
                      f"the custom rules have {leaves} condition values; the engine allows about "
                      f"{MAX_CONDITION_LEAVES - 2 * len(BUILTIN_REFUND_RULES)}: move long lists into returns.categories settings",
                      key=True)

    # -- rewards --------------------------------------------------------------------------------

    def _rewards(self, w: dict) -> RewardsPolicy:
        self._cents(("rewards", "fee_per_unit"), w["fee_per_unit"], places=4)
        tiers = []
        names: dict[str, int] = {}
        previous: Tier | None = None
        last = len(w["tiers"]) - 1
        for i, t in enumerate(w["tiers"]):
            path = ("rewards", "tiers", i)
            tier = Tier(t["name"], money(t["max_cpu"]) if "max_cpu" in t else None, money(t["discount"]))
            if tier.name == NOT_ELIGIBLE:
                self.fail(path + ("name",), "reserved-id", f"'{NOT_ELIGIBLE}' is not a tier name; it means the seller has no tier")
            if tier.name in names:
                self.fail(path + ("name",), "duplicate-id", f"tier name {tier.name!r} is already used by tiers[{names[tier.name]}]")
            names.setdefault(tier.name, i)
            if i < last and tier.max_cpu is None:
                self.fail(path, "missing-key", f"tier {tier.name}: only the last tier may leave out max_cpu")
            if i == last and tier.max_cpu is not None:
                self.fail(path + ("max_cpu",), "bad-value",
                          f"the last tier ({tier.name}) must have no max_cpu so that every eligible seller gets a tier", key=True)
            if previous is not None and previous.max_cpu is not None and tier.max_cpu is not None and tier.max_cpu <= previous.max_cpu:
                self.fail(path + ("max_cpu",), "overlapping-tiers",
                          f"tier {tier.name} has max_cpu {tier.max_cpu}, not above {previous.name}'s {previous.max_cpu}: list tiers best first")
            if previous is not None and tier.discount > previous.discount:
                self.fail(path + ("discount",), "bad-value",
                          f"tier {tier.name} gives a larger discount ({tier.discount}) than the better tier {previous.name} ({previous.discount})")
            tiers.append(tier)
            previous = tier
        treat_as = w["low_volume"]["treat_as"]
        if treat_as != NOT_ELIGIBLE and treat_as not in names:
            choices = [NOT_ELIGIBLE, *names]
            self.fail(("rewards", "low_volume", "treat_as"), "bad-value",
                      f"treat_as {treat_as!r} is neither {NOT_ELIGIBLE} nor a tier name{did_you_mean(treat_as, choices)}")
        return RewardsPolicy(
            window_days=w["window_days"],
            fee_per_unit=money(w["fee_per_unit"]),
            min_vtr=money(w["eligibility"]["min_vtr"]),
            min_aprl=money(w["eligibility"]["min_aprl"]),
            low_volume_min_units=w["low_volume"]["min_units"],
            low_volume_treat_as=treat_as,
            tiers=tuple(tiers),
        )

    # -- claims ---------------------------------------------------------------------------------

    def _claims(self, c: dict) -> ClaimsPolicy:
        reasons = {}
        for name, spec in c["reasons"].items():
            reasons[name] = ClaimReason(
                reason=name,
                return_state=spec.get("return", "any"),
                refund_issued_by=frozenset(spec.get("refund_issued_by", ["marketplace"])),
                evidence=tuple(spec.get("evidence", [])),
                min_days_since_refund=spec.get("min_days_since_refund", 0),
                non_returnable_only=spec.get("non_returnable_only", False),
                reimbursement_rate=money(spec.get("reimbursement_rate", 1)),
            )
            if reasons[name].min_days_since_refund > c["filing_window_days"]:
                self.fail(("claims", "reasons", name, "min_days_since_refund"), "unreachable",
                          f"claims for {name} must wait {reasons[name].min_days_since_refund} days, past the "
                          f"{c['filing_window_days']}-day filing window, so none can be approved")
        return ClaimsPolicy(
            filing_window_days=c["filing_window_days"],
            deny_late_auto_refunds=c.get("deny_late_auto_refunds", True),
            reasons=freeze(reasons),
        )


def content_hash_of(text: str) -> str:
    """SHA-256 of the policy text, the second half of the policy version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
