"""The review desk for agents (and admins): the queue, one case in full, and deciding it with a note.

The decision is a review: a decision record of the reviewed kind, made by the agent, with the
note and a link to the decision it reviews; the refund (or reimbursement) it moves and the
message to the buyer (or seller) are written in the same transaction. Buttons carry only a nonce
and an index (see bot/conversation.py), and the case is checked to be open when it is decided,
so neither a forged nor a stale button can act on a case that is not open.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from store import (
    CaseClosed, CaseDetail, CaseView, DecisionRecord, NotFound, case_detail, decide_case, get_case, list_cases,
)

from ..format import button_label, day, money
from ..markup import Html, plain
from ..messages import Reply
from ..notify import notify
from .turn import Turn

QUEUE_BUTTONS = 10
MAX_NOTE = 300
CENT = Decimal("0.01")
REFUND_CHOICES = ("approve_return", "returnless_refund", "partial_refund", "deny")
AMOUNT_RE = re.compile(r"^\$?\s*([0-9]{1,9}(?:\.[0-9]{1,2})?)$")


def who(turn: Turn) -> str:
    """The person deciding, as the decision log names them."""
    return f"agent:{turn.account}" if turn.role == "agent" else f"admin:{turn.incoming.user_id}"


def age(delta: timedelta) -> str:
    """`3 d 4 h`, `2 h 5 min`, `12 min`."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _overdue_after(turn: Turn) -> timedelta:
    return timedelta(hours=turn.service.desk.overdue_hours)


def queue(turn: Turn, _arg: str = "") -> list[Reply]:
    """/queue: the open cases, oldest first, with their age and kind; overdue ones marked."""
    cases = list_cases(turn.session, status="open", limit=100)
    if not cases:
        return [turn.reply("queue_empty")]
    after = _overdue_after(turn)
    overdue = sum(c.overdue(turn.now, after) for c in cases)
    lines = [turn.t("queue_header", count=len(cases), overdue=overdue, hours=turn.service.desk.overdue_hours)]
    for c in cases:
        lines.append(turn.t("queue_line", case_id=c.case_id, kind=turn.t(f"case_kind_{c.kind}"), product=c.product_name,
                            price=money(c.price), buyer=c.buyer_id, age=age(c.age(turn.now)),
                            overdue=turn.t("queue_overdue") if c.overdue(turn.now, after) else ""))
    lines.append(turn.t("queue_more"))
    turn.convo.start("review")
    options = [(button_label(plain(turn.t("queue_button", case_id=c.case_id, age=age(c.age(turn.now))))), {"open": c.case_id})
               for c in cases[:QUEUE_BUTTONS]]
    return [Reply(Html("\n").join(lines), turn.convo.offer("pick", options))]


def _facts(facts: dict) -> str:
    return ", ".join(f"{k} {json.dumps(v) if not isinstance(v, str) else v}" for k, v in facts.items())


def describe(detail: CaseDetail, *, t, label, now, overdue_after: timedelta) -> str:
    """The case in full, for the chat and the CLI."""
    c, d = detail.case, detail.decision
    returns = Html("\n").join(t("case_return_line", date=day(r.requested_at), product=r.product_name, reason=label(r.reason),
                          outcome=label(r.outcome) if r.outcome else "-") for r in detail.recent_returns)
    history = Html("\n").join(t("case_history_line", date=day(h.decided_at), decision_id=h.id, decided_by=h.decided_by,
                          outcome=label(h.outcome),
                          amount=f" {money(h.refund_amount if h.refund_amount is not None else h.reimbursement)}"
                          if (h.refund_amount or h.reimbursement) else "",
                          note=f' - "{h.note}"' if h.note else "") for h in detail.history)
    text = t("case_detail", case_id=c.case_id, kind=t(f"case_kind_{c.kind}"), status=t(f"case_status_{c.status}"),
             opened=c.opened_at.strftime("%Y-%m-%d %H:%M UTC"), opened_by=c.opened_by, age=age(c.age(now)),
             overdue=t("queue_overdue") if c.overdue(now, overdue_after) else "",
             buyer_id=c.buyer_id, buyer_name=detail.buyer_name, seller_id=c.seller_id, seller_name=detail.seller_name,
             order_id=detail.order_id, fulfilment=detail.fulfilment, placed=day(detail.placed_at),
             delivered=day(detail.delivered_at) if detail.delivered_at else "-", order_item_id=c.order_item_id,
             product=c.product_name, category=detail.category, quantity=detail.quantity, price=money(c.price),
             refund=t("case_refund", amount=money(detail.refund_amount), refund_id=detail.refund_id) if detail.refund_id else "",
             decision_id=d.id, decided_by=d.decided_by, decided=day(d.decided_at), outcome=label(d.outcome), reason=d.reason,
             rule=d.rule, policy_version=d.policy_version, explanation=d.explanation, facts=_facts(dict(d.facts)),
             statement=t("case_statement", statement=c.statement) if c.statement else "",
             returns=returns or t("case_returns_none"), history=history or "-",
             photos=t("case_photos", count=len(detail.photos)) if detail.photos else "")
    if detail.review is not None:
        text += t("case_decided", decided_by=c.decided_by, date=day(c.decided_at), review_id=detail.review.id)
    return text


def case(turn: Turn, case_id: str = "") -> list[Reply]:
    """/case ID: everything needed to decide, the photos shown again, and the decision buttons if it is open."""
    case_id = case_id.strip()
    if not case_id:
        return queue(turn)
    try:
        detail = case_detail(turn.session, case_id=case_id)
    except NotFound:
        turn.convo.clear()
        return [turn.reply("not_found", what="case", id=case_id)]
    replies = [Reply(describe(detail, t=turn.t, label=turn.label, now=turn.now, overdue_after=_overdue_after(turn)))]
    count = len(detail.photos)
    replies += [Reply(turn.t("case_photo_caption", number=i, count=count, case_id=case_id), photo=file_id)
                for i, file_id in enumerate(detail.photos, start=1)]
    if detail.case.status != "open":
        turn.convo.clear()
        return replies
    turn.convo.start("review", case_id=case_id)
    if detail.case.kind == "claim_review":
        amount = detail.refund_amount or Decimal(0)
        turn.convo.remember(price=str(amount), kind="claim")
        options = [(plain(turn.t("button_approve", amount=money(amount))), "approve"), (plain(turn.t("button_deny")), "deny")]
    else:
        turn.convo.remember(price=str(detail.case.price), kind="refund")
        options = [(plain(turn.t(f"button_{o}")), o) for o in REFUND_CHOICES]
    return replies + [turn.reply("case_decide", turn.convo.offer("outcome", options, columns=2), case_id=case_id)]


def pick(turn: Turn, choice) -> list[Reply]:
    """A case was tapped in the queue."""
    return case(turn, choice["open"]) if isinstance(choice, dict) and "open" in choice else queue(turn)


def _still_open(turn: Turn) -> list[Reply] | None:
    view: CaseView = get_case(turn.session, case_id=turn.convo.data["case_id"])
    if view.status == "open":
        return None
    turn.convo.clear()
    return [turn.reply("review_lost", case_id=view.case_id, decided_by=view.decided_by, review_id=view.review_decision_id)]


def choose_outcome(turn: Turn, outcome: str) -> list[Reply]:
    """An outcome button: partial refunds ask the amount, everything asks a note."""
    closed = _still_open(turn)
    if closed:
        return closed
    turn.convo.remember(outcome=outcome)
    if outcome == "partial_refund":
        turn.convo.ask("amount")
        return [turn.reply("review_ask_amount", price=money(Decimal(turn.convo.data["price"])))]
    return _ask_note(turn)


def _ask_note(turn: Turn) -> list[Reply]:
    turn.convo.ask("note")
    return [turn.reply("review_ask_note", who=turn.t("who_seller" if turn.convo.data["kind"] == "claim" else "who_buyer"))]


def parse_amount(text: str, most: Decimal) -> Decimal | None:
    """A typed amount above 0 and at most `most`, in cents; None otherwise."""
    match = AMOUNT_RE.fullmatch(text.strip().replace(",", ""))
    if not match:
        return None
    try:
        amount = Decimal(match.group(1)).quantize(CENT)
    except InvalidOperation:
        return None
    return amount if Decimal(0) < amount <= most else None


def amount_step(turn: Turn, text: str) -> list[Reply]:
    """The partial refund's amount, typed: checked to be above 0 and not above the price."""
    price = Decimal(turn.convo.data["price"])
    amount = parse_amount(text, price)
    if amount is None:
        return [turn.reply("review_bad_amount", amount=text.strip()[:40], price=money(price))]
    turn.convo.remember(amount=str(amount))
    return _ask_note(turn)


def note_step(turn: Turn, text: str) -> list[Reply]:
    """The note, then the decision."""
    note = " ".join(text.split())
    if not note or len(note) > MAX_NOTE:
        return [turn.reply("review_bad_note", max=MAX_NOTE)]
    return _decide(turn, note)


def _record(turn: Turn, detail: CaseDetail, outcome: str, amount: Decimal | None, note: str) -> DecisionRecord:
    c, reviewed = detail.case, detail.decision
    price = c.price
    refund_amount = fee = reimbursement = None
    if c.kind == "claim_review":
        kind = "claim"
        reimbursement = (detail.refund_amount or Decimal(0)) if outcome == "approve" else Decimal(0)
    else:
        kind = "refund"
        if outcome in ("approve_return", "returnless_refund"):
            refund_amount, fee = price, Decimal(0)
        elif outcome == "partial_refund":
            refund_amount, fee = amount, price - amount
        else:
            refund_amount, fee = Decimal(0), Decimal(0)
    by = who(turn)
    return DecisionRecord(
        kind=kind, outcome=outcome, reason=f"review_{c.kind}", rule="review", policy_version=turn.live.current.version,
        explanation=f"Reviewed by {by}: {note}", decided_at=turn.now,
        facts={**dict(reviewed.facts), "case_id": c.case_id, "reviewed_decision_id": reviewed.id,
               "reviewed_outcome": reviewed.outcome},
        result={"outcome": outcome, "case_id": c.case_id, "note": note},
        channel=turn.service.channel, refund_amount=refund_amount, fee=fee, reimbursement=reimbursement,
        decided_by=by, note=note,
    )


def _decide(turn: Turn, note: str) -> list[Reply]:
    data = turn.convo.data
    case_id, outcome = data["case_id"], data["outcome"]
    detail = case_detail(turn.session, case_id=case_id)
    amount = Decimal(data["amount"]) if data.get("amount") else None
    record = _record(turn, detail, outcome, amount, note)
    try:
        decided = decide_case(turn.session, case_id=case_id, record=record)
    except CaseClosed as exc:
        turn.convo.clear()
        return [turn.reply("review_lost", case_id=case_id, decided_by=exc.decided_by, review_id=exc.review_decision_id)]
    shown = record.refund_amount if record.kind == "refund" else record.reimbursement
    amount_text = f" {money(shown)}" if shown else ""
    _tell(turn, detail, record, decided.review_decision_id, amount_text)
    turn.convo.finish(kind="review", decision_id=decided.review_decision_id)
    return [turn.reply("review_done", case_id=case_id, outcome=turn.label(outcome), amount=amount_text,
                       review_id=decided.review_decision_id, decision_id=detail.decision.id,
                       who=turn.t("who_seller" if record.kind == "claim" else "who_buyer"))]


def _tell(turn: Turn, detail: CaseDetail, record: DecisionRecord, review_id: str, amount_text: str) -> None:
    """The buyer (or, for a claim, the seller) gets the outcome without asking: queued in this transaction."""
    c = detail.case
    if record.kind == "claim":
        headline = turn.t("headline_approve" if record.outcome == "approve" else "headline_claim_deny")
        message = turn.t("notify_claim_reviewed", claim_id=c.claim_id, case_id=c.case_id, headline=headline + amount_text,
                         note=record.note, review_id=review_id, decision_id=detail.decision.id)
        notify(turn.session, role="seller", account_id=c.seller_id, text=message, key=f"review:{review_id}", now=turn.now)
        return
    amounts = turn.t("amounts_refund", refund_amount=money(record.refund_amount)) if record.refund_amount else turn.t("amounts_none")
    message = turn.t("notify_reviewed", product=c.product_name, case_id=c.case_id, headline=turn.t(f"headline_{record.outcome}"),
                     amounts=amounts, note=record.note, review_id=review_id, decision_id=detail.decision.id)
    notify(turn.session, role="buyer", account_id=c.buyer_id, text=message, key=f"review:{review_id}", now=turn.now)


def _agents_only(step):
    """A desk step runs only for agents and admins (a chat relinked as a buyer keeps no desk powers)."""
    def guarded(turn: Turn, value) -> list[Reply]:
        if turn.role not in ("agent", "admin"):
            turn.convo.clear()
            return [turn.reply("expired_button", help_hint=turn.t("help_hint"))]
        return step(turn, value)
    return guarded


STEPS = {name: _agents_only(step) for name, step in
         {"pick": pick, "outcome": choose_outcome, "amount": amount_step, "note": note_step}.items()}
