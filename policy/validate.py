"""Checks data against the subset of JSON Schema that policy/schema.py uses, collecting every error."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .errors import PolicyError, did_you_mean, printable
from .yamlsafe import Located, Path, show_path

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and value not in (float("inf"), float("-inf"))
    if name == "null":
        return value is None
    raise ValueError(f"unknown schema type {name}")


def _is_dated_list(schema: dict) -> bool:
    return schema.get("type") == "array" and "from" in schema.get("items", {}).get("properties", {})


def type_name(value: Any) -> str:
    """How a value reads to an operator: `a list`, `text`, `a whole number`, ..."""
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return _TYPE_NAMES[name]
    return type(value).__name__


@lru_cache(maxsize=None)
def _pattern(p: str) -> re.Pattern[str]:
    # In JSON Schema (ECMA-262) a final "$" is the end of the text; in Python it also matches before a final newline.
    return re.compile(p[:-1] + r"\Z" if p.endswith("$") and not p.endswith(r"\$") else p)


def _pattern_words(pattern: str) -> str:
    """What a schema pattern asks for, in words: an id (sellers, SKUs) or a code."""
    if "A-Z" in pattern:
        return "letters, digits, '.', '_' or '-', starting with a letter or digit (at most 64)"
    return "lower-case letters, digits and underscores, starting with a letter"


class SchemaValidator:
    """Validates one located document against a schema and collects PolicyErrors."""

    def __init__(self, located: Located):
        self.located = located
        self.errors: list[PolicyError] = []
        self.bad_sections: set = set()

    def fail(self, path: Path, code: str, message: str, *, key: bool = False) -> None:
        """Record an error at `path`."""
        self.bad_sections.add(path[0] if path else None)
        self.errors.append(self.located.error(path, code, f"{show_path(path)}: {message}", key=key))

    def check(self, value: Any, schema: dict, path: Path = ()) -> bool:
        """Validate `value` at `path`; return True when it is valid."""
        before = len(self.errors)
        if "anyOf" in schema:
            self._any_of(value, schema["anyOf"], path)
            return len(self.errors) == before
        types = schema.get("type")
        if types is not None:
            names = [types] if isinstance(types, str) else list(types)
            if not any(_is_type(value, n) for n in names):
                wanted = " or ".join(_TYPE_NAMES[n] for n in names)
                hint = " (quote it to make it text)" if "string" in names and isinstance(value, (int, float)) else ""
                spelt = self.located.spelt(path)
                if hint and spelt is not None and spelt != str(value).lower():  # yes/no/on/off, 1_000, 0x1f
                    hint = f" (YAML 1.1 reads {printable(spelt)!r} as {value!r}: quote it to keep the text)"
                self.fail(path, "wrong-type", f"expected {wanted}, got {type_name(value)}{hint}")
                return False
        if "enum" in schema and value not in schema["enum"]:
            choices = schema["enum"]
            self.fail(path, "bad-value", f"{value!r} is not one of {', '.join(map(str, choices))}{did_you_mean(value, choices)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._number(value, schema, path)
        if isinstance(value, str):
            self._string(value, schema, path)
        if isinstance(value, list):
            self._array(value, schema, path)
        if isinstance(value, dict):
            self._object(value, schema, path)
        return len(self.errors) == before

    def _any_of(self, value: Any, options: list[dict], path: Path) -> None:
        fitting = [o for o in options if "type" not in o or any(_is_type(value, t) for t in ([o["type"]] if isinstance(o["type"], str) else o["type"]))]
        if not fitting:
            # A list of dated values is offered everywhere a value may change on dates; the message names the value itself.
            plain = [o for o in options if not _is_dated_list(o)] or options
            wanted = sorted({_TYPE_NAMES[t] for o in plain for t in ([o["type"]] if isinstance(o["type"], str) else o["type"])})
            self.fail(path, "wrong-type", f"expected {' or '.join(wanted)}, got {type_name(value)}")
            return
        self.check(value, fitting[0], path)

    def _number(self, value: float, schema: dict, path: Path) -> None:
        if "minimum" in schema and value < schema["minimum"]:
            word = "negative" if schema["minimum"] == 0 else "too small"
            self.fail(path, "out-of-range", f"{value} is {word}; the minimum is {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            self.fail(path, "out-of-range", f"{value} must be greater than {schema['exclusiveMinimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            self.fail(path, "out-of-range", f"{value} is too large; the maximum is {schema['maximum']}")

    def _string(self, value: str, schema: dict, path: Path) -> None:
        if "minLength" in schema and len(value) < schema["minLength"]:
            self.fail(path, "too-short", "must not be empty" if schema["minLength"] == 1 else f"needs at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            self.fail(path, "too-long", f"has {len(value)} characters; the limit is {schema['maxLength']}")
        if "pattern" in schema and not _pattern(schema["pattern"]).match(value):
            self.fail(path, "bad-name", f"{value!r} must be {_pattern_words(schema['pattern'])}")

    def _array(self, value: list, schema: dict, path: Path) -> None:
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.fail(path, "too-few", f"needs at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            self.fail(path, "too-many", f"has {len(value)} items; the limit is {schema['maxItems']}")
        if "items" in schema:
            for i, item in enumerate(value):
                self.check(item, schema["items"], path + (i,))
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for i, item in enumerate(value):
                if item in seen:
                    self.fail(path + (i,), "duplicate-item", f"{item!r} is listed twice")
                seen.append(item)

    def _object(self, value: dict, schema: dict, path: Path) -> None:
        props: dict = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                self.fail(path, "missing-key", f"the key '{name}' is required", key=bool(path))
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            self.fail(path, "too-few", f"needs at least {schema['minProperties']} entr{'y' if schema['minProperties'] == 1 else 'ies'}")
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            self.fail(path, "too-many", f"has {len(value)} entries; the limit is {schema['maxProperties']}")
        names_schema = schema.get("propertyNames")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            here = path + (key,)
            if key in props:
                self.check(item, props[key], here)
                continue
            if not isinstance(key, str):
                hint = " (YAML reads yes/no/on/off/true/false as true or false: quote the key)" if isinstance(key, bool) else " (quote it)"
                self.fail(here, "wrong-type", f"the key {key!r} must be text{hint}", key=True)
                continue
            if names_schema is not None:
                if "enum" in names_schema and key not in names_schema["enum"]:
                    allowed = names_schema["enum"]
                    self.fail(here, "unknown-key", f"unknown key '{key}'; expected one of {', '.join(allowed)}{did_you_mean(key, allowed)}", key=True)
                    continue
                if "pattern" in names_schema and not _pattern(names_schema["pattern"]).match(key):
                    self.fail(here, "bad-name", f"'{key}' must be {_pattern_words(names_schema['pattern'])}", key=True)
                    continue
            if extra is False:
                known = list(props)
                self.fail(here, "unknown-key", f"unknown key '{key}'{did_you_mean(key, known) or '; expected one of ' + ', '.join(known)}", key=True)
            elif isinstance(extra, dict):
                self.check(item, extra, here)
