"""A compiled durable_rules ruleset driven through its C core, one event at a time.

durable_rules' Python host costs about 30 us a decision and its timer threads can race
`post()`; the C API it wraps costs about 10 us. This module uses the C API directly:
one ruleset per policy version and decision kind, registered under a unique name, fed
one event at a time under a lock, and freed with `delete_ruleset` when replaced.
"""
from __future__ import annotations

import itertools
import json
import threading

import durable_rules_engine as _dre

_serial = itertools.count(1)
_ACTION_PREFIX = '{"'


class EngineError(Exception):
    """The rules engine failed to compile a ruleset or to decide an event."""


class CompiledRuleset:
    """One durable_rules ruleset; `fire(event_json)` returns the id of the rule that fired."""

    __slots__ = ("name", "rule_ids", "_handle", "_lock", "_closed")

    def __init__(self, base_name: str, definition: dict):
        # A name can be registered once per process, so every compilation gets its own.
        self.name = f"{base_name}#{next(_serial)}"
        self.rule_ids = frozenset(definition)
        try:
            self._handle = _dre.create_ruleset(self.name, json.dumps(definition))
        except Exception as exc:  # the C core raises bare Exceptions with an error code
            raise EngineError(f"durable_rules rejected ruleset {self.name}: {exc}") from exc
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once the ruleset has been freed."""
        return self._closed

    def fire(self, event_json: str) -> str:
        """Assert one event (JSON text with `"sid":"0"`) and return the first-hit rule's id.

        Every ruleset has a catch-all rule, so an event always fires exactly one rule; the
        action is completed before returning, so the session holds no pending state.
        """
        with self._lock:
            if self._closed:
                raise EngineError(f"ruleset {self.name} has been freed")
            handle = self._handle
            try:
                code, offset = _dre.assert_event(handle, event_json)
                if code != 0:
                    raise EngineError(f"no rule matched (durable_rules result {code})")
                action = _dre.start_action_for_state(handle, offset)
                if not action:
                    raise EngineError("the matched rule produced no action")
                message = action[1]
                _dre.complete_and_start_action(handle, offset)
            except Exception as exc:
                # Drop whatever the failed call left queued so the next event starts clean.
                try:
                    _dre.delete_state(handle, "0")
                except Exception:
                    pass
                raise EngineError(f"durable_rules failed on an event in {self.name}: {exc}") from exc
        # The action message is {"<rule id>":{"m":{...event...}}}.
        if not message.startswith(_ACTION_PREFIX):
            raise EngineError(f"unexpected action message from {self.name}: {message[:80]!r}")
        return message[2:message.index('"', 2)]

    def close(self) -> None:
        """Free the C ruleset; later `fire` calls raise EngineError."""
        with self._lock:
            if not self._closed:
                self._closed = True
                _dre.delete_ruleset(self._handle)
