"""Answering what people write in their own words: the intent (bot.intent) decides which flow or reply."""
from __future__ import annotations

from typing import Callable

from ..intent import Intent
from ..messages import Reply
from . import buyer, common
from .turn import Turn

Handler = Callable[[Turn, str], list[Reply]]
COMMAND_INTENTS = ("status", "tier", "refunds", "claims", "claim", "owed")


def answer(turn: Turn, message: str, intent: Intent, commands: dict[str, Handler]) -> list[Reply]:
    """The reply to a sentence outside any prompt; `commands` are the person's command handlers by name."""
    if intent.name == "refund" and turn.role == "buyer":
        return buyer.start_from_sentence(turn, message, intent.reason)
    if intent.name in COMMAND_INTENTS and intent.name in commands:
        return commands[intent.name](turn, "")
    if intent.name == "out_of_scope":
        return common.out_of_scope(turn, intent.topic)
    if intent.name == "help":
        return common.show_help(turn)
    if intent.name == "cancel":
        return common.cancel(turn)
    if intent.name == "thanks":
        return [turn.reply("you_are_welcome")]
    return common.unknown(turn)
