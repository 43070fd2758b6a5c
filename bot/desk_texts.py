"""The review desk's texts (agents, appeals, evidence added later, notifications), merged into bot.texts' English catalogue."""
from __future__ import annotations

EN_DESK: dict[str, str] = {
    # agents
    "help_agent": "Review desk:\n/queue - open cases, oldest first\n/case ID - one case in full, to decide it\n"
                  "/decision ID - one decision in full\n/cancel - stop what we're doing",
    "welcome_agent": "Hello! You're linked as agent {account}.",
    "queue_empty": "No open cases. Well done.",
    "queue_header": "Open cases, oldest first ({count} open, {overdue} overdue after {hours} h):",
    "queue_line": "- {case_id} {kind}: {product} {price}, buyer {buyer}, waiting {age}{overdue}",
    "queue_overdue": " - OVERDUE",
    "queue_more": "Tap a case (or send /case ID) to open it.",
    "queue_button": "{case_id} {kind} ({age})",
    "case_kind_escalation": "escalated refund",
    "case_kind_appeal": "appealed denial",
    "case_kind_claim_review": "claim waiting for review",
    "case_detail": "Case {case_id}: {kind}, {status}\nOpened {opened} by {opened_by}; waiting {age}{overdue}\n\n"
                   "Buyer {buyer_id} ({buyer_name}); seller {seller_id} ({seller_name})\n"
                   "Order {order_id} ({fulfilment} fulfilled), placed {placed}, delivered {delivered}\n"
                   "Item {order_item_id}: {product} ({category}) x{quantity}, paid {price}{refund}\n\n"
                   "Decision {decision_id} by {decided_by} on {decided}: {outcome} ({reason})\n"
                   "Rule {rule}, policy {policy_version}\nWhy: {explanation}\nFacts: {facts}"
                   "{statement}\n\nBuyer's recent returns:\n{returns}\n\nHistory:\n{history}{photos}",
    "case_refund": "; refunded {amount} ({refund_id})",
    "case_statement": "\n\nIn their words: \"{statement}\"",
    "case_returns_none": "- none",
    "case_return_line": "- {date} {product}: {reason}, {outcome}",
    "case_history_line": "- {date} {decision_id} by {decided_by}: {outcome}{amount}{note}",
    "case_photos": "\n\nPhotos: {count} (shown below)",
    "case_photo_caption": "Evidence photo {number} of {count} for case {case_id}",
    "case_decided": "\n\nDecided by {decided_by} on {date}: decision {review_id}.",
    "case_decide": "Decide case {case_id}:",
    "case_status_open": "open",
    "case_status_decided": "decided",
    "button_approve_return": "Approve the return",
    "button_returnless_refund": "Refund without return",
    "button_partial_refund": "Partial refund",
    "button_deny": "Deny",
    "button_approve": "Approve the claim ({amount})",
    "review_ask_amount": "How much should the buyer get back? At most {price} (type an amount like 25.50).",
    "review_bad_amount": "{amount!r} is not an amount I can use: type a number above 0 and at most {price}, like 25.50.",
    "review_ask_note": "Add a short note for the record (the {who} will see it):",
    "review_bad_note": "Please write a note of 1 to {max} characters.",
    "review_done": "Decided case {case_id}: {outcome}{amount}. Decision {review_id} (reviews {decision_id}). "
                   "The {who} will get a message.",
    "review_lost": "Case {case_id} was already decided by {decided_by} (decision {review_id}). Nothing was changed.",
    "who_buyer": "buyer",
    "who_seller": "seller",
    # notifications
    "notify_reviewed": "Update on your refund request for {product} (case {case_id}): {headline}\n{amounts}\n"
                       "Note from our team: {note}\n\nDecision {review_id}, reviewing {decision_id}.",
    "notify_claim_reviewed": "Update on your claim {claim_id} (case {case_id}): {headline}\n"
                             "Note from our team: {note}\n\nDecision {review_id}, reviewing {decision_id}.",
    "notify_claim_eligible": "Your claim {claim_id} on refund {refund_id} can be decided from today ({date}). "
                             "Send /claim and choose it.",
    "pending_messages": "While you were away:",
    # buyers coming back
    "refund_decided_header": "Already decided:",
    "refund_decided_line": "- {product}: {state}",
    "state_open_case": "under review (case {case_id}, since {date})",
    "state_decided": "{outcome}{amount} (decision {decision_id})",
    "state_reviewed": "{outcome}{amount} after review by our team (decision {decision_id}): {note}",
    "state_can_appeal": "; you can appeal once",
    "button_appeal": "Appeal the decision on {product}",
    "refund_nothing_new": "Nothing new to refund. You can appeal a denial below.",
    "refund_item_decided": "You already asked for a refund on {product}: {state}.",
    "appeal_ask": "In a sentence, why should we look at {product} again?",
    "appeal_bad": "Please tell me why in a sentence of {min} to {max} characters.",
    "appeal_opened": "Your appeal is in our review queue as case {case_id}. A person will look at it and I'll message "
                     "you here when it's decided.",
    "appeal_exists": "This decision is already with our team (case {case_id}).",
    "appeal_final": "This decision can't be appealed: {why}.",
    "appeal_why_reviewed": "a person already reviewed it",
    "appeal_why_not_denied": "it wasn't a denial",
    "escalated_case": "Your request is case {case_id} in our review queue; I'll message you here when it's decided.",
    "status_cases": "Under review: {cases}",
    # sellers
    "refunds_reviews": "Reviews of your orders by our team:",
    "refunds_review_line": "- {date} {item} {product}: {outcome}{amount} by {decided_by} (decision {review_id}): {note}",
    "claim_pending_label": "Decide {claim_id} again ({reason}; eligible from {date})",
    "claim_review_label": "Ask for a review of {claim_id} (denied)",
    "claim_review_ask": "In a sentence, why should we look at claim {claim_id} again?",
    "claim_review_opened": "Claim {claim_id} is in our review queue as case {case_id}. I'll message you here when it's decided.",
    "claim_tracking_ask": "Send the tracking number as text (letters and digits, like 1Z999AA10123456784).",
    "claim_tracking_bad": "{number!r} doesn't look like a tracking number: it should be 8 to 34 letters and digits "
                          "with at least 6 digits. Send it again, or /cancel.",
    "claim_tracking_added": "Tracking number {number} added.",
    "claim_eligible_later": "I'll message you on {date}, when it can be decided.",
    "next_claim_too_early": "The claim stays open: send /claim and choose it again from that day.",
}

EN_DESK_LABELS: dict[str, str] = {
    "review": "review",
}
