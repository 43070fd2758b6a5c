"""One update being handled: the session, the person, their conversation, their language."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from store import Identity

from ..conversation import Conversation
from ..messages import Button, Incoming, Reply
from ..texts import has_text, label, text

if TYPE_CHECKING:
    from ..service import ChatService


@dataclass
class Turn:
    """Everything a flow step needs; flows return the replies."""

    service: "ChatService"
    session: Session
    incoming: Incoming
    identity: Identity | None
    convo: Conversation
    lang: str
    now: datetime

    @property
    def role(self) -> str | None:
        """buyer, seller, admin, or None when the chat is not linked."""
        return self.identity.role if self.identity else None

    @property
    def account(self) -> str | None:
        """The buyer or seller id the chat acts for."""
        return self.identity.account_id if self.identity else None

    @property
    def live(self):
        """The policy in force (rules.live.LivePolicy)."""
        return self.service.runtime.live

    @property
    def policy(self):
        """The validated Policy in force."""
        return self.service.runtime.live.current.policy

    def t(self, key: str, **values: Any) -> str:
        """A text in the person's language, in the wording for their transport where it has one (`choose_number_terminal`)."""
        variant = f"{key}_{self.service.channel}"
        return text(self.lang, variant if has_text(self.lang, variant) else key, **values)

    def label(self, code: str) -> str:
        """The label of a code in the person's language."""
        return label(self.lang, code)

    def reply(self, key: str, buttons: tuple[tuple[Button, ...], ...] = (), **values: Any) -> Reply:
        """A reply built from a text key."""
        return Reply(self.t(key, **values), buttons)
