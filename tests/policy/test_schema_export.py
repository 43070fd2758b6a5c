"""The exported JSON Schema describes the same language the loader accepts."""
from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from pathlib import Path

from policy import DEFAULT_POLICY_PATH, SCHEMA, schema_json
from policy.schema import OVERLAY_SCHEMA

from .minimal import MINIMAL, edit


def test_exported_schema_is_valid_draft_2020_12():
    schema = json.loads(schema_json())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == SCHEMA


POLICY_DIR = Path(DEFAULT_POLICY_PATH).parent


class _TextDates(yaml.SafeLoader):
    """YAML as the policy loader reads it: dates stay text."""


_TextDates.yaml_implicit_resolvers = {k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
                                      for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@pytest.mark.parametrize("path", [DEFAULT_POLICY_PATH, str(POLICY_DIR / "amazon-2026.yaml")])
def test_shipped_policy_validates_against_the_exported_schema(path):
    with open(path) as fh:
        jsonschema.validate(yaml.load(fh, Loader=_TextDates), SCHEMA)


def test_the_overlay_schema_is_valid_and_describes_the_shipped_overlay():
    schema = json.loads(schema_json(overlay=True))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == OVERLAY_SCHEMA
    with open(POLICY_DIR / "sellers" / "S9.yaml") as fh:
        jsonschema.validate(yaml.load(fh, Loader=_TextDates), OVERLAY_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "1", "returns": {"escalation": {"min_price": 1}}}, OVERLAY_SCHEMA)


def test_the_shipped_overlay_schema_file_is_the_export():
    """policy/sellers/S9.yaml names it for editors (`# yaml-language-server: $schema=../seller-overlay.schema.json`);
    refresh it with `refundbot policy schema --overlay > policy/seller-overlay.schema.json`."""
    assert (POLICY_DIR / "sellers" / "S9.yaml").read_text().startswith("# yaml-language-server: $schema=../seller-overlay.schema.json")
    assert json.loads((POLICY_DIR / "seller-overlay.schema.json").read_text()) == OVERLAY_SCHEMA


@pytest.mark.parametrize("old, new", [
    ("  default_window_days: 30", "  default_window_dayz: 30"),
    ("  returnless: {max_price: 15}", "  returnless: {max_price: -1}"),
    ("  seller_fault_reasons: [defective]", "  seller_fault_reasons: [defectiv]"),
    ('version: "t1"', "version: 3"),
])
def test_editors_see_the_same_schema_errors_as_the_loader(old, new):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(edit(old, new)), SCHEMA)


def test_minimal_policy_validates():
    jsonschema.validate(yaml.safe_load(MINIMAL), SCHEMA)
