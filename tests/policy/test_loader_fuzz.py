"""Whatever text an operator saves, the loader answers with a Policy or PolicyErrors, never a crash."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import Policy, PolicyErrors, load_policy_text

from .minimal import MINIMAL


def _load(text: str):
    try:
        return load_policy_text(text, "fuzz.yaml")
    except PolicyErrors as exc:
        assert exc.errors and all(e.line >= 1 and e.col >= 1 for e in exc.errors)
        return exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(MINIMAL) - 1), st.integers(0, 40), st.text(max_size=12))
def test_edits_of_a_valid_policy_never_crash_the_loader(start, length, insert):
    result = _load(MINIMAL[:start] + insert + MINIMAL[start + length:])
    assert isinstance(result, (Policy, PolicyErrors))


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20))
def test_arbitrary_documents_never_crash_the_loader(doc):
    import yaml

    result = _load(yaml.safe_dump({"version": "x", "returns": doc, "rewards": doc, "claims": doc}))
    assert isinstance(result, PolicyErrors)
