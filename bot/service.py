"""The chat as a transport-free service: an Incoming update in, replies out.

Each update is handled in one write transaction: the processed-update mark (so a redelivered
Telegram update is handled once), the conversation state (read at the start, saved with an
optimistic version check at the end), and any decision with the refund or claim it creates. If
anything fails the transaction rolls back and the person gets an apology with a reference.
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.orm import Session

from store import (
    DECISIONS_NOTED, Identity, StaleState, Store, UpdateStart, list_identities, mark_sent, save_conversation, start_update,
    take_for_recipient,
)

from . import metrics
from .config import DeskConfig, LimitsConfig
from .logs import current_update
from .conversation import Conversation
from .flows import admin, agent, buyer, common, labels, seller, words
from .flows.turn import Turn
from .intent import understand
from .labels import LabelProvider, LocalPdfLabels
from .messages import Incoming, Reply
from .notify import recipient_of
from .texts import language_of, text

log = logging.getLogger("refundbot.bot")

# Commands by role; an unlinked chat only has the public ones.
PUBLIC = {"start": common.start, "help": common.show_help, "cancel": common.cancel, "language": common.language}
COMMANDS = {
    "buyer": {**PUBLIC, "refund": buyer.start_refund, "status": buyer.status, "decision": common.decision,
              "label": labels.label},
    "seller": {**PUBLIC, "tier": seller.tier, "refunds": seller.refunds, "claims": seller.claims, "claim": seller.start_claim,
               "owed": seller.owed, "report": seller.report,
               "decision": common.decision},
    "admin": {**PUBLIC, "policy": admin.policy, "reload": admin.reload, "decision": common.decision, "queue": agent.queue,
              "case": agent.case},
    "agent": {**PUBLIC, "queue": agent.queue, "case": agent.case, "decision": common.decision},
}
ALL_COMMANDS = {name for table in COMMANDS.values() for name in table}
STEPS = {"refund": buyer.STEPS, "claim": seller.STEPS, "review": agent.STEPS, "appeal": buyer.APPEAL_STEPS,
         "claim_review": seller.REVIEW_STEPS, "language": common.LANGUAGE_STEPS}
OPEN_FLOWS = {"language"}  # flows a chat not linked yet may answer too
STALE_RETRIES = 3
GROUP_CHATS = ("group", "supergroup", "channel")

# Runs in the handling transaction with its replies, before the commit (the inbox mark, the outbox).
Finish = Callable[[Session, list[Reply]], None]


@dataclass
class _Handled:
    """What handling one update did, for its log line and the metrics."""

    kind: str
    decisions: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, kind, outcome, rule
    reference: str | None = None


def _kind_of(incoming: Incoming) -> str:
    if incoming.button is not None:
        return "button"
    if incoming.photo is not None:
        return "photo"
    return "command" if (incoming.text or "").lstrip().startswith("/") else "text"


class ChatService:
    """Handles updates from any transport against the store and the policy in force."""

    def __init__(self, store: Store, runtime, *, limits: LimitsConfig, channel: str = "telegram", desk: DeskConfig = DeskConfig(),
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 wallclock: Callable[[], float] = time.time, labels: LabelProvider | None = None):
        self.store = store
        self.labels = labels or LocalPdfLabels()
        self.runtime = runtime
        self.limits = limits
        self.desk = desk
        self.channel = channel
        self.clock = clock
        self._wallclock = wallclock  # epoch seconds for the shared rate limit (hosts agree on it, unlike monotonic)

    def handle(self, incoming: Incoming, *, identity: Identity | None = None, finish: Finish | None = None) -> list[Reply]:
        """Handle one update and return the replies; never raises for a person's input or a failing step.

        `identity` is for trusted transports (the terminal) that act for a known account;
        otherwise the chat's linked identity is looked up. `finish(session, replies)` runs in the
        handling transaction (the apology's own transaction when handling failed); only if even
        that cannot be written does `handle` raise, and the update stays in the inbox.
        """
        incoming, lang, notes, handled = self._prepare(incoming)
        token = current_update.set(incoming.update_id)
        started = time.perf_counter()
        try:
            replies = self._handle(incoming, identity, lang, notes, finish, handled)
        finally:
            current_update.reset(token)
        self._observe(incoming, handled, time.perf_counter() - started)
        return replies

    def handle_in(self, session: Session, incoming: Incoming, *, finish: Finish, start: UpdateStart | None = None,
                  now: datetime | None = None) -> Callable[[], None]:
        """Handle one update in the caller's write transaction (the webhook's, which stored the update in it).

        Unlike `handle` this raises on any failure (a conversation changed elsewhere included), with no apology
        and no retry: the caller rolls back and handles the update on its own (`handle`). `start` is the update's
        start (store.start_update with `start_keywords(incoming, now)`) when the caller's transaction made it already,
        `now` the time it used. Returns what to call once the caller's transaction committed (the update's log line
        and metrics)."""
        incoming, lang, notes, handled = self._prepare(incoming)
        token = current_update.set(incoming.update_id)
        started = time.perf_counter()
        try:
            replies = self._replies(session, incoming, None, lang, notes, now or self.clock(), handled, start)
            finish(session, replies)
        finally:
            current_update.reset(token)
        seconds = time.perf_counter() - started
        return lambda: self._observe(incoming, handled, seconds)

    def _prepare(self, incoming: Incoming) -> tuple[Incoming, str, list[Reply], "_Handled"]:
        """The update cut to the length limit, its language, the notes that go first, and its tally."""
        lang = language_of(incoming.language)
        notes = []
        if incoming.text and len(incoming.text) > self.limits.max_text_length:
            incoming = replace(incoming, text=incoming.text[: self.limits.max_text_length])
            notes.append(Reply(text(lang, "truncated", limit=self.limits.max_text_length)))
        return incoming, lang, notes, _Handled(_kind_of(incoming))

    def _handle(self, incoming: Incoming, identity: Identity | None, lang: str, notes: list[Reply], finish: Finish | None,
                handled: _Handled) -> list[Reply]:
        try:
            for _ in range(STALE_RETRIES):
                handled.decisions.clear()
                try:
                    return self._in_transaction(incoming, identity, lang, notes, finish, handled)
                except StaleState:  # another worker moved this conversation on: read it again
                    log.info("update %s: stale state (the conversation of user %s changed meanwhile); handling it again",
                             incoming.update_id, incoming.user_id)
                    metrics.observe_retry("stale_state")
                    continue
            raise StaleState(f"the conversation of user {incoming.user_id} kept changing")
        except Exception:
            handled.kind, handled.reference, handled.decisions = "failed", "E-" + secrets.token_hex(4).upper(), []
            log.exception("update %s from user %s failed (reference %s)", incoming.update_id, incoming.user_id,
                          handled.reference, extra={"reference": handled.reference})
            replies = [Reply(text(lang, "error", reference=handled.reference))]
            if finish is not None:
                with self.store.write() as session:
                    finish(session, replies)
            return replies

    def _in_transaction(self, incoming: Incoming, identity: Identity | None, lang: str, notes: list[Reply],
                        finish: Finish | None, handled: _Handled) -> list[Reply]:
        with self.store.write() as session:
            now = self.clock()  # decisions are stamped when made, not when the message was sent
            replies = self._replies(session, incoming, identity, lang, notes, now, handled)
            if finish is not None:
                finish(session, replies)
            return replies

    def start_keywords(self, incoming: Incoming, now: datetime) -> dict:
        """The keywords of store.start_update for an update handled at `now`: its processed mark, the shared rate
        limit (by the wall clock) of its person, whose identity and conversation it loads."""
        return {"update_id": incoming.update_id, "telegram_user_id": incoming.user_id, "processed_at": now,
                "now": self._wallclock(), "per_minute": self.limits.messages_per_minute}

    def _replies(self, session: Session, incoming: Incoming, identity: Identity | None, lang: str, notes: list[Reply],
                 now: datetime, handled: _Handled, start: UpdateStart | None = None) -> list[Reply]:
        # The processed mark, the shared rate limit, the identity and the conversation (one round trip on PostgreSQL).
        if start is None:
            start = start_update(session, **self.start_keywords(incoming, now))
        if not start.new:
            log.info("update %s was already handled; ignoring the redelivery", incoming.update_id)
            handled.kind = "duplicate"
            return []
        if start.rate != "ok":
            handled.kind = "rate_limited"
            # Strangers flooding a chat are told once; a trusted transport's person (the terminal) every time.
            return [Reply(text(lang, "rate_limited"))] if start.rate == "warn" or identity is not None else []
        linked, stored = start.identity, start.conversation
        convo = Conversation(stored.state, stored.version)
        lang = convo.prefs.get("lang") or lang  # a language chosen with /language beats Telegram's
        who = identity or linked
        turn = Turn(self, session, incoming, who, convo, lang, now)
        session.info[DECISIONS_NOTED] = decisions = []  # log_decision notes each decision written, for logs and metrics
        try:
            replies = self._dispatch(turn)
            if convo.changed:
                save_conversation(session, telegram_user_id=incoming.user_id, state=convo.state,
                                  expected_version=stored.version, now=now)
        finally:
            del session.info[DECISIONS_NOTED]
        handled.decisions = decisions
        return notes + replies

    def _observe(self, incoming: Incoming, handled: _Handled, seconds: float) -> None:
        metrics.observe_update(handled.kind, seconds)
        for _id, kind, outcome, rule in handled.decisions:
            metrics.observe_decision(kind, outcome, rule)
        decision_id = handled.decisions[-1][0] if handled.decisions else None
        log.info("update %s handled (%s) in %.1f ms", incoming.update_id, handled.kind, seconds * 1000, extra={
            "update_id": incoming.update_id, "kind": handled.kind, "decision_id": decision_id, "chat_id": incoming.chat_id,
            "reference": handled.reference or decision_id, "seconds": round(seconds, 6)})

    def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        if incoming.chat_type in GROUP_CHATS:
            # Orders, refunds and claims are private: never answer them where others read along.
            private = incoming.button is not None or (incoming.text or "").lstrip().startswith("/")
            return [turn.reply("private_only")] if private else []
        if incoming.button is not None:
            return self._button(turn, incoming.button)
        if incoming.photo is not None:
            return seller.add_photo(turn, incoming.photo) if turn.role == "seller" else [turn.reply("claim_photo_unexpected")]
        message = (incoming.text or "").strip()
        if message.startswith("/"):
            return self._command(turn, message)
        return self._sentence(turn, message)

    def _command(self, turn: Turn, message: str) -> list[Reply]:
        head, _, arg = message[1:].partition(" ")
        name = head.split("@", 1)[0].lower()  # /refund@RefundBot in groups
        table = COMMANDS.get(turn.role, PUBLIC)
        if name in table:
            return table[name](turn, arg.strip())
        if turn.role is not None and name in ALL_COMMANDS:
            return [turn.reply("not_allowed", help_hint=turn.t("help_hint"))]
        if turn.role is None and name in ALL_COMMANDS:
            return [turn.reply("link_first", command=name)]
        return common.unknown(turn)

    def _button(self, turn: Turn, data: str) -> list[Reply]:
        ok, value = turn.convo.pressed(data)
        if ok and (turn.role is not None or turn.convo.flow in OPEN_FLOWS) and turn.convo.flow in STEPS:
            return self._step(turn, value)
        if turn.convo.was_last_prompt(data):
            return [turn.reply("already_decided", decision_id=turn.convo.last.get("decision_id", "-"))]
        return [turn.reply("expired_button", help_hint=turn.t("help_hint"))]

    def _step(self, turn: Turn, value) -> list[Reply]:
        step = STEPS[turn.convo.flow].get(turn.convo.step)
        if step is None:
            turn.convo.clear()
            return [turn.reply("expired_button", help_hint=turn.t("help_hint"))]
        return step(turn, value)

    def _sentence(self, turn: Turn, message: str) -> list[Reply]:
        answering = (turn.role is not None or turn.convo.flow in OPEN_FLOWS) and turn.convo.flow in STEPS
        if answering and turn.convo.expects_text:
            return self._step(turn, message)
        if answering and turn.convo.waiting:
            ok, value = turn.convo.typed(message)
            if ok:
                return self._step(turn, value)
            if understand(message, turn.role).name == "cancel":  # "never mind" leaves the prompt
                return common.cancel(turn)
            return [turn.reply("choose_number", turn.convo.buttons())]
        return words.answer(turn, message, understand(message, turn.role), COMMANDS.get(turn.role, PUBLIC))

    def pending_messages(self, identity: Identity) -> list[Reply]:
        """Messages queued for this account that no chat delivered yet, marked delivered (the terminal shows them)."""
        if identity.role == "admin" or identity.account_id is None:
            return []
        owner = f"terminal:{identity.role}:{identity.account_id}"
        with self.store.write() as session:
            now = self.clock()
            taken = take_for_recipient(session, recipient=recipient_of(identity.role, identity.account_id), owner=owner, now=now)
            for message in taken:
                mark_sent(session, message_id=message.id, owner=owner, now=now)
        return [Reply(m.text) for m in taken]

    def admin_chats(self) -> list[int]:
        """Telegram user ids linked as admins (for reload notices)."""
        with self.store.read() as session:
            return [i.telegram_user_id for i in list_identities(session, role="admin")]

