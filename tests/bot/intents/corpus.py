"""The hand-written intent corpus (corpus.tsv) and how the classifier scores on it."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.intent import Intent, understand

CORPUS = Path(__file__).with_name("corpus.tsv")
HOLDOUT = Path(__file__).with_name("holdout.tsv")
MONEY_MOVING = {"buyer": "refund", "seller": "claim"}  # the flows that end in a refund or a reimbursement


@dataclass(frozen=True)
class Phrase:
    """One line of the corpus: who says it, what should happen, and the words."""

    line: int
    role: str
    expected: str
    text: str


def load(path: Path = CORPUS) -> list[Phrase]:
    """The corpus phrases (comments and the header skipped)."""
    phrases = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#") or raw.startswith("role\t"):
            continue
        role, expected, text = raw.split("\t")
        phrases.append(Phrase(number, role, expected, text))
    return phrases


def label(intent: Intent) -> str:
    """An intent in the corpus's notation: `refund:not_received`, `out_of_scope:billing`, `status`."""
    detail = intent.reason or intent.topic
    return f"{intent.name}:{detail}" if detail else intent.name


@dataclass
class Score:
    """How the classifier did: misses (phrase, got) and money-moving flows started that should not be."""

    total: int = 0
    correct: int = 0
    misses: list[tuple[Phrase, str]] = field(default_factory=list)
    false_starts: list[tuple[Phrase, str]] = field(default_factory=list)
    wrong_reasons: list[tuple[Phrase, str]] = field(default_factory=list)
    per_intent: Counter = field(default_factory=Counter)
    per_intent_correct: Counter = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        """Share of phrases classified exactly as intended."""
        return self.correct / self.total if self.total else 0.0


def score(phrases: list[Phrase]) -> Score:
    """Classify every phrase and compare with the intended result."""
    result = Score()
    for phrase in phrases:
        got = label(understand(phrase.text, phrase.role))
        result.total += 1
        kind = phrase.expected.split(":")[0]
        result.per_intent[f"{phrase.role} {kind}"] += 1
        if got == phrase.expected:
            result.correct += 1
            result.per_intent_correct[f"{phrase.role} {kind}"] += 1
            continue
        result.misses.append((phrase, got))
        money = MONEY_MOVING[phrase.role]
        if got.split(":")[0] == money and kind != money:
            result.false_starts.append((phrase, got))
        elif kind == money and ":" in got and ":" in phrase.expected:
            result.wrong_reasons.append((phrase, got))
    return result
