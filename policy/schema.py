"""The policy file's JSON Schema: the single description used to validate files and exported for editors."""
from __future__ import annotations

import json
from typing import Any

from .facts import ALL_OPERATORS, FACTS, all_fact_names
from .vocabulary import (
    CLAIM_OUTCOMES, CLAIM_REASONS, CODE_PATTERN, CONDITIONS, EVIDENCE_KINDS, REFUND_ISSUERS, REFUND_OUTCOMES,
    REFUND_REASONS, RETURN_STATES,
)

_RATE = {"type": "number", "minimum": 0, "maximum": 1}
_MONEY = {"type": "number", "minimum": 0, "maximum": 1_000_000}
_DAYS = {"type": "integer", "minimum": 0, "maximum": 3650}
_CODE = {"type": "string", "pattern": CODE_PATTERN}
_DATE = {"type": "string", "format": "date", "description": "a date, YYYY-MM-DD"}


def dated(schema: dict) -> dict:
    """`schema`, or a list of {from: DATE, value: schema}: a value that changes on dates."""
    options = list(schema["anyOf"]) if "anyOf" in schema else [schema]
    return {
        "anyOf": [
            *options,
            {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "description": "values in date order; each applies from its `from` date (the first may leave it out)",
                "items": {
                    "type": "object",
                    "required": ["value"],
                    "additionalProperties": False,
                    "properties": {"from": _DATE, "value": schema},
                },
            },
        ],
        "description": schema.get("description", "") + " May change on dates: [{from: 2026-02-16, value: ...}].",
    }


_FEE_OBJECT = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": "rate x price + fixed, at least min and at most max, only above above_price; never more than the price",
    "properties": {
        "rate": _RATE,
        "fixed": _MONEY,
        "min": _MONEY,
        "max": _MONEY,
        "above_price": _MONEY,
    },
}
FEE = {"anyOf": [_RATE, _FEE_OBJECT], "description": "a share of the price (0.15), or {rate, fixed, min, max, above_price}"}

_SCALAR = {"type": ["string", "number", "boolean"]}
_CONDITION_VALUE = {
    "anyOf": [
        _SCALAR,
        {"type": "array", "items": _SCALAR, "minItems": 1, "maxItems": 100},
        {
            "type": "object",
            "propertyNames": {"enum": list(ALL_OPERATORS)},
            "additionalProperties": {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR, "minItems": 1, "maxItems": 100}]},
            "minProperties": 1,
        },
    ],
    "description": "a value (equals), a list (any of), or operators: " + ", ".join(ALL_OPERATORS),
}

_EXPLANATION = {"type": "string", "minLength": 1, "maxLength": 500,
                "description": "Plain-language text; may use {fact} placeholders and the decision's amounts."}


def _when(kind: str) -> dict:
    return {
        "type": "object",
        "description": f"Every listed fact must match (AND). {kind} facts: {', '.join(FACTS[kind])}.",
        # Every kind's facts are accepted here so that a fact of another kind gets its own error.
        "propertyNames": {"enum": list(all_fact_names())},
        "additionalProperties": _CONDITION_VALUE,
        "minProperties": 1,
    }


def _rule(kind: str, max_priority: int, then: dict, required: list[str]) -> dict:
    return {
        "type": "object",
        "description": f"A {kind} rule for a case the sections do not cover; the lowest priority that matches wins.",
        "required": ["id", "priority", "when", "then"],
        "additionalProperties": False,
        "properties": {
            "id": {**_CODE, "description": "Unique rule id, cited in every decision the rule makes."},
            "priority": {"type": "integer", "minimum": 1, "maximum": max_priority,
                         "description": f"Order among all {kind} rules (built-in rules use 100, 200, ...)."},
            "description": {"type": "string", "maxLength": 500},
            "when": _when(kind),
            "then": {"type": "object", "required": required, "additionalProperties": False, "properties": then},
        },
    }


CUSTOM_RULE = _rule("refund", 899, {
    "outcome": {"enum": list(REFUND_OUTCOMES)},
    "reason": {**_CODE, "description": "Reason code stored with the decision."},
    "fee_rate": {**_RATE, "description": "Share of the price kept as a fee (partial_refund only)."},
    "fee": {**_FEE_OBJECT, "description": "The fee kept (partial_refund only): " + _FEE_OBJECT["description"]},
    "refund_rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                    "description": "Share of the price refunded while the buyer keeps the item (keep_item_refund only)."},
    "explanation": _EXPLANATION,
}, ["outcome", "reason"])

CLAIM_RULE = _rule("claim", 899, {
    "outcome": {"enum": list(CLAIM_OUTCOMES)},
    "reason": {**_CODE, "description": "Reason code stored with the decision."},
    "reimbursement_rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                           "description": "Share of the refund reimbursed (approve only; default: the reason's rate)."},
    "explanation": _EXPLANATION,
}, ["outcome", "reason"])

TIER_RULE = _rule("tier", 399, {
    "tier": {**_CODE, "description": "The tier given, or not_eligible."},
    "reason": {**_CODE, "description": "Reason code stored with the decision."},
    "explanation": _EXPLANATION,
}, ["tier", "reason"])

WINDOW_EXTENSION = {
    "type": "object",
    "description": "A longer return window for matching requests (the longest window that applies wins).",
    "required": ["id", "when"],
    "additionalProperties": False,
    "properties": {
        "id": _CODE,
        "description": {"type": "string", "maxLength": 500},
        "when": _when("refund"),
        "window_days": dated({**_DAYS, "description": "The window for matching requests."}),
        "until": {"type": "string", "description": "MM-DD: returnable until that day, the first one after the delivery."},
    },
}

CATEGORY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "window_days": dated({**_DAYS, "description": "Return window for this category."}),
        "returnable": {"type": "boolean", "description": "false: buyer-fault returns are refused."},
        "restocking_fee": {
            "type": "object",
            "description": "Restocking fee by condition, overriding returns.restocking_fee.",
            "propertyNames": {"enum": list(CONDITIONS)},
            "additionalProperties": dated(FEE),
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
        "min_days_since_refund": dated({**_DAYS, "default": 0,
                                        "description": "A claim filed sooner is denied as too early."}),
        "non_returnable_only": {"type": "boolean", "default": False,
                                "description": "Only items in a non-returnable category qualify."},
        "reimbursement_rate": dated({"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 1,
                                     "description": "Share of the refund reimbursed."}),
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
                "default_window_days": dated({**_DAYS, "description": "Return window for categories without their own."}),
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
                    "additionalProperties": dated(FEE),
                },
                "returnless": {
                    "type": "object",
                    "required": ["max_price"],
                    "additionalProperties": False,
                    "properties": {
                        "max_price": dated({**_MONEY, "description": "At or below this price the buyer keeps the item."}),
                    },
                },
                "escalation": {
                    "type": "object",
                    "required": ["min_price", "min_buyer_returns_90d"],
                    "additionalProperties": False,
                    "properties": {
                        "min_price": dated({**_MONEY, "description": "At or above this price a person decides."}),
                        "min_buyer_returns_90d": dated({"type": "integer", "minimum": 1, "maximum": 10000,
                                                        "description": "A buyer with this many returns in 90 days is reviewed by a person."}),
                    },
                },
                "window_extensions": {"type": "array", "items": WINDOW_EXTENSION, "maxItems": 50},
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
                "fee_per_unit": dated({**_MONEY, "description": "Base service fee per unit before the tier's discount."}),
                "eligibility": {
                    "type": "object",
                    "required": ["min_vtr", "min_aprl"],
                    "additionalProperties": False,
                    "properties": {"min_vtr": dated(_RATE), "min_aprl": dated(_RATE)},
                },
                "low_volume": {
                    "type": "object",
                    "required": ["min_units", "treat_as"],
                    "additionalProperties": False,
                    "properties": {
                        "min_units": dated({"type": "integer", "minimum": 1, "maximum": 1_000_000}),
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
                "rules": {"type": "array", "items": TIER_RULE, "maxItems": 100},
            },
        },
        "claims": {
            "type": "object",
            "required": ["filing_window_days", "reasons"],
            "additionalProperties": False,
            "properties": {
                "filing_window_days": dated({"type": "integer", "minimum": 1, "maximum": 3650,
                                             "description": "Counted from the later of the refund and the return's delivery."}),
                "max_per_order": dated({**_MONEY, "description": "Most reimbursed on one order, in all (uses order_reimbursed)."}),
                "max_share_of_order": dated({**_RATE, "description": "Most reimbursed on one order, as a share of its total."}),
                "rules": {"type": "array", "items": CLAIM_RULE, "maxItems": 100},
                "deny_late_auto_refunds": {"type": "boolean", "default": True,
                                           "description": "Deny claims on refunds the marketplace issued because the seller missed its deadline."},
                "reasons": {
                    "type": "object",
                    "propertyNames": {"enum": list(CLAIM_REASONS)},
                    "additionalProperties": CLAIM_REASON,
                },
            },
        },
        "products": {
            "type": "object",
            "description": "Tags of products by SKU, added to a request's product_tags before the rules run (e.g. final_sale).",
            "propertyNames": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
            "additionalProperties": {"type": "array", "items": _CODE, "minItems": 1, "maxItems": 20, "uniqueItems": True},
            "maxProperties": 100_000,
        },
        "sellers": {
            "type": "object",
            "description": "Seller overlays: each seller's own return rules in DIRECTORY/<seller id>.yaml, and the floor they may not go below.",
            "additionalProperties": False,
            "properties": {
                "directory": {"type": "string", "minLength": 1, "maxLength": 200,
                              "description": "Directory of overlay files, relative to this file (e.g. sellers)."},
                "floor": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "windows": {"type": "boolean", "default": True, "description": "Overlay windows at least the marketplace's."},
                        "returnable": {"type": "boolean", "default": True,
                                       "description": "No category made non-returnable that the marketplace accepts."},
                        "fees": {"type": "boolean", "default": True, "description": "Overlay fees at most the marketplace's."},
                        "deny_rules": {"type": "boolean", "default": True,
                                       "description": "Seller rules may not deny or escalate."},
                    },
                },
            },
        },
    },
}

_SELLER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

OVERLAY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://refundbot.example/seller-overlay.schema.json",
    "title": "refundbot seller overlay",
    "type": "object",
    "required": ["version", "returns"],
    "additionalProperties": False,
    "properties": {
        "seller": {"type": "string", "pattern": _SELLER_ID_PATTERN, "description": "The seller id; must match the file name."},
        "version": {"type": "string", "minLength": 1, "maxLength": 64},
        "description": {"type": "string", "maxLength": 2000},
        "returns": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "default_window_days": SCHEMA["properties"]["returns"]["properties"]["default_window_days"],
                "categories": SCHEMA["properties"]["returns"]["properties"]["categories"],
                "restocking_fee": SCHEMA["properties"]["returns"]["properties"]["restocking_fee"],
                "window_extensions": SCHEMA["properties"]["returns"]["properties"]["window_extensions"],
                "rules": SCHEMA["properties"]["returns"]["properties"]["rules"],
            },
        },
    },
}


def schema_json(overlay: bool = False) -> str:
    """The policy JSON Schema (or the seller overlay's) as pretty-printed JSON."""
    return json.dumps(OVERLAY_SCHEMA if overlay else SCHEMA, indent=2, sort_keys=False)
