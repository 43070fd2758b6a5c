"""The chat as a transport-free service: an Incoming update in, replies out.

Each update is handled in one write transaction: the processed-update mark (so a redelivered
Telegram update is handled once), the conversation state (read at the start, saved with an
optimistic version check at the end), and any decision with the refund or claim it creates. If
anything fails the transaction rolls back and the person gets an apology with a reference.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import replace
from datetime import datetime, timezone
from typing import Callable

from store import (
    Identity, StaleState, Store, get_identity, list_identities, load_conversation, mark_sent, mark_update_processed, save_conversation,
    take_for_recipient,
)

from .config import DeskConfig, LimitsConfig
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


class RateLimiter:
    """At most `per_minute` updates a person in any 60 seconds; the first refused one gets a warning."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    def check(self, user_id: int, now: float) -> str:
        """'ok', 'warn' (refused, tell them once) or 'drop' (refused, stay quiet)."""
        with self._lock:
            seen = self._seen.setdefault(user_id, deque())
            while seen and now - seen[0] >= 60:
                seen.popleft()
            if len(seen) < self.per_minute:
                seen.append(now)
                self._warned.discard(user_id)
                return "ok"
            if user_id in self._warned:
                return "drop"
            self._warned.add(user_id)
            if len(self._seen) > 10_000:  # forget people who have gone quiet
                for uid in [u for u, q in self._seen.items() if not q or now - q[-1] >= 60]:
                    self._seen.pop(uid, None)
            return "warn"


class ChatService:
    """Handles updates from any transport against the store and the policy in force."""

    def __init__(self, store: Store, runtime, *, limits: LimitsConfig, channel: str = "telegram", desk: DeskConfig = DeskConfig(),
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 monotonic: Callable[[], float] = time.monotonic, labels: LabelProvider | None = None):
        self.store = store
        self.labels = labels or LocalPdfLabels()
        self.runtime = runtime
        self.limits = limits
        self.desk = desk
        self.channel = channel
        self.clock = clock
        self._monotonic = monotonic
        self.limiter = RateLimiter(limits.messages_per_minute)

    def handle(self, incoming: Incoming, *, identity: Identity | None = None) -> list[Reply]:
        """Handle one update and return the replies; never raises for a person's input or a failing step.

        `identity` is for trusted transports (the terminal) that act for a known account;
        otherwise the chat's linked identity is looked up.
        """
        lang = language_of(incoming.language)
        verdict = self.limiter.check(incoming.user_id, self._monotonic())
        if verdict != "ok":
            # Strangers flooding a chat are told once; a trusted transport's person (the terminal) every time.
            return [Reply(text(lang, "rate_limited"))] if verdict == "warn" or identity is not None else []
        notes = []
        if incoming.text and len(incoming.text) > self.limits.max_text_length:
            incoming = replace(incoming, text=incoming.text[: self.limits.max_text_length])
            notes.append(Reply(text(lang, "truncated", limit=self.limits.max_text_length)))
        try:
            for _ in range(STALE_RETRIES):
                try:
                    return notes + self._in_transaction(incoming, identity, lang)
                except StaleState:
                    continue  # another worker moved this conversation on: read it again
            raise StaleState(f"the conversation of user {incoming.user_id} kept changing")
        except Exception:
            reference = "E-" + secrets.token_hex(4).upper()
            log.exception("update %s from user %s failed (reference %s)", incoming.update_id, incoming.user_id, reference)
            return [Reply(text(lang, "error", reference=reference))]

    def _in_transaction(self, incoming: Incoming, identity: Identity | None, lang: str) -> list[Reply]:
        with self.store.write() as session:
            now = self.clock()  # decisions are stamped when made, not when the message was sent
            if incoming.update_id is not None and not mark_update_processed(session, update_id=incoming.update_id, processed_at=now):
                log.info("update %s was already handled; ignoring the redelivery", incoming.update_id)
                return []
            stored = load_conversation(session, telegram_user_id=incoming.user_id)
            convo = Conversation(stored.state, stored.version)
            lang = convo.prefs.get("lang") or lang  # a language chosen with /language beats Telegram's
            who = identity or get_identity(session, telegram_user_id=incoming.user_id)
            turn = Turn(self, session, incoming, who, convo, lang, now)
            replies = self._dispatch(turn)
            if convo.changed:
                save_conversation(session, telegram_user_id=incoming.user_id, state=convo.state,
                                  expected_version=stored.version, now=now)
            return replies

    def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
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

