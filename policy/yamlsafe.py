"""A bounded, safe YAML reader that keeps the line and column of every key and value."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import PolicyError, PolicyErrors

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32

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


@dataclass
class Located:
    """Parsed YAML data plus where each path in it came from (1-based line and column)."""

    data: Any
    source: str
    value_at: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_at: dict[Path, tuple[int, int]] = field(default_factory=dict)

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
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, anchors and nesting deeper than MAX_DEPTH."""

    def __init__(self, stream: str, source: str):
        super().__init__(stream)
        self._depth = 0
        self._source = source

    def _fail(self, mark, code: str, message: str):
        raise PolicyErrors([PolicyError(self._source, mark.line + 1, mark.column + 1, code, message)])

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
    """Read a UTF-8 file no larger than `max_bytes`, or raise PolicyErrors."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise PolicyErrors([PolicyError(path, 1, 1, "file-too-large", f"the file has {size} bytes; the limit is {max_bytes}")])
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise PolicyErrors([PolicyError(path, 1, 1, "file-unreadable", exc.strerror or str(exc))]) from None
    if len(raw) > max_bytes:
        raise PolicyErrors([PolicyError(path, 1, 1, "file-too-large", f"the file is larger than {max_bytes} bytes")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyErrors([PolicyError(path, line, 1, "file-encoding", "the file is not valid UTF-8")]) from None


def parse(text: str, source: str, *, max_bytes: int = MAX_FILE_BYTES) -> Located:
    """Parse one YAML document into plain data with locations, or raise PolicyErrors."""
    if len(text.encode("utf-8")) > max_bytes:
        raise PolicyErrors([PolicyError(source, 1, 1, "file-too-large", f"the document is larger than {max_bytes} bytes")])
    try:
        loader = _BoundedLoader(text, source)
    except yaml.reader.ReaderError as exc:
        raise PolicyErrors([_reader_error(text, source, exc)]) from None
    try:
        node = loader.get_single_node()
    except PolicyErrors:
        raise
    except yaml.reader.ReaderError as exc:
        raise PolicyErrors([_reader_error(text, source, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PolicyErrors([PolicyError(source, line, col, "yaml-syntax", _syntax_message(exc))]) from None
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


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's message, plus where the construct it was reading began (an unclosed bracket or quote is found far later)."""
    context = exc.context or ""
    if context and exc.context_mark is not None and exc.context_mark is not exc.problem_mark:
        context += f" started at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}:"
    message = " ".join(p for p in (context, exc.problem) if p) or "invalid YAML"
    if exc.problem == "mapping values are not allowed here":
        message += " (quote a value that contains ': ', or check this line's indentation against the line above)"
    return message


def _reader_error(text: str, source: str, exc: yaml.reader.ReaderError) -> PolicyError:
    """A character PyYAML refuses (control characters and the like), located by line and column."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    col = exc.position - (before.rfind("\n") + 1) + 1
    return PolicyError(source, line, col, "yaml-character", f"the character U+{exc.character:04X} is not allowed in YAML")


def _construct(node, path: Path, loader: _BoundedLoader, located: Located, errors: list[PolicyError]) -> Any:
    located.value_at[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if node.tag not in _PLAIN_TAGS:
        errors.append(located.error(path, "yaml-tag", f"the tag {node.tag!r} is not allowed; use plain YAML values"))
        return None
    if isinstance(node, ScalarNode):
        value, problem = _scalar(node, loader)
        if problem:
            errors.append(located.error(path, "yaml-value", problem))
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
                mark = key_node.start_mark
                errors.append(PolicyError(located.source, mark.line + 1, mark.column + 1, "yaml-key", "mapping keys must be plain scalars"))
                continue
            key, problem = _scalar(key_node, loader)
            located.key_at[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if problem:
                errors.append(located.error(path + (key,), "yaml-value", problem, key=True))
                continue
            if key in result:
                errors.append(located.error(path + (key,), "duplicate-key", f"{show_path(path)}: the key {key!r} appears twice in this mapping", key=True))
                continue
            result[key] = _construct(value_node, path + (key,), loader, located, errors)
        return result
    errors.append(located.error(path, "yaml-node", "unsupported YAML node"))
    return None


def _scalar(node: ScalarNode, loader: _BoundedLoader) -> tuple[Any, str]:
    """The scalar's value and an empty string, or its text and why YAML can't read it as its type."""
    if node.tag == _TIMESTAMP_TAG:
        return node.value, ""  # dates stay text: a policy has no date-typed fields
    try:
        return loader.construct_object(node, deep=True), ""
    except yaml.YAMLError as exc:
        return node.value, str(getattr(exc, "problem", exc))
    except (ValueError, KeyError, OverflowError):
        # PyYAML's int, float and bool constructors trust the resolver's patterns, so explicit
        # tags (`!!int 15.5`, `!!bool maybe`) and edge cases (`0x_`) fail with plain exceptions.
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return node.value, f"{shown!r} can't be read as {tag}"


def load_file(path: str, *, max_bytes: int = MAX_FILE_BYTES) -> Located:
    """Read and parse a YAML file with the size, alias, anchor, tag and depth limits."""
    return parse(read_text(path, max_bytes=max_bytes), path, max_bytes=max_bytes)
