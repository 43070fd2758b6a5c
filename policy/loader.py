"""Load a policy file: bounded safe YAML, schema validation, semantic checks, all errors at once."""
from __future__ import annotations

import dataclasses
import os

from .errors import PolicyError, PolicyErrors
from .model import Policy, freeze
from .overlays import load_overlays
from .schema import SCHEMA
from .semantics import PolicyBuilder, content_hash_of
from .validate import SchemaValidator, type_name
from .fastparse import parse
from .yamlsafe import MAX_FILE_BYTES, read_text


def load_policy(path: str, *, max_bytes: int = MAX_FILE_BYTES) -> Policy:
    """Read, validate and build the policy at `path` with its seller overlays, or raise PolicyErrors listing every problem."""
    return load_policy_text(read_text(path, max_bytes=max_bytes), path, max_bytes=max_bytes)


# Policies built from the same text are the same immutable objects, so a reload after one overlay
# edit re-reads every file but rebuilds only what changed (policy/overlays.py keeps its own cache).
_BUILT: dict[tuple[str, str], Policy] = {}
_BUILT_KEEP = 4


def load_policy_text(text: str, source: str = "<policy>", *, max_bytes: int = MAX_FILE_BYTES,
                     base_dir: str | None = None) -> Policy:
    """Validate and build a policy from YAML text; `source` names it in error locations.

    A policy with a `sellers.directory` also loads every overlay in it (relative to `base_dir`,
    by default the directory of `source`); its content hash then covers the overlays too.
    """
    policy = _BUILT.get((source, text))
    if policy is None:
        policy = _build(text, source, max_bytes)
        if len(_BUILT) >= _BUILT_KEEP:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[(source, text)] = policy
    if policy.overlay_directory is None:
        return policy
    where = base_dir if base_dir is not None else os.path.dirname(source)
    overlays, overlay_errors, texts = load_overlays(policy, where)
    if overlay_errors:
        raise PolicyErrors(overlay_errors)
    return dataclasses.replace(policy, overlays=freeze(overlays), content_hash=content_hash_of(text + "".join(texts)))


def _build(text: str, source: str, max_bytes: int) -> Policy:
    """The marketplace policy alone (without overlays), or PolicyErrors."""
    located = parse(text, source, max_bytes=max_bytes)
    if not isinstance(located.data, dict):
        found = "an empty file" if located.data is None else type_name(located.data)
        raise PolicyErrors([located.error((), "wrong-type", f"a policy must be a mapping of sections, found {found}")])
    validator = SchemaValidator(located)
    validator.check(located.data, SCHEMA)
    builder = PolicyBuilder(located, content_hash_of(text))
    missing_top = {k for k in SCHEMA["required"] if k not in located.data}
    policy = builder.build(skip=validator.bad_sections | missing_top)
    errors = validator.errors + builder.errors
    if errors or policy is None:
        raise PolicyErrors(errors or [PolicyError(source, 1, 1, "invalid", "the policy is invalid")])
    return policy
