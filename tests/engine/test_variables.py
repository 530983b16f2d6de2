"""Workflow variables (Assign) in both query languages, as AWS's "Passing data between states
with variables" page describes them."""

from __future__ import annotations

import pytest

from sfnsim import StateMachine


def run(definition: dict, data: object = None, **kwargs):
    return StateMachine.from_dict(definition).run({} if data is None else data, **kwargs)


def test_jsonpath_assign_then_reference_with_dollar_name():
    ex = run({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"productName": "product1", "count": 42, "fromInput.$": "$.x"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"name.$": "$productName", "n.$": "$count", "x.$": "$fromInput"}, "End": True},
    }}, {"x": {"deep": 1}})
    assert ex.output == {"name": "product1", "n": 42, "x": {"deep": 1}}


def test_assigned_variables_appear_in_the_exited_event():
    ex = run({"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"count": 42}, "End": True}}})
    exited = ex.history[2]
    assert exited["type"] == "PassStateExited"
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"count": 42}
    assert ex.to_aws_history()["events"][2]["stateExitedEventDetails"]["assignedVariables"] == {"count": "42"}


def test_jsonata_output_and_assign_both_see_the_variables_from_before_the_state():
    # AWS: Assign and Output are evaluated together; new values are visible from the next state on.
    ex = run({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": 1}, "Next": "Bump"},
        "Bump": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}"}, "Output": {"seen": "{% $x %}"}, "Next": "After"},
        "After": {"Type": "Pass", "Output": {"seen": "{% $states.input.seen %}", "now": "{% $x %}"}, "End": True},
    }})
    assert ex.output == {"seen": 1, "now": 2}


def test_jsonata_states_input_result_and_context():
    ex = run({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "double", "Payload": {"n": "{% $states.input.n %}"}},
              "Output": {"in": "{% $states.input.n %}", "out": "{% $states.result.Payload %}",
                         "state": "{% $states.context.State.Name %}"},
              "End": True},
    }}, {"n": 21}, handlers={"double": lambda e: e["n"] * 2})
    assert ex.output == {"in": 21, "out": 42, "state": "T"}


def test_jsonata_catch_sees_error_output():
    ex = run({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled",
                         "Assign": {"failure": "{% $states.errorOutput.Error %}"},
                         "Output": {"cause": "{% $states.errorOutput.Cause %}"}}]},
        "Handled": {"Type": "Pass", "Output": {"failure": "{% $failure %}", "cause": "{% $states.input.cause %}"},
                    "End": True},
    }}, handlers={"T": lambda _: (_ for _ in ()).throw(ValueError("topic missing"))})
    assert ex.output == {"failure": "ValueError", "cause": "topic missing"}


def test_map_iteration_sees_outer_variables_and_its_assignments_stay_inside():
    ex = run({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"prefix": "item-"}, "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "Name", "States": {
            "Name": {"Type": "Pass", "Assign": {"inner": 1},
                     "Parameters": {"name.$": "States.Format('{}{}', $prefix, $)"}, "End": True}}},
              "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"names.$": "$[*].name", "prefix.$": "$prefix"}, "End": True},
    }}, [1, 2])
    assert ex.output == {"names": ["item-1", "item-2"], "prefix": "item-"}


def test_undefined_jsonata_result_is_a_query_evaluation_error_with_aws_cause():
    # Recorded on AWS (conformance corpus): an expression that yields nothing fails the field.
    ex = run({"QueryLanguage": "JSONata", "StartAt": "State0", "States": {
        "State0": {"Type": "Pass", "Output": {"result": "{% $doesNotExist %}"}, "End": True}}})
    assert ex.error == "States.QueryEvaluationError"
    assert ex.cause == ("An error occurred while executing the state 'State0' (entered at the event id #2). "
                        "The JSONata expression '$doesNotExist' specified for the field 'Output/result' "
                        "returned nothing (undefined).")
    assert [e["type"] for e in ex.history][-2:] == ["EvaluationFailed", "ExecutionFailed"]
    assert ex.history[-2]["evaluationFailedEventDetails"]["location"] == "Output/result"


def test_jsonata_choice_condition():
    sm = StateMachine.from_dict({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "Big",
                                             "Output": {"size": "big"}}], "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed", "Output": {"size": "small"}}}})
    assert sm.run({"n": 11}).output == {"size": "big"}
    assert sm.run({"n": 1}).output == {"size": "small"}


def test_assignments_over_256_kib_in_one_state_fail_it():
    blob = {"blob": "x" * (200 * 1024)}
    one = {"A": {"Type": "Pass", "Assign": {"a.$": "$.blob"}, "Next": "B"}}
    ex = run({"StartAt": "A", "States": {**one, "B": {"Type": "Pass", "End": True}}}, blob)
    assert ex.status == "SUCCEEDED"
    two = {"B": {"Type": "Pass", "Assign": {"b.$": "$.blob", "c.$": "$a"}, "End": True}}
    ex = run({"StartAt": "A", "States": {**one, **two}}, blob)
    assert (ex.status, ex.error) == ("FAILED", "States.DataLimitExceeded")


@pytest.mark.parametrize("expression", ["{% $x ?? 1 %}", "{% $x ?: 1 %}"])
def test_newer_jsonata_operators_are_rejected_when_loading(expression):
    from sfnsim import DefinitionError

    with pytest.raises(DefinitionError):
        StateMachine.from_dict({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": expression, "End": True}}})
