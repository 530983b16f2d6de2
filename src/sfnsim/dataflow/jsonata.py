"""JSONata as Step Functions runs it: ``{% ... %}`` fields, AWS's function set, AWS's error texts.

This is the only module that talks to the JSONata engine (jlens, pinned in the project's
dependencies), so the engine can be swapped here without touching the rest of sfnsim.

What AWS documents ("Transforming data with JSONata in Step Functions"):

* A field value (at any depth of an object or array) is an expression when the string *starts*
  with ``{%`` and *ends* with ``%}``; any other string is a literal. There is no interpolation.
* The language is JSONata 2.0.6 without ``$eval`` ("not available, use ``$parse``"), plus six
  functions: ``$partition``, ``$range``, ``$hash``, ``$random(seed?)``, ``$uuid`` and ``$parse``.
* ``$states`` (input, result, errorOutput, context) and every workflow variable (``$name``) are
  bound; there is no context item.
* An expression that yields nothing fails the state with ``States.QueryEvaluationError``.

What the docs leave open is taken from recorded AWS executions (the conformance corpus) where
it shows it: the cause texts, the field path in them (``Output/result``), the JSONata error text
``<code>: <message>`` as jsonata-js words it. The engine implements JSONata 2.2, so the two
operators AWS's 2.0.6 parser rejects (``??`` and ``?:``) are refused here with the error 2.0.6
gives. Argument edge cases of the six AWS functions (undefined vs error, rounding towards zero,
the seeded ``$random`` being ``java.util.Random``) follow what emulators measured against AWS;
the docs do not describe them, and each is noted where it is implemented.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Final, Mapping

import jlens

from sfnsim.dataflow.intrinsics import random_uuid
from sfnsim.dataflow.jsontypes import compact_json, copy_json, json_type_name
from sfnsim.errors import StatesError

QUERY_EVALUATION_ERROR: Final = "States.QueryEvaluationError"

# A runaway expression (recursion with no base case loops, it does not overflow) must not hang
# a test run. Generous: AWS-accepted expressions evaluate in milliseconds.
EVALUATION_TIMEOUT_SECONDS: Final = 10.0
# AWS stops evaluation past a nesting depth near 100 and past a memory bound ("Expression
# evaluation memory limit exceeded"). The engine counts depth in its own units: 310 of them allow
# about 100 nested (non-tail) function calls, measured. Steps bound a runaway tail recursion or
# loop (5 million take about half a second); the sizes bound what one expression may build.
EVALUATION_LIMITS: Final = {
    "max_depth": 310,
    "max_steps": 5_000_000,
    "max_string_length": 10_000_000,
    "max_array_length": 1_000_000,
    "max_result_size": 10_000_000,
}
MEMORY_LIMIT_MESSAGE: Final = "Expression evaluation memory limit exceeded"
_MEMORY_LIMIT_CODES: Final = frozenset({"U1001", "U1002", "U1003", "U1004", "U1005"})


class _Undefined:
    """JSONata's "nothing": what ``$states.input.missing`` evaluates to. Distinct from ``None``
    (JSON ``null``), which is a value."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> tuple[type[_Undefined], tuple[()]]:
        return (_Undefined, ())  # copies and pickles stay the singleton


UNDEFINED: Final = _Undefined()


class JsonataSyntaxError(ValueError):
    """An expression AWS would not accept: a parse error, or syntax newer than JSONata 2.0.6."""

    def __init__(
        self, code: str, message: str, *, text: str = "", position: int | None = None, field: str | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.text = text
        self.position = position
        self.field = field
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" in field '{self.field}'" if self.field else ""
        at = f" at character {self.position}" if self.position is not None else ""
        return f"invalid JSONata expression '{self.text}'{where}{at}: {self.code}: {self.message}"


class JsonataEvaluationError(Exception):
    """A JSONata runtime error, worded as jsonata-js words it (AWS shows ``<code>: <message>``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def is_jsonata_expression(value: Any) -> bool:
    """True for a string that is exactly ``{% ... %}``.

    AWS requires the delimiters at the very start and end (no whitespace outside them); a string
    that merely contains ``{%`` is a literal.
    """
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


def expression_text(value: str) -> str:
    """The expression inside ``{% %}``, as AWS quotes it in causes (surrounding blanks dropped)."""
    return value[2:-2].strip()


# --- syntax AWS's JSONata 2.0.6 rejects --------------------------------------------------------

def _newer_operator(text: str) -> tuple[str, int] | None:
    """The first ``??`` or ``?:`` (JSONata 2.1 operators) outside literals, comments and regexes.

    Returns the symbol JSONata 2.0.6 stumbles on (the second character) and its offset.
    A ``/`` starts a regex where an operand is expected, as in the JSONata tokenizer.
    """
    i, n = 0, len(text)
    previous = "operator"  # kind of the last token: "value" or "operator"
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "'\"":
            i = _skip_string(text, i)
            previous = "value"
        elif char == "`":
            end = text.find("`", i + 1)
            i = n if end < 0 else end + 1
            previous = "value"
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif char == "/" and previous == "operator":
            i = _skip_regex(text, i)
            previous = "value"
        elif char == "?" and i + 1 < n and text[i + 1] in "?:":
            return text[i + 1], i + 1
        elif char.isalnum() or char in "_$.":
            i += 1
            previous = "value"
        else:
            previous = "value" if char in ")]}" else "operator"
            i += 1
    return None


def _skip_string(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == quote:
            return i + 1
        else:
            i += 1
    return len(text)


def _skip_regex(text: str, start: int) -> int:
    i, depth = start + 1, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif char == "/" and not depth:
            i += 1
            while i < len(text) and text[i] in "im":
                i += 1
            return i
        i += 1
    return len(text)


# --- the functions AWS adds --------------------------------------------------------------------


class _HostError(Exception):
    """Raised by the AWS functions below; the engine lets it through unchanged."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


# The engine reads a host function's ``None`` as undefined; NaN is what it turns into ``null``.
_JSONATA_NULL: Final = math.nan

_CURRENT_RNG: contextvars.ContextVar[random.Random] = contextvars.ContextVar("sfnsim_jsonata_rng")

_HASH_ALGORITHMS: Final = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_MAX_RANGE_LENGTH: Final = 10_000_000


def _signature_error(function: str, argument: int) -> _HostError:
    return _HostError("T0410", f'Argument {argument} of function "{function}" does not match function signature')


def _towards_zero(number: float) -> int:
    """AWS rounds a fractional argument towards zero (2.9 -> 2, -1.7 -> -1), like a Java cast."""
    if math.isnan(number):
        return 0
    return max(-(2**63), min(2**63 - 1, int(number)))


def _partition(array: Any = None, size: Any = None) -> Any:
    """``$partition(array, chunkSize)``: chunks of ``chunkSize``, the last one holding the rest.

    Undefined for an undefined or empty array and for a size that rounds to 0; the whole array
    as one chunk when the size is omitted.
    """
    if array is None:
        return None
    if not isinstance(array, list):
        # AWS's wording, "array of undefined" included.
        raise _HostError("T0412", 'Argument 1 of function "partition" must be an array of undefined')
    if not array:
        return None
    if size is None:
        return [array]
    chunk = _towards_zero(size)
    if chunk < 0:
        raise _HostError("D3137", "Second argument must be zero or greater")
    if chunk == 0:
        return None
    return [array[i : i + chunk] for i in range(0, len(array), chunk)]


def _range(start: Any = None, end: Any = None, step: Any = None) -> Any:
    """``$range(start, end, step)``: ``start``, ``start+step``, ... up to and including ``end``.

    Undefined when the step is missing, zero or points away from ``end``; a range of one
    element is that number (AWS returns it as a JSONata sequence, which collapses).
    """
    if start is None:
        raise _signature_error("range", 1)
    if end is None:
        raise _signature_error("range", 2)
    if step is None:
        return None
    first, last, stride = _towards_zero(start), _towards_zero(end), _towards_zero(step)
    if stride == 0 or (stride > 0 and first > last) or (stride < 0 and first < last):
        return None
    count = (last - first) // stride + 1
    if count > _MAX_RANGE_LENGTH:
        raise _HostError("D2014", "The size of the sequence allocated by the range operator (..) must not exceed 1e7")
    if count == 1:
        return first
    return [first + k * stride for k in range(count)]


def _hash(value: Any = None, algorithm: Any = None) -> Any:
    """``$hash(value, algorithm)``: lowercase hex digest of the UTF-8 bytes of ``value``."""
    if value is None:
        raise _signature_error("hash", 1)
    if algorithm is None:
        return None
    name = _HASH_ALGORITHMS.get(algorithm)
    if name is None:
        # AWS's wording and (Java set) order of the names.
        raise _HostError("D3137", f"Hash algorithm '{algorithm}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5")
    return hashlib.new(name, value.encode("utf-8", errors="replace")).hexdigest()


def java_random_double(seed: int) -> float:
    """``new java.util.Random(seed).nextDouble()``, the generator behind AWS's ``$random(seed)``.

    The algorithm is the 48-bit linear congruential generator specified by the Java API docs.
    """
    multiplier, mask = 0x5DEECE66D, (1 << 48) - 1
    state = (seed ^ multiplier) & mask

    def next_bits(bits: int) -> int:
        nonlocal state
        state = (state * multiplier + 0xB) & mask
        return state >> (48 - bits)

    high = next_bits(26)
    low = next_bits(27)
    return ((high << 27) + low) * 2.0**-53


def _random(seed: Any = None) -> float:
    """``$random(seed?)``: unseeded draws come from the execution's generator; a seed makes the
    value reproducible, the same as AWS returns for it."""
    if seed is None:
        return _CURRENT_RNG.get().random()
    return java_random_double(_towards_zero(seed))


def _uuid() -> str:
    """``$uuid()``: a version 4 UUID drawn from the execution's generator."""
    return random_uuid(_CURRENT_RNG.get())


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _parse(text: Any = None) -> Any:
    """``$parse(jsonString)``: the JSON value the string holds. Strict JSON only: AWS refuses
    empty text, trailing documents, duplicate keys and numbers too large for a double."""
    if text is None:
        return None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
        _check_finite(value)
    except ValueError:
        raise _HostError("D3137", "Invalid JSON") from None
    return _JSONATA_NULL if value is None else value


def _check_finite(value: Any) -> None:
    if isinstance(value, float) and math.isinf(value):
        raise ValueError("number out of range")
    if isinstance(value, list):
        for item in value:
            _check_finite(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_finite(item)


@dataclass(frozen=True)
class _AwsFunction:
    name: str
    signature: str  # jsonata signature: the engine checks types and arity with jsonata-js's errors
    implementation: Callable[..., Any]


_AWS_FUNCTIONS: Final = (
    _AwsFunction("partition", "<x?n?:x>", _partition),
    _AwsFunction("range", "<nnn?:x>", _range),
    _AwsFunction("hash", "<ss?:s>", _hash),
    _AwsFunction("random", "<n?:n>", _random),
    _AwsFunction("uuid", "<:s>", _uuid),
    _AwsFunction("parse", "<s?:x>", _parse),
)

# Bound under every workflow variable: `$eval` is "not available" on AWS, so calling it is
# JSONata's "Attempted to invoke a non-function" (T1006), as for any unbound name.
_DISABLED_BUILTINS: Final = {"eval": None}


# --- compiled expressions ------------------------------------------------------------------------


def _utc(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


class CompiledExpression:
    """One compiled JSONata expression (the text inside ``{% %}``). Immutable and thread-safe."""

    __slots__ = ("text", "_engine", "_reads", "_uses_builtin_random")

    def __init__(self, text: str) -> None:
        self.text = text
        self._engine = _compile_engine(text)
        # The engine converts bindings whole on every call; handing it only the parts the
        # expression reads keeps a field lookup cheap on a large input or many variables.
        reads = self._engine.reads()
        self._reads: dict[str, Any] | None = None if reads.get("everyBinding") else reads["bindings"]
        # `$shuffle` is the one built-in left drawing from the engine's own generator.
        self._uses_builtin_random = "shuffle" in text

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r})"

    def evaluate(
        self, states: dict[str, Any], variables: Mapping[str, Any], rng: random.Random, now: datetime
    ) -> Any:
        """The expression's value, or ``UNDEFINED``; raises ``JsonataEvaluationError``.

        ``states`` is bound as ``$states``, each variable as ``$name``; ``$now()``/``$millis()``
        read ``now`` and every random draw comes from ``rng``.
        """
        bindings = self._bindings(states, variables)
        seed = rng.getrandbits(32) if self._uses_builtin_random else None
        token = _CURRENT_RNG.set(rng)
        try:
            result = self._engine.evaluate_json(
                None, bindings, now=_utc(now), seed=seed, timeout=EVALUATION_TIMEOUT_SECONDS, **EVALUATION_LIMITS
            )
        except jlens.JlensError as error:
            if error.code in _MEMORY_LIMIT_CODES:  # a size bound: AWS words it as its memory limit
                raise JsonataEvaluationError(error.code, f"{MEMORY_LIMIT_MESSAGE} ({error})") from None
            raise JsonataEvaluationError(error.code, str(error)) from None
        except _HostError as error:
            raise JsonataEvaluationError(error.code, error.message) from None
        finally:
            _CURRENT_RNG.reset(token)
        return UNDEFINED if result is None else json.loads(result)

    def yields_function(self, states: dict[str, Any], variables: Mapping[str, Any], now: datetime) -> bool:
        """Whether an expression that came out undefined as JSON actually gave a function.

        The JSON API cannot tell the two apart; the engine's audit names the root's output. Only
        asked on that error path, so the second evaluation costs nothing otherwise.
        """
        report = self._engine.evaluate_with_audit(None, self._bindings(states, variables), now=_utc(now), seed=0,
                                                  timeout=EVALUATION_TIMEOUT_SECONDS)
        root = ((report.get("audit") or {}).get("root") or {})
        return report.get("error") is None and root.get("output") == "<function>"

    def _bindings(self, states: dict[str, Any], variables: Mapping[str, Any]) -> dict[str, Any]:
        # `states` last: it is reserved, a variable cannot shadow it.
        if self._reads is None:
            return {**_DISABLED_BUILTINS, **variables, "states": states}
        bindings: dict[str, Any] = dict(_DISABLED_BUILTINS)
        for name, read in self._reads.items():
            value = states if name == "states" else variables.get(name, UNDEFINED)
            if value is not UNDEFINED:
                bindings[name] = _cut_down(value, read)
        return bindings


def _cut_down(value: Any, read: Any) -> Any:
    """``value`` reduced to the fields ``read`` (the engine's ``reads()`` shape) names.

    ``True`` keeps the value whole; a dict keeps those fields of an object (in the object's own
    order), applied to every item of an array.
    """
    if read is True:
        return value
    if isinstance(value, dict):
        return {key: _cut_down(item, read[key]) for key, item in value.items() if key in read}
    if isinstance(value, list):
        return [_cut_down(item, read) for item in value]
    return value


def _compile_engine(text: str) -> jlens.Expression:
    newer = _newer_operator(text)
    if newer is not None:
        symbol, position = newer
        # JSONata 2.0.6 reads `??` / `?:` as `?` followed by an operand starting with the symbol.
        raise JsonataSyntaxError(
            "S0211", f'The symbol "{symbol}" cannot be used as a unary operator', text=text, position=position
        )
    try:
        engine = jlens.Expression(text)
    except jlens.JlensError as error:
        raise JsonataSyntaxError(error.code, str(error), text=text, position=error.position) from None
    for function in _AWS_FUNCTIONS:
        engine.register_function(function.name, function.implementation, function.signature)
    return engine


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> CompiledExpression:
    """Compile the text inside ``{% %}``; raises ``JsonataSyntaxError`` for what AWS rejects."""
    return CompiledExpression(text.strip())


# --- templates: JSON values with {% %} fields ------------------------------------------------------


_Context = tuple[dict[str, Any], Mapping[str, Any], random.Random, datetime]


class _Node:
    def render(self, context: _Context) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class _Literal(_Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def render(self, context: _Context) -> Any:
        return copy_json(self.value)  # callers may mutate what they get


class _Field(_Node):
    """A ``{% %}`` string at ``field`` (e.g. ``Output/items[0]``)."""

    __slots__ = ("expression", "field")

    def __init__(self, expression: CompiledExpression, field: str) -> None:
        self.expression = expression
        self.field = field

    def _prefix(self) -> str:
        return f"The JSONata expression '{self.expression.text}' specified for the field '{self.field}'"

    def render(self, context: _Context) -> Any:
        try:
            value = self.expression.evaluate(*context)
        except JsonataEvaluationError as error:
            raise StatesError(
                QUERY_EVALUATION_ERROR, f"{self._prefix()} threw an error during evaluation. {error}", runtime=True
            ) from None
        if value is UNDEFINED:
            states, variables, _, now = context
            if self.expression.yields_function(states, variables, now):
                # AWS's recorded cause for e.g. Items "{% $fn := function($x){$x} %}".
                raise StatesError(QUERY_EVALUATION_ERROR, f"{self._prefix()} returned an unsupported result type.",
                                  runtime=True)
            raise StatesError(QUERY_EVALUATION_ERROR, f"{self._prefix()} returned nothing (undefined).", runtime=True)
        return value

    def unexpected_type(self, value: Any, expected: str) -> StatesError:
        return StatesError(
            QUERY_EVALUATION_ERROR,
            f"{self._prefix()} returned an unexpected result type. "
            f"Expected '{expected}', but was '{json_type_name(value)}' for value: {compact_json(value)}",
            runtime=True,
        )


class _Object(_Node):
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, _Node]]) -> None:
        self.items = items

    def render(self, context: _Context) -> Any:
        return {key: node.render(context) for key, node in self.items}


class _Array(_Node):
    __slots__ = ("items",)

    def __init__(self, items: list[_Node]) -> None:
        self.items = items

    def render(self, context: _Context) -> Any:
        return [node.render(context) for node in self.items]


def _has_expression(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return is_jsonata_expression(value)


def _compile_node(value: Any, field: str) -> _Node:
    if not _has_expression(value):
        return _Literal(value)
    if isinstance(value, dict):
        return _Object([(key, _compile_node(item, f"{field}/{key}")) for key, item in value.items()])
    if isinstance(value, list):
        return _Array([_compile_node(item, f"{field}[{index}]") for index, item in enumerate(value)])
    try:
        return _Field(compile_expression(expression_text(value)), field)
    except JsonataSyntaxError as error:
        raise JsonataSyntaxError(
            error.code, error.message, text=error.text, position=error.position, field=field
        ) from None


_TYPE_NAMES: Final = frozenset({"array", "object", "string", "number", "boolean", "null"})


class JsonataTemplate:
    """A field's JSON value with its ``{% %}`` strings compiled, e.g. ``Output`` or ``Assign``.

    ``field`` is AWS's name for the field in causes; nested positions are named
    ``Field/key`` for an object key and ``Field[i]`` for an array position.
    """

    __slots__ = ("field", "value", "_root")

    def __init__(self, value: Any, field: str) -> None:
        self.field = field
        self.value = value
        self._root = _compile_node(value, field)

    def __repr__(self) -> str:
        return f"JsonataTemplate({self.field!r}, {self.value!r})"

    @property
    def is_expression(self) -> bool:
        """True when the whole field is one ``{% %}`` expression."""
        return isinstance(self._root, _Field)

    def evaluate(
        self,
        states: dict[str, Any],
        variables: Mapping[str, Any],
        rng: random.Random,
        now: datetime,
        *,
        expect: str | None = None,
    ) -> Any:
        """The field's value with every expression evaluated.

        Raises ``StatesError("States.QueryEvaluationError", ...)`` (cause without the state
        prefix) when an expression fails or yields nothing. With ``expect`` (a JSON type name:
        ``"array"``, ``"boolean"``, ...) a whole-field expression whose value has another type
        fails with AWS's "returned an unexpected result type" cause.
        """
        value = self._root.render((states, variables, rng, now))
        if expect is not None and isinstance(self._root, _Field):
            if expect not in _TYPE_NAMES:
                raise ValueError(f"unknown JSON type name {expect!r}; expected one of {sorted(_TYPE_NAMES)}")
            if json_type_name(value) != expect:
                raise self._root.unexpected_type(value, expect)
        return value


def compile_template(value: Any, field: str) -> JsonataTemplate:
    """Compile a field's JSON value; raises ``JsonataSyntaxError`` (with ``.field`` set)."""
    return JsonataTemplate(value, field)
