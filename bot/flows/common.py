"""What everyone can do: /start (with an invite code), /help, /cancel, the public policy summary, decisions."""
from __future__ import annotations

from datetime import date

from policy import Policy
from policy.model import at
from store import NotFound, get_decision, redeem_invite
from store.models import Buyer, Seller

from ..format import day, money
from ..markup import Html
from ..messages import Reply
from ..texts import language_of, text
from .turn import Turn
from .wording import rule_description, without_rule_id


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
        shown = turn.t("help_unlinked", summary=policy_summary(turn.policy, turn.lang))
    else:
        shown = turn.t(f"help_{turn.role}")
    return shown + ("\n\n" + turn.t("help_terminal") if turn.service.channel == "terminal" else "")


def start(turn: Turn, code: str) -> list[Reply]:
    """/start: link the chat with an invite code, or greet."""
    if code:
        try:
            identity = redeem_invite(turn.session, code=code, telegram_user_id=turn.incoming.user_id, now=turn.now)
        except NotFound:
            return [turn.reply("link_failed")]
        turn.identity = identity
        turn.convo.clear()
        linked = turn.t(f"linked_{identity.role}", name=account_name(turn))
        return [Reply(linked + "\n\n" + help_text(turn), menu=(identity.role, turn.lang))]
    if turn.role is None:
        return [turn.reply("welcome_unlinked", summary=policy_summary(turn.policy, turn.lang))]
    welcome = turn.t(f"welcome_{turn.role}", name=account_name(turn))
    return [Reply(welcome + "\n\n" + help_text(turn), menu=(turn.role, turn.lang))]


def account_name(turn: Turn) -> str:
    """The name of the buyer or seller the chat is linked to (people read names, not ids); an agent's is their id."""
    if turn.role == "agent":
        return turn.account or ""
    model = {"buyer": Buyer, "seller": Seller}.get(turn.role)
    row = turn.session.get(model, turn.account) if model is not None and turn.account else None
    return row.name if row is not None else ""


def show_help(turn: Turn, _arg: str = "") -> list[Reply]:
    """/help."""
    return [Reply(help_text(turn))]


def cancel(turn: Turn, _arg: str = "") -> list[Reply]:
    """/cancel: drop the flow in progress."""
    return [turn.reply("cancelled" if turn.convo.clear() else "nothing_to_cancel")]


def unknown(turn: Turn) -> list[Reply]:
    """Input the bot can't place: say what it can do."""
    return [turn.reply("unknown", help=help_text(turn))]


LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def language(turn: Turn, code: str = "") -> list[Reply]:
    """/language [en|es|auto]: choose the language I answer in (by default, the one Telegram says)."""
    code = code.strip().lower()
    if code:
        return choose_language(turn, code)
    turn.convo.start("language")
    options = [(name, lang) for lang, name in LANGUAGE_NAMES.items()] + [(turn.t("language_auto"), "auto")]
    return [turn.reply("language_choose", turn.convo.offer("choose", options, columns=2),
                       current=LANGUAGE_NAMES.get(turn.lang, turn.lang))]


def choose_language(turn: Turn, code: str) -> list[Reply]:
    """Set (or, with `auto`, forget) the person's language, and answer in it."""
    turn.convo.clear()
    if code not in (*LANGUAGE_NAMES, "auto"):
        return [turn.reply("language_unknown", code=code, choices=", ".join(sorted(LANGUAGE_NAMES)))]
    turn.convo.prefer(lang=None if code == "auto" else code)
    turn.lang = code if code != "auto" else language_of(turn.incoming.language)
    key = "language_set_auto" if code == "auto" else "language_set"
    return [Reply(turn.t(key, language=LANGUAGE_NAMES[turn.lang]), menu=(turn.role, turn.lang) if turn.role else None)]


LANGUAGE_STEPS = {"choose": choose_language}


def out_of_scope(turn: Turn, topic: str | None) -> list[Reply]:
    """Something the bot can't do (a double charge, cancelling an order, ...): say so, and what it can do."""
    return [Reply(turn.t(f"cant_help_{topic}") + "\n\n" + help_text(turn))]


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
    amounts = Html("").join(turn.t(f"amount_{name}", amount=money(value))
                            for name, value in (("refund_amount", record.refund_amount), ("fee", record.fee),
                                                ("reimbursement", record.reimbursement)) if value is not None)
    if record.kind == "refund":  # the buyer's: the rule in words, no codes
        rule = turn.t("decision_detail_rule", rule=rule_description(turn, record.rule))
        ids = turn.t("ids_line", decision_id=record.id, policy_version=record.policy_version)
    else:
        rule, ids = "", turn.t("ids_line_rule", decision_id=record.id, rule=record.rule, policy_version=record.policy_version)
    return [turn.reply("decision_detail", what=turn.t(f"kind_{record.kind}"), date=day(record.decided_at),
                       outcome=turn.label(record.outcome), amounts=amounts, explanation=without_rule_id(record.explanation),
                       rule=rule, ids=ids)]
