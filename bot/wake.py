"""How a process's workers are woken: all of them when the inbox may hold new work, one when the webhook
hands over an update it already took (so the others do not each look in the inbox for nothing)."""
from __future__ import annotations

import threading
from collections import deque

from store import TakenUpdate


class Wake:
    """An Event for "the inbox has news" (`set`, `clear`, `is_set`, `wait`), plus a queue of handed-over updates."""

    def __init__(self):
        self._cond = threading.Condition()
        self._flag = False
        self._handed: deque[TakenUpdate] = deque()

    def set(self) -> None:
        """The inbox may hold updates nobody here took: wake every worker."""
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def clear(self) -> None:
        """Before looking in the inbox: news that arrives during the look sets it again."""
        with self._cond:
            self._flag = False

    def is_set(self) -> bool:
        """Whether the inbox had news since the last `clear`."""
        return self._flag

    def hand(self, taken: TakenUpdate) -> None:
        """An update this process took (for a webhook request that waits): one worker handles it."""
        with self._cond:
            self._handed.append(taken)
            self._cond.notify()

    def handed(self) -> TakenUpdate | None:
        """The oldest handed-over update, or None."""
        with self._cond:
            return self._handed.popleft() if self._handed else None

    def wait(self, timeout: float) -> str | None:
        """Wait for news or a handed-over update: "inbox", "handed", or None after `timeout`."""
        with self._cond:
            if not self._flag and not self._handed:
                self._cond.wait(timeout)
            return "handed" if self._handed else "inbox" if self._flag else None
