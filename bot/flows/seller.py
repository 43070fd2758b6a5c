"""The seller's flows: reward tier, refunds on their orders, claims, and filing a claim with evidence."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from policy.vocabulary import CLAIM_REASONS, NOT_ELIGIBLE
from rules.text import ratio
from store import (
    ClaimExists, NotFound, StoreError, claim_facts, claimable_refunds, file_claim, log_decision, reassess_claim, seller_claim,
    seller_claims, seller_refund, seller_refunds, tier_facts, weekly_tier_counts,
)

from ..charts import Thresholds, WeekPoint, tier_chart
from ..format import button_label, day, money
from ..markup import Html
from ..messages import Attachment, Photo, Reply
from ..records import decision_record
from .turn import Turn
from .wording import rule_description, to_the_seller, without_rule_id

OPEN_STATUSES = ("needs_evidence", "pending")
TOGGLED_EVIDENCE = ("tracking", "signature")
LISTED = 15


def tier(turn: Turn, _arg: str = "") -> list[Reply]:
    """/tier: decide the seller's tier from their own records over the policy's window."""
    rewards = turn.policy.rewards
    as_of = turn.now.date()
    facts = tier_facts(turn.session, seller_id=turn.account, as_of=as_of, window_days=rewards.window_days)
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
        vtr=ratio(d["vtr"]), min_vtr=ratio(rewards.min_vtr), vtr_mark=mark(d["vtr"], rewards.min_vtr),
        aprl=ratio(d["aprl"]), min_aprl=ratio(rewards.min_aprl), aprl_mark=mark(d["aprl"], rewards.min_aprl),
        cpu=ratio(d["cpu"]),
        tier=turn.label(d["tier"]), discount=f"{float(decision.amounts['discount']) * 100:.0f}%",
        fee=money(decision.amounts["fee_per_unit"], exact=True),
        explanation=without_rule_id(decision.explanation), advice="\n".join(f"- {step}" for step in d["advice"]),
        decision_id=decision_id, policy_version=decision.policy_version,
    ), attachment=_tier_chart(turn, as_of))]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _tier_chart(turn: Turn, as_of) -> Attachment:
    """VTR, APRL and CPU week by week over the policy's window, and the tier the engine gives at each week's end."""
    rewards = turn.policy.rewards
    points = []
    for week in weekly_tier_counts(turn.session, seller_id=turn.account, as_of=as_of, window_days=rewards.window_days):
        c, last_day = week.counts, (week.end - timedelta(days=1)).date()
        trailing = tier_facts(turn.session, seller_id=turn.account, as_of=last_day, window_days=rewards.window_days)
        tier_then = turn.live.decide_tier(trailing).details["tier"]
        points.append(WeekPoint(last_day, _share(c["valid_tracking"], c["shipments"]), _share(c["prepaid_label_returns"], c["returns"]),
                                _share(c["contacts"], c["units"]), turn.label(tier_then)))
    thresholds = Thresholds(
        min_vtr=float(rewards.min_vtr), min_aprl=float(rewards.min_aprl),
        tier_max_cpu=tuple((turn.label(t.name), None if t.max_cpu is None else float(t.max_cpu)) for t in rewards.tiers),
        tier_order=(turn.label(NOT_ELIGIBLE), *(turn.label(t.name) for t in reversed(rewards.tiers))))
    png = tier_chart(points, thresholds, title=turn.t("tier_chart_title", window=rewards.window_days, as_of=as_of.isoformat()))
    return Attachment(f"tier-{turn.account}-{as_of.isoformat()}.png", png, "photo")


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
        return [views]
    lines = [turn.t("refunds_header")]
    for v in views:
        claim = turn.t("refunds_claim", claim_id=v.claim_id, status=turn.label(v.claim_status)) if v.claim_id else ""
        lines.append(turn.t("refunds_line", refund_id=v.refund_id, product=v.product_name, order=v.order_id, amount=money(v.amount),
                            date=day(v.issued_at), reason=turn.label(v.return_reason) if v.return_reason else turn.t("refunds_no_reason"),
                            return_status=_return_status(turn, v), decision=_decision_words(turn, v), claim=claim))
    return [Reply(Html("\n").join(lines))]


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
    return [Reply("\n".join(lines))]


def start_claim(turn: Turn, refund_id: str = "") -> list[Reply]:
    """/claim [REFUND]: offer claimable refunds (with deadlines) and claims waiting for evidence."""
    turn.convo.start("claim")
    if refund_id.strip():
        return choose_refund(turn, {"refund": refund_id.strip()})
    window = turn.policy.claims.filing_window_days
    claimable = claimable_refunds(turn.session, seller_id=turn.account, as_of=turn.now, filing_window_days=window)
    open_claims = [c for c in seller_claims(turn.session, seller_id=turn.account, limit=50) if c.status in OPEN_STATUSES]
    options = [(button_label(c.refund.product_name, money(c.refund.amount)), {"refund": c.refund.refund_id}) for c in claimable]
    options += [(button_label(turn.t("claim_open_button", reason=turn.label(c.reason))), {"claim": c.claim_id}) for c in open_claims]
    if not options:
        turn.convo.clear()
        return [turn.reply("claim_none")]
    lines = [turn.t("claim_refund_line", product=c.refund.product_name, amount=money(c.refund.amount),
                    deadline=c.deadline.isoformat(), days=c.days_left) for c in claimable]
    lines += [turn.t("claim_open_line", claim_id=c.claim_id, reason=turn.label(c.reason)) for c in open_claims]
    return [turn.reply("claim_choose_refund", turn.convo.offer("refund", options), lines=Html("\n").join(lines))]


def choose_refund(turn: Turn, choice: dict) -> list[Reply]:
    """A refund (new claim) or an open claim (more evidence) was chosen."""
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
                            photos=[])
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
    turn.convo.remember(refund_id=refund.refund_id, product=refund.product_name, evidence=[], photos=[])
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
    if "toggle" in choice:
        evidence = set(turn.convo.data["evidence"]) ^ {choice["toggle"]}
        turn.convo.remember(evidence=sorted(evidence))
        return _ask_evidence(turn)
    return _submit(turn)


def add_photo(turn: Turn, photo: Photo) -> list[Reply]:
    """A photo sent while evidence is collected counts as photo evidence."""
    if turn.convo.flow != "claim" or turn.convo.step != "evidence":
        return [turn.reply("claim_photo_unexpected")]
    data = turn.convo.data
    photos = [p for p in data["photos"] if p["unique_id"] != photo.unique_id] + [{"file_id": photo.file_id, "unique_id": photo.unique_id}]
    turn.convo.remember(photos=photos, evidence=sorted(set(data["evidence"]) | {"photo"}))
    return [turn.reply("claim_photo_added", count=len(photos))] + _ask_evidence(turn)


def _submit(turn: Turn) -> list[Reply]:
    data = turn.convo.data
    facts = claim_facts(turn.session, refund_id=data["refund_id"], reason=data["reason"], evidence=data["evidence"], as_of=turn.now)
    decision = turn.live.decide_claim(facts)
    record = decision_record(decision, channel=turn.service.channel, decided_at=turn.now)
    # The photos are kept with the decision that weighed them (the claim row stores evidence kinds).
    record = replace(record, result={**record.result, "evidence_files": [p["file_id"] for p in data["photos"]]})
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
    outcome = decision.outcome
    headline = {"approve": "headline_approve", "needs_evidence": "headline_needs_evidence"}.get(outcome, "headline_claim_deny")
    nxt = {"approve": "next_claim_approve", "needs_evidence": "next_claim_needs_evidence"}.get(outcome, "next_claim_deny")
    missing = " and ".join(turn.label(e) for e in decision.details.get("missing_evidence", []))
    return [turn.reply(
        "decision_claim", headline=turn.t(headline), reimbursement=money(decision.amounts["reimbursement"]),
        explanation=to_the_seller(without_rule_id(decision.explanation)), next=turn.t(nxt, missing=missing, days=decision.details.get("days_left_to_file", 0)),
        claim_id=recorded.claim_id, decision_id=recorded.decision_id, policy_version=decision.policy_version,
    )]


STEPS = {"refund": choose_refund, "reason": choose_reason, "evidence": evidence_step}
