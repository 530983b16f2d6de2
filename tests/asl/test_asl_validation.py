"""Static validation: what AWS rejects at CreateStateMachine, reported all at once, with places.

Expected verdicts follow the AWS documentation (states-language and Step Functions developer
guide) and the validation responses AWS returned in LocalStack's recorded snapshots.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from sfnsim.asl import load_definition, parse_text, validate_definition
from sfnsim.errors import DefinitionError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "invalid"


def machine(**states: Any) -> dict:
    """A definition whose first keyword argument is StartAt."""
    return {"StartAt": next(iter(states)), "States": states}


PASS_END = {"Type": "Pass", "End": True}
LAMBDA = "arn:aws:states:::lambda:invoke"


def problems(definition: Any, **kwargs: Any) -> dict[str, str]:
    """pointer -> message (joined when a pointer has several)."""
    found: dict[str, str] = {}
    for p in validate_definition(definition, **kwargs):
        found[p.pointer] = f"{found[p.pointer]} | {p.message}" if p.pointer in found else p.message
    return found


def assert_one(definition: Any, pointer: str, *phrases: str, **kwargs: Any) -> None:
    found = problems(definition, **kwargs)
    assert list(found) == [pointer], found
    for phrase in phrases:
        assert phrase in found[pointer], found


def assert_has(definition: Any, pointer: str, *phrases: str) -> None:
    found = problems(definition)
    assert pointer in found, found
    for phrase in phrases:
        assert phrase in found[pointer], found


def assert_valid(definition: Any, **kwargs: Any) -> None:
    assert validate_definition(definition, **kwargs) == []


# --- top level -----------------------------------------------------------------------------


def test_required_top_level_fields() -> None:
    # AWS: "These fields are required: [States, StartAt] at /"
    assert_one({}, "", "These fields are required", "StartAt", "States")
    # AWS: "These fields are required: [StartAt] at /"
    assert_one({"States": {"StartState": PASS_END}}, "", "These fields are required: [StartAt]")


def test_not_an_object() -> None:
    assert_one([], "", "Definition must be a valid JSON object")


def test_junk_is_reported_without_raising() -> None:
    for junk in (
        "x",
        None,
        3,
        {"States": 5},
        {"StartAt": 1, "States": {"A": 5}},
        {"StartAt": "A", "States": {"A": {"Type": 7}}},
    ):
        assert validate_definition(junk), junk


def test_unknown_fields_are_rejected() -> None:
    assert_one(machine(A={**PASS_END, "Foo": 1}), "/States/A/Foo", "Field 'Foo' is not supported")
    assert_one({**machine(A=PASS_END), "Bar": 1}, "/Bar", "Field 'Bar' is not supported")
    # Choice states have no Parameters (statelint's choice-with-parameters)
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "B"}], "Parameters": {}}
    assert_one(machine(A=choice, B={"Type": "Succeed"}), "/States/A/Parameters", "not supported in a Choice state")


def test_unknown_state_type() -> None:
    assert_one(machine(A={"Type": "Sleep", "End": True}), "/States/A/Type", "'Sleep' is not a state type")


# --- transitions -----------------------------------------------------------------------------


def test_next_to_a_missing_state() -> None:
    assert_has(machine(A={"Type": "Pass", "Next": "B"}), "/States/A/Next", "'B'")


def test_start_at_a_missing_state() -> None:
    found = problems({"StartAt": "x", "States": {"y": {"Type": "Succeed"}}})
    assert "'x'" in found["/StartAt"]


def test_unreachable_state() -> None:
    assert_one(machine(A={"Type": "Succeed"}, X={"Type": "Succeed"}), "/States/X", "not reachable")


def test_no_terminal_state() -> None:
    definition = machine(A={"Type": "Pass", "Next": "B"}, B={"Type": "Pass", "Next": "A"})
    assert_one(definition, "/States", "No terminal state")


def test_next_and_end_together_or_neither() -> None:
    assert_one(machine(A={"Type": "Pass", "Next": "B", "End": True}, B=PASS_END), "/States/A", "both Next and End")
    assert_has(machine(A={"Type": "Pass"}), "/States/A", "either Next or End")


def test_choice_rule_cannot_end_the_machine() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.foo", "NumericEquals": 1, "End": True}], "Default": "D"}
    found = problems(machine(C=choice, D=PASS_END))
    assert "not supported" in found["/States/C/Choices/0/End"]
    assert "[Next]" in found["/States/C/Choices/0"]


def test_map_iterator_cannot_leave_its_scope() -> None:
    inner = {"StartAt": "C", "States": {"C": {"Type": "Pass", "Next": "Final"}, "E": {"Type": "Succeed"}}}
    definition = machine(M={"Type": "Map", "Iterator": inner, "Next": "Final"}, Final=PASS_END)
    assert_has(definition, "/States/M/Iterator/States/C/Next", "'Final'", "same scope")


def test_duplicate_state_names_across_branches() -> None:
    # statelint's has-dupes: a branch state and a top-level state share a name
    branch = {"StartAt": "Sub", "States": {"Sub": {"Type": "Succeed"}}}
    definition = machine(P={"Type": "Parallel", "Branches": [branch], "Next": "Sub"}, Sub={"Type": "Succeed"})
    assert_one(definition, "/States/Sub", "Duplicate state name 'Sub'")


# --- Retry and Catch -------------------------------------------------------------------------------


def test_states_all_must_be_alone_and_last() -> None:
    retry = [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Custom"]}]
    assert_one(
        machine(T={"Type": "Task", "Resource": LAMBDA, "Retry": retry, "End": True}), "/States/T/Retry/0", "last"
    )
    catch = [{"ErrorEquals": ["States.ALL", "Custom"], "Next": "F"}]
    definition = machine(T={"Type": "Task", "Resource": LAMBDA, "Catch": catch, "End": True}, F={"Type": "Fail"})
    assert_one(definition, "/States/T/Catch/0/ErrorEquals", "alone")


def test_retrier_values() -> None:
    retry = [{"ErrorEquals": [], "BackoffRate": 0.5, "MaxAttempts": -1, "IntervalSeconds": 0, "JitterStrategy": "SOME"}]
    found = problems(machine(T={"Type": "Task", "Resource": LAMBDA, "Retry": retry, "End": True}))
    assert set(found) == {
        f"/States/T/Retry/0/{name}"
        for name in ("ErrorEquals", "BackoffRate", "MaxAttempts", "IntervalSeconds", "JitterStrategy")
    }
    assert "FULL" in found["/States/T/Retry/0/JitterStrategy"]


def test_catch_field_misspelled() -> None:
    # asl-validator's invalid-error-equals: "Error Equals"
    catch = [{"Error Equals": ["Some Error"], "Next": "S"}]
    found = problems(machine(T={"Type": "Task", "Resource": LAMBDA, "Catch": catch, "Next": "S"}, S=PASS_END))
    assert "not supported" in found["/States/T/Catch/0/Error Equals"]
    assert "ErrorEquals" in found["/States/T/Catch/0"]


# --- paths, payload templates, intrinsic functions ------------------------------------------------------


def test_invalid_paths() -> None:
    assert_one(
        machine(A={**PASS_END, "InputPath": "bug$.library.movies"}), "/States/A/InputPath", "not a valid JSONPath"
    )
    assert_one(machine(A={**PASS_END, "ResultPath": "$.a[*]"}), "/States/A/ResultPath", "reference path")
    assert_valid(machine(A={**PASS_END, "InputPath": None, "OutputPath": "$$.Execution.Id", "ResultPath": None}))


def test_payload_template_values() -> None:
    params = {
        "ok.$": "$.x",
        "ctx.$": "$$.Execution.Id",
        "var.$": "$myVar.field",
        "fn.$": "States.Format('{}', $.a)",
        "lorem.$": "ipsum",
    }
    assert_one(machine(A={**PASS_END, "Parameters": params}), "/States/A/Parameters/lorem.$", "must be a path")
    # statelint's states-array-invocation-leftpad: a leading blank makes it neither path nor call
    selector = {"abc.$": " States.Array('Foo', $.xyz)"}
    assert_one(
        machine(T={"Type": "Task", "Resource": LAMBDA, "ResultSelector": selector, "End": True}),
        "/States/T/ResultSelector/abc.$",
    )
    nested = {"outer": [{"deep": {"bad.$": "States.Format('x'"}}]}
    assert_one(machine(A={**PASS_END, "Parameters": nested}), "/States/A/Parameters/outer/0/deep/bad.$", "intrinsic")


def test_payload_template_field_given_twice() -> None:
    # asl-validator's invalid-dupe-fields: "conflict" and "conflict.$" both give "conflict"
    params = {"dynamic": {"conflict": "value", "conflict.$": "$.value"}}
    assert_one(machine(A={**PASS_END, "Parameters": params}), "/States/A/Parameters/dynamic/conflict.$", "conflicts")


def test_fail_error_path_may_be_an_intrinsic() -> None:
    fail = {"Type": "Fail", "ErrorPath": "States.Format('E{}', $.code)", "CausePath": "$.cause"}
    assert_valid(machine(F=fail))


def test_choice_variable_must_be_a_path() -> None:
    rule = {"Variable": "States.ArrayContains($.a, 'x')", "NumericEquals": 1, "Next": "B"}
    assert_one(
        machine(C={"Type": "Choice", "Choices": [rule]}, B=PASS_END),
        "/States/C/Choices/0/Variable",
        "not a valid JSONPath",
    )


def test_choice_rule_operators() -> None:
    rules = [
        {"Variable": "$.a", "Next": "B"},
        {"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1, "Next": "B"},
        {"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "B"},
        {"And": [], "Next": "B"},
        {"Not": {"Variable": "$.a", "IsNull": True, "Next": "B"}, "Next": "B"},
    ]
    found = problems(machine(C={"Type": "Choice", "Choices": rules}, B=PASS_END))
    assert "comparison operator" in found["/States/C/Choices/0"]
    assert "only one comparison" in found["/States/C/Choices/1"]
    assert "ISO-8601" in found["/States/C/Choices/2/TimestampEquals"]
    assert "at least one" in found["/States/C/Choices/3/And"]
    assert "top-level Choice rule" in found["/States/C/Choices/4/Not/Next"]


# --- fields that exclude each other --------------------------------------------------------------


@pytest.mark.parametrize(
    "state, pointer, phrase",
    [
        ({"Type": "Wait", "Seconds": 1, "Timestamp": "2016-03-14T01:59:00Z", "End": True}, "/States/S", "exactly one"),
        ({"Type": "Wait", "End": True}, "/States/S", "exactly one"),
        ({"Type": "Wait", "Timestamp": "tomorrow", "End": True}, "/States/S/Timestamp", "ISO-8601"),
        ({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}, "/States/S", "Error and ErrorPath"),
        ({"Type": "Fail", "Cause": "C", "CausePath": "$.c"}, "/States/S", "Cause and CausePath"),
        (
            {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": True},
            "/States/S",
            "TimeoutSeconds and TimeoutSecondsPath",
        ),
        (
            {"Type": "Task", "Resource": LAMBDA, "HeartbeatSeconds": 5, "HeartbeatSecondsPath": "$.h", "End": True},
            "/States/S",
            "HeartbeatSeconds and HeartbeatSecondsPath",
        ),
        (
            {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": True},
            "/States/S/HeartbeatSeconds",
            "smaller than TimeoutSeconds",
        ),
        (
            {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 0, "End": True},
            "/States/S/TimeoutSeconds",
            "must be an integer from 1",
        ),
    ],
)
def test_exclusive_and_bounded_fields(state: dict, pointer: str, phrase: str) -> None:
    assert_one(machine(S=state), pointer, phrase)


ITERATOR = {"StartAt": "I", "States": {"I": PASS_END}}


def test_map_fields() -> None:
    assert_one(machine(M={"Type": "Map", "End": True}), "/States/M", "ItemProcessor")
    assert_one(
        machine(
            M={
                "Type": "Map",
                "Iterator": ITERATOR,
                "ItemProcessor": {"StartAt": "J", "States": {"J": PASS_END}},
                "End": True,
            }
        ),
        "/States/M",
        "Iterator and ItemProcessor",
    )
    # statelint's map-with-null-itemspath
    assert_one(
        machine(M={"Type": "Map", "Iterator": ITERATOR, "ItemsPath": None, "End": True}), "/States/M/ItemsPath", "null"
    )
    tolerated = {
        "Type": "Map",
        "Iterator": ITERATOR,
        "ToleratedFailureCount": 0,
        "ToleratedFailureCountPath": "$.n",
        "End": True,
    }
    assert_one(machine(M=tolerated), "/States/M", "ToleratedFailureCount and ToleratedFailureCountPath")
    distributed = {
        "Type": "Map",
        "ItemProcessor": {**ITERATOR, "ProcessorConfig": {"Mode": "DISTRIBUTED"}},
        "End": True,
    }
    assert_one(machine(M=distributed), "/States/M/ItemProcessor/ProcessorConfig", "ExecutionType")


def test_parallel_needs_branches() -> None:
    assert_one(machine(P={"Type": "Parallel", "End": True}), "/States/P", "[Branches]")


# --- query languages -------------------------------------------------------------------------


def test_jsonpath_fields_in_a_jsonata_state() -> None:
    path = FIXTURES / "jsonpath-fields-in-jsonata.asl.json"
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert [p.pointer for p in caught.value.problems] == ["/States/Call/Parameters", "/States/Call/ResultPath"]
    assert "use Arguments" in caught.value.problems[0].message


def test_jsonata_fields_in_a_jsonpath_state() -> None:
    state = {"Type": "Task", "Resource": LAMBDA, "Arguments": {"x": 1}, "Output": "{% $states.result %}", "End": True}
    found = problems(machine(T=state))
    assert set(found) == {"/States/T/Arguments", "/States/T/Output"}
    assert_one(
        machine(T={"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "{% 5 %}", "End": True}),
        "/States/T/TimeoutSeconds",
        "JSONata",
    )


def test_query_language_per_state() -> None:
    jsonata_state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a %}", "End": True}
    assert_valid(machine(A=jsonata_state))
    # AWS accepted this (recorded VALID_QUERY_LANGUAGE_PASS): a JSONata Map holding a JSONPath state
    recorded = {
        "StartAt": "Map",
        "QueryLanguage": "JSONPath",
        "States": {
            "Map": {
                "Type": "Map",
                "QueryLanguage": "JSONata",
                "End": True,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Pass",
                    "States": {"Pass": {"QueryLanguage": "JSONPath", "Type": "Pass", "End": True}},
                },
            }
        },
    }
    assert_valid(recorded)
    # with JSONata at the top level, no state may use JSONPath: AWS's recorded
    # ValidateStateMachineDefinition answer (LocalStack test_sfn_api_validation), at the state
    top = {"QueryLanguage": "JSONata", **machine(A={**PASS_END, "QueryLanguage": "JSONPath"})}
    assert_one(top, "/States/A", "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")


def test_jsonata_expressions_are_parsed() -> None:
    # asl-validator's invalid-assign: "{% 420. %}" is not a JSONata expression
    assign = {"top": {"array": [{"child": "{% 420. %}"}]}}
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": assign, "End": True}
    assert_one(machine(A=state), "/States/A/Assign/top/array/0/child", "Invalid JSONata expression")
    unclosed = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 10 %", "End": True}
    assert_one(machine(A=unclosed), "/States/A/Output", "end with '%}'")
    # a Comment is never evaluated (asl-validator's valid-comments-are-not-parsed)
    assert_valid(machine(A={**PASS_END, "QueryLanguage": "JSONata", "Comment": "{% not an expression"}))


def test_jsonata_choice_rules_use_condition() -> None:
    rule = {"Condition": "{% $states.input.n > 1 %}", "Next": "B", "Output": {"n": "{% $states.input.n %}"}}
    assert_valid(
        {"QueryLanguage": "JSONata", **machine(C={"Type": "Choice", "Choices": [rule], "Default": "B"}, B=PASS_END)}
    )
    jsonpath_rule = {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "B"}
    found = problems(
        {"QueryLanguage": "JSONata", **machine(C={"Type": "Choice", "Choices": [jsonpath_rule]}, B=PASS_END)}
    )
    assert set(found) == {
        "/States/C/Choices/0",
        "/States/C/Choices/0/Variable",
        "/States/C/Choices/0/NumericGreaterThan",
    }


def test_variable_names() -> None:
    assert_valid(machine(A={**PASS_END, "Assign": {"count": 1, "name.$": "$.name", "_x1": "v"}}))
    assert_one(machine(A={**PASS_END, "Assign": {"1st": 1}}), "/States/A/Assign/1st", "not a valid variable name")


# --- Task resources -------------------------------------------------------------------------------


def test_unrecognized_resources() -> None:
    # AWS: "The resource provided arn:<partition>:states:::dynamodb:query is not recognized..."
    state = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": True}
    assert_one(machine(Q=state), "/States/Q/Resource", "is not recognized")
    assert_one(machine(Q={**state, "Resource": "foo:bar"}), "/States/Q/Resource", "is not recognized")
    assert_one(machine(Q={**state, "Resource": "arn:aws:states:::dynamodb:putItem.sync"}), "/States/Q/Resource")


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:::aws-sdk:s3:listBuckets",
        "arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken",
        "arn:aws:states:us-east-1:123456789012:activity:work",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST",
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:fn:prod",
        # deploy-time substitutions stay unresolved in templates
        "${ProcessFunctionArn}",
        "arn:${AWS::Partition}:states:::lambda:invoke",
    ],
)
def test_recognized_resources(resource: str) -> None:
    assert_valid(machine(T={"Type": "Task", "Resource": resource, "End": True}))


def test_cloudformation_intrinsic_resource_is_accepted() -> None:
    assert_valid(machine(T={"Type": "Task", "Resource": {"Fn::GetAtt": ["Fn", "Arn"]}, "End": True}))


@pytest.mark.parametrize(
    "resource, message",
    [
        # the messages AWS returned (LocalStack's recorded snapshots)
        (
            "arn:aws:states:us-east-1:111111111111:activity:activity-name",
            "Express state machine does not support Activity ARN",
        ),
        (
            "arn:aws:states:::states:startExecution.sync",
            "Express state machine does not support '.sync' service integration",
        ),
        (
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Express state machine does not support '.waitForTaskToken' service integration",
        ),
    ],
)
def test_express_machines_refuse_callbacks_and_activities(resource: str, message: str) -> None:
    definition = machine(T={"Type": "Task", "Resource": resource, "End": True})
    assert_valid(definition, state_machine_type="STANDARD")
    assert_one(definition, "/States/T/Resource", message, state_machine_type="EXPRESS")


# --- reporting --------------------------------------------------------------------------------------


def _line_col(text: str, needle: str, after: str) -> tuple[int, int]:
    offset = text.index(needle, text.index(after) + len(after))
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


@pytest.mark.parametrize("name", ["several-problems.asl.json", "several-problems.asl.yaml"])
def test_several_problems_are_reported_together_with_places(name: str) -> None:
    path = FIXTURES / name
    text = path.read_text()
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    found = {p.pointer: p for p in caught.value.problems}
    assert list(found) == ["/States/Load/Retry/0/MaxAttempts", "/States/Load/Next", "/States/Done", "/States/Done/Foo"]
    assert (
        found["/States/Load/Retry/0/MaxAttempts"].line,
        found["/States/Load/Retry/0/MaxAttempts"].column,
    ) == _line_col(text, "-1", "MaxAttempts")
    quote = '"' if name.endswith(".json") else ""  # a JSON string value starts at its quote
    assert (found["/States/Load/Next"].line, found["/States/Load/Next"].column) == _line_col(
        text, quote + "Publish", "Next"
    )
    assert (found["/States/Done/Foo"].line, found["/States/Done/Foo"].column) == _line_col(text, "1", "Foo")
    assert "MaxAttempts must be an integer" in found["/States/Load/Retry/0/MaxAttempts"].message
    assert all(p.source == str(path) for p in caught.value.problems)
    rendered = str(caught.value)
    assert rendered.startswith("invalid state machine definition (4 problems):")
    assert f"{path}: /States/Load/Next (line " in rendered


def test_validate_definition_uses_a_locator() -> None:
    text = '{"StartAt": "A",\n "States": {"A": {"Type": "Pass", "End": true, "Bogus": 1}}}'
    data, locator = parse_text(text)
    (problem,) = validate_definition(data, locator=locator, source_name="inline")
    assert (problem.pointer, problem.line, problem.column, problem.source) == ("/States/A/Bogus", 2, 57, "inline")


@pytest.mark.parametrize(
    ("text", "is_timestamp"),
    [
        ("2016-03-14T01:59:00Z", True),  # AWS's own example (Wait state page)
        ("2012-10-09T19:00:55+01:00", True),
        ("2016-03-05T21:29:29.243167252Z", True),  # recorded: AWS waits on a nanosecond timestamp
        ("2016-03-14T01:59Z", False),  # RFC 3339 requires the seconds
        ("2016-12-05T25:29:29Z", False),  # recorded: AWS's Wait rejects hour 25
        ("2012-10-09T19:00:55", False),  # recorded: no offset is rejected
    ],
)
def test_the_validator_and_the_wait_state_read_timestamps_alike(text: str, is_timestamp: bool) -> None:
    """One grammar (AWS: the RFC 3339 profile of ISO 8601): what the validator accepts in ``Timestamp``
    is what a Wait accepts at run time through ``TimestampPath``."""
    from sfnsim import StateMachine

    literal = machine(W={"Type": "Wait", "Timestamp": text, "End": True})
    assert (problems(literal) == {}) is is_timestamp
    by_path = StateMachine(machine(W={"Type": "Wait", "TimestampPath": "$.t", "End": True}))
    execution = by_path.run({"t": text}, start_time=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert (execution.status == "SUCCEEDED") is is_timestamp
    if not is_timestamp:
        assert execution.error == "States.Runtime"
