"""The context object (``$$``) as AWS builds it for each state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExecutionInfo:
    """Facts about the execution that do not change while it runs."""

    execution_arn: str
    name: str
    input: Any
    start_time: str
    role_arn: str
    state_machine_arn: str
    state_machine_name: str
    # None where AWS's context object has no RedriveCount: synchronous Express executions
    # (recorded StartSyncExecution outputs of $$.Execution lack it; asynchronous Express has 0).
    redrive_count: int | None = 0

    def execution_object(self) -> dict[str, Any]:
        execution = {
            "Id": self.execution_arn,
            "Input": self.input,
            "StartTime": self.start_time,
            "Name": self.name,
            "RoleArn": self.role_arn,
        }
        if self.redrive_count is not None:
            execution["RedriveCount"] = self.redrive_count
        return execution

    def state_machine_object(self) -> dict[str, Any]:
        return {"Id": self.state_machine_arn, "Name": self.state_machine_name}


def context_object(
    info: ExecutionInfo,
    state_name: str,
    entered_time: str,
    *,
    retry_count: int | None = None,
    task_token: str | None = None,
    map_item: tuple[int, Any, str | None] | None = None,
) -> dict[str, Any]:
    """``$$`` for one state: Execution, StateMachine, State, and Task/Map when they apply."""
    state: dict[str, Any] = {"Name": state_name, "EnteredTime": entered_time}
    if retry_count is not None:
        state["RetryCount"] = retry_count
    context: dict[str, Any] = {
        "Execution": info.execution_object(),
        "StateMachine": info.state_machine_object(),
        "State": state,
    }
    if task_token is not None:
        context["Task"] = {"Token": task_token}
    if map_item is not None:
        index, value, key = map_item
        item = {"Index": index, "Value": value}
        # Items of a JSON object dataset (Distributed Map ItemReader) also carry their key.
        context["Map"] = {"Item": item if key is None else {"Key": key, **item}}
    return context
