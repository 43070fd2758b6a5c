"""The one compiler: a decision kind's table plus a policy become durable_rules rulesets, and decide.

A kind table (rules/refund.py, rules/claim.py, rules/tier.py) states the kind's built-in rules as
data (id, priority, outcome, reason, explanation template, condition over event fields), how its
facts are checked, which policy values are looked up into the event before it fires, and how the
fired rule's amounts are computed. This module compiles the built-in rules and the policy's
custom rules of that kind into one first-hit ruleset (one more per seller overlay that brings its
own rules; sellers whose own rules have the same conditions share one), writes events, fires them and hands the fired rule back to the table.
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from policy import templates
from policy.facts import FACTS
from policy.model import CustomRule, Policy

from .conditions import all_of, condensed, expression, fields_of, renamed, rule, short_names
from .decision import Decision
from .engine import FIRE, FIRE_PARTS, FIRE_SCOPE, CompiledRuleset
from .memo import remember

@dataclass(frozen=True, slots=True)
class RuleSpec:
    """What a rule decides once it fires; `when` is its durable_rules condition over event fields."""

    id: str
    priority: int
    outcome: str
    reason: str
    template: str
    when: Mapping[str, Any]
    uses: tuple[str, ...] = ()  # looked-up values the rule depends on (dated values are named in its explanation)
    custom: CustomRule | None = None
    extra: Any = None  # kind-specific (the tier a tier rule gives)
    fields: tuple[str, ...] = field(default=())
    plan: Any = field(default=None, compare=False, repr=False)  # what the kind's decision hook precomputed for this rule

    @property
    def cited(self) -> str:
        """The id decisions cite (seller rules carry their seller)."""
        return self.custom.cited if self.custom is not None else self.id

    @property
    def seller(self) -> str | None:
        """The seller whose overlay holds this rule, if any."""
        return self.custom.seller if self.custom is not None else None


def placeholders(template: str) -> tuple[str, ...]:
    """The {names} a template uses."""
    return templates.fields(template)


def custom_spec(custom: CustomRule, kind: str, default_template: str, extra: Any = None) -> RuleSpec:
    """A custom rule of `kind` as a RuleSpec."""
    template = custom.explanation or default_template
    return RuleSpec(custom.cited, custom.priority, custom.outcome, custom.reason, template,
                    all_of(expression(c, kind) for c in custom.conditions), (), custom, extra, placeholders(template))


class KindTable:
    """A decision kind: override the hooks; the Program does the rest."""

    kind: str = ""
    default_template = "This request matches rule {rule}, so the outcome is: {outcome}."
    event_types: Mapping[str, str] = {}  # looked-up event fields that are not facts, with their fact type

    def context(self, policy: Policy) -> Any:
        """Per-compilation tables the lookups use."""
        return policy

    def builtins(self, ctx: Any) -> list[RuleSpec]:
        """The kind's built-in rules."""
        raise NotImplementedError

    def custom_rules(self, policy: Policy) -> dict[str | None, tuple[CustomRule, ...]]:
        """Custom rules per rule set: None for the marketplace, else a seller id whose overlay brings rules."""
        raise NotImplementedError

    def spec_of(self, custom: CustomRule) -> RuleSpec:
        """A custom rule as a RuleSpec."""
        return custom_spec(custom, self.kind, self.default_template)

    def check(self, raw: Any) -> dict:
        """Validated facts, or FactsError."""
        raise NotImplementedError

    def fast_check(self, raw: Any) -> dict | None:
        """Validated facts for well-formed requests, or None (then `check` decides): the first thing every decision runs."""
        return None

    def fast_check_for(self, ctx: Any) -> Callable[[Any], dict | None]:
        """The `fast_check` a program of this context runs (a table may give one that knows the context's ids)."""
        return self.fast_check

    # A table may look its values up as a tuple instead (its decisions then build no merged dict): `looked_up`
    # names them in order, `lookup_values` gives them, and `decision` receives that tuple.
    looked_up: tuple[str, ...] = ()

    def lookup_values(self, ctx: Any, facts: dict) -> tuple:
        """The values named `looked_up`, in that order, for these checked facts."""
        raise NotImplementedError

    def lookup(self, ctx: Any, facts: dict) -> dict:
        """The facts plus every value the rules test (derived facts, policy values in force)."""
        if not self.looked_up:
            raise NotImplementedError
        f = dict(facts)
        f.update(zip(self.looked_up, self.lookup_values(ctx, facts)))
        return f

    ruleset_fact: str | None = None  # the checked fact that names the rule set deciding a request, if `ruleset_key` reads only that

    def ruleset_key(self, facts: dict) -> str | None:
        """Which rule set decides these facts (a seller with own rules, or None)."""
        return facts[self.ruleset_fact] if self.ruleset_fact is not None else None

    def plan(self, ctx: Any, spec: RuleSpec) -> Any:
        """What `decision` needs of `spec` that can be worked out once per compilation (None: nothing)."""
        return None

    def decision(self, ctx: Any, spec: RuleSpec, f: Any, given: dict, version: str) -> Decision:
        """The Decision once `spec` fired; `f` is what `lookup_values` gave if the table has `looked_up`, else `lookup`."""
        raise NotImplementedError


class Program:
    """One decision kind of one policy version, compiled."""

    def __init__(self, table: KindTable, policy: Policy):
        self.table = table
        self.kind = table.kind
        self.version = policy.version
        self.ctx = table.context(policy)
        self._lookup = table.lookup_values if table.looked_up else table.lookup  # what `decision` is handed
        builtins = table.builtins(self.ctx)
        sets = table.custom_rules(policy)
        planned: dict[int, tuple[RuleSpec, RuleSpec]] = {}  # built-in specs are shared by every rule set: plan each once

        def with_plan(spec: RuleSpec) -> RuleSpec:
            if id(spec) not in planned:
                plan = table.plan(self.ctx, spec)
                planned[id(spec)] = (spec, spec if plan is None else replace(spec, plan=plan))
            return planned[id(spec)][1]
        specs_by_set = {key: [with_plan(s) for s in builtins + [table.spec_of(c) for c in customs]] for key, customs in sets.items()}
        # What the C core is sent: each rule's condition with long in / not_in lists as membership fields.
        members: dict[tuple[str, frozenset], str] = {}
        sent = {id(spec): condensed(spec.when, members) for specs in specs_by_set.values() for spec in specs}
        wanted: set[str] = set()
        for when in sent.values():
            wanted |= fields_of(when)
        names = short_names(wanted - {"sid"})
        self._event_source, self._event_scope = event_source(self.kind, names, table.event_types, {name: key for key, name in members.items()},
                                                             table.looked_up)
        self.event = event_writer(self._event_source, self._event_scope, self.kind)  # (checked facts, looked up) -> event JSON
        # Per rule set key: the C ruleset and its rule names -> specs. Sellers whose own rules have the same conditions
        # share one C ruleset (named after the first of them), so a decision for any of them reads memory the others keep
        # warm: their own rules go by their position there, and each seller's names map to that seller's specs.
        self.rulesets: dict[str | None, tuple[CompiledRuleset, dict[str, RuleSpec]]] = {}
        shared: dict[str, CompiledRuleset] = {}
        try:
            for key, specs in specs_by_set.items():
                own = iter(range(len(specs)))
                named = [(s.cited if s.seller is None else f"own/{next(own)}", s) for s in specs]
                definition = {name: rule(s.priority, renamed(sent[id(s)], names)) for name, s in named}
                text = json.dumps(definition, sort_keys=True)
                if text not in shared:
                    shared[text] = CompiledRuleset(f"{self.kind}@{policy.version}" + (f"/{key}" if key else ""), definition)
                self.rulesets[key] = (shared[text], dict(named))
        except BaseException:
            self.close()
            raise
        self.ruleset, self.rules = self.rulesets[None]
        self._by_key = len(self.rulesets) > 1
        self.decide = self._decider()  # the method below with everything it reads bound once
        order: list[str] = []
        for key, (_, specs) in self.rulesets.items():
            order += [s.cited for s in sorted(specs.values(), key=lambda s: s.priority) if s.cited not in order]
        self.order = tuple(order)

    def decide(self, raw: Any) -> Decision:
        """Decide one request of this kind; raises FactsError on bad facts."""
        return self._decider()(raw)

    def lookup(self, given: dict) -> Any:
        """What a decision looks up for these checked facts (the table's values tuple, or its facts dict)."""
        return self._lookup(self.ctx, given)

    def _decider(self) -> Callable[[Any], Decision]:
        # Every decision runs one function generated here, once per program: the table's fact check and
        # lookups, then the event written and fired inline (engine.FIRE) in the rule set that decides it,
        # then the table's decision hook on the fired rule's spec. The hooks and rule sets are its globals.
        table = self.table
        scope: dict[str, Any] = {**FIRE_SCOPE, **self._event_scope, "FAST": table.fast_check_for(self.ctx), "CHECK": table.check,
                                 "LOOKUP": self._lookup, "DECISION": table.decision, "CTX": self.ctx, "VERSION": self.version}
        lines = ["def decide(raw):",
                 "    given = FAST(raw)",
                 "    if given is None:",
                 "        given = CHECK(raw)",
                 "    f = LOOKUP(CTX, given)"]
        if self._by_key:
            scope["KEY_OF"] = table.ruleset_key
            scope["SETS"] = {key: ruleset.parts(specs) for key, (ruleset, specs) in self.rulesets.items()}
            scope["MARKETPLACE"] = scope["SETS"][None]
            key = "KEY_OF(given)" if table.ruleset_fact is None else f"given[{table.ruleset_fact!r}]"
            lines.append(f"    {', '.join(FIRE_PARTS)} = SETS.get({key}) or MARKETPLACE")
        else:
            scope.update(zip(FIRE_PARTS, self.ruleset.parts(self.rules)))
        lines.append(f"    event = {self._event_source}")
        lines.append(textwrap.indent(FIRE, "    ").rstrip())
        lines.append("    return DECISION(CTX, fired, f, given, VERSION)")
        exec(compile("\n".join(lines) + "\n", f"<decide {self.kind}@{self.version}>", "exec"), scope)  # noqa: S102 - generated names only
        return scope.pop("decide")  # not left in its own globals: no reference cycle to outlive a reload

    def close(self) -> None:
        """Free the compiled rulesets."""
        for ruleset, _ in getattr(self, "rulesets", {}).values():
            ruleset.close()


# -- writing events ----------------------------------------------------------------------------

_BOOL = ("false", "true")
_DIGITS = tuple(str(n) for n in range(1000))  # small whole numbers already written: str() of an int makes a new string

# Rates already written (bounded): a float's repr() is ~1,500 instructions, a dict read ~200. Rates are derived
# facts, ratios of counts worked out by the tables (never -0.0, which would read the 0.0 entry).
_RATES: dict[float, str] = {}


def _rate_text(rate: float) -> str:
    """repr() of a float rate, remembered."""
    return remember(_RATES, rate, repr(rate))


# How each fact type is written into the event, inside an f-string (v: the value's expression, read
# once or twice; n: a local). Decimals are written with str(): the same text as format(), at a fraction of its cost.
# Ids and countries are checked against [A-Za-z0-9_.-], so they need no escaping; None is "".
_ENCODE = {
    "money": "{{{v}!s}}",
    "count": "{{_DIGITS[n] if 0 <= (n := {v}) < 1000 else n}}",
    "days": "{{_DIGITS[n] if 0 <= (n := {v}) < 1000 else n}}",
    "rate": "{{(_RATES.get(n) or _rate_text(n)) if (n := {v}).__class__ is float else repr(n)}}",
    "bool": "{{_BOOL[{v}]}}",
    "enum": '"{{{v}}}"',
    "category": '"{{{v}}}"',
    "id": '"{{{v} or ""}}"',
    "country": '"{{{v} or ""}}"',
    "date": "{{{v}.toordinal() if {v} is not None else 0}}",
}


def event_source(kind: str, fields: Mapping[str, str], extra_types: Mapping[str, str],
                 members: Mapping[str, tuple[str, frozenset]] | None = None, looked_up: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """(an expression over `given` and `f`, what the lookups gave, writing the event JSON with exactly `fields` (fact
    name -> event field name), the names it reads), generated once per compilation. With `looked_up`, `f` is the
    tuple of those values (the rest are read from the checked facts `given`); else `f` is the merged facts dict.

    Facts are validated before they reach it (codes and ids are plain words, numbers are ints,
    Decimals or floats), so the event is one f-string: json.dumps would double its cost.
    """
    # Every event carries the same id: without one the C core computes one from the sorted fields
    # (a fifth of its time). Ids only tell stored events apart, and each event is consumed (its rule
    # fired and completed, under the ruleset's lock) before the next is asserted.
    parts = ['"sid":"0"', '"id":"e"']
    scope: dict[str, Any] = {"_BOOL": _BOOL, "_DIGITS": _DIGITS, "_RATES": _RATES, "_rate_text": _rate_text}
    index = {name: i for i, name in enumerate(looked_up)}

    def value(name: str) -> str:
        if not looked_up:
            return f"f[{name!r}]"
        return f"f[{index[name]}]" if name in index else f"given[{name!r}]"
    for name in sorted(fields):
        field_name = fields[name]
        if members and name in members:  # a membership field (conditions.condensed): whether the fact's value is one of them
            base, values = members[name]
            scope[f"M{len(scope)}"] = values
            parts.append(f'"{field_name}":{{_BOOL[{value(base)} in M{len(scope) - 1}]}}')
            continue
        if "__" in name:
            base, suffix = name.split("__", 1)
            if suffix == "md":
                day = value(base)
                parts.append(f'"{field_name}":{{{day}.month * 100 + {day}.day if {day} is not None else 0}}')
            else:
                parts.append(f'"{field_name}":{{_BOOL[{suffix!r} in {value(base)}]}}')
            continue
        fact = FACTS.get(kind, {}).get(name)
        type_ = fact.type if fact is not None else extra_types[name]
        parts.append(f'"{field_name}":' + _ENCODE[type_].format(v=value(name)))
    # One f-string of up to ~30 pieces is one BUILD_STRING; a longer one is built as a list and joined,
    # so a long event is a sum of f-strings of a dozen fields each.
    parts[0] = "{{" + parts[0]  # the event's own braces, escaped in the f-string
    parts[-1] += "}}"
    chunks = [",".join(parts[i:i + 12]) + ("," if i + 12 < len(parts) else "") for i in range(0, len(parts), 12)]
    return " + ".join("f'''" + chunk + "'''" for chunk in chunks), scope


def event_writer(expression: str, scope: dict[str, Any], kind: str = "") -> Callable[[dict, Any], str]:
    """The event expression of `event_source` as a function of the checked facts and what the lookups gave."""
    scope = dict(scope)
    exec(compile(f"def write(given, f):\n    return {expression}\n", f"<event writer {kind}>", "exec"), scope)  # noqa: S102 - checked names
    return scope.pop("write")  # not left in its own globals: no reference cycle to outlive a reload
