"""Activities answered by a worker: the handler leaves the task (PENDING), a worker takes it later."""

from __future__ import annotations

import sfnsim
from sfnsim import StateMachine

ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:approve"


def _machine(**task: object) -> StateMachine:
    return StateMachine.from_dict({
        "StartAt": "Approve",
        "States": {"Approve": {"Type": "Task", "Resource": ACTIVITY, "End": True, **task}},
    })


def _leave_to_worker(tokens: list[str]):
    def handler(payload, context):
        tokens.append(context.task_token)
        return sfnsim.PENDING
    return handler


def test_activity_started_when_the_worker_takes_it_and_succeeds_on_its_answer() -> None:
    tokens: list[str] = []
    execution = _machine().start({"n": 1}, handlers={ACTIVITY: _leave_to_worker(tokens)})
    assert execution.status == "RUNNING"
    assert [e["type"] for e in execution.history][-1] == "ActivityScheduled"
    execution.advance_time(3)
    execution.start_activity_task(tokens[0], "worker-1")
    execution.advance_time(2)
    execution.send_task_success(tokens[0], {"ok": True})
    types = [e["type"] for e in execution.history]
    assert types == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                     "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
    started = execution.history[3]
    assert started["activityStartedEventDetails"] == {"workerName": "worker-1"}
    assert (started["timestamp"] - execution.history[2]["timestamp"]).total_seconds() == 3
    assert (execution.history[4]["timestamp"] - started["timestamp"]).total_seconds() == 2
    assert execution.output == {"ok": True}


def test_an_activity_worker_that_stops_heartbeating_times_out_with_heartbeat_timeout() -> None:
    tokens: list[str] = []
    execution = _machine(HeartbeatSeconds=10, TimeoutSeconds=100).start(
        {}, handlers={ACTIVITY: _leave_to_worker(tokens)})
    execution.start_activity_task(tokens[0], "w")
    assert execution.next_timer == 10
    execution.advance_time(11)
    assert execution.status == "FAILED"
    assert execution.error == "States.HeartbeatTimeout"
    assert [e["type"] for e in execution.history[-3:]] == ["ActivityStarted", "ActivityTimedOut", "ExecutionFailed"]


def test_activity_tokens_are_distinct_per_task() -> None:
    tokens: list[str] = []
    machine = StateMachine.from_dict({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": ACTIVITY, "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": ACTIVITY, "End": True}}}]}}})
    execution = machine.start({}, handlers={ACTIVITY: _leave_to_worker(tokens)})
    assert len(set(tokens)) == 2 and sorted(execution.pending_tokens) == sorted(tokens)


def test_setup_errors_fail_the_execution_when_asked() -> None:
    execution = _machine().start({}, setup_errors="fail")
    assert execution.status == "FAILED"
    assert execution.error == "sfnsim.HandlerError"
    assert "has no handler" in execution.cause
    assert execution.history[-1]["type"] == "ExecutionFailed"


def test_a_handler_fallback_is_asked_last_with_the_state_and_resource() -> None:
    asked: list[tuple[str, str]] = []

    def fallback(state_name: str, resource: str):
        asked.append((state_name, resource))
        return lambda payload: {"from": "fallback"}

    machine = _machine()
    assert machine.start({}, handler_fallback=fallback).output == {"from": "fallback"}
    assert asked == [("Approve", ACTIVITY)]
    # A handler given for the state wins over the fallback.
    assert machine.start({}, handlers={"Approve": lambda p: 1}, handler_fallback=fallback).output == 1
    assert len(asked) == 1


def test_variables_given_at_the_start_are_in_scope() -> None:
    machine = StateMachine.from_dict({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": {"seen.$": "$limit"}, "End": True}}})
    assert machine.start({}, variables={"limit": 5}).output == {"seen": 5}
