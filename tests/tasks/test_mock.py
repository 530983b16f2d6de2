"""sfnsim.mock: mocks as Task handlers (return, raise, per-call sequences, virtual time, callbacks).

Expected values come from AWS's documentation (Retry intervals, lambda:invoke's response shape,
TimeoutSeconds → States.Timeout) or from executions recorded against AWS (the conformance corpus).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from corpus import conformance_case

from sfnsim import HandlerError, StateMachine, TaskResponse, mock

START = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def one_task(task: dict[str, Any]) -> StateMachine:
    return StateMachine.from_dict({"StartAt": "Work", "States": {"Work": {"Type": "Task", "End": True, **task}}})


def lambda_task(**extra: Any) -> dict[str, Any]:
    return {"Resource": LAMBDA_INVOKE, "Parameters": {"FunctionName": "work", "Payload.$": "$"}, **extra}


def seconds(event: dict[str, Any]) -> float:
    return (event["timestamp"] - START).total_seconds()


def events_of(execution: Any, event_type: str) -> list[dict[str, Any]]:
    return [e for e in execution.history if e["type"] == event_type]


# -- returns ----------------------------------------------------------------------------------------
def test_returns_is_the_function_result_wrapped_in_payload_for_lambda_invoke() -> None:
    ex = one_task(lambda_task(ResultSelector={"body.$": "$.Payload", "status.$": "$.StatusCode"})).run(
        {"order": 7}, handlers={"Work": mock.returns({"ok": True})})
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"body": {"ok": True}, "status": 200}


def test_returns_raw_passes_the_service_response_through() -> None:
    response = {"StatusCode": 200, "Payload": {"ok": True}, "ExecutedVersion": "$LATEST"}
    ex = one_task(lambda_task()).run({}, handlers={"Work": mock.returns(response, raw=True)})
    assert ex.output == response


def test_returns_for_a_service_integration_is_the_result() -> None:
    sm = one_task({"Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": {"Key.$": "$"}})
    ex = sm.run({"id": "1"}, handlers={"Work": mock.returns({"Item": {"id": {"S": "1"}}})})
    assert ex.output == {"Item": {"id": {"S": "1"}}}


def test_mock_registered_under_the_function_name() -> None:
    ex = one_task(lambda_task(OutputPath="$.Payload")).run({}, handlers={"work": mock.returns(5)})
    assert ex.output == 5


def test_returned_value_is_copied_for_every_call() -> None:
    sm = one_task({"Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": {}, "ResultPath": "$.r"})
    answer = mock.returns({"n": 1})
    first = sm.run({}, handlers={"Work": answer})
    first.output["r"]["n"] = 99
    assert sm.run({}, handlers={"Work": answer}).output == {"r": {"n": 1}}


# -- raises, retries and sequences -------------------------------------------------------------------
RETRY = [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2}]


@pytest.mark.parametrize("make", [
    lambda: mock.raises("Lambda.ServiceException", "Rate exceeded", times=2).then(returns={"rows": 3}),
    lambda: mock.raises("Lambda.ServiceException", "Rate exceeded").then(
        mock.raises("Lambda.ServiceException", "Rate exceeded")).then(mock.returns({"rows": 3})),
    lambda: mock.sequence(mock.raises("Lambda.ServiceException", "Rate exceeded", times=2), mock.returns({"rows": 3})),
], ids=["times-then-returns", "then-mocks", "sequence"])
def test_raises_twice_then_returns_is_retried(make: Any) -> None:
    load = make()
    ex = one_task(lambda_task(Retry=RETRY, OutputPath="$.Payload")).run(
        {"date": "2024-01-01"}, handlers={"Work": load}, start_time=START)
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"rows": 3}
    scheduled = events_of(ex, "TaskScheduled")
    assert len(scheduled) == 3
    # Retry waits IntervalSeconds, then IntervalSeconds * BackoffRate: attempts at 0 s, 1 s, 3 s.
    assert [seconds(e) for e in scheduled] == [0, 1, 3]
    failures = [e["taskFailedEventDetails"] for e in events_of(ex, "TaskFailed")]
    assert [(f["error"], f["cause"]) for f in failures] == [("Lambda.ServiceException", "Rate exceeded")] * 2
    assert load.calls == [{"date": "2024-01-01"}] * 3
    assert load.call_count == 3


def test_the_last_step_repeats() -> None:
    answer = mock.returns("a").then(returns="b")
    assert [answer(None).value for _ in range(4)] == ["a", "b", "b", "b"]


def test_raises_without_retry_fails_the_execution_with_that_error() -> None:
    ex = one_task(lambda_task()).run({}, handlers={"Work": mock.raises("States.TaskFailed", "no luck")})
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.TaskFailed", "no luck")


def test_raises_cause_as_json_is_written_compactly() -> None:
    cause = {"errorMessage": "boom", "errorType": "ValueError"}
    ex = one_task(lambda_task()).run({}, handlers={"Work": mock.raises("ValueError", cause)})
    assert ex.cause == '{"errorMessage":"boom","errorType":"ValueError"}'


def test_raised_error_is_caught_like_any_task_error() -> None:
    sm = StateMachine.from_dict({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": LAMBDA_INVOKE, "Parameters": {"FunctionName": "f"},
                 "Catch": [{"ErrorEquals": ["Lambda.ServiceException"], "Next": "Handled"}], "End": True},
        "Handled": {"Type": "Pass", "End": True}}})
    ex = sm.run({}, handlers={"Work": mock.raises("Lambda.ServiceException", "down")})
    assert ex.output == {"Error": "Lambda.ServiceException", "Cause": "down"}


def test_recorded_lambda_retries_replay_with_a_mock() -> None:
    """AWS: a legacy-ARN Lambda failing on every attempt, MaxAttempts 2 → 3 attempts, then failure."""
    case = conformance_case("tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.py::TestBaseScenarios"
                             "::test_retry_interval_features::get_execution_history")
    cause = json.dumps(case["expected"]["cause"])
    failing = mock.raises(case["expected"]["error"], cause)
    ex = StateMachine.from_dict(case["definition"]).run(case["input"], handlers={"LambdaTask": failing})
    assert [e["type"] for e in ex.history] == [e["type"] for e in case["events"]]
    expected = case["expected"]
    assert (ex.status, ex.error, json.loads(ex.cause)) == ("FAILED", expected["error"], expected["cause"])
    assert failing.call_count == 3


# -- virtual time --------------------------------------------------------------------------------------
def test_duration_longer_than_timeout_seconds_times_out_at_the_timeout() -> None:
    ex = one_task(lambda_task(TimeoutSeconds=300)).run(
        {}, handlers={"Work": mock.returns(1, duration=600)}, start_time=START)
    assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
    [timed_out] = events_of(ex, "TaskTimedOut")
    assert seconds(timed_out) == 300
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    assert seconds(ex.history[-1]) == 300


def test_duration_shorter_than_timeout_succeeds_after_the_duration() -> None:
    ex = one_task(lambda_task(TimeoutSeconds=300, OutputPath="$.Payload")).run(
        {}, handlers={"Work": mock.returns(1, duration=120)}, start_time=START)
    assert ex.output == 1
    [succeeded] = events_of(ex, "TaskSucceeded")
    assert seconds(succeeded) == 120


def test_raises_after_a_duration() -> None:
    ex = one_task(lambda_task()).run({}, handlers={"Work": mock.raises("Boom", duration=45)}, start_time=START)
    [failed] = events_of(ex, "TaskFailed")
    assert seconds(failed) == 45


def test_recorded_lambda_timeout_replays_with_a_slow_mock() -> None:
    """AWS: TimeoutSeconds 5 on a function that takes 60 s → TaskTimedOut, caught as States.Timeout."""
    case = conformance_case("tests/aws/services/stepfunctions/v2/error_handling/test_task_service_lambda.py"
                             "::TestTaskServiceLambda::test_invoke_timeout::get_execution_history")
    ex = StateMachine.from_dict(case["definition"]).run(
        case["input"], handlers={"Start": mock.returns(None, duration=60)}, start_time=START)
    assert (ex.status, ex.output) == (case["expected"]["status"], case["expected"]["output"])
    assert [e["type"] for e in ex.history] == [e["type"] for e in case["events"]]
    assert seconds(events_of(ex, "TaskTimedOut")[0]) == 5



# -- Map -------------------------------------------------------------------------------------------
def map_machine(max_concurrency: int | None) -> StateMachine:
    processor = {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Price", "States": {
        "Price": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                  "Parameters": {"Key.$": "$"}, "End": True}}}
    state: dict[str, Any] = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True}
    if max_concurrency is not None:
        state["MaxConcurrency"] = max_concurrency
    return StateMachine.from_dict({"StartAt": "Each", "States": {"Each": state}})


@pytest.mark.parametrize("max_concurrency", [1, None])
def test_map_iterations_consume_a_mock_in_item_order(max_concurrency: int | None) -> None:
    price = mock.sequence(mock.returns(10), mock.returns(20), mock.returns(30))
    ex = map_machine(max_concurrency).run({"items": ["a", "b", "c"]}, handlers={"Price": price})
    assert ex.output == [10, 20, 30]
    assert price.calls == [{"Key": "a"}, {"Key": "b"}, {"Key": "c"}]


def test_map_with_max_concurrency_1_runs_mock_durations_one_after_another() -> None:
    price = mock.returns(1, duration=10)
    ex = map_machine(1).run({"items": [1, 2, 3]}, handlers={"Price": price}, start_time=START)
    assert [seconds(e) for e in events_of(ex, "TaskSucceeded")] == [10, 20, 30]


# -- callbacks (.waitForTaskToken) ---------------------------------------------------------------------
CALLBACK_TASK = {
    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/approvals",
                   "MessageBody": {"order.$": "$.order", "token.$": "$$.Task.Token"}},
}


def test_pending_waits_for_send_task_success() -> None:
    approval = mock.pending(submitted={"MessageId": "m-1"})
    ex = one_task(CALLBACK_TASK).start({"order": 7}, handlers={"Work": approval})
    assert ex.status == "RUNNING"
    [token] = ex.pending_tokens
    assert approval.calls[0]["MessageBody"] == {"order": 7, "token": token}
    [submitted] = events_of(ex, "TaskSubmitted")
    assert submitted["taskSubmittedEventDetails"]["output"] == {"MessageId": "m-1"}

    ex.send_task_success(token, {"approved": True})
    assert (ex.status, ex.output) == ("SUCCEEDED", {"approved": True})
    assert [e["type"] for e in ex.history][-4:] == ["TaskSubmitted", "TaskSucceeded", "TaskStateExited",
                                                     "ExecutionSucceeded"]


def test_pending_then_send_task_failure() -> None:
    ex = one_task(CALLBACK_TASK).start({"order": 7}, handlers={"Work": mock.pending()})
    ex.send_task_failure(ex.pending_tokens[0], "Rejected", "not approved")
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "Rejected", "not approved")


def test_pending_unanswered_times_out_at_timeout_seconds() -> None:
    ex = one_task({**CALLBACK_TASK, "TimeoutSeconds": 30}).run({"order": 7}, handlers={"Work": mock.pending()},
                                                               start_time=START)
    assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
    assert seconds(events_of(ex, "TaskTimedOut")[0]) == 30


def test_pending_on_a_task_without_a_callback_is_a_setup_error() -> None:
    with pytest.raises(HandlerError, match="waitForTaskToken"):
        one_task(lambda_task()).run({}, handlers={"Work": mock.pending()})


# -- wraps and functions in a sequence ----------------------------------------------------------------
def test_wraps_records_calls_to_a_real_function() -> None:
    spy = mock.wraps(lambda event: {"double": event["n"] * 2})
    ex = one_task(lambda_task(OutputPath="$.Payload")).run({"n": 4}, handlers={"Work": spy})
    assert ex.output == {"double": 8}
    assert spy.calls == [{"n": 4}]


def test_then_a_function_receives_the_task_context() -> None:
    flaky = mock.raises("Lambda.ServiceException").then(lambda event, context: {"attempt": context.attempt})
    ex = one_task(lambda_task(Retry=RETRY, OutputPath="$.Payload")).run({}, handlers={"Work": flaky})
    assert ex.output == {"attempt": 1}


def test_an_exception_in_a_wrapped_function_is_named_after_its_type() -> None:
    def broken(event: Any) -> Any:
        raise KeyError("customer")

    ex = one_task(lambda_task()).run({}, handlers={"Work": mock.wraps(broken)})
    assert ex.error == "KeyError"
    cause = json.loads(ex.cause)
    assert cause["errorType"] == "KeyError"
    assert "broken" in cause["stackTrace"][0]


def test_task_response_steps() -> None:
    answer = mock.sequence(TaskResponse(error="E1", cause="c"), TaskResponse(value=2))
    assert [answer({}).error, answer({}).value] == ["E1", 2]


# -- bookkeeping --------------------------------------------------------------------------------------
def test_calls_count_across_executions_until_reset() -> None:
    sm = one_task(lambda_task(OutputPath="$.Payload"))
    answer = mock.returns("first").then(returns="second")
    assert sm.run({"run": 1}, handlers={"Work": answer}).output == "first"
    assert sm.run({"run": 2}, handlers={"Work": answer}).output == "second"
    assert answer.calls == [{"run": 1}, {"run": 2}]
    answer.reset()
    assert sm.run({}, handlers={"Work": answer}).output == "first"
    assert answer.call_count == 1


def test_then_returns_a_new_mock() -> None:
    first = mock.returns(1)
    chained = first.then(returns=2)
    first({})
    assert (first.call_count, chained.call_count) == (1, 0)
    assert chained({}).value == 1


def test_repr_reads_like_the_code() -> None:
    answer = mock.raises("Lambda.ServiceException", times=2).then(returns={"rows": 3})
    assert repr(answer) == "mock.raises('Lambda.ServiceException', times=2).then(mock.returns({'rows': 3}))"


# -- misuse -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("build", "message"), [
    (lambda: mock.raises(ValueError("x")), "error name as a string"),
    (lambda: mock.raises(""), "error name as a string"),
    (lambda: mock.returns({1, 2}), "must be JSON"),
    (lambda: mock.returns(float("nan")), "must be JSON"),
    (lambda: mock.returns(mock.PENDING), "mock.pending"),
    (lambda: mock.returns(1, duration=-1), "duration must be"),
    (lambda: mock.returns(1, duration="5"), "duration must be"),
    (lambda: mock.returns(1, times=0), "times must be"),
    (lambda: mock.raises("E", times=True), "times must be"),
    (lambda: mock.returns(1).then(), "needs what comes next"),
    (lambda: mock.returns(1).then(returns=1, raises="E"), "not both"),
    (lambda: mock.returns(1).then(mock.returns(2), times=2), "not both"),
    (lambda: mock.returns(1).then(raises="E", raw=True), "only go with returns="),
    (lambda: mock.returns(1).then(returns=2, cause="c"), "only goes with raises="),
    (lambda: mock.returns(1).then(5), r"then\(returns=5\)"),
    (lambda: mock.sequence(), "at least one"),
    (lambda: mock.wraps("not callable"), "callable"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_misuse_is_a_clear_handler_error(build: Any, message: str) -> None:
    with pytest.raises(HandlerError, match=message):
        build()


def test_a_value_given_as_a_handler_says_how_to_mock_it() -> None:
    with pytest.raises(HandlerError, match=r"handlers\['Work'\] is not callable .*mock.returns"):
        one_task(lambda_task()).run({}, handlers={"Work": {"ok": True}})


def test_a_task_response_with_a_bad_duration_is_a_handler_error() -> None:
    with pytest.raises(HandlerError, match="'Work'.*duration"):
        one_task(lambda_task()).run({}, handlers={"Work": lambda event: TaskResponse(value=1, duration=-5)})


def test_a_task_without_handler_names_state_resource_and_how_to_mock_it() -> None:
    with pytest.raises(HandlerError) as failure:
        one_task(lambda_task()).run({})
    message = str(failure.value)
    assert "Task state 'Work'" in message
    assert f"'{LAMBDA_INVOKE}'" in message
    assert "'work'" in message  # the function name is a valid key too
    assert "sfnsim.mock.returns" in message and "mock_config=" in message


def test_virtual_time_does_not_read_the_wall_clock() -> None:
    before = datetime.now(timezone.utc)
    slow = mock.returns(1, duration=timedelta(days=300).total_seconds())
    ex = one_task(lambda_task()).run({}, handlers={"Work": slow})
    assert ex.status == "SUCCEEDED"
    assert datetime.now(timezone.utc) - before < timedelta(seconds=5)


# -- the user documentation ---------------------------------------------------------------------------
def test_examples_in_docs_mocks_md_run(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)  # the examples use paths relative to the repository root
    blocks = re.findall(r"```python\n(.*?)```", (root / "docs" / "mocks.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 8
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/mocks.md example {number}", "exec"), {})
