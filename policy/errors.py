"""Policy errors: every problem found in a policy file, each with its location."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True, slots=True)
class PolicyError:
    """One problem in a policy file, reported as `PATH:LINE:COL: code: message`."""

    path: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code}: {self.message}"


class PolicyErrors(Exception):
    """Raised when a policy cannot be loaded; carries every error found, in file order."""

    def __init__(self, errors: Iterable[PolicyError]):
        self.errors: list[PolicyError] = sorted(errors, key=lambda e: (e.path, e.line, e.col, e.code))
        super().__init__("\n".join(str(e) for e in self.errors) or "invalid policy")

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """Return ` (did you mean 'x'?)` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
