"""The buyer's flows: a refund request (order, item, reason, condition, decision) and their status."""
from __future__ import annotations

from collections import OrderedDict

from policy.vocabulary import CONDITIONS, REFUND_REASONS
from store import (
    CaseExists, NotFound, OrderItemView, RefundRequestExists, buyer_order_item, buyer_order_items, cases_for, get_decision,
    list_decisions, open_case,
)
from store.vocabulary import ENGINE

from ..format import day, money
from ..intent import matching
from ..messages import Reply
from ..records import request_refund
from .turn import Turn

MAX_ITEMS = 50
MAX_MATCHES = 10  # the most recently delivered matches


MIN_APPEAL, MAX_APPEAL = 10, 500


def _delivered(turn: Turn) -> list[OrderItemView]:
    return buyer_order_items(turn.session, buyer_id=turn.account, as_of=turn.now, limit=MAX_ITEMS)


def _refundable(turn: Turn) -> list[OrderItemView]:
    return [i for i in _delivered(turn) if i.return_request_id is None and i.refund_id is None]


def _decided(turn: Turn) -> list[OrderItemView]:
    return [i for i in _delivered(turn) if i.return_request_id is not None or i.refund_id is not None]


def item_state(turn: Turn, item: OrderItemView) -> tuple[str, tuple[str, dict] | None]:
    """Where a decided item stands, and the appeal button's (label, value) when it can still be appealed."""
    cases = cases_for(turn.session, order_item_ids=[item.order_item_id])
    waiting = [c for c in cases if c.status == "open"]
    if waiting:
        return turn.t("state_open_case", case_id=waiting[0].case_id, date=day(waiting[0].opened_at)), None
    if item.decision_id is None:
        return turn.t("state_decided", outcome=turn.label("approve_return"), amount="", decision_id="-"), None
    record = get_decision(turn.session, decision_id=item.decision_id)
    amount = f" {money(record.refund_amount)}" if record.refund_amount else ""
    if record.reviews_decision_id:
        return turn.t("state_reviewed", outcome=turn.label(record.outcome), amount=amount, decision_id=record.id,
                      note=record.note or "-"), None
    state = turn.t("state_decided", outcome=turn.label(record.outcome), amount=amount, decision_id=record.id)
    if record.outcome == "deny" and record.decided_by == ENGINE and not any(c.decision_id == record.id for c in cases):
        return state + turn.t("state_can_appeal"), (turn.t("button_appeal", product=item.product_name), {"appeal": record.id})
    return state, None


def _decided_summary(turn: Turn, items: list[OrderItemView]) -> tuple[list[str], list[tuple[str, dict]]]:
    lines, appeals = [], []
    for item in items:
        state, appeal = item_state(turn, item)
        lines.append(turn.t("refund_decided_line", product=item.product_name, state=state))
        if appeal:
            appeals.append(appeal)
    return lines, appeals


def _item_label(turn: Turn, item: OrderItemView) -> str:
    return turn.t("refund_item_label", product=item.product_name, price=money(item.price), delivered=day(item.delivered_at))


def start_refund(turn: Turn, item_id: str = "") -> list[Reply]:
    """/refund [ITEM]: offer the delivered orders (or go straight to the named item)."""
    turn.convo.start("refund")
    if item_id.strip():
        return choose_item(turn, item_id.strip())
    items = _refundable(turn)
    lines, appeals = _decided_summary(turn, _decided(turn))
    summary = [Reply("\n".join([turn.t("refund_decided_header")] + lines))] if lines else []
    if not items:
        if appeals:
            return summary + [turn.reply("refund_nothing_new", turn.convo.offer("order", appeals))]
        turn.convo.clear()
        return summary + [turn.reply("refund_no_items")]
    orders: OrderedDict[str, list[OrderItemView]] = OrderedDict()
    for item in items:
        orders.setdefault(item.order_id, []).append(item)
    if len(orders) == 1 and not appeals:
        return summary + _offer_items(turn, next(iter(orders)), items)
    options = [(turn.t("order_label", order=order_id, delivered=day(group[0].delivered_at), items=len(group),
                       plural="" if len(group) == 1 else "s"), order_id) for order_id, group in orders.items()]
    return summary + [turn.reply("refund_choose_order", turn.convo.offer("order", options + appeals))]


def start_from_sentence(turn: Turn, sentence: str) -> list[Reply]:
    """A sentence like "I want to return my sleeping bag": find the item it means, else list the orders."""
    items = _refundable(turn)
    found = matching(sentence, [(i, f"{i.product_name} {turn.policy.returns.category(i.category).label}") for i in items])
    if not found:  # about an item already decided: say where it stands and what can still be done
        decided = matching(sentence, [(i, f"{i.product_name} {turn.policy.returns.category(i.category).label}")
                                      for i in _decided(turn)])
        if len(decided) == 1:
            return _show_decided(turn, decided[0])
    if len(found) == 1:
        turn.convo.start("refund")
        return [Reply(turn.t("refund_matched", product=found[0].product_name))] + _ask_reason(turn, found[0])
    if len(found) > 1:
        turn.convo.start("refund")
        options = [(_item_label(turn, i), i.order_item_id) for i in found[:MAX_MATCHES]]
        return [turn.reply("refund_choose_match", turn.convo.offer("item", options))]
    return start_refund(turn)


def _offer_items(turn: Turn, order_id: str, items: list[OrderItemView]) -> list[Reply]:
    in_order = [i for i in items if i.order_id == order_id]
    if len(in_order) == 1:
        return _ask_reason(turn, in_order[0])
    options = [(_item_label(turn, i), i.order_item_id) for i in in_order]
    return [turn.reply("refund_choose_item", turn.convo.offer("item", options), order=order_id)]


def _show_decided(turn: Turn, item: OrderItemView) -> list[Reply]:
    state, appeal = item_state(turn, item)
    if appeal:
        turn.convo.start("refund")
        return [turn.reply("refund_item_decided", turn.convo.offer("order", [appeal]), product=item.product_name, state=state)]
    turn.convo.clear()
    return [turn.reply("refund_item_decided", product=item.product_name, state=state)]


def choose_order(turn: Turn, order_id) -> list[Reply]:
    """An order was chosen: offer its refundable items (or an appeal button was tapped)."""
    if isinstance(order_id, dict) and "appeal" in order_id:
        return start_appeal(turn, order_id["appeal"])
    items = [i for i in _refundable(turn) if i.order_id == order_id]
    if not items:
        turn.convo.clear()
        return [turn.reply("not_found", what="order", id=order_id)]
    return _offer_items(turn, order_id, items)


def choose_item(turn: Turn, item_id) -> list[Reply]:
    """An item was chosen (by button or id): it must be the buyer's and not refunded already."""
    if isinstance(item_id, dict) and "appeal" in item_id:
        return start_appeal(turn, item_id["appeal"])
    try:
        item = buyer_order_item(turn.session, buyer_id=turn.account, order_item_id=item_id, as_of=turn.now)
    except NotFound:
        turn.convo.clear()
        return [turn.reply("not_found", what="order item", id=item_id)]
    if item.return_request_id or item.refund_id:
        return _show_decided(turn, item)
    return _ask_reason(turn, item)


def _ask_reason(turn: Turn, item: OrderItemView) -> list[Reply]:
    turn.convo.remember(order_item_id=item.order_item_id, product=item.product_name)
    options = [(turn.label(reason), reason) for reason in REFUND_REASONS]
    return [turn.reply("refund_choose_reason", turn.convo.offer("reason", options), product=item.product_name)]


def choose_reason(turn: Turn, reason: str) -> list[Reply]:
    """The reason was chosen: ask the condition (an item that never arrived has none to ask about)."""
    turn.convo.remember(reason=reason)
    if reason == "not_received":
        return decide(turn, "unopened")
    options = [(turn.label(condition), condition) for condition in CONDITIONS]
    return [turn.reply("refund_choose_condition", turn.convo.offer("condition", options, columns=2),
                       product=turn.convo.data["product"])]


def decide(turn: Turn, condition: str) -> list[Reply]:
    """The condition is known: decide by policy, record the request, decision and refund in this transaction."""
    data = turn.convo.data
    item_id, reason = data["order_item_id"], data["reason"]
    try:
        facts, decision, recorded = request_refund(turn.session, turn.live.decide_refund, order_item_id=item_id, reason=reason,
                                                   condition=condition, at=turn.now, channel=turn.service.channel)
    except RefundRequestExists as exc:
        turn.convo.clear()
        return [turn.reply("refund_already", product=data["product"], decision_id=exc.decision_id or "-")]
    turn.convo.finish(kind="refund", decision_id=recorded.decision_id)
    amounts = decision.amounts
    if decision.outcome == "partial_refund":
        shown = turn.t("amounts_refund_fee", refund_amount=money(amounts["refund_amount"]), price=money(facts["price"]),
                       fee=money(amounts["fee"]))
    elif amounts["refund_amount"] > 0:
        shown = turn.t("amounts_refund", refund_amount=money(amounts["refund_amount"]))
    else:
        shown = turn.t("amounts_none")
    return [turn.reply(
        "decision_refund",
        headline=turn.t(f"headline_{decision.outcome}"),
        amounts=shown,
        explanation=decision.explanation,
        next=turn.t(f"next_{decision.outcome}", label=f"LBL-{recorded.return_request_id}") + _case_line(turn, item_id),
        decision_id=recorded.decision_id,
        policy_version=decision.policy_version,
    )]


def _case_line(turn: Turn, order_item_id: str) -> str:
    waiting = [c for c in cases_for(turn.session, order_item_ids=[order_item_id]) if c.status == "open"]
    return "\n" + turn.t("escalated_case", case_id=waiting[0].case_id) if waiting else ""


def start_appeal(turn: Turn, decision_id: str) -> list[Reply]:
    """An appeal button: an engine's denial of the buyer's own request, not appealed before, can be appealed once."""
    try:
        record = get_decision(turn.session, decision_id=decision_id, buyer_id=turn.account)
        if record.kind != "refund" or record.order_item_id is None:
            raise NotFound(decision_id)
        item = buyer_order_item(turn.session, buyer_id=turn.account, order_item_id=record.order_item_id)
    except NotFound:
        turn.convo.clear()
        return [turn.reply("not_found", what="decision", id=decision_id)]
    turn.convo.clear()
    existing = [c for c in cases_for(turn.session, order_item_ids=[record.order_item_id]) if c.decision_id == record.id]
    if existing:
        return [turn.reply("appeal_exists", case_id=existing[0].case_id)]
    if record.decided_by != ENGINE:
        return [turn.reply("appeal_final", why=turn.t("appeal_why_reviewed"))]
    if record.outcome != "deny":
        return [turn.reply("appeal_final", why=turn.t("appeal_why_not_denied"))]
    turn.convo.start("appeal", decision_id=record.id, product=item.product_name)
    turn.convo.ask("why")
    return [turn.reply("appeal_ask", product=item.product_name)]


def appeal_why(turn: Turn, text: str) -> list[Reply]:
    """The appeal's reason, in a sentence: the case goes to the queue and the buyer is told."""
    statement = " ".join(text.split())
    if not MIN_APPEAL <= len(statement) <= MAX_APPEAL:
        return [turn.reply("appeal_bad", min=MIN_APPEAL, max=MAX_APPEAL)]
    decision_id = turn.convo.data["decision_id"]
    try:
        case = open_case(turn.session, kind="appeal", decision_id=decision_id, opened_at=turn.now,
                         opened_by=f"buyer:{turn.account}", statement=statement)
    except CaseExists as exc:
        turn.convo.clear()
        return [turn.reply("appeal_exists", case_id=exc.existing_id)]
    turn.convo.finish(kind="appeal", decision_id=decision_id, case_id=case.case_id)
    return [turn.reply("appeal_opened", case_id=case.case_id)]


def status(turn: Turn, _arg: str = "") -> list[Reply]:
    """/status: the buyer's refund requests and their decisions, newest first."""
    records = list_decisions(turn.session, kind="refund", buyer_id=turn.account, limit=20)
    if not records:
        return [turn.reply("status_none")]
    names = {i.order_item_id: i.product_name for i in buyer_order_items(turn.session, buyer_id=turn.account, limit=200)}
    lines = [turn.t("status_header")]
    for r in records:
        amount = f" {money(r.refund_amount)}" if r.refund_amount else ""
        lines.append(turn.t("status_line", product=names.get(r.order_item_id, r.order_item_id), outcome=turn.label(r.outcome),
                            amount=amount, date=day(r.decided_at), decision_id=r.id))
    waiting = [c for c in cases_for(turn.session, order_item_ids=list(names)) if c.status == "open"]
    if waiting:
        lines.append(turn.t("status_cases", cases=", ".join(f"{c.case_id} ({c.product_name})" for c in waiting)))
    return [Reply("\n".join(lines))]


STEPS = {"order": choose_order, "item": choose_item, "reason": choose_reason, "condition": decide}
APPEAL_STEPS = {"why": appeal_why}
