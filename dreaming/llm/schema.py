"""The JSON-schema subset used for forced tool use: check, validate, example.

Why our own: a stage's tool schema is small and structural (objects, arrays,
strings, numbers, enums), the issue asks for validated replies, and the
project does not otherwise depend on ``jsonschema``.  A schema using a
keyword outside this subset is rejected when the request is built, so a
stage author finds out at once instead of getting silently unchecked replies.
Semantic checks (ids that exist, timestamps that parse) belong to the stage's
own validator, which the client also runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Keywords the validator understands (annotations are accepted and ignored).
KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
        "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern",
    }
)
ANNOTATIONS = frozenset({"description", "title", "default", "examples", "format"})
TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})


class SchemaError(ValueError):
    """The schema itself uses something this subset cannot check."""


def check_schema(schema: Any, path: str = "$") -> None:
    """Raise ``SchemaError`` naming the first unsupported part of ``schema``."""
    if not isinstance(schema, Mapping):
        raise SchemaError(f"{path}: a schema must be an object, got {type(schema).__name__}")
    unknown = sorted(set(schema) - KEYWORDS - ANNOTATIONS)
    if unknown:
        raise SchemaError(f"{path}: unsupported schema keyword(s) {', '.join(unknown)}")
    types = schema.get("type")
    for name in [types] if isinstance(types, str) else (types or []):
        if name not in TYPES:
            raise SchemaError(f"{path}: unknown type {name!r}")
    for key, sub in (schema.get("properties") or {}).items():
        check_schema(sub, f"{path}.{key}")
    for key in ("items",):
        if key in schema:
            check_schema(schema[key], f"{path}[]")
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        check_schema(extra, f"{path}.*")
    for i, option in enumerate(schema.get("anyOf") or []):
        check_schema(option, f"{path}|{i}")
    if "pattern" in schema:
        re.compile(schema["pattern"])


def _type_ok(value: Any, name: str) -> bool:
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
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return value is None  # "null"


def errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every way ``value`` violates ``schema`` (empty when it conforms), each with its JSON path."""
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_type_ok(value, name) for name in names):
            return [f"{path}: expected {' or '.join(names)}, got {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} is not one of {list(schema['enum'])!r}")
    if "anyOf" in schema and not any(not errors(value, option, path) for option in schema["anyOf"]):
        found.append(f"{path}: matches none of the allowed shapes")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: {value} is above the maximum {schema['maximum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            found.append(f"{path}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{path}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                found.extend(errors(item, schema["items"], f"{path}[{i}]"))
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key in schema.get("required") or []:
            if key not in value:
                found.append(f"{path}: missing required property {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                found.extend(errors(item, properties[key], f"{path}.{key}"))
            elif extra is False:
                found.append(f"{path}: unexpected property {key!r}")
            elif isinstance(extra, Mapping):
                found.extend(errors(item, extra, f"{path}.{key}"))
    return found


def example(schema: Mapping[str, Any]) -> Any:
    """A small value that conforms to ``schema`` (the fake server's default tool reply).

    ``pattern`` is not honoured: a string under a pattern comes back empty.
    """
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return example(schema["anyOf"][0])
    types = schema.get("type", "object")
    name = types if isinstance(types, str) else types[0]
    if name == "object":
        properties = schema.get("properties") or {}
        return {key: example(properties.get(key, {})) for key in schema.get("required") or []}
    if name == "array":
        return [example(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if name == "string":
        return "x" * max(schema.get("minLength", 0), 1) if "pattern" not in schema else ""
    if name in ("integer", "number"):
        low = schema.get("minimum", 0)
        return int(low) if name == "integer" else float(low)
    if name == "boolean":
        return False
    return None
