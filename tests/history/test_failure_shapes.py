"""Failures as AWS records them: error-less task failures, the failed state's abort inside a
Parallel or Map, and concurrent Map iterations that time out at the same instant.

Expected events are AWS's recordings in LocalStack's snapshot files (the source of the recorded
corpus): ``test_sqs_failure_in_wait_for_task_tok_no_error_field`` (callback test) and
``test_service_lambda_map_timeout`` (timeouts test).
"""

from __future__ import annotations

from sfnsim import StateMachine, TaskResponse, mock

QUEUE_TASK = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
              "Parameters": {"QueueUrl.$": "$.QueueUrl",
                             "MessageBody": {"Context.$": "$", "TaskToken.$": "$$.Task.Token"}}}
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.states_all_error", "Next": "CaughtStatesALL"}]
INPUT = {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q", "Message": "test_message_txt"}


def _types(ex) -> list[str]:
    return [event["type"] for event in ex.history]


def test_send_task_failure_without_error_is_caught_with_null_error_and_cause():
    sm = StateMachine.from_dict({"StartAt": "SendMessageWithWait", "States": {
        "SendMessageWithWait": {**QUEUE_TASK, "End": True, "Catch": CATCH_ALL},
        "CaughtStatesALL": {"Type": "Pass", "End": True}}})
    ex = sm.start(INPUT, handlers={"SendMessageWithWait": mock.pending()})
    ex.send_task_failure(ex.pending_tokens[0])
    assert ex.status == "SUCCEEDED"
    assert ex.output == {**INPUT, "states_all_error": {"Error": None, "Cause": None}}
    failed = ex.history[_types(ex).index("TaskFailed")]
    assert failed["taskFailedEventDetails"] == {"resource": "sendMessage.waitForTaskToken", "resourceType": "sqs"}
    assert _types(ex)[-5:] == ["TaskFailed", "TaskStateExited", "PassStateEntered", "PassStateExited",
                               "ExecutionSucceeded"]


def test_error_less_failure_in_a_parallel_aborts_the_failed_task_then_fails_the_parallel():
    sm = StateMachine.from_dict({"StartAt": "ParallelJob", "States": {
        "ParallelJob": {"Type": "Parallel", "End": True, "Catch": CATCH_ALL, "Branches": [
            {"StartAt": "SendMessageWithWait", "States": {"SendMessageWithWait": {**QUEUE_TASK, "End": True}}}]},
        "CaughtStatesALL": {"Type": "Pass", "End": True}}})
    ex = sm.run(INPUT, handlers={"SendMessageWithWait": mock.raises(None)})
    assert ex.output == {**INPUT, "states_all_error": {"Error": None, "Cause": None}}
    assert _types(ex) == [
        "ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "TaskStateEntered", "TaskScheduled",
        "TaskStarted", "TaskSubmitted", "TaskFailed", "TaskStateAborted", "ParallelStateFailed",
        "ParallelStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    ids = {event["type"]: (event["id"], event["previousEventId"]) for event in ex.history}
    # Recorded: TaskFailed 8, TaskStateAborted 9 <- 8, ParallelStateFailed 10 <- 8.
    assert (ids["TaskFailed"][0], ids["TaskStateAborted"], ids["ParallelStateFailed"]) == (8, (9, 8), (10, 8))


def test_a_task_response_can_fail_without_an_error_name():
    sm = StateMachine.from_dict({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": True}}})
    ex = sm.run({}, handlers={"f": lambda event: TaskResponse(failed=True)})
    assert ex.status == "FAILED" and (ex.error, ex.cause) == (None, None)
    assert ex.history[_types(ex).index("LambdaFunctionFailed")].get("lambdaFunctionFailedEventDetails", {}) == {}
    assert ex.history[-1].get("executionFailedEventDetails", {}) == {}


def test_concurrent_map_iterations_timing_out_together_each_record_their_timeout():
    sm = StateMachine.from_dict({"StartAt": "MapWait", "States": {"MapWait": {
        "Type": "Map", "ItemsPath": "$.Inputs", "End": True, "Iterator": {
            "StartAt": "LambdaInvoke", "States": {"LambdaInvoke": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5,
                "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"}, "End": True}}}}}})
    ex = sm.run({"Inputs": [{"FunctionName": "wait_60_seconds", "Payload": None}] * 4},
                handlers={"wait_60_seconds": mock.returns({}, duration=60)})
    assert (ex.status, ex.error) == ("FAILED", "States.Timeout")
    assert _types(ex) == [
        "ExecutionStarted", "MapStateEntered", "MapStateStarted",
        *["MapIterationStarted"] * 4, *["TaskStateEntered", "TaskScheduled"] * 4, *["TaskStarted"] * 4,
        *["TaskTimedOut"] * 4,
        "MapIterationFailed", "TaskStateAborted", *["MapIterationAborted", "TaskStateAborted"] * 3,
        "MapStateFailed", "ExecutionFailed"]
    timed_out = [event["timestamp"] for event in ex.history if event["type"] == "TaskTimedOut"]
    assert len(set(timed_out)) == 1


# -- replay: recorded error-less failures and data-limit catches replay as recorded ------------------
def _history(events: list[tuple[str, int, dict | None]]) -> dict:
    """A `get-execution-history` file: (type, previousEventId, details), JSON text fields as text."""
    import json
    from datetime import datetime, timedelta, timezone

    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    out = []
    for number, (event_type, previous, details) in enumerate(events, start=1):
        event = {"id": number, "previousEventId": previous, "type": event_type,
                 "timestamp": (start + timedelta(milliseconds=10 * number)).isoformat()}
        if details is not None:
            key = event_type[0].lower() + event_type[1:] + "EventDetails"
            for prefix in ("TaskState", "PassState", "ParallelState"):
                if event_type.startswith(prefix):
                    key = "stateEnteredEventDetails" if event_type.endswith("Entered") else "stateExitedEventDetails"
            event[key] = {k: json.dumps(v) if k in ("input", "output", "parameters") else v
                          for k, v in details.items()}
        out.append(event)
    return {"events": out}


def _replay(definition: dict, events: list[tuple[str, int, dict | None]]):
    from sfnsim.history.aws_files import DefinitionSource, read_history
    from sfnsim.history.replay import Recording
    from sfnsim.replay import replay

    return replay(Recording(read_history(_history(events)), DefinitionSource(definition, "definition")))


def test_a_recorded_error_less_callback_failure_replays_as_recorded():
    definition = {"StartAt": "SendMessageWithWait", "States": {
        "SendMessageWithWait": {**QUEUE_TASK, "End": True, "Catch": CATCH_ALL},
        "CaughtStatesALL": {"Type": "Pass", "End": True}}}
    sqs = {"resource": "sendMessage.waitForTaskToken", "resourceType": "sqs"}
    caught = {**INPUT, "states_all_error": {"Error": None, "Cause": None}}
    result = _replay(definition, [
        ("ExecutionStarted", 0, {"input": INPUT, "inputDetails": {"truncated": False}}),
        ("TaskStateEntered", 0, {"name": "SendMessageWithWait", "input": INPUT}),
        ("TaskScheduled", 2, {**sqs, "region": "us-east-1", "parameters": {
            "QueueUrl": INPUT["QueueUrl"], "MessageBody": {"Context": INPUT, "TaskToken": "token-1"}}}),
        ("TaskStarted", 3, dict(sqs)),
        ("TaskSubmitted", 4, {**sqs, "output": {"MessageId": "m-1"}}),
        ("TaskFailed", 5, dict(sqs)),
        ("TaskStateExited", 6, {"name": "SendMessageWithWait", "output": caught}),
        ("PassStateEntered", 7, {"name": "CaughtStatesALL", "input": caught}),
        ("PassStateExited", 8, {"name": "CaughtStatesALL", "output": caught}),
        ("ExecutionSucceeded", 9, {"output": caught}),
    ])
    assert result.local.status == "SUCCEEDED" and result.execution.output == caught
    assert not result.outcome_changed


def test_a_recorded_data_limit_catch_replays_as_recorded():
    function = "arn:aws:lambda:us-east-1:111111111111:function:big"
    cause = f"The state/task '{function}' returned a result with a size exceeding the maximum number of bytes service limit."
    error_output = {"Error": "States.DataLimitExceeded", "Cause": cause}
    definition = {"StartAt": "InvokeLambda", "States": {
        "InvokeLambda": {"Type": "Task", "Resource": function, "End": True,
                         "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "HandleDataLimitExceeded"}]},
        "HandleDataLimitExceeded": {"Type": "Pass", "End": True}}}
    result = _replay(definition, [
        ("ExecutionStarted", 0, {"input": {}, "inputDetails": {"truncated": False}}),
        ("TaskStateEntered", 0, {"name": "InvokeLambda", "input": {}}),
        ("LambdaFunctionScheduled", 2, {"resource": function, "input": {}}),
        ("LambdaFunctionStarted", 3, None),
        ("LambdaFunctionFailed", 4, {"error": "States.DataLimitExceeded", "cause": cause}),
        ("TaskStateExited", 5, {"name": "InvokeLambda", "output": error_output}),
        ("PassStateEntered", 6, {"name": "HandleDataLimitExceeded", "input": error_output}),
        ("PassStateExited", 7, {"name": "HandleDataLimitExceeded", "output": error_output}),
        ("ExecutionSucceeded", 8, {"output": error_output}),
    ])
    assert result.local.status == "SUCCEEDED" and result.execution.output == error_output
    assert not result.outcome_changed and result.reproduced, result.divergence and result.divergence.describe()


def test_a_recording_made_before_redrive_count_replays_as_a_known_difference():
    # Recorded on AWS on 24-10-2023, before $$.Execution.RedriveCount existed: its TaskScheduled
    # parameters carry a context object without it.
    import json as _json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from corpus import conformance_case
    from test_replay import replay_case

    case = conformance_case("test_lambda_service_invoke_with_retry_extended_input::get_execution_history")
    scheduled = next(e for e in case["events"] if e["type"] == "TaskScheduled")
    assert "RedriveCount" not in _json.dumps(scheduled["taskScheduledEventDetails"]["parameters"])
    result = replay_case(case)
    assert result.reproduced, result.divergence and result.divergence.describe()
    assert result.known_differences == [
        "recorded before AWS added $$.Execution.RedriveCount (redrive, November 2023): "
        "replayed with a context object without it"]
    assert result.to_json()["knownDifferences"] == result.known_differences


def test_an_activity_that_does_not_exist_fails_right_after_the_state_is_entered():
    # Recorded on AWS (corpus: test_activity_task_on_deleted): TaskStateEntered, then ExecutionFailed.
    arn = "arn:aws:states:us-east-1:111111111111:activity:activity-2341fec7"
    sm = StateMachine.from_dict({"Comment": "BASE_ACTIVITY_TASK", "StartAt": "ActivityTask", "States": {
        "ActivityTask": {"Type": "Task", "Resource": arn, "End": True,
                         "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True}}})
    ex = sm.run({"Value1": "HelloWorld"}, handlers={arn: mock.no_such_activity()})
    assert (ex.status, ex.error) == ("FAILED", "States.Runtime")
    assert ex.cause == ("An error occurred while executing the state 'ActivityTask' (entered at the event id #2). "
                        f"The activity {arn} does not exist.")
    assert _types(ex) == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
