"""The JSONata query language in states: ``Arguments``, ``Output``, ``Assign`` and ``$states``.

From AWS's "Transforming data with JSONata" page: ``$states.input`` is always the raw state input,
``$states.result`` is the task/branch/iteration result (in Output and Assign), ``$states.errorOutput``
is the error in a Catch's Output and Assign, and ``$states.context`` is the context object.
Output and Assign are evaluated against the same ``$states`` and the variables as they were before
the state; the new values become visible after the state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfnsim.dataflow.jsonata import JsonataTemplate, compile_template
from sfnsim.dataflow.timestamps import parse_timestamp
from sfnsim.engine.recovery import Catcher
from sfnsim.engine.states.outcome import Outcome
from sfnsim.errors import StatesError

if TYPE_CHECKING:
    from sfnsim.engine.states.base import StateExecutor, Visit
    from sfnsim.engine.states.wait_state import WaitState

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"


def _template(spec: dict[str, Any], field: str) -> JsonataTemplate | None:
    return compile_template(spec[field], field) if field in spec else None


def _field_template(state: Any, field: str, value: Any) -> JsonataTemplate:
    """The compiled template for ``field`` of ``state``, compiled on first use and kept."""
    cache = state.__dict__.setdefault("_jsonata_fields", {})
    template = cache.get(field)
    if template is None:
        template = cache[field] = compile_template(value, field)
    return template


def evaluate_template(visit: "Visit", template: JsonataTemplate, *, result: Any = None, has_result: bool = False,
                      error_output: Any = None, expect: str | None = None, data: Any = None) -> Any:
    states: dict[str, Any] = {"input": visit.input if data is None else data, "context": visit.context()}
    if has_result:
        states["result"] = result
    if error_output is not None:
        states["errorOutput"] = error_output
    return template.evaluate(states, visit.branch.variables, visit.run.rng, visit.run.clock.now(), expect=expect)


class JsonataStateIO:
    # Where a state has no Output, its output is the result (Task, Map, Parallel) or its input.
    def __init__(self, state: "StateExecutor", spec: dict[str, Any]) -> None:
        self.state_type = state.state_type
        self.arguments = _template(spec, "Arguments")
        self.output_template = _template(spec, "Output")
        self.assign = _template(spec, "Assign")
        self.catch_output = {id(c): _template(c, "Output") for c in spec.get("Catch", ())}
        self.catch_assign = {id(c): _template(c, "Assign") for c in spec.get("Catch", ())}

    def after_input_path(self, visit: "Visit") -> Any:
        return visit.input

    def effective_input(self, visit: "Visit") -> Any:
        if self.arguments is None:
            return visit.input
        arguments = evaluate_template(visit, self.arguments)
        visit.stage("afterArguments", arguments)
        return arguments

    def output(self, visit: "Visit", result: Any, next_state: str | None) -> "Outcome":
        has_result = self.state_type in ("Task", "Map", "Parallel")
        if has_result:
            visit.stage("result", result)
        assigned = evaluate_template(visit, self.assign, result=result, has_result=has_result) if self.assign else None
        if self.output_template is not None:
            output = evaluate_template(visit, self.output_template, result=result, has_result=has_result)
        else:
            output = result if has_result else visit.input
        visit.stage("output", output)
        return Outcome(output, next_state, assigned)

    def passthrough(self, visit: "Visit", next_state: str | None) -> "Outcome":
        return self.output(visit, visit.input, next_state)

    def caught(self, visit: "Visit", catcher: Catcher, error_output: dict[str, Any]) -> "Outcome":
        key = id(catcher.spec)
        assign, output_template = self.catch_assign[key], self.catch_output[key]
        assigned = evaluate_template(visit, assign, error_output=error_output) if assign else None
        output = evaluate_template(visit, output_template, error_output=error_output) if output_template else error_output
        return Outcome(output, catcher.next, assigned)


# -- state-specific fields ------------------------------------------------------------------------
MAX_WAIT_SECONDS = 99_999_999


def wait_seconds(state: "WaitState", visit: "Visit") -> float:
    value = state.value
    if isinstance(value, str) and state.mode in ("Seconds", "Timestamp"):
        value = evaluate_template(visit, _field_template(state, state.mode, value))
    if state.mode == "Seconds":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise StatesError(QUERY_EVALUATION_ERROR,
                              f"The Seconds field must be a non-negative integer, but was: {value!r}", runtime=True)
        if value > MAX_WAIT_SECONDS:  # AWS's Wait page: an integer from 0 to 99999999
            raise StatesError(QUERY_EVALUATION_ERROR,
                              f"The Seconds field must be an integer from 0 to {MAX_WAIT_SECONDS}, but was: {value!r}",
                              runtime=True)
        return float(value)
    instant = parse_timestamp(value)
    if instant is None:
        error = StatesError(
            QUERY_EVALUATION_ERROR,
            f"The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {value}",
            runtime=True,
        )
        error.location = "Timestamp"  # type: ignore[attr-defined]
        raise error
    return visit.run.clock.seconds_until_instant(*instant)
