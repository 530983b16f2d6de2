"""Express executions: ARNs, the context object, StartSyncExecution's response, the 5-minute cap.

Expected shapes from AWS's recordings (LocalStack's express/test_express_sync and test_express_async
snapshots, the source of the conformance corpus) and AWS's Standard vs. Express comparison.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from sfnsim import StateMachine
from sfnsim.errors import DefinitionError, SfnSimError

EXPRESS_ARN = re.compile(r"^arn:aws:states:us-east-1:123456789012:express:Machine:(?P<name>[^:]+):[0-9a-f-]{36}$")
CONTEXT = StateMachine.from_dict({"StartAt": "QueryValues1", "States": {"QueryValues1": {
    "Type": "Pass", "Parameters": {"context_object.$": "$$"}, "End": True}}}, name="Machine")


def test_a_synchronous_express_run_answers_like_start_sync_execution():
    sm = StateMachine.from_dict({"StartAt": "State_1", "States": {"State_1": {
        "Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}, name="Machine")
    response = sm.run({}, machine_type="EXPRESS", sync=True).sync_response()
    assert EXPRESS_ARN.match(response["executionArn"]).group("name") == response["name"]
    assert {key: response[key] for key in ("status", "input", "inputDetails", "output", "outputDetails",
                                           "stateMachineArn", "billingDetails")} == {
        "status": "SUCCEEDED", "input": {}, "inputDetails": {"included": True},
        "output": {"Arg1": "argument1"}, "outputDetails": {"included": True},
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Machine",
        "billingDetails": {"billedDurationInMilliseconds": 100, "billedMemoryUsedInMB": 64}}
    assert response["stopDate"] >= response["startDate"]


def test_a_failed_synchronous_express_run_reports_error_and_cause_and_no_output():
    sm = StateMachine.from_dict({"StartAt": "FailState", "States": {"FailState": {
        "Type": "Fail", "Error": "SomeFailure", "Cause": "This state machines raises a 'SomeFailure' failure."}}})
    response = sm.run({}, machine_type="EXPRESS", sync=True).sync_response()
    assert (response["status"], response["error"], response["cause"]) == (
        "FAILED", "SomeFailure", "This state machines raises a 'SomeFailure' failure.")
    assert "output" not in response and response["outputDetails"] == {"included": True}


def test_the_context_object_of_a_synchronous_express_run_has_no_redrive_count():
    ex = CONTEXT.run({"message": "TestMessage"}, machine_type="EXPRESS", sync=True)
    execution = ex.output["context_object"]["Execution"]
    assert set(execution) == {"Id", "Input", "Name", "RoleArn", "StartTime"}
    assert execution["Id"] == ex.execution_arn and EXPRESS_ARN.match(execution["Id"]).group("name") == execution["Name"]


def test_an_asynchronous_express_run_keeps_redrive_count_zero():
    ex = CONTEXT.run({"message": "TestMessage"}, machine_type="EXPRESS")
    execution = ex.output["context_object"]["Execution"]
    assert execution["RedriveCount"] == 0 and EXPRESS_ARN.match(execution["Id"])


def test_standard_stays_the_default_with_execution_arns():
    ex = CONTEXT.run({})
    assert ":execution:Machine:" in ex.execution_arn
    assert ex.output["context_object"]["Execution"]["RedriveCount"] == 0
    with pytest.raises(SfnSimError, match="StartSyncExecution"):
        ex.sync_response()


def test_an_express_run_lasts_at_most_five_minutes():
    sm = StateMachine.from_dict({"StartAt": "Wait", "TimeoutSeconds": 7200, "States": {
        "Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    ex = sm.run({}, machine_type="EXPRESS", sync=True)
    assert ex.status == "TIMED_OUT"
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] == timedelta(minutes=5)


def test_an_express_run_gets_the_express_definition_checks_and_bad_options_are_named():
    activity = StateMachine.from_dict({"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:a", "End": True}}})
    with pytest.raises(DefinitionError, match="Express state machine does not support Activity ARN"):
        activity.run({}, machine_type="EXPRESS")
    with pytest.raises(SfnSimError, match="only starts EXPRESS"):
        CONTEXT.run({}, sync=True)
    with pytest.raises(SfnSimError, match="'STANDARD' or 'EXPRESS'"):
        CONTEXT.run({}, machine_type="FAST")


def test_a_machine_of_type_express_runs_as_express_by_default():
    sm = StateMachine(CONTEXT.definition, name="Machine", type="EXPRESS")
    assert EXPRESS_ARN.match(sm.run({}).execution_arn)
