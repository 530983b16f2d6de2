"""AWS Step Functions Local's MockConfigFile, read as-is (sfnsim.tasks.mock_config).

The format and its semantics are AWS's ("Using mocked service integrations for testing in Step
Functions Local"): keys number a state's invocations from 0 ("0", "1-2"), Return is the service's
response, Throw fails the task with Error and Cause, and retries consume the next key.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from sfnsim import HandlerError, InputError, StateMachine, mock
from sfnsim.tasks.mock_config import MockConfig, MockConfigError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mock_config"
MOCK_FILE = FIXTURES / "MockConfigFile.json"
MACHINE_FILE = FIXTURES / "LambdaSQSIntegration.asl.json"
START = datetime(2024, 5, 1, tzinfo=timezone.utc)


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def seconds(event: dict[str, Any]) -> float:
    return (event["timestamp"] - START).total_seconds()


def task_events(execution: Any, state: str) -> list[dict[str, Any]]:
    """The Task* events (not TaskState*) recorded while ``state`` ran."""
    found, current = [], None
    for event in execution.history:
        if event["type"].endswith("StateEntered"):
            current = event["stateEnteredEventDetails"]["name"]
        elif current == state and event["type"].startswith("Task") and "State" not in event["type"]:
            found.append(event)
    return found


@pytest.fixture(scope="module")
def machine() -> StateMachine:
    return StateMachine.from_file(MACHINE_FILE)


# -- the example file ---------------------------------------------------------------------------------
def test_happy_path_uses_returns_as_the_service_responses(machine: StateMachine) -> None:
    config = fixture_json("MockConfigFile.json")["MockedResponses"]
    ex = machine.run({"order": 42}, mock_config=MOCK_FILE, test_case="HappyPath")
    assert ex.status == "SUCCEEDED"
    assert ex.output == config["MockedSQSSuccess"]["0"]["Return"]
    [_, _, lambda_done] = task_events(ex, "LambdaState")
    assert lambda_done["taskSucceededEventDetails"]["output"] == config["MockedLambdaSuccess"]["0"]["Return"]
    sqs_scheduled = task_events(ex, "SQSState")[0]["taskScheduledEventDetails"]["parameters"]
    assert sqs_scheduled["MessageBody"] == config["MockedLambdaSuccess"]["0"]["Return"]["Payload"]["body"]


def test_retry_path_consumes_one_key_per_attempt(machine: StateMachine) -> None:
    ex = machine.run({"order": 42}, mock_config=MOCK_FILE, test_case="RetryPath", start_time=START)
    assert ex.status == "SUCCEEDED"
    events = task_events(ex, "LambdaState")
    errors = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert errors == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]
    scheduled = [e for e in events if e["type"] == "TaskScheduled"]
    # Retry: IntervalSeconds 2, BackoffRate 2 → attempts 2 s, 4 s and 8 s apart.
    assert [seconds(e) for e in scheduled] == [0, 2, 6, 14]
    assert events[-1]["type"] == "TaskSucceeded"


def test_hybrid_path_leaves_unmapped_states_to_handlers(machine: StateMachine) -> None:
    sent = mock.returns({"MessageId": "from-handler"})
    ex = machine.run({"order": 42}, mock_config=MOCK_FILE, test_case="HybridPath", handlers={"SQSState": sent})
    assert ex.output == {"MessageId": "from-handler"}
    assert sent.calls[0]["MessageBody"] == "order 42 accepted"


def test_hybrid_path_without_a_handler_says_which_test_case_lacks_the_state(machine: StateMachine) -> None:
    with pytest.raises(HandlerError) as failure:
        machine.run({"order": 42}, mock_config=MOCK_FILE, test_case="HybridPath")
    message = str(failure.value)
    assert "'SQSState'" in message and "'arn:aws:states:::sqs:sendMessage'" in message
    assert "test case 'HybridPath'" in message and "MockConfigFile.json" in message


@pytest.mark.parametrize("key", ["SQSState", "arn:aws:states:::sqs:sendMessage"])
def test_handlers_take_precedence_over_the_test_case(machine: StateMachine, key: str) -> None:
    ex = machine.run({"order": 42}, mock_config=MOCK_FILE, test_case="HappyPath",
                     handlers={key: mock.returns({"MessageId": "handler wins"})})
    assert ex.output == {"MessageId": "handler wins"}


def test_each_execution_counts_invocations_from_zero(machine: StateMachine) -> None:
    outputs = [machine.run({}, mock_config=MOCK_FILE, test_case="RetryPath").status for _ in range(2)]
    assert outputs == ["SUCCEEDED", "SUCCEEDED"]


# -- finding the test case ------------------------------------------------------------------------------
TWO_MACHINES = {
    "StateMachines": {
        "Orders": {"TestCases": {"Ok": {"Work": "One"}}},
        "Refunds": {"TestCases": {"Ok": {"Work": "Two"}}},
    },
    "MockedResponses": {"One": {"0": {"Return": 1}}, "Two": {"0": {"Return": 2}}},
}


def work_machine(name: str = "StateMachine", **task: Any) -> StateMachine:
    spec = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": {}, "End": True, **task}
    return StateMachine.from_dict({"StartAt": "Work", "States": {"Work": spec}}, name=name)


def test_machine_is_found_by_name() -> None:
    assert work_machine("Refunds").run({}, mock_config=TWO_MACHINES, test_case="Ok").output == 2


def test_a_file_with_one_machine_applies_whatever_the_name() -> None:
    config = {"StateMachines": {"Other": TWO_MACHINES["StateMachines"]["Orders"]},
              "MockedResponses": TWO_MACHINES["MockedResponses"]}
    assert work_machine("Mine").run({}, mock_config=config, test_case="Ok").output == 1


def test_unknown_machine_name_lists_the_machines() -> None:
    with pytest.raises(MockConfigError, match=r"/StateMachines: no state machine named 'Mine' \(state machines: "
                                              r"'Orders', 'Refunds'\)"):
        work_machine("Mine").run({}, mock_config=TWO_MACHINES, test_case="Ok")


def test_unknown_test_case_is_located_in_the_file(machine: StateMachine) -> None:
    with pytest.raises(MockConfigError) as failure:
        machine.run({}, mock_config=MOCK_FILE, test_case="SadPath")
    [problem] = failure.value.problems
    assert problem.pointer == "/StateMachines/LambdaSQSIntegration/TestCases"
    assert problem.source == str(MOCK_FILE) and problem.line == 4
    assert "no test case 'SadPath'" in problem.message and "'HappyPath'" in problem.message


def test_missing_test_case_argument_lists_the_test_cases(machine: StateMachine) -> None:
    with pytest.raises(MockConfigError, match="pass test_case= .*'HappyPath', 'RetryPath', 'HybridPath'"):
        machine.run({}, mock_config=MOCK_FILE)


def test_test_case_without_mock_config_is_an_error(machine: StateMachine) -> None:
    with pytest.raises(HandlerError, match="needs mock_config="):
        machine.run({}, test_case="HappyPath")


def test_unreadable_file_is_an_input_error(machine: StateMachine, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read MockConfigFile .*nope.json"):
        machine.run({}, mock_config=tmp_path / "nope.json", test_case="HappyPath")


def test_a_loaded_config_can_be_reused() -> None:
    config = MockConfig.load(MOCK_FILE)
    ex = StateMachine.from_file(MACHINE_FILE).run({}, mock_config=config, test_case="HappyPath")
    assert ex.status == "SUCCEEDED"


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    config = json.loads(json.dumps(TWO_MACHINES))
    path.write_text(json.dumps(config), encoding="utf-8")
    assert work_machine("Orders").run({}, mock_config=path, test_case="Ok").output == 1
    config["MockedResponses"]["One"]["0"]["Return"] = {"changed": True}
    path.write_text(json.dumps(config), encoding="utf-8")
    assert work_machine("Orders").run({}, mock_config=path, test_case="Ok").output == {"changed": True}


# -- invocations ----------------------------------------------------------------------------------------
def single(response: dict[str, Any]) -> dict[str, Any]:
    return {"StateMachines": {"M": {"TestCases": {"T": {"Work": "R"}}}}, "MockedResponses": {"R": response}}


def test_an_invocation_without_a_key_fails_clearly() -> None:
    sm = work_machine(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}])
    config = single({"0": {"Throw": {"Error": "Boom", "Cause": "first"}}})
    with pytest.raises(MockConfigError) as failure:
        sm.run({}, mock_config=config, test_case="T")
    [problem] = failure.value.problems
    assert problem.pointer == "/MockedResponses/R"
    assert "state 'Work' was invoked for the 2nd time (key \"1\")" in problem.message
    assert "test case 'T'" in problem.message and 'its keys: "0"' in problem.message


def test_throw_without_retry_fails_the_execution_with_error_and_cause() -> None:
    ex = work_machine().run({}, mock_config=single({"0": {"Throw": {"Error": "DynamoDB.AmazonDynamoDBException",
                                                                    "Cause": "throttled"}}}), test_case="T")
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "DynamoDB.AmazonDynamoDBException", "throttled")


def test_return_for_lambda_invoke_is_the_whole_response() -> None:
    sm = work_machine(Resource="arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "f"},
                      OutputPath="$.Payload")
    response = {"StatusCode": 200, "Payload": {"ok": True}}
    assert sm.run({}, mock_config=single({"0": {"Return": response}}), test_case="T").output == {"ok": True}


def test_return_for_a_legacy_lambda_arn_is_the_result() -> None:
    sm = work_machine(Resource="arn:aws:lambda:us-east-1:123456789012:function:f")
    assert sm.run({}, mock_config=single({"0": {"Return": {"ok": True}}}), test_case="T").output == {"ok": True}


def test_wait_for_task_token_return_completes_without_a_callback() -> None:
    """AWS's tool generates the token and answers with Return; nothing waits on send_task_success."""
    sm = work_machine(Resource="arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                      Parameters={"MessageBody": {"token.$": "$$.Task.Token"}})
    ex = sm.start({}, mock_config=single({"0": {"Return": {"approved": True}}}), test_case="T")
    assert (ex.status, ex.output, ex.pending_tokens) == ("SUCCEEDED", {"approved": True}, [])


MAP = {
    "StartAt": "Each",
    "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": {"Key.$": "$"},
                     "Retry": [{"ErrorEquals": ["Throttled"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                     "End": True}}},
    }},
}


def test_map_iterations_and_retries_share_the_invocation_count() -> None:
    config = single({
        "0": {"Throw": {"Error": "Throttled", "Cause": "slow down"}},
        "1-2": {"Return": "ok"},
        "3": {"Return": "last"},
    })
    ex = StateMachine.from_dict(MAP).run({"items": ["a", "b", "c"]}, mock_config=config, test_case="T")
    # item a: key 0 throws, its retry takes key 1; item b takes key 2; item c key 3.
    assert ex.output == ["ok", "ok", "last"]


# -- broken files -----------------------------------------------------------------------------------------
def problems_of(config: Any) -> list[tuple[str, str]]:
    with pytest.raises(MockConfigError) as failure:
        MockConfig.load(config)
    return [(p.pointer, p.message) for p in failure.value.problems]


@pytest.mark.parametrize(("config", "pointer", "message"), [
    ({"MockedResponses": {}}, "", "missing field 'StateMachines'"),
    ({"StateMachines": {}, "Mocks": {}}, "/Mocks", "unknown field 'Mocks'"),
    ({"StateMachines": {"M": {}}}, "/StateMachines/M", "missing field 'TestCases'"),
    ({"StateMachines": {"M": {"TestCases": {"T": {"Work": "Nope"}}}}, "MockedResponses": {"R": {"0": {"Return": 1}}}},
     "/StateMachines/M/TestCases/T/Work",
     "mocked response 'Nope' is not defined under /MockedResponses (defined: 'R')"),
    ({"StateMachines": {"M": {"TestCases": {"T": {"Work": 3}}}}}, "/StateMachines/M/TestCases/T/Work",
     "expected the name of a mocked response"),
    (single({"1-x": {"Return": 1}}), "/MockedResponses/R/1-x", "invalid key '1-x'"),
    (single({"3-1": {"Return": 1}}), "/MockedResponses/R/3-1", "invalid range '3-1'"),
    (single({"0-2": {"Return": 1}, "2": {"Return": 2}}), "/MockedResponses/R/2", "key '2' overlaps key '0-2'"),
    (single({"0": {"Return": 1, "Throw": {"Error": "E"}}}), "/MockedResponses/R/0", "exactly one of Return"),
    (single({"0": {}}), "/MockedResponses/R/0", "exactly one of Return"),
    (single({"0": {"Returns": 1}}), "/MockedResponses/R/0/Returns", "unknown field 'Returns'"),
    (single({"0": {"Throw": {"Cause": "c"}}}), "/MockedResponses/R/0/Throw/Error", "Error must be the error name"),
    (single({"0": {"Throw": {"Error": "E", "Cause": {"x": 1}}}}), "/MockedResponses/R/0/Throw/Cause",
     "Cause must be a string"),
    (single({}), "/MockedResponses/R", "at least one entry"),
    (single({"0": "ok"}), "/MockedResponses/R/0", "expected a JSON object, got a string"),
], ids=lambda v: v if isinstance(v, str) and v.startswith("/") else "")
def test_broken_configs_are_reported_with_a_pointer(config: Any, pointer: str, message: str) -> None:
    problems = problems_of(config)
    assert any(p == pointer and message in m for p, m in problems), problems


def test_all_problems_are_reported_at_once() -> None:
    config = {"StateMachines": {"M": {"TestCases": {"T": {"A": "Missing"}}}},
              "MockedResponses": {"R": {"x": {"Return": 1}}}}
    assert [p for p, _ in problems_of(config)] == ["/MockedResponses/R/x", "/StateMachines/M/TestCases/T/A"]


def test_pointer_tokens_are_escaped() -> None:
    problems = problems_of(single({"0": {"Return": 1}, "a/b~c": {"Return": 2}}))
    assert problems[0][0] == "/MockedResponses/R/a~1b~0c"


def test_bad_json_reports_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text('{\n  "StateMachines": {},\n  "MockedResponses": {,}\n}\n', encoding="utf-8")
    with pytest.raises(MockConfigError) as failure:
        MockConfig.load(path)
    [problem] = failure.value.problems
    assert (problem.source, problem.line) == (str(path), 3)
    assert "not valid JSON" in problem.message
    assert str(path) in str(failure.value)


def test_problems_in_a_file_carry_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(single({"0": {"Return": 1}, "1-x": {"Return": 2}}), indent=2), encoding="utf-8")
    with pytest.raises(MockConfigError, match=r"MockConfigFile.json: /MockedResponses/R/1-x \(line 16:\d+\)"):
        MockConfig.load(path)


def test_a_file_that_is_not_an_object_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(MockConfigError, match="a MockConfigFile is a JSON object .* got an array"):
        MockConfig.load(path)


def test_empty_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(MockConfigError, match="the file is empty"):
        MockConfig.load(path)


def test_mock_config_of_the_wrong_type_is_a_handler_error() -> None:
    with pytest.raises(HandlerError, match="mock_config must be a path"):
        MockConfig.load(42)  # type: ignore[arg-type]


def test_the_example_file_is_valid() -> None:
    config = MockConfig.load(MOCK_FILE)
    assert set(config.state_machines["LambdaSQSIntegration"]) == {"HappyPath", "RetryPath", "HybridPath"}
