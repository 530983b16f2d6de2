"""Fail: stops the branch with an error name and cause (static, from paths, or JSONata)."""

from __future__ import annotations

from typing import Any, ClassVar

from sfnsim.dataflow.templates import compile_dynamic_value
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.errors import StatesError, runtime_error


class FailState(StateExecutor):
    state_type: ClassVar[str] = "Fail"
    synchronous: ClassVar[bool] = True

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.fields = {field: self._compile(spec, field) for field in ("Error", "Cause")}

    def _compile(self, spec: dict[str, Any], field: str) -> Any:
        if self.query_language == "JSONata":
            from sfnsim.dataflow.jsonata import compile_template

            return ("jsonata", compile_template(spec[field], field)) if field in spec else None
        if f"{field}Path" in spec:
            # AWS accepts a reference path or an intrinsic function (e.g. States.Format) here.
            return ("dynamic", (spec[f"{field}Path"], compile_dynamic_value(f"{field}Path", spec[f"{field}Path"])))
        return ("literal", spec[field]) if field in spec else None

    def body(self, visit: Visit) -> Outcome:
        error = self._value(visit, "Error")
        cause = self._value(visit, "Cause")
        raise StatesError(error, cause)

    def _value(self, visit: Visit, field: str) -> Any:
        compiled = self.fields[field]
        if compiled is None:
            return None
        kind, value = compiled
        if kind == "literal":
            return value
        if kind == "jsonata":
            from sfnsim.engine.states.jsonata_io import evaluate_template

            result = evaluate_template(visit, value)
        else:
            text, evaluate = value
            result = evaluate(visit.scope(visit.input))
            if not isinstance(result, str):
                raise runtime_error(f"The {field}Path '{text}' must resolve to a string value")
        return result
