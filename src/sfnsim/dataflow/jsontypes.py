"""JSON type names, as AWS's messages name them ("number", "array", ...)."""

from __future__ import annotations

from typing import Any, Mapping

_ARTICLES = {"array": "an array", "object": "an object", "null": "null"}


def json_type_name(value: Any) -> str:
    """``null``, ``boolean``, ``number``, ``string``, ``array`` or ``object`` (booleans are not numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def described_type(value: Any) -> str:
    """The type with an article, for messages: "a number", "an array", "null"."""
    name = json_type_name(value)
    return _ARTICLES.get(name, f"a {name}")
