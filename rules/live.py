"""The policy in force: decisions read one compiled version; a swap replaces it in one step."""
from __future__ import annotations

import threading
from typing import Any, Callable

from .compiler import CompiledPolicy
from .decision import Decision
from .engine import RulesetClosed


class LivePolicy:
    """Holds the current CompiledPolicy and swaps it atomically.

    Every decision is made by exactly one version: it takes a reference to the current
    compiled policy and fires one ruleset of it. If a swap frees that version before the
    event reaches it, the ruleset refuses the event (RulesetClosed) and the decision is made
    again by the new version, so none is lost and none mixes versions.
    """

    def __init__(self, compiled: CompiledPolicy):
        self._current = compiled
        self._swap_lock = threading.Lock()

    @property
    def current(self) -> CompiledPolicy:
        """The compiled policy decisions are made by now."""
        return self._current

    @property
    def version(self) -> str:
        """The version in force."""
        return self._current.version

    def decide(self, kind: str, facts: Any) -> Decision:
        """Decide with the version in force (see CompiledPolicy.decide)."""
        return self._with_current(lambda compiled: compiled.decide(kind, facts))

    def decide_refund(self, facts: Any) -> Decision:
        """Decide a refund request with the version in force."""
        return self._with_current(lambda compiled: compiled.decide_refund(facts))

    def decide_tier(self, facts: Any) -> Decision:
        """Decide a seller's tier with the version in force."""
        return self._with_current(lambda compiled: compiled.decide_tier(facts))

    def decide_claim(self, facts: Any) -> Decision:
        """Decide a claim with the version in force."""
        return self._with_current(lambda compiled: compiled.decide_claim(facts))

    def _with_current(self, call: Callable[[CompiledPolicy], Decision]) -> Decision:
        while True:
            compiled = self._current
            try:
                return call(compiled)
            except RulesetClosed:
                if compiled is self._current:  # closed but still current: not a swap, a real error
                    raise

    def swap(self, new: CompiledPolicy) -> CompiledPolicy:
        """Put `new` in force and free the version it replaces; returns the old one (closed)."""
        with self._swap_lock:
            old, self._current = self._current, new
        old.close()  # waits for an event in flight on each ruleset, then frees it
        return old

    def close(self) -> None:
        """Free the version in force."""
        self._current.close()
