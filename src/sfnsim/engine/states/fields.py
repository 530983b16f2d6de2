"""A state's fields, evaluated the same way whatever the query language.

Each field is compiled once, with its state, for the state's query language; at run time an executor
calls ``field.evaluate(visit, data)`` and never asks which language it is in. ``data`` is what
JSONPath reads as ``$`` (the effective input, or the value after InputPath); JSONata reads
``$states.input``, the state's raw input, and ignores it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

from sfnsim.dataflow.jsonpath import PathNotFound, compile_path
from sfnsim.dataflow.jsontypes import shown
from sfnsim.dataflow.templates import compile_template as compile_jsonpath_template
from sfnsim.errors import StatesError, runtime_error

if TYPE_CHECKING:
    from sfnsim.engine.states.base import Visit


class Field(Protocol):
    def evaluate(self, visit: Visit, data: Any) -> Any: ...


class _JsonPathTemplate:
    """A JSONPath payload template (``Parameters``, ``ItemSelector``, ``BatchInput`` ...) over ``data``."""

    __slots__ = ("template",)

    def __init__(self, value: Any) -> None:
        self.template = compile_jsonpath_template(value)

    def evaluate(self, visit: Visit, data: Any) -> Any:
        return self.template(visit.scope(data))


class _JsonataField:
    """A JSONata field (``Arguments``, ``Items``, ``ItemSelector`` ...): its ``{% %}`` strings over ``$states``."""

    __slots__ = ("template", "expect")

    def __init__(self, value: Any, name: str, expect: str | None = None) -> None:
        from sfnsim.dataflow.jsonata import compile_template  # the JSONata engine loads only when used

        self.template = compile_template(value, name)
        self.expect = expect

    def evaluate(self, visit: Visit, data: Any) -> Any:
        from sfnsim.engine.states.jsonata_io import evaluate_template

        return evaluate_template(visit, self.template, expect=self.expect)


def template_field(value: Any, name: str, *, jsonata: bool, expect: str | None = None) -> Field:
    """``value`` as the state's query language reads it: a JSONata field named ``name`` (whose result
    must be of type ``expect``, if given), or a JSONPath payload template."""
    if jsonata:
        return _JsonataField(value, name, expect)
    return _JsonPathTemplate(value)


# -- numeric fields given literally, by a path, or as JSONata -------------------------------------
class NumberField:
    """A Map number field: ``Field`` (a literal, or ``{% %}`` in JSONata) or ``FieldPath``.

    A path that resolves to the wrong kind of value is a ``States.Runtime`` error worded as AWS
    words it: ``The <Field>Path field refers to value "<v>" which is not a valid integer: <path>``.
    """

    def __init__(self, spec: dict[str, Any], field: str, *, integer: bool = True,
                 on_negative: Callable[[], StatesError] | None = None) -> None:
        self.field = field
        self.integer = integer
        # How AWS fails a negative value (a path can give one; a literal is refused by validation).
        self.on_negative = on_negative
        self.literal = spec.get(field)
        # A string where a number belongs is a JSONata expression (validation refuses it elsewhere).
        self.expression = (_JsonataField(self.literal, field, expect="number")
                           if isinstance(self.literal, str) else None)
        path_text = spec.get(f"{field}Path")
        self.path = compile_path(path_text) if isinstance(path_text, str) else None

    @property
    def present(self) -> bool:
        return self.literal is not None or self.path is not None

    def value(self, visit: Visit, data: Any) -> int | float | None:
        if self.path is not None:
            return self._from_path(visit, data)
        if self.expression is not None:
            number = float(self.expression.evaluate(visit, data))
            return int(number) if self.integer and number.is_integer() else number
        return self.literal

    def _from_path(self, visit: Visit, data: Any) -> int | float:
        assert self.path is not None
        try:
            value = self.path.resolve(visit.scope(data))
        except PathNotFound as missing:
            raise runtime_error(f"Invalid path '{self.path.text}' : {missing.jayway_message()}") from None
        number = _as_integer(value) if self.integer else _as_float(value)
        if number is not None and number < 0 and self.on_negative is not None:
            raise self.on_negative()
        if number is None or (self.integer and number < 0):
            kind = "integer" if self.integer else "float"
            raise runtime_error(
                f"The {self.field}Path field refers to value \"{shown(value)}\" which is not a valid {kind}: "
                f"{self.path.text}"
            )
        return number


def _as_integer(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


def _as_float(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value
