"""The context object (``$$``) as AWS builds it for each state."""

from __future__ import annotations

from typing import Any


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class ExecutionInfo:
    """Facts about the execution that do not change while it runs."""

    __slots__ = ("execution_arn", "name", "input", "start_time", "role_arn", "state_machine_arn",
                 "state_machine_name", "redrive_count")

    def __init__(self, execution_arn: str, name: str, input: Any, start_time: str, role_arn: str,
                 state_machine_arn: str, state_machine_name: str, redrive_count: int | None = 0) -> None:
        self.execution_arn = execution_arn
        self.name = name
        self.input = input
        self.start_time = start_time
        self.role_arn = role_arn
        self.state_machine_arn = state_machine_arn
        self.state_machine_name = state_machine_name
        # None where AWS's context object has no RedriveCount: synchronous Express executions
        # (recorded StartSyncExecution outputs of $$.Execution lack it; asynchronous Express has 0).
        self.redrive_count = redrive_count

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
