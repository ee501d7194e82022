"""Strict payload schemas: every event type's payload is checked against a JSON Schema
(known keys only, types, lengths, item counts), compiled once by jsonschema-rs.

The schemas bound nesting as well as size: nothing deeper than they describe gets past
them, so no view, projection or housekeeping job ever walks a hostile structure.
"""

from __future__ import annotations

from typing import Any

ID = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
LANG = {"type": "string", "pattern": r"^[a-z]{2}$"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
INSTANT = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"}
HEX64 = {"type": "string", "pattern": r"^[0-9a-f]{64}$"}
BOOL = {"type": "boolean"}


def text(max_length: int = 1000, min_length: int = 0) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "minLength": min_length}


def integer(minimum: int | None = None, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def array(items: dict[str, Any], max_items: int = 100, min_items: int = 0) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": max_items, "minItems": min_items}


def obj(required: dict[str, Any] | None = None, optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object with exactly these keys: ``required`` must be there, ``optional`` may be."""
    props = {**(required or {}), **(optional or {})}
    return {"type": "object", "properties": props, "required": sorted(required or {}),
            "additionalProperties": False}


def mapping(values: dict[str, Any], keys: dict[str, Any] | None = None, max_properties: int = 100) -> dict[str, Any]:
    """An object used as a map: any keys (matching ``keys``), each value matching ``values``."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": values, "maxProperties": max_properties}
    if keys is not None:
        schema["propertyNames"] = keys
    return schema


def one_of(*schemas: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": list(schemas)}


MAX_DEPTH = 16


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Is ``value`` nested deeper than ``limit``? Walked without recursion, so a hostile
    structure a thousand levels deep costs nothing but its size."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[Any] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class Compiled:
    """A schema compiled once; ``problem(value)`` is None or where and what is wrong."""

    def __init__(self, schema: dict[str, Any]) -> None:
        import jsonschema_rs

        self.schema = schema
        self._validator = jsonschema_rs.validator_for(schema)

    def problem(self, value: Any, *, bounded: bool = False) -> str | None:
        """``bounded``: the caller knows ``value`` is nested no deeper than MAX_DEPTH."""
        if not bounded and too_deep(value):
            return f"payload: nested deeper than {MAX_DEPTH} levels"
        if self._validator.is_valid(value):
            return None
        error = next(iter(self._validator.iter_errors(value)))
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        return f"payload{path}: {message}"
