"""Choice Rules of JSONPath-mode Choice states, compiled once and evaluated per execution.

What AWS documents (Choice workflow state, "Choice Rules"), and how this module follows it:

* A data-test rule names a ``Variable`` (a Reference Path) and exactly one operator. The operand is
  a literal of the operator's type, or, for the ``...Path`` forms, a Reference Path whose value is
  read from the same scope. ``StringMatches`` has no ``Path`` form.
* "Step Functions doesn't attempt to match a numeric field to a string value": a value of the
  wrong type makes the comparison false, never an error. Booleans are not numbers (Python's
  ``True == 1`` must not leak in).
* A Variable (or right-hand path) that matches nothing fails the execution with ``States.Runtime``,
  except for ``IsPresent``, whose whole purpose is to ask. ``And`` and ``Or`` short-circuit, which
  is what makes AWS's ``And: [IsPresent, StringEquals]`` idiom safe.
* Numbers compare as IEEE-754 binary64 (AWS: "don't assume that numeric comparisons work with values
  outside the magnitude or precision that binary64 represents").
* Strings order like Java's ``String.compareTo``: by UTF-16 code unit, not by code point.
* Timestamps follow RFC 3339 with an uppercase ``T`` and an uppercase ``Z`` (or a numeric offset), and
  compare as instants, so ``...T13:00:00+01:00`` equals ``...T12:00:00Z``.
* ``StringMatches``: ``*`` matches any run of characters; ``\\*`` is a literal asterisk and ``\\\\`` a
  literal backslash. "No characters other than ``*`` have any special meaning."
"""

from __future__ import annotations

import math
import operator
import re
from abc import ABC, abstractmethod
from typing import Any, Callable, Mapping

from sfnsim.dataflow.jsonpath import (
    CompiledPath,
    PathNotFound,
    PathSyntaxError,
    compile_path,
)
from sfnsim.dataflow.jsontypes import described_type, is_number
from sfnsim.dataflow.scope import Scope
from sfnsim.dataflow.timestamps import parse_timestamp
from sfnsim.errors import StatesError, runtime_error

__all__ = ["OPERATOR_OPERANDS", "ChoiceRule", "ChoiceRuleError", "compile_choice_rule"]


class ChoiceRuleError(ValueError):
    """A malformed Choice Rule. ``pointer`` is a JSON pointer relative to the rule ("" is the rule)."""

    def __init__(self, pointer: str, message: str) -> None:
        self.pointer = pointer
        self.message = message
        super().__init__(f"{pointer or '/'}: {message}")


# --------------------------------------------------------------------------------------------
# Value kinds: which JSON values an operator accepts, and how they are compared
# --------------------------------------------------------------------------------------------

def _as_binary64(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond binary64 range: Java's doubleValue() gives infinity
        return math.copysign(math.inf, value)


def _java_string_order(value: str) -> bytes:
    # Big-endian UTF-16 bytes sort exactly like UTF-16 code units, which is what compareTo compares.
    return value.encode("utf-16-be", "surrogatepass")


# The classes below are plain classes, not dataclasses: building the eight dataclasses this module
# had took about 6 ms of every `sfnsim run`'s start-up, and nothing compares or hashes them.


class _Kind:
    """A family of JSON values: how to recognise one and how to turn it into a comparable key."""

    __slots__ = ("description", "accepts", "key", "operand")

    def __init__(self, description: str, accepts: Callable[[Any], bool], key: Callable[[Any], Any],
                 operand: str) -> None:
        self.description = description
        self.accepts = accepts
        self.key = key
        self.operand = operand  # the operand's type as a definition writes it: "string", "number", ...


_STRING = _Kind("a string", lambda v: isinstance(v, str), _java_string_order, "string")
_TEXT = _Kind("a string", _STRING.accepts, lambda v: v, "string")  # a string matched as is (StringMatches)
_NUMBER = _Kind("a number", is_number, _as_binary64, "number")
_BOOLEAN = _Kind("a boolean", lambda v: isinstance(v, bool), lambda v: v, "boolean")
_TIMESTAMP_KIND = _Kind(
    "a timestamp (RFC 3339, e.g. 2016-08-18T17:33:00Z)", lambda v: parse_timestamp(v) is not None, parse_timestamp,
    "timestamp",
)


def _compile_wildcard(pattern: str) -> re.Pattern[str]:
    """``StringMatches`` pattern to regex: ``*`` is a wildcard, ``\\*`` and ``\\\\`` are literals.

    A backslash before any other character (or at the end) stands for itself.
    """
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and pattern[i + 1 : i + 2] in ("*", "\\"):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


_PATTERN = _Kind("a string pattern", lambda v: isinstance(v, str), _compile_wildcard, "string")


class _Operator:
    """A comparison operator: the kind of the Variable's value, the kind of the operand, the test."""

    __slots__ = ("left", "right", "test", "has_path_form")

    def __init__(self, left: _Kind, right: _Kind, test: Callable[[Any, Any], bool], has_path_form: bool = True) -> None:
        self.left = left
        self.right = right
        self.test = test
        self.has_path_form = has_path_form


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

_OPERATORS: dict[str, _Operator] = {
    **{
        f"{family}{relation}": _Operator(kind, kind, test)
        for family, kind in (("String", _STRING), ("Numeric", _NUMBER), ("Timestamp", _TIMESTAMP_KIND))
        for relation, test in _RELATIONS.items()
    },
    "BooleanEquals": _Operator(_BOOLEAN, _BOOLEAN, operator.eq),
    "StringMatches": _Operator(
        _TEXT, _PATTERN, lambda text, rx: rx.fullmatch(text) is not None, has_path_form=False
    ),
}

_PATH_OPERATORS: dict[str, _Operator] = {
    f"{name}Path": op for name, op in _OPERATORS.items() if op.has_path_form
}

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": is_number,
    "IsString": _STRING.accepts,
    "IsBoolean": _BOOLEAN.accepts,
    "IsTimestamp": _TIMESTAMP_KIND.accepts,
}

_ALL_OPERATORS = frozenset({*_OPERATORS, *_PATH_OPERATORS, *_TYPE_TESTS, "IsPresent"})

# The one table of operators as a definition writes them: each operator -> its operand's type
# ("path" for the *Path forms). The definition models and the validator are built from it.
OPERATOR_OPERANDS: dict[str, str] = {
    **{name: op.right.operand for name, op in _OPERATORS.items() if op.has_path_form},
    **{name: "path" for name in _PATH_OPERATORS},
    **{name: op.right.operand for name, op in _OPERATORS.items() if not op.has_path_form},
    **{name: "boolean" for name in ("IsNull", "IsPresent", *_TYPE_TESTS)},  # AWS's order: IsNull, IsPresent, ...
}
_COMBINATORS = ("And", "Or", "Not")
_TOP_LEVEL_ONLY = ("Next", "Assign", "Output")  # fields of a Choices entry, not of the rule itself


# --------------------------------------------------------------------------------------------
# Compiled rules
# --------------------------------------------------------------------------------------------


def _invalid_path(path: CompiledPath) -> StatesError:
    return runtime_error(f"Invalid path '{path.text}': The choice state's condition path references an invalid value.")


def _resolve(path: CompiledPath, scope: Scope) -> Any:
    try:
        return path.resolve(scope)
    except PathNotFound:
        raise _invalid_path(path) from None


class ChoiceRule(ABC):
    """A compiled Choice Rule."""

    @abstractmethod
    def evaluate(self, scope: Scope) -> bool:
        """True if the rule matches; raises StatesError (States.Runtime) where AWS does."""


class _Comparison(ChoiceRule):
    __slots__ = ("variable", "name", "op", "operand", "operand_is_path")

    def __init__(self, variable: CompiledPath, name: str, op: _Operator, operand: Any, operand_is_path: bool) -> None:
        self.variable = variable
        self.name = name
        self.op = op
        self.operand = operand  # the literal's comparison key, or the CompiledPath of a ...Path form
        self.operand_is_path = operand_is_path

    def evaluate(self, scope: Scope) -> bool:
        value = _resolve(self.variable, scope)
        operand = self.operand
        if self.operand_is_path:
            operand = _resolve(self.operand, scope)
            if not self.op.right.accepts(operand):
                return False
            operand = self.op.right.key(operand)
        if not self.op.left.accepts(value):
            return False
        return self.op.test(self.op.left.key(value), operand)


class _TypeTest(ChoiceRule):
    __slots__ = ("variable", "name", "predicate", "expected")

    def __init__(self, variable: CompiledPath, name: str, predicate: Callable[[Any], bool], expected: bool) -> None:
        self.variable = variable
        self.name = name
        self.predicate = predicate
        self.expected = expected

    def evaluate(self, scope: Scope) -> bool:
        return self.predicate(_resolve(self.variable, scope)) is self.expected


class _IsPresent(ChoiceRule):
    __slots__ = ("variable", "expected")

    def __init__(self, variable: CompiledPath, expected: bool) -> None:
        self.variable = variable
        self.expected = expected

    def evaluate(self, scope: Scope) -> bool:
        try:
            self.variable.resolve(scope)
        except PathNotFound:
            return not self.expected
        return self.expected


class _And(ChoiceRule):
    __slots__ = ("rules",)

    def __init__(self, rules: tuple[ChoiceRule, ...]) -> None:
        self.rules = rules

    def evaluate(self, scope: Scope) -> bool:
        return all(rule.evaluate(scope) for rule in self.rules)


class _Or(ChoiceRule):
    __slots__ = ("rules",)

    def __init__(self, rules: tuple[ChoiceRule, ...]) -> None:
        self.rules = rules

    def evaluate(self, scope: Scope) -> bool:
        return any(rule.evaluate(scope) for rule in self.rules)


class _Not(ChoiceRule):
    __slots__ = ("rule",)

    def __init__(self, rule: ChoiceRule) -> None:
        self.rule = rule

    def evaluate(self, scope: Scope) -> bool:
        return not self.rule.evaluate(scope)


# --------------------------------------------------------------------------------------------
# Compilation (with precise errors)
# --------------------------------------------------------------------------------------------


def compile_choice_rule(rule: Mapping[str, Any]) -> ChoiceRule:
    """Compile one entry of a JSONPath Choice state's ``Choices``; raises ChoiceRuleError.

    ``Next``, ``Assign``, ``Output`` and ``Comment`` of the entry are ignored here (the state
    executor uses them); inside ``And``/``Or``/``Not`` only ``Comment`` may accompany the rule.
    """
    return _compile(rule, "", top_level=True)


def _compile(rule: Any, pointer: str, *, top_level: bool) -> ChoiceRule:
    if not isinstance(rule, Mapping):
        raise ChoiceRuleError(pointer, f"a Choice Rule must be an object, got {described_type(rule)}")
    fields = {k: v for k, v in rule.items() if k != "Comment" and not (top_level and k in _TOP_LEVEL_ONLY)}
    for key in _TOP_LEVEL_ONLY:
        if key in fields:
            raise ChoiceRuleError(
                f"{pointer}/{key}", f"'{key}' is only allowed in a top-level Choice Rule, not inside And/Or/Not"
            )
    if "Condition" in fields:
        raise ChoiceRuleError(
            f"{pointer}/Condition",
            "'Condition' belongs to JSONata Choice states; a JSONPath Choice Rule uses 'Variable' and an operator",
        )
    combinators = [k for k in _COMBINATORS if k in fields]
    if combinators:
        return _compile_combinator(fields, combinators, pointer)
    return _compile_data_test(fields, pointer)


def _compile_combinator(fields: Mapping[str, Any], combinators: list[str], pointer: str) -> ChoiceRule:
    name = combinators[0]
    extra = [k for k in fields if k != name]
    if extra:
        raise ChoiceRuleError(
            f"{pointer}/{extra[0]}", f"'{name}' must be the only operator of its Choice Rule, found '{extra[0]}' too"
        )
    value = fields[name]
    where = f"{pointer}/{name}"
    if name == "Not":
        return _Not(_compile(value, where, top_level=False))
    if not isinstance(value, list) or not value:
        raise ChoiceRuleError(where, f"'{name}' must be a non-empty array of Choice Rules")
    rules = tuple(_compile(item, f"{where}/{i}", top_level=False) for i, item in enumerate(value))
    return _And(rules) if name == "And" else _Or(rules)


def _compile_data_test(fields: Mapping[str, Any], pointer: str) -> ChoiceRule:
    unknown = [k for k in fields if k != "Variable" and k not in _ALL_OPERATORS]
    if unknown:
        raise ChoiceRuleError(f"{pointer}/{unknown[0]}", _unknown_field_message(unknown[0]))
    operators = [k for k in fields if k in _ALL_OPERATORS]
    if "Variable" not in fields:
        raise ChoiceRuleError(pointer, "a Choice Rule needs 'Variable' and one comparison operator (or And/Or/Not)")
    if not operators:
        raise ChoiceRuleError(pointer, "a Choice Rule needs a comparison operator next to 'Variable'")
    if len(operators) > 1:
        raise ChoiceRuleError(
            f"{pointer}/{operators[1]}",
            f"a Choice Rule has exactly one comparison operator, found '{operators[0]}' and '{operators[1]}'",
        )
    variable = _reference_path(fields["Variable"], f"{pointer}/Variable")
    name = operators[0]
    value = fields[name]
    where = f"{pointer}/{name}"
    if name == "IsPresent" or name in _TYPE_TESTS:
        if not isinstance(value, bool):
            raise ChoiceRuleError(where, f"'{name}' must be true or false, got {described_type(value)}")
        if name == "IsPresent":
            return _IsPresent(variable, value)
        return _TypeTest(variable, name, _TYPE_TESTS[name], value)
    if name in _PATH_OPERATORS:
        return _Comparison(variable, name, _PATH_OPERATORS[name], _reference_path(value, where), True)
    op = _OPERATORS[name]
    if not op.right.accepts(value):
        raise ChoiceRuleError(where, f"'{name}' must be {op.right.description}, got {_describe(value)}")
    return _Comparison(variable, name, op, op.right.key(value), False)


def _reference_path(text: Any, pointer: str) -> CompiledPath:
    if not isinstance(text, str):
        raise ChoiceRuleError(pointer, f"must be a Reference Path string, got {described_type(text)}")
    try:
        path = compile_path(text)
    except PathSyntaxError as exc:
        raise ChoiceRuleError(pointer, f"{text!r} is not a valid path: {exc}") from None
    if not path.definite:
        raise ChoiceRuleError(
            pointer,
            f"{text!r} is not a Reference Path: it must select a single value (no wildcards, filters or slices)",
        )
    return path


def _unknown_field_message(field: str) -> str:
    known = sorted({"Variable", *_ALL_OPERATORS, *_COMBINATORS})
    import difflib  # only to word a mistake

    close = difflib.get_close_matches(field, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"'{field}' is not a Choice Rule field{hint}"


def _describe(value: Any) -> str:
    return f"{value!r}" if isinstance(value, str) else described_type(value)
