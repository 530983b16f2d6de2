"""Where a learner's run first parts from the reference solution's run, stage by stage.

Both runs are turned into walkthroughs (``sfnsim.walk``) and read in narration order, one stop at a
time: a Map or Parallel is compared on entry (its input, ``afterItemSelector``), then the states
nested in it, then on its return (its result and what follows), so a difference is reported where
it starts rather than where it shows up. Within a stop the stages are compared in AWS's order
(``input``, ``afterInputPath``, ``afterParameters``, ..., ``afterOutputPath``); Wait states
compare how long they waited, retried tasks their back-off, Choice states where they went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfnsim.learn.docs_pages import STAGE_FIELDS, docs_url
from sfnsim.walk.details import MISSING
from sfnsim.walk.walkthrough import Block, Step, Walkthrough

_ENTRY = ("input", "afterInputPath", "afterParameters", "afterArguments", "afterItemSelector")
_WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
# Fields that never explain why a stage's value differs (nested states are compared on their own).
_NOT_CAUSES = ("Comment", "Next", "End", "Branches", "ItemProcessor", "Iterator")


@dataclass(frozen=True)
class Difference:
    """The first place a learner's run differs from the reference run."""

    state: str
    stage: str  # an inspection stage (afterParameters ...) or "next", "waited", "retries", "errorDetails"
    field: str | None  # the ASL field that decides this stage
    yours: Any  # MISSING when the learner's run never got there
    expected: Any
    trail: tuple[str, ...] = ()  # where the visit ran: ("Map PriceOrders", "iteration 0")
    your_error: dict[str, Any] | None = None  # what the learner's state failed with instead
    choice: Step | None = None  # the learner's Choice visit, when the difference is where it went
    stage_field: str | None = None  # the field that makes the stage, when ``field`` is another one

    @property
    def docs(self) -> str | None:
        return docs_url(self.field)


@dataclass(frozen=True)
class _Stage:
    key: str
    field: str | None
    value: Any


def first_difference(yours: Walkthrough, expected: Walkthrough) -> Difference | None:
    """The first stop at which the two runs differ, or ``None`` when they agree everywhere."""
    mine, theirs = yours.blocks(), expected.blocks()
    for position, reference in enumerate(theirs):
        if position >= len(mine):
            return _ended_early(mine, reference.step)
        block = mine[position]
        if (block.step.name, block.part) != (reference.step.name, reference.part):
            return _went_elsewhere(mine, position, reference.step)
        found = _compare(block, reference)
        if found is not None:
            return found
    if len(mine) > len(theirs):
        last = theirs[-1].step if theirs else mine[0].step
        return Difference(last.name, "next", "Next", mine[len(theirs)].step.name, MISSING, tuple(last.trail))
    return None


def _ended_early(mine: list[Block], missing: Step) -> Difference:
    last = mine[-1].step if mine else missing
    return Difference(last.name, "next", _transition_field(last), MISSING, missing.name, tuple(last.trail),
                      last.error, last if last.state_type == "Choice" else None)


def _went_elsewhere(mine: list[Block], position: int, expected: Step) -> Difference:
    block = mine[position]
    before = next((b.step for b in reversed(mine[:position]) if b.part != "enter" or b.step is block.step.parent), None)
    if before is None:
        return Difference(expected.name, "StartAt", "Next", block.step.name, expected.name)
    return Difference(before.name, "next", _transition_field(before), block.step.name, expected.name,
                      tuple(before.trail), None, before if before.state_type == "Choice" else None)


def _transition_field(step: Step) -> str:
    if step.state_type == "Choice":
        return "Choices"
    if step.catch is not None:
        return "Catch"
    return "Next"


def _compare(block: Block, reference: Block) -> Difference | None:
    mine, theirs = _stages(block), _stages(reference)
    step, expected_step = block.step, reference.step
    have = {stage.key: stage for stage in mine}
    for expected in theirs:
        actual = have.get(expected.key)
        if actual is None:
            if step.error is not None and step.catch is None:
                return _difference(step, expected_step, expected, MISSING, step.error)
            continue
        if expected.key == "afterItemSelector" and _ran_some_then_failed(step, actual.value, expected.value):
            continue  # the iterations that ran got the right input: the difference is inside one of them
        if actual.value != expected.value:
            return _difference(step, expected_step, expected, actual.value, step.error if step.catch is None else None)
    if block.part != "enter" and _failed(step) != _failed(expected_step):
        return Difference(step.name, "errorDetails", _error_field(expected_step), step.error, expected_step.error,
                          tuple(step.trail), step.error)
    return None


def _difference(step: Step, expected_step: Step, stage: _Stage, yours: Any,
                error: dict[str, Any] | None) -> Difference:
    field = stage.field
    if field is not None and step.spec.get(field) == expected_step.spec.get(field):
        # The field is written as in the reference: what makes this stage differ is another field of
        # the state (a Resource without .waitForTaskToken has no $$.Task.Token for Parameters).
        field = next((key for key in (*expected_step.spec, *step.spec) if key not in _NOT_CAUSES
                      and step.spec.get(key) != expected_step.spec.get(key)), field)
    return Difference(step.name, stage.key, field, yours, stage.value, tuple(step.trail), error,
                      stage_field=stage.field if field != stage.field else None)


def _ran_some_then_failed(step: Step, yours: list[Any], expected: list[Any]) -> bool:
    return step.error is not None and 0 < len(yours) < len(expected) and yours == expected[: len(yours)]


def _failed(step: Step) -> bool:
    return step.error is not None and step.catch is None


def _error_field(step: Step) -> str:
    return "Catch" if "Catch" in step.spec else "Retry" if "Retry" in step.spec else step.state_type


def _stages(block: Block) -> list[_Stage]:
    """What to compare at one stop, in the order the data flows."""
    step = block.step
    stages: list[_Stage] = []
    entry_keys = [s.key for s in step.stages if s.key in ("input", "afterInputPath")]
    for stage in step.stages:
        if stage.key == "result":
            stages.extend(_retries(step))
        stages.append(_Stage(stage.key, stage.field or STAGE_FIELDS.get(stage.key), stage.value))
        if step.state_type == "Map" and entry_keys and stage.key == entry_keys[-1]:
            stages.append(_iteration_inputs(step))
    if not any(s.key == "result" for s in step.stages):
        stages.extend(_retries(step))
    if step.state_type == "Wait":
        field = next((f for f in _WAIT_FIELDS if f in step.spec), "Wait")
        stages.append(_Stage("waited", field, step.duration))
    if step.catch is not None:
        stages.append(_Stage("afterResultPath" if not step.jsonata else "output", "Catch", step.output))
    if block.part == "enter":
        return [s for s in stages if s.key in _ENTRY]
    if block.part == "leave":
        return [s for s in stages if s.key not in _ENTRY]
    return stages


def _iteration_inputs(step: Step) -> _Stage:
    field = next((f for f in ("ItemSelector", "ItemReader", "Parameters", "ItemsPath") if f in step.spec), "ItemsPath")
    first: dict[int, Any] = {}
    for child in step.children:
        if child.lane is not None and child.lane.index not in first:
            first[child.lane.index] = child.visit.input
    return _Stage("afterItemSelector", field, [first[i] for i in sorted(first)])


def _retries(step: Step) -> list[_Stage]:
    if not step.retries and "Retry" not in step.spec:
        return []
    return [_Stage("retries", "Retry", [retry.backoff_seconds for retry in step.retries])]
