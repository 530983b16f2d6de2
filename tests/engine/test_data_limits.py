"""Payload-size quota (256 KiB): which ``States.DataLimitExceeded`` failures Retry and Catch can handle.

AWS's error-handling page calls the error terminal, and so it is for a state's own data (its input
after Parameters, its output after ResultPath/OutputPath; recorded: a Pass whose Result is too big
fails the execution). A *service result* over the quota, though, is recorded as the task's failure
(``TaskFailed`` / ``LambdaFunctionFailed``) and a catcher on ``States.ALL`` or on the error name
handles it. Cause texts and events as recorded on AWS (LocalStack's test_states_errors snapshots).
"""

from __future__ import annotations

import pytest

from sfnsim import StateMachine

FUNCTION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:big"
TOO_BIG = "a" * (256 * 1024 + 1)


def _machine(resource: str, catch_on: str, **task: object) -> StateMachine:
    invoke = {"Type": "Task", "Resource": resource, "Next": "Done",
              "Catch": [{"ErrorEquals": [catch_on], "Next": "Handle"}], **task}
    if resource.endswith("lambda:invoke"):
        invoke["Parameters"] = {"FunctionName": "big", "Payload.$": "$"}
    return StateMachine.from_dict({"StartAt": "InvokeLambda", "States": {
        "InvokeLambda": invoke,
        "Handle": {"Type": "Pass", "End": True},
        "Done": {"Type": "Pass", "End": True},
    }})


@pytest.mark.parametrize("catch_on", ["States.ALL", "States.DataLimitExceeded"])
@pytest.mark.parametrize("resource, failed_event, producer", [
    ("arn:aws:states:::lambda:invoke", "TaskFailed", "lambda"),
    (FUNCTION_ARN, "LambdaFunctionFailed", FUNCTION_ARN),
])
def test_an_oversized_lambda_result_is_a_catchable_task_failure(catch_on, resource, failed_event, producer):
    ex = _machine(resource, catch_on).run({}, handlers={"big": lambda event: TOO_BIG})
    cause = (f"The state/task '{producer}' returned a result with a size exceeding the maximum number of "
             "bytes service limit.")
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"Error": "States.DataLimitExceeded", "Cause": cause}
    types = [event["type"] for event in ex.history]
    assert types[-5:] == [failed_event, "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    failed = ex.history[types.index(failed_event)]
    details = failed[failed_event[0].lower() + failed_event[1:] + "EventDetails"]
    assert (details["error"], details["cause"]) == ("States.DataLimitExceeded", cause)


def test_an_oversized_lambda_result_is_retried_like_any_task_failure():
    sm = _machine(FUNCTION_ARN, "States.ALL",
                  Retry=[{"ErrorEquals": ["States.DataLimitExceeded"], "MaxAttempts": 1, "IntervalSeconds": 1}])
    answers = iter([TOO_BIG, {"small": True}])
    ex = sm.run({}, handlers={"big": lambda event: next(answers)})
    assert ex.status == "SUCCEEDED" and ex.path == ["InvokeLambda", "Done"]


def test_the_states_own_output_over_the_quota_stays_terminal_even_with_a_catcher():
    # The result alone fits; merged into the input by ResultPath the state's output does not.
    half = "b" * (140 * 1024)
    sm = _machine(FUNCTION_ARN, "States.ALL", ResultPath="$.result")
    ex = sm.run({"input": half}, handlers={"big": lambda event: half})
    assert (ex.status, ex.error) == ("FAILED", "States.DataLimitExceeded")
    assert ex.cause == ("The state/task 'InvokeLambda' returned a result with a size exceeding the maximum "
                        "number of bytes service limit.")
    assert [event["type"] for event in ex.history][-2:] == ["LambdaFunctionSucceeded", "ExecutionFailed"]
