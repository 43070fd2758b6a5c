"""Every text the bot says, by language; English is complete and the fallback for missing keys."""
from __future__ import annotations

from typing import Any

from .desk_texts import EN_DESK, EN_DESK_LABELS

EN: dict[str, str] = {
    # everyone
    "welcome_unlinked": "Hello! I'm the refund assistant. To use me, open the invite link you were given "
                        "(or send /start followed by your invite code).\n\n{summary}",
    "welcome_buyer": "Hello! You're linked as buyer {account}.",
    "welcome_seller": "Hello! You're linked as seller {account}.",
    "welcome_admin": "Hello! You're linked as an admin.",
    "linked": "Your chat is now linked as {role} {account}.",
    "link_failed": "That invite code is unknown, already used or expired. Ask for a new invite.",
    "help_unlinked": "I answer refund requests for buyers and reward and claim questions for sellers. "
                     "Link your account first with the invite link you were given.\n\n{summary}",
    "help_buyer": "What I can do for you:\n/refund - ask for a refund on a delivered order\n/status - your requests and decisions\n"
                  "/decision ID - one decision in full\n/cancel - stop what we're doing\n"
                  "You can also just write, e.g. \"I want to return my sleeping bag\".",
    "help_seller": "What I can do for you:\n/tier - your reward tier, metrics and how to move up\n"
                   "/refunds - recent marketplace refunds on your orders\n/claims - your reimbursement claims\n"
                   "/claim - file a claim (or add evidence to one)\n/decision ID - one decision in full\n/cancel - stop what we're doing",
    "help_admin": "Admin commands:\n/policy - the policy version in force\n/reload - reload the policy file\n/cancel",
    "unknown": "Sorry, I didn't understand that.\n\n{help}",
    "cancelled": "Okay, cancelled.",
    "nothing_to_cancel": "There's nothing to cancel.",
    "expired_button": "That button has expired. {help_hint}",
    "help_hint": "Send /help to see what I can do.",
    "already_decided": "That was already decided: decision {decision_id}. Send /decision {decision_id} to see it again.",
    "not_found": "I couldn't find {what} {id}.",
    "not_found_generic": "I couldn't find that.",
    "rate_limited": "You're sending messages faster than I can answer. Please wait a minute and try again.",
    "private_only": "I only talk about orders, refunds and claims in a private chat. Please write to me privately.",
    "error": "Sorry, something went wrong on our side. Please try again; if it keeps happening, "
             "quote reference {reference}.",
    "not_allowed": "That command isn't available for your account. {help_hint}",
    "choose_number": "Please choose one of the options (tap a button or send its number), or send /cancel.",
    "truncated": "(Your message was long, so I only read the first {limit} characters.)",
    "policy_summary": "How refunds work: returns are accepted within {default_window} days of delivery{window_exceptions}. "
                      "{non_returnable}Items of {returnless_max} or less are refunded without a return. "
                      "Requests for items of {escalation_price} or more, or from accounts with many recent returns, "
                      "are reviewed by a person.",
    "summary_windows": " ({exceptions})",
    "summary_non_returnable": "{categories} can't be returned unless they arrive faulty, damaged or wrong. ",
    # buyer
    "refund_choose_order": "Which order is it about?",
    "refund_choose_item": "Which item in order {order}?",
    "refund_no_items": "You have no delivered orders that can still be refunded. /status shows your earlier requests.",
    "refund_choose_reason": "What's the problem with {product}?",
    "refund_choose_condition": "What condition is {product} in?",
    "refund_already": "You already asked for a refund on {product}: decision {decision_id}. /status shows it.",
    "refund_item_label": "{product} - {price} (delivered {delivered})",
    "order_label": "Order {order} - delivered {delivered} ({items} item{plural})",
    "refund_matched": "I found {product} in your orders.",
    "refund_choose_match": "Several of your orders match. Which one is it?",
    "decision_refund": "{headline}\n{amounts}\n\nWhy: {explanation}\n\n{next}\n\nDecision {decision_id} (policy {policy_version})",
    "headline_approve_return": "Your return is approved.",
    "headline_returnless_refund": "You'll get a refund and can keep the item.",
    "headline_partial_refund": "Your return is approved with a restocking fee.",
    "headline_deny": "Sorry, this refund can't be approved.",
    "headline_escalate": "A member of our team will review your request.",
    "amounts_refund": "Refund: {refund_amount}",
    "amounts_refund_fee": "Refund: {refund_amount} (price {price}, restocking fee {fee})",
    "amounts_none": "Refund: none",
    "next_approve_return": "Next: the refund has been issued. Print the prepaid return label {label} and send the "
                           "item back within 14 days.",
    "next_partial_refund": "Next: the refund, less the fee, has been issued. Print the prepaid return label {label} "
                           "and send the item back within 14 days.",
    "next_returnless_refund": "Next: nothing to send back. The refund reaches your payment method in 3-5 business days.",
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
                   "Tier: {tier}. Discount: {discount}. Fee: {fee} per unit.\n\n"
                   "Why: {explanation}\n\nTo move up:\n{advice}\n\nDecision {decision_id} (policy {policy_version})",
    "mark_ok": "ok",
    "mark_low": "below",
    "mark_none": "no data",
    "refunds_none": "No marketplace refunds on your orders yet.",
    "refunds_header": "Recent marketplace refunds on your orders:",
    "refunds_line": "- {refund_id} {product} {amount} on {date}: {outcome} (rule {rule}){claim}",
    "refunds_claim": ", claim {claim_id} {status}",
    "claims_none": "You haven't filed any claims.",
    "claims_header": "Your claims:",
    "claims_line": "- {claim_id} on {refund_id}: {reason}, {status}{amount}, filed {date} (decision {decision_id})",
    "claim_choose_refund": "Which refund do you want to claim for? (File by the date shown.)",
    "claim_refund_label": "{refund_id} {product} {amount} - file by {deadline} ({days} days left)",
    "claim_open_label": "Add evidence to {claim_id} ({reason})",
    "claim_none": "You have no refunds you can still claim for, and no claims waiting for evidence.",
    "claim_choose_reason": "Why should you be reimbursed for {refund_id} ({product})?",
    "claim_evidence": "Add your evidence for the {reason} claim: send a photo, or tap what you have, then Submit.\n"
                      "Needed for this reason: {needed}. Added so far: {added}.",
    "claim_photo_added": "Photo added ({count} so far).",
    "claim_photo_unexpected": "Thanks, but I'm not collecting evidence right now. Start with /claim.",
    "evidence_none": "nothing",
    "button_submit": "Submit claim",
    "button_cancel": "Cancel",
    "button_tracking": "Tracking number",
    "button_signature": "Signature",
    "button_photo_hint": "Photo: send it as a picture",
    "claim_already": "A claim was already filed for {refund_id}: {claim_id}, decision {decision_id}.",
    "claim_closed": "Claim {claim_id} has already been decided.",
    "decision_claim": "{headline}\nReimbursement: {reimbursement}\n\nWhy: {explanation}\n\n{next}\n\n"
                      "Claim {claim_id}, decision {decision_id} (policy {policy_version})",
    "headline_approve": "Your claim is approved.",
    "headline_needs_evidence": "Your claim needs more evidence.",
    "headline_claim_deny": "Sorry, this claim is denied.",
    "next_claim_approve": "The reimbursement is recorded for your next payout.",
    "next_claim_needs_evidence": "Send /claim and choose the claim to add {missing}; file within {days} days.",
    "next_claim_deny": "If you think this is wrong, contact seller support and quote the decision id below.",
    # decisions
    "decision_detail": "Decision {decision_id} ({kind}) on {date}\nOutcome: {outcome} - reason {reason}, rule {rule}\n"
                       "Policy: {policy_version}\n{amounts}Why: {explanation}",
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
    "refunded_non_returnable": "A non-returnable item was refunded",
    "delivered_not_received": "Buyer says it never arrived, but it was delivered",
    "approve_return": "return approved",
    "returnless_refund": "refund without return",
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

ES: dict[str, str] = {
    "welcome_buyer": "¡Hola! Estás vinculado como comprador {account}.",
    "welcome_seller": "¡Hola! Estás vinculado como vendedor {account}.",
    "linked": "Tu chat ya está vinculado como {role} {account}.",
    "link_failed": "Ese código de invitación no existe, ya se usó o caducó. Pide una invitación nueva.",
    "unknown": "Perdona, no lo he entendido.\n\n{help}",
    "cancelled": "De acuerdo, cancelado.",
    "nothing_to_cancel": "No hay nada que cancelar.",
    "expired_button": "Ese botón ha caducado. {help_hint}",
    "help_hint": "Envía /help para ver lo que puedo hacer.",
    "private_only": "Solo hablo de pedidos, reembolsos y reclamaciones en un chat privado. Escríbeme en privado, por favor.",
    "rate_limited": "Estás enviando mensajes más rápido de lo que puedo responder. Espera un minuto y vuelve a intentarlo.",
    "error": "Perdona, algo ha fallado por nuestra parte. Inténtalo de nuevo; si sigue pasando, indica la referencia {reference}.",
    "refund_choose_order": "¿Sobre qué pedido es?",
    "refund_choose_item": "¿Qué artículo del pedido {order}?",
    "refund_choose_reason": "¿Qué problema tiene {product}?",
    "refund_choose_condition": "¿En qué estado está {product}?",
    "headline_approve_return": "Tu devolución está aprobada.",
    "headline_returnless_refund": "Te devolvemos el dinero y puedes quedarte el artículo.",
    "headline_partial_refund": "Tu devolución está aprobada con una tarifa de reposición.",
    "headline_deny": "Lo sentimos, este reembolso no se puede aprobar.",
    "headline_escalate": "Una persona de nuestro equipo revisará tu solicitud.",
    "choose_number": "Elige una de las opciones (pulsa un botón o envía su número).",
}

ES_LABELS: dict[str, str] = {
    "no_longer_needed": "Ya no lo necesito",
    "defective": "Está defectuoso",
    "damaged_in_transit": "Llegó dañado",
    "wrong_item": "Recibí otro artículo",
    "not_as_described": "No es como se describía",
    "not_received": "Nunca llegó",
    "unopened": "Sin abrir",
    "opened": "Abierto, sin usar",
    "used": "Usado",
    "damaged": "Dañado",
}

EN.update(EN_DESK)
EN_LABELS.update(EN_DESK_LABELS)

CATALOGUES: dict[str, tuple[dict[str, str], dict[str, str]]] = {"en": (EN, EN_LABELS), "es": (ES, ES_LABELS)}


def language_of(code: str | None) -> str:
    """The catalogue for a Telegram language code (`es-MX` -> `es`), English when there is none."""
    base = (code or "en").split("-")[0].lower()
    return base if base in CATALOGUES else "en"


def text(lang: str, key: str, **values: Any) -> str:
    """The text `key` in `lang` (falling back to English), filled with `values`."""
    template = CATALOGUES.get(lang, CATALOGUES["en"])[0].get(key) or EN[key]
    return template.format(**values) if values else template


def label(lang: str, code: str) -> str:
    """The people-facing label of a code (a reason, condition, outcome or status)."""
    return CATALOGUES.get(lang, CATALOGUES["en"])[1].get(code) or EN_LABELS.get(code) or code.replace("_", " ")
