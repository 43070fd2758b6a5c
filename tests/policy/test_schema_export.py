"""The exported JSON Schema describes the same language the loader accepts."""
from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from policy import DEFAULT_POLICY_PATH, SCHEMA, schema_json

from .minimal import MINIMAL, edit


def test_exported_schema_is_valid_draft_2020_12():
    schema = json.loads(schema_json())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == SCHEMA


@pytest.mark.parametrize("path", [DEFAULT_POLICY_PATH])
def test_shipped_policy_validates_against_the_exported_schema(path):
    with open(path) as fh:
        jsonschema.validate(yaml.safe_load(fh), SCHEMA)


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
