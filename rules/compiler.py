"""Compiles a validated Policy into durable_rules rulesets and decides refunds, tiers and claims."""
from __future__ import annotations

from functools import cached_property
from typing import Any

from policy.model import Policy, ReturnsPolicy, every
from policy.vocabulary import CONDITIONS, REFUND_REASONS

from . import claim, refund, tier
from .decision import Decision
from .program import KindTable, Program

# Every decision kind is a table (rules/program.py): adding one here (with its facts in
# policy/facts.py) is all a new kind needs.
TABLES: dict[str, KindTable] = {"refund": refund.TABLE, "tier": tier.TABLE, "claim": claim.TABLE}


class CompiledPolicy:
    """One policy version compiled into one program per decision kind; the `decide_*` methods are pure functions of the facts."""

    def __init__(self, policy: Policy, tables: dict[str, KindTable] | None = None):
        self.policy = policy
        self.version = policy.version
        self.programs: dict[str, Program] = {}
        try:
            for kind, table in (tables or TABLES).items():
                self.programs[kind] = Program(table, policy)
        except BaseException:
            for built in self.programs.values():
                built.close()
            raise
        self.refund, self.tier, self.claim = (self.programs.get(kind) for kind in ("refund", "tier", "claim"))
        # the hot paths call the programs' deciders directly (the methods below say what they do)
        for kind in ("refund", "tier", "claim"):
            if kind in self.programs:
                setattr(self, f"decide_{kind}", self.programs[kind].decide)

    def decide_refund(self, facts: Any) -> Decision:
        """Decide a buyer's refund request."""
        return self.refund.decide(facts)

    def decide_tier(self, facts: Any) -> Decision:
        """Decide a seller's reward tier from their window counts."""
        return self.tier.decide(facts)

    def decide_claim(self, facts: Any) -> Decision:
        """Decide a seller's reimbursement claim."""
        return self.claim.decide(facts)

    @cached_property
    def longest_window_days(self) -> int:
        """The longest return window any refund request can get: any category, overlay or extension, on any date."""
        return max(_longest_window(r) for r in (self.policy.returns, *(o.returns for o in self.policy.overlays.values())))

    def longest_refund_window(self, facts: Any) -> int:
        """The longest return window in days a refund request with these facts gets for any reason and condition: the
        category's, the seller's overlay, window extensions and dated values, as the refund rules see it."""
        program = self.refund
        checked = program.table.check(facts)
        return max(program.table.lookup(program.ctx, {**checked, "reason": reason, "condition": condition})["window_days"]
                   for reason in REFUND_REASONS for condition in CONDITIONS)

    def decide(self, kind: str, facts: Any) -> Decision:
        """Decide facts of `kind` (refund, tier, claim, or any other kind compiled in)."""
        program = self.programs.get(kind)
        if program is None:
            raise ValueError(f"unknown decision kind {kind!r}; expected {', '.join(self.programs)}")
        return program.decide(facts)

    def rule_ids(self) -> dict[str, tuple[str, ...]]:
        """Every rule id per decision kind, in first-hit order."""
        return {kind: program.order for kind, program in self.programs.items()}

    def summary(self) -> str:
        """One line: the version and the rule count of each kind."""
        counts = ", ".join(f"{kind} {len(ids)}" for kind, ids in self.rule_ids().items())
        p = self.policy
        custom = len(p.returns.rules) + len(p.claims.rules) + len(p.rewards.rules)
        overlays = f", {len(p.overlays)} seller overlays" if p.overlays else ""
        return (f"policy {self.version}: rules {counts} ({custom} custom); "
                f"{len(p.returns.categories)} categories, {len(p.rewards.tiers)} tiers, "
                f"{len(p.claims.reasons)} claim reasons{overlays}")

    @property
    def closed(self) -> bool:
        """True once the rulesets have been freed."""
        return next(iter(self.programs.values())).ruleset.closed

    def close(self) -> None:
        """Free the compiled rulesets; decisions on this object then raise EngineError."""
        for program in self.programs.values():
            program.close()


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Compile a validated policy into rulesets named after its version."""
    return CompiledPolicy(policy)


def _longest_window(r: ReturnsPolicy) -> int:
    days = [*every(r.default_window_days), *(d for c in r.categories.values() for d in every(c.window_days))]
    for extension in r.window_extensions:  # a window `until` a day of the year reaches at most a year past the delivery
        days += [366] if extension.until is not None else every(extension.window_days)
    return max(days)
