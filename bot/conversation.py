"""A person's conversation as stored between updates: the flow, its step, what was gathered, the choices on offer.

Buttons carry only `<nonce>:<index>` (well under Telegram's 64-byte limit). The values behind
them stay in the stored state, so forged callback data can't name another account's rows, and a
button from an earlier prompt (a double tap, an old message) no longer matches the nonce.
"""
from __future__ import annotations

import re
import secrets
from typing import Any, Iterable

from .messages import Button

NONCE_BYTES = 4
_BUTTON_RE = re.compile(r"^([A-Za-z0-9_-]{4,16}):([0-9]{1,3})$")


class Conversation:
    """Mutable view of the stored state; `changed` tells whether it must be saved."""

    def __init__(self, state: dict[str, Any] | None = None, version: int = 0):
        self.state: dict[str, Any] = dict(state or {})
        self.version = version
        self.changed = False

    @property
    def flow(self) -> str | None:
        """The active flow (refund, claim), or None."""
        return self.state.get("flow")

    @property
    def step(self) -> str | None:
        """The step of the active flow waiting for an answer."""
        return self.state.get("step")

    @property
    def data(self) -> dict[str, Any]:
        """What the active flow has gathered so far."""
        return self.state.setdefault("data", {})

    def start(self, flow: str, **data: Any) -> None:
        """Begin `flow` afresh, forgetting any earlier one."""
        self.state = {"flow": flow, "data": dict(data), **self._kept()}
        self.changed = True

    def _kept(self) -> dict[str, Any]:
        """What outlives a flow: the last flow's result (for a repeated final tap) and the person's preferences."""
        return {key: self.state[key] for key in ("last", "prefs") if self.state.get(key)}

    @property
    def prefs(self) -> dict[str, Any]:
        """The person's preferences (their chosen language)."""
        return self.state.get("prefs") or {}

    def prefer(self, **values: Any) -> None:
        """Set preferences; a None value forgets one."""
        prefs = {**self.prefs, **values}
        self.state["prefs"] = {key: value for key, value in prefs.items() if value is not None}
        self.changed = True

    def remember(self, **values: Any) -> None:
        """Add to the flow's gathered data."""
        self.data.update(values)
        self.changed = True

    def offer(self, step: str, options: Iterable[tuple[str, Any]], *, columns: int = 1) -> tuple[tuple[Button, ...], ...]:
        """Wait at `step` for one of `options` (label, value); returns the buttons to show."""
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        choices, labels = {}, {}
        buttons = []
        for index, (text, value) in enumerate(options, start=1):
            choices[str(index)] = value
            labels[str(index)] = text
            buttons.append(Button(text, f"{nonce}:{index}"))
        self.state.pop("expects_text", None)
        self.state.update(step=step, nonce=nonce, choices=choices, labels=labels, columns=columns)
        self.changed = True
        return _rows(buttons, columns)

    def ask(self, step: str) -> None:
        """Wait at `step` for a typed answer (no buttons on offer)."""
        for key in ("nonce", "choices", "labels", "columns"):
            self.state.pop(key, None)
        self.state.update(step=step, expects_text=True)
        self.changed = True

    @property
    def expects_text(self) -> bool:
        """True while the flow waits for a typed answer."""
        return bool(self.flow and self.state.get("expects_text"))

    def buttons(self) -> tuple[tuple[Button, ...], ...]:
        """The buttons of the prompt on offer, to show them again."""
        labels = self.state.get("labels") or {}
        nonce = self.state.get("nonce")
        return _rows([Button(text, f"{nonce}:{key}") for key, text in labels.items()], self.state.get("columns", 1))

    def pressed(self, data: str) -> tuple[bool, Any]:
        """(True, value) for a button of the prompt on offer; (False, None) for anything else."""
        match = _BUTTON_RE.fullmatch(data or "")
        if not match or not self.state.get("nonce") or not secrets.compare_digest(match.group(1), self.state["nonce"]):
            return False, None
        choices = self.state.get("choices", {})
        if match.group(2) not in choices:
            return False, None
        return True, choices[match.group(2)]

    def typed(self, text: str) -> tuple[bool, Any]:
        """(True, value) when `text` is the number or the label of a choice on offer."""
        choices = self.state.get("choices")
        if not choices:
            return False, None
        answer = text.strip().rstrip(".)").strip()
        if answer in choices:
            return True, choices[answer]
        folded = answer.casefold()
        labels = self.state.get("labels", {})
        matches = [k for k, shown in labels.items() if shown.casefold() == folded]
        if not matches and folded:
            # A unique label containing the typed words ("faulty" for "It's faulty"; "used" is not "unused").
            word = re.compile(rf"(?<![\w]){re.escape(folded)}(?![\w])")
            matches = [k for k, shown in labels.items() if word.search(shown.casefold())]
        return (True, choices[matches[0]]) if len(matches) == 1 else (False, None)

    def was_last_prompt(self, data: str) -> bool:
        """True when `data` is a button of the prompt that completed the last flow (a double tap)."""
        match = _BUTTON_RE.fullmatch(data or "")
        last = self.state.get("last") or {}
        return bool(match and last.get("nonce") and secrets.compare_digest(match.group(1), last["nonce"]))

    def finish(self, **last: Any) -> None:
        """End the flow, remembering what it produced so a repeated final tap can be answered."""
        self.state = {**self._kept(), "last": {"nonce": self.state.get("nonce"), **last}}
        self.changed = True

    def clear(self) -> bool:
        """Drop the active flow; True if there was one."""
        active = bool(self.flow)
        self.state = self._kept()
        self.changed = True
        return active

    @property
    def waiting(self) -> bool:
        """True while a prompt's choices are on offer."""
        return bool(self.flow and self.state.get("choices"))

    @property
    def last(self) -> dict[str, Any]:
        """What the last completed flow produced (e.g. its decision id)."""
        return self.state.get("last") or {}


def _rows(buttons: list[Button], columns: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i:i + columns]) for i in range(0, len(buttons), columns))
