"""The buyer's flows: a refund request (order, item, reason, condition, decision), appeals of denials, and their status."""
from __future__ import annotations

from collections import OrderedDict

from policy.model import at
from policy.vocabulary import CONDITIONS, REFUND_REASONS
from store import (
    CaseExists, NotFound, OrderItemView, RefundRequestExists, buyer_order_item, buyer_order_items, cases_for, get_decision,
    list_decisions, open_case, refund_facts_for,
)
from store.vocabulary import ENGINE, SHIP_BACK_OUTCOMES

from ..format import button_label, day, money
from ..intent import matching
from ..markup import Html, plain
from ..messages import Reply
from ..records import request_refund
from .labels import label_for
from .turn import Turn
from .wording import rule_description, without_rule_id

MAX_ITEMS = 50
MAX_MATCHES = 10  # the most recently delivered matches
MIN_APPEAL, MAX_APPEAL = 10, 500


def _in_window(turn: Turn, item: OrderItemView) -> bool:
    """Still inside a return window that applies to it (past every one, each request is declined: not worth offering)."""
    today = turn.now.date()
    days = (today - item.delivered_at.date()).days
    policy = turn.policy
    if days <= at(policy.returns.category(item.category).window_days, today):
        return True
    if not (policy.returns.window_extensions or policy.overlays) or days > turn.live.current.longest_window_days:
        return False
    # A longer window depends on the request (the delivery date, the buyer's country and tags, the seller's overlay):
    # the refund rules' own lookup says, on the item's facts from the store.
    facts = refund_facts_for(turn.session, order_item_id=item.order_item_id, reason=REFUND_REASONS[0], condition=CONDITIONS[0],
                             as_of=turn.now)
    return days <= turn.live.current.longest_refund_window(facts)


def _askable(item: OrderItemView) -> bool:
    return item.return_request_id is None and item.refund_id is None


def _delivered(turn: Turn) -> list[OrderItemView]:
    return buyer_order_items(turn.session, buyer_id=turn.account, as_of=turn.now, limit=MAX_ITEMS)


def _refundable(turn: Turn) -> list[OrderItemView]:
    return [i for i in _delivered(turn) if _askable(i) and _in_window(turn, i)]


def _decided(turn: Turn) -> list[OrderItemView]:
    return [i for i in _delivered(turn) if not _askable(i)]


def _item_label(turn: Turn, item: OrderItemView) -> str:
    """A button: the product and its price, at most 32 characters."""
    return button_label(item.product_name, money(item.price))


def _named(item: OrderItemView) -> str:
    return f"{item.product_name} × {item.quantity}" if item.quantity > 1 else item.product_name


def item_state(turn: Turn, item: OrderItemView) -> tuple[str, tuple[str, dict] | None]:
    """Where a decided item stands, and the appeal button's (label, value) when it can still be appealed."""
    cases = cases_for(turn.session, order_item_ids=[item.order_item_id])
    waiting = [c for c in cases if c.status == "open"]
    if waiting:
        return turn.t("state_open_case", case_id=waiting[0].case_id, date=day(waiting[0].opened_at)), None
    if item.decision_id is None:  # refunded by the marketplace without a chat decision
        return turn.t("already_refunded"), None
    record = get_decision(turn.session, decision_id=item.decision_id)
    amount = f" {money(record.refund_amount)}" if record.refund_amount else ""
    if record.reviews_decision_id:
        return turn.t("state_reviewed", outcome=turn.label(record.outcome), amount=amount, decision_id=record.id,
                      note=record.note or "-"), None
    state = turn.t("state_decided", outcome=turn.label(record.outcome), amount=amount, decision_id=record.id)
    if record.outcome == "deny" and record.decided_by == ENGINE and not any(c.decision_id == record.id for c in cases):
        appeal = button_label(plain(turn.t("button_appeal", product=item.product_name)))
        return state + turn.t("state_can_appeal"), (appeal, {"appeal": record.id})
    return state, None


def _order_lines(turn: Turn, items: list[OrderItemView], states: dict[str, str]) -> list[str]:
    """The buyer's orders: each with its delivery date, its askable items with their price, decided items with where they stand."""
    orders: OrderedDict[str, list[OrderItemView]] = OrderedDict()
    for item in items:
        orders.setdefault(item.order_id, []).append(item)
    lines = []
    for order_id, group in orders.items():
        lines.append(turn.t("order_heading", order=order_id, delivered=day(group[0].delivered_at)))
        for item in group:
            if _askable(item):
                lines.append(turn.t("order_item_line", product=_named(item), price=money(item.price)))
            else:
                lines.append(turn.t("order_item_decided", product=_named(item), price=money(item.price),
                                    decision=states[item.order_item_id]))
    return lines


def start_refund(turn: Turn, item_id: str = "", *, reason: str | None = None) -> list[Reply]:
    """/refund [ITEM]: offer the delivered orders (or go straight to the named item); a `reason` read from a sentence is kept.

    Decided items stay in the list with where they stand, and a denial that can still be appealed gets a button."""
    turn.convo.start("refund", **({"reason": reason} if reason else {}))
    if item_id.strip():
        return choose_item(turn, item_id.strip())
    every = _delivered(turn)
    askable = [i for i in every if _askable(i) and _in_window(turn, i)]
    states, appeals = {}, []
    for item in every:
        if not _askable(item):
            states[item.order_item_id], appeal = item_state(turn, item)
            if appeal:
                appeals.append(appeal)
    if len(askable) == 1 and not states:  # decided items stay in view: only a buyer with nothing decided skips the list
        return [Reply(turn.t("refund_only_item", product=askable[0].product_name))] + _ask_reason(turn, askable[0])
    shown = [i for i in every if i in askable or not _askable(i)]
    lines = _order_lines(turn, shown, states)
    closed = len(every) - len(shown)
    if closed:
        lines.append(turn.t("order_items_closed", count=closed))
    if not askable:
        listed = [Reply(Html("\n").join([turn.t("refund_decided_header"), *lines]))] if states else []
        if appeals:
            return listed + [turn.reply("refund_nothing_new", turn.convo.offer("item", appeals))]
        turn.convo.clear()
        return listed + [turn.reply("refund_no_items")]
    options = [(_item_label(turn, i), i.order_item_id) for i in askable]
    return [Reply(turn.t("refund_choose_listed", orders=Html("\n").join(lines)), turn.convo.offer("item", options + appeals))]


def start_from_sentence(turn: Turn, sentence: str, reason: str | None = None) -> list[Reply]:
    """A sentence like "I want to return my sleeping bag" or "it arrived broken": find the item it means, else
    list the orders; the reason it gives (if any) is filled in. About an item already decided, say where it stands."""
    items = _refundable(turn)
    found = matching(sentence, [(i, f"{i.product_name} {turn.policy.returns.category(i.category).label}") for i in items])
    if not found:  # about an item already decided: say where it stands and what can still be done
        decided = matching(sentence, [(i, f"{i.product_name} {turn.policy.returns.category(i.category).label}")
                                      for i in _decided(turn)])
        if len(decided) == 1:
            return _show_decided(turn, decided[0])
    kept = {"reason": reason} if reason else {}
    if len(found) == 1:
        turn.convo.start("refund", **kept)
        return [Reply(turn.t("refund_matched", product=found[0].product_name))] + _ask_reason(turn, found[0])
    if len(found) > 1:
        turn.convo.start("refund", **kept)
        options = [(_item_label(turn, i), i.order_item_id) for i in found[:MAX_MATCHES]]
        return [turn.reply("refund_choose_match", turn.convo.offer("item", options))]
    return start_refund(turn, reason=reason)


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
        return [turn.reply("refund_item_decided", turn.convo.offer("item", [appeal]), product=item.product_name, state=state)]
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
    """An item was chosen (by button or id): it must be the buyer's; a decided one shows where it stands (or an appeal was tapped)."""
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


MAX_UNIT_BUTTONS = 8


def _ask_reason(turn: Turn, item: OrderItemView) -> list[Reply]:
    turn.convo.remember(order_item_id=item.order_item_id, product=item.product_name, quantity=item.quantity)
    if item.quantity > 1 and "units" not in turn.convo.data:  # a line of several: which of them is it about?
        shown = range(1, min(item.quantity, MAX_UNIT_BUTTONS))
        options = [(str(n), n) for n in shown] + [(turn.t("units_all", quantity=item.quantity), item.quantity)]
        return [turn.reply("refund_choose_units", turn.convo.offer("units", options, columns=4), quantity=item.quantity,
                           product=item.product_name)]
    understood = turn.convo.data.get("reason")
    if understood == "not_received":  # it would be decided at once: a reason read from a sentence is confirmed first
        options = [(turn.t("button_yes_not_received"), True), (turn.t("button_other_reason"), False)]
        return [turn.reply("refund_confirm_not_received", turn.convo.offer("confirm", options), product=item.product_name)]
    if understood in REFUND_REASONS:  # read from what they wrote: say so, so a misreading can be cancelled
        return [Reply(turn.t("refund_reason_understood", reason=turn.label(understood)))] + choose_reason(turn, understood)
    options = [(turn.label(reason), reason) for reason in REFUND_REASONS]
    return [turn.reply("refund_choose_reason", turn.convo.offer("reason", options), product=item.product_name)]


def choose_units(turn: Turn, units: int) -> list[Reply]:
    """How many units of a multi-unit line the request is about; then on to the reason."""
    try:
        item = buyer_order_item(turn.session, buyer_id=turn.account, order_item_id=turn.convo.data["order_item_id"], as_of=turn.now)
    except NotFound:
        turn.convo.clear()
        return [turn.reply("not_found", what="order item", id=turn.convo.data["order_item_id"])]
    turn.convo.remember(units=max(1, min(int(units), item.quantity)))
    return _ask_reason(turn, item)


def confirm_reason(turn: Turn, confirmed: bool) -> list[Reply]:
    """The answer to "it never arrived, right?": decide, or ask the reason after all."""
    if confirmed:
        return choose_reason(turn, "not_received")
    options = [(turn.label(reason), reason) for reason in REFUND_REASONS]
    return [turn.reply("refund_choose_reason", turn.convo.offer("reason", options), product=turn.convo.data["product"])]


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
                                                   condition=condition, at=turn.now, channel=turn.service.channel,
                                                   units=data.get("units"), line_quantity=data.get("quantity", 1))
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
    attachment, nxt = None, turn.t(f"next_{decision.outcome}", rma=recorded.return_request_id)
    if decision.outcome in SHIP_BACK_OUTCOMES:
        _, attachment = label_for(turn, recorded.return_request_id)
        if attachment is None:
            nxt += "\n" + turn.t("label_unavailable", rma=recorded.return_request_id)
    nxt += _case_line(turn, item_id)
    headline = f"headline_{decision.outcome}"
    if decision.outcome == "returnless_refund" and reason == "not_received":
        headline += "_not_received"  # nothing arrived, so there is nothing to keep
    text = turn.t(
        "decision_refund",
        headline=turn.t(headline),
        amounts=shown,
        explanation=without_rule_id(decision.explanation),
        rule=rule_description(turn, decision.rule),
        next=nxt,
        decision_id=recorded.decision_id,
        policy_version=decision.policy_version,
    )
    return [Reply(text, attachment=attachment)]


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
    """/status: the buyer's refund requests and their decisions, newest first, and the cases under review."""
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
    return [Reply(Html("\n").join(lines))]


STEPS = {"order": choose_order, "item": choose_item, "units": choose_units, "confirm": confirm_reason, "reason": choose_reason,
         "condition": decide}
APPEAL_STEPS = {"why": appeal_why}
