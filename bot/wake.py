"""How a process's workers are woken: all of them when the inbox may hold new work, one when the webhook
hands over an update (one it already took, or one it received and leaves to a worker to store and handle in one
transaction), so the others do not each look in the inbox for nothing."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from store import TakenUpdate


@dataclass(eq=False)
class Fresh:
    """An update a webhook request received and nobody stored yet: the worker that takes it stores it and, if it may
    be handled now, handles it in the same transaction (bot.workers). `settle` is called once, from that worker's
    thread, with "handled" (committed: stored and handled), "stored" (committed: stored, not taken, e.g. an earlier
    update of the chat is pending) or "failed" (rolled back: nothing stored, the request stores it itself)."""

    update_id: int
    chat_id: int
    body: str
    received_at: datetime
    settle: Callable[[str], None]
    update: Any = None  # the telegram Update the request parsed, if any (not parsed again)


class Wake:
    """An Event for "the inbox has news" (`set`, `clear`, `is_set`, `wait`), plus a queue of handed-over updates."""

    def __init__(self):
        self._cond = threading.Condition()
        self._flag = False
        self._handed: deque[TakenUpdate | Fresh] = deque()
        self._idle = 0  # workers waiting in `wait`

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

    def hand(self, item: TakenUpdate | Fresh) -> None:
        """An update this process took, or received and left to a worker to store (for a webhook request that waits):
        one worker handles it."""
        with self._cond:
            self._handed.append(item)
            self._cond.notify()

    def offer(self, item: Fresh) -> bool:
        """Hand over a received update only if a worker waits idle for it (one that is not spoken for already);
        False otherwise: with every worker busy, the request stores it itself (with other requests' updates, in
        one transaction) and the update waits for a worker like any other."""
        with self._cond:
            if self._idle <= len(self._handed):
                return False
            self._handed.append(item)
            self._cond.notify()
            return True

    def withdraw(self, item: Fresh) -> bool:
        """Take a handed-over update back if no worker started on it yet; False if one did."""
        with self._cond:
            try:
                self._handed.remove(item)
            except ValueError:
                return False
            return True

    def handed(self) -> TakenUpdate | Fresh | None:
        """The oldest handed-over update, or None."""
        with self._cond:
            return self._handed.popleft() if self._handed else None

    def wait(self, timeout: float) -> str | None:
        """Wait for news or a handed-over update: "inbox", "handed", or None after `timeout`."""
        with self._cond:
            if not self._flag and not self._handed:
                self._idle += 1
                try:
                    self._cond.wait(timeout)
                finally:
                    self._idle -= 1
            return "handed" if self._handed else "inbox" if self._flag else None
