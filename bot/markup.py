"""Replies are Telegram HTML: templates carry the tags, every value put into them is escaped once.

`Html` marks text that is already HTML (a filled template), so building one reply out of others
never escapes twice. The terminal shows replies as plain text (`plain`).
"""
from __future__ import annotations

import html
import re
from typing import Any

_TAG = re.compile(r"</?(?:b|i|u|s|code|pre)>")


class Html(str):
    """Text that is already HTML: safe to send with parse_mode HTML, not to be escaped again."""

    __slots__ = ()

    def __add__(self, other: str) -> "Html":
        return Html(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> "Html":
        return Html(str.__add__(escape(other), self))

    def join(self, parts) -> "Html":  # noqa: D102 (str.join, escaping plain parts)
        return Html(str.join(self, (escape(part) for part in parts)))


def escape(value: Any) -> Html:
    """`value` as HTML: Html unchanged, anything else escaped (`<`, `>`, `&`)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=False))


def fill(template: str, values: dict[str, Any]) -> Html:
    """The HTML template filled with the values, each escaped unless it is Html already."""
    return Html(template.format(**{name: escape(value) for name, value in values.items()})) if values else Html(template)


def plain(text: str) -> str:
    """A reply as plain text, for transports without formatting (the terminal)."""
    return html.unescape(_TAG.sub("", text))
