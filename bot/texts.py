"""Every text the bot says, by key, in English; other languages come from gettext catalogues (bot/i18n.py).

Texts are Telegram HTML (`<b>`, `<i>`); the values put into them are escaped (bot.markup).
"""
from __future__ import annotations

from typing import Any

from .desk_texts import EN_DESK, EN_DESK_LABELS
from .i18n import TRANSLATED, context, translations
from .markup import Html, fill

EN: dict[str, str] = {
    # everyone
    "welcome_unlinked": "Hello! I'm the refund assistant. To use me, open the invite link you were given "
                        "(or send /start followed by your invite code).\n\n{summary}",
    "welcome_buyer": "Hello {name}! I'm here for refunds on your orders.",
    "welcome_seller": "Hello {name}! I'm here for your reward tier, your refunds and your reimbursement claims.",
    "welcome_admin": "Hello! You're an admin: you can check and reload the policy.",
    "linked_buyer": "You're all set, {name}: this chat is linked to your buyer account.",
    "linked_seller": "You're all set, {name}: this chat is linked to your seller account.",
    "linked_admin": "You're all set: this chat is linked as an admin.",
    "link_first": "To use /{command}, link your account first: open the invite link you were given "
                  "(or send /start followed by your invite code).",
    "link_failed": "That invite code is unknown, already used or expired. Ask for a new invite.",
    "help_unlinked": "I answer refund requests for buyers and reward and claim questions for sellers. "
                     "Link your account first with the invite link you were given.\n\n{summary}",
    "help_buyer": "What I can do for you:\n/refund - ask for a refund on a delivered order\n/status - your requests and decisions\n"
                  "/label - your prepaid return label again\n/decision ID - one decision in full\n/language - the language I answer in\n"
                  "/help - this list\n"
                  "/cancel - stop what we're doing\n"
                  "You can also just write, e.g. \"I want to return my sleeping bag\".",
    "help_seller": "What I can do for you:\n/tier - your reward tier, metrics and how to move up\n"
                   "/refunds - recent marketplace refunds on your orders\n/claims - your reimbursement claims\n"
                   "/claim - file a claim (or add evidence to one)\n/owed - what you can still claim, and the soonest deadline\n"
                   "/report - your return rates over the last months, with a chart\n/decision ID - one decision in full\n"
                   "/language - the language I answer in\n/help - this list\n"
                   "/cancel - stop what we're doing",
    "help_admin": "Admin commands:\n/policy - the policy version in force and its summary\n"
                  "/reload - reload the policy file (a bad file is rejected and the errors listed)\n"
                  "/queue - open review cases, oldest first\n/case ID - one review case in full, to decide it\n"
                  "/decision ID - any decision in full\n/language - the language I answer in\n/help - this list\n"
                  "/cancel - stop what we're doing",
    "help_terminal": "In the terminal: answer a numbered choice with its number; /photo PATH sends a picture file "
                     "(claim evidence); /quit leaves.",
    "unknown": "I can't help with that, but here is what I can do.\n\n{help}",
    "cant_help_billing": "I can't look into charges on your card: that is for our payments team. Contact customer service "
                         "and they will check the payment.",
    "cant_help_cancel_order": "I can't cancel orders. If it has already arrived, I can help you return it.",
    "cant_help_address": "I can't change delivery addresses. Contact customer service before the order ships.",
    "cant_help_tracking": "I can't track parcels. If yours was marked delivered but never came, tell me \"it never arrived\" "
                          "and I'll sort out a refund.",
    "cant_help_human": "I can't put you through to a person from here, but some requests go to our team for review "
                       "and you can always contact customer service.",
    "cant_help_exchange": "I can't swap items, but I can take it back and refund you, so you can order the one you want.",
    "you_are_welcome": "You're welcome! Send /help whenever you need me.",
    "refund_confirm_not_received": "So {product} never arrived?",
    "button_yes_not_received": "Yes, it never arrived",
    "button_other_reason": "No, something else",
    "refund_reason_understood": "Got it: {reason}. (Send /cancel if I misunderstood.)",
    "cancelled": "Okay, cancelled.",
    "nothing_to_cancel": "There's nothing to cancel.",
    "expired_button": "That button has expired. {help_hint}",
    "help_hint": "Send /help to see what I can do.",
    "already_decided": "That was already decided: decision {decision_id}. Send /decision {decision_id} to see it again.",
    "not_found": "I couldn't find {what} {id}.",
    "rate_limited": "You're sending messages faster than I can answer. Please wait a minute and try again.",
    "private_only": "I only talk about orders, refunds and claims in a private chat. Please write to me privately.",
    "error": "Sorry, something went wrong on our side. Please try again; if it keeps happening, "
             "quote reference {reference}.",
    "not_allowed": "That command isn't available for your account. {help_hint}",
    "choose_number": "Please choose one of the options (tap a button or send its number), or send /cancel.",
    "choose_number_terminal": "Please choose one of the options (type its number), or send /cancel.",
    "truncated": "(Your message was long, so I only read the first {limit} characters.)",
    "cmd_start": "Link your account with an invite code",
    "cmd_language": "Choose the language I answer in",
    "language_choose": "Which language should I use? Now: {current}.",
    "language_auto": "Telegram's language",
    "language_set": "I'll answer in English from now on. Send /language to change it.",
    "language_set_auto": "I'll answer in your Telegram language ({language}). Send /language to change it.",
    "language_unknown": "I don't speak \"{code}\" yet. Choose one of: {choices}.",
    "cmd_help": "What I can do",
    "cmd_cancel": "Stop what we're doing",
    "cmd_refund": "Ask for a refund on a delivered order",
    "cmd_status": "Your refund requests and decisions",
    "cmd_label": "Your prepaid return label again",
    "cmd_tier": "Your reward tier, with a chart",
    "cmd_refunds": "Refunds on your orders",
    "cmd_claims": "Your reimbursement claims",
    "cmd_claim": "File a claim or add evidence",
    "cmd_owed": "What you can still claim",
    "cmd_report": "Your return rates, with a chart",
    "cmd_policy": "The policy in force",
    "cmd_reload": "Reload the policy file",
    "cmd_decision": "One decision in full: /decision ID",
    "policy_summary": "How refunds work: returns are accepted within {default_window} days of delivery{window_exceptions}. "
                      "{non_returnable}Items of {returnless_max} or less are refunded without a return. "
                      "Requests for items of {escalation_price} or more, or from accounts with many recent returns, "
                      "are reviewed by a person.",
    "summary_windows": " ({exceptions})",
    "summary_non_returnable": "{categories} can't be returned unless they arrive faulty, damaged or wrong. ",
    # buyer
    "refund_choose_item": "Which item in order {order}?",
    "refund_no_items": "You have no delivered orders that can still be refunded. /status shows your earlier requests.",
    "refund_choose_reason": "What's the problem with {product}?",
    "refund_choose_condition": "What condition is {product} in?",
    "refund_already": "You already asked for a refund on {product}: decision {decision_id}. /status shows it.",
    "refund_choose_listed": "Which item is it about?\n\n{orders}",
    "order_heading": "<b>Order {order}</b> · delivered {delivered}",
    "order_item_line": "• {product} · {price}",
    "order_item_decided": "• {product} · {price} · <i>{decision}</i>",
    "already_refunded": "refunded",
    "refund_choose_units": "You have {quantity} of {product}. How many is this about?",
    "units_all": "All {quantity}",
    "refund_matched": "I found {product} in your orders.",
    "refund_only_item": "{product} is the only item you can still ask about.",
    "refund_choose_match": "Several of your orders match. Which one is it?",
    "decision_refund": "<b>{headline}</b>\n{amounts}\n\nWhy: {explanation}\nPolicy: {rule}\n\n{next}\n\n"
                       "<i>Decision {decision_id} · policy {policy_version}</i>",
    "ids_line": "<i>Decision {decision_id} · policy {policy_version}</i>",
    "headline_approve_return": "Your return is approved.",
    "headline_returnless_refund": "You'll get a refund and can keep the item.",
    "headline_returnless_refund_not_received": "You'll get a refund.",
    "headline_partial_refund": "Your return is approved with a restocking fee.",
    "headline_keep_item_refund": "You'll get part of the price back and can keep the item.",
    "headline_deny": "Sorry, this refund can't be approved.",
    "headline_escalate": "A member of our team will review your request.",
    "amounts_refund": "Refund: <b>{refund_amount}</b>",
    "amounts_refund_fee": "Refund: <b>{refund_amount}</b> (price {price}, restocking fee {fee})",
    "amounts_none": "Refund: none",
    "next_approve_return": "Next: print the prepaid return label (RMA {rma}) and send the item back within 14 days. "
                           "/label shows the label again.",
    "next_partial_refund": "Next: print the prepaid return label (RMA {rma}) and send the item back within 14 days; "
                           "the fee is kept from the refund. /label shows the label again.",
    "label_again": "Your prepaid return label for {product} (RMA {rma}). Print it and stick it on the parcel.",
    "label_none": "You have no return on its way back that needs a label.",
    "label_unavailable": "The label for RMA {rma} isn't ready: the seller's return address is missing. "
                         "Please contact customer service and quote RMA {rma}.",
    "next_returnless_refund": "Next: nothing to send back. The refund reaches your payment method in 3-5 business days.",
    "rule_non_returnable": "Some categories can only be returned when they arrive faulty, damaged or wrong.",
    "rule_outside_window": "Returns are accepted within the item's return window after delivery.",
    "rule_high_value": "Expensive items are checked by a person.",
    "rule_serial_returner": "Accounts with many recent returns are checked by a person.",
    "rule_non_returnable_seller_fault": "Items that can't be sent back are refunded when they arrive faulty, damaged or wrong.",
    "rule_not_received": "Items that never arrive are refunded in full.",
    "rule_low_value": "Low-priced items are refunded without a return.",
    "rule_restocking_fee": "Opened or used returns that aren't the seller's fault carry a restocking fee.",
    "rule_approve_return": "Items within their return window can be sent back with a prepaid label.",
    "rule_unknown": "The marketplace's return policy.",
    "next_keep_item_refund": "Next: nothing to send back. The partial refund reaches your payment method in 3-5 business days.",
    "next_deny": "If you think this is wrong, contact customer service and quote the decision id below.",
    "next_escalate": "Next: your request waits for a person to review it; quote the decision id below if you contact us.",
    "status_none": "You haven't asked for any refunds yet. Send /refund to start.",
    "status_header": "Your refund requests:",
    "status_line": "- {product}: {outcome}{amount} on {date} (decision {decision_id})",
    # seller
    "tier_report": "Your reward tier over the last {window} days (as of {as_of}):\n"
                   "- Valid Tracking Rate: {vtr} (needs {min_vtr}) {vtr_mark}\n"
                   "- Prepaid return labels: {aprl} (needs {min_aprl}) {aprl_mark}\n"
                   "- Contacts Per Unit: {cpu}\n"
                   "<b>Tier: {tier}.</b> Discount: <b>{discount}</b>. Fee: {fee} per unit.\n\n"
                   "Why: {explanation}\n\nTo move up:\n{advice}\n\n<i>Decision {decision_id} · policy {policy_version}</i>",
    "tier_chart_title": "Your metrics week by week (last {window} days to {as_of})",
    "mark_ok": "ok",
    "mark_low": "below",
    "mark_none": "no data",
    "refunds_none": "No marketplace refunds on your orders yet.",
    "refunds_header": "Recent marketplace refunds on your orders:",
    "refunds_line": "\n<b>{product}</b> · order {order} · {amount} refunded on {date}\n"
                    "The buyer said: {reason}. Return: {return_status}.\nDecision: {decision}.{claim}\n<i>Refund {refund_id}</i>",
    "refunds_claim": " Your claim {claim_id}: {status}.",
    "refunds_no_reason": "nothing (refunded without a request)",
    "return_none": "none was asked for",
    "return_not_needed": "none needed (refunded without a return)",
    "return_on_its_way": "on its way back to you",
    "return_received": "received back ({condition})",
    "decision_by_marketplace": "the marketplace refunded it without a chat decision",
    "claims_none": "You haven't filed any claims.",
    "claims_header": "Your claims:",
    "claims_line": "- {claim_id} on {refund_id}: {reason}, {status}{amount}, filed {date} (decision {decision_id})",
    "claim_choose_refund": "Which refund do you want to claim for?\n\n{lines}",
    "claim_refund_line": "• <b>{product}</b> · {amount} · file by {deadline} ({days_left})",
    "claim_open_line": "• Your claim {claim_id} ({reason}) is waiting for evidence",
    "claim_open_button": "Evidence: {reason}",
    "claim_none": "You have no refunds you can still claim for, and no claims waiting for evidence.",
    "owed_none": "There are no refunds you can still claim for right now.",
    "report_summary": "Your returns since {since}: {returns} of {units} units sold ({rate}). Most common reason: {reason}. "
                      "Most refunded product: {product}. Today's policy would decide {changed} of your {total} past refund "
                      "decisions differently.",
    "report_none": "You have no sales or returns since {since}.",
    "claim_choose_reason": "Why should you be reimbursed for the refund on {product}?",
    "claim_evidence": "Add your evidence for your claim \"{reason}\": send a photo, or tap what you have, then Submit.\n"
                      "Needed for this reason: {needed}. Added so far: {added}.",
    "claim_evidence_terminal": "Add your evidence for your claim \"{reason}\": send a photo with /photo PATH, or choose what "
                               "you have by its number, then Submit.\nNeeded for this reason: {needed}. Added so far: {added}.",
    "claim_photo_added": "Photo added ({count} so far).",
    "claim_photo_unexpected": "Thanks, but I'm not collecting evidence right now. Start with /claim.",
    "evidence_none": "nothing",
    "button_submit": "Submit claim",
    "button_cancel": "Cancel",
    "button_tracking": "Tracking number",
    "button_signature": "Signature",
    "claim_already": "A claim was already filed for {refund_id}: {claim_id}, decision {decision_id}.",
    "claim_closed": "Claim {claim_id} has already been decided.",
    "decision_claim": "<b>{headline}</b>\nReimbursement: <b>{reimbursement}</b>\n\nWhy: {explanation}\n\n{next}\n\n"
                      "<i>Claim {claim_id} · decision {decision_id} · policy {policy_version}</i>",
    "headline_approve": "Your claim is approved.",
    "headline_needs_evidence": "Your claim needs more evidence.",
    "headline_claim_deny": "Sorry, this claim is denied.",
    "next_claim_approve": "The reimbursement is recorded for your next payout.",
    "next_claim_needs_evidence": "Send /claim and choose the claim to add {missing}; file within {days} days.",
    "next_claim_deny": "If you think this is wrong, contact seller support and quote the decision id below.",
    # decisions
    "decision_detail": "<b>{what}: {outcome}</b> on {date}\n{amounts}Why: {explanation}{rule}\n\n{ids}",
    "decision_detail_rule": "\nPolicy: {rule}",
    "ids_line_rule": "<i>Decision {decision_id} · rule {rule} · policy {policy_version}</i>",
    "kind_refund": "Refund request",
    "kind_claim": "Claim",
    "kind_tier": "Reward tier",
    "amount_refund_amount": "Refund: <b>{amount}</b>\n",
    "amount_fee": "Fee: {amount}\n",
    "amount_reimbursement": "Reimbursement: <b>{amount}</b>\n",
    # admin
    "policy_version": "Policy in force: {version}\n{summary}",
    "reload_ok": "Reloaded: {previous} -> {version} in {ms} ms.",
    "reload_unchanged": "The policy file is unchanged; still serving {version}.",
    "reload_failed": "The new policy was rejected; still serving {version}. Errors:\n{errors}",
    "reload_failed_notice": "A policy reload ({trigger}) was rejected; still serving {version}. Errors:\n{errors}",
}

# Labels of codes shown on buttons and in lists.
EN_LABELS: dict[str, str] = {
    "no_longer_needed": "I don't need it any more",
    "defective": "It's faulty",
    "damaged_in_transit": "It arrived damaged",
    "wrong_item": "I got the wrong item",
    "not_as_described": "It's not as described",
    "not_received": "It never arrived",
    "unopened": "Unopened",
    "opened": "Opened, unused",
    "used": "Used",
    "damaged": "Damaged",
    "return_not_received": "The return never arrived",
    "returned_damaged": "It came back damaged",
    "different_item_returned": "A different item came back",
    "refunded_non_returnable": "Non-returnable item refunded",
    "delivered_not_received": "Delivered, buyer says it wasn't",
    "approve_return": "return approved",
    "returnless_refund": "refund without return",
    "keep_item_refund": "partial refund, keep the item",
    "partial_refund": "partial refund",
    "deny": "denied",
    "escalate": "under review",
    "approve": "approved",
    "approved": "approved",
    "denied": "denied",
    "needs_evidence": "needs evidence",
    "pending": "pending",
    "photo": "photo",
    "tracking": "tracking",
    "signature": "signature",
    "not_eligible": "not eligible",
}

# The review desk's texts (agents, appeals, evidence added later, notifications) are kept in their own module.
EN.update(EN_DESK)
EN_LABELS.update(EN_DESK_LABELS)

# Texts with a count: (singular, plural) in English, the form chosen by the `count` value (gettext's
# npgettext), so each language uses its own plural rules.
EN_PLURAL: dict[str, tuple[str, str]] = {
    "order_items_closed": ("({count} older item is past its return window.)",
                           "({count} older items are past their return window.)"),
    "owed_summary": ("You can still claim {count} refund for about {total}. The soonest deadline is {deadline} "
                     "({days_left}) for {refund_id} ({product}). Send /claim to file.",
                     "You can still claim {count} refunds for about {total}. The soonest deadline is {deadline} "
                     "({days_left}) for {refund_id} ({product}). Send /claim to file."),
    "days_left": ("{count} day left", "{count} days left"),
}

# Other languages live in gettext catalogues (bot/locale, see bot/i18n.py); English is the source.
LANGUAGES = ("en", *TRANSLATED)


def language_of(code: str | None) -> str:
    """The catalogue for a Telegram language code (`es-MX` -> `es`), English when there is none."""
    base = (code or "en").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


def has_text(lang: str, key: str) -> bool:
    """True when `key` is a text (every text exists in every language: the catalogues are checked)."""
    return key in EN or key in EN_PLURAL


def text(lang: str, key: str, **values: Any) -> Html:
    """The text `key` in `lang` (English where the catalogue has no translation) as Telegram HTML, filled with `values`
    (escaped); a text with a count takes the plural form its `count` value asks for."""
    english = EN.get(key)
    if english is None:
        singular, plural = EN_PLURAL[key]
        return fill(translations(lang).npgettext(context("text", key), singular, plural, values["count"]), values)
    return fill(translations(lang).pgettext(context("text", key), english), values)


def label(lang: str, code: str) -> str:
    """The people-facing label of a code (a reason, condition, outcome or status); codes without one read as words."""
    english = EN_LABELS.get(code)
    if english is None:
        return code.replace("_", " ")
    return translations(lang).pgettext(context("label", code), english)
