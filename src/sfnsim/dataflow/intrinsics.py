"""The eighteen ``States.*`` intrinsic functions of JSONPath states.

An intrinsic call such as ``States.Format('Hello {}', $.name)`` is parsed once by
``compile_intrinsic`` into a small tree (calls, literals, paths) and evaluated many times with
``CompiledIntrinsic.evaluate(scope)``. Every function is one row of the ``FUNCTIONS`` table: its
parameters (each a converter that checks and normalises one argument) and its implementation.

What AWS documents and this module follows
(https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html):

* Arguments are string literals in single quotes, numbers, ``true``/``false``/``null``, paths
  (``$.x``, ``$$.Execution.Id``, ``$var.x``) and nested intrinsic calls.
* In a string literal ``\\'``, ``\\{``, ``\\}`` and ``\\\\`` stand for ``'``, ``{``, ``}`` and ``\\``.
  "If an open escape backslash is found in the intrinsic invocation string, the interpreter will
  throw a runtime error": a backslash before any other character fails at evaluation, not at
  compile time.
* ``States.Format`` replaces each ``{}`` of its template; an escaped ``\\{\\}`` is literal text.
* ``MathAdd``, ``ArrayRange``, ``ArrayPartition`` and ``MathRandom`` round non-integer numbers to
  the nearest integer; the recorded AWS executions show Java's ``Math.round`` (halves go up:
  -1.5 -> -1, 2.5 -> 3).
* Limits: ``ArrayRange`` makes at most 1000 items; ``Base64Encode``/``Base64Decode``/``Hash`` take at
  most 10,000 characters; ``MathAdd`` works on 32-bit integers; ``JsonMerge`` only merges shallowly,
  so its third argument must be ``false``.

Behaviour taken from the recorded AWS executions (/work/shared/conformance): ``StringToJson`` of an
empty or blank string is ``null``; ``Format`` renders a non-string argument as Java's ``toString``
does (``null``, ``1.1``, ``{Arg1=1, Arg2=[]}``); ``JsonToString`` is compact JSON.

Runtime failures are ``States.Runtime`` errors whose cause gets AWS's state prefix
(``runtime=True``). AWS's error list also names ``States.IntrinsicFailure``, but the recorded
executions show AWS reporting the sibling failure of a Parameters path as ``States.Runtime``, not the
documented ``States.ParameterPathFailure``; ``INTRINSIC_ERROR`` is the one place to change if a
recording shows otherwise. The cause texts of argument errors are sfnsim's own (AWS's are not
recorded in the corpus); a path that matches nothing uses AWS's recorded Parameters wording.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import TYPE_CHECKING, Any, Callable, Union

from sfnsim.dataflow.jsontypes import loads_json
from sfnsim.dataflow.jsonpath import (
    CompiledPath,
    PathNotFound,
    PathSyntaxError,
    compile_path,
)
from sfnsim.dataflow.jsontypes import compact_json, is_number, json_type_name
from sfnsim.dataflow.scope import Scope
from sfnsim.errors import StatesError

if TYPE_CHECKING:
    import random

INTRINSIC_ERROR = "States.Runtime"
MAX_RANGE_ITEMS = 1000
MAX_STRING_CHARS = 10_000
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# AWS's names and hashlib's (imported by States.Hash: it loads OpenSSL, which most runs never use).
HASH_ALGORITHMS: dict[str, str] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
_ESCAPES = {"'": "'", "{": "{", "}": "}", "\\": "\\"}


class IntrinsicSyntaxError(ValueError):
    """Text that is not a valid intrinsic function call; says what is wrong and at which column."""

    def __init__(self, reason: str, text: str, column: int) -> None:
        self.reason = reason
        self.text = text
        self.column = column  # 1-based
        super().__init__(f"{reason} (column {column} of {text!r})")


class _BadArgument(Exception):
    """Raised by an argument converter; becomes a StatesError at run time, a syntax error at compile time."""


# --------------------------------------------------------------------------------------------
# Rendering values the way AWS's Java runtime does
# --------------------------------------------------------------------------------------------





def _java_double(x: float) -> str:
    """Java's ``Double.toString``: plain between 1e-3 and 1e7, else ``d.dddE±n``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        return repr(x)  # Python's repr is positional with at least one decimal in this range
    from decimal import Decimal  # only for numbers Java writes in scientific notation

    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits))
    power = len(text) - 1 + int(exponent)
    text = text.rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def java_string(value: Any) -> str:
    """How ``States.Format`` renders an argument: Java ``toString`` of the parsed JSON value."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in value.items()) + "}"


def _short(value: Any) -> str:
    text = compact_json(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _canonical(value: Any) -> str:
    """A key equal for equal JSON values (object key order and 1 vs 1.0 do not matter)."""

    def norm(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return json.dumps(norm(value), sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# Argument converters: check one argument's type and normalise it
# --------------------------------------------------------------------------------------------


# The classes of this module are plain slotted classes, not dataclasses: they sit on every run's
# import path, nothing compares, hashes or copies them, and generating dataclass methods for seven
# classes cost more start-up time than it saves writing.
class Param:
    """One parameter: a name for messages and a converter (raises _BadArgument)."""

    __slots__ = ("name", "convert")

    def __init__(self, name: str, convert: Callable[[Any], Any]) -> None:
        self.name = name
        self.convert = convert


def _any(value: Any) -> Any:
    return value


def _expect(kind: str, test: Callable[[Any], bool]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if not test(value):
            raise _BadArgument(f"must be {kind}, got {json_type_name(value)} {_short(value)}")
        return value

    return convert


_string = _expect("a string", lambda v: isinstance(v, str))
_array = _expect("an array", lambda v: isinstance(v, list))
_object = _expect("an object", lambda v: isinstance(v, dict))
_number = _expect("a number", is_number)


def _java_round(value: float) -> int:
    """Java's ``Math.round``: the nearest integer, halves rounded up (towards +infinity)."""
    return int(math.floor(value + 0.5))


def _rounded(value: Any) -> int:
    """A number, rounded to the nearest integer as AWS documents for MathAdd, ArrayRange, ..."""
    _number(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _BadArgument(f"must be a finite number, got {_short(value)}")
    return value if isinstance(value, int) else _java_round(value)


def _index(value: Any) -> int:
    _number(value)
    if isinstance(value, float) and not value.is_integer():
        raise _BadArgument(f"must be an integer, got {_short(value)}")
    return int(value)


def _int32(value: Any) -> int:
    number = _rounded(value)
    if not INT32_MIN <= number <= INT32_MAX:
        raise _BadArgument(f"must be between {INT32_MIN} and {INT32_MAX}, got {_short(value)}")
    return number


def _bounded_string(value: Any) -> str:
    _string(value)
    if len(value) > MAX_STRING_CHARS:
        raise _BadArgument(f"must be at most {MAX_STRING_CHARS} characters, got {len(value)}")
    return value


def _false(value: Any) -> bool:
    if value is not False:
        raise _BadArgument(
            f"must be false (Step Functions only supports shallow merging), got {_short(value)}"
        )
    return value


def _algorithm(value: Any) -> str:
    _string(value)
    if value not in HASH_ALGORITHMS:
        raise _BadArgument(f"must be one of {', '.join(HASH_ALGORITHMS)}, got {_short(value)}")
    return value


class _Template:
    """A States.Format template: literal text pieces with a placeholder between each pair."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: tuple[str, ...]) -> None:
        self.pieces = pieces

    @property
    def placeholders(self) -> int:
        return len(self.pieces) - 1


def _template(value: Any) -> _Template:
    if isinstance(value, _Template):
        return value
    # A template read from a path has no intrinsic escapes: every "{}" is a placeholder.
    return _Template(tuple(_string(value).split("{}")))


# --------------------------------------------------------------------------------------------
# The functions
# --------------------------------------------------------------------------------------------


def _format(scope: Scope, template: _Template, *values: Any) -> str:
    if len(template.pieces) - 1 != len(values):  # template.placeholders
        raise _BadArgument(
            f"the template has {template.placeholders} placeholder(s) '{{}}' "
            f"but {len(values)} value(s) were given"
        )
    pieces = template.pieces
    if len(values) == 1:  # the usual 'text {} text'
        return pieces[0] + java_string(values[0]) + pieces[1]
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:]):
        out += [java_string(value), piece]
    return "".join(out)


def _parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _string_to_json(scope: Scope, text: str) -> Any:
    if not text.strip():
        return None
    try:
        return loads_json(text, parse_constant=_parse_constant)
    except ValueError as exc:
        raise _BadArgument(f"the string is not valid JSON ({exc}): {_short(text)}") from None


def _json_to_string(scope: Scope, value: Any) -> str:
    return compact_json(value)


def _array_of(scope: Scope, *values: Any) -> list[Any]:
    return list(values)


def _partition(scope: Scope, items: list[Any], size: int) -> list[list[Any]]:
    if size <= 0:
        raise _BadArgument(f"the chunk size must be a positive integer, got {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _contains(scope: Scope, items: list[Any], wanted: Any) -> bool:
    key = _canonical(wanted)
    return any(_canonical(item) == key for item in items)


def _range(scope: Scope, start: int, end: int, step: int) -> list[int]:
    if step == 0:
        raise _BadArgument("the step (third argument) must not be 0")
    count = max(0, (end - start) // step + 1)
    if count > MAX_RANGE_ITEMS:
        raise _BadArgument(f"the range would have {count} items; at most {MAX_RANGE_ITEMS} are allowed")
    return [start + i * step for i in range(count)]


def _get_item(scope: Scope, items: list[Any], index: int) -> Any:
    if not 0 <= index < len(items):
        raise _BadArgument(f"index {index} is out of bounds for an array of length {len(items)}")
    return items[index]


def _length(scope: Scope, items: list[Any]) -> int:
    return len(items)


def _unique(scope: Scope, items: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _base64_encode(scope: Scope, text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _base64_decode(scope: Scope, text: str) -> str:
    padded = text + "=" * (-len(text) % 4)  # padding is optional, as in Java's decoder
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise _BadArgument(f"the string is not valid Base64: {_short(text)}") from None
    return raw.decode("utf-8", errors="replace")  # Java's new String(bytes, UTF_8) replaces too


def _hash(scope: Scope, text: str, algorithm: str) -> str:
    import hashlib

    return hashlib.new(HASH_ALGORITHMS[algorithm], text.encode("utf-8")).hexdigest()


def _json_merge(scope: Scope, first: dict[str, Any], second: dict[str, Any], deep: bool) -> dict[str, Any]:
    return {**first, **second}


def _math_random(scope: Scope, start: int, end: int, seed: int | None = None) -> int:
    if end <= start:
        raise _BadArgument(f"the end ({end}) must be greater than the start ({start})")
    if seed is None:
        return scope.rng.randrange(start, end)
    # AWS documents only that a fixed seed returns an identical number. Java's Random is the
    # likely generator behind it; the exact value is not verified against AWS.
    return start + _JavaRandom(seed).next_int(end - start)


def _math_add(scope: Scope, first: int, second: int) -> int:
    return first + second


def _string_split(scope: Scope, text: str, delimiters: str) -> list[str]:
    # Every character of the second argument is a delimiter and empty pieces are dropped
    # (AWS's example splits "This.is+a,test=string" on ".+,=").
    if not delimiters:
        return [text] if text else []
    pattern = "[" + re.escape(delimiters) + "]+"
    return [piece for piece in re.split(pattern, text) if piece]


def _uuid(scope: Scope) -> str:
    return random_uuid(scope.rng)


def random_uuid(rng: random.Random) -> str:
    """A version 4 UUID drawn from ``rng`` (the execution's generator, so runs are reproducible):
    States.UUID, JSONata's $uuid(), execution names and request ids."""
    return uuid4_text(rng.getrandbits(128))


def uuid4_text(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))`` in half the time (every Lambda Task draws a request id)."""
    bits = (bits & ~(0xC000 << 48) | (0x8000 << 48)) & ~(0xF000 << 64) | (4 << 76)  # RFC 4122 variant, version 4
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class _JavaRandom:
    """The linear congruential generator of ``java.util.Random`` (enough for ``nextInt(bound)``)."""

    _MULTIPLIER, _ADDEND, _MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ self._MULTIPLIER) & self._MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * self._MULTIPLIER + self._ADDEND) & self._MASK
        return self._seed >> (48 - bits)

    def next_int(self, bound: int) -> int:
        if bound & -bound == bound:  # a power of two
            return (bound * self._next(31)) >> 31
        while True:
            bits = self._next(31)
            value = bits % bound
            if bits - value + (bound - 1) < 2**31:  # Java rejects draws that overflow an int
                return value


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


class FunctionSpec:
    """An intrinsic function: its parameters and its implementation ``impl(scope, *args)``.

    ``optional`` trailing parameters may be left out; ``rest`` (for variadic functions) converts
    every argument after the fixed ones.
    """

    __slots__ = ("name", "params", "impl", "optional", "rest")

    def __init__(self, name: str, params: tuple[Param, ...], impl: Callable[..., Any], optional: int = 0,
                 rest: Param | None = None) -> None:
        self.name = name
        self.params = params
        self.impl = impl
        self.optional = optional
        self.rest = rest

    @property
    def min_args(self) -> int:
        return len(self.params) - self.optional

    @property
    def max_args(self) -> int | None:
        return None if self.rest else len(self.params)

    def param(self, position: int) -> Param:
        return self.params[position] if position < len(self.params) else self.rest  # type: ignore[return-value]

    def arity(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args} argument(s)"
        if self.min_args == self.max_args:
            return f"exactly {self.min_args} argument(s)"
        return f"{self.min_args} to {self.max_args} arguments"


def _spec(
    name: str, impl: Callable[..., Any], *params: Param, optional: int = 0, rest: Param | None = None
) -> FunctionSpec:
    return FunctionSpec("States." + name, params, impl, optional, rest)


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        _spec("Format", _format, Param("template", _template), rest=Param("value", _any)),
        _spec("StringToJson", _string_to_json, Param("string", _string)),
        _spec("JsonToString", _json_to_string, Param("value", _any)),
        _spec("Array", _array_of, rest=Param("value", _any)),
        _spec("ArrayPartition", _partition, Param("array", _array), Param("chunk size", _rounded)),
        _spec("ArrayContains", _contains, Param("array", _array), Param("value", _any)),
        _spec("ArrayRange", _range, Param("start", _rounded), Param("end", _rounded), Param("step", _rounded)),
        _spec("ArrayGetItem", _get_item, Param("array", _array), Param("index", _index)),
        _spec("ArrayLength", _length, Param("array", _array)),
        _spec("ArrayUnique", _unique, Param("array", _array)),
        _spec("Base64Encode", _base64_encode, Param("string", _bounded_string)),
        _spec("Base64Decode", _base64_decode, Param("string", _bounded_string)),
        _spec("Hash", _hash, Param("data", _bounded_string), Param("algorithm", _algorithm)),
        _spec("JsonMerge", _json_merge, Param("object", _object), Param("object", _object), Param("deep", _false)),
        _spec(
            "MathRandom", _math_random,
            Param("start", _rounded), Param("end", _rounded), Param("seed", _rounded), optional=1,
        ),
        _spec("MathAdd", _math_add, Param("value", _int32), Param("step", _int32)),
        _spec("StringSplit", _string_split, Param("string", _string), Param("delimiter", _string)),
        _spec("UUID", _uuid),
    )
}


# --------------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------------


def _input_text(scope: Scope) -> str:
    return compact_json(scope.data)


class Literal:
    """A constant argument: string, number, true, false, null (or a pre-split Format template)."""

    __slots__ = ("value", "column", "raw", "error")

    def __init__(self, value: Any, column: int, raw: str | None = None, error: str | None = None) -> None:
        self.value = value
        self.column = column
        self.raw = raw  # a string literal's text between the quotes, escapes not applied
        self.error = error  # an open escape: AWS fails at run time, not at creation

    def evaluate(self, scope: Scope, where: str | None) -> Any:
        if self.error:
            raise StatesError(INTRINSIC_ERROR, self.error, runtime=True)
        return self.value


class PathArgument:
    """A ``$``, ``$$`` or ``$var`` path argument, resolved against the Scope."""

    __slots__ = ("path", "column")

    def __init__(self, path: CompiledPath, column: int) -> None:
        self.path = path
        self.column = column

    def evaluate(self, scope: Scope, where: str | None) -> Any:
        try:
            return self.path.resolve(scope)
        except PathNotFound:
            # AWS's wording for a Parameters path that matches nothing (recorded in the corpus).
            field_part = f" specified for the field '{where}'" if where else ""
            cause = (
                f"The JSONPath '{self.path.text}'{field_part} could not be found "
                f"in the input '{_input_text(scope)}'"
            )
            raise StatesError(INTRINSIC_ERROR, cause, runtime=True) from None


Node = Union[Literal, PathArgument, "Call"]


class Call:
    """One ``States.X(...)`` call: arguments are evaluated, converted by the spec, then passed on."""

    __slots__ = ("spec", "args", "column", "text", "_converter_list")

    def __init__(self, spec: FunctionSpec, args: tuple[Node, ...], column: int, text: str) -> None:
        self.spec = spec
        self.args = args
        self.column = column
        self.text = text  # this call's own source text, for messages
        # Each argument's converter, looked up once per call site (conversions are pure). The
        # parser checks the arity first; a spec without a parameter there has no converter.
        params = [spec.param(i) for i in range(len(args))]
        self._converter_list = tuple(param.convert for param in params) if None not in params else ()

    def evaluate(self, scope: Scope, where: str | None) -> Any:
        # Loops, not comprehensions: no frames of their own (Python < 3.12) on this per-visit path.
        values = []
        for arg in self.args:  # every argument is evaluated before any is converted
            values.append(arg.evaluate(scope, where))
        try:
            converted = []
            try:
                for convert, value in zip(self._converter_list, values):
                    converted.append(convert(value))
            except _BadArgument:  # again, argument by argument, for a message that names the culprit
                converted = [self._convert(i, value) for i, value in enumerate(values)]
            return self.spec.impl(scope, *converted)
        except _BadArgument as exc:
            raise StatesError(INTRINSIC_ERROR, f"Invalid arguments in {self.text}: {exc}", runtime=True) from None

    def _convert(self, position: int, value: Any) -> Any:
        param = self.spec.param(position)
        try:
            return param.convert(value)
        except _BadArgument as exc:
            raise _BadArgument(f"argument {position + 1} ({param.name}) {exc}") from None


class CompiledIntrinsic:
    """A parsed intrinsic call; ``evaluate`` runs it against a Scope."""

    __slots__ = ("text", "root")

    def __init__(self, text: str, root: Call) -> None:
        self.text = text
        self.root = root

    def evaluate(self, scope: Scope, field: str | None = None) -> Any:
        """The call's value; raises StatesError (``States.Runtime``, state-prefixed cause).

        ``field`` (e.g. ``"greeting.$"``) is named in the cause when a path matches nothing,
        as AWS does.
        """
        return self.root.evaluate(scope, field)


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------

_NAME = re.compile(r"States\.[A-Za-z0-9]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_KEYWORDS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, reason: str, pos: int | None = None) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(reason, self.text, (self.pos if pos is None else pos) + 1)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Call:
        if not self.text.startswith("States."):
            raise self.fail("an intrinsic function call must start with 'States.'", 0)
        call = self.call()
        self.skip_space()
        if self.pos < len(self.text):
            raise self.fail(f"unexpected text after the closing ')': {self.text[self.pos:]!r}")
        return call

    def call(self) -> Call:
        start = self.pos
        m = _NAME.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a function name 'States.<Name>'")
        name = m.group()
        spec = FUNCTIONS.get(name)
        if spec is None:
            import difflib  # only to word a mistake

            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; known functions: {', '.join(FUNCTIONS)}"
            raise self.fail(f"unknown intrinsic function {name!r}{hint}", start)
        self.pos = m.end()
        self.skip_space()
        if self.peek() != "(":
            raise self.fail(f"expected '(' after {name}")
        self.pos += 1
        args = self.arguments(name)
        call = Call(spec, tuple(args), start + 1, self.text[start : self.pos])
        self.check_arity(call, start)
        return self.check_literals(call)

    def arguments(self, name: str) -> list[Node]:
        args: list[Node] = []
        self.skip_space()
        if self.peek() == ")":
            self.pos += 1
            return args
        while True:
            self.skip_space()
            args.append(self.argument())
            self.skip_space()
            char = self.peek()
            if char == ")":
                self.pos += 1
                return args
            if char != ",":
                found = repr(char) if char else "the end of the text"
                raise self.fail(f"expected ',' or ')' in the arguments of {name}, found {found}")
            self.pos += 1

    def argument(self) -> Node:
        char, start = self.peek(), self.pos
        if char == "'":
            return self.string()
        if char == "$":
            return self.path()
        if self.text.startswith("States.", self.pos):
            return self.call()
        m = _NUMBER.match(self.text, self.pos)
        if m and not _WORD.match(self.text, m.end()):
            self.pos = m.end()
            number = m.group()
            return Literal(float(number) if any(c in number for c in ".eE") else int(number), start + 1)
        w = _WORD.match(self.text, self.pos)
        if w and w.group() in _KEYWORDS:
            self.pos = w.end()
            return Literal(_KEYWORDS[w.group()], start + 1)
        if not char:
            raise self.fail("expected an argument, found the end of the text")
        if w:
            raise self.fail(
                f"unexpected {w.group()!r}: an argument is a 'string', a number, true, false, null, "
                "a path starting with '$' or a States.* call"
            )
        raise self.fail(f"unexpected {char!r} where an argument should be")

    def string(self) -> Literal:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        error = None
        while True:
            if self.pos >= len(self.text):
                raise self.fail("unterminated string literal (missing closing ')", start)
            char = self.text[self.pos]
            if char == "'":
                self.pos += 1
                return Literal("".join(chars), start + 1, self.text[start + 1 : self.pos - 1], error)
            if char == "\\":
                escaped = self.text[self.pos + 1 : self.pos + 2]
                if escaped in _ESCAPES:
                    chars.append(_ESCAPES[escaped])
                    self.pos += 2
                    continue
                if error is None:
                    error = (
                        f"Open escape backslash at column {self.pos + 1} of the intrinsic function "
                        f"{self.text!r}: only \\', \\{{, \\}} and \\\\ are escapes"
                    )
            chars.append(char)
            self.pos += 1

    def path(self) -> PathArgument:
        """A path runs to the first ',', ')' or space outside its brackets and quotes."""
        start = self.pos
        openers: list[str] = []
        quote = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                if char == "\\":
                    self.pos += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"" and openers:
                quote = char
            elif char in "[(":
                openers.append("]" if char == "[" else ")")
            elif char in "])":
                if not openers:
                    break
                if openers.pop() != char:
                    raise self.fail(f"unbalanced brackets in path: unexpected {char!r}")
            elif not openers and (char == "," or char.isspace()):
                break
            self.pos += 1
        if quote or openers:
            raise self.fail("unbalanced brackets or quotes in path", start)
        text = self.text[start : self.pos]
        try:
            return PathArgument(compile_path(text), start + 1)
        except PathSyntaxError as exc:
            raise self.fail(str(exc), start) from None

    def check_arity(self, call: Call, start: int) -> None:
        spec, count = call.spec, len(call.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise self.fail(f"{spec.name} takes {spec.arity()}, got {count}", start)

    def check_literals(self, call: Call) -> Call:
        """Reject literal arguments of the wrong type now, and split a literal Format template."""
        args = list(call.args)
        for i, arg in enumerate(args):
            if isinstance(arg, Literal) and arg.error is None:
                try:
                    call._convert(i, arg.value)
                except _BadArgument as exc:
                    raise self.fail(f"{call.spec.name}: {exc}", arg.column - 1) from None
        if call.spec.name == "States.Format" and isinstance(args[0], Literal) and args[0].error is None:
            # A placeholder count that does not match the values fails at run time, not here:
            # AWS's own nested-call example has three placeholders and two values.
            args[0] = Literal(self.literal_template(args[0]), args[0].column)
        return Call(call.spec, tuple(args), call.column, call.text)

    @staticmethod
    def literal_template(literal: Literal) -> _Template:
        """Split a literal template at its unescaped ``{}`` (escaped braces are plain text)."""
        raw = literal.raw or ""
        pieces, current, i = [], [], 0
        while i < len(raw):
            if raw[i] == "\\":
                current.append(_ESCAPES[raw[i + 1]])
                i += 2
            elif raw.startswith("{}", i):
                pieces.append("".join(current))
                current = []
                i += 2
            else:
                current.append(raw[i])
                i += 1
        pieces.append("".join(current))
        return _Template(tuple(pieces))


def looks_like_intrinsic(text: Any) -> bool:
    """A quick test: ``text`` starts with ``States.`` and has a ``(`` (so it is meant as a call)."""
    return isinstance(text, str) and text.startswith("States.") and "(" in text


def compile_intrinsic(text: str) -> CompiledIntrinsic:
    """Parse an intrinsic call once; raises IntrinsicSyntaxError saying what is wrong and where."""
    if not isinstance(text, str):
        reason = f"an intrinsic function call must be a string, got {json_type_name(text)}"
        raise IntrinsicSyntaxError(reason, str(text), 1)
    return CompiledIntrinsic(text, _Parser(text).parse())


__all__ = [
    "FUNCTIONS",
    "INTRINSIC_ERROR",
    "CompiledIntrinsic",
    "FunctionSpec",
    "IntrinsicSyntaxError",
    "compile_intrinsic",
    "java_string",
    "looks_like_intrinsic",
]
