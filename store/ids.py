"""Short, unique, time-sortable ids: a prefix and 12 Crockford base32 characters (42 bits of
milliseconds since 1970, then 18 bits that are random, or counted up within one millisecond)."""
from __future__ import annotations

import secrets
import threading
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 18
_lock = threading.Lock()
_last = 0


def new_id(prefix: str) -> str:
    """`PREFIX-` plus 12 characters; later calls in one process sort after earlier ones."""
    global _last
    with _lock:
        value = (int(time.time() * 1000) << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
        if value <= _last:  # same millisecond (or a clock step back): keep counting up
            value = _last + 1
        _last = value
    chars = []
    for _ in range(12):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}-{''.join(reversed(chars))}"
