"""The bot's command menu (Telegram's setMyCommands): each role's commands, described in each language."""
from __future__ import annotations

from .texts import LANGUAGES, text

# In menu order; a role's menu lists those of its commands that are here.
MENU_ORDER = ("refund", "status", "label", "tier", "refunds", "claims", "claim", "owed", "report", "queue", "case", "policy", "reload", "decision",
              "language", "help", "cancel")
PUBLIC_MENU = ("start", "language", "help")


def menu(role: str | None, lang: str) -> list[tuple[str, str]]:
    """(command, description) for `role` (None: not linked yet) in `lang`."""
    from .service import COMMANDS, PUBLIC  # the command tables; imported late, as the service imports the flows

    table = COMMANDS.get(role, PUBLIC) if role else PUBLIC
    names = PUBLIC_MENU if role is None else [name for name in MENU_ORDER if name in table]
    return [(name, str(text(lang, f"cmd_{name}"))) for name in names]
