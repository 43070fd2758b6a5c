"""Fixtures shared by every test package."""
from __future__ import annotations

import pytest

from policy import DEFAULT_POLICY_PATH, Policy, load_policy
from rules import CompiledPolicy, compile_policy


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    """The shipped default policy."""
    return load_policy(DEFAULT_POLICY_PATH)


@pytest.fixture(scope="session")
def engine(default_policy: Policy):
    """The default policy compiled once for the session."""
    compiled: CompiledPolicy = compile_policy(default_policy)
    yield compiled
    compiled.close()
