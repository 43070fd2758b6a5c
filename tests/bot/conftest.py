"""A small marketplace, the policy runtime and the chat service, plus a story helper for conversations."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Iterator

import pytest

from bot.config import LimitsConfig
from bot.markup import plain
from bot.messages import Incoming, Photo, Reply
from bot.policy_runtime import PolicyRuntime
from bot.service import ChatService
from policy import DEFAULT_POLICY_PATH
from store import Identity, import_records, link_identity

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def marketplace_records(now: datetime = NOW) -> list[dict]:
    """Two sellers, two buyers and their delivered orders (ids are what tests refer to), dated before `now`."""

    def ago(days: float) -> str:
        return (now - timedelta(days=days)).isoformat()

    records = [
        {"type": "seller", "id": "S1", "name": "Outdoor Gear Co", "csba_enrolled_at": ago(400), "csba_enrolment": "default",
         "return_address": "Outdoor Gear Co Returns\n12 Summit Road\nBoulder, CO 80301"},
        {"type": "seller", "id": "S2", "name": "Gadget Hub", "csba_enrolled_at": ago(400), "csba_enrolment": "default",
         "return_address": "Gadget Hub RMA\n400 Circuit Ave\nSan Jose, CA 95110"},
        {"type": "buyer", "id": "B1", "name": "Alice"},
        {"type": "buyer", "id": "B2", "name": "Bob"},
        {"type": "product", "id": "P1", "seller_id": "S1", "sku": "SB-1", "name": "Trail Sleeping Bag", "category": "sleeping_bags", "price": 80},
        {"type": "product", "id": "P2", "seller_id": "S1", "sku": "RJ-1", "name": "Rain Jacket", "category": "apparel", "price": 40},
        {"type": "product", "id": "P3", "seller_id": "S2", "sku": "LT-1", "name": "Laptop Pro", "category": "electronics", "price": 800},
        {"type": "product", "id": "P4", "seller_id": "S2", "sku": "CB-1", "name": "USB Cable", "category": "electronics", "price": 9},
        {"type": "product", "id": "P5", "seller_id": "S1", "sku": "TS-1", "name": "Wool Socks", "category": "apparel", "price": 20},
    ]

    def order(oid, buyer, seller, delivered_days, items):
        records.append({"type": "order", "id": oid, "buyer_id": buyer, "seller_id": seller, "fulfilment": "seller",
                        "placed_at": ago(delivered_days + 4), "shipped_at": ago(delivered_days + 3), "delivered_at": ago(delivered_days),
                        "items": [{"id": iid, "product_id": pid, "quantity": 1, "unit_price": price} for iid, pid, price in items]})

    order("O1", "B1", "S1", 5, [("O1-1", "P1", 80)])
    order("O2", "B1", "S1", 10, [("O2-1", "P2", 40), ("O2-2", "P5", 20)])
    order("O3", "B2", "S2", 3, [("O3-1", "P3", 800), ("O3-2", "P4", 9)])
    order("O4", "B2", "S1", 20, [("O4-1", "P2", 40)])
    # A marketplace refund on S1's order O4, 20 days ago, whose return never came back: claimable.
    records += [
        {"type": "return", "id": "R4", "order_item_id": "O4-1", "reason": "no_longer_needed", "condition": "unopened",
         "requested_at": ago(19), "prepaid_label": True},
        {"type": "refund", "id": "RF4", "order_item_id": "O4-1", "amount": 40, "issued_by": "marketplace", "issued_at": ago(18)},
    ]
    return records


class Chat:
    """One person's side of a conversation with the service; each call returns the bot's replies."""

    _update_ids = count(1000)

    def __init__(self, service: ChatService, user_id: int, language: str = "en", identity: Identity | None = None):
        self.service, self.user_id, self.language, self.identity = service, user_id, language, identity
        self.replies: list[Reply] = []

    def _send(self, **fields) -> list[Reply]:
        incoming = Incoming(user_id=self.user_id, language=self.language,
                            update_id=next(self._update_ids), **fields)
        self.replies = self.service.handle(incoming, identity=self.identity)
        return self.replies

    def say(self, text: str) -> list[Reply]:
        """Send a message or command."""
        return self._send(text=text)

    def tap(self, label: str) -> list[Reply]:
        """Press the button of the last replies whose text contains `label`."""
        every = [b for r in self.replies for b in r.flat_buttons()]
        buttons = [b for b in every if b.text.casefold() == label.casefold()] or [
            b for b in every if label.casefold() in b.text.casefold()]
        assert len(buttons) == 1, f"expected one button with {label!r}, found {[b.text for r in self.replies for b in r.flat_buttons()]}"
        return self._send(button=buttons[0].data)

    def press(self, data: str) -> list[Reply]:
        """Press a button by its raw callback data (e.g. forged or stale)."""
        return self._send(button=data)

    def photo(self, file_id: str = "photo-1") -> list[Reply]:
        """Send a photo."""
        return self._send(photo=Photo(file_id, f"u-{file_id}"))

    @property
    def text(self) -> str:
        """All text of the last replies, as the person reads it (without the HTML tags)."""
        return "\n".join(plain(r.text) for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        """The button labels of the last replies."""
        return [b.text for r in self.replies for b in r.flat_buttons()]


@pytest.fixture
def marketplace(store):
    """The store with the small marketplace imported, dated before the fixed NOW."""
    with store.write() as session:
        import_records(session, records=marketplace_records(), source="fixture")
    return store


@pytest.fixture
def live_marketplace(store):
    """The marketplace dated before the real current time, for transports that stamp updates with it."""
    with store.write() as session:
        import_records(session, records=marketplace_records(datetime.now(timezone.utc)), source="fixture")
    return store


@pytest.fixture
def policy_file(tmp_path):
    """A copy of the default policy that tests may edit."""
    path = tmp_path / "policy.yaml"
    shutil.copy(DEFAULT_POLICY_PATH, path)
    return path


@pytest.fixture
def runtime(policy_file) -> Iterator[PolicyRuntime]:
    rt = PolicyRuntime(str(policy_file))
    yield rt
    rt.stop()


@pytest.fixture
def service(marketplace, runtime) -> ChatService:
    return ChatService(marketplace, runtime, limits=LimitsConfig(messages_per_minute=1000, max_text_length=1000), clock=lambda: NOW)


def linked(service: ChatService, user_id: int, role: str, account: str | None, language: str = "en") -> Chat:
    """A chat whose Telegram user is linked to `account`."""
    with service.store.write() as session:
        link_identity(session, telegram_user_id=user_id, role=role, account_id=account, linked_at=NOW)
    return Chat(service, user_id, language)


@pytest.fixture
def alice(service) -> Chat:
    return linked(service, 101, "buyer", "B1")


@pytest.fixture
def bob(service) -> Chat:
    return linked(service, 102, "buyer", "B2")


@pytest.fixture
def outdoor(service) -> Chat:
    """The seller S1."""
    return linked(service, 201, "seller", "S1")


@pytest.fixture
def gadgets(service) -> Chat:
    """The seller S2."""
    return linked(service, 202, "seller", "S2")


@pytest.fixture
def admin(service) -> Chat:
    return linked(service, 301, "admin", None)
