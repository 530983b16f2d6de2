"""Each state type, with examples from AWS's documentation pages for that state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sfnsim import StateMachine, TaskFailed


def machine(states: dict, start: str | None = None, **top) -> StateMachine:
    return StateMachine.from_dict({"StartAt": start or next(iter(states)), "States": states, **top})


def test_choice_docs_example_numeric_and_string_rules():
    # AWS docs, Choice state: "ChoiceStateX".
    sm = machine({
        "ChoiceStateX": {"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
            {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
            {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                     {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"},
        ], "Default": "DefaultState"},
        "Public": {"Type": "Pass", "End": True},
        "ValueIsZero": {"Type": "Pass", "End": True},
        "ValueInTwenties": {"Type": "Pass", "End": True},
        "DefaultState": {"Type": "Fail", "Error": "DefaultStateError", "Cause": "No Matches!"},
    })
    assert sm.run({"type": "Public"}).path == ["ChoiceStateX", "Public"]
    assert sm.run({"type": "Private", "value": 0}).path == ["ChoiceStateX", "ValueIsZero"]
    assert sm.run({"type": "Private", "value": 25}).path == ["ChoiceStateX", "ValueInTwenties"]
    failed = sm.run({"type": "Private", "value": 50})
    assert failed.status == "FAILED" and (failed.error, failed.cause) == ("DefaultStateError", "No Matches!")


def test_choice_without_match_or_default_fails_with_no_choice_matched():
    sm = machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "A"}]},
                  "A": {"Type": "Succeed"}})
    ex = sm.run({"x": 2})
    assert ex.status == "FAILED" and ex.error == "States.NoChoiceMatched"


def test_wait_seconds_moves_virtual_time_only():
    sm = machine({"W": {"Type": "Wait", "Seconds": 365 * 86400, "End": True}})
    ex = sm.run({})
    stamps = [e["timestamp"] for e in ex.history]
    assert stamps[-1] - stamps[0] == timedelta(days=365)
    assert [e["type"] for e in ex.history] == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                                              "ExecutionSucceeded"]


def test_wait_until_timestamp_and_timestamp_path():
    start = datetime(2016, 3, 14, 1, 0, tzinfo=timezone.utc)
    sm = machine({"W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "P"},
                  "P": {"Type": "Wait", "TimestampPath": "$.expirydate", "End": True}})
    ex = sm.run({"expirydate": "2016-03-14T02:30:00+00:00"}, start_time=start)
    assert ex.status == "SUCCEEDED"
    exits = [e["timestamp"] for e in ex.history if e["type"] == "WaitStateExited"]
    assert exits == [datetime(2016, 3, 14, 1, 59, tzinfo=timezone.utc), datetime(2016, 3, 14, 2, 30, tzinfo=timezone.utc)]


def test_wait_seconds_path_errors_have_aws_causes():
    sm = machine({"WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": True}})
    negative = sm.run({"input": {"waitSeconds": -1}})
    assert negative.error == "States.Runtime"
    assert negative.cause == ("An error occurred while executing the state 'WaitState' (entered at the event id #2). "
                              "The SecondsPath parameter references a negative value: $.input.waitSeconds == -1")
    fraction = sm.run({"input": {"waitSeconds": 1.5}})
    assert fraction.cause.endswith("The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5")
    missing = sm.run({"input": {}})
    assert missing.cause.endswith("The SecondsPath parameter does not reference an input value: $.input.waitSeconds")


def test_fail_state_with_error_and_cause_paths():
    sm = machine({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.c)"}})
    ex = sm.run({"e": "MyError", "c": "input"})
    assert (ex.error, ex.cause) == ("MyError", "bad input")


def test_fail_without_error_records_empty_details():
    ex = machine({"F": {"Type": "Fail"}}).run({})
    assert ex.status == "FAILED" and ex.error is None and ex.cause is None
    assert ex.history[-1] == {**ex.history[-1], "type": "ExecutionFailed", "executionFailedEventDetails": {}}


def test_succeed_applies_input_and_output_paths():
    ex = machine({"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}}).run({"a": {"b": 7}})
    assert ex.output == 7


def test_parallel_outputs_in_branch_order_even_when_branches_finish_out_of_order():
    sm = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 10, "Next": "SlowDone"},
                                       "SlowDone": {"Type": "Pass", "Result": "slow", "End": True}}},
        {"StartAt": "Fast", "States": {"Fast": {"Type": "Pass", "Result": "fast", "End": True}}},
    ]}})
    ex = sm.run({})
    assert ex.output == ["slow", "fast"]
    assert ex.path == ["P", "Slow", "Fast", "SlowDone"]


def test_parallel_branch_failure_fails_the_state_and_stops_other_branches():
    sm = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 100, "End": True}}},
        {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "BranchError", "Cause": "no"}}},
    ]}})
    ex = sm.run({})
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "BranchError", "no")
    types = [e["type"] for e in ex.history]
    assert "ParallelStateFailed" in types and "WaitStateExited" not in types
    # The branch still waiting is cancelled: AWS records the state as aborted.
    assert types.index("WaitStateAborted") < types.index("ParallelStateFailed")


def test_map_docs_example_items_path_and_item_selector():
    # AWS docs, Map state example with ItemsPath/ItemSelector and $$.Map.Item.
    data = {"ship-date": "2016-03-14T01:59:00Z", "detail": {"delivery-partner": "UQS", "shipped": [
        {"prod": "R31", "dest-code": 9511, "quantity": 1344},
        {"prod": "S39", "dest-code": 9511, "quantity": 40},
    ]}}
    sm = machine({"Validate-All": {
        "Type": "Map", "InputPath": "$.detail", "ItemsPath": "$.shipped", "MaxConcurrency": 0,
        "ItemSelector": {"parcel.$": "$$.Map.Item.Value", "courier.$": "$.delivery-partner", "index.$": "$$.Map.Item.Index"},
        "ItemProcessor": {"StartAt": "Validate", "States": {"Validate": {"Type": "Pass", "End": True}}},
        "ResultPath": "$.detail.shipped", "End": True}})
    ex = sm.run(data)
    assert ex.output["detail"]["shipped"] == [
        {"parcel": {"prod": "R31", "dest-code": 9511, "quantity": 1344}, "courier": "UQS", "index": 0},
        {"parcel": {"prod": "S39", "dest-code": 9511, "quantity": 40}, "courier": "UQS", "index": 1},
    ]


def test_map_max_concurrency_limits_iterations_in_flight():
    sm = machine({"M": {"Type": "Map", "MaxConcurrency": 2, "End": True, "ItemProcessor": {
        "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}}})
    ex = sm.run([1, 2, 3, 4, 5])
    # Two at a time, 10 s each: 5 items take three rounds.
    assert ex.history[-1]["timestamp"] - ex.history[0]["timestamp"] == timedelta(seconds=30)
    assert ex.output == [1, 2, 3, 4, 5]


def test_map_iteration_failure_fails_the_map():
    sm = machine({"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}], "Default": "Ok"},
            "Ok": {"Type": "Succeed"}, "Bad": {"Type": "Fail", "Error": "ItemError"}}}}})
    ex = sm.run([1, 2, 3])
    assert ex.error == "ItemError"
    types = [e["type"] for e in ex.history]
    assert "MapIterationFailed" in types and types[-2:] == ["MapStateFailed", "ExecutionFailed"]


_FAILING_ON_2_AND_4 = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"},
                                        {"Variable": "$", "NumericEquals": 4, "Next": "Bad"}], "Default": "Ok"},
    "Ok": {"Type": "Pass", "End": True}, "Bad": {"Type": "Fail", "Error": "ItemError"}}}


def _iteration_trace(ex) -> list[tuple[str, object]]:
    """Each MapIteration event with its index, each state entered with its name."""
    trace = []
    for event in ex.history:
        kind = event["type"]
        if kind.startswith("MapIteration"):
            details = next(value for key, value in event.items() if key.endswith("EventDetails"))
            trace.append((kind.removeprefix("MapIteration"), details["index"]))
        elif kind.endswith("StateEntered") and kind != "MapStateEntered":
            trace.append(("enter", event["stateEnteredEventDetails"]["name"]))
    return trace


def test_concurrent_iterations_after_a_failed_one_still_run_in_that_instant():
    """Every iteration starts first; the failed one waits for the end of the instant, so the later
    ones run (and one of them fails too), then the first failure is recorded and the other,
    still waiting, is aborted."""
    ex = machine({"M": {"Type": "Map", "End": True, "ItemProcessor": _FAILING_ON_2_AND_4}}).run([1, 2, 3, 4, 5])
    assert ex.error == "ItemError"
    ok, bad = [("enter", "C"), ("enter", "Ok")], [("enter", "C"), ("enter", "Bad")]
    assert _iteration_trace(ex) == [
        *[("Started", i) for i in range(5)],
        *ok, ("Succeeded", 0), *bad, *ok, ("Succeeded", 2), *bad, *ok, ("Succeeded", 4),
        ("Failed", 1), ("Aborted", 3)]


def test_one_at_a_time_the_first_failed_iteration_ends_the_map():
    ex = machine({"M": {"Type": "Map", "MaxConcurrency": 1, "End": True, "ItemProcessor": _FAILING_ON_2_AND_4}}).run(
        [1, 2, 3, 4, 5])
    assert _iteration_trace(ex) == [("Started", 0), ("enter", "C"), ("enter", "Ok"), ("Succeeded", 0),
                                    ("Started", 1), ("enter", "C"), ("enter", "Bad"), ("Failed", 1)]


def test_a_map_beside_a_parallel_branch_interleaves_with_it():
    """The other branch's Wait of 0 s ends at the Map's instant, before the Map's iterations were
    queued: it goes first, then the iterations start together and run in turn."""
    sm = machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "Next": "After"},
                                    "After": {"Type": "Pass", "End": True}}},
        {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
            "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}}}},
    ]}})
    ex = sm.run([1, 2])
    assert _iteration_trace(ex) == [("enter", "P"), ("enter", "W"), ("enter", "After"), ("Started", 0), ("Started", 1),
                                    ("enter", "Item"), ("Succeeded", 0), ("enter", "Item"), ("Succeeded", 1)]


def test_pass_states_record_the_same_history_whether_or_not_the_run_is_inspected():
    """A plain Pass and a Pass with Parameters alone take a short way unless the run is inspected
    (the walkthrough needs every stage): both ways record the same events, and fail alike."""
    sm = machine({
        "Plain": {"Type": "Pass", "Next": "Shaped"},
        "Shaped": {"Type": "Pass", "Parameters": {"n.$": "$.n", "label.$": "States.Format('n={}', $.n)"},
                   "Next": "Missing"},
        "Missing": {"Type": "Pass", "Parameters": {"x.$": "$.absent"}, "End": True},
    })
    plain, inspected = sm.run({"n": 1}), sm.run({"n": 1}, inspect=True)
    assert plain.history == inspected.history
    assert (plain.error, plain.cause) == (inspected.error, inspected.cause)
    assert plain.error == "States.Runtime" and "'Missing'" in plain.cause
    shaped = [e for e in plain.history if e["type"] == "PassStateExited"][1]["stateExitedEventDetails"]
    assert shaped["output"] == {"n": 1, "label": "n=1"}
    assert [visit.name for visit in inspected.inspection] == ["Plain", "Shaped", "Missing"]
    assert inspected.inspection[1].stages["afterParameters"] == {"n": 1, "label": "n=1"}


def test_task_handler_by_state_name_resource_and_function_name():
    sm = machine({"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:fn-a", "Next": "B"},
                  "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:fn-b:prod",
                                       "Payload.$": "$"}, "ResultSelector": {"p.$": "$.Payload"}, "Next": "C"},
                  "C": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True}})
    ex = sm.run({"n": 1}, handlers={
        "fn-a": lambda e: {"n": e["n"] + 1},
        "fn-b": lambda e: e["n"] * 10,
        "arn:aws:states:::dynamodb:putItem": lambda p: {"saved": p},
    })
    assert ex.output == {"saved": {"p": 20}}
    scheduled = [e for e in ex.history if e["type"] == "TaskScheduled"]
    assert [(e["taskScheduledEventDetails"]["resourceType"], e["taskScheduledEventDetails"]["resource"])
            for e in scheduled] == [("lambda", "invoke"), ("dynamodb", "putItem")]


def test_each_call_finds_the_handler_of_the_function_its_parameters_name():
    # The lookup is remembered per state, resource and FunctionName: not per state alone.
    body = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload", "End": True,
        "Parameters": {"FunctionName.$": "$.fn", "Payload.$": "$.n"}}}}
    sm = machine({"Each": {"Type": "Map", "ItemProcessor": body, "End": True}})
    items = [{"fn": "double", "n": 1}, {"fn": "arn:aws:lambda:us-east-1:123456789012:function:square:live", "n": 3},
             {"fn": "double", "n": 5}]
    ex = sm.run(items, handlers={"double": lambda n: n * 2, "square": lambda n: n * n})
    assert ex.output == [2, 9, 10]


def test_lambda_invoke_result_is_wrapped_like_the_invoke_api():
    sm = machine({"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "fn", "Payload": {"a": 1}}, "End": True}})
    ex = sm.run({}, handlers={"fn": lambda e: {"echo": e}})
    assert ex.output["Payload"] == {"echo": {"a": 1}}
    assert ex.output["StatusCode"] == 200 and ex.output["ExecutedVersion"] == "$LATEST"


def test_task_error_from_handler_uses_exception_type_and_lambda_cause_shape():
    class DatabaseDown(Exception):
        pass

    def load(_event):
        raise DatabaseDown("primary is unreachable")

    sm = machine({"Load": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:load", "End": True}})
    ex = sm.run({}, handlers={"load": load})
    assert ex.error == "DatabaseDown"
    import json

    cause = json.loads(ex.cause)
    assert cause["errorMessage"] == "primary is unreachable" and cause["errorType"] == "DatabaseDown"
    assert isinstance(cause["stackTrace"], list)


def test_task_failed_exception_sets_exact_error_name():
    def handler(_):
        raise TaskFailed("Lambda.ServiceException", "Rate exceeded")

    ex = machine({"T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}}).run(
        {}, handlers={"T": handler})
    assert (ex.error, ex.cause) == ("Lambda.ServiceException", "Rate exceeded")
    assert [e["type"] for e in ex.history][-2:] == ["TaskFailed", "ExecutionFailed"]


def test_api_gateway_headers_must_be_lists_of_strings_as_aws_checks():
    # Recorded on AWS (conformance corpus): refused before the task is scheduled.
    sm = machine({"ApiGatewayInvoke": {"Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke", "End": True,
                                       "Parameters": {"ApiEndpoint": "x", "Method": "GET", "Headers.$": "$.h"}}})
    refused = sm.run({"h": {"custom_header": "singleStringHeader"}}, handlers={"ApiGatewayInvoke": lambda p: {}})
    assert refused.error == "States.Runtime"
    assert refused.cause.endswith("could not be used to start the Task: "
                                  "[The value of the field 'Headers' has an invalid format]")
    assert "TaskScheduled" not in [e["type"] for e in refused.history]
    accepted = sm.run({"h": {"custom_header": ["a"]}}, handlers={"ApiGatewayInvoke": lambda p: {"ok": 1}})
    assert accepted.status == "SUCCEEDED"
