"""A run as plain JSON data (``--json``): outcome, path, and the nested steps with their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sfnsim.history.steps import Step, StepTree, step_tree


def step_status(step: Step) -> str:
    """``succeeded``, ``caught`` (a Catch took over), ``failed``, ``aborted`` or ``unfinished``."""
    if step.exited is not None:
        return "caught" if step.caught else "succeeded"
    if step.aborted:
        return "aborted"
    return "failed" if step.failed else "unfinished"


def seconds_since(start: datetime | None, event: dict[str, Any] | None) -> float | None:
    moment = event.get("timestamp") if event else None
    if isinstance(start, datetime) and isinstance(moment, datetime):
        return round((moment - start).total_seconds(), 6)
    return None


def step_end(step: Step, tree: StepTree) -> dict[str, Any]:
    """The event that ended a visit; one cut short by the execution's end lasts until then."""
    if step.exited is not None:
        return step.exited
    if step_status(step) == "unfinished" and tree.events:
        return tree.events[-1]
    return step.last_event


def next_state(step: Step) -> str | None:
    """The state entered after ``step`` in the same flow (None at the end of the flow)."""
    return step.next.name if step.next is not None else None


def steps_json(tree: StepTree) -> list[dict[str, Any]]:
    return [_step_json(step, tree) for step in tree.roots]


def _step_json(step: Step, tree: StepTree) -> dict[str, Any]:
    start = tree.start_time
    entered_at = seconds_since(start, step.entered)
    ended_at = seconds_since(start, step_end(step, tree))
    data: dict[str, Any] = {
        "state": step.name,
        "type": step.state_type,
        "status": step_status(step),
        "at": entered_at,
        "seconds": round(ended_at - entered_at, 6) if entered_at is not None and ended_at is not None else None,
    }
    if step.iteration is not None:
        data["iteration"] = step.iteration
    if step.attempts:
        data["attempts"] = [_attempt_json(attempt, start) for attempt in step.attempts]
    if step.error is not None:
        data["error"], data["cause"] = step.error, step.cause
    following = next_state(step)
    if following is not None:
        data["next"] = following
    if step.children:
        data["children"] = [_step_json(child, tree) for child in step.children]
    return data


def _attempt_json(attempt: Any, start: datetime | None) -> dict[str, Any]:
    data: dict[str, Any] = {"outcome": attempt.outcome, "at": seconds_since(start, attempt.scheduled),
                            "seconds": attempt.seconds}
    result = attempt.result
    for key in ("error", "cause"):
        if result.get(key) is not None:
            data[key] = result[key]
    return data


def execution_json(execution: Any, *, include_history: bool = True) -> dict[str, Any]:
    """What ``sfnsim run --json`` prints for an :class:`sfnsim.Execution`."""
    tree = step_tree(execution.history)
    history = execution.to_aws_history()
    first, last = history["events"][0], history["events"][-1]
    data: dict[str, Any] = {
        "status": execution.status,
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
        "executionArn": execution.execution_arn,
        "startDate": first.get("timestamp"),
        "stopDate": last.get("timestamp") if execution.status != "RUNNING" else None,
        "seconds": seconds_since(tree.start_time, tree.events[-1]),
        "path": execution.path,
        "steps": steps_json(tree),
    }
    if execution.status == "RUNNING":
        data["pendingTaskTokens"] = list(execution.pending_tokens)
    if include_history:
        data["history"] = history
    children = getattr(execution, "children", None)
    if children:
        data["children"] = [child_json(child, include_history=include_history) for child in children]
    return data


def child_json(child: Any, *, include_history: bool = True) -> dict[str, Any]:
    """A child execution (startExecution or Distributed Map child) in ``sfnsim run --json``."""
    data: dict[str, Any] = {
        "kind": child.kind,
        "startedBy": child.parent_state,
        "executionArn": child.execution_arn,
        "stateMachineArn": child.state_machine_arn,
        "status": child.status,
        "input": child.input,
        "output": child.output,
        "error": child.error,
        "cause": child.cause,
        "path": child.path,
    }
    if include_history:
        data["history"] = child.to_aws_history()
    if child.children:
        data["children"] = [child_json(grandchild, include_history=include_history) for grandchild in child.children]
    return data


__all__ = ["child_json", "execution_json", "next_state", "seconds_since", "step_status", "steps_json"]
