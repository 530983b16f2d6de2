"""The JSONPath input/output pipeline of a state, one small stage per AWS field.

    state input ─InputPath→ ─Parameters→ (task / branches / Result) ─ResultSelector→
                ─ResultPath (merged into the *state input*)→ ─OutputPath→ state output

Each stage is compiled once from the state's definition. A field that is absent leaves the value as
it is; ``InputPath``/``OutputPath`` set to ``null`` give ``{}``; ``ResultPath: null`` discards the
result and passes the state input through.
"""

from __future__ import annotations

from typing import Any, Callable

from sfnsim.dataflow.jsonpath import (
    PathNotFound,
    ResultPathMismatch,
    compile_path,
    compile_reference_path,
)
from sfnsim.dataflow.jsontypes import compact_json, compact_json_size
from sfnsim.dataflow.scope import Scope
from sfnsim.dataflow.templates import Evaluator, compile_template
from sfnsim.errors import StatesError, runtime_error

ABSENT: Any = object()
MAX_PAYLOAD_BYTES = 256 * 1024


def _identity(scope: Scope) -> Any:
    return scope.data


IDENTITY = _identity  # the stage of an absent InputPath/OutputPath (callers may skip it)


def _empty_object(scope: Scope) -> Any:
    return {}


def compile_selector(path: Any) -> Evaluator:
    """InputPath/OutputPath: a path, or null for ``{}``, or absent for everything."""
    if path is ABSENT or path == "$":
        return _identity
    if path is None:
        return _empty_object
    compiled = compile_path(path)

    def select(scope: Scope) -> Any:
        try:
            return compiled.resolve(scope)
        except PathNotFound as missing:
            raise runtime_error(f"Invalid path '{compiled.text}' : {missing.jayway_message()}") from None

    return select


def compile_result_path(path: Any) -> Callable[[Any, Any], Any]:
    """ResultPath: ``merge(state_input, result) -> combined``."""
    if path is ABSENT or path == "$":
        return lambda state_input, result: result
    if path is None:
        return lambda state_input, result: state_input
    reference = compile_reference_path(path)

    def merge(state_input: Any, result: Any) -> Any:
        try:
            return reference.assign(state_input, result)
        except ResultPathMismatch:
            raise StatesError(
                "States.ResultPathMatchFailure",
                f"Unable to apply ResultPath \"{reference.text}\" to input {compact_json(state_input)}",
                runtime=True,
            ) from None

    return merge


def compile_optional_template(template: Any) -> Evaluator | None:
    return None if template is ABSENT else compile_template(template)


class JsonPathIO:
    """The compiled JSONPath fields of one state."""

    __slots__ = ("input_path", "parameters", "result_selector", "result_path", "output_path")

    def __init__(self, state: dict[str, Any], *, parameters_field: str | None = "Parameters") -> None:
        self.input_path = compile_selector(state.get("InputPath", ABSENT))
        self.parameters = (
            compile_optional_template(state.get(parameters_field, ABSENT)) if parameters_field else None
        )
        self.result_selector = compile_optional_template(state.get("ResultSelector", ABSENT))
        self.result_path = compile_result_path(state.get("ResultPath", ABSENT))
        self.output_path = compile_selector(state.get("OutputPath", ABSENT))



def check_payload_size(value: Any, state_name: str) -> None:
    """AWS fails a state whose result exceeds 256 KiB with ``States.DataLimitExceeded``."""
    if not _surely_within_limit(value) and payload_size(value) > MAX_PAYLOAD_BYTES:
        raise StatesError("States.DataLimitExceeded", data_limit_cause(state_name))


def _surely_within_limit(value: Any) -> bool:
    """True for a small flat object of ASCII text, numbers, booleans and nulls (what a Parameters
    template usually makes) whose JSON text cannot reach the limit: counting six bytes per
    character (the longest escape) bounds it without writing it out. Anything else, False: then it
    is measured exactly, and fails (or raises) exactly as before."""
    if type(value) is not dict or len(value) > 16:
        return False
    total = 2  # the braces
    for key, item in value.items():
        if type(key) is not str or not key.isascii():
            return False
        total += 6 * len(key) + 4  # quotes, colon, comma
        kind = type(item)
        if kind is str:
            if not item.isascii():
                return False
            total += 6 * len(item) + 2
        elif kind is int:
            total += item.bit_length() // 3 + 2  # decimal digits and a sign
        elif kind is float or kind is bool or item is None:
            total += 24  # the longest repr of a float; "Infinity"; "false"; "null"
        else:
            return False
    return total <= MAX_PAYLOAD_BYTES


def data_limit_cause(producer: str) -> str:
    """AWS's cause text; ``producer`` is the state's name, or for a task result the service
    integration's ``resourceType`` (``lambda``) or the legacy Lambda function's ARN."""
    return (f"The state/task '{producer}' returned a result with a size exceeding "
            "the maximum number of bytes service limit.")


def payload_size(value: Any) -> int:
    if value is None or isinstance(value, (bool, int, float)):
        return 8
    if isinstance(value, str) and 6 * len(value) + 2 <= MAX_PAYLOAD_BYTES:
        # An upper bound is enough while it stays under the limit: six bytes per character is the
        # longest a character gets in JSON text (a control character's \u escape).
        return 6 * len(value) + 2
    if isinstance(value, list) and len(value) > 64:
        return _sized_by_parts(value)
    return compact_json_size(value)


def _sized_by_parts(items: list[Any]) -> int:
    """The size of a long array's JSON text, in runs of items of doubling length, stopping as soon
    as it is over the limit: a Map whose 3,000 iterations each carry a copy of a large input then
    fails at once, instead of writing out (and sizing) tens of megabytes first; a Map's 10,000 small
    results are measured in a few calls, not 10,000. Under the limit it is exact."""
    # "[a,b,c,d]" measured as "[a,b]" and "[c,d]": each run's "[" stands for the comma before it.
    total = 1  # the closing bracket
    start, count = 0, 1
    while start < len(items):
        total += compact_json_size(items[start:start + count]) - 1
        if total > MAX_PAYLOAD_BYTES:
            break
        start += count
        count = min(count * 2, 1024)
    return total
