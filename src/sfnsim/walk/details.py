"""Details a learner asks about, derived from a visit: what a Choice compared, how a Retry's back-off
was computed, which items a Map ran over.

The engine records which Choice rule matched; the values each rule compared are read again here
from the same data (the Choice's input after InputPath) with the same JSONPath resolver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sfnsim.dataflow.jsonpath import PathNotFound, PathSyntaxError, compile_path
from sfnsim.dataflow.scope import Scope
from sfnsim.errors import StatesError


class _StepFacts(Protocol):
    """What the details read of a walkthrough ``Step`` (``sfnsim.walk.walkthrough``), which builds them."""

    spec: dict[str, Any]
    visit: Any  # the StateInspection of the visit
    variables_before: dict[str, Any]

    @property
    def jsonata(self) -> bool: ...

_RULE_FIELDS = ("Variable", "Next", "Comment", "Assign", "Output")
_COMBINATORS = ("And", "Or", "Not")


class _Missing:
    """A value that is not there (a path that matched nothing, a field the state does not set)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Comparison:
    """One data test of a Choice rule, with the values it saw."""

    variable: str
    value: Any  # MISSING when the Variable path matched nothing
    operator: str
    operand: Any  # the literal, or the path of a ...Path operator
    operand_value: Any = MISSING  # what a ...Path operand resolved to
    holds: bool | None = None  # None when the test itself could not be evaluated

    @property
    def operand_is_path(self) -> bool:
        return self.operator.endswith("Path")


@dataclass(frozen=True)
class RuleCheck:
    """One Choices entry (or the Default), and whether it decided the way out."""

    index: int | None  # None for Default
    next: str
    matched: bool
    rule: dict[str, Any] = field(default_factory=dict)
    comparisons: tuple[Comparison, ...] = ()
    condition: str | None = None  # a JSONata rule's Condition

    @property
    def is_default(self) -> bool:
        return self.index is None


@dataclass(frozen=True)
class RetryStep:
    """One failed attempt that a retrier took: retryIndex, the attempt, retryBackoffIntervalSeconds."""

    retrier: int  # retryIndex
    error_equals: tuple[str, ...]
    attempt: int  # the retry this starts (1 = first retry)
    retry_of_retrier: int  # how many retries this retrier had made before
    error: str | None
    cause: str | None
    backoff_seconds: float
    formula: str


# -- Choice ------------------------------------------------------------------------------------------
def choice_checks(step: _StepFacts, note: dict[str, Any] | None) -> list[RuleCheck]:
    """Every rule tried, in order, up to the one that matched (or all, then the Default)."""
    rules = [r for r in step.spec.get("Choices") or () if isinstance(r, dict)]
    matched = note.get("rule") if note else None
    tried = rules if matched is None else rules[: matched + 1]
    data = step.visit.stages.get("afterInputPath", step.visit.input)
    scope = Scope(data, {}, step.variables_before)
    checks = [
        RuleCheck(index, rule.get("Next", ""), index == matched, rule,
                  () if step.jsonata else tuple(_comparisons(rule, scope)),
                  rule.get("Condition") if step.jsonata else None)
        for index, rule in enumerate(tried)
    ]
    if note is not None and matched is None:
        checks.append(RuleCheck(None, note["next"], True))
    return checks


def _comparisons(rule: dict[str, Any], scope: Scope) -> list[Comparison]:
    found: list[Comparison] = []
    for combinator in _COMBINATORS:
        nested = rule.get(combinator)
        for inner in (nested if isinstance(nested, list) else [nested] if isinstance(nested, dict) else []):
            if isinstance(inner, dict):
                found.extend(_comparisons(inner, scope))
    if isinstance(rule.get("Variable"), str):
        operator = next((k for k in rule if k not in _RULE_FIELDS and k not in _COMBINATORS), "?")
        found.append(_compare(rule["Variable"], operator, rule.get(operator), scope))
    return found


def _compare(variable: str, operator: str, operand: Any, scope: Scope) -> Comparison:
    from sfnsim.dataflow.choice import ChoiceRuleError, compile_choice_rule

    value = _resolve(variable, scope)
    operand_value = _resolve(operand, scope) if operator.endswith("Path") and isinstance(operand, str) else MISSING
    try:
        holds: bool | None = compile_choice_rule({"Variable": variable, operator: operand}).evaluate(scope)
    except (ChoiceRuleError, StatesError):
        holds = None
    return Comparison(variable, value, operator, operand, operand_value, holds)


def _resolve(path: str, scope: Scope) -> Any:
    try:
        return compile_path(path).resolve(scope)
    except (PathNotFound, PathSyntaxError, StatesError):
        return MISSING


# -- Retry -------------------------------------------------------------------------------------------
def retry_steps(spec: dict[str, Any], notes: list[dict[str, Any]]) -> list[RetryStep]:
    retriers = [r for r in spec.get("Retry") or () if isinstance(r, dict)]
    made: dict[int, int] = {}
    steps: list[RetryStep] = []
    for note in notes:
        index = note["retrier"]
        retrier = retriers[index] if index < len(retriers) else {}
        before = made.get(index, 0)
        made[index] = before + 1
        steps.append(RetryStep(
            retrier=index, error_equals=tuple(retrier.get("ErrorEquals", ())), attempt=note["attempt"],
            retry_of_retrier=before, error=note.get("error"), cause=note.get("cause"),
            backoff_seconds=note["backoffSeconds"], formula=backoff_formula(retrier, before),
        ))
    return steps


def backoff_formula(retrier: dict[str, Any], retries_before: int) -> str:
    """How AWS computes the wait: IntervalSeconds × BackoffRate^(retries so far), capped, jittered."""
    interval = retrier.get("IntervalSeconds", 1)
    rate = retrier.get("BackoffRate", 2.0)
    text = f"IntervalSeconds {_num(interval)} × BackoffRate {_num(rate)}^{retries_before}"
    if "MaxDelaySeconds" in retrier:
        text = f"min({text}, MaxDelaySeconds {_num(retrier['MaxDelaySeconds'])})"
    if retrier.get("JitterStrategy") == "FULL":
        text = f"random between 0 and {text} (JitterStrategy FULL)"
    return text


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# -- Map ---------------------------------------------------------------------------------------------
def map_items(step: _StepFacts) -> Any:
    """``afterItemsPath``: the array the iterations ran over, where it can be read again."""
    if step.jsonata:
        return step.visit.input if "Items" not in step.spec else MISSING
    data = step.visit.stages.get("afterInputPath", step.visit.input)
    items_path = step.spec.get("ItemsPath", "$")
    if not isinstance(items_path, str):
        return MISSING
    items = _resolve(items_path, Scope(data, {}, step.variables_before))
    return items if isinstance(items, list) else MISSING
