"""The schema as SQLAlchemy 2.x typed ORM classes. Integrity lives here: foreign keys, one refund
per order item, one claim per refund, non-negative money, enum checks."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger, CheckConstraint, Double, ForeignKey, Index, LargeBinary, MetaData, String, Text, UniqueConstraint, false, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import JSONType, Money, UTCDateTime
from .vocabulary import (
    CASE_KINDS, CASE_STATUSES, CLAIM_REASONS, CLAIM_STATUSES, CONDITIONS, CONTACT_CHANNELS, DECISION_CHANNELS, DECISION_KINDS, ENROLMENTS,
    ENGINE, FULFILMENTS, OUTBOX_STATUSES, REFUND_ISSUERS, REFUND_REASONS, ROLES,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(64)
UPPER_ASCII = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NO_TAGS = text("'[]'")  # server default of a tags column: an empty JSON list


class Base(DeclarativeBase):
    """Declarative base with naming conventions, so migrations and both databases agree on names."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money(), dict[str, Any]: JSONType, list[str]: JSONType}


def one_of(column: str, values: tuple[str, ...], *, nullable: bool = False, compared: bool = False) -> CheckConstraint:
    """CHECK that `column` holds one of `values` (or NULL when `nullable`): `column IN (...)`, or with `compared`
    comparisons joined by OR. SQLite builds a temporary index of an IN list of three or more values each time a
    statement runs (2.5 us an inserted row against 0.1 us for comparisons), so bulk-imported tables compare
    (migration 0008_return_checks); the other tables keep IN, which changing would rebuild them on SQLite."""
    if compared:
        test = " OR ".join(f"{column} = '{v}'" for v in values)
    else:
        listed = ", ".join(f"'{v}'" for v in values)
        test = f"{column} IN ({listed})"
    return CheckConstraint(f"{column} IS NULL OR {test}" if nullable else test, name=f"{column}_valid")


def non_negative(column: str) -> CheckConstraint:
    """CHECK that an amount is zero or more (NULL passes: an absent amount)."""
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


def not_before(later: str, earlier: str) -> CheckConstraint:
    """CHECK that the timestamp `later` (when set) is not before `earlier`."""
    return CheckConstraint(f"{later} IS NULL OR {later} >= {earlier}", name=f"{later}_after_{earlier}")


def country_code(column: str) -> CheckConstraint:
    """CHECK that a country (when set) is two upper-case ASCII letters, an ISO 3166-1 alpha-2 code's shape.
    ltrim() with a character set behaves the same on SQLite and PostgreSQL, unlike ranges, which follow collations."""
    return CheckConstraint(f"{column} IS NULL OR (length({column}) = 2 AND ltrim({column}, '{UPPER_ASCII}') = '')",
                           name=f"{column}_valid")


def account_matches_role() -> CheckConstraint:
    """CHECK that a chat identity or invite names exactly the account its role needs."""
    return CheckConstraint(
        "(role = 'buyer' AND buyer_id IS NOT NULL AND seller_id IS NULL AND agent_id IS NULL)"
        " OR (role = 'seller' AND seller_id IS NOT NULL AND buyer_id IS NULL AND agent_id IS NULL)"
        " OR (role = 'admin' AND buyer_id IS NULL AND seller_id IS NULL AND agent_id IS NULL)"
        " OR (role = 'agent' AND agent_id IS NOT NULL AND buyer_id IS NULL AND seller_id IS NULL)",
        name="account_matches_role",
    )


class Seller(Base):
    """A seller, their CSBA enrolment (when, and whether by default or by choice) and their return address."""

    __tablename__ = "sellers"
    __table_args__ = (
        one_of("csba_enrolment", ENROLMENTS, nullable=True),
        CheckConstraint("(csba_enrolled_at IS NULL) = (csba_enrolment IS NULL)", name="enrolment_complete"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    csba_enrolled_at: Mapped[datetime | None]
    csba_enrolment: Mapped[str | None] = mapped_column(String(16))
    return_address: Mapped[str | None] = mapped_column(Text)  # printed on return labels, lines separated by newlines


class Buyer(Base):
    """A buyer account: where they live (ISO 3166-1 alpha-2 country, if known) and their tags (e.g. member)."""

    __tablename__ = "buyers"
    __table_args__ = (country_code("country"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    tags: Mapped[list[str]] = mapped_column(default=list, server_default=NO_TAGS)


class Product(Base):
    """A seller's product: SKU, name, category code, list price and tags (e.g. final_sale)."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("seller_id", "sku"),
        non_negative("price"),
        CheckConstraint("category <> ''", name="category_present"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(63))
    price: Mapped[Decimal]
    tags: Mapped[list[str]] = mapped_column(default=list, server_default=NO_TAGS)


class Order(Base):
    """An order from one seller to one buyer, fulfilled by the seller or the marketplace: the shipping
    the buyer paid, and whether the buyer opened an A-to-z Guarantee claim on it."""

    __tablename__ = "orders"
    __table_args__ = (
        one_of("fulfilment", FULFILMENTS),
        non_negative("shipping_paid"),
        not_before("shipped_at", "placed_at"),
        not_before("delivered_at", "placed_at"),
        # Covering the per-seller metric queries: seek by seller and fulfilment, range on placed_at, join on id.
        Index(None, "seller_id", "fulfilment", "placed_at", "id"),
        Index(None, "buyer_id", "placed_at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"))
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"))
    fulfilment: Mapped[str] = mapped_column(String(16))
    placed_at: Mapped[datetime]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    shipping_paid: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default=text("0"))
    a_to_z_claim: Mapped[bool] = mapped_column(default=False, server_default=false())
    currency: Mapped[str | None] = mapped_column(String(3))  # ISO 4217 code of an imported Amazon order's amounts


class OrderItem(Base):
    """A line of an order: product, quantity and unit price paid."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        non_negative("unit_price"),
        Index(None, "order_id", "quantity", "id"),  # covers units and the join to return requests
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]


class MonthlySales(Base):
    """Order lines and units sold per seller, UTC calendar month of the order ('YYYY-MM') and product: a
    summary the returns report reads instead of joining every order item with its order. Database
    triggers (migration 0007_monthly_sales) keep it equal to the aggregate of `orders` and `order_items`
    in the transaction of every write to them."""

    __tablename__ = "monthly_sales"
    __table_args__ = (Index(None, "product_id", "month"),)  # the most returned SKUs' units

    seller_id: Mapped[str] = mapped_column(Id, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    product_id: Mapped[str] = mapped_column(Id, primary_key=True)
    lines: Mapped[int]
    units: Mapped[int]


class Shipment(Base):
    """A parcel of an order: carrier, tracking number and whether the tracking is valid."""

    __tablename__ = "shipments"
    __table_args__ = (
        not_before("delivered_at", "shipped_at"),
        Index(None, "order_id", "shipped_at", "tracking_valid"),  # covers the per-seller shipment counts
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    tracking_valid: Mapped[bool]
    shipped_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]


class Contact(Base):
    """A buyer's contact with customer service about an order (these make CPU)."""

    __tablename__ = "contacts"
    __table_args__ = (one_of("channel", CONTACT_CHANNELS), Index(None, "order_id", "contacted_at"))

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    contacted_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16))


class Decision(Base):
    """The decision log: one row per decision of any kind, like an OPA decision record. Subject
    references are plain columns, not foreign keys: the log is history and outlives its subjects."""

    __tablename__ = "decisions"
    __table_args__ = (
        one_of("kind", DECISION_KINDS),
        one_of("channel", DECISION_CHANNELS),
        non_negative("refund_amount"),
        non_negative("fee"),
        non_negative("reimbursement"),
        Index(None, "seller_id", "decided_at"),
        Index(None, "buyer_id", "decided_at"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(128))
    explanation: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    refund_amount: Mapped[Decimal | None]
    fee: Mapped[Decimal | None]
    reimbursement: Mapped[Decimal | None]
    decided_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    buyer_id: Mapped[str | None] = mapped_column(Id)
    seller_id: Mapped[str | None] = mapped_column(Id)
    order_item_id: Mapped[str | None] = mapped_column(Id, index=True)
    refund_id: Mapped[str | None] = mapped_column(Id, index=True)
    claim_id: Mapped[str | None] = mapped_column(Id, index=True)
    # Who decided ("engine", or the person: "agent:ID", "admin:TELEGRAM_ID"), their note, and for a
    # review the decision it reviews.
    decided_by: Mapped[str] = mapped_column(String(80), server_default=ENGINE, default=ENGINE)
    note: Mapped[str | None] = mapped_column(Text)
    reviews_decision_id: Mapped[str | None] = mapped_column(String(16), index=True)


class ReturnRequest(Base):
    """A buyer's refund request for an order item (one per item) and the return shipment, if any."""

    __tablename__ = "return_requests"
    __table_args__ = (
        one_of("reason", REFUND_REASONS, compared=True),
        one_of("condition", CONDITIONS, compared=True),
        one_of("condition_received", CONDITIONS, nullable=True, compared=True),
        not_before("delivered_at", "requested_at"),
        CheckConstraint("quantity IS NULL OR quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_item_id: Mapped[str] = mapped_column(ForeignKey("order_items.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    condition: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(index=True)
    prepaid_label: Mapped[bool]
    ships_back: Mapped[bool]
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)  # the claim finder's window start
    condition_received: Mapped[str | None] = mapped_column(String(16))
    decision_id: Mapped[str | None] = mapped_column(ForeignKey("decisions.id"))
    quantity: Mapped[int | None]  # the units asked about; None: the whole line
    amazon_rma_id: Mapped[str | None] = mapped_column(String(64))  # from an Amazon returns report
    amazon_reason: Mapped[str | None] = mapped_column(String(200))  # the report's reason, before mapping to `reason`


class Refund(Base):
    """Money returned to the buyer for an order item (one per item)."""

    __tablename__ = "refunds"
    __table_args__ = (one_of("issued_by", REFUND_ISSUERS), non_negative("amount"), non_negative("fee"))

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    order_item_id: Mapped[str] = mapped_column(ForeignKey("order_items.id"), unique=True)
    amount: Mapped[Decimal]
    fee: Mapped[Decimal]
    issued_by: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(index=True)
    auto_refund_late: Mapped[bool]
    decision_id: Mapped[str | None] = mapped_column(ForeignKey("decisions.id"))
    amazon_resolution: Mapped[str | None] = mapped_column(String(64))  # an Amazon returns report's Resolution


class Claim(Base):
    """A seller's reimbursement claim on a refund (one per refund)."""

    __tablename__ = "claims"
    __table_args__ = (one_of("reason", CLAIM_REASONS), one_of("status", CLAIM_STATUSES), non_negative("reimbursement"))

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    refund_id: Mapped[str] = mapped_column(ForeignKey("refunds.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[list[str]]
    filed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    reimbursement: Mapped[Decimal | None]
    decision_id: Mapped[str | None] = mapped_column(ForeignKey("decisions.id"))
    safet_claim_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)  # Amazon's SAFE-T claim, when imported
    safet_claim_state: Mapped[str | None] = mapped_column(String(64))  # its state as the report words it


class ChatIdentity(Base):
    """A Telegram user linked to a buyer, a seller or an admin."""

    __tablename__ = "chat_identities"
    __table_args__ = (one_of("role", ROLES), account_matches_role())

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    buyer_id: Mapped[str | None] = mapped_column(ForeignKey("buyers.id"))
    seller_id: Mapped[str | None] = mapped_column(ForeignKey("sellers.id"))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    linked_at: Mapped[datetime]


class ChatInvite(Base):
    """A one-time invite code (only its SHA-256 is stored) that links a Telegram user to an account."""

    __tablename__ = "chat_invites"
    __table_args__ = (one_of("role", ROLES), account_matches_role(), not_before("used_at", "created_at"))

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    buyer_id: Mapped[str | None] = mapped_column(ForeignKey("buyers.id"))
    seller_id: Mapped[str | None] = mapped_column(ForeignKey("sellers.id"))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class Conversation(Base):
    """A chat user's conversation state; `version` guards concurrent updates."""

    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[dict[str, Any]]
    version: Mapped[int]
    updated_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """A Telegram update already handled, so a redelivered update is handled once."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_processed_at", "processed_at"),)  # pruning by age

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime]


class InboxUpdate(Base):
    """A Telegram update stored before it was acknowledged; a worker takes it (a lease) and handles it once."""

    __tablename__ = "inbox"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # The pending rows only: what workers scan, in chat and update order.
        Index("ix_inbox_pending", "chat_id", "update_id", postgresql_where=text("processed_at IS NULL"),
              sqlite_where=text("processed_at IS NULL")),
        Index("ix_inbox_processed_at", "processed_at"),
        CheckConstraint("reply_via IS NULL OR reply_via IN ('response', 'sender')", name="reply_via_valid"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    taken_by: Mapped[str | None] = mapped_column(String(128))
    taken_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime | None]
    # How the update's reply leaves (migration 0007_webhook_answers): "response" in the webhook's answer to this update,
    # "sender" through the outbox sender; NULL while undecided. Whoever sets it first decides, once.
    reply_via: Mapped[str | None] = mapped_column(String(16))


class RateLimit(Base):
    """A person's message budget as a GCRA theoretical arrival time (epoch seconds), shared by every worker."""

    __tablename__ = "rate_limits"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tat: Mapped[float] = mapped_column(Double)
    refused: Mapped[int]


class Case(Base):
    """A decision handed to a person: an escalated refund, an appealed denial, or a claim the seller
    asked to have reviewed. One case per decision under review; `status` goes open -> decided once."""

    __tablename__ = "cases"
    __table_args__ = (
        one_of("kind", CASE_KINDS),
        one_of("status", CASE_STATUSES),
        not_before("decided_at", "opened_at"),
        CheckConstraint("(status = 'decided') = (review_decision_id IS NOT NULL)", name="decided_has_review"),
        Index(None, "status", "opened_at"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), unique=True)
    order_item_id: Mapped[str] = mapped_column(ForeignKey("order_items.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(Id, index=True)
    seller_id: Mapped[str] = mapped_column(Id, index=True)
    claim_id: Mapped[str | None] = mapped_column(ForeignKey("claims.id"))
    statement: Mapped[str | None] = mapped_column(Text)  # the appeal's "why", in the person's words
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    review_decision_id: Mapped[str | None] = mapped_column(ForeignKey("decisions.id"))


OUTBOX_FILE_KINDS = ("document", "photo")


class OutboxMessage(Base):
    """A message to send to a person, written in the transaction of what it reports. `dedupe_key` is
    unique, so the same notification is never queued twice; a sender claims rows with a lease."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("status", OUTBOX_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("chat_id IS NOT NULL OR recipient IS NOT NULL", name="addressed"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_has_time"),
        CheckConstraint("(file_content IS NULL) = (file_name IS NULL) AND (file_content IS NULL) = (file_kind IS NULL)",
                        name="file_whole"),
        one_of("file_kind", OUTBOX_FILE_KINDS, nullable=True),
        Index(None, "status", "next_attempt_at"),
        Index(None, "recipient", "status"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # None: no Telegram chat (shown in the terminal)
    recipient: Mapped[str | None] = mapped_column(String(80))  # the account: "buyer:B1", "seller:S1"
    text: Mapped[str] = mapped_column(Text)
    parse_mode: Mapped[str | None] = mapped_column(String(16))
    reply_markup: Mapped[dict[str, Any] | None]
    photo: Mapped[str | None] = mapped_column(String(256))  # a Telegram file_id or URL
    document: Mapped[str | None] = mapped_column(String(256))
    # A reply as the chat would send it (migration 0006_replies): an edit of the message whose button was pressed,
    # a file sent with the reply (a label PDF, a chart PNG), or the chat's command menu (role and language).
    edit_message_id: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_kind: Mapped[str | None] = mapped_column(String(16))
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    menu: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Sent as the method in the webhook response to this update (migration 0007_webhook_answers): never taken by a sender.
    answers_update: Mapped[int | None] = mapped_column(BigInteger, index=True)
