"""The JSONPath input/output pipeline, with the examples from AWS's documentation pages
("Processing input and output", "Manipulating parameters", "Specifying state output using
ResultPath", "Filtering state output using OutputPath", "Accessing the context object")."""

from __future__ import annotations

import pytest

from sfnsim import StateMachine


def single_state(state: dict, *, handlers: dict | None = None, data: object = None):
    state = {**state}
    state.setdefault("End", True)
    machine = StateMachine.from_dict({"StartAt": "S", "States": {"S": state}})
    return machine.run(data, handlers=handlers or {})


LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction"


def test_input_path_selects_part_of_the_input():
    # AWS docs, InputPath example: "$.dataset2" keeps only that object.
    data = {
        "comment": "Example for InputPath.",
        "dataset1": {"val1": 1, "val2": 2, "val3": 3},
        "dataset2": {"val1": "a", "val2": "b", "val3": "c"},
    }
    ex = single_state({"Type": "Pass", "InputPath": "$.dataset2"}, data=data)
    assert ex.output == {"val1": "a", "val2": "b", "val3": "c"}


def test_parameters_payload_template():
    # AWS docs, "Manipulating parameters in Step Functions workflows".
    data = {
        "comment": "Example for Parameters.",
        "product": {
            "details": {"color": "blue", "size": "small", "material": "cotton"},
            "availability": "in stock",
            "sku": "2317",
            "cost": "$23",
        },
    }
    parameters = {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"},
    }
    ex = single_state({"Type": "Pass", "Parameters": parameters}, data=data)
    assert ex.output == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
    }


HELLO_INPUT = {"comment": "This is a test of the input and output of a Task state.", "details": "Default example",
               "who": "AWS Step Functions"}


def hello(event: dict) -> str:
    return f"Hello, {event['who']}!"


def test_result_path_default_replaces_input_with_result():
    ex = single_state({"Type": "Task", "Resource": LAMBDA}, handlers={"HelloFunction": hello}, data=HELLO_INPUT)
    assert ex.output == "Hello, AWS Step Functions!"


def test_result_path_adds_result_to_input():
    ex = single_state({"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.taskresult"},
                      handlers={"HelloFunction": hello}, data=HELLO_INPUT)
    assert ex.output == {**HELLO_INPUT, "taskresult": "Hello, AWS Step Functions!"}


def test_result_path_null_discards_result():
    ex = single_state({"Type": "Task", "Resource": LAMBDA, "ResultPath": None},
                      handlers={"HelloFunction": hello}, data=HELLO_INPUT)
    assert ex.output == HELLO_INPUT


def test_result_path_creates_missing_objects():
    ex = single_state({"Type": "Pass", "Result": "Hello", "ResultPath": "$.strings.lambdaresult"},
                      data={"master": {"detail": [1, 2, 3]}})
    assert ex.output == {"master": {"detail": [1, 2, 3]}, "strings": {"lambdaresult": "Hello"}}


def test_result_selector_then_result_path():
    # AWS docs, ResultSelector example (an EMR createCluster.sync result).
    result = {
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"},
    }
    ex = single_state(
        {"Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:createCluster.sync",
         "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
         "ResultPath": "$.EMROutput"},
        handlers={"S": lambda _: result}, data={"input": 1},
    )
    assert ex.output == {"input": 1, "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}}


def test_output_path_filters_output():
    # AWS docs, OutputPath example: only the Payload of the Lambda response is passed on.
    ex = single_state(
        {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
         "Parameters": {"FunctionName": "HelloFunction", "Payload.$": "$"}, "OutputPath": "$.Payload"},
        handlers={"HelloFunction": hello}, data=HELLO_INPUT,
    )
    assert ex.output == "Hello, AWS Step Functions!"


def test_null_input_and_output_paths_give_empty_objects():
    assert single_state({"Type": "Pass", "InputPath": None}, data={"a": 1}).output == {}
    assert single_state({"Type": "Pass", "OutputPath": None}, data={"a": 1}).output == {}


def test_pass_result_with_result_path_docs_example():
    # AWS docs, Pass state example.
    ex = single_state({"Type": "Pass", "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
                       "ResultPath": "$.coords"}, data={"georefOf": "Home"})
    assert ex.output == {"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}}


def test_paths_forms_found_in_aws_samples():
    data = {"a": [{"b": 1}, {"b": 2}], "items": [10, 20, 30]}
    ex = single_state({"Type": "Pass", "Parameters": {
        "first.$": "$.a.[0].b",
        "all.$": "$.a[*].b",
        "slice.$": "$.items[0:2]",
        "filtered.$": "$.a[?(@.b > 1)]",
        "both.$": "$.a[?(@.b == 1 || @.b == 2)].b",
        "bracket.$": "$['items'][2]",
    }}, data=data)
    assert ex.output == {"first": 1, "all": [1, 2], "slice": [10, 20], "filtered": [{"b": 2}],
                         "both": [1, 2], "bracket": 30}


def test_context_object_fields():
    ex = single_state({"Type": "Pass", "Parameters": {
        "execution.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input",
        "start.$": "$$.Execution.StartTime", "state.$": "$$.State.Name", "entered.$": "$$.State.EnteredTime",
        "machine.$": "$$.StateMachine.Name", "redrives.$": "$$.Execution.RedriveCount",
    }}, data={"k": "v"})
    out = ex.output
    assert out["execution"] == ex.execution_arn
    assert out["execution"].startswith("arn:aws:states:us-east-1:123456789012:execution:StateMachine:")
    assert out["name"] == out["execution"].rsplit(":", 1)[1]
    assert out["input"] == {"k": "v"}
    assert out["start"] == "2024-01-01T00:00:00.000Z"
    assert out["state"] == "S" and out["entered"] == "2024-01-01T00:00:00.000Z"
    assert out["machine"] == "StateMachine" and out["redrives"] == 0


def test_missing_input_path_is_states_runtime_with_aws_cause():
    ex = single_state({"Type": "Pass", "InputPath": "$.missing"}, data={"a": 1})
    assert ex.status == "FAILED" and ex.error == "States.Runtime"
    assert ex.cause == ("An error occurred while executing the state 'S' (entered at the event id #2). "
                        "Invalid path '$.missing' : No results for path: $['missing']")


def test_missing_parameters_path_cause_names_the_field():
    ex = single_state({"Type": "Pass", "Parameters": {"value.$": "$.no_such_jsonpath"}}, data={"a": 1})
    assert ex.error == "States.Runtime"
    assert ex.cause.endswith("The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' "
                             "could not be found in the input '{\"a\":1}'")


def test_payload_over_256_kib_is_data_limit_exceeded():
    ex = single_state({"Type": "Pass", "Result": {"big": "a" * (256 * 1024)}}, data={})
    assert ex.status == "FAILED" and ex.error == "States.DataLimitExceeded"
    assert ex.cause == "The state/task 'S' returned a result with a size exceeding the maximum number of bytes service limit."


@pytest.mark.parametrize("expression, expected", [
    ("States.Format('Hello, {}!', $.name)", "Hello, AWS!"),
    ("States.Array($.name, 1)", ["AWS", 1]),
    ("States.MathAdd($.n, 1)", 42),
])
def test_intrinsics_in_parameters(expression, expected):
    ex = single_state({"Type": "Pass", "Parameters": {"v.$": expression}}, data={"name": "AWS", "n": 41})
    assert ex.output == {"v": expected}
