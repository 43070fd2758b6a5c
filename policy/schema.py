"""The policy file's JSON Schema: the single description used to validate files and exported for editors."""
from __future__ import annotations

import json
from typing import Any

from .vocabulary import (
    CLAIM_REASONS, CODE_PATTERN, CONDITIONS, EVIDENCE_KINDS, REFUND_ISSUERS, REFUND_OUTCOMES,
    REFUND_REASONS, REFUND_RULE_FIELDS, RETURN_STATES, RULE_OPERATORS,
)

_RATE = {"type": "number", "minimum": 0, "maximum": 1}
_MONEY = {"type": "number", "minimum": 0, "maximum": 1_000_000}
_DAYS = {"type": "integer", "minimum": 0, "maximum": 3650}
_CODE = {"type": "string", "pattern": CODE_PATTERN}

_SCALAR = {"type": ["string", "number", "boolean"]}
_CONDITION_VALUE = {
    "anyOf": [
        _SCALAR,
        {"type": "array", "items": _SCALAR, "minItems": 1, "maxItems": 100},
        {
            "type": "object",
            "propertyNames": {"enum": list(RULE_OPERATORS)},
            "additionalProperties": {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR, "minItems": 1, "maxItems": 100}]},
            "minProperties": 1,
        },
    ],
    "description": "a value (equals), a list (any of), or operators: eq, ne, in, not_in, gt, gte, lt, lte",
}

CUSTOM_RULE = {
    "type": "object",
    "description": "A refund rule for a case the sections do not cover; the lowest priority that matches wins.",
    "required": ["id", "priority", "when", "then"],
    "additionalProperties": False,
    "properties": {
        "id": {**_CODE, "description": "Unique rule id, cited in every decision the rule makes."},
        "priority": {"type": "integer", "minimum": 1, "maximum": 899,
                     "description": "Order among all refund rules (built-in rules use 100, 200, ... 900)."},
        "description": {"type": "string", "maxLength": 500},
        "when": {
            "type": "object",
            "description": "Every listed field must match (AND).",
            "propertyNames": {"enum": list(REFUND_RULE_FIELDS)},
            "additionalProperties": _CONDITION_VALUE,
            "minProperties": 1,
        },
        "then": {
            "type": "object",
            "required": ["outcome", "reason"],
            "additionalProperties": False,
            "properties": {
                "outcome": {"enum": list(REFUND_OUTCOMES)},
                "reason": {**_CODE, "description": "Reason code stored with the decision."},
                "fee_rate": {**_RATE, "description": "Share of the price kept as a fee (partial_refund only)."},
                "explanation": {"type": "string", "minLength": 1, "maxLength": 500,
                                "description": "Plain-language text; may use {price}, {category}, {refund_amount}, {fee} and other fact names."},
            },
        },
    },
}

CATEGORY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "window_days": {**_DAYS, "description": "Return window for this category."},
        "returnable": {"type": "boolean", "description": "false: buyer-fault returns are refused."},
        "restocking_fee": {
            "type": "object",
            "description": "Restocking fee by condition, overriding returns.restocking_fee.",
            "propertyNames": {"enum": list(CONDITIONS)},
            "additionalProperties": _RATE,
        },
        "label": {"type": "string", "maxLength": 80, "description": "Name shown to people, e.g. 'sleeping bags'."},
    },
}

CLAIM_REASON = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "return": {"enum": list(RETURN_STATES), "default": "any",
                   "description": "Whether the return must have been received, must not have been, or either."},
        "refund_issued_by": {"type": "array", "items": {"enum": list(REFUND_ISSUERS)}, "minItems": 1, "uniqueItems": True,
                             "default": ["marketplace"]},
        "evidence": {"type": "array", "items": {"enum": list(EVIDENCE_KINDS)}, "uniqueItems": True, "default": []},
        "min_days_since_refund": {**_DAYS, "default": 0,
                                  "description": "A claim filed sooner is denied as too early."},
        "non_returnable_only": {"type": "boolean", "default": False,
                                "description": "Only items in a non-returnable category qualify."},
        "reimbursement_rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 1,
                               "description": "Share of the refund reimbursed."},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://refundbot.example/policy.schema.json",
    "title": "refundbot policy",
    "type": "object",
    "required": ["version", "returns", "rewards", "claims"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "string", "minLength": 1, "maxLength": 64,
                    "description": "Free-text version; with the file's content hash it names the policy version."},
        "description": {"type": "string", "maxLength": 2000},
        "returns": {
            "type": "object",
            "required": ["default_window_days", "seller_fault_reasons", "restocking_fee", "returnless", "escalation"],
            "additionalProperties": False,
            "properties": {
                "default_window_days": {**_DAYS, "description": "Return window for categories without their own."},
                "categories": {
                    "type": "object",
                    "propertyNames": _CODE,
                    "additionalProperties": CATEGORY,
                    "maxProperties": 10000,
                },
                "seller_fault_reasons": {"type": "array", "items": {"enum": list(REFUND_REASONS)}, "uniqueItems": True},
                "restocking_fee": {
                    "type": "object",
                    "description": "Share of the price kept when an item comes back for a buyer-fault reason, by condition.",
                    "propertyNames": {"enum": list(CONDITIONS)},
                    "additionalProperties": _RATE,
                },
                "returnless": {
                    "type": "object",
                    "required": ["max_price"],
                    "additionalProperties": False,
                    "properties": {
                        "max_price": {**_MONEY, "description": "At or below this price the buyer keeps the item."},
                    },
                },
                "escalation": {
                    "type": "object",
                    "required": ["min_price", "min_buyer_returns_90d"],
                    "additionalProperties": False,
                    "properties": {
                        "min_price": {**_MONEY, "description": "At or above this price a person decides."},
                        "min_buyer_returns_90d": {"type": "integer", "minimum": 1, "maximum": 10000,
                                                  "description": "A buyer with this many returns in 90 days is reviewed by a person."},
                    },
                },
                "rules": {"type": "array", "items": CUSTOM_RULE, "maxItems": 100},
            },
        },
        "rewards": {
            "type": "object",
            "required": ["window_days", "fee_per_unit", "eligibility", "low_volume", "tiers"],
            "additionalProperties": False,
            "properties": {
                "window_days": {"type": "integer", "minimum": 1, "maximum": 3650,
                                "description": "Trailing window for VTR, APRL and CPU."},
                "fee_per_unit": {**_MONEY, "description": "Base service fee per unit before the tier's discount."},
                "eligibility": {
                    "type": "object",
                    "required": ["min_vtr", "min_aprl"],
                    "additionalProperties": False,
                    "properties": {"min_vtr": _RATE, "min_aprl": _RATE},
                },
                "low_volume": {
                    "type": "object",
                    "required": ["min_units", "treat_as"],
                    "additionalProperties": False,
                    "properties": {
                        "min_units": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                        "treat_as": {**_CODE, "description": "not_eligible, or the name of a tier."},
                    },
                },
                "tiers": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 20,
                    "description": "Best first; the first tier whose max_cpu is at least the seller's CPU applies. The last has no max_cpu.",
                    "items": {
                        "type": "object",
                        "required": ["name", "discount"],
                        "additionalProperties": False,
                        "properties": {
                            "name": _CODE,
                            "max_cpu": _RATE,
                            "discount": {**_RATE, "description": "Share of the fee waived: 1 means free."},
                        },
                    },
                },
            },
        },
        "claims": {
            "type": "object",
            "required": ["filing_window_days", "reasons"],
            "additionalProperties": False,
            "properties": {
                "filing_window_days": {"type": "integer", "minimum": 1, "maximum": 3650,
                                       "description": "Counted from the later of the refund and the return's delivery."},
                "deny_late_auto_refunds": {"type": "boolean", "default": True,
                                           "description": "Deny claims on refunds the marketplace issued because the seller missed its deadline."},
                "reasons": {
                    "type": "object",
                    "propertyNames": {"enum": list(CLAIM_REASONS)},
                    "additionalProperties": CLAIM_REASON,
                },
            },
        },
    },
}


def schema_json() -> str:
    """The policy JSON Schema as pretty-printed JSON."""
    return json.dumps(SCHEMA, indent=2, sort_keys=False)
