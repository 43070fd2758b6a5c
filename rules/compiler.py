"""Compiles a validated Policy into durable_rules rulesets and decides refunds, tiers and claims."""
from __future__ import annotations

from typing import Any

from policy.model import Policy

from .claim import ClaimProgram
from .decision import Decision
from .refund import RefundProgram
from .tier import TierProgram


class CompiledPolicy:
    """One policy version compiled into three rulesets; the `decide_*` methods are pure functions of the facts."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.version = policy.version
        programs = []
        try:
            for program in (RefundProgram, TierProgram, ClaimProgram):
                programs.append(program(policy))
        except BaseException:
            for built in programs:
                built.close()
            raise
        self.refund, self.tier, self.claim = programs

    def decide_refund(self, facts: Any) -> Decision:
        """Decide a buyer's refund request."""
        return self.refund.decide(facts)

    def decide_tier(self, facts: Any) -> Decision:
        """Decide a seller's reward tier from their window counts."""
        return self.tier.decide(facts)

    def decide_claim(self, facts: Any) -> Decision:
        """Decide a seller's reimbursement claim."""
        return self.claim.decide(facts)

    def decide(self, kind: str, facts: Any) -> Decision:
        """Decide facts of `kind` (refund, tier or claim)."""
        if kind == "refund":
            return self.refund.decide(facts)
        if kind == "tier":
            return self.tier.decide(facts)
        if kind == "claim":
            return self.claim.decide(facts)
        raise ValueError(f"unknown decision kind {kind!r}; expected refund, tier or claim")

    def rule_ids(self) -> dict[str, tuple[str, ...]]:
        """Every rule id per decision kind, in first-hit order."""
        return {"refund": self.refund.order, "tier": self.tier.order, "claim": self.claim.order}

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
        return self.refund.ruleset.closed

    def close(self) -> None:
        """Free the compiled rulesets; decisions on this object then raise EngineError."""
        for program in (self.refund, self.tier, self.claim):
            program.close()


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Compile a validated policy into rulesets named after its version."""
    return CompiledPolicy(policy)
