"""The marketplace store: schema, migrations, seller metrics, facts for decisions, the decision
log, money-moving writes, chat tables and import, on SQLite or PostgreSQL. Knows neither the bot
nor the rules: it takes and returns plain values."""
from .cases import (
    CaseClosed, CaseDecided, CaseDetail, CaseExists, CaseView, PastReturn, case_detail, cases_for, count_open_cases, decide_case,
    get_case, list_cases, open_case, seller_reviews,
)
from .chat import (
    chats_of, ConversationState, Identity, create_invite, get_identity, link_identity, list_identities, load_chat, load_conversation,
    mark_update_processed, start_update, UpdateStart,
    prune_processed_updates, redeem_invite, save_conversation,
)
from .db import Store, open_store, sqlite_path
from .decisions import DECISIONS_NOTED, DecisionRecord, get_decision, iter_decisions, list_decisions, log_decision
from .errors import AlreadyExists, ClaimExists, ImportFailed, NotFound, RefundRequestExists, StaleState, StoreError
from .facts import all_tier_facts_for, claim_facts_for, refund_facts_for, tier_chart_facts, tier_facts_for, tier_facts_series
from .inbox import InboxStats, TakenUpdate, finish_update, inbox_stats, prune_inbox, store_update, take_update
from .importer import ImportReport, import_paths, import_records
from .labels import ReturnLabelView, buyer_return_label, buyer_return_labels
from .listings import (
    ClaimView, OrderItemView, RefundView, buyer_order_item, buyer_order_items,
    seller_claim, seller_claims, seller_refund, seller_refunds,
)
from .metrics import TIER_FACT_FIELDS, all_tier_facts, tier_facts
from .ratelimit import prune_rate_limits, rate_check
from .outbox import (
    Outgoing, OutgoingFile, enqueue, mark_failed, mark_sent, mark_undeliverable, outbox_counts, prune_outbox, take_by_id, take_due,
    take_for_recipient,
)
from .weekly import WeekCounts, week_bounds, weekly_tier_counts
from .requests import (
    ClaimRecorded, RefundRequestRecorded, file_claim, reassess_claim, record_refund_request, record_return_delivery,
)

__all__ = [
    "AlreadyExists", "ClaimExists", "all_tier_facts_for", "claim_facts_for", "refund_facts_for", "tier_facts_for", "tier_facts_series", "tier_chart_facts", "ClaimRecorded", "ClaimView", "ConversationState", "DecisionRecord",
    "Identity", "ImportFailed", "list_identities", "ImportReport", "NotFound", "OrderItemView", "RefundRequestExists", "RefundRequestRecorded",
    "RefundView", "ReturnLabelView", "StaleState", "Store", "StoreError", "TIER_FACT_FIELDS", "all_tier_facts", "buyer_order_item",
    "buyer_order_items", "buyer_return_label", "buyer_return_labels", "create_invite", "file_claim", "get_decision", "get_identity",
    "import_paths", "import_records", "iter_decisions", "link_identity", "list_decisions", "load_chat", "load_conversation", "log_decision", "DECISIONS_NOTED",
    "mark_update_processed", "start_update", "UpdateStart", "open_store", "prune_processed_updates", "reassess_claim", "record_refund_request",
    "record_return_delivery", "redeem_invite", "save_conversation", "seller_claim", "seller_claims",
    "seller_refund", "seller_refunds", "sqlite_path", "tier_facts",
    "InboxStats", "TakenUpdate", "finish_update", "inbox_stats", "prune_inbox", "store_update", "take_update",
    "prune_rate_limits", "rate_check", "prune_outbox", "take_by_id",
    "chats_of", "CaseClosed", "CaseDecided", "CaseDetail", "CaseExists", "CaseView", "PastReturn", "case_detail", "cases_for",
    "count_open_cases", "decide_case", "get_case", "list_cases", "open_case", "seller_reviews",
    "Outgoing", "OutgoingFile", "enqueue", "mark_failed", "mark_sent", "mark_undeliverable", "outbox_counts", "take_due", "take_for_recipient",
    "WeekCounts", "week_bounds", "weekly_tier_counts",
]
