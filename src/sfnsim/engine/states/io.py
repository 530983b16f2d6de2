"""How a state turns its input into an effective input, and a result into its output.

The state executors speak to one interface; there is one implementation per query language.
JSONPath: InputPath → Parameters → … → ResultSelector → Assign → ResultPath → OutputPath.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from sfnsim.dataflow.pipeline import (
    ABSENT,
    IDENTITY,
    JsonPathIO,
    compile_optional_template,
    compile_result_path,
)
from sfnsim.engine.recovery import Catcher
from sfnsim.engine.states.outcome import Outcome

if TYPE_CHECKING:
    from sfnsim.engine.states.base import StateCompiler, StateExecutor, Visit


class StateIO(Protocol):
    def effective_input(self, visit: "Visit") -> Any: ...
    def after_input_path(self, visit: "Visit") -> Any: ...
    def output(self, visit: "Visit", result: Any, next_state: str | None) -> "Outcome": ...
    def passthrough(self, visit: "Visit", next_state: str | None) -> "Outcome": ...
    def caught(self, visit: "Visit", catcher: Catcher, error_output: dict[str, Any]) -> "Outcome": ...


# Map's legacy "Parameters" selects each item, so it is not the state-level Parameters stage.
_PARAMETERS_FIELD = {"Map": None}


class JsonPathStateIO:
    def __init__(self, state: "StateExecutor", spec: dict[str, Any]) -> None:
        self.pipeline = JsonPathIO(spec, parameters_field=_PARAMETERS_FIELD.get(state.state_type, "Parameters"))
        self.assign = compile_optional_template(spec.get("Assign", ABSENT))
        self.catch_paths = {id(c): compile_result_path(c.get("ResultPath", ABSENT)) for c in spec.get("Catch", ())}
        self.catch_assign = {id(c): compile_optional_template(c.get("Assign", ABSENT)) for c in spec.get("Catch", ())}

    # Absent fields are identity stages; skipping them keeps a plain Pass chain cheap. Stages are
    # noted only when the run is inspected (``visit.inspection``): tested here, not in a call per stage.
    def after_input_path(self, visit: "Visit") -> Any:
        stage = self.pipeline.input_path
        selected = visit.input if stage is IDENTITY else stage(visit.scope(visit.input))
        if visit.inspection is not None:
            visit.stage("afterInputPath", selected)
        return selected

    def effective_input(self, visit: "Visit") -> Any:
        selected = self.after_input_path(visit)
        parameters = self.pipeline.parameters
        effective = selected if parameters is None else parameters(visit.scope(selected))
        if visit.inspection is not None:
            visit.stage("afterParameters", effective)
        return effective

    def output(self, visit: "Visit", result: Any, next_state: str | None) -> "Outcome":
        inspected = visit.inspection is not None
        if inspected:
            visit.stage("result", result)
        selector = self.pipeline.result_selector
        selected = result if selector is None else selector(visit.scope(result))
        if inspected:
            visit.stage("afterResultSelector", selected)
        assigned = self.assign(visit.scope(selected)) if self.assign is not None else None
        combined = self.pipeline.result_path(visit.input, selected)
        if inspected:
            visit.stage("afterResultPath", combined)
        output = self._output_path(visit, combined)
        return Outcome(output, next_state, assigned)

    def passthrough(self, visit: "Visit", next_state: str | None) -> "Outcome":
        """Choice, Wait, Succeed: InputPath then OutputPath, no result."""
        selected = self.after_input_path(visit)
        assigned = self.assign(visit.scope(selected)) if self.assign is not None else None
        output = self._output_path(visit, selected)
        return Outcome(output, next_state, assigned)

    def _output_path(self, visit: "Visit", value: Any) -> Any:
        stage = self.pipeline.output_path
        output = value if stage is IDENTITY else stage(visit.scope(value))
        if visit.inspection is not None:
            visit.stage("afterOutputPath", output)
        return output

    def caught(self, visit: "Visit", catcher: Catcher, error_output: dict[str, Any]) -> "Outcome":
        assign = self.catch_assign[id(catcher.spec)]
        assigned = assign(visit.scope(error_output)) if assign is not None else None
        output = self.catch_paths[id(catcher.spec)](visit.input, error_output)
        return Outcome(output, catcher.next, assigned)


def make_io(state: "StateExecutor", spec: dict[str, Any], compiler: "StateCompiler") -> StateIO:
    if state.query_language == "JSONata":
        from sfnsim.engine.states.jsonata_io import JsonataStateIO

        return JsonataStateIO(state, spec)
    return JsonPathStateIO(state, spec)
