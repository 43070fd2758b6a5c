"""What everyone can do: /start (with an invite code), /help, /cancel, the public policy summary, decisions."""
from __future__ import annotations

from datetime import date

from policy import Policy
from policy.model import at
from store import NotFound, get_decision, redeem_invite

from ..format import day, money
from ..messages import Reply
from ..texts import text
from .turn import Turn


def policy_summary(policy: Policy, lang: str) -> str:
    """The public summary of the return policy, generated from the policy in force."""
    r = policy.returns
    today = date.today()  # windows and thresholds may change on dates: the summary shows today's
    default_window = at(r.default_window_days, today)
    exceptions = ", ".join(f"{c.label} {at(c.window_days, today)}" for c in r.categories.values()
                           if c.returnable and at(c.window_days, today) != default_window)
    closed = [c.label for c in r.categories.values() if not c.returnable]
    names = ", ".join(closed[:-1]) + f" and {closed[-1]}" if len(closed) > 1 else "".join(closed)
    return text(
        lang, "policy_summary",
        default_window=default_window,
        window_exceptions=text(lang, "summary_windows", exceptions=exceptions) if exceptions else "",
        non_returnable=text(lang, "summary_non_returnable", categories=names[:1].upper() + names[1:]) if closed else "",
        returnless_max=money(at(r.returnless_max_price, today)),
        escalation_price=money(at(r.escalation_min_price, today)),
    )


def help_text(turn: Turn) -> str:
    """The help for the person's role (with the policy summary for people not linked yet)."""
    if turn.role is None:
        return turn.t("help_unlinked", summary=policy_summary(turn.policy, turn.lang))
    return turn.t(f"help_{turn.role}")


def start(turn: Turn, code: str) -> list[Reply]:
    """/start: link the chat with an invite code, or greet."""
    if code:
        try:
            identity = redeem_invite(turn.session, code=code, telegram_user_id=turn.incoming.user_id, now=turn.now)
        except NotFound:
            return [turn.reply("link_failed")]
        turn.identity = identity
        turn.convo.clear()
        return [Reply(turn.t("linked", role=identity.role, account=identity.account_id or "") + "\n\n" + help_text(turn))]
    if turn.role is None:
        return [turn.reply("welcome_unlinked", summary=policy_summary(turn.policy, turn.lang))]
    welcome = turn.t(f"welcome_{turn.role}", account=turn.account or "")
    return [Reply(welcome + "\n\n" + help_text(turn))]


def show_help(turn: Turn, _arg: str = "") -> list[Reply]:
    """/help."""
    return [Reply(help_text(turn))]


def cancel(turn: Turn, _arg: str = "") -> list[Reply]:
    """/cancel: drop the flow in progress."""
    return [turn.reply("cancelled" if turn.convo.clear() else "nothing_to_cancel")]


def unknown(turn: Turn) -> list[Reply]:
    """Input the bot can't place: say what it can do."""
    return [turn.reply("unknown", help=help_text(turn))]


def decision(turn: Turn, decision_id: str) -> list[Reply]:
    """/decision ID: one of the person's own decisions in full (admins see any)."""
    decision_id = decision_id.strip()
    if not decision_id:
        return [Reply(help_text(turn))]
    owner = {"buyer_id": turn.account} if turn.role == "buyer" else {"seller_id": turn.account} if turn.role == "seller" else {}
    try:
        record = get_decision(turn.session, decision_id=decision_id, **owner)
        # A claim is between the seller and the marketplace: its decision names the buyer of the
        # order, but it is not the buyer's to read.
        if turn.role == "buyer" and record.kind != "refund":
            raise NotFound(decision_id)
    except NotFound:
        return [turn.reply("not_found", what="decision", id=decision_id)]
    amounts = "".join(f"{name.replace('_', ' ').capitalize()}: {money(value)}\n"
                      for name, value in (("refund_amount", record.refund_amount), ("fee", record.fee),
                                          ("reimbursement", record.reimbursement)) if value is not None)
    return [turn.reply("decision_detail", decision_id=record.id, kind=record.kind, date=day(record.decided_at),
                       outcome=turn.label(record.outcome), reason=record.reason, rule=record.rule,
                       policy_version=record.policy_version, amounts=amounts, explanation=record.explanation)]
