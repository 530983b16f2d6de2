"""A walkthrough as JSON (``sfnsim walk --json``): the same facts the narration tells, for scripts.

Stages keep AWS's TestState inspection names (afterInputPath, afterParameters, result, ...); a field
the state does not set is left out rather than written as null, since null is a value a field can hold.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sfnsim.walk.walkthrough import MISSING, Step, Walkthrough


def walkthrough_json(walkthrough: Walkthrough, state: str | None = None) -> dict[str, Any]:
    """The run and its visits; ``state`` keeps only the visits to that state (flat, in order)."""
    if state is None:
        steps = [_step_json(step) for step in walkthrough.steps]
    else:
        steps = [_step_json(step, nested=False) for step in walkthrough.all_steps() if step.name == state]
    data: dict[str, Any] = {
        "machine": walkthrough.machine_name,
        "status": walkthrough.status,
        "startedAt": walkthrough.started_at.isoformat(),
        "input": walkthrough.input,
    }
    if walkthrough.status == "SUCCEEDED":
        data["output"] = walkthrough.output
    else:
        data["error"], data["cause"] = walkthrough.error, walkthrough.cause
    data["steps"] = steps
    return data


def _step_json(step: Step, *, nested: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": step.number,
        "name": step.name,
        "type": step.state_type,
        "queryLanguage": "JSONata" if step.jsonata else "JSONPath",
        "where": step.trail,
        "enteredOffsetSeconds": step.entered_offset,
        "exitedOffsetSeconds": step.exited_offset,
        "finished": step.finished,
        "stages": [_stage_json(stage) for stage in step.stages],
    }
    optional = {
        "next": step.next,
        "error": step.error,
        "assigned": step.assigned,
        "choice": [asdict(check) for check in step.choice] or None,
        "retries": [asdict(retry) for retry in step.retries] or None,
        "catch": step.catch,
        "variablesAfter": step.variables_after or None,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    if step.items is not MISSING:
        data["items"] = step.items
    if step.item_inputs:
        data["itemInputs"] = step.item_inputs
    if step.branch_input is not MISSING:
        data["branchInput"] = step.branch_input
    if nested and step.children:
        data["children"] = [_step_json(child) for child in step.children]
    return data


def _stage_json(stage: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"stage": stage.key, "value": stage.value, "changed": stage.changed}
    if stage.field is not None:
        data["field"] = stage.field
    if stage.is_set:
        data["expression"] = stage.expression
    return data
