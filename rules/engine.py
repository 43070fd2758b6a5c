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
# Bound once: every decision calls these three.
_assert_event = _dre.assert_event
_start_action_for_state = _dre.start_action_for_state
_complete_and_start_action = _dre.complete_and_start_action


class EngineError(Exception):
    """The rules engine failed to compile a ruleset or to decide an event."""


class RulesetClosed(EngineError):
    """The ruleset was freed (its policy was replaced) before this event reached it."""


class CompiledRuleset:
    """One durable_rules ruleset; `fire(event_json)` returns the id of the rule that fired."""

    __slots__ = ("name", "rule_ids", "_base_name", "_definition", "_handle", "_has_state", "_lock", "_closed")

    def __init__(self, base_name: str, definition: dict):
        self.rule_ids = frozenset(definition)
        self._base_name = base_name
        self._definition = json.dumps(definition)
        self.name, self._handle = self._create()
        self._has_state = False  # set once an event has created the session's state
        self._lock = threading.Lock()
        self._closed = False

    def _create(self) -> tuple[str, int]:
        # A name can be registered once per process, so every compilation gets its own.
        name = f"{self._base_name}#{next(_serial)}"
        try:
            return name, _dre.create_ruleset(name, self._definition)
        except Exception as exc:  # the C core raises bare Exceptions with an error code
            raise EngineError(f"durable_rules rejected ruleset {name}: {exc}") from exc

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
                raise RulesetClosed(f"ruleset {self.name} has been freed")
            handle = self._handle
            try:
                code, offset = _assert_event(handle, event_json)
                if code != 0:
                    raise EngineError(f"no rule matched (durable_rules result {code})")
                action = _start_action_for_state(handle, offset)
                if not action:
                    raise EngineError("the matched rule produced no action")
                message = action[1]
                _complete_and_start_action(handle, offset)
                if not self._has_state:
                    self._has_state = True
            except Exception as exc:
                failed = self.name
                self._replace()
                raise EngineError(f"durable_rules failed on an event in {failed}: {exc}") from exc
        # The action message is {"<rule id>":{"m":{...event...}}}.
        if message[:2] != _ACTION_PREFIX:
            raise EngineError(f"unexpected action message from {self.name}: {message[:80]!r}")
        return message[2:message.index('"', 2)]

    def _replace(self) -> None:
        # A failed event may leave an action queued that the next event would pick up. Clearing
        # the session with delete_state crashes the C core after an unmatched event, so the
        # whole ruleset is rebuilt instead (same definition, new name) and the old one freed.
        old = self._handle
        self.name, self._handle = self._create()
        self._has_state = False
        _dre.delete_ruleset(old)

    def close(self) -> None:
        """Free the C ruleset; later `fire` calls raise EngineError."""
        with self._lock:
            if not self._closed:
                self._closed = True
                if self._has_state:
                    # delete_ruleset frees the ruleset but not the session state its first event
                    # created (~70 KiB), so every reload leaked it. delete_state is safe here:
                    # every event on this handle completed, as a failed one replaces the handle.
                    _dre.delete_state(self._handle, "0")
                _dre.delete_ruleset(self._handle)
