"""Pass: passes its input to its output, optionally injecting a fixed ``Result``."""

from __future__ import annotations

from typing import Any, ClassVar

from sfnsim.dataflow.pipeline import check_payload_size
from sfnsim.engine.runtime import Branch, Run
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.errors import StatesError
from sfnsim.history.events import entered_details, exited_details

# Fields that make a JSONPath Pass state do something to its input.
_DATA_FIELDS = ("InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Result", "Assign")


class PassState(StateExecutor):
    state_type: ClassVar[str] = "Pass"
    synchronous: ClassVar[bool] = True

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.has_result = "Result" in spec
        self.result = spec.get("Result")
        jsonpath = self.query_language == "JSONPath"
        # A Pass with none of them passes its input through unchanged: nothing to evaluate, check or fail.
        self.passes_through = jsonpath and not any(f in spec for f in _DATA_FIELDS)
        # With Parameters alone, its output is what they make of its input.
        self.only_parameters = jsonpath and [f for f in _DATA_FIELDS if f in spec] == ["Parameters"]

    def execute_now(self, run: Run, branch: Branch, state_input: Any) -> tuple[Any, str | None]:
        # The short ways below skip only stages these states do not have; an inspected run takes the
        # general way, which notes every stage for the walkthrough.
        if run.inspector is None:
            if self.passes_through:
                branch.record_next(run, self.entered_type, entered_details(self.name, state_input))
                branch.record_next(run, self.exited_type, exited_details(self.name, state_input))
                return state_input, self.next
            if self.only_parameters:
                return self._parameters_now(run, branch, state_input)
        return super().execute_now(run, branch, state_input)

    def _parameters_now(self, run: Run, branch: Branch, state_input: Any) -> tuple[Any, str | None]:
        visit = self._enter(run, branch, state_input)
        try:
            output = self.io.pipeline.parameters(visit.scope(state_input))
            if output is not state_input:  # as _check_sizes: no Assign here
                check_payload_size(output, self.name)
        except StatesError as error:
            raise self._failed(visit, error) from None
        except RecursionError:
            raise self._too_deep() from None
        branch.record_next(run, self.exited_type, exited_details(self.name, output))
        return output, self.next

    def body(self, visit: Visit) -> Outcome:
        if self.query_language == "JSONata":
            return self.io.output(visit, visit.input, self.next)
        # With no Result, the Pass state's "result" is its effective input (after Parameters).
        result = self.result if self.has_result else self.io.effective_input(visit)
        if self.has_result:
            self.io.effective_input(visit)  # InputPath/Parameters still fail as on AWS when they miss
        return self.io.output(visit, result, self.next)
