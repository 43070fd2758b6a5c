"""The libyaml fast path reads every document exactly as policy.yamlsafe does: same data, same locations, same errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from policy import DEFAULT_POLICY_PATH
from policy.errors import PolicyErrors
from policy.fastparse import parse as parse_fast
from policy.yamlsafe import parse as parse_safely

POLICY_DIR = Path(DEFAULT_POLICY_PATH).parent
DOCUMENTS = sorted([*POLICY_DIR.glob("*.yaml"), *POLICY_DIR.glob("sellers/*.yaml"),
                    *(Path(__file__).parent / "broken").glob("*.yaml")])


def _read(parse, text: str):
    try:
        located = parse(text, "p.yaml")
    except PolicyErrors as exc:
        return "errors", [str(e) for e in exc.errors]
    return "data", (located.data, located.value_at, located.key_at, located.spelling)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_the_fast_path_reads_every_document_as_yamlsafe_does(path):
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    assert _read(parse_fast, text) == _read(parse_safely, text)


@pytest.mark.parametrize("text", [
    "a: 1\rb: 2\n",                 # a lone carriage return: a line break YAML sees, editors do not
    "a: 010\n", "a: 1:30\n",        # YAML 1.1 octal and base 60
    "a: " + "9" * 5000 + "\n",      # a number Python refuses to print
    "a: yes\n", "'a': \"\\e[31m\"\n",  # a YAML 1.1 boolean; an escape sequence in a quoted string
])
def test_the_fast_path_leaves_hostile_text_to_yamlsafe(text):
    assert _read(parse_fast, text) == _read(parse_safely, text)
