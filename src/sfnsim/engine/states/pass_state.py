"""Pass: passes its input to its output, optionally injecting a fixed ``Result``."""

from __future__ import annotations

from typing import Any, ClassVar

from sfnsim.engine.states.base import Outcome, StateExecutor, Visit


class PassState(StateExecutor):
    state_type: ClassVar[str] = "Pass"
    synchronous: ClassVar[bool] = True

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.has_result = "Result" in spec
        self.result = spec.get("Result")

    def body(self, visit: Visit) -> Outcome:
        if self.query_language == "JSONata":
            return self.io.output(visit, visit.input, self.next)
        # With no Result, the Pass state's "result" is its effective input (after Parameters).
        result = self.result if self.has_result else self.io.effective_input(visit)
        if self.has_result:
            self.io.effective_input(visit)  # InputPath/Parameters still fail as on AWS when they miss
        return self.io.output(visit, result, self.next)
