"""Placeholder-tolerant matching of recorded values (rule 4 of the corpus README).

LocalStack's snapshot transformers replaced volatile values in the recording with tokens.
Those tokens are wildcards, and nothing else is:

* any ``<...>`` token, also inside a longer string (``arn:<partition>:states:<region>:…``);
* ``111111111111`` inside a string, standing for any 12-digit account;
* whole-value tokens (``date``, ``timestamp``, ``snf_role_arn``, ``RequestId``, …), which only
  count when they are the entire string;
* the case's own ``placeholders``, anywhere in a string.

Everything else must be equal, JSON type included: ``1`` and ``1.0`` are different outputs on AWS
(they print differently), and ``true`` is not ``1``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

_ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?", re.ASCII
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _is_iso_timestamp(value: Any) -> bool:
    return isinstance(value, str) and _ISO_TIMESTAMP.fullmatch(value) is not None


def _is_uuid(value: Any) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


# Whole-value tokens: the README names the first ones; the rest are the other key-value
# replacements LocalStack's transformers leave in this corpus. Each says what it may stand for.
WHOLE_VALUE_TOKENS: dict[str, Callable[[Any], bool]] = {
    "date": _is_iso_timestamp,
    "timestamp": _is_scalar,
    "datetime": _is_scalar,
    "snf_role_arn": _is_scalar,
    "RequestId": _is_scalar,
    "X-Amzn-Trace-Id": _is_scalar,
    "x-amzn-RequestId": _is_scalar,
    "x-amzn-requestid": _is_scalar,
    "x-amz-crc32": _is_scalar,
    "start-date": _is_scalar,
    "stop-date": _is_scalar,
    "start-time": _is_scalar,
    "entered-time": _is_scalar,
    "execution-arn": _is_scalar,
    "state-machine-arn": _is_scalar,
    "map_run_arn": _is_scalar,
    "generated-uuid": _is_uuid,
}

# `<...>` without whitespace (so "a < b and c > d" in a message stays literal), one level of
# nesting allowed: LocalStack produced `<<task_token>:1>`.
_ANGLE_TOKEN = r"<(?:[^<>\s]|<[^<>\s]*>)+>"
_ACCOUNT = "111111111111"
_ACCOUNT_TOKEN = r"(?<!\d)111111111111(?!\d)"


@lru_cache(maxsize=8192)
def _string_pattern(expected: str, extras: tuple[str, ...]) -> re.Pattern[str] | None:
    """A regex for an expected string with embedded tokens, or None if it has none."""
    alternatives = [_ANGLE_TOKEN, _ACCOUNT_TOKEN, *(re.escape(x) for x in extras)]
    splitter = re.compile("(" + "|".join(alternatives) + ")")
    pieces = splitter.split(expected)
    if len(pieces) == 1:
        return None
    regex = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            regex.append(re.escape(piece))
        elif piece == _ACCOUNT:
            regex.append(r"\d{12}")
        else:
            regex.append(".+?")
    return re.compile("".join(regex), re.DOTALL)


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 120:
        text = text[:117] + "..."
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", type(None): "null",
            dict: "object", list: "array"}.get(type(value), type(value).__name__)
    return f"{text} ({kind})"


class Matcher:
    """Compares an expected (recorded) value with an actual one, tokens acting as wildcards."""

    def __init__(self, placeholders: Iterable[str] | None = None) -> None:
        # Case placeholders that already contain `<...>` are covered by the generic rule; the
        # literal text around their tokens must still match, so they are not wildcards as a whole.
        extras = {p for p in (placeholders or []) if p and "<" not in p}
        self.extras: tuple[str, ...] = tuple(sorted(extras, key=lambda p: (-len(p), p)))

    def matches(self, expected: Any, actual: Any) -> bool:
        return self.mismatch(expected, actual) is None

    def mismatch(self, expected: Any, actual: Any, path: str = "$") -> str | None:
        """None when they match, else where and how they first differ."""
        if isinstance(expected, str):
            return self._string_mismatch(expected, actual, path)
        if isinstance(expected, dict):
            return self._object_mismatch(expected, actual, path)
        if isinstance(expected, list):
            return self._array_mismatch(expected, actual, path)
        if type(expected) is type(actual) and expected == actual:
            return None
        return f"{path}: expected {_describe(expected)}, got {_describe(actual)}"

    def _string_mismatch(self, expected: str, actual: Any, path: str) -> str | None:
        if actual == expected and isinstance(actual, str):
            return None
        whole = WHOLE_VALUE_TOKENS.get(expected)
        if whole is not None and whole(actual):
            return None
        pattern = _string_pattern(expected, self.extras)
        if pattern is not None:
            if isinstance(actual, str) and pattern.fullmatch(actual):
                return None
            if not isinstance(actual, str) and _is_scalar(actual) and self._is_whole_token(expected):
                return None
        return f"{path}: expected {_describe(expected)}, got {_describe(actual)}"

    def _is_whole_token(self, expected: str) -> bool:
        """A string that is one token and nothing else may have replaced a non-string value."""
        return (re.fullmatch(_ANGLE_TOKEN, expected) is not None) or expected in self.extras

    def _object_mismatch(self, expected: dict, actual: Any, path: str) -> str | None:
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {_describe(actual)}"
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(map(repr, missing))}")
            if extra:
                parts.append(f"unexpected {', '.join(map(repr, extra))}")
            return f"{path}: {'; '.join(parts)}"
        for key, value in expected.items():
            found = self._field_mismatch(key, value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None

    def _field_mismatch(self, key: str, expected: Any, actual: Any, path: str) -> str | None:
        # The README: a cause that was a JSON object in AWS was recorded as an object; the actual
        # cause is text, so parse it before comparing.
        if key == "cause" and isinstance(expected, (dict, list)) and isinstance(actual, str):
            try:
                actual = json.loads(actual)
            except ValueError:
                return f"{path}: expected a JSON cause, got {_describe(actual)}"
        return self.mismatch(expected, actual, path)

    def _array_mismatch(self, expected: list, actual: Any, path: str) -> str | None:
        if not isinstance(actual, list):
            return f"{path}: expected an array, got {_describe(actual)}"
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        for index, (want, got) in enumerate(zip(expected, actual)):
            found = self.mismatch(want, got, f"{path}[{index}]")
            if found:
                return found
        return None

    def cause_mismatch(self, expected: Any, actual: Any) -> str | None:
        """Compare a top-level cause, which may have been recorded as a parsed JSON object."""
        return self._field_mismatch("cause", expected, actual, "cause")
