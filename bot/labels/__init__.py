"""Prepaid return labels: what a label needs, the provider interface, and the default provider.

The bot asks a `LabelProvider` for a printable label when a return is approved (and again for
/label). The default, `LocalPdfLabels`, draws a 4x6 in PDF itself; a carrier's API can replace
it by implementing the same method.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class LabelRequest:
    """A return to label: its RMA, where it goes, who sends it and what is in the parcel."""

    rma: str
    return_address: str
    seller_name: str
    sender_name: str
    order_id: str
    product_name: str
    quantity: int
    requested_at: datetime


@dataclass(frozen=True)
class Label:
    """A printable label: a file name and its bytes (a PDF)."""

    filename: str
    content: bytes
    media_type: str = "application/pdf"


class LabelProvider(Protocol):
    """Makes return labels (locally, or through a carrier's API)."""

    def label(self, request: LabelRequest) -> Label:
        """The printable label for one return."""


from .local import LocalPdfLabels  # noqa: E402  (the default provider uses the types above)

__all__ = ["Label", "LabelProvider", "LabelRequest", "LocalPdfLabels"]
