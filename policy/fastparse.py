"""Parsing with libyaml's C parser when a document is plain, ASCII YAML; policy.yamlsafe for everything else.

A policy with 10,000 tagged SKUs and 1,000 seller overlays is ~1,001 documents; PyYAML's pure-Python
scanner needs seconds for them, libyaml a tenth of that. The fast path builds exactly what
policy.yamlsafe.parse builds (the same node walk, resolver and constructors, so the same data and
locations) and is only taken when nothing in the text could need one of its located errors:
no anchor, alias or tag characters, no carriage return, no characters PyYAML's reader refuses, nothing beyond ASCII
(libyaml counts columns differently there), one document, no error. Anything else is parsed by
policy.yamlsafe, which reports the problem with its location.
"""
from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, SequenceNode

from .errors import Positions
from .yamlsafe import MAX_DEPTH, MAX_FILE_BYTES, Located, _construct
from .yamlsafe import parse as parse_safely

_HAS_LIBYAML = getattr(yaml, "__with_libyaml__", False)
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def parse(text: str, source: str, *, max_bytes: int = MAX_FILE_BYTES) -> Located:
    """Parse one YAML document into plain data with locations, or raise PolicyErrors (see policy.yamlsafe.parse)."""
    located = _parse_fast(text, source, max_bytes) if _HAS_LIBYAML else None
    return located if located is not None else parse_safely(text, source, max_bytes=max_bytes)


def _parse_fast(text: str, source: str, max_bytes: int) -> Located | None:
    # A carriage return may be a line break YAML sees and editors do not: yamlsafe judges it, located.
    if len(text) > max_bytes or not text.isascii() or any(c in text for c in "&*!\r") or _NON_PRINTABLE.search(text):
        return None
    loader = yaml.CSafeLoader(text)
    loader.positions = Positions(text)  # what yamlsafe's node walk locates values with
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    if node is None or _depth(node) > MAX_DEPTH:
        return None
    located = Located(data=None, source=source)
    errors: list = []
    located.data = _construct(node, (), loader, located, errors)
    return None if errors else located


def _depth(root) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, MappingNode):
            deepest = max(deepest, depth)
            stack.extend((value, depth + 1) for _, value in node.value)
        elif isinstance(node, SequenceNode):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in node.value)
    return deepest
