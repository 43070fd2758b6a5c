"""A compiled durable_rules ruleset driven through its C core, one event at a time.

durable_rules' Python host costs about 30 us a decision and its timer threads can race
`post()`; the C API it wraps costs about 10 us. This module uses the C API directly:
one ruleset per policy version and decision kind, registered under a unique name, fed
one event at a time under a lock, and freed with `delete_ruleset` when replaced.
"""
from __future__ import annotations

import itertools
import json
import textwrap
import threading
from typing import Any, Callable, Mapping

import durable_rules_engine as _dre

_serial = itertools.count(1)
# Bound once: every decision calls these three.
_assert_event = _dre.assert_event
_start_action_for_state = _dre.start_action_for_state
_complete_and_start_action = _dre.complete_and_start_action


class EngineError(Exception):
    """The rules engine failed to compile a ruleset or to decide an event."""


class RulesetClosed(EngineError):
    """The ruleset was freed (its policy was replaced) before this event reached it."""


def _create(base_name: str, definition: str) -> tuple[int, str]:
    """A new C ruleset of `definition` (JSON) and its name: a name can be registered once per process, so each gets its own."""
    name = f"{base_name}#{next(_serial)}"
    try:
        return _dre.create_ruleset(name, definition), name
    except Exception as exc:  # the C core raises bare Exceptions with an error code
        raise EngineError(f"durable_rules rejected ruleset {name}: {exc}") from exc


# Firing one event, as source: the body of every firing function and of every program's decider
# (rules/program.py), so the one event a decision sends is fired inline. It reads `event` and the
# ruleset's FIRE_PARTS, and leaves the fired rule's result in `fired`. A failed event rebuilds the
# ruleset under a new name (nothing stale stays queued) and raises EngineError.
FIRE_PARTS = ("live", "acquire", "release", "rebuild", "by_prefix")
FIRE = """\
acquire()
try:
    handle = live[0]
    if handle is None:
        raise RulesetClosed(f"ruleset {live[1]} has been freed")
    try:
        code, offset = assert_event(handle, event)
        if code != 0:
            raise EngineError(f"no rule matched (durable_rules result {code})")
        action = start_action(handle, offset)
        if not action:
            raise EngineError("the matched rule produced no action")
        complete_action(handle, offset)
        live[2] = True
    except Exception as exc:
        failed = live[1]
        rebuild()
        raise EngineError(f"durable_rules failed on an event in {failed}: {exc}") from exc
finally:
    release()
try:
    fired = by_prefix[action[1].partition('":')[0]]
except KeyError:
    raise EngineError(f"unexpected action message from {live[1]}: {action[1][:80]!r}") from None
"""


_FIRER = compile("def fire(event):\n" + textwrap.indent(FIRE, "    ") + "    return fired\n", "<fire>", "exec")
FIRE_SCOPE = {"assert_event": _assert_event, "start_action": _start_action_for_state, "complete_action": _complete_and_start_action,
              "EngineError": EngineError, "RulesetClosed": RulesetClosed}


class CompiledRuleset:
    """One durable_rules ruleset; `fire(event_json)` returns the id of the rule that fired."""

    __slots__ = ("rule_ids", "fire", "_base_name", "_definition", "_live", "_lock")

    def __init__(self, base_name: str, definition: dict):
        self.rule_ids = frozenset(definition)
        self._base_name = base_name
        self._definition = json.dumps(definition)
        # [handle (None once closed), name, whether an event created the session's state]: shared with the
        # firing functions, which hold no reference to this object (no cycle to outlive a reload)
        self._live = [*_create(base_name, self._definition), False]
        self._lock = threading.Lock()
        self.fire = self.firer({rule: rule for rule in self.rule_ids})  # event JSON -> the id of the rule that fired

    @property
    def name(self) -> str:
        """The name the ruleset is registered under (a new one after a failed event rebuilt it)."""
        return self._live[1]

    @property
    def closed(self) -> bool:
        """True once the ruleset has been freed."""
        return self._live[0] is None

    def firer(self, results: Mapping[str, Any]) -> Callable[[str], Any]:
        """A function that asserts one event (JSON text with `"sid":"0"`) and returns `results[id of the rule that fired]`.

        Every ruleset has a catch-all rule, so an event always fires exactly one rule; the action is
        completed before returning, so the session holds no pending state. Decisions call it directly.
        """
        scope = {**FIRE_SCOPE, **dict(zip(FIRE_PARTS, self.parts(results)))}
        exec(_FIRER, scope)  # noqa: S102 - fixed source, compiled once
        return scope.pop("fire")  # not left in its own globals: no reference cycle

    def parts(self, results: Mapping[str, Any]) -> tuple:
        """What FIRE reads of this ruleset (the names FIRE_PARTS), to give `results[id of the rule that fired]`."""
        # The action message is {"<rule id>":{"m":{...event...}}}; a rule id holds no '":'.
        return self._live, self._lock.acquire, self._lock.release, self._rebuilder(), {'{"' + rule: value for rule, value in results.items()}

    def _rebuilder(self) -> Callable[[], None]:
        # A failed event may leave an action queued that the next event would pick up. Clearing
        # the session with delete_state crashes the C core after an unmatched event, so the
        # whole ruleset is rebuilt instead (same definition, new name) and the old one freed.
        live, base_name, definition = self._live, self._base_name, self._definition

        def rebuild() -> None:
            old = live[0]
            live[:] = [*_create(base_name, definition), False]
            _dre.delete_ruleset(old)
        return rebuild

    def close(self) -> None:
        """Free the C ruleset; later `fire` calls raise EngineError."""
        with self._lock:
            handle, _, has_state = self._live
            if handle is not None:
                self._live[0] = None
                if has_state:
                    # delete_ruleset frees the ruleset but not the session state its first event
                    # created (~70 KiB), so every reload leaked it. delete_state is safe here:
                    # every event on this handle completed, as a failed one replaces the handle.
                    _dre.delete_state(handle, "0")
                _dre.delete_ruleset(handle)
