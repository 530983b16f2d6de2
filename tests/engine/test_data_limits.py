"""Payload-size quota (256 KiB): which ``States.DataLimitExceeded`` failures Retry and Catch can handle.

AWS's error-handling page calls the error terminal, and so it is for a state's own data (its input
after Parameters, its output after ResultPath/OutputPath; recorded: a Pass whose Result is too big
fails the execution). A *service result* over the quota, though, is recorded as the task's failure
(``TaskFailed`` / ``LambdaFunctionFailed``) and a catcher on ``States.ALL`` or on the error name
handles it. Cause texts and events as recorded on AWS (LocalStack's test_states_errors snapshots).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sfnsim import StateMachine
from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.tasks.resources import parse_resource
from sfnsim.tasks.shapes import shape_result, size_bound

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


@pytest.mark.parametrize("count, pad, status", [(133, 1968, "SUCCEEDED"), (128, 2045, "FAILED")])
def test_a_maps_result_array_is_measured_to_the_byte(count: int, pad: int, status: str) -> None:
    # ``count`` results, each a string of ``pad`` UTF-8 bytes (JSON text pad + 2), with the commas
    # and two brackets: count * (pad + 3) + 1 is exactly 256 KiB, then one byte more. The array is
    # measured in runs of items, so its boundary must still be exact.
    text = "é" * (pad // 2) + "x" * (pad % 2)  # é is two bytes in UTF-8
    machine = StateMachine.from_dict({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"text.$": "$.text"}, "End": True,
        "ItemProcessor": {"StartAt": "Pad", "States": {"Pad": {"Type": "Pass", "InputPath": "$.text", "End": True}}},
    }}})
    ex = machine.run({"items": list(range(count)), "text": text})
    assert (ex.status, ex.error) == (status, None if status == "SUCCEEDED" else "States.DataLimitExceeded")


def test_sizes_are_measured_alike_in_threads_sharing_one_value() -> None:
    """The size check reuses JSON encoders; two executions in threads measuring the same (shared)
    input at once must not see each other's work as a circular reference."""
    import threading

    shared = {"rows": [{"n": i, "text": "x" * 50} for i in range(1000)]}
    machine = StateMachine.from_dict({"StartAt": "Copy", "States": {
        "Copy": {"Type": "Pass", "Parameters": {"rows.$": "$.rows", "again.$": "$.rows"}, "End": True}}})
    statuses: list[str] = []

    def run() -> None:
        for _ in range(20):
            statuses.append(machine.run(shared).status)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == ["SUCCEEDED"] * 80


@pytest.mark.parametrize("payload", [
    None, 7, "plain", {"id": 1, "rows": [1.5, True, None]}, "é" * 10, {"naïve": "日本"}, "𝄞 and \"quotes\"\n"])
@pytest.mark.parametrize("year", [2024, 999])
def test_a_lambda_invoke_responses_size_bound_is_exact_for_ascii_and_never_below(payload, year) -> None:
    # The result-size check trusts the bound below the quota and measures only above it.
    resource = parse_resource("arn:aws:states:::lambda:invoke")
    result = shape_result(resource, payload, new_request_id=lambda: "0a1b2c3d-0000-4000-8000-00000000abcd",
                          now=datetime(year, 2, 29 if year == 2024 else 28, tzinfo=timezone.utc))
    size = len(compact_json(result).encode("utf-8"))
    bound = size_bound(resource, result)
    assert bound == size if compact_json(payload).isascii() else bound > size
    assert size_bound(parse_resource(FUNCTION_ARN), payload) is None


def test_a_lambda_invoke_response_just_within_the_quota_succeeds_and_one_byte_more_fails() -> None:
    # The response wraps the payload: find the payload length whose response is exactly 256 KiB.
    sm = _machine("arn:aws:states:::lambda:invoke", "States.DataLimitExceeded",
                  ResultSelector={"size.$": "States.StringToJson('1')"})
    probe = sm.run({}, handlers={"big": lambda event: "a"})
    response = next(e for e in probe.history if e["type"] == "TaskSucceeded")["taskSucceededEventDetails"]["output"]
    envelope = len(compact_json(response)) - len('"a"') - 2 * len("3")  # Content-Length appears twice
    fits = 256 * 1024 - envelope - 2 * len("262000") - 2  # the quotes around the text
    for extra, outcome in ((0, "Done"), (1, "Handle")):
        answer = "a" * (fits + extra)
        ex = sm.run({}, handlers={"big": lambda event: answer})
        assert ex.path[-1] == outcome


@pytest.mark.parametrize("count, status", [(43_687, "SUCCEEDED"), (43_688, "FAILED")])
def test_escaped_control_characters_count_six_bytes_each(count: int, status: str) -> None:
    # {"k":"\u0000…","extra":"ab"}: 6 bytes per character plus 21: 262,143 bytes, then 262,149.
    # Small flat outputs skip the exact measure; these must not be mistaken for small ones.
    machine = StateMachine.from_dict({"StartAt": "Shape", "States": {
        "Shape": {"Type": "Pass", "Parameters": {"k.$": "$.s", "extra": "ab"}, "End": True}}})
    ex = machine.run({"s": "\x00" * count})
    assert (ex.status, ex.error) == (status, None if status == "SUCCEEDED" else "States.DataLimitExceeded")


@pytest.mark.parametrize("count, status", [(43_690, "SUCCEEDED"), (43_691, "FAILED")])
def test_a_text_output_of_control_characters_is_measured_as_its_json(count: int, status: str) -> None:
    # "\u0000…": 6 bytes per character plus the quotes: 262,142 bytes, then 262,148 (the quota is 262,144).
    machine = StateMachine.from_dict({"StartAt": "Text", "States": {
        "Text": {"Type": "Pass", "Result": "\x00" * count, "End": True}}})
    ex = machine.run({})
    assert (ex.status, ex.error) == (status, None if status == "SUCCEEDED" else "States.DataLimitExceeded")
