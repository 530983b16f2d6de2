"""Which Choice rule matched, worked out again from a history that does not say.

AWS's history records a Choice state's input and the state entered next, not the rule that matched,
so when two rules share a Next the events alone cannot tell them apart. A JSONPath Choice is a pure
function of its input, the context object and workflow variables; its input is in the
``ChoiceStateEntered`` event, so the rules can be evaluated again, in order, as AWS does. When they
need what the history does not hold (the context object, a variable, a JSONata condition, a
truncated input), the answer is "unknown" rather than a guess.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from sfnsim.dataflow.choice import compile_choice_rule
from sfnsim.dataflow.pipeline import ABSENT, compile_selector
from sfnsim.dataflow.scope import Scope
from sfnsim.errors import StatesError


class _NotInHistory(Exception):
    """The rules read something a history does not record."""


class _Unrecorded(Mapping[str, Any]):
    """Workflow variables: a history records assignments, not the values a branch can see."""

    def __getitem__(self, name: str) -> Any:
        raise _NotInHistory(name)

    def __iter__(self) -> Iterator[str]:
        raise _NotInHistory("variables")

    def __len__(self) -> int:
        raise _NotInHistory("variables")


def _no_context() -> Mapping[str, Any]:
    raise _NotInHistory("$$")


def rule_matched_again(spec: dict[str, Any], query_language: str, entered_details: Mapping[str, Any]) -> tuple[bool, int | None]:
    """``(True, index)`` of the first rule that matches the recorded input (index None: no rule
    matched, so Default was taken), or ``(False, None)`` when it cannot be worked out."""
    rules = spec.get("Choices")
    if query_language != "JSONPath" or not isinstance(rules, list) or "input" not in entered_details:
        return False, None
    truncated = entered_details.get("inputDetails")
    if isinstance(truncated, dict) and truncated.get("truncated") is True:
        return False, None
    try:
        scope = Scope(entered_details["input"], _no_context, _Unrecorded())
        scope = Scope(compile_selector(spec.get("InputPath", ABSENT))(scope), _no_context, _Unrecorded())
        for index, rule in enumerate(rules):
            if compile_choice_rule(rule).evaluate(scope):
                return True, index
    except (_NotInHistory, StatesError, ValueError, LookupError):
        # What the rules read is not recorded, or the recorded input made them fail: cannot tell.
        return False, None
    return True, None
