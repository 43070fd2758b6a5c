"""The seller's flows: reward tier, refunds on their orders, claims, and filing a claim with evidence."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from policy.model import at
from policy.vocabulary import CLAIM_REASONS, NOT_ELIGIBLE
from rules.text import ratio
from store import (
    CaseExists, ClaimExists, NotFound, StoreError, cases_for, claim_facts_for, file_claim, get_decision, log_decision,
    open_case, reassess_claim, seller_claim, seller_claims, seller_refund, seller_refunds, seller_reviews, tier_chart_facts,
)
from store.timeutil import day_start
from store.vocabulary import ENGINE

from .. import returns_report
from ..charts import Thresholds, WeekPoint, tier_chart_recipe
from ..claim_finder import find_for_seller
from ..format import button_label, day, money
from ..markup import Html, plain
from ..messages import Attachment, Photo, Reply
from ..notify import notify
from ..records import decision_record
from .turn import Turn
from .wording import rule_description, to_the_seller, without_rule_id

OPEN_STATUSES = ("needs_evidence", "pending")
TOGGLED_EVIDENCE = ("tracking", "signature")
LISTED = 15
MIN_WHY, MAX_WHY = 10, 500
# Carriers' tracking numbers: 8-34 letters and digits (UPS 1Z..., USPS 20-22 digits, FedEx 12-15, DHL 10), mostly digits.
TRACKING_RE = re.compile(r"^[A-Z0-9]{8,34}$")
MIN_TRACKING_DIGITS = 6


def tracking_number(text: str) -> str | None:
    """A plausible carrier tracking number (spaces and dashes dropped, upper-cased), or None."""
    number = re.sub(r"[\s-]", "", text).upper()
    if not TRACKING_RE.fullmatch(number) or sum(ch.isdigit() for ch in number) < MIN_TRACKING_DIGITS:
        return None
    return number


def eligible_on(turn: Turn, record) -> date | None:
    """The day a claim refused as too early can be decided again: its reason's wait (in the policy in
    force) counted from the refund, as the decision's facts place it."""
    facts = record.facts or {}
    spec = turn.policy.claims.reasons.get(facts.get("reason", ""))
    if record.reason != "too_early" or spec is None or "days_since_refund" not in facts:
        return None
    since = int(facts["days_since_refund"])
    refunded = facts.get("refunded_on")  # the wait in force on the refund date, as the claim rules look it up
    refunded_on = date.fromisoformat(refunded) if refunded else record.decided_at.date() - timedelta(days=since)
    return record.decided_at.date() + timedelta(days=at(spec.min_days_since_refund, refunded_on) - since)
REPORT_DAYS = 180


def tier(turn: Turn, _arg: str = "") -> list[Reply]:
    """/tier: decide the seller's tier from their own records over the policy's window."""
    rewards = turn.policy.rewards
    as_of = turn.now.date()
    # The chart's last week ends on as_of: its trailing facts are tier_facts_for's today.
    weeks, trailing = tier_chart_facts(turn.session, seller_id=turn.account, as_of=as_of, window_days=rewards.window_days)
    facts = dict(trailing[-1])  # its own copy, as the chart decides on the series again
    decision = turn.live.decide_tier(facts)
    decision_id = log_decision(turn.session, record=decision_record(decision, channel=turn.service.channel, decided_at=turn.now,
                                                              seller_id=turn.account))
    d = decision.details

    def mark(value, minimum) -> str:
        if value is None:
            return turn.t("mark_none")
        return turn.t("mark_ok" if value >= float(minimum) else "mark_low")

    return [Reply(turn.t(
        "tier_report",
        window=rewards.window_days, as_of=as_of.isoformat(),
        vtr=ratio(d["vtr"]), min_vtr=ratio(at(rewards.min_vtr, as_of)), vtr_mark=mark(d["vtr"], at(rewards.min_vtr, as_of)),
        aprl=ratio(d["aprl"]), min_aprl=ratio(at(rewards.min_aprl, as_of)), aprl_mark=mark(d["aprl"], at(rewards.min_aprl, as_of)),
        cpu=ratio(d["cpu"]),
        tier=turn.label(d["tier"]), discount=f"{float(decision.amounts['discount']) * 100:.0f}%",
        fee=money(decision.amounts["fee_per_unit"], exact=True),
        explanation=without_rule_id(decision.explanation), advice="\n".join(f"- {step}" for step in d["advice"]),
        decision_id=decision_id, policy_version=decision.policy_version,
    ), attachment=_tier_chart(turn, as_of, weeks, trailing))]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _tier_chart(turn: Turn, as_of, weeks: list, trailing: list[dict]) -> Attachment:
    """VTR, APRL and CPU week by week over the policy's window, and the tier the engine gives at each week's end
    (`weeks` and `trailing` as store.tier_chart_facts gives them)."""
    rewards = turn.policy.rewards
    today = as_of.date() if isinstance(as_of, datetime) else as_of  # thresholds in force today (a policy may date them)
    window_days = rewards.window_days
    points = []
    for week, facts in zip(weeks, trailing):
        c = week.counts
        tier_then = turn.live.decide_tier(facts).details["tier"]
        points.append(WeekPoint(facts["as_of"], _share(c["valid_tracking"], c["shipments"]), _share(c["prepaid_label_returns"], c["returns"]),
                                _share(c["contacts"], c["units"]), turn.label(tier_then)))
    thresholds = Thresholds(
        min_vtr=float(at(rewards.min_vtr, today)), min_aprl=float(at(rewards.min_aprl, today)),
        tier_max_cpu=tuple((turn.label(t.name), None if t.max_cpu is None else float(t.max_cpu)) for t in rewards.tiers),
        tier_order=(turn.label(NOT_ELIGIBLE), *(turn.label(t.name) for t in reversed(rewards.tiers))))
    # Drawn after the handling transaction (by the outbox sender, or where the reply is shown), not while it holds locks.
    recipe = tier_chart_recipe(points, thresholds, title=turn.t("tier_chart_title", window=window_days, as_of=as_of.isoformat()))
    return Attachment(f"tier-{turn.account}-{as_of.isoformat()}.png", recipe, "photo")


def _one_or_recent(turn: Turn, ident: str, what: str, one, recent) -> list | Reply:
    """The seller's row named `ident`, or their recent rows; a Reply when there is nothing to list."""
    ident = ident.strip()
    if ident:
        try:
            return [one(turn.session, seller_id=turn.account, **{f"{what}_id": ident})]
        except NotFound:
            return turn.reply("not_found", what=what, id=ident)
    return recent(turn.session, seller_id=turn.account, limit=LISTED) or turn.reply(f"{what}s_none")


def refunds(turn: Turn, refund_id: str = "") -> list[Reply]:
    """/refunds [ID]: recent marketplace refunds on the seller's orders with their decisions."""
    views = _one_or_recent(turn, refund_id, "refund", seller_refund, seller_refunds)
    if isinstance(views, Reply):
        reviews = _reviews(turn) if not refund_id.strip() else []
        return [Reply(Html("\n").join([views.text, *reviews]))] if reviews else [views]
    lines = [turn.t("refunds_header")]
    for v in views:
        claim = turn.t("refunds_claim", claim_id=v.claim_id, status=turn.label(v.claim_status)) if v.claim_id else ""
        lines.append(turn.t("refunds_line", refund_id=v.refund_id, product=v.product_name, order=v.order_id, amount=money(v.amount),
                            date=day(v.issued_at), reason=turn.label(v.return_reason) if v.return_reason else turn.t("refunds_no_reason"),
                            return_status=_return_status(turn, v), decision=_decision_words(turn, v), claim=claim))
    if not refund_id.strip():
        lines += _reviews(turn)
    return [Reply(Html("\n").join(lines))]


def _reviews(turn: Turn) -> list[str]:
    reviews = seller_reviews(turn.session, seller_id=turn.account, limit=LISTED)
    if not reviews:
        return []
    lines = ["", turn.t("refunds_reviews")]
    for r, product in reviews:
        amount = r.refund_amount if r.kind == "refund" else r.reimbursement
        lines.append(turn.t("refunds_review_line", date=day(r.decided_at), item=r.order_item_id or "-",
                            product=product or "-", outcome=turn.label(r.outcome),
                            amount=f" {money(amount)}" if amount else "", decided_by=r.decided_by, review_id=r.id,
                            note=r.note or "-"))
    return lines


def _return_status(turn: Turn, v) -> str:
    if v.ships_back is None:
        return turn.t("return_none")
    if not v.ships_back:
        return turn.t("return_not_needed")
    if v.return_delivered_at is None:
        return turn.t("return_on_its_way")
    return turn.t("return_received", condition=turn.label(v.condition_received or "unopened").lower())


def _decision_words(turn: Turn, v) -> str:
    if not v.outcome:
        return turn.t("decision_by_marketplace")
    return f"{turn.label(v.outcome)} ({rule_description(turn, v.rule).rstrip('.')})"


def claims(turn: Turn, claim_id: str = "") -> list[Reply]:
    """/claims [ID]: the seller's claims and where they stand."""
    views = _one_or_recent(turn, claim_id, "claim", seller_claim, seller_claims)
    if isinstance(views, Reply):
        return [views]
    lines = [turn.t("claims_header")]
    for v in views:
        amount = f" {money(v.reimbursement)}" if v.reimbursement is not None else ""
        lines.append(turn.t("claims_line", claim_id=v.claim_id, refund_id=v.refund_id, reason=turn.label(v.reason),
                            status=turn.label(v.status), amount=amount, date=day(v.filed_at), decision_id=v.decision_id or "-"))
    return [Reply(Html("\n").join(lines))]


def start_claim(turn: Turn, refund_id: str = "") -> list[Reply]:
    """/claim [REFUND]: offer claimable refunds (with deadlines), claims still open (evidence to add, or too early
    until a date) and denials that may be sent for review once."""
    turn.convo.start("claim")
    if refund_id.strip():
        return choose_refund(turn, {"refund": refund_id.strip()})
    # The claim finder's list: every refund the policy in force would still reimburse, soonest deadline first.
    claimable = find_for_seller(turn.session, turn.live.current, seller_id=turn.account, as_of=turn.now).claimable[:LISTED]
    options = [(button_label(c.product_name, money(c.refund_amount)), {"refund": c.refund_id}) for c in claimable]
    shown = [label for label, _ in options]
    options = [(button_label(c.product_name, f"{money(c.refund_amount)} · {c.deadline.isoformat()}")
                if shown.count(label) > 1 else label, value)  # two refunds alike: their deadlines tell them apart
               for (label, value), c in zip(options, claimable)]
    lines = [turn.t("claim_refund_line", product=c.product_name, amount=money(c.refund_amount),
                    deadline=c.deadline.isoformat(), days_left=turn.t("days_left", count=c.days_left)) for c in claimable]
    for line, option in _open_claims(turn, seller_claims(turn.session, seller_id=turn.account, limit=50)):
        lines.append(line)
        options.append(option)
    if not options:
        turn.convo.clear()
        return [turn.reply("claim_none")]
    return [turn.reply("claim_choose_refund", turn.convo.offer("refund", options), lines=Html("\n").join(lines))]


def _open_claims(turn: Turn, claims) -> list[tuple[str, tuple[str, dict]]]:
    """A line and a button for each claim still open (evidence to add, or too early until a date) and each engine
    denial not yet sent for review."""
    found = []
    reviewed = {c.claim_id for c in cases_for(turn.session, claim_ids=[c.claim_id for c in claims])}
    for c in claims:
        reason = turn.label(c.reason)
        if c.status == "needs_evidence":
            found.append((turn.t("claim_open_line", claim_id=c.claim_id, reason=reason),
                          (button_label(plain(turn.t("claim_open_button", reason=reason))), {"claim": c.claim_id})))
        elif c.status == "pending":
            record = get_decision(turn.session, decision_id=c.decision_id) if c.decision_id else None
            when = eligible_on(turn, record) if record else None
            found.append((turn.t("claim_pending_line", claim_id=c.claim_id, reason=reason, date=when.isoformat() if when else "-"),
                          (button_label(plain(turn.t("claim_pending_button", reason=reason))), {"claim": c.claim_id})))
        elif c.status == "denied" and c.claim_id not in reviewed and c.decision_id:
            if get_decision(turn.session, decision_id=c.decision_id).decided_by == ENGINE:
                found.append((turn.t("claim_review_line", claim_id=c.claim_id, reason=reason),
                              (button_label(plain(turn.t("claim_review_button", reason=reason))), {"review": c.claim_id})))
    return found


def start_review(turn: Turn, claim_id: str) -> list[Reply]:
    """Ask for a person to review a denied claim (once): the seller says why in a sentence."""
    try:
        claim = seller_claim(turn.session, seller_id=turn.account, claim_id=claim_id)
    except NotFound:
        turn.convo.clear()
        return [turn.reply("not_found", what="claim", id=claim_id)]
    turn.convo.start("claim_review", claim_id=claim.claim_id, decision_id=claim.decision_id)
    turn.convo.ask("why")
    return [turn.reply("claim_review_ask", claim_id=claim.claim_id)]


def review_why(turn: Turn, text: str) -> list[Reply]:
    """The reason for the review: the claim goes to the queue and the seller is told."""
    statement = " ".join(text.split())
    if not MIN_WHY <= len(statement) <= MAX_WHY:
        return [turn.reply("appeal_bad", min=MIN_WHY, max=MAX_WHY)]
    data = turn.convo.data
    record = get_decision(turn.session, decision_id=data["decision_id"], seller_id=turn.account)
    if record.decided_by != ENGINE or record.outcome != "deny":
        turn.convo.clear()
        return [turn.reply("appeal_final", why=turn.t("appeal_why_reviewed" if record.decided_by != ENGINE else "appeal_why_not_denied"))]
    try:
        case = open_case(turn.session, kind="claim_review", decision_id=record.id, opened_at=turn.now,
                         opened_by=f"seller:{turn.account}", statement=statement)
    except CaseExists as exc:
        turn.convo.clear()
        return [turn.reply("appeal_exists", case_id=exc.existing_id)]
    turn.convo.finish(kind="claim_review", decision_id=record.id, case_id=case.case_id)
    return [turn.reply("claim_review_opened", claim_id=data["claim_id"], case_id=case.case_id)]


def report(turn: Turn, _arg: str = "") -> list[Reply]:
    """/report: the seller's return rates over the last months, as a summary and a chart."""
    since = turn.now.date() - timedelta(days=REPORT_DAYS)
    built = returns_report.build(turn.session, turn.live.current, seller_id=turn.account, since=since)
    stats = built.stats
    units, returned = sum(stats.units.values()), sum(stats.returns.values())
    if not units and not returned:
        return [turn.reply("report_none", since=since.isoformat())]
    reasons: dict[str, int] = {}
    for (_, reason), count in stats.returns_by_reason.items():
        reasons[reason] = reasons.get(reason, 0) + count
    top_reason = max(sorted(reasons), key=reasons.get) if reasons else None
    top = stats.top_refunded[0] if stats.top_refunded else None
    summary = turn.t("report_summary", since=since.isoformat(), returns=returned, units=units,
                     rate=ratio(returns_report.rate(returned, units)), reason=turn.label(top_reason) if top_reason else "-",
                     product=f"{top[2]} ({money(top[4])})" if top else "-", changed=built.replayed.changed,
                     total=built.replayed.total)
    return [Reply(summary, attachment=Attachment("returns.png", returns_report.chart(built), "photo"))]


def owed(turn: Turn, _arg: str = "") -> list[Reply]:
    """/owed, "what am I owed": the total the claim finder says the seller can still claim, and the soonest deadline."""
    found = find_for_seller(turn.session, turn.live.current, seller_id=turn.account, as_of=turn.now)
    soonest = found.soonest
    if soonest is None:
        return [turn.reply("owed_none")]
    return [turn.reply("owed_summary", count=len(found.claimable), total=money(found.total), deadline=soonest.deadline.isoformat(),
                       days_left=turn.t("days_left", count=soonest.days_left), refund_id=soonest.refund_id, product=soonest.product_name)]


def choose_refund(turn: Turn, choice: dict) -> list[Reply]:
    """A refund (new claim), an open claim (more evidence, or decided again) or a denial to review was chosen."""
    if "review" in choice:
        return start_review(turn, choice["review"])
    if "claim" in choice:
        try:
            claim = seller_claim(turn.session, seller_id=turn.account, claim_id=choice["claim"])
        except NotFound:
            turn.convo.clear()
            return [turn.reply("not_found", what="claim", id=choice["claim"])]
        if claim.status not in OPEN_STATUSES:
            turn.convo.clear()
            return [turn.reply("claim_closed", claim_id=claim.claim_id)]
        turn.convo.remember(claim_id=claim.claim_id, refund_id=claim.refund_id, reason=claim.reason, evidence=list(claim.evidence),
                            photos=[], tracking=[])
        if claim.status == "pending":  # refused as too early: decide it again now
            return _submit(turn)
        return _ask_evidence(turn)
    try:
        refund = seller_refund(turn.session, seller_id=turn.account, refund_id=choice["refund"])
    except NotFound:
        turn.convo.clear()
        return [turn.reply("not_found", what="refund", id=choice["refund"])]
    if refund.claim_id:
        turn.convo.clear()
        view = seller_claim(turn.session, seller_id=turn.account, claim_id=refund.claim_id)
        return [turn.reply("claim_already", refund_id=refund.refund_id, claim_id=refund.claim_id, decision_id=view.decision_id or "-")]
    turn.convo.remember(refund_id=refund.refund_id, product=refund.product_name, evidence=[], photos=[], tracking=[])
    options = [(turn.label(reason), reason) for reason in CLAIM_REASONS]
    return [turn.reply("claim_choose_reason", turn.convo.offer("reason", options), refund_id=refund.refund_id,
                       product=refund.product_name)]


def choose_reason(turn: Turn, reason: str) -> list[Reply]:
    """The claim's reason was chosen: collect evidence."""
    turn.convo.remember(reason=reason)
    return _ask_evidence(turn)


def _ask_evidence(turn: Turn) -> list[Reply]:
    data = turn.convo.data
    spec = turn.policy.claims.reasons.get(data["reason"])
    needed = ", ".join(turn.label(e) for e in spec.evidence) if spec and spec.evidence else turn.t("evidence_none")
    have = sorted(set(data["evidence"]))
    added = ", ".join(turn.label(e) + (f" x{len(data['photos'])}" if e == "photo" and len(data["photos"]) > 1 else "")
                      for e in have) or turn.t("evidence_none")
    options = [((turn.t(f"button_{kind}") + (" ✓" if kind in have else "")), {"toggle": kind}) for kind in TOGGLED_EVIDENCE]
    options += [(turn.t("button_submit"), {"submit": True}), (turn.t("button_cancel"), {"cancel": True})]
    return [turn.reply("claim_evidence", turn.convo.offer("evidence", options, columns=2), reason=turn.label(data["reason"]),
                       needed=needed, added=added)]


def evidence_step(turn: Turn, choice: dict) -> list[Reply]:
    """A button on the evidence prompt: toggle tracking/signature, submit, or cancel."""
    if choice.get("cancel"):
        turn.convo.clear()
        return [turn.reply("cancelled")]
    if choice.get("toggle") == "tracking" and "tracking" not in turn.convo.data["evidence"]:
        turn.convo.ask("tracking")
        return [turn.reply("claim_tracking_ask")]
    if "toggle" in choice:
        evidence = set(turn.convo.data["evidence"]) ^ {choice["toggle"]}
        turn.convo.remember(evidence=sorted(evidence))
        return _ask_evidence(turn)
    return _submit(turn)


def tracking_step(turn: Turn, text: str) -> list[Reply]:
    """A typed tracking number, checked for a plausible format; an open claim is then decided again at once."""
    number = tracking_number(text)
    if number is None:
        return [turn.reply("claim_tracking_bad", number=text.strip()[:40])]
    data = turn.convo.data
    turn.convo.remember(evidence=sorted(set(data["evidence"]) | {"tracking"}), tracking=[*data.get("tracking", []), number])
    added = [turn.reply("claim_tracking_added", number=number)]
    if data.get("claim_id"):
        return added + _submit(turn)
    return added + _ask_evidence(turn)


def add_photo(turn: Turn, photo: Photo) -> list[Reply]:
    """A photo sent while evidence is collected counts as photo evidence."""
    if turn.convo.flow != "claim" or turn.convo.step != "evidence":
        return [turn.reply("claim_photo_unexpected")]
    data = turn.convo.data
    photos = [p for p in data["photos"] if p["unique_id"] != photo.unique_id] + [{"file_id": photo.file_id, "unique_id": photo.unique_id}]
    turn.convo.remember(photos=photos, evidence=sorted(set(data["evidence"]) | {"photo"}))
    added = [turn.reply("claim_photo_added", count=len(photos))]
    if data.get("claim_id"):  # evidence added later to an open claim: decide it again at once
        return added + _submit(turn)
    return added + _ask_evidence(turn)


def _submit(turn: Turn) -> list[Reply]:
    data = turn.convo.data
    facts = claim_facts_for(turn.session, refund_id=data["refund_id"], reason=data["reason"], evidence=data["evidence"], as_of=turn.now)
    decision = turn.live.decide_claim(facts)
    record = decision_record(decision, channel=turn.service.channel, decided_at=turn.now)
    # The photos are kept with the decision that weighed them (the claim row stores evidence kinds).
    record = replace(record, result={**record.result, "evidence_files": [p["file_id"] for p in data["photos"]],
                                     "tracking_numbers": list(data.get("tracking", []))})
    try:
        if data.get("claim_id"):
            recorded = reassess_claim(turn.session, claim_id=data["claim_id"], evidence=data["evidence"], decision=record)
        else:
            recorded = file_claim(turn.session, refund_id=data["refund_id"], reason=data["reason"], evidence=data["evidence"],
                                  filed_at=turn.now, decision=record)
    except ClaimExists as exc:
        turn.convo.clear()
        return [turn.reply("claim_already", refund_id=data["refund_id"], claim_id=exc.existing_id, decision_id=exc.decision_id or "-")]
    except StoreError as exc:
        if data.get("claim_id") and "already been decided" in str(exc):
            turn.convo.clear()
            return [turn.reply("claim_closed", claim_id=data["claim_id"])]
        raise
    turn.convo.finish(kind="claim", decision_id=recorded.decision_id, claim_id=recorded.claim_id)
    later = _offer_again(turn, record, recorded, data["refund_id"])
    more = _keep_collecting(turn, recorded, data) if recorded.status == "needs_evidence" else []
    outcome = decision.outcome
    headline = {"approve": "headline_approve", "needs_evidence": "headline_needs_evidence"}.get(outcome, "headline_claim_deny")
    nxt = {"approve": "next_claim_approve", "needs_evidence": "next_claim_needs_evidence"}.get(outcome, "next_claim_deny")
    if later:  # refused for now, not for good: no "contact support", just the date
        nxt = "next_claim_too_early"
    missing = " and ".join(turn.label(e) for e in decision.details.get("missing_evidence", []))
    return [turn.reply(
        "decision_claim", headline=turn.t(headline), reimbursement=money(decision.amounts["reimbursement"]),
        explanation=to_the_seller(without_rule_id(decision.explanation)),
        next=turn.t(nxt, missing=missing, days=decision.details.get("days_left_to_file", 0)) + (" " + later if later else ""),
        claim_id=recorded.claim_id, decision_id=recorded.decision_id, policy_version=decision.policy_version,
    )] + more


def _offer_again(turn: Turn, record, recorded, refund_id: str) -> str:
    """A claim refused as too early: queue a message for the day it becomes eligible (in this transaction)."""
    when = eligible_on(turn, record)
    if recorded.status != "pending" or when is None:
        return ""
    notify(turn.session, role="seller", account_id=turn.account, key=f"claim-eligible:{recorded.claim_id}:{when.isoformat()}",
           text=turn.t("notify_claim_eligible", claim_id=recorded.claim_id, refund_id=refund_id, date=when.isoformat()),
           now=turn.now, not_before=day_start(when))
    return turn.t("claim_eligible_later", date=when.isoformat())


def _keep_collecting(turn: Turn, recorded, data) -> list[Reply]:
    """Still missing evidence: stay on the claim, so the next photo or tracking number decides it again."""
    turn.convo.start("claim", claim_id=recorded.claim_id, refund_id=data["refund_id"], reason=data["reason"],
                     evidence=list(data["evidence"]), photos=list(data["photos"]), tracking=list(data.get("tracking", [])))
    return _ask_evidence(turn)


STEPS = {"refund": choose_refund, "reason": choose_reason, "evidence": evidence_step, "tracking": tracking_step}
REVIEW_STEPS = {"why": review_why}
