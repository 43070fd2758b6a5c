"""The store layer's one error type and its specific kinds."""
from __future__ import annotations


class StoreError(Exception):
    """Something the store could not do; the message says what and where."""


class NotFound(StoreError):
    """No such row, or it belongs to someone else (the two are indistinguishable on purpose)."""


class AlreadyExists(StoreError):
    """The request was already recorded; `existing_id` names the earlier row, `decision_id` its decision."""

    def __init__(self, message: str, *, existing_id: str, decision_id: str | None):
        super().__init__(message)
        self.existing_id = existing_id
        self.decision_id = decision_id


class RefundRequestExists(AlreadyExists):
    """The order item already has a refund request (and maybe a refund)."""


class ClaimExists(AlreadyExists):
    """The refund already has a claim."""


class StaleState(StoreError):
    """The conversation state changed since it was read (optimistic concurrency)."""


class ImportFailed(StoreError):
    """A bad record in an import: `PATH:LINE: message`; nothing from the import was written."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.detail = message
