"""How well free text is understood: the hand-written corpus (tests/bot/intents/corpus.tsv) through bot.intent.

Prints the accuracy overall and per intent, every miss, and the phrases that would start a
money-moving flow (a buyer's refund, a seller's claim) they should not. Run:

    .venv/bin/python bench/intent_accuracy.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.bot.intents.corpus import HOLDOUT, load, score  # noqa: E402

TARGET = 0.95


def main() -> int:
    """Score the corpus and print the figures; exit 1 below the target or on any false start."""
    phrases = load()
    started = time.perf_counter()
    result = score(phrases)
    elapsed = time.perf_counter() - started
    print(f"phrases: {result.total} ({sum(1 for p in phrases if p.role == 'buyer')} buyer, "
          f"{sum(1 for p in phrases if p.role == 'seller')} seller)")
    print(f"accuracy: {result.correct}/{result.total} = {result.accuracy:.1%} (target {TARGET:.0%})")
    print(f"money-moving flows started that should not be: {len(result.false_starts)}")
    print(f"refund/claim with a different reason filled in: {len(result.wrong_reasons)}")
    print(f"time: {elapsed * 1000 / result.total:.2f} ms a phrase")
    print("per intent:")
    for key in sorted(result.per_intent):
        print(f"  {key:28} {result.per_intent_correct[key]:3}/{result.per_intent[key]:3}")
    if result.misses:
        print("misses (line: role expected <- got: text):")
        for phrase, got in result.misses:
            print(f"  {phrase.line}: {phrase.role} {phrase.expected} <- {got}: {phrase.text}")
    held = score(load(HOLDOUT))
    print(f"held-out phrases (no pattern or word added for them): {held.correct}/{held.total} = {held.accuracy:.1%}, "
          f"money-moving flows started that should not be: {len(held.false_starts)}")
    for phrase, got in held.misses:
        print(f"  {phrase.line}: {phrase.role} {phrase.expected} <- {got}: {phrase.text}")
    return 0 if result.accuracy >= TARGET and not result.false_starts else 1


if __name__ == "__main__":
    sys.exit(main())
