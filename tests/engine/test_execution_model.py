"""Virtual time, determinism, AWS-shaped history, Retry/Catch, timeouts and callbacks."""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from sfnsim import StateMachine, TaskFailed, TaskResponse
from sfnsim.dataflow.intrinsics import uuid4_text
from sfnsim.tasks.outcomes import PENDING

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:work"


def machine(states: dict, **top) -> StateMachine:
    return StateMachine.from_dict({"StartAt": next(iter(states)), "States": states, **top})


def flaky(failures: int, error: str = "Lambda.ServiceException"):
    calls = {"n": 0}

    def handler(event):
        calls["n"] += 1
        if calls["n"] <= failures:
            raise TaskFailed(error, f"attempt {calls['n']}")
        return {"ok": calls["n"]}

    return handler


def test_a_year_of_waiting_never_sleeps(monkeypatch):
    def no_sleeping(seconds):
        raise AssertionError(f"the engine slept for real ({seconds} s)")

    monkeypatch.setattr(time, "sleep", no_sleeping)
    sm = machine({"W": {"Type": "Wait", "Seconds": 366 * 86400, "End": True}})
    ex = sm.run({})
    assert ex.history[-1]["timestamp"] == datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_start_time_is_settable_and_stamps_every_event():
    start = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
    ex = machine({"P": {"Type": "Pass", "End": True}}).run({}, start_time=start)
    assert {e["timestamp"] for e in ex.history} == {start}


def test_same_seed_same_history_byte_for_byte():
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 2, "End": True, "ItemProcessor": {
                "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [
                    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "JitterStrategy": "FULL"}]}}}}}},
            {"StartAt": "U", "States": {"U": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "End": True}}},
        ]}},
    }

    def run_once(seed: int) -> str:
        counters: dict[int, int] = {}

        def work(event):
            counters[event] = counters.get(event, 0) + 1
            if counters[event] < 2:
                raise TaskFailed("Transient", "try again")
            return event * 2

        ex = StateMachine.from_dict(definition).run([1, 2, 3], handlers={"work": work}, seed=seed)
        assert ex.status == "SUCCEEDED"
        return json.dumps(ex.to_aws_history(), sort_keys=True)

    assert run_once(7) == run_once(7)
    assert run_once(7) != run_once(8)  # jitter and UUIDs come from the seed


def test_history_ids_types_and_previous_event_ids_for_a_pass_chain():
    ex = machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}).run({"x": 1})
    assert [(e["id"], e["previousEventId"], e["type"]) for e in ex.history] == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "PassStateEntered"),  # as AWS records it: the first state links to 0
        (3, 2, "PassStateExited"),
        (4, 3, "PassStateEntered"),
        (5, 4, "PassStateExited"),
        (6, 5, "ExecutionSucceeded"),
    ]
    assert ex.history[1]["stateEnteredEventDetails"] == {"name": "A", "input": {"x": 1}, "inputDetails": {"truncated": False}}


def test_to_aws_history_has_json_text_fields():
    ex = machine({"A": {"Type": "Pass", "Result": {"b": [1, 2]}, "End": True}}).run({"a": "é"})
    events = ex.to_aws_history()["events"]
    assert events[0]["executionStartedEventDetails"]["input"] == '{"a":"é"}'
    assert events[2]["stateExitedEventDetails"]["output"] == '{"b":[1,2]}'
    assert isinstance(events[0]["timestamp"], str)
    json.dumps(events)  # printable as-is


def test_retry_back_off_moves_the_virtual_clock():
    # AWS docs, Retry example: IntervalSeconds 3, BackoffRate 1.5 → waits of 3 s then 4.5 s.
    sm = machine({"T": {"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [
        {"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.5}]}})
    ex = sm.run({}, handlers={"work": flaky(2)})
    assert ex.status == "SUCCEEDED" and ex.output == {"ok": 3}
    scheduled = [e["timestamp"] for e in ex.history if e["type"] == "LambdaFunctionScheduled"]
    start = ex.history[0]["timestamp"]
    assert [t - start for t in scheduled] == [timedelta(0), timedelta(seconds=3), timedelta(seconds=7.5)]


def test_retry_exhausted_then_catch_with_result_path():
    sm = machine({
        "T": {"Type": "Task", "Resource": LAMBDA, "Next": "Done",
              "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Alert"}]},
        "Done": {"Type": "Succeed"},
        "Alert": {"Type": "Pass", "End": True},
    })
    ex = sm.run({"job": 1}, handlers={"work": flaky(5, "Crash")})
    assert ex.path == ["T", "Alert"]
    assert ex.output == {"job": 1, "error": {"Error": "Crash", "Cause": "attempt 2"}}
    types = [e["type"] for e in ex.history]
    assert types.count("LambdaFunctionFailed") == 2
    assert types[types.index("LambdaFunctionFailed", types.index("LambdaFunctionFailed") + 1) + 1] == "TaskStateExited"


def test_max_attempts_zero_never_retries():
    sm = machine({"T": {"Type": "Task", "Resource": LAMBDA, "End": True,
                        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]}})
    ex = sm.run({}, handlers={"work": flaky(1)})
    assert ex.status == "FAILED"
    assert [e["type"] for e in ex.history].count("LambdaFunctionScheduled") == 1


def test_max_delay_seconds_caps_back_off():
    sm = machine({"T": {"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "BackoffRate": 10, "MaxAttempts": 3, "MaxDelaySeconds": 50}]}})
    ex = sm.run({}, handlers={"work": flaky(3)})
    scheduled = [e["timestamp"] for e in ex.history if e["type"] == "LambdaFunctionScheduled"]
    gaps = [(b - a).total_seconds() for a, b in zip(scheduled, scheduled[1:])]
    assert gaps == [10, 50, 50]


def test_first_matching_retrier_is_used_and_counts_its_own_attempts():
    sm = machine({"T": {"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [
        {"ErrorEquals": ["Other"], "MaxAttempts": 5},
        {"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]}})
    ex = sm.run({}, handlers={"work": flaky(2)})
    # The second retrier matches, allows one retry; the second failure is final (not States.ALL's).
    assert ex.status == "FAILED" and ex.cause == "attempt 2"


@pytest.mark.parametrize("error, caught", [
    ("States.Runtime", False),           # terminal: States.ALL never catches it
    # A task that reports a data-limit failure (AWS records it as TaskFailed for a Lambda result over
    # the quota) is caught: test_states_errors.snapshot.json in the recorded corpus's source.
    ("States.DataLimitExceeded", True),
    ("States.Timeout", True),
    ("Anything.Custom", True),
])
def test_what_states_all_catches(error, caught):
    sm = machine({"T": {"Type": "Task", "Resource": LAMBDA, "End": True,
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
                  "C": {"Type": "Succeed"}})
    ex = sm.run({}, handlers={"work": lambda _: TaskResponse(error=error, cause="x")})
    assert (ex.status == "SUCCEEDED") is caught


def test_states_task_failed_does_not_match_timeout():
    sm = machine({"T": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 5, "End": True,
                        "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}]},
                  "C": {"Type": "Succeed"}})
    ex = sm.run({}, handlers={"work": lambda _: TaskResponse(value=1, duration=10)})
    assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
    assert "LambdaFunctionTimedOut" in [e["type"] for e in ex.history]
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] == timedelta(seconds=5)


def test_machine_timeout_seconds_times_the_execution_out():
    sm = machine({"W": {"Type": "Wait", "Seconds": 100, "End": True}}, TimeoutSeconds=30)
    ex = sm.run({})
    assert ex.status == "TIMED_OUT"
    assert ex.history[-1]["type"] == "ExecutionTimedOut"
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] == timedelta(seconds=30)


CALLBACK = {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                  "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                  "TimeoutSeconds": 300, "HeartbeatSeconds": 60, "End": True}}


def test_callback_waits_for_send_task_success():
    seen = []
    ex = machine(CALLBACK).start({}, handlers={"T": lambda p: seen.append(p) or PENDING})
    assert ex.status == "RUNNING"
    assert ex.pending_tokens == [seen[0]["MessageBody"]["token"]]
    ex.send_task_success(ex.pending_tokens[0], {"approved": True})
    assert (ex.status, ex.output) == ("SUCCEEDED", {"approved": True})
    assert [e["type"] for e in ex.history][2:7] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
                                                   "TaskStateExited"]


def test_callback_failure_and_heartbeat_timeout():
    ex = machine(CALLBACK).start({}, handlers={"T": lambda p: PENDING})
    ex.send_task_failure(ex.pending_tokens[0], "Rejected", "by reviewer")
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "Rejected", "by reviewer")

    ex = machine(CALLBACK).start({}, handlers={"T": lambda p: PENDING})
    ex.advance_time(50)
    ex.send_task_heartbeat(ex.pending_tokens[0])
    ex.advance_time(50)
    assert ex.status == "RUNNING"  # the heartbeat at 50 s moved the deadline to 110 s
    ex.advance_time(20)
    assert ex.status == "FAILED" and ex.error == "States.Timeout"
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] == timedelta(seconds=110)


def test_run_lets_an_unanswered_callback_time_out():
    ex = machine(CALLBACK).run({}, handlers={"T": lambda p: PENDING})
    assert ex.status == "FAILED" and ex.error == "States.Timeout"


def test_stop_aborts_a_running_execution():
    ex = machine(CALLBACK).start({}, handlers={"T": lambda p: PENDING})
    ex.stop("Operator", "manual stop")
    assert ex.status == "ABORTED" and ex.history[-1]["type"] == "ExecutionAborted"


def test_each_attempt_sees_the_virtual_time_it_was_scheduled_at_and_real_time_returns():
    seen: list[datetime] = []

    def stamp(_event):
        seen.append(datetime.now(timezone.utc))
        if len(seen) < 2:
            raise TaskFailed("Transient", "once")
        return "ok"

    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    sm = machine({"T": {"Type": "Task", "Resource": LAMBDA, "End": True,
                        "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 30}]}})
    ex = sm.run({}, handlers={"work": stamp}, start_time=start)
    assert ex.status == "SUCCEEDED"
    assert seen == [start, start + timedelta(seconds=30)]
    assert datetime.now(timezone.utc).year < 2030  # the test's own code is back on real time


def test_start_can_stop_at_a_virtual_moment_so_a_test_can_stop_the_execution():
    sm = machine({"W": {"Type": "Wait", "Seconds": 3600, "Next": "After"}, "After": {"Type": "Pass", "End": True}})
    ex = sm.start({}, run_for=0)
    assert ex.status == "RUNNING"
    ex.stop("Operator", "not today")
    assert (ex.status, ex.error, ex.cause) == ("ABORTED", "Operator", "not today")
    assert [e["type"] for e in ex.history] == ["ExecutionStarted", "WaitStateEntered", "WaitStateAborted",
                                              "ExecutionAborted"]
    finished = sm.start({}, run_for=7200)
    assert finished.status == "SUCCEEDED"


def test_sync_tasks_have_a_task_token_in_the_context_object():
    # AWS's context-object page: Task.Token is there inside a task state; .sync jobs get one too.
    sm = machine({"Run": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                          "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:c",
                                         "Input": {"token.$": "$$.Task.Token"}}, "End": True}})
    seen = []
    ex = sm.run({}, handlers={"Run": lambda p: seen.append(p) or {"Output": "{}"}})
    assert ex.status == "SUCCEEDED"
    token = seen[0]["Input"]["token"]
    assert isinstance(token, str) and token
    scheduled = next(e for e in ex.history if e["type"] == "TaskScheduled")
    assert scheduled["taskScheduledEventDetails"]["parameters"]["Input"] == {"token": token}



def test_a_handler_that_changes_its_event_changes_neither_the_history_nor_the_state_data():
    # Lambda gets JSON text: the event is the handler's own, down to the nested values, and two
    # fields filled from the same input value are two values (as after a JSON round trip).
    def meddles(event):
        event["order"]["lines"].append("extra")
        event["order"]["id"] = "changed"
        event["again"]["id"] = "changed too"
        return {"ok": True}

    sm = machine({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                        "Parameters": {"FunctionName": "work", "Payload": {"order.$": "$.order", "again.$": "$.order"}},
                        "ResultSelector": {"ok.$": "$.Payload.ok"}, "ResultPath": "$.result"}})
    seen = []
    ex = sm.run({"order": {"id": "o-1", "lines": ["a"]}},
                handlers={"work": lambda event: seen.append(event) or meddles(event)})
    assert ex.output == {"order": {"id": "o-1", "lines": ["a"]}, "result": {"ok": True}}
    scheduled = next(e for e in ex.history if e["type"] == "TaskScheduled")
    assert scheduled["taskScheduledEventDetails"]["parameters"] == {
        "FunctionName": "work", "Payload": {"order": {"id": "o-1", "lines": ["a"]}, "again": {"id": "o-1", "lines": ["a"]}}}
    assert seen[0]["again"] == {"id": "changed too", "lines": ["a"]}


def test_uuid4_text_is_the_standard_librarys_version_4_uuid_for_any_bits():
    draws = random.Random(14)
    for bits in [0, (1 << 128) - 1, *(draws.getrandbits(128) for _ in range(2000))]:
        assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))
