"""Recognising what a plain sentence asks for, e.g. "I want to return my sleeping bag"."""
from __future__ import annotations

import re
from typing import Iterable, TypeVar

T = TypeVar("T")

_WORD = re.compile(r"[a-z0-9]+")
REFUND_WORDS = ("return", "refund", "money back", "send back", "send it back", "broken", "faulty", "defective",
                "damaged", "wrong item", "never arrived", "not arrived", "didn't arrive", "not received", "doesn't work",
                "devolver", "devolución", "reembolso")
TIER_WORDS = ("tier", "discount", "my fee", "fees", "vtr", "aprl", "cpu", "metrics")
CLAIM_WORDS = ("claim", "reimburse", "reimbursement", "safe-t", "safet")
OWED_WORDS = ("owed", "owe me", "am i owed", "do you owe", "money am i due")
REFUNDS_WORDS = ("refunds", "refunded")
STOP = {"i", "a", "an", "the", "my", "to", "want", "would", "like", "please", "it", "is", "for", "of", "and", "me", "can",
        "return", "refund", "back", "send", "get", "money", "this", "that", "want", "wanna", "need", "some", "with", "was"}


def _has(text: str, words: Iterable[str]) -> bool:
    lowered = text.casefold()
    return any(re.search(rf"\b{re.escape(w)}", lowered) for w in words)


def wants_refund(text: str) -> bool:
    """True when the sentence asks to return or be refunded for something."""
    return _has(text, REFUND_WORDS)


def seller_intent(text: str) -> str | None:
    """owed, tier, claim or refunds for a seller's sentence, or None."""
    if _has(text, OWED_WORDS):
        return "owed"
    if _has(text, CLAIM_WORDS):
        return "claim"
    if _has(text, TIER_WORDS):
        return "tier"
    if _has(text, REFUNDS_WORDS):
        return "refunds"
    return None


def _stems(text: str) -> set[str]:
    words = _WORD.findall(text.casefold())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in STOP}


def matching(text: str, candidates: Iterable[tuple[T, str]]) -> list[T]:
    """The candidates whose description shares the most words with the sentence (none if no word is shared)."""
    wanted = _stems(text)
    scored = [(len(wanted & _stems(description)), item) for item, description in candidates]
    best = max((score for score, _ in scored), default=0)
    return [item for score, item in scored if best and score == best]
