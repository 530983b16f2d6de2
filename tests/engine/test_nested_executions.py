"""states:startExecution runs a known child machine in-process, on the same virtual clock, with its
own history; Distributed Map children are inspectable too.

Expected shapes come from executions recorded on AWS (the conformance corpus): the Task's result for
request-response, ``.sync`` and ``.sync:2``. A failed child fails the Task with ``States.TaskFailed``
and the DescribeExecution response as the cause, as AWS's integration does."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from corpus import conformance_case

from sfnsim import StateMachine, mock

# What AWS recorded these children returning (a Pass state with this Result, in the recordings).
RECORDED_CHILD = StateMachine.from_dict(
    {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}, name="Child"
)
# Values AWS generated (ARNs, dates, request ids), normalised in the recordings.
GENERATED = {"ExecutionArn", "StateMachineArn", "StartDate", "StopDate", "SdkHttpMetadata", "SdkResponseMetadata"}


@pytest.mark.parametrize("case_id", [
    "test_sfn_start_execution_sync[SFN_SYNC]",
    "test_sfn_start_execution_sync[SFN_SYNC2]",
    "TestTaskServiceSfn::test_start_execution::",
    "TestTaskServiceSfn::test_start_execution_input_json",
    "test_cross_account_states_start_sync_execution[SFN_START_EXECUTION_SYNC_ROLE_ARN_INTRINSIC]",
])
def test_the_task_result_has_the_recorded_shape(case_id: str) -> None:
    case = conformance_case(case_id)
    machine = StateMachine.from_dict(case["definition"], name="Parent")
    execution = machine.run(case["input"], state_machines={case["input"]["StateMachineArn"]: RECORDED_CHILD})
    expected = case["expected"]["output"]
    assert execution.status == "SUCCEEDED"
    assert list(execution.output) == list(expected)  # the same fields, in AWS's order
    assert {k: v for k, v in execution.output.items() if k not in GENERATED} == {
        k: v for k, v in expected.items() if k not in GENERATED}
    assert execution.output["ExecutionArn"] == "arn:aws:states:us-east-1:123456789012:execution:Child:" + case["input"]["Name"]
    recorded_types = [e["type"] for e in case["events"]]
    assert [e["type"] for e in execution.history] == recorded_types
    (child,) = execution.children
    assert (child.kind, child.parent_state, child.status) == ("startExecution", "StartExecution", "SUCCEEDED")
    assert child.output == {"Arg1": "argument1"}
    assert [e["type"] for e in child.history] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                                  "ExecutionSucceeded"]


def _parent(resource: str, **parameters: Any) -> StateMachine:
    arguments = {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
                 "Input": {"n.$": "$.n", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
                 **parameters}
    return StateMachine.from_dict({"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": f"arn:aws:states:::states:{resource}", "Parameters": arguments,
                  "End": True}}}, name="Parent")


FAILING_CHILD = StateMachine.from_dict(
    {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Child.Broken", "Cause": "no rows"}}}, name="Child"
)
WAITING_CHILD = StateMachine.from_dict(
    {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 90, "Next": "Done"},
                                   "Done": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"},
                                            "End": True}}}, name="Child")


def test_a_sync_task_waits_for_the_child_on_the_same_virtual_clock() -> None:
    execution = _parent("startExecution.sync:2").run({"n": 21}, state_machines={"Child": WAITING_CHILD})
    assert execution.output["Output"] == {"twice": 42}
    submitted, succeeded = (next(e for e in execution.history if e["type"] == t) for t in ("TaskSubmitted", "TaskSucceeded"))
    assert succeeded["timestamp"] - submitted["timestamp"] == timedelta(seconds=90)
    (child,) = execution.children
    assert child.history[-1]["timestamp"] == succeeded["timestamp"]
    # the parent's id, passed as AWS documents for associating the executions
    assert child.started_by == execution.execution_arn


def test_a_failed_child_fails_the_task_with_states_task_failed_and_the_description() -> None:
    execution = _parent("startExecution.sync").run({"n": 1}, state_machines={"Child": FAILING_CHILD})
    assert execution.error == "States.TaskFailed"
    described = json.loads(execution.cause)
    assert (described["Status"], described["Error"], described["Cause"]) == ("FAILED", "Child.Broken", "no rows")
    assert "Output" not in described
    execution.children[0].assert_failed("Child.Broken", "no rows")


def test_request_response_returns_at_once_and_the_child_still_runs() -> None:
    execution = _parent("startExecution").run({"n": 2}, state_machines={"Child": WAITING_CHILD})
    assert set(execution.output) == {"ExecutionArn", "StartDate", "SdkHttpMetadata", "SdkResponseMetadata"}
    assert execution.history[-1]["timestamp"] == execution.history[0]["timestamp"]  # no waiting
    (child,) = execution.children
    assert child.output == {"twice": 4}
    assert child.history[-1]["timestamp"] - child.history[0]["timestamp"] == timedelta(seconds=90)


def test_wait_for_task_token_waits_for_the_callback_the_child_is_given() -> None:
    parent = _parent("startExecution.waitForTaskToken", Input={"token.$": "$$.Task.Token"})
    echo = StateMachine.from_dict({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, name="Child")
    execution = parent.start({}, state_machines={"Child": echo})
    assert execution.status == "RUNNING"
    (token,) = execution.pending_tokens
    assert execution.children[0].output == {"token": token}
    execution.send_task_success(token, {"approved": True})
    assert execution.output == {"approved": True}


def test_a_sync_child_stops_at_its_own_timeout_and_fails_the_task() -> None:
    slow = StateMachine.from_dict({"TimeoutSeconds": 60, "StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 90, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}}, name="Child")
    execution = _parent("startExecution.sync:2").run({"n": 1}, state_machines={"Child": slow})
    assert execution.error == "States.TaskFailed"
    described = json.loads(execution.cause)
    assert described["Status"] == "TIMED_OUT" and "Output" not in described
    (child,) = execution.children
    assert child.status == "TIMED_OUT"
    # as the same machine timing out on its own (the state it was in is aborted)
    assert [e["type"] for e in child.history] == [e["type"] for e in slow.run({"n": 1}).history] == [
        "ExecutionStarted", "WaitStateEntered", "WaitStateAborted", "ExecutionTimedOut"]
    assert child.history[-1]["timestamp"] - child.history[0]["timestamp"] == timedelta(seconds=60)
    failed = next(e for e in execution.history if e["type"] == "TaskFailed")
    assert failed["timestamp"] == child.history[-1]["timestamp"]


def test_a_sync_child_within_its_timeout_is_unaffected_by_it() -> None:
    patient = StateMachine.from_dict({**WAITING_CHILD.definition, "TimeoutSeconds": 120}, name="Child")
    execution = _parent("startExecution.sync:2").run({"n": 4}, state_machines={"Child": patient})
    assert execution.output["Output"] == {"twice": 8}
    assert execution.children[0].status == "SUCCEEDED"


def _twice(resource: str, first_input: str, second_input: str, name: str = "run-1") -> StateMachine:
    """Two startExecution Tasks one after the other, naming the child execution the same."""
    def task(input_path: str, following: dict[str, Any]) -> dict[str, Any]:
        return {"Type": "Task", "Resource": f"arn:aws:states:::states:{resource}", "ResultPath": None,
                "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
                               "Name": name, "Input": {"n.$": input_path}}, **following}
    return StateMachine.from_dict({"StartAt": "First", "States": {
        "First": task(first_input, {"Next": "Again"}),
        "Again": task(second_input, {"Catch": [{"ErrorEquals": ["StepFunctions.ExecutionAlreadyExistsException"],
                                                "ResultPath": "$.caught", "Next": "Caught"}], "End": True}),
        "Caught": {"Type": "Pass", "End": True}}}, name="Parent")


@pytest.mark.parametrize("resource", ["startExecution", "startExecution.sync", "startExecution.sync:2"])
def test_a_name_used_by_a_closed_execution_is_refused_with_execution_already_exists(resource: str) -> None:
    # AWS's StartExecution: a closed execution's name cannot be used again, whatever the input.
    execution = _twice(resource, "$.n", "$.n").run({"n": 1}, state_machines={"Child": RECORDED_CHILD})
    assert execution.status == "SUCCEEDED"
    caught = execution.output["caught"]
    assert caught["Error"] == "StepFunctions.ExecutionAlreadyExistsException"
    arn = "arn:aws:states:us-east-1:123456789012:execution:Child:run-1"
    # the cause as AWS's integration gave it in a recorded failure (request id aside)
    assert caught["Cause"].startswith(f"Execution Already Exists: '{arn}' (Service: AWSStepFunctions; "
                                      "Status Code: 400; Error Code: ExecutionAlreadyExists; Request ID: ")
    assert caught["Cause"].endswith("; Proxy: null)")
    (failed,) = [e for e in execution.state("Again").last.events if e["type"] == "TaskFailed"]
    assert failed["taskFailedEventDetails"]["resource"] == resource
    assert [child.name for child in execution.children] == ["run-1"]  # the second never ran


def test_the_same_name_and_input_as_a_running_execution_is_that_execution() -> None:
    # request-response leaves the child running for 90 s: starting it again is idempotent.
    execution = _twice("startExecution", "$.n", "$.n").run({"n": 3}, state_machines={"Child": WAITING_CHILD})
    assert "caught" not in execution.output
    first, again = (next(e for e in execution.state(name).last.events if e["type"] == "TaskSucceeded")
                    ["taskSucceededEventDetails"]["output"] for name in ("First", "Again"))
    assert first["ExecutionArn"] == again["ExecutionArn"]
    assert len(execution.children) == 1


def test_a_different_input_under_a_running_execution_name_is_refused() -> None:
    execution = _twice("startExecution", "$.n", "$.m").run({"n": 3, "m": 4}, state_machines={"Child": WAITING_CHILD})
    assert execution.output["caught"]["Error"] == "StepFunctions.ExecutionAlreadyExistsException"
    assert len(execution.children) == 1


def test_sync_tasks_starting_one_name_side_by_side_share_the_one_child() -> None:
    parent = StateMachine.from_dict({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "Start", "States": {"Start": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "OutputPath": "$.Output",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
                           "Name.$": "States.Format('n-{}', $.n)", "Input": {"n.$": "$.n"}}, "End": True}}}}}},
        name="Parent")
    execution = parent.run({"items": [{"n": 5}, {"n": 5}, {"n": 6}]}, state_machines={"Child": WAITING_CHILD})
    assert execution.output == [{"twice": 10}, {"twice": 10}, {"twice": 12}]
    assert sorted(child.name for child in execution.children) == ["n-5", "n-6"]
    ended = [e["timestamp"] for e in execution.history if e["type"] == "TaskSucceeded"]
    assert len(ended) == 3 and len(set(ended)) == 1  # all three waited the child's 90 s, no longer


def test_a_handler_for_the_task_wins_over_running_the_child() -> None:
    execution = _parent("startExecution.sync").run(
        {"n": 1}, state_machines={"Child": FAILING_CHILD}, handlers={"Start": mock.returns({"Status": "SUCCEEDED"})})
    assert execution.output == {"Status": "SUCCEEDED"} and execution.children == []


def test_an_unknown_target_still_needs_a_handler() -> None:
    from sfnsim.errors import HandlerError

    with pytest.raises(HandlerError, match="has no handler"):
        _parent("startExecution.sync").run({"n": 1})


ORCHESTRATOR_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  LoadFunction:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: load-partition}
  PartitionJob:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: partition-job
      DefinitionSubstitutions:
        LoadArn: !GetAtt LoadFunction.Arn
      Definition:
        StartAt: Load
        States:
          Load:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: "${LoadArn}", Payload.$: "$"}
            OutputPath: $.Payload
            End: true
  Orchestrator:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        JobArn: !Ref PartitionJob
      Definition:
        StartAt: EachPartition
        States:
          EachPartition:
            Type: Map
            ItemsPath: $.partitions
            ItemProcessor:
              StartAt: RunJob
              States:
                RunJob:
                  Type: Task
                  Resource: arn:aws:states:::states:startExecution.sync:2
                  Parameters: {StateMachineArn: "${JobArn}", Input: {partition.$: "$"}}
                  ResultSelector: {rows.$: $.Output.rows}
                  End: true
            End: true
"""


def test_a_template_sibling_runs_as_the_child(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(ORCHESTRATOR_TEMPLATE)
    orchestrator = StateMachine.from_file(path, machine="Orchestrator")
    execution = orchestrator.run({"partitions": ["a", "bb", "ccc"]},
                                 handlers={"load-partition": lambda event: {"rows": len(event["partition"])}})
    assert execution.output == [{"rows": 1}, {"rows": 2}, {"rows": 3}]
    assert [c.name for c in execution.children] == [c.execution_arn.rsplit(":", 1)[1] for c in execution.children]
    assert {c.state_machine_arn for c in execution.children} == {
        "arn:aws:states:us-east-1:123456789012:stateMachine:partition-job"}
    assert [c.input for c in execution.children] == [{"partition": p} for p in ("a", "bb", "ccc")]


def test_distributed_map_children_are_inspectable() -> None:
    machine = StateMachine.from_dict({"StartAt": "Partitions", "States": {"Partitions": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "LoadPartition",
                          "States": {"LoadPartition": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                       "Parameters": {"FunctionName": "load", "Payload.$": "$"},
                                                       "End": True}}}}}})
    execution = machine.run({"items": [1, 2, 3]}, handlers={"load": lambda n: n * 10})
    # AWS keeps the children's events out of the parent's history; sfnsim lets the test see them.
    assert not any(e["type"].startswith("Task") for e in execution.history)
    execution.state("LoadPartition").assert_entered(times=3)
    assert [c.kind for c in execution.children] == ["map"] * 3
    assert [c.output["Payload"] for c in execution.children] == [10, 20, 30]
    assert execution.children[0].history[-1]["type"] == "ExecutionSucceeded"


def test_the_command_line_shows_the_children_in_run_walk_and_the_report(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sfnsim.cli import main

    path = tmp_path / "template.yaml"
    path.write_text(ORCHESTRATOR_TEMPLATE)
    handlers = tmp_path / "loaders.py"
    handlers.write_text("HANDLERS = {'load-partition': lambda event: {'rows': len(event['partition'])}}\n")
    common = [str(path), "--machine", "Orchestrator", "--input", '{"partitions": ["a"]}',
              "--handlers", f"{handlers}:HANDLERS"]
    shown = CliRunner().invoke(main, ["run", *common])
    assert shown.exit_code == 0, shown.output
    assert "child execution partition-job:" in shown.output and "from RunJob: SUCCEEDED" in shown.output
    told = CliRunner().invoke(main, ["walk", *common])
    assert told.exit_code == 0, told.output
    assert "Child execution started by RunJob:" in told.output
    assert "Walkthrough of partition-job (execution " in told.output
    report = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["run", *common, "--report", str(report)]).exit_code == 0
    assert "Child execution started by RunJob: partition-job (execution " in report.read_text()
    as_json = json.loads(CliRunner().invoke(main, ["run", *common, "--json"]).output)
    (child,) = as_json["children"]
    assert (child["kind"], child["startedBy"], child["output"]) == ("startExecution", "RunJob", {"rows": 1})
    assert [e["type"] for e in child["history"]["events"]][-1] == "ExecutionSucceeded"
