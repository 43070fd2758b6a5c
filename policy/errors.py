"""Policy errors: every problem found in a policy file, each with its location."""
from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

# Characters a terminal, a log line or a database can't take as they are: C0 controls but tab and
# line feed, DEL, C1 controls, lone surrogates, and the bidirectional overrides that reorder text.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class PolicyError:
    """One problem in a policy file, reported as `PATH:LINE:COL: code: message`."""

    path: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{printable(self.path)}:{self.line}:{self.col}: {self.code}: {printable(self.message)}"


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


def printable(text: str) -> str:
    """`text` with every unsafe character written as an escape (`\\x1b`, `\\ud800`), so it can be shown anywhere."""
    return UNSAFE_CHARACTERS.sub(lambda m: m[0].encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def first_unsafe(text: str) -> re.Match[str] | None:
    """The first character of `text` that `printable` would escape, or None."""
    return UNSAFE_CHARACTERS.search(text)


class Positions:
    """Maps a character offset in a text to a 1-based (line, column), counting only line feeds as line ends.

    YAML also ends lines at a lone CR, U+0085, U+2028 and U+2029, but editors, `grep -n` and
    diffs do not; locations follow what the operator sees.
    """

    def __init__(self, text: str):
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._bom = text.startswith("\ufeff")

    def at(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at `offset`."""
        line = bisect.bisect_right(self._starts, offset)
        col = offset - self._starts[line - 1] + 1
        if line == 1 and self._bom and offset > 0:
            col -= 1  # the byte-order mark is not a column
        return line, col
