"""How Amazon's words become ours: return reasons, SAFE-T claim reasons and states, resolutions and
fulfilment channels. docs/import.md prints these tables; a test keeps the two equal."""
from __future__ import annotations

import re

# Amazon's return reason (its code, or the text Seller Central shows) -> (our reason, the condition
# the item is assumed to be in: the report does not say, and the refund rules need one).
RETURN_REASONS: dict[str, tuple[str, str]] = {
    "CR-UNWANTED_ITEM": ("no_longer_needed", "opened"),
    "No longer needed": ("no_longer_needed", "opened"),
    "CR-ORDERED_WRONG_ITEM": ("no_longer_needed", "opened"),
    "Bought by mistake": ("no_longer_needed", "opened"),
    "CR-FOUND_BETTER_PRICE": ("no_longer_needed", "unopened"),
    "Better price available": ("no_longer_needed", "unopened"),
    "CR-NO_REASON_GIVEN": ("no_longer_needed", "opened"),
    "No reason given": ("no_longer_needed", "opened"),
    "CR-UNAUTHORIZED_PURCHASE": ("no_longer_needed", "unopened"),
    "Didn't approve purchase": ("no_longer_needed", "unopened"),
    "CR-NOT_COMPATIBLE": ("no_longer_needed", "opened"),
    "Incompatible or not useful": ("no_longer_needed", "opened"),
    "AMZ-PG-APP-TOO-SMALL": ("no_longer_needed", "opened"),
    "Too small": ("no_longer_needed", "opened"),
    "AMZ-PG-APP-TOO-LARGE": ("no_longer_needed", "opened"),
    "Too large": ("no_longer_needed", "opened"),
    "AMZ-PG-APP-STYLE": ("no_longer_needed", "opened"),
    "Style not as expected": ("no_longer_needed", "opened"),
    "CR-DEFECTIVE": ("defective", "used"),
    "Item defective or doesn't work": ("defective", "used"),
    "CR-QUALITY_UNACCEPTABLE": ("defective", "used"),
    "Performance or quality not adequate": ("defective", "used"),
    "CR-MISSING_PARTS": ("not_as_described", "opened"),
    "Missing parts or accessories": ("not_as_described", "opened"),
    "AMZ-PG-BAD-DESC": ("not_as_described", "opened"),
    "Inaccurate website description": ("not_as_described", "opened"),
    "CR-DAMAGED_BY_CARRIER": ("damaged_in_transit", "damaged"),
    "Product damaged, but shipping box OK": ("damaged_in_transit", "damaged"),
    "CR-DAMAGED_BY_FC": ("damaged_in_transit", "damaged"),
    "Both product and shipping box damaged": ("damaged_in_transit", "damaged"),
    "CR-SWITCHEROO": ("wrong_item", "unopened"),
    "Wrong item was sent": ("wrong_item", "unopened"),
    "CR-EXTRA_ITEM": ("wrong_item", "unopened"),
    "Received extra item I didn't buy": ("wrong_item", "unopened"),
    "AMZ-PG-MISORDERED": ("wrong_item", "unopened"),
    "CR-MISSED_ESTIMATED_DELIVERY": ("not_received", "unopened"),
    "Item arrived too late": ("not_received", "unopened"),
    "UNDELIVERABLE_UNKNOWN": ("not_received", "unopened"),
    "Undeliverable": ("not_received", "unopened"),
    "UNDELIVERABLE_REFUSED": ("not_received", "unopened"),
    "Refused delivery": ("not_received", "unopened"),
}

# SAFE-T "Action reason" -> our claim reason.
SAFET_REASONS: dict[str, str] = {
    "Return not received": "return_not_received",
    "Buyer did not return the item": "return_not_received",
    "Item returned damaged": "returned_damaged",
    "Returned item damaged or used": "returned_damaged",
    "Item returned with missing parts": "returned_damaged",
    "Different item returned": "different_item_returned",
    "Materially different item returned": "different_item_returned",
    "Non-returnable item refunded": "refunded_non_returnable",
    "Refund for non-returnable item": "refunded_non_returnable",
    "Delivered but buyer claims not received": "delivered_not_received",
    "Item delivered, buyer claims non-receipt": "delivered_not_received",
}

# SAFE-T claim state -> our claim status.
SAFET_STATES: dict[str, str] = {
    "Submitted": "pending", "Pending": "pending", "Under review": "pending", "Investigating": "pending",
    "Action required": "needs_evidence", "Pending seller action": "needs_evidence", "Needs more information": "needs_evidence",
    "Granted": "approved", "Approved": "approved", "Reimbursed": "approved", "Partially granted": "approved",
    "Denied": "denied", "Rejected": "denied", "Closed": "denied", "Withdrawn": "denied",
}

# Resolution (or the optional "Refund issued by" column) -> (who issued the refund, whether it was the
# marketplace's automatic refund after the seller missed the deadline). Under CSBA the marketplace
# refunds the buyer, so an empty or unlisted resolution with a refund is taken as the marketplace's.
RESOLUTIONS: dict[str, tuple[str, bool]] = {
    "StandardRefund": ("marketplace", False),
    "Refund": ("marketplace", False),
    "AmazonRefund": ("marketplace", False),
    "Amazon": ("marketplace", False),
    "Returnless refund": ("marketplace", False),
    "AutoRefund": ("marketplace", True),
    "Auto refund - seller missed deadline": ("marketplace", True),
    "AutoRefundSellerLate": ("marketplace", True),
    "SellerRefund": ("seller", False),
    "Seller": ("seller", False),
    "Merchant": ("seller", False),
    "Refunded by seller": ("seller", False),
}
DEFAULT_RESOLUTION = ("marketplace", False)

# fulfillment-channel -> our fulfilment.
CHANNELS = {"Merchant": "seller", "MFN": "seller", "Seller": "seller", "Amazon": "marketplace", "AFN": "marketplace"}


_keys: dict[str, str] = {}
_SEPARATORS = re.compile(r"[\s_\-]+")


def key(text: str) -> str:
    """The lookup key of a report word: case, spaces, hyphens and underscores do not matter."""
    found = _keys.get(text)
    if found is None:
        found = _SEPARATORS.sub("", text.strip().lower()).replace("\u2019", "'")
        if len(_keys) > 10_000:  # reports use a few dozen words; bound the cache against odd files
            _keys.clear()
        _keys[text] = found
    return found


def keyed(table: dict[str, object]) -> dict[str, object]:
    """`table` with its words turned into lookup keys."""
    return {key(word): value for word, value in table.items()}
