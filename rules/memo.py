"""Bounded memos: module-level dicts of what the engine works out once and reads on later decisions (amounts and
rates as text, sentence parts), emptied when full so a long-running bot's memory stays bounded."""
from __future__ import annotations

from typing import Any, TypeVar

MEMO_BOUND = 4096  # entries a memo holds before it is emptied

V = TypeVar("V")


def remember(memo: dict, key: Any, value: V) -> V:
    """`value`, stored in `memo` under `key` (the memo emptied first when it holds MEMO_BOUND entries)."""
    if len(memo) >= MEMO_BOUND:
        memo.clear()
    memo[key] = value
    return value
