"""`sfnsim serve` driven by the real boto3 client: only endpoint_url differs from talking to AWS.

Expected values come from the Step Functions API Reference (field names, exception names) and
from how AWS behaves (a Wait's seconds between the Entered and Exited timestamps).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Iterator

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402

import sfnsim  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/StepFunctionsRole"
LAMBDA = "arn:aws:states:::lambda:invoke"


def client(url: str) -> Any:
    # inject_host_prefix=False: TestState and StartSyncExecution otherwise go to sync-<host>.
    return boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


@pytest.fixture
def endpoint() -> Iterator[Any]:
    with sfnsim.serve(port=0, activity_poll_seconds=5) as running:
        yield running


@pytest.fixture
def sfn(endpoint: Any) -> Any:
    return client(endpoint.url)


def create(sfn: Any, name: str, definition: dict[str, Any], **extra: Any) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE,
                                    **extra)["stateMachineArn"]


def wait_for(predicate: Any, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def history_types(sfn: Any, execution_arn: str) -> list[str]:
    return [e["type"] for e in sfn.get_execution_history(executionArn=execution_arn)["events"]]


ONE_DAY_WAIT = {"StartAt": "Sleep", "States": {
    "Sleep": {"Type": "Wait", "Seconds": 86400, "Next": "Done"},
    "Done": {"Type": "Pass", "Result": {"done": True}, "ResultPath": "$.status", "End": True}}}


# -- state machines -------------------------------------------------------------------------------
def test_state_machines_are_created_described_listed_updated_and_deleted(sfn: Any) -> None:
    arn = create(sfn, "orders", ONE_DAY_WAIT)
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["type"], described["status"], described["roleArn"]) == \
        ("orders", "STANDARD", "ACTIVE", ROLE)
    assert json.loads(described["definition"]) == ONE_DAY_WAIT
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["orders"]
    # The same request again is idempotent; another definition under the name is refused.
    assert create(sfn, "orders", ONE_DAY_WAIT) == arn
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists):
        create(sfn, "orders", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    assert "Wait" not in sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn)


def test_an_invalid_definition_is_refused_with_invalid_definition_naming_the_problem(sfn: Any) -> None:
    bad = {"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}}
    with pytest.raises(sfn.exceptions.InvalidDefinition) as raised:
        create(sfn, "bad", bad)
    assert "Missing" in raised.value.response["Error"]["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- executions on the virtual clock --------------------------------------------------------------
def test_a_one_day_wait_finishes_at_once_with_aws_true_timestamps(sfn: Any) -> None:
    arn = create(sfn, "sleepy", ONE_DAY_WAIT)
    started = time.monotonic()
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"id": 7}')["executionArn"]
    assert execution_arn == "arn:aws:states:us-east-1:123456789012:execution:sleepy:run-1"
    described = sfn.describe_execution(executionArn=execution_arn)
    assert time.monotonic() - started < 60  # far below the day a real Wait takes, generous for a loaded machine
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"id": 7, "status": {"done": True}}
    assert (described["stopDate"] - described["startDate"]).total_seconds() == 86400
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    entered, exited = events[1], events[2]
    assert (entered["type"], exited["type"]) == ("WaitStateEntered", "WaitStateExited")
    assert (exited["timestamp"] - entered["timestamp"]).total_seconds() == 86400
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"id": 7}
    machine = sfn.describe_state_machine_for_execution(executionArn=execution_arn)
    assert machine["stateMachineArn"] == arn and json.loads(machine["definition"]) == ONE_DAY_WAIT


def test_python_handlers_answer_tasks(sfn: Any) -> None:
    with sfnsim.serve(port=0, handlers={"Double": lambda event: {"n": event["n"] * 2}}) as other:
        sfn = client(other.url)
        arn = create(sfn, "double", {"StartAt": "Double", "States": {"Double": {
            "Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "double", "Payload.$": "$"},
            "OutputPath": "$.Payload", "End": True}}})
        execution_arn = sfn.start_execution(stateMachineArn=arn, input='{"n": 21}')["executionArn"]
        assert json.loads(sfn.describe_execution(executionArn=execution_arn)["output"]) == {"n": 42}


def test_a_task_nothing_answers_fails_the_execution_with_a_message_saying_how(sfn: Any) -> None:
    arn = create(sfn, "unanswered", {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f"}, "End": True}}})
    execution_arn = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    described = sfn.describe_execution(executionArn=execution_arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "sfnsim.HandlerError"
    assert "'Call'" in described["cause"] and "has no handler" in described["cause"]


RETRYING = {"StartAt": "Charge", "States": {"Charge": {
    "Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
    "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 30, "MaxAttempts": 2}],
    "OutputPath": "$.Payload", "End": True}}}

MOCK_CONFIG = {
    "StateMachines": {"payments": {"TestCases": {
        "RetryPath": {"Charge": "FailOnceThenCharge"},
        "HappyPath": {"Charge": "Charged"}}}},
    "MockedResponses": {
        "FailOnceThenCharge": {
            "0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "Rate exceeded"}},
            "1": {"Return": {"StatusCode": 200, "Payload": {"charged": 2}}}},
        "Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": 1}}}}},
}


def test_mock_config_test_case_picked_by_arn_suffix_follows_the_retry_path(tmp_path: Any) -> None:
    config = tmp_path / "MockConfigFile.json"
    config.write_text(json.dumps(MOCK_CONFIG))
    with sfnsim.serve(port=0, mock_config=config) as running:
        sfn = client(running.url)
        arn = create(sfn, "payments", RETRYING)
        execution_arn = sfn.start_execution(stateMachineArn=f"{arn}#RetryPath")["executionArn"]
        assert execution_arn.startswith(f"{arn.replace(':stateMachine:', ':execution:')}:")
        described = sfn.describe_execution(executionArn=execution_arn)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"charged": 2}
        events = sfn.get_execution_history(executionArn=execution_arn)["events"]
        types = [e["type"] for e in events]
        assert types.count("TaskScheduled") == 2 and "TaskFailed" in types
        failed = next(e for e in events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
        assert (failed["error"], failed["cause"]) == ("Lambda.ServiceException", "Rate exceeded")
        second = [e for e in events if e["type"] == "TaskScheduled"][1]
        assert (second["timestamp"] - events[types.index("TaskFailed")]["timestamp"]).total_seconds() == 30
        with pytest.raises(sfn.exceptions.ClientError) as unknown:
            sfn.start_execution(stateMachineArn=f"{arn}#NoSuchCase")
        assert unknown.value.response["Error"]["Code"] == "ValidationException"
        assert "NoSuchCase" in unknown.value.response["Error"]["Message"]


def test_mock_config_from_the_environment_is_re_read_when_it_changes(tmp_path: Any, monkeypatch: Any) -> None:
    config = tmp_path / "mocks.json"
    config.write_text(json.dumps(MOCK_CONFIG))
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(config))
    with sfnsim.serve(port=0) as running:
        sfn = client(running.url)
        arn = create(sfn, "payments", RETRYING)

        def charged() -> Any:
            execution_arn = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath")["executionArn"]
            return json.loads(sfn.describe_execution(executionArn=execution_arn)["output"])

        assert charged() == {"charged": 1}
        changed = json.loads(json.dumps(MOCK_CONFIG))
        changed["MockedResponses"]["Charged"]["0"]["Return"]["Payload"] = {"charged": 99}
        config.write_text(json.dumps(changed, indent=1))  # another size: seen as changed at once
        assert charged() == {"charged": 99}


# -- the outside world: callbacks, activities, stopping -------------------------------------------
CALLBACK = {"StartAt": "Approve", "States": {"Approve": {
    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                   "MessageBody": {"token.$": "$$.Task.Token"}},
    "End": True}}}


def _token_of(sfn: Any, execution_arn: str) -> str:
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    scheduled = next(e for e in events if e["type"] == "TaskScheduled")
    return json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]


def test_a_callback_waits_for_send_task_success(sfn: Any) -> None:
    arn = create(sfn, "approval", CALLBACK)
    execution_arn = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    token = _token_of(sfn, execution_arn)
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    described = sfn.describe_execution(executionArn=execution_arn)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"approved": True}
    assert history_types(sfn, execution_arn)[-3:] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    with pytest.raises(sfn.exceptions.TaskTimedOut):  # the task is over: its token no longer answers
        sfn.send_task_success(taskToken=token, output="{}")
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_failure(taskToken="not-a-token", error="E")


def test_a_callback_failure_fails_the_task(sfn: Any) -> None:
    arn = create(sfn, "approval", CALLBACK)
    execution_arn = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    sfn.send_task_failure(taskToken=_token_of(sfn, execution_arn), error="Rejected", cause="no budget")
    described = sfn.describe_execution(executionArn=execution_arn)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Rejected", "no budget")


def test_an_unanswered_callback_times_out_on_the_wall_clock(sfn: Any) -> None:
    definition = json.loads(json.dumps(CALLBACK))
    definition["States"]["Approve"]["TimeoutSeconds"] = 1
    arn = create(sfn, "impatient", definition)
    execution_arn = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for(lambda: sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING")
    described = sfn.describe_execution(executionArn=execution_arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    submitted = next(e for e in events if e["type"] == "TaskSubmitted")
    timed_out = next(e for e in events if e["type"] == "TaskTimedOut")
    assert (timed_out["timestamp"] - submitted["timestamp"]).total_seconds() == 1


def test_an_activity_worker_polls_for_the_task_and_answers_it(sfn: Any) -> None:
    activity_arn = sfn.create_activity(name="review")["activityArn"]
    assert activity_arn == "arn:aws:states:us-east-1:123456789012:activity:review"
    arn = create(sfn, "reviewed", {"StartAt": "Review", "States": {"Review": {
        "Type": "Task", "Resource": activity_arn, "HeartbeatSeconds": 60, "End": True}}})
    seen: list[dict[str, Any]] = []

    def worker() -> None:
        task = client(sfn.meta.endpoint_url).get_activity_task(activityArn=activity_arn, workerName="reviewer-1")
        seen.append(json.loads(task["input"]))
        sfn.send_task_heartbeat(taskToken=task["taskToken"])
        sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"verdict": "ok"}))

    polling = threading.Thread(target=worker)
    polling.start()
    execution_arn = sfn.start_execution(stateMachineArn=arn, input='{"doc": 1}')["executionArn"]
    polling.join(timeout=5)
    assert seen == [{"doc": 1}]
    described = sfn.describe_execution(executionArn=execution_arn)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"verdict": "ok"}
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    assert [e["type"] for e in events][2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    assert events[3]["activityStartedEventDetails"] == {"workerName": "reviewer-1"}
    assert sfn.describe_activity(activityArn=activity_arn)["name"] == "review"
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["review"]


def test_get_activity_task_returns_no_token_when_the_poll_ends_empty() -> None:
    with sfnsim.serve(port=0, activity_poll_seconds=0.2) as running:
        sfn = client(running.url)
        activity_arn = sfn.create_activity(name="idle")["activityArn"]
        assert "taskToken" not in sfn.get_activity_task(activityArn=activity_arn)
        with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
            sfn.get_activity_task(activityArn=activity_arn.replace("idle", "nope"))


def test_stop_execution_aborts_a_running_execution(sfn: Any) -> None:
    arn = create(sfn, "approval", CALLBACK)
    execution_arn = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    stopped = sfn.stop_execution(executionArn=execution_arn, error="Cancelled", cause="by the test")
    described = sfn.describe_execution(executionArn=execution_arn)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Cancelled", "by the test")
    assert described["stopDate"] == stopped["stopDate"]
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Cancelled", "cause": "by the test"}


# -- paging, listing, tags ------------------------------------------------------------------------
def test_executions_and_history_page_with_next_token(sfn: Any) -> None:
    arn = create(sfn, "sleepy", ONE_DAY_WAIT)
    names = [f"run-{i}" for i in range(5)]
    for name in names:
        sfn.start_execution(stateMachineArn=arn, name=name)
    first = sfn.list_executions(stateMachineArn=arn, maxResults=2)
    assert len(first["executions"]) == 2 and "nextToken" in first
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, PaginationConfig={"PageSize": 2})
    listed = [e["name"] for page in pages for e in page["executions"]]
    assert listed == list(reversed(names))  # newest first
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"] == []
    execution_arn = f"{arn.replace(':stateMachine:', ':execution:')}:run-0"
    forward = sfn.get_execution_history(executionArn=execution_arn)["events"]
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, reverseOrder=True, PaginationConfig={"PageSize": 2})
    backward = [e for page in pages for e in page["events"]]
    assert [e["id"] for e in backward] == [e["id"] for e in reversed(forward)] == [6, 5, 4, 3, 2, 1]
    without_data = sfn.get_execution_history(executionArn=execution_arn, includeExecutionData=False)["events"]
    assert "input" not in without_data[0]["executionStartedEventDetails"]
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.list_executions(stateMachineArn=arn, nextToken="garbage")


def test_tags_on_state_machines_and_activities(sfn: Any) -> None:
    arn = create(sfn, "tagged", ONE_DAY_WAIT, tags=[{"key": "team", "value": "data"}])
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"}])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "team", "value": "data"}, {"key": "env", "value": "test"}]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "test"}]
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.list_tags_for_resource(resourceArn=arn.replace("tagged", "missing"))


# -- Express ---------------------------------------------------------------------------------------
def test_start_sync_execution_runs_an_express_machine_to_its_end(sfn: Any) -> None:
    arn = create(sfn, "quick", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}},
                 type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=arn, name="now", input="{}")
    assert (result["status"], json.loads(result["output"])) == ("SUCCEEDED", 1)
    # Express executions have AWS's express: ARNs; billing rounds up to 100 ms in 64 MB units.
    assert result["executionArn"].startswith("arn:aws:states:us-east-1:123456789012:express:quick:now:")
    assert result["billingDetails"] == {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}
    standard = create(sfn, "standard", ONE_DAY_WAIT)
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.start_sync_execution(stateMachineArn=standard)


# -- bad requests ----------------------------------------------------------------------------------
def test_bad_requests_get_aws_exception_names(sfn: Any) -> None:
    arn = create(sfn, "sleepy", ONE_DAY_WAIT)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_execution(executionArn="arn:aws:states:us-east-1:123456789012:stateMachine:sleepy")
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn="arn:aws:states:us-east-1:123456789012:execution:sleepy:nope")
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.start_execution(stateMachineArn=arn, name="has spaces")
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=arn + "x")
    sfn.start_execution(stateMachineArn=arn, name="once", input="{}")
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"other": 1}')
    with pytest.raises(sfn.exceptions.ClientError) as unknown:
        sfn.list_map_runs(executionArn="arn:aws:states:us-east-1:123456789012:execution:sleepy:once")
    assert unknown.value.response["Error"]["Code"] == "UnknownOperationException"


def test_validate_state_machine_definition_answers_in_aws_diagnostic_shape(sfn: Any) -> None:
    ok = sfn.validate_state_machine_definition(definition=json.dumps(ONE_DAY_WAIT))
    assert (ok["result"], ok["diagnostics"]) == ("OK", [])
    bad = sfn.validate_state_machine_definition(definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}))
    assert bad["result"] == "FAIL"
    assert {d["severity"] for d in bad["diagnostics"]} == {"ERROR"}
    assert {d["code"] for d in bad["diagnostics"]} == {"MISSING_END_STATE", "SCHEMA_VALIDATION_FAILED"}
    assert "/States/A/Next" in {d["location"] for d in bad["diagnostics"]}
    broken = sfn.validate_state_machine_definition(definition='{"StartAt": ')
    assert [d["code"] for d in broken["diagnostics"]] == ["INVALID_JSON_DESCRIPTION"]


def test_a_machine_created_here_runs_as_a_child_of_start_execution_sync(sfn: Any) -> None:
    child = create(sfn, "child", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"c": 1}, "End": True}}})
    parent = create(sfn, "parent", {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child, "Input": {}}, "ResultSelector": {"out.$": "$.Output"},
        "End": True}}})
    execution_arn = sfn.start_execution(stateMachineArn=parent)["executionArn"]
    described = sfn.describe_execution(executionArn=execution_arn)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"out": {"c": 1}}


# -- TestState --------------------------------------------------------------------------------------
CHARGE_STATE = {
    "Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
    "ResultSelector": {"charged.$": "$.Payload.charged"}, "ResultPath": "$.charge",
    "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "MaxAttempts": 3}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}],
    "Next": "Ship"}


def test_test_state_with_a_mocked_result_reports_every_data_flow_stage(sfn: Any) -> None:
    answer = sfn.test_state(definition=json.dumps(CHARGE_STATE), input='{"order": 1}', inspectionLevel="DEBUG",
                            mock={"result": json.dumps({"StatusCode": 200, "Payload": {"charged": 5}})})
    assert (answer["status"], answer["nextState"]) == ("SUCCEEDED", "Ship")
    assert json.loads(answer["output"]) == {"order": 1, "charge": {"charged": 5}}
    data = {k: json.loads(v) for k, v in answer["inspectionData"].items()}
    assert data == {
        "input": {"order": 1}, "afterInputPath": {"order": 1},
        "afterParameters": {"FunctionName": "charge", "Payload": {"order": 1}},
        "result": {"StatusCode": 200, "Payload": {"charged": 5}},
        "afterResultSelector": {"charged": 5}, "afterResultPath": {"order": 1, "charge": {"charged": 5}},
    }
    info = sfn.test_state(definition=json.dumps(CHARGE_STATE), input="{}",
                          mock={"result": json.dumps({"Payload": {"charged": 1}})})
    assert "inspectionData" not in info  # INFO, the default, leaves it out


def test_test_state_reports_a_retriable_error_with_its_backoff_and_a_caught_one(sfn: Any) -> None:
    throttled = {"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "slow down"}}
    first = sfn.test_state(definition=json.dumps(CHARGE_STATE), input="{}", mock=throttled, inspectionLevel="DEBUG")
    assert (first["status"], first["error"], first["cause"]) == ("RETRIABLE", "Lambda.TooManyRequestsException",
                                                                 "slow down")
    assert first["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 2}
    second = sfn.test_state(definition=json.dumps(CHARGE_STATE), input="{}", mock=throttled, inspectionLevel="DEBUG",
                            stateConfiguration={"retrierRetryCount": 2})
    assert second["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == 8  # 2 × 2²
    spent = sfn.test_state(definition=json.dumps(CHARGE_STATE), input="{}", mock=throttled, inspectionLevel="DEBUG",
                           stateConfiguration={"retrierRetryCount": 3})
    assert (spent["status"], spent["nextState"]) == ("CAUGHT_ERROR", "Refund")
    assert spent["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    assert json.loads(spent["output"]) == {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}


def test_test_state_picks_a_state_of_a_full_definition_by_state_name(sfn: Any) -> None:
    definition = {"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
                  "Default": "Small"},
        "Big": {"Type": "Pass", "End": True},
        "Small": {"Type": "Fail", "Error": "TooSmall", "Cause": "n is at most 10"}}}
    routed = sfn.test_state(definition=json.dumps(definition), stateName="Route", input='{"n": 11}')
    assert (routed["status"], routed["nextState"], json.loads(routed["output"])) == ("SUCCEEDED", "Big", {"n": 11})
    failed = sfn.test_state(definition=json.dumps(definition), stateName="Small", input="{}")
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "TooSmall", "n is at most 10")
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.test_state(definition=json.dumps(definition), stateName="Nope", input="{}")


def test_test_state_mocks_a_parallel_state_as_its_result(sfn: Any) -> None:
    parallel = {"Type": "Parallel", "ResultPath": "$.results", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "a"},
                                          "End": True}}}]}
    answer = sfn.test_state(definition=json.dumps(parallel), input='{"id": 3}', mock={"result": '["done"]'})
    assert answer["status"] == "SUCCEEDED" and "nextState" not in answer
    assert json.loads(answer["output"]) == {"id": 3, "results": ["done"]}
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.test_state(definition=json.dumps({"Type": "Pass", "Next": 5}), input="{}")



def test_a_mocked_response_the_file_lacks_fails_only_when_its_state_is_entered(tmp_path: Any) -> None:
    config = tmp_path / "MockConfigFile.json"
    mocks = json.loads(json.dumps(MOCK_CONFIG))
    mocks["StateMachines"]["payments"]["TestCases"]["Typo"] = {"Charge": "Charged", "Refund": "Refunded"}
    config.write_text(json.dumps(mocks))
    with sfnsim.serve(port=0, mock_config=config) as running:
        sfn = client(running.url)
        arn = create(sfn, "payments", RETRYING)  # has no Refund state: the missing response is never needed
        execution_arn = sfn.start_execution(stateMachineArn=f"{arn}#Typo")["executionArn"]
        assert sfn.describe_execution(executionArn=execution_arn)["status"] == "SUCCEEDED"
        refunding = create(sfn, "payments2", {"StartAt": "Refund", "States": {"Refund": {
            "Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "refund"}, "End": True}}})
        mocks["StateMachines"]["payments2"] = mocks["StateMachines"]["payments"]
        config.write_text(json.dumps(mocks, indent=1))
        execution_arn = sfn.start_execution(stateMachineArn=f"{refunding}#Typo")["executionArn"]
        described = sfn.describe_execution(executionArn=execution_arn)
        assert (described["status"], described["error"]) == ("FAILED", "sfnsim.MockConfigError")
        assert "'Refunded' is not defined under /MockedResponses" in described["cause"]


def test_concurrent_clients_are_served_safely(sfn: Any) -> None:
    arn = create(sfn, "sleepy", ONE_DAY_WAIT)
    failures: list[BaseException] = []

    def start_five(worker: int) -> None:
        own = client(sfn.meta.endpoint_url)
        try:
            for index in range(5):
                own.start_execution(stateMachineArn=arn, name=f"w{worker}-{index}", input=json.dumps({"n": index}))
        except BaseException as exc:  # reported below: an assertion in a thread would be lost
            failures.append(exc)

    threads = [threading.Thread(target=start_five, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn)
    statuses = [e["status"] for page in pages for e in page["executions"]]
    assert len(statuses) == 40 and set(statuses) == {"SUCCEEDED"}


def test_time_scale_runs_waits_on_the_wall_clock_scaled() -> None:
    with sfnsim.serve(port=0, time_scale=100) as running:  # 100 virtual seconds per wall second
        sfn = client(running.url)
        arn = create(sfn, "scaled", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}})
        started = time.monotonic()
        execution_arn = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        assert sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
        wait_for(lambda: sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING")
        assert 0.25 <= time.monotonic() - started < 15  # 30 s at 100×: about 0.3 s (30 s if unscaled)
        described = sfn.describe_execution(executionArn=execution_arn)
        assert described["status"] == "SUCCEEDED"
        assert (described["stopDate"] - described["startDate"]).total_seconds() == 30
