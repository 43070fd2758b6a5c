"""A bounded, safe YAML reader that keeps the line and column of every key and value."""
from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import PolicyError, PolicyErrors, Positions, first_unsafe, printable

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NUMBER = 10**15  # whole numbers and decimals in a policy stay below this (15 digits)
_MAX_NUMBER_TEXT = 64  # longer numerals are refused before Python converts them

Path = tuple[Any, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_OCTAL = re.compile(r"[-+]?0[0-7_]+")  # YAML 1.1 reads 010 as 8


@dataclass
class Located:
    """Parsed YAML data plus where each path in it came from (1-based line and column)."""

    data: Any
    source: str
    value_at: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_at: dict[Path, tuple[int, int]] = field(default_factory=dict)
    spelling: dict[Path, str] = field(default_factory=dict)  # plain scalars YAML read as a bool, number or null

    def spelt(self, path: Path) -> str | None:
        """How the file spells a plain value YAML read as true/false, a number or empty (`yes`, `010`), if it did."""
        return self.spelling.get(tuple(path))

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Best known location for `path`: the key (if asked) or value, else the nearest parent."""
        table = (self.key_at, self.value_at) if key else (self.value_at, self.key_at)
        probe = tuple(path)
        while True:
            for t in table:
                if probe in t:
                    return t[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def error(self, path: Path, code: str, message: str, *, key: bool = False) -> PolicyError:
        """Build a PolicyError located at `path`."""
        line, col = self.where(path, key=key)
        return PolicyError(self.source, line, col, code, message)


def show_path(path: Path) -> str:
    """A data path as it reads in the file, e.g. `returns.rules[0].when`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else (f".{part}" if out else str(part))
    return printable(out) or "(document)"


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, anchors and nesting deeper than MAX_DEPTH."""

    def __init__(self, stream: str, source: str, positions: Positions):
        super().__init__(stream)
        self._depth = 0
        self._source = source
        self.positions = positions

    def _fail(self, mark, code: str, message: str):
        raise PolicyErrors([PolicyError(self._source, *self.positions.at(mark.index), code, message)])

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._fail(event.start_mark, "yaml-alias", "aliases (*name) are not allowed in a policy file")
        if isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent)) and event.anchor is not None:
            self._fail(event.start_mark, "yaml-anchor", "anchors (&name) are not allowed in a policy file")
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                self._fail(event.start_mark, "yaml-depth", f"nesting is deeper than {MAX_DEPTH} levels")
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


def read_text(path: str, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a regular UTF-8 file no larger than `max_bytes`, or raise PolicyErrors; never blocks on a FIFO or device."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever (under the reload lock).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb", closefd=True) as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise PolicyErrors([PolicyError(path, 1, 1, "not-a-file", f"the path is {_file_kind(info.st_mode)}, not a regular file")])
            if info.st_size > max_bytes:
                raise PolicyErrors([PolicyError(path, 1, 1, "file-too-large", f"the file has {info.st_size} bytes; the limit is {max_bytes}")])
            raw = fh.read(max_bytes + 1)
    except IsADirectoryError:
        raise PolicyErrors([PolicyError(path, 1, 1, "not-a-file", "the path is a directory, not a regular file")]) from None
    except OSError as exc:
        raise PolicyErrors([PolicyError(path, 1, 1, "file-unreadable", exc.strerror or str(exc))]) from None
    if len(raw) > max_bytes:
        raise PolicyErrors([PolicyError(path, 1, 1, "file-too-large", f"the file is larger than {max_bytes} bytes")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyErrors([PolicyError(path, line, 1, "file-encoding", "the file is not valid UTF-8")]) from None


def _file_kind(mode: int) -> str:
    """`a FIFO`, `a character device`, ... for a file mode that is not a regular file."""
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def parse(text: str, source: str, *, max_bytes: int = MAX_FILE_BYTES) -> Located:
    """Parse one YAML document into plain data with locations, or raise PolicyErrors."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:  # a lone surrogate is refused below, located
        raise PolicyErrors([PolicyError(source, 1, 1, "file-too-large", f"the document is larger than {max_bytes} bytes")])
    positions = Positions(text)
    hidden = _hidden_breaks(text, source, positions)
    try:
        located = _parse(text, source, positions)
    except PolicyErrors as exc:
        raise PolicyErrors(hidden + exc.errors) from None
    if hidden:
        raise PolicyErrors(hidden)
    return located


def _parse(text: str, source: str, positions: Positions) -> Located:
    try:
        loader = _BoundedLoader(text, source, positions)
    except yaml.reader.ReaderError as exc:
        raise PolicyErrors([_reader_error(positions, source, exc)]) from None
    try:
        node = loader.get_single_node()
    except PolicyErrors:
        raise
    except yaml.reader.ReaderError as exc:
        raise PolicyErrors([_reader_error(positions, source, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = positions.at(mark.index) if mark else (1, 1)
        raise PolicyErrors([PolicyError(source, line, col, "yaml-syntax", _syntax_message(exc, positions))]) from None
    except yaml.YAMLError as exc:
        raise PolicyErrors([PolicyError(source, 1, 1, "yaml-syntax", str(exc))]) from None
    finally:
        loader.dispose()
    located = Located(data=None, source=source)
    errors: list[PolicyError] = []
    if node is None:
        located.data = None
        return located
    located.data = _construct(node, (), loader, located, errors)
    if errors:
        raise PolicyErrors(errors)
    return located


def _syntax_message(exc: yaml.MarkedYAMLError, positions: Positions) -> str:
    """PyYAML's message, plus where the construct it was reading began (an unclosed bracket or quote is found far later)."""
    context = exc.context or ""
    if context and exc.context_mark is not None and exc.context_mark is not exc.problem_mark:
        line, col = positions.at(exc.context_mark.index)
        context += f" started at line {line}, column {col}:"
    message = " ".join(p for p in (context, exc.problem) if p) or "invalid YAML"
    if exc.problem == "mapping values are not allowed here":
        message += " (quote a value that contains ': ', or check this line's indentation against the line above)"
    return message


_HIDDEN_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def _hidden_breaks(text: str, source: str, positions: Positions) -> list[PolicyError]:
    """Line breaks YAML sees but editors do not (lone CR, U+0085, U+2028, U+2029) outside quoted scalars.

    After one of them in a comment, the rest of the editor's line is read as YAML: a key hidden
    in a comment would take effect. Inside a quoted scalar they are text and allowed.
    """
    if not _HIDDEN_BREAKS.search(text):
        return []
    scalars: list[tuple[int, int]] = []
    try:
        scanner = yaml.SafeLoader(text)
    except yaml.YAMLError:
        return []  # a character YAML refuses: the parse reports it
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'"):
                scalars.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        pass  # the parse reports the syntax error; breaks scanned so far are still judged
    finally:
        scanner.dispose()
    errors = []
    for found in _HIDDEN_BREAKS.finditer(text):
        if not any(start <= found.start() < end for start, end in scalars):
            errors.append(PolicyError(source, *positions.at(found.start()), "yaml-character",
                                      f"U+{ord(found[0]):04X} ends a line for YAML but not in editors, so the text after it "
                                      "on this line would be read as YAML: use a plain line break (inside quotes it is allowed)"))
    return errors


def _reader_error(positions: Positions, source: str, exc: yaml.reader.ReaderError) -> PolicyError:
    """A character PyYAML refuses (control characters and the like), located by line and column."""
    line, col = positions.at(exc.position)
    return PolicyError(source, line, col, "yaml-character", f"the character U+{exc.character:04X} is not allowed in YAML")


def _construct(node, path: Path, loader: _BoundedLoader, located: Located, errors: list[PolicyError]) -> Any:
    located.value_at[path] = loader.positions.at(node.start_mark.index)
    if node.tag not in _PLAIN_TAGS:
        errors.append(located.error(path, "yaml-tag", f"the tag {node.tag!r} is not allowed; use plain YAML values"))
        return None
    if isinstance(node, ScalarNode):
        value, code, problem = _scalar(node, loader)
        if problem:
            errors.append(located.error(path, code, f"{show_path(path)}: {problem}" if path else problem))
        elif node.style is None and not isinstance(value, str):
            located.spelling[path] = node.value
        return value
    expected = {SequenceNode: "tag:yaml.org,2002:seq", MappingNode: "tag:yaml.org,2002:map"}.get(type(node))
    if expected and node.tag != expected:  # e.g. `!!str {a: 1}`: a tag that contradicts the node
        errors.append(located.error(path, "yaml-tag", f"the tag {node.tag!r} does not fit a {'list' if expected.endswith('seq') else 'mapping'}"))
        return None
    if isinstance(node, SequenceNode):
        return [_construct(child, path + (i,), loader, located, errors) for i, child in enumerate(node.value)]
    if isinstance(node, MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                line, col = loader.positions.at(key_node.start_mark.index)
                errors.append(PolicyError(located.source, line, col, "yaml-key", "mapping keys must be plain scalars"))
                continue
            key, code, problem = _scalar(key_node, loader)
            located.key_at[path + (key,)] = loader.positions.at(key_node.start_mark.index)
            if problem:
                shown = show_path(path) + " key" if path else "key"
                errors.append(located.error(path + (key,), code, f"{shown}: {problem}", key=True))
                continue
            if key in result:
                errors.append(located.error(path + (key,), "duplicate-key", f"{show_path(path)}: the key {key!r} appears twice in this mapping", key=True))
                continue
            result[key] = _construct(value_node, path + (key,), loader, located, errors)
        return result
    errors.append(located.error(path, "yaml-node", "unsupported YAML node"))
    return None


def _shown(text: str) -> str:
    """A scalar's text for a message: quoted, escaped, at most 40 characters."""
    return repr(printable(text if len(text) <= 40 else text[:37] + "..."))


def _scalar(node: ScalarNode, loader: _BoundedLoader) -> tuple[Any, str, str]:
    """(value, "", "") for a scalar a policy can hold, else (its text, error code, why not)."""
    text = node.value
    if node.tag == _TIMESTAMP_TAG:
        if not yaml.constructor.SafeConstructor.timestamp_regexp.match(text):
            return text, "yaml-value", f"{_shown(text)} is not a date, so it can't be read as !!timestamp"
        return text, "", ""  # dates stay text: a policy has no date-typed fields
    if node.tag in (_INT_TAG, _FLOAT_TAG):
        code, problem = _implicit_number(text, node.tag)
        if problem:
            return text, code, problem
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        return text, "yaml-value", printable(str(getattr(exc, "problem", exc)))
    except (ValueError, KeyError, OverflowError):
        # PyYAML's int, float and bool constructors trust the resolver's patterns, so explicit
        # tags (`!!int 15.5`, `!!bool maybe`) and edge cases (`0x_`) fail with plain exceptions.
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        return text, "yaml-value", f"{_shown(text)} can't be read as {tag}"
    if isinstance(value, float) and not math.isfinite(value):
        return text, "yaml-value", f"{_shown(text)} is not a finite number"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= MAX_NUMBER:
        return text, "yaml-value", f"{_shown(text)} is too large: numbers in a policy stay below 10^15"
    if isinstance(value, str):
        bad = first_unsafe(value)
        if bad:
            return text, "unsafe-character", (
                f"the text has the character U+{ord(bad[0]):04X} at position {bad.start() + 1}, which a database or "
                f"terminal can't take safely (a control character, escape, lone surrogate or direction override): remove it")
    return value, "", ""


def _implicit_number(text: str, tag: str) -> tuple[str, str]:
    """(code, why) for a numeral too long to convert or that YAML 1.1 would silently change (010 is 8, 1:30 is 90); else empty."""
    if len(text) > _MAX_NUMBER_TEXT:
        return "yaml-value", f"a number written with {len(text)} characters is too large: numbers in a policy stay below 10^15"
    if ":" in text:
        return "yaml-implicit", (f"{_shown(text)} is a base-60 number in YAML 1.1 (1:30 reads as 90): write the number "
                                 "itself, or quote it to keep it as text")
    if tag == _INT_TAG and _OCTAL.fullmatch(text):
        return "yaml-implicit", (f"{_shown(text)} starts with 0, which YAML 1.1 reads as an octal number: "
                                 "write it without the leading zero, or quote it to keep it as text")
    return "", ""


def load_file(path: str, *, max_bytes: int = MAX_FILE_BYTES) -> Located:
    """Read and parse a YAML file with the size, alias, anchor, tag and depth limits."""
    return parse(read_text(path, max_bytes=max_bytes), path, max_bytes=max_bytes)
