"""Choice: the first rule that matches names the next state, else ``Default``, else
``States.NoChoiceMatched``."""

from __future__ import annotations

from typing import Any, ClassVar

from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.errors import StatesError


class ChoiceState(StateExecutor):
    state_type: ClassVar[str] = "Choice"
    synchronous: ClassVar[bool] = True

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.default: str | None = spec.get("Default")
        self.rules = [(self._compile_rule(rule), rule) for rule in spec.get("Choices", ())]

    def _compile_rule(self, rule: dict[str, Any]) -> Any:
        if self.query_language == "JSONata":
            from sfnsim.engine.states.jsonata_io import compile_condition

            return compile_condition(rule)
        from sfnsim.dataflow.choice import compile_choice_rule

        return compile_choice_rule(rule)

    def body(self, visit: Visit) -> Outcome:
        if self.query_language == "JSONata":
            return self._jsonata_body(visit)
        data = self.io.after_input_path(visit)
        scope = visit.scope(data)
        for position, (compiled, rule) in enumerate(self.rules):
            if compiled.evaluate(scope):
                visit.note("choice", rule=position, matched=rule, next=rule["Next"])
                return self._leave(visit, rule["Next"], rule)
        if self.default is not None:
            visit.note("choice", rule=None, next=self.default)
            return self._leave(visit, self.default, None)
        raise StatesError("States.NoChoiceMatched", None)

    def _leave(self, visit: Visit, next_state: str, rule: dict[str, Any] | None) -> Outcome:
        outcome = self.io.passthrough(visit, next_state)
        if rule is not None and "Assign" in rule:
            from sfnsim.dataflow.templates import compile_template

            outcome.assigned = compile_template(rule["Assign"])(visit.scope(self.io.after_input_path(visit)))
        return outcome

    def _jsonata_body(self, visit: Visit) -> Outcome:
        from sfnsim.engine.states.jsonata_io import choice_outcome

        return choice_outcome(self, visit)
