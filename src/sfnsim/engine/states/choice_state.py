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
        rule_type = _JsonataRule if self.query_language == "JSONata" else _JsonPathRule
        self.rules: list[_JsonataRule | _JsonPathRule] = [rule_type(rule) for rule in spec.get("Choices", ())]

    def body(self, visit: Visit) -> Outcome:
        data = self.io.after_input_path(visit)
        for position, rule in enumerate(self.rules):
            if rule.matches(visit, data):
                visit.note_choice(position, **rule.noted(), next=rule.next)
                return rule.leave(self, visit, data)
        if self.default is not None:
            visit.note_choice(None, next=self.default)
            return self.io.passthrough(visit, self.default)
        raise StatesError("States.NoChoiceMatched", None)


class _JsonPathRule:
    """A Choice Rule (``Variable`` and a comparison, or And/Or/Not); ``Assign`` reads the value after InputPath."""

    def __init__(self, rule: dict[str, Any]) -> None:
        from sfnsim.dataflow.choice import compile_choice_rule
        from sfnsim.dataflow.templates import compile_template

        self.rule = rule
        self.next: str = rule["Next"]
        self.test = compile_choice_rule(rule)
        self.assign = compile_template(rule["Assign"]) if "Assign" in rule else None

    def matches(self, visit: Visit, data: Any) -> bool:
        return bool(self.test.evaluate(visit.scope(data)))

    def noted(self) -> dict[str, Any]:
        return {"matched": self.rule}

    def leave(self, state: ChoiceState, visit: Visit, data: Any) -> Outcome:
        outcome = state.io.passthrough(visit, self.next)
        if self.assign is not None:
            outcome.assigned = self.assign(visit.scope(data))
        return outcome


class _JsonataRule:
    """A ``Condition`` with its own ``Output`` and ``Assign``, evaluated over ``$states``."""

    def __init__(self, rule: dict[str, Any]) -> None:
        from sfnsim.dataflow.jsonata import compile_template  # the JSONata engine loads only when used

        self.condition_text = rule.get("Condition")
        self.next: str = rule["Next"]
        self.condition = compile_template(self.condition_text, "Condition")
        self.output = compile_template(rule["Output"], "Output") if "Output" in rule else None
        self.assign = compile_template(rule["Assign"], "Assign") if "Assign" in rule else None

    def matches(self, visit: Visit, data: Any) -> bool:
        from sfnsim.engine.states.jsonata_io import evaluate_template

        return bool(evaluate_template(visit, self.condition, expect="boolean"))

    def noted(self) -> dict[str, Any]:
        return {"condition": self.condition_text}

    def leave(self, state: ChoiceState, visit: Visit, data: Any) -> Outcome:
        from sfnsim.engine.states.jsonata_io import evaluate_template

        assigned = evaluate_template(visit, self.assign) if self.assign is not None else None
        output = evaluate_template(visit, self.output) if self.output is not None else visit.input
        return Outcome(output, self.next, assigned)
