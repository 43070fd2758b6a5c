"""Explanation templates: checked once when a policy loads, rendered with bounded output at decision time.

A template is text with `{name}` placeholders, each optionally with a short format spec
(`{price:>12}`, `{days_since_delivery:d}`). `check` refuses what could break or bloat a decision
at run time (unknown names, conversions, attribute access, type codes that do not fit the value,
widths and precisions over the limits); `render` formats a checked template and, whatever it is
given, returns at most MAX_RENDERED characters without raising.
"""
from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any, Mapping

from .errors import did_you_mean, printable

TEXT = "text"
WHOLE_NUMBER = "whole number"

MAX_WIDTH = 40
MAX_PRECISION = 10
MAX_RENDERED = 2000

# A sample of each kind of value, to try a spec on at load time (runtime values have the same type).
_SAMPLES: dict[str, Any] = {TEXT: "text", WHOLE_NUMBER: 12345}
_TYPE_CODES = {TEXT: "s", WHOLE_NUMBER: "dn"}
# Python's format-spec mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?(?P<type>[a-zA-Z%]?)", re.S)


def check(text: str, kinds: Mapping[str, str]) -> list[str]:
    """Every problem with the template `text` whose placeholders may name `kinds` (name -> TEXT or WHOLE_NUMBER)."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        return [f"{exc}; write {{{{ and }}}} for literal braces"]
    problems = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        shown = printable(name)
        if name not in kinds:
            problems.append(f"{{{shown}}} is not a fact it can show{did_you_mean(name, list(kinds))}")
        elif conversion:
            problems.append(f"{{{shown}!{printable(conversion)}}}: conversions are not allowed; write {{{shown}}}")
        elif spec:
            problem = _spec_problem(spec, kinds[name])
            if problem:
                problems.append(f"{{{shown}:{printable(spec)}}}: {problem}")
    return problems


def _spec_problem(spec: str, kind: str) -> str:
    """Why `spec` can't format a value of `kind` safely, or an empty string."""
    match = _SPEC.fullmatch(spec)
    if "{" in spec or not match:
        return "not a format spec (e.g. >12 to right-align in 12 characters)"
    if match["width"] and int(match["width"]) > MAX_WIDTH:
        return f"the width {match['width']} is over the limit of {MAX_WIDTH}"
    if match["precision"] and int(match["precision"]) > MAX_PRECISION:
        return f"the precision {match['precision']} is over the limit of {MAX_PRECISION}"
    if match["type"] and match["type"] not in _TYPE_CODES[kind]:
        allowed = " or ".join(_TYPE_CODES[kind])
        return f"the type code {match['type']!r} does not fit {kind} (use {allowed}, or leave it out)"
    try:
        format(_SAMPLES[kind], spec)
    except (ValueError, TypeError) as exc:
        return f"{exc} (the value is {kind})"
    return ""


def fields(text: str) -> tuple[str, ...]:
    """The distinct placeholder names `text` uses, sorted."""
    return _compiled(text)[2]


def render(text: str, values: Mapping[str, Any]) -> str:
    """`text` with its placeholders filled from `values`; never raises and never longer than MAX_RENDERED."""
    safe, plain, _ = _compiled(text)
    try:
        out = safe.format_map(values)
    except Exception:  # a value that does not fit its spec (or is missing): show it without the spec
        try:
            out = plain.format_map(_Lenient(values))
        except Exception:
            out = text
    return out if len(out) <= MAX_RENDERED else out[: MAX_RENDERED - 1] + "…"


@lru_cache(maxsize=1024)
def _compiled(text: str) -> tuple[str, str, tuple[str, ...]]:
    """Two format strings for `text`, one keeping only bounded specs, one with none (neither with
    conversions, attribute or index access, or positional fields), and the placeholder names."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        escaped = _escape(text)
        return escaped, escaped, ()
    safe, plain, names = [], [], set()
    for literal, name, spec, _ in parts:
        safe.append(_escape(literal))
        plain.append(_escape(literal))
        if name is None:
            continue
        if not name.isidentifier():  # `{0}`, `{price.real}`, `{a[0]}`: shown as written, never evaluated
            safe.append(_escape("{" + name + "}"))
            plain.append(_escape("{" + name + "}"))
            continue
        names.add(name)
        bounded = spec if spec and "{" not in spec and _bounded(spec) else ""
        safe.append("{" + name + (":" + bounded if bounded else "") + "}")
        plain.append("{" + name + "}")
    return "".join(safe), "".join(plain), tuple(sorted(names))


def _escape(literal: str) -> str:
    return literal.replace("{", "{{").replace("}", "}}")


def _bounded(spec: str) -> bool:
    match = _SPEC.fullmatch(spec)
    return bool(match) and int(match["width"] or 0) <= MAX_WIDTH and int(match["precision"] or 0) <= MAX_PRECISION


class _Lenient(dict):
    """Values for the fallback rendering: a missing name shows as itself instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
