"""Compiles a validated policy into durable_rules and decides refunds, seller tiers and claims."""
from .compiler import CompiledPolicy, compile_policy
from .decision import KINDS, Decision
from .engine import EngineError
from .facts import CLAIM_FIELDS, REFUND_FIELDS, TIER_FIELDS, FactsError

__all__ = [
    "CLAIM_FIELDS", "CompiledPolicy", "Decision", "EngineError", "FactsError", "KINDS", "REFUND_FIELDS",
    "TIER_FIELDS", "compile_policy",
]
