"""The admin's commands: which policy is in force, and reloading it."""
from __future__ import annotations

from ..messages import Reply
from ..texts import text
from .common import policy_summary
from .turn import Turn

MAX_ERROR_TEXT = 3500  # Telegram messages hold 4096 characters


def error_lines(errors: tuple[str, ...]) -> str:
    """The errors, one per line, cut to fit one chat message."""
    shown, used = [], 0
    for i, line in enumerate(errors):
        if used + len(line) > MAX_ERROR_TEXT:
            shown.append(f"... and {len(errors) - i} more (see the log)")
            break
        shown.append(line)
        used += len(line) + 1
    return "\n".join(shown)


def policy(turn: Turn, _arg: str = "") -> list[Reply]:
    """/policy: the version in force and its summary."""
    compiled = turn.live.current
    return [turn.reply("policy_version", version=compiled.version,
                       summary=compiled.summary() + "\n\n" + policy_summary(compiled.policy, turn.lang))]


def reload(turn: Turn, _arg: str = "") -> list[Reply]:
    """/reload: reload the policy file; a bad file keeps the old policy and the reply lists the errors."""
    result = turn.service.runtime.reload("admin")
    if not result.ok:
        return [turn.reply("reload_failed", version=result.version, errors=error_lines(result.errors))]
    if not result.changed:
        return [turn.reply("reload_unchanged", version=result.version)]
    return [turn.reply("reload_ok", previous=result.previous, version=result.version, ms=f"{result.seconds * 1000:.0f}")]


def reload_notice(result) -> str:
    """The message admins get when a reload they did not ask for in the chat (file edit, SIGHUP) fails."""
    return text("en", "reload_failed_notice", trigger=result.trigger, version=result.version, errors=error_lines(result.errors))
