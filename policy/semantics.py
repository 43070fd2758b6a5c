"""Turns schema-valid policy data into a Policy, checking what a schema cannot: references, order, reachability, dates, floors."""
from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Any, Callable

from .errors import PolicyError, did_you_mean
from .facts import FACTS, OPERATORS, kind_of_fact
from .model import (
    Category, ClaimReason, ClaimsPolicy, Condition, CustomRule, Dated, Fee, Floor, Policy, ReturnsPolicy, RewardsPolicy,
    Tier, WindowExtension, every, freeze, money,
)
from . import templates
from .reach import covers, impossible_field, satisfiable
from .vocabulary import (
    BUILTIN_CLAIM_RULES, BUILTIN_REFUND_RULES, BUILTIN_TIER_RULES, CODE_PATTERN, CONDITIONS, MAX_CONDITION_LEAVES,
    NOT_ELIGIBLE, TIER_PRIORITY,
)
from .yamlsafe import Located, show_path

_ORDER_OPS = ("gt", "gte", "lt", "lte")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_DAY_RE = re.compile(r"^(\d{2})-(\d{2})$")
_CODE_RE = re.compile(CODE_PATTERN)
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_DATE_OPS = {"before": "lt", "after": "gt"}

# Fact types an explanation shows as whole numbers (rules.text.show keeps them int).
WHOLE_NUMBER_TYPES = ("count", "days")

# Placeholders every rule explanation may use besides its kind's facts.
EXPLANATION_EXTRAS = {
    "refund": ("category_label", "Category_label", "refund_amount", "fee", "fee_rate", "rule", "outcome", "seller"),
    "claim": ("Category_label", "reimbursement", "rule", "outcome", "filing_window_days", "seller"),
    "tier": ("tier", "discount", "fee_per_unit", "rule", "outcome"),
}


def explanation_fields(kind: str) -> tuple[str, ...]:
    """The {placeholders} a `kind` rule's explanation may use."""
    return tuple(FACTS[kind]) + EXPLANATION_EXTRAS[kind]


def explanation_kinds(kind: str) -> dict[str, str]:
    """Each placeholder of a `kind` explanation with the kind of value it shows: counts and days are whole
    numbers, everything else is text (money, rates, dates and words are shown as text)."""
    facts = FACTS[kind]
    return {name: templates.WHOLE_NUMBER if name in facts and facts[name].type in WHOLE_NUMBER_TYPES else templates.TEXT
            for name in explanation_fields(kind)}


def parse_date(text: Any) -> date | None:
    """A YYYY-MM-DD text as a date, or None when it is not one (including days that do not exist)."""
    if isinstance(text, date):
        return text
    match = _DATE_RE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_month_day(text: Any) -> tuple[int, int] | None:
    """A MM-DD text as (month, day), or None when it is not a day of the year (02-29 is one)."""
    match = _MONTH_DAY_RE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        return None
    month, day = int(match[1]), int(match[2])
    try:
        date(2000, month, day)  # a leap year, so 02-29 exists
    except ValueError:
        return None
    return month, day


class PolicyBuilder:
    """Builds the Policy model from validated data and records semantic errors."""

    def __init__(self, located: Located, content_hash: str):
        self.located = located
        self.content_hash = content_hash
        self.errors: list[PolicyError] = []
        self._broken: set[int] = set()  # rules with a refused condition: left out of the reachability checks

    def fail(self, path: tuple, code: str, message: str, *, key: bool = False) -> None:
        """Record an error located at `path`."""
        self.errors.append(self.located.error(path, code, f"{show_path(path)}: {message}", key=key))

    def build(self, skip: set = frozenset()) -> Policy | None:
        """The Policy, or None when errors were recorded; sections in `skip` already failed the schema."""
        data = self.located.data
        returns = self._returns(data["returns"]) if "returns" not in skip else None
        rewards = self._rewards(data["rewards"]) if "rewards" not in skip else None
        claims = self._claims(data["claims"], returns) if "claims" not in skip and returns is not None else None
        sellers = data.get("sellers") if "sellers" not in skip else None
        floor = None
        if sellers is not None:
            f = sellers.get("floor") or {}
            floor = Floor(f.get("windows", True), f.get("returnable", True), f.get("fees", True), f.get("deny_rules", True))
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
            floor=floor,
            overlay_directory=sellers.get("directory") if sellers else None,
            product_tags=freeze({sku: tuple(sorted(tags)) for sku, tags in (data.get("products") or {}).items()})
            if "products" not in skip else freeze({}),
            raw_locations=freeze({"sellers.directory": self.located.where(("sellers", "directory"))}),
        )

    # -- values ---------------------------------------------------------------------------------

    def _cents(self, path: tuple, value, places: int = 2) -> None:
        """Money in the policy has at most `places` decimals (prices two, a per-unit fee four)."""
        if value is not None and money(value) != money(value).quantize(Decimal(1).scaleb(-places)):
            self.fail(path, "bad-value", f"{value} has more than {places} decimal places")

    def _date(self, path: tuple, text: Any) -> date | None:
        day = parse_date(text)
        if day is None:
            self.fail(path, "bad-date", f"{text!r} is not a date: write YYYY-MM-DD with a day that exists")
        return day

    def dated(self, path: tuple, value: Any, convert: Callable[[tuple, Any], Any]) -> Any:
        """`convert(value)`, or for a list of {from, value} a Dated of converted values in date order."""
        if not isinstance(value, list):
            return convert(path, value)
        entries: list[tuple[date | None, Any]] = []
        previous: date | None = None
        for i, entry in enumerate(value):
            here = path + (i,)
            start = None
            if "from" in entry:
                start = self._date(here + ("from",), entry["from"])
                if start is None:
                    continue
                if previous is not None and start <= previous:
                    word = "the same date as" if start == previous else "before"
                    self.fail(here + ("from",), "overlapping-dates",
                              f"from {start} is {word} the entry above it ({previous}): list dated values in date order, one per date")
                    continue
                previous = start
            elif i > 0:
                self.fail(here, "missing-key", "only the first dated value may leave out `from`")
                continue
            entries.append((start, convert(here + ("value",), entry["value"])))
        if len(entries) == 1 and entries[0][0] is None:
            return entries[0][1]
        return Dated(tuple(entries)) if entries else convert(path + (0, "value"), value[0]["value"])

    def _money(self, path: tuple, value: Any, places: int = 2) -> Decimal:
        self._cents(path, value, places)
        return money(value)

    def _rate(self, path: tuple, value: Any) -> Decimal:
        return money(value)

    def _int(self, path: tuple, value: Any) -> int:
        return value

    def fee(self, path: tuple, spec: Any) -> Fee:
        """A fee from a rate or a {rate, fixed, min, max, above_price} mapping."""
        if not isinstance(spec, dict):
            return Fee(rate=money(spec))
        for key in ("fixed", "min", "max", "above_price"):
            self._cents(path + (key,), spec.get(key))
        fee = Fee(
            rate=money(spec.get("rate", 0)),
            fixed=money(spec.get("fixed", 0)),
            min=money(spec["min"]) if "min" in spec else None,
            max=money(spec["max"]) if "max" in spec else None,
            above_price=money(spec["above_price"]) if "above_price" in spec else None,
        )
        if fee.min is not None and fee.max is not None and fee.min > fee.max:
            self.fail(path + ("min",), "min-above-max", f"the fee's min ({fee.min}) is above its max ({fee.max})")
        return fee

    def _dated_fee(self, path: tuple, spec: Any) -> Any:
        return self.dated(path, spec, self.fee)

    # -- returns --------------------------------------------------------------------------------

    def _returns(self, r: dict) -> ReturnsPolicy:
        default_window = self.dated(("returns", "default_window_days"), r["default_window_days"], self._int)
        defaults = {c: Fee() for c in CONDITIONS}
        defaults.update({c: self._dated_fee(("returns", "restocking_fee", c), v) for c, v in r["restocking_fee"].items()})
        categories = self._categories(("returns",), r.get("categories") or {}, default_window, defaults, {})
        base = ("returns",)
        extensions = self._extensions(base, r.get("window_extensions") or [], categories)
        rules = tuple(self.custom_rule("refund", base + ("rules", i), rule, categories)
                      for i, rule in enumerate(r.get("rules") or []))
        self.check_rule_set("refund", base + ("rules",), rules, dict(BUILTIN_REFUND_RULES))
        return ReturnsPolicy(
            default_window_days=default_window,
            categories=freeze(categories),
            seller_fault_reasons=frozenset(r["seller_fault_reasons"]),
            restocking_fee=freeze(defaults),
            returnless_max_price=self.dated(("returns", "returnless", "max_price"), r["returnless"]["max_price"], self._money),
            escalation_min_price=self.dated(("returns", "escalation", "min_price"), r["escalation"]["min_price"], self._money),
            escalation_min_returns_90d=self.dated(("returns", "escalation", "min_buyer_returns_90d"),
                                                  r["escalation"]["min_buyer_returns_90d"], self._int),
            rules=tuple(sorted(rules, key=lambda x: x.priority)),
            window_extensions=extensions,
        )

    def _categories(self, base: tuple, raw: dict, default_window: Any, defaults: dict, inherited: dict) -> dict[str, Category]:
        """Categories from `raw`, each setting falling back to `inherited` (an overlay's marketplace) then the defaults."""
        categories = {}
        for name, c in raw.items():
            parent = inherited.get(name)
            fees = dict(parent.restocking_fee) if parent else dict(defaults)
            fees.update({k: self._dated_fee(base + ("categories", name, "restocking_fee", k), v)
                         for k, v in (c.get("restocking_fee") or {}).items()})
            window = (self.dated(base + ("categories", name, "window_days"), c["window_days"], self._int)
                      if "window_days" in c else parent.window_days if parent else default_window)
            categories[name] = Category(
                name=name,
                window_days=window,
                returnable=c.get("returnable", parent.returnable if parent else True),
                restocking_fee=freeze(fees),
                label=c.get("label") or (parent.label if parent else name.replace("_", " ")),
            )
        return categories

    def _extensions(self, base: tuple, raw: list, categories: dict) -> tuple[WindowExtension, ...]:
        out = []
        for i, spec in enumerate(raw):
            path = base + ("window_extensions", i)
            conditions: list[Condition] = []
            for field, cond in spec["when"].items():
                conditions.extend(self.conditions("refund", path + ("when", field), field, cond, categories))
            until = None
            if "until" in spec:
                until = parse_month_day(spec["until"])
                if until is None:
                    self.fail(path + ("until",), "bad-date", f"until {spec['until']!r} is not a day of the year: write MM-DD")
            window = self.dated(path + ("window_days",), spec["window_days"], self._int) if "window_days" in spec else None
            if (window is None) == (until is None):
                self.fail(path, "missing-key", f"window extension {spec['id']}: give exactly one of window_days and until")
            if not satisfiable(conditions, "refund"):
                self.fail(path + ("when",), "unreachable", f"window extension {spec['id']} can never apply: its conditions contradict each other")
            out.append(WindowExtension(spec["id"], tuple(conditions), window, until))
        return tuple(out)

    # -- rules ----------------------------------------------------------------------------------

    def custom_rule(self, kind: str, base: tuple, rule: dict, categories: dict, *, seller: str | None = None,
                    tiers: dict | None = None) -> CustomRule:
        """One custom rule of `kind` at data path `base`."""
        conditions: list[Condition] = []
        before = len(self.errors)
        for field, spec in rule["when"].items():
            conditions.extend(self.conditions(kind, base + ("when", field), field, spec, categories))
        broken = len(self.errors) > before
        then = rule["then"]
        explanation = then.get("explanation")
        if explanation is not None:
            self._check_template(kind, base + ("then", "explanation"), explanation)
        line, _ = self.located.where(base)
        extra: dict[str, Any] = {}
        if kind == "refund":
            extra = self._refund_then(base, rule["id"], then)
            outcome = then["outcome"]
        elif kind == "claim":
            outcome = then["outcome"]
            rate = then.get("reimbursement_rate")
            if rate is not None and outcome != "approve":
                self.fail(base + ("then", "reimbursement_rate"), "bad-value",
                          f"rule {rule['id']}: reimbursement_rate only applies to approve", key=True)
                rate = None
            extra = {"reimbursement_rate": money(rate) if rate is not None else None}
        else:
            name = then["tier"]
            if name != NOT_ELIGIBLE and tiers is not None and name not in tiers:
                self.fail(base + ("then", "tier"), "bad-value",
                          f"tier {name!r} is neither {NOT_ELIGIBLE} nor a tier name{did_you_mean(name, [NOT_ELIGIBLE, *(tiers or {})])}")
            outcome = "not_eligible" if name == NOT_ELIGIBLE else "eligible"
            extra = {"tier": None if name == NOT_ELIGIBLE else name}
        made = CustomRule(
            id=rule["id"], priority=rule["priority"], conditions=tuple(conditions), outcome=outcome, reason=then["reason"],
            fee_rate=extra.pop("fee_rate", None), explanation=explanation, description=rule.get("description", ""), line=line,
            kind=kind, seller=seller, source=self.located.source, **extra,
        )
        if broken:
            self._broken.add(id(made))
        return made

    def _refund_then(self, base: tuple, rule_id: str, then: dict) -> dict[str, Any]:
        outcome = then["outcome"]
        fee_rate, fee_spec, refund_rate = then.get("fee_rate"), then.get("fee"), then.get("refund_rate")
        fee = None
        if fee_rate is not None and fee_spec is not None:
            self.fail(base + ("then", "fee"), "bad-value", f"rule {rule_id}: give fee_rate or fee, not both", key=True)
        if outcome == "partial_refund":
            if fee_rate is None and fee_spec is None:
                self.fail(base + ("then",), "missing-key", f"rule {rule_id}: a partial_refund needs then.fee_rate or then.fee")
            fee = self.fee(base + ("then", "fee"), fee_spec) if fee_spec is not None else Fee(rate=money(fee_rate)) if fee_rate is not None else None
        else:
            for key, value in (("fee_rate", fee_rate), ("fee", fee_spec)):
                if value is not None:
                    self.fail(base + ("then", key), "bad-value", f"rule {rule_id}: {key} only applies to partial_refund", key=True)
            fee_rate = None
        if outcome == "keep_item_refund" and refund_rate is None:
            self.fail(base + ("then",), "missing-key", f"rule {rule_id}: a keep_item_refund needs then.refund_rate")
        if outcome != "keep_item_refund" and refund_rate is not None:
            self.fail(base + ("then", "refund_rate"), "bad-value", f"rule {rule_id}: refund_rate only applies to keep_item_refund", key=True)
            refund_rate = None
        return {"fee_rate": money(fee_rate) if fee_rate is not None else None, "fee": fee,
                "refund_rate": money(refund_rate) if refund_rate is not None else None}

    def conditions(self, kind: str, path: tuple, field: str, spec: Any, categories: dict) -> list[Condition]:
        """The conditions a `when` entry states on `field`, checked against the fact's type."""
        fact = FACTS[kind].get(field)
        if fact is None:
            others = kind_of_fact(field)
            self.fail(path, "wrong-kind", f"{field} is a fact of {' and '.join(others)} decisions, not of {kind} ones; "
                      f"{kind} rules can test {', '.join(FACTS[kind])}", key=True)
            return []
        tags = fact.type == "tags"
        if isinstance(spec, list):
            pairs = [("contains" if tags else "in", spec, path)]
        elif isinstance(spec, dict):
            pairs = [(op, value, path + (op,)) for op, value in spec.items()]
        else:
            pairs = [("contains" if tags else "eq", spec, path)]
        out: list[Condition] = []
        for op, value, where in pairs:
            if op not in OPERATORS[fact.type]:
                if fact.type == "bool" and op == "in":
                    self.fail(where, "wrong-type", f"{field} is true or false, not a list")
                else:
                    ops = OPERATORS[fact.type]
                    self.fail(where, "bad-operator", f"{field} can't be compared with {op}; use {', '.join(ops[:-1])} or {ops[-1]}")
                continue
            out.extend(self._condition(kind, where, fact, op, value, categories))
        return out

    def _condition(self, kind: str, where: tuple, fact, op: str, value: Any, categories: dict) -> list[Condition]:
        field, kind_of = fact.name, fact.type
        listed = op in ("in", "not_in", "between", "yearly", "contains_all") or (op in ("contains", "not_contains") and isinstance(value, list))
        if op in ("in", "not_in", "contains", "not_contains", "contains_all"):
            values = value if isinstance(value, list) else [value]
        elif op in ("between", "yearly"):
            if not (isinstance(value, list) and len(value) == 2):
                self.fail(where, "wrong-type", f"{field} {op}: expected a list of two values [from, to]")
                return []
            values = value
        elif isinstance(value, list):
            self.fail(where, "wrong-type", f"{field} {op}: expected a single value, got a list")
            return []
        else:
            values = [value]
        del listed
        if kind_of == "date":
            return self._date_condition(where, field, op, values)
        if not all(self._check_value(where, fact, op, v, categories) for v in values):
            return []
        if op == "between":
            lo, hi = values
            if lo > hi:
                self.fail(where, "unreachable", f"{field} between {lo} and {hi}: the first value must not be above the second")
                return []
            return [Condition(field, "gte", lo), Condition(field, "lte", hi)]
        if kind_of == "tags":
            mapped = {"contains": "contains_any", "contains_all": "contains_all", "not_contains": "contains_none"}[op]
            return [Condition(field, mapped, tuple(sorted(set(values))))]
        if op in ("in", "not_in"):
            # Lists are kept sorted and de-duplicated so that equal conditions compare equal.
            return [Condition(field, op, tuple(sorted(set(values), key=repr)))]
        return [Condition(field, op, value)]

    def _date_condition(self, where: tuple, field: str, op: str, values: list) -> list[Condition]:
        if op == "yearly":
            ends = [parse_month_day(v) for v in values]
            if None in ends:
                self.fail(where, "bad-date", f"{field} yearly: {values!r} must be two days of the year, MM-DD")
                return []
            (m1, d1), (m2, d2) = ends
            return [Condition(field, "yearly", (m1 * 100 + d1, m2 * 100 + d2))]
        days = [parse_date(v) for v in values]
        if None in days:
            bad = next(v for v, d in zip(values, days) if d is None)
            self.fail(where, "bad-date", f"{field} {op}: {bad!r} is not a date: write YYYY-MM-DD with a day that exists")
            return []
        ordinals = [d.toordinal() for d in days]
        if op == "between":
            if ordinals[0] > ordinals[1]:
                self.fail(where, "unreachable", f"{field} between {values[0]} and {values[1]}: the first date is after the second")
                return []
            return [Condition(field, "gte", ordinals[0]), Condition(field, "lte", ordinals[1])]
        return [Condition(field, _DATE_OPS.get(op, op), ordinals[0])]

    def _check_value(self, path: tuple, fact, op: str, value: Any, categories: dict) -> bool:
        field, kind = fact.name, fact.type
        if kind in ("money", "count", "days", "rate"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(path, "wrong-type", f"{field} compares numbers; got {value!r}")
                return False
            return True
        if kind == "bool":
            if not isinstance(value, bool):
                self.fail(path, "wrong-type", f"{field} is true or false; got {value!r}")
                return False
            return True
        if not isinstance(value, str):
            self.fail(path, "wrong-type", f"{field} compares text; got {value!r}")
            return False
        if kind == "tags":
            if fact.choices and value not in fact.choices:
                self.fail(path, "bad-value", f"{field} {value!r} is not one of {', '.join(fact.choices)}{did_you_mean(value, fact.choices)}")
                return False
            if not _CODE_RE.fullmatch(value):
                self.fail(path, "bad-name", f"tag {value!r} must be lower-case letters, digits and underscores, starting with a letter")
                return False
            return True
        if kind == "id":
            if not _ID_RE.fullmatch(value):
                self.fail(path, "bad-value", f"{field} {value!r} must be letters, digits, '.', '_' or '-' (at most 64)")
                return False
            return True
        if kind == "country":
            if not _COUNTRY_RE.fullmatch(value):
                self.fail(path, "bad-value", f"{field} {value!r} must be a two-letter upper-case country code such as DE")
                return False
            return True
        choices = fact.choices if kind == "enum" else tuple(categories)
        if value not in choices:
            hint = did_you_mean(value, choices)
            extra = "" if kind == "enum" else "; declare it under returns.categories first"
            self.fail(path, "bad-value", f"{field} {value!r} is not known{hint}{extra}")
            return False
        return True

    def _check_template(self, kind: str, path: tuple, text: str) -> None:
        for problem in templates.check(text, explanation_kinds(kind)):
            self.fail(path, "bad-template", f"explanation: {problem}")

    def check_rule_set(self, kind: str, base: tuple, rules: tuple[CustomRule, ...], builtin: dict[str, int],
                       *, earlier: tuple[CustomRule, ...] = (), catch_all: int | None = None) -> None:
        """Ids, priorities, reachability and size of `kind` rules at `base`; `earlier` are rules another file already holds."""
        by_priority = {p: f"the built-in rule {name}" for name, p in builtin.items()}
        for rule in earlier:
            by_priority[rule.priority] = f"rule {rule.id} of {rule.source}"
        seen_ids: dict[str, str] = {r.id: f"{r.source}" for r in earlier}
        for i, rule in enumerate(rules):
            path = base + (i,)
            if rule.id in builtin:
                self.fail(path + ("id",), "reserved-id", f"rule id {rule.id!r} is a built-in rule's id")
            elif rule.id in seen_ids:
                self.fail(path + ("id",), "duplicate-id", f"rule id {rule.id!r} is already used by {seen_ids[rule.id]}")
            seen_ids.setdefault(rule.id, f"rules[{i}]")
            if rule.priority in by_priority:
                self.fail(path + ("priority",), "duplicate-priority", f"priority {rule.priority} is taken by {by_priority[rule.priority]}")
            else:
                by_priority[rule.priority] = f"rule {rule.id} (rules[{i}])"
            if catch_all is not None and rule.priority > catch_all:
                self.fail(path + ("priority",), "unreachable",
                          f"rule {rule.id} can never fire: priority {rule.priority} comes after the catch-all rule ({catch_all})")
        mine = {id(r): i for i, r in enumerate(rules)}
        ordered = sorted([r for r in (*earlier, *rules) if id(r) not in self._broken], key=lambda x: x.priority)
        for pos, rule in enumerate(ordered):
            if id(rule) not in mine:
                continue
            path = base + (mine[id(rule)], "when")
            field = impossible_field(rule.conditions, kind)
            if field is not None:
                self.fail(path, "unreachable", f"rule {rule.id} can never fire: its conditions contradict each other "
                          f"or leave the values a request can have (on {field})")
                continue
            for prior in ordered[:pos]:
                if covers(prior.conditions, rule.conditions, kind):
                    self.fail(path, "unreachable",
                              f"rule {rule.id} can never fire: rule {prior.id} (priority {prior.priority}) matches every request it would")
                    break
        leaves = sum(condition_leaves(c) for r in (*earlier, *rules) for c in r.conditions)
        if leaves + 2 * len(builtin) > MAX_CONDITION_LEAVES:
            self.fail(base, "too-large",
                      f"the custom rules have {leaves} condition values; the engine allows about "
                      f"{MAX_CONDITION_LEAVES - 2 * len(builtin)}: move long lists into returns.categories settings or product tags",
                      key=True)

    # -- rewards --------------------------------------------------------------------------------

    def _rewards(self, w: dict) -> RewardsPolicy:
        fee_per_unit = self.dated(("rewards", "fee_per_unit"), w["fee_per_unit"], lambda p, v: self._money(p, v, 4))
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
        rules = tuple(self.custom_rule("tier", ("rewards", "rules", i), rule, {}, tiers=names)
                      for i, rule in enumerate(w.get("rules") or []))
        builtin = dict(BUILTIN_TIER_RULES)
        builtin.update({f"tier_{t.name}": TIER_PRIORITY + i for i, t in enumerate(tiers)})
        self.check_rule_set("tier", ("rewards", "rules"), rules, builtin, catch_all=TIER_PRIORITY + len(tiers) - 1)
        return RewardsPolicy(
            window_days=w["window_days"],
            fee_per_unit=fee_per_unit,
            min_vtr=self.dated(("rewards", "eligibility", "min_vtr"), w["eligibility"]["min_vtr"], self._rate),
            min_aprl=self.dated(("rewards", "eligibility", "min_aprl"), w["eligibility"]["min_aprl"], self._rate),
            low_volume_min_units=self.dated(("rewards", "low_volume", "min_units"), w["low_volume"]["min_units"], self._int),
            low_volume_treat_as=treat_as,
            tiers=tuple(tiers),
            rules=tuple(sorted(rules, key=lambda x: x.priority)),
        )

    # -- claims ---------------------------------------------------------------------------------

    def _claims(self, c: dict, returns: ReturnsPolicy) -> ClaimsPolicy:
        window = self.dated(("claims", "filing_window_days"), c["filing_window_days"], self._int)
        reasons = {}
        for name, spec in c["reasons"].items():
            path = ("claims", "reasons", name)
            reasons[name] = ClaimReason(
                reason=name,
                return_state=spec.get("return", "any"),
                refund_issued_by=frozenset(spec.get("refund_issued_by", ["marketplace"])),
                evidence=tuple(spec.get("evidence", [])),
                min_days_since_refund=self.dated(path + ("min_days_since_refund",), spec.get("min_days_since_refund", 0), self._int),
                non_returnable_only=spec.get("non_returnable_only", False),
                reimbursement_rate=self.dated(path + ("reimbursement_rate",), spec.get("reimbursement_rate", 1), self._rate),
            )
            wait, longest = max(every(reasons[name].min_days_since_refund)), max(every(window))
            if wait > longest:
                self.fail(path + ("min_days_since_refund",), "unreachable",
                          f"claims for {name} must wait {wait} days, past the {longest}-day filing window, so none can be approved")
        cap = self.dated(("claims", "max_per_order"), c["max_per_order"], self._money) if "max_per_order" in c else None
        share = self.dated(("claims", "max_share_of_order"), c["max_share_of_order"], self._rate) if "max_share_of_order" in c else None
        categories = dict(returns.categories)
        rules = tuple(self.custom_rule("claim", ("claims", "rules", i), rule, categories)
                      for i, rule in enumerate(c.get("rules") or []))
        self.check_rule_set("claim", ("claims", "rules"), rules, dict(BUILTIN_CLAIM_RULES), catch_all=900)
        return ClaimsPolicy(
            filing_window_days=window,
            deny_late_auto_refunds=c.get("deny_late_auto_refunds", True),
            reasons=freeze(reasons),
            max_per_order=cap,
            max_share_of_order=share,
            rules=tuple(sorted(rules, key=lambda x: x.priority)),
        )


def condition_leaves(c: Condition) -> int:
    """How many engine tests a condition becomes (an `in` list of n values is n)."""
    if c.op in ("in", "not_in", "contains_any", "contains_all", "contains_none"):
        return len(c.value)
    return 2 if c.op == "yearly" else 1



def content_hash_of(text: str) -> str:
    """SHA-256 of the policy text, the second half of the policy version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

