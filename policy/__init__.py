"""The refund policy language: YAML in, a validated Policy out, or every error with its location."""
from pathlib import Path

from .errors import PolicyError, PolicyErrors
from .loader import load_policy, load_policy_text
from .model import Category, ClaimReason, ClaimsPolicy, Condition, CustomRule, Policy, ReturnsPolicy, RewardsPolicy, Tier
from .schema import SCHEMA, schema_json

DEFAULT_POLICY_PATH = str(Path(__file__).with_name("default.yaml"))

__all__ = [
    "Category", "ClaimReason", "ClaimsPolicy", "Condition", "CustomRule", "DEFAULT_POLICY_PATH", "Policy",
    "PolicyError", "PolicyErrors", "ReturnsPolicy", "RewardsPolicy", "SCHEMA", "Tier", "load_policy",
    "load_policy_text", "schema_json",
]
