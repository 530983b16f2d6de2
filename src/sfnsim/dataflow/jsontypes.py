"""JSON values as AWS handles them: type names as its messages name them ("number", "array", ...),
what counts as a number, and JSON text as it writes it in histories and causes."""

from __future__ import annotations

import copy
import json
import re
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


# How deeply a JSON value may nest. AWS documents no bound; sfnsim's own code walks values
# recursively (some walks take two stack frames a level, and Python allows about 1,000), so it
# refuses deeper values with a named error instead of overflowing the stack.
MAX_NESTING_DEPTH = 250
# Python refuses to turn integers past about 4,300 digits into text (sys.get_int_max_str_digits),
# so no JSON text sfnsim writes can hold them. Measured in bits: str() would refuse to count digits.
MAX_INTEGER_BITS = 14_284  # 4,300 decimal digits

_HINTS = {
    "tuple": "return a list instead",
    "set": "return a sorted list instead",
    "frozenset": "return a sorted list instead",
    "datetime": "return its .isoformat() text",
    "date": "return its .isoformat() text",
    "FakeDatetime": "return its .isoformat() text",  # a datetime while freezegun is active
    "FakeDate": "return its .isoformat() text",
    "Decimal": "return an int or a float",
    "bytes": "decode it to text (or base64-encode it)",
    "bytearray": "decode it to text (or base64-encode it)",
    "generator": "return a list, e.g. list(...)",
}
_INFINITIES = (float("inf"), float("-inf"))


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class JsonProblem:
    """Why a value is not JSON, and where: ``path`` holds the keys and indexes leading to it."""

    __slots__ = ("path", "message")

    def __init__(self, path: tuple[Any, ...], message: str) -> None:
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{_where(self.path)}: {self.message}"


def json_value_problem(value: Any, max_depth: int = MAX_NESTING_DEPTH) -> JsonProblem | None:
    """What makes ``value`` something no JSON document (and so no AWS payload) can hold, or None.

    ``str()`` of the answer says where, as a JSONPath (``$.rows[2].when: a datetime is not a JSON
    value; ...``). The walks are iterative, so a value nested far too deeply is reported, not a
    RecursionError. Handler results are checked on every call: a quick level-by-level pass answers
    for good values, and only a bad one is walked again to say where.
    """
    if _plainly_json(value, max_depth):
        return None
    return _locate_problem(value, max_depth)


def _plainly_json(value: Any, max_depth: int) -> bool:
    level = [value]
    for _ in range(max_depth + 1):
        below: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is str:
                if not item.isascii():
                    return False  # may hold a lone surrogate: the careful walk decides
            elif kind is dict:
                for key in item:
                    if type(key) is not str or not key.isascii():
                        return False
                below.extend(item.values())
            elif kind is list:
                below.extend(item)
            elif kind is int:
                if item.bit_length() > MAX_INTEGER_BITS:
                    return False
            elif kind is float:
                if item != item or item in _INFINITIES:
                    return False
            elif item is not None and kind is not bool:
                return False
        if not below:
            return True
        level = below
    return False  # deeper than max_depth


def _locate_problem(value: Any, max_depth: int) -> JsonProblem | None:
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 0, ())]
    while stack:
        item, depth, path = stack.pop()
        kind = type(item)
        if kind is str:
            if not item.isascii() and not _encodable(item):
                return JsonProblem(path, f"the text holds a lone surrogate (not valid Unicode): {item[:40]!r}")
        elif kind is int:
            if item.bit_length() > MAX_INTEGER_BITS:
                return JsonProblem(path, "an integer of more than 4300 digits cannot be written as JSON text")
        elif kind is float:
            if item != item or item in _INFINITIES:
                return JsonProblem(path, f"{item!r} is not a JSON number")
        elif item is None or kind is bool:
            continue
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                return JsonProblem(path, f"nested more than {max_depth} levels deep (sfnsim's limit)")
            if isinstance(item, list):
                stack.extend((child, depth + 1, (*path, index)) for index, child in enumerate(item))
                continue
            for key, child in item.items():
                if type(key) is not str:
                    return JsonProblem(path, f"the key {key!r} is {_a(type(key).__name__)}; JSON object keys are text")
                if not key.isascii() and not _encodable(key):
                    return JsonProblem(path, f"the key {key!r} holds a lone surrogate (not valid Unicode)")
                stack.append((child, depth + 1, (*path, key)))
        elif isinstance(item, (str, int, float)):  # a subclass (an IntEnum, a str subclass) is checked as its base
            base = str if isinstance(item, str) else int if isinstance(item, int) else float
            stack.append((base(item), depth, path))
        else:
            name = kind.__name__
            hint = _HINTS.get(name)
            return JsonProblem(path, f"{_a(name)} is not a JSON value" + (f"; {hint}" if hint else ""))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _a(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _where(path: tuple[Any, ...]) -> str:
    if len(path) > 12:  # deep: the first steps and the last ones say enough
        return f"{_where(path[:4])}...{_where(path[-4:])[1:]} (at depth {len(path)})"
    text = "$"
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif step.isidentifier():
            text += f".{step}"
        else:
            text += f"[{step!r}]"
    return text


def is_number(value: Any) -> bool:
    """A JSON number: an int or a float, but not a boolean (Python's bool is an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compact_json(value: Any, *, ascii_only: bool = False) -> str:
    """JSON text as AWS writes it in history fields and causes: compact, non-ASCII kept as is.

    ``ascii_only`` escapes non-ASCII characters (``\\uXXXX``), as JSON written by a Python Lambda
    function (``json.dumps``'s default) or an SDK response body is."""
    return (_COMPACT_ASCII if ascii_only else _COMPACT).encode(value)


# Built once: ``json.dumps`` with any option builds a new encoder per call, and the payload-size
# check serialises every state's output (json.dumps's own defaults otherwise, so the text is the same).
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def copy_json(value: Any) -> Any:
    """A copy of a JSON value that shares nothing mutable with it, as a JSON round trip would give.

    Several times cheaper than ``copy.deepcopy`` on the small documents every Task hands its
    handler. Anything that is not a plain JSON type is deep-copied as before."""
    kind = type(value)
    if kind is dict:
        return {key: item if type(item) in _IMMUTABLE else copy_json(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _IMMUTABLE else copy_json(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def compact_json_size(value: Any) -> int:
    """``len(compact_json(value).encode("utf-8"))``, the payload-size check's measure, computed faster:
    the C encoder ``JSONEncoder.encode`` builds anew on every call is reused here (one per thread
    at a time: its record of the containers being written, which detects circular references, must
    not be shared), and ASCII text (the usual case) needs no UTF-8 copy to be measured."""
    make = _c_make_encoder
    if make is None:  # a Python without the json accelerator
        return utf8_length(compact_json(value))
    encoder = _SIZERS.pop() if _SIZERS else make(
        {}, _COMPACT.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    text = "".join(encoder(value, 0))  # raises as compact_json does; the encoder is then dropped
    _SIZERS.append(encoder)
    return utf8_length(text)


def utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_SIZERS: list[Any] = []  # idle encoders; list.pop and append are atomic, so threads never share one


def shown(value: Any) -> str:
    """How AWS quotes an offending value in a cause: strings as they are, the rest as compact JSON."""
    return value if isinstance(value, str) else compact_json(value)


class JsonTooDeep(json.JSONDecodeError):
    """JSON text nested deeper than sfnsim reads; a JSONDecodeError, so every reader reports it."""


class JsonNumberTooLong(json.JSONDecodeError):
    """An integer too long for Python to read (over 4,300 digits); a JSONDecodeError too."""


def loads_json(text: str, **options: Any) -> Any:
    """``json.loads``; text nested deeper than MAX_NESTING_DEPTH raises JsonTooDeep at the place
    where it gets too deep. (Python's parser recurses per level: past its limit it raises a
    RecursionError, or a JSONDecodeError that blames the syntax.)"""
    try:
        return json.loads(text, **options)
    except (json.JSONDecodeError, RecursionError) as exc:
        offset = nesting_overflow(text, MAX_NESTING_DEPTH)
        if offset is not None:
            raise JsonTooDeep(f"nested more than {MAX_NESTING_DEPTH} levels deep (sfnsim's limit)",
                              text, offset) from None
        if isinstance(exc, RecursionError):
            raise JsonTooDeep("nested too deeply", text, 0) from None
        raise
    except ValueError:  # int(): "Exceeds the limit (4300 digits) for integer string conversion"
        long_number = _LONG_INTEGER.search(text)
        raise JsonNumberTooLong("an integer of more than 4300 digits cannot be read",
                                text, long_number.start() if long_number else 0) from None


_LONG_INTEGER = re.compile(r"\d{4301,}")


def nesting_overflow(text: str, limit: int) -> int | None:
    """The offset where brackets outside strings first nest deeper than ``limit``, if they do."""
    depth, in_string, escaped = 0, False, False
    for offset, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return offset
        elif char in "]}":
            depth -= 1
    return None
