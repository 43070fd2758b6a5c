"""How decisions read to people: explanations without rule ids, rules cited by their description."""
from __future__ import annotations

import re

from ..texts import has_text
from .turn import Turn

_RULE_ID = re.compile(r" \(rule [A-Za-z0-9_.-]+\)")


def without_rule_id(explanation: str) -> str:
    """The engine's explanation without its `(rule X)` citation (the id goes on the last line, or nowhere)."""
    return _RULE_ID.sub("", explanation)


# The engine words claim decisions about "the seller"; the chat speaks to them.
_TO_THE_SELLER = (("the seller is", "you are"), ("The seller is", "You are"), ("the seller bears", "you bear"),
                  ("the seller has", "you have"), ("the seller's", "your"), ("the seller", "you"), ("The seller", "You"))


def to_the_seller(explanation: str) -> str:
    """A claim explanation addressed to the seller reading it ("you are reimbursed", not "the seller is")."""
    for third, second in _TO_THE_SELLER:
        explanation = explanation.replace(third, second)
    return explanation


def rule_description(turn: Turn, rule_id: str) -> str:
    """A refund rule in words: an operator rule's description from the policy, a built-in rule's from the texts."""
    for custom in turn.policy.returns.rules:
        if custom.id == rule_id:
            return custom.description
    key = f"rule_{rule_id}"
    return turn.t(key if has_text(turn.lang, key) else "rule_unknown")
