"""Payload templates: ``Parameters``, ``ResultSelector``, ``ItemSelector`` and JSONPath ``Assign``.

A template is a JSON value in which a key ending in ``.$`` takes its value from a path (``$.x``,
``$$.Execution.Id``, ``$myVariable``) or an intrinsic function call; the ``.$`` is dropped from the
key. Everything else is copied literally, at any depth. Templates compile once into closures.
"""

from __future__ import annotations

from typing import Any, Callable

from sfnsim.dataflow.jsonpath import PathNotFound, PathSyntaxError, compile_path
from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.dataflow.scope import Scope
from sfnsim.errors import StatesError, runtime_error

Evaluator = Callable[[Scope], Any]


class TemplateError(ValueError):
    """A template that cannot be compiled; ``pointer`` is relative to the template's root."""

    def __init__(self, pointer: str, message: str) -> None:
        self.pointer = pointer
        self.message = message
        super().__init__(f"{pointer or '/'}: {message}")


def compile_template(value: Any, pointer: str = "") -> Evaluator:
    """Compile a payload template into ``evaluate(scope) -> value``."""
    if isinstance(value, dict):
        return _compile_object(value, pointer)
    if isinstance(value, list):
        items = [compile_template(item, f"{pointer}/{i}") for i, item in enumerate(value)]
        return lambda scope: [item(scope) for item in items]
    return lambda scope, _constant=value: _constant


def _compile_object(template: dict[str, Any], pointer: str) -> Evaluator:
    fields: list[tuple[str, Evaluator]] = []
    for key, value in template.items():
        where = f"{pointer}/{_escape(key)}"
        if key.endswith(".$"):
            fields.append((key[:-2], compile_dynamic_value(key, value, where)))
        else:
            fields.append((key, compile_template(value, where)))

    def evaluate(scope: Scope) -> dict[str, Any]:
        # A loop, not a comprehension: no frame of its own (Python < 3.12), and this runs per visit.
        value = {}
        for name, field in fields:
            value[name] = field(scope)
        return value

    return evaluate


def compile_dynamic_value(key: str, expression: Any, pointer: str = "") -> Evaluator:
    """The value of one ``"key.$": expression`` field: a path or an intrinsic function call."""
    if not isinstance(expression, str):
        raise TemplateError(pointer, f"the value of '{key}' must be a path or an intrinsic function string")
    if expression.startswith("States."):
        from sfnsim.dataflow.intrinsics import IntrinsicSyntaxError, compile_intrinsic

        try:
            call = compile_intrinsic(expression)
        except IntrinsicSyntaxError as exc:
            raise TemplateError(pointer, f"invalid intrinsic function call: {exc}") from None
        evaluate = call.root.evaluate  # what CompiledIntrinsic.evaluate calls: one call less per visit
        return lambda scope: evaluate(scope, key)
    try:
        path = compile_path(expression)
    except PathSyntaxError as exc:
        raise TemplateError(pointer, str(exc)) from None
    return _path_field(key, path.text, path.resolve)


def _path_field(key: str, text: str, resolve: Callable[[Scope], Any]) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        try:
            return resolve(scope)
        except PathNotFound:
            raise runtime_error(
                f"The JSONPath '{text}' specified for the field '{key}' could not be found "
                f"in the input '{compact_json(scope.data)}'"
            ) from None

    return evaluate


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


__all__ = ["TemplateError", "compile_template", "compile_dynamic_value", "StatesError"]
