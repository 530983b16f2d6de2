"""Choice Rules (JSONPath mode): AWS's documented semantics and the AWS-recorded conformance cases."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pytest
from corpus import CASES, conformance_cases_for_collection, shared_path

from sfnsim.dataflow.choice import ChoiceRuleError, compile_choice_rule
from sfnsim.dataflow.timestamps import parse_timestamp
from sfnsim.dataflow.jsonpath import compile_path, compile_reference_path
from sfnsim.dataflow.scope import Scope
from sfnsim.errors import StatesError


def matches(rule: dict[str, Any], data: Any, variables: dict[str, Any] | None = None) -> bool:
    return compile_choice_rule(rule).evaluate(Scope(data, variables=variables or {}))


# ---------------------------------------------------------------------------------------------
# AWS documentation: "Choice workflow state", Choice Rules (JSONPath)
# ---------------------------------------------------------------------------------------------

# The operators AWS lists, with an operand of the right type for each.
DOCUMENTED_OPERATORS: dict[str, Any] = {
    "BooleanEquals": True,
    "StringMatches": "log-*.txt",
    **{f"Is{t}": True for t in ("Boolean", "Null", "Numeric", "Present", "String", "Timestamp")},
    **{
        f"{family}{rel}": operand
        for family, operand in (("Numeric", 1), ("String", "a"), ("Timestamp", "2001-01-01T12:00:00Z"))
        for rel in ("Equals", "GreaterThan", "GreaterThanEquals", "LessThan", "LessThanEquals")
    },
}
PATH_FORMS = [f"{name}Path" for name in DOCUMENTED_OPERATORS if not name.startswith(("Is", "StringMatches"))]


@pytest.mark.parametrize("name", list(DOCUMENTED_OPERATORS))
def test_every_documented_operator_compiles(name: str) -> None:
    compile_choice_rule({"Variable": "$.foo", name: DOCUMENTED_OPERATORS[name], "Next": "X"})


@pytest.mark.parametrize("name", PATH_FORMS)
def test_every_path_form_compiles(name: str) -> None:
    compile_choice_rule({"Variable": "$.foo", name: "$.bar", "Next": "X"})


def test_there_is_no_string_matches_path() -> None:
    # AWS lists StringMatches alone; it has no ...Path form.
    with pytest.raises(ChoiceRuleError) as err:
        compile_choice_rule({"Variable": "$.foo", "StringMatchesPath": "$.bar"})
    assert err.value.pointer == "/StringMatchesPath"


def test_documented_choice_state_example() -> None:
    # The docs' ChoiceStateX example: input {"type": "Private", "value": 22} goes to ValueInTwenties.
    choices = [
        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
        {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
        {
            "And": [
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30},
            ],
            "Next": "ValueInTwenties",
        },
    ]
    data = {"type": "Private", "value": 22}
    assert [matches(choice, data) for choice in choices] == [False, False, True]


def test_missing_variable_fails_the_execution_with_states_runtime() -> None:
    # Docs: "If the state input doesn't contain the $.type field, the execution fails".
    rule = compile_choice_rule({"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"})
    with pytest.raises(StatesError) as err:
        rule.evaluate(Scope({"value": 22}))
    assert err.value.error == "States.Runtime"
    assert err.value.cause == "Invalid path '$.type': The choice state's condition path references an invalid value."
    assert err.value.runtime  # the engine adds "An error occurred while executing the state ..."


@pytest.mark.parametrize("operator", ["IsNull", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp"])
def test_type_tests_other_than_is_present_need_the_path_to_exist(operator: str) -> None:
    with pytest.raises(StatesError, match="Invalid path '\\$.missing'"):
        matches({"Variable": "$.missing", operator: False}, {})


def test_missing_right_hand_path_names_that_path() -> None:
    with pytest.raises(StatesError) as err:
        matches({"Variable": "$.left", "NumericLessThanEqualsPath": "$.right"}, {"left": 8})
    assert err.value.cause == "Invalid path '$.right': The choice state's condition path references an invalid value."


def test_missing_workflow_variable_is_an_invalid_path() -> None:
    with pytest.raises(StatesError, match="Invalid path '\\$undefinedVariable'"):
        matches({"Variable": "$undefinedVariable", "StringEquals": "value"}, {}, {"otherVariable": "value"})


def test_is_present_guards_a_comparison_inside_and() -> None:
    # The docs' example: StringEquals is evaluated only when $.keyThatMightNotExist exists.
    rule = {
        "And": [
            {"Variable": "$.keyThatMightNotExist", "IsPresent": True},
            {"Variable": "$.keyThatMightNotExist", "StringEquals": "foo"},
        ]
    }
    assert matches(rule, {}) is False
    assert matches(rule, {"keyThatMightNotExist": "foo"}) is True


@pytest.mark.parametrize(
    ("data", "expected"),
    [({}, False), ({"a": None}, True), ({"a": {"b": 1}}, True), ({"a": []}, True), ([], False)],
)
def test_is_present(data: Any, expected: bool) -> None:
    assert matches({"Variable": "$.a", "IsPresent": True}, data) is expected
    assert matches({"Variable": "$.a", "IsPresent": False}, data) is not expected


def test_is_present_on_a_missing_intermediate_step() -> None:
    assert matches({"Variable": "$.a.b.c", "IsPresent": False}, {"a": 1}) is True
    assert matches({"Variable": "$.items[3]", "IsPresent": True}, {"items": [1, 2]}) is False


def test_a_numeric_field_never_matches_a_string_value() -> None:
    # Docs: "Step Functions doesn't attempt to match a numeric field to a string value."
    assert matches({"Variable": "$.v", "NumericEquals": 1}, {"v": "1"}) is False
    assert matches({"Variable": "$.v", "StringEquals": "1"}, {"v": 1}) is False


def test_a_timestamp_can_be_matched_by_string_equals() -> None:
    # Docs: "because timestamp fields are logically strings, ... can be matched by StringEquals".
    assert matches({"Variable": "$.t", "StringEquals": "2001-01-01T12:00:00Z"}, {"t": "2001-01-01T12:00:00Z"})


def test_booleans_are_not_numbers() -> None:
    # Recorded: IsNumeric-style confusion must not leak in; BooleanEqualsPath with 0/1 is false.
    assert matches({"Variable": "$.v", "NumericEquals": 1}, {"v": True}) is False
    assert matches({"Variable": "$.v", "NumericGreaterThan": 0}, {"v": True}) is False
    assert matches({"Variable": "$.v", "IsNumeric": True}, {"v": False}) is False
    assert matches({"Variable": "$.v", "BooleanEquals": False}, {"v": 0}) is False


def test_integers_and_floats_compare_by_value() -> None:
    # Recorded: NumericLessThanEquals 0 with Variable 0.0 goes to ConditionTrue.
    assert matches({"Variable": "$.v", "NumericEquals": 1}, {"v": 1.0}) is True
    assert matches({"Variable": "$.v", "NumericLessThanEqualsPath": "$.w"}, {"v": 0.0, "w": 0}) is True


def test_right_hand_value_of_the_wrong_type_is_false() -> None:
    assert matches({"Variable": "$.v", "NumericEqualsPath": "$.w"}, {"v": 8, "w": {"value": 8}}) is False
    assert matches({"Variable": "$.v", "StringEqualsPath": "$.w"}, {"v": "8", "w": 8}) is False
    assert matches({"Variable": "$.v", "TimestampEqualsPath": "$.w"}, {"v": "2001-01-01T12:00:00Z", "w": "x"}) is False


def test_string_ordering_follows_java_compare_to() -> None:
    # Docs point at Java's String.compareTo: UTF-16 code units. U+FF61 is 0xFF61; U+1F600 starts
    # with the surrogate 0xD83D, so in Java "\uff61" sorts after it (Python's code points disagree).
    assert matches({"Variable": "$.v", "StringGreaterThan": "\U0001f600"}, {"v": "\uff61"}) is True
    # compareTo: a proper prefix is smaller; "A" < "AB" (recorded: StringLessThan "AB" with "A" is true).
    assert matches({"Variable": "$.v", "StringLessThan": "AB"}, {"v": "A"}) is True


def test_string_matches_wildcards_and_escapes() -> None:
    # Docs: "*" is the wildcard; "\\*" (JSON) escapes it; no other character is special.
    assert matches({"Variable": "$.f", "StringMatches": "log-*.txt"}, {"f": "log-2024-01-01.txt"}) is True
    assert matches({"Variable": "$.f", "StringMatches": "log-*.txt"}, {"f": "log-.txt"}) is True
    assert matches({"Variable": "$.f", "StringMatches": "log-*.txt"}, {"f": "log.txt"}) is False
    assert matches({"Variable": "$.f", "StringMatches": "*"}, {"f": ""}) is True
    assert matches({"Variable": "$.f", "StringMatches": "a.c?"}, {"f": "abc?"}) is False  # '.' and '?' are literal
    assert matches({"Variable": "$.f", "StringMatches": "a.c?"}, {"f": "a.c?"}) is True
    assert matches({"Variable": "$.f", "StringMatches": "1\\*2"}, {"f": "1*2"}) is True
    assert matches({"Variable": "$.f", "StringMatches": "1\\*2"}, {"f": "1x2"}) is False
    assert matches({"Variable": "$.f", "StringMatches": "C:\\\\*"}, {"f": "C:\\temp"}) is True
    assert matches({"Variable": "$.f", "StringMatches": "*"}, {"f": 5}) is False


def test_timestamps_compare_as_instants() -> None:
    # RFC 3339: 13:00 at +01:00 is 12:00Z.
    assert matches({"Variable": "$.t", "TimestampEquals": "2001-01-01T12:00:00Z"}, {"t": "2001-01-01T13:00:00+01:00"})
    # Recorded: 19:00:55Z is not greater than 19:00:56Z, and is less than it.
    earlier = {"t": "2012-10-09T19:00:55Z"}
    assert matches({"Variable": "$.t", "TimestampGreaterThan": "2012-10-09T19:00:56Z"}, earlier) is False
    assert matches({"Variable": "$.t", "TimestampLessThan": "2012-10-09T19:00:56Z"}, earlier) is True
    # Fractional seconds count (Wait accepts nanosecond timestamps on AWS, recorded).
    one_nanosecond_later = {"Variable": "$.t", "TimestampLessThan": "2016-03-05T21:29:29.243167253Z"}
    assert matches(one_nanosecond_later, {"t": "2016-03-05T21:29:29.243167252Z"})


@pytest.mark.parametrize(
    "text",
    [
        "2016-03-14T01:59:00Z",
        "2012-10-09T19:00:55+01:00",
        "2016-03-05T21:29:29.243167252Z",
        "2024-02-29T23:59:59-08:00",
    ],
)
def test_is_timestamp_accepts_rfc3339(text: str) -> None:
    assert matches({"Variable": "$.t", "IsTimestamp": True}, {"t": text}) is True


@pytest.mark.parametrize(
    "text",
    [
        "2012-10-09T19:00:55",  # no offset (recorded Wait: rejected)
        "2023-02-24",
        "05-12-2016T21:29:29Z",  # recorded Wait: rejected
        "2016-12-05T25:29:29Z",  # recorded Wait: rejected
        "2016-02-30T00:00:00Z",
        "2016-03-14t01:59:00Z",  # docs: uppercase T
        "2016-03-14T01:59:00z",  # docs: uppercase Z
        "2016-03-14T01:59Z",  # docs: RFC 3339 date-time, whose seconds are required
        "2016-03-14T01:59:00+18:30",  # beyond the ±18:00 offsets of the parser AWS's causes name
        "HelloWorld",
    ],
)
def test_is_timestamp_rejects(text: str) -> None:
    assert parse_timestamp(text) is None
    assert matches({"Variable": "$.t", "IsTimestamp": True}, {"t": text}) is False


def test_combinators_nest() -> None:
    rule = {
        "Or": [
            {"Variable": "$.n", "NumericLessThan": 0},
            {"And": [{"Variable": "$.n", "IsNumeric": True}, {"Not": {"Variable": "$.n", "NumericLessThan": 100}}]},
        ]
    }
    assert [matches(rule, {"n": n}) for n in (-1, 50, 100)] == [True, False, True]


def test_or_short_circuits_before_a_missing_path() -> None:
    rule = {"Or": [{"Variable": "$.a", "IsPresent": False}, {"Variable": "$.a", "NumericEquals": 1}]}
    assert matches(rule, {}) is True


def test_context_object_and_variables_as_operands() -> None:
    scope = Scope({"n": 3}, context={"Execution": {"Input": {"limit": 3}}}, variables={"max": 5})
    assert compile_choice_rule({"Variable": "$.n", "NumericEqualsPath": "$$.Execution.Input.limit"}).evaluate(scope)
    assert compile_choice_rule({"Variable": "$max", "NumericGreaterThanPath": "$.n"}).evaluate(scope)


# ---------------------------------------------------------------------------------------------
# Malformed rules: precise location and message
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "pointer", "fragment"),
    [
        (
            {"And": [{"Variable": "$.a", "IsNull": True}, {"Variable": "$.a", "NumericEquals": "1"}]},
            "/And/1/NumericEquals",
            "must be a number",
        ),
        ({"Variable": "$.a", "NumericEqual": 1}, "/NumericEqual", "did you mean 'NumericEquals'"),
        ({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1}, "/NumericEquals", "exactly one"),
        ({"Variable": "$.a"}, "", "comparison operator"),
        ({"StringEquals": "x"}, "", "'Variable'"),
        ({"Variable": "$.a[*]", "IsNull": True}, "/Variable", "Reference Path"),
        ({"Variable": "a", "IsNull": True}, "/Variable", "not a valid path"),
        ({"Variable": "$.a", "NumericEqualsPath": 3}, "/NumericEqualsPath", "Reference Path"),
        ({"Variable": "$.a", "IsNull": "true"}, "/IsNull", "true or false"),
        ({"Variable": "$.a", "BooleanEquals": 1}, "/BooleanEquals", "must be a boolean"),
        ({"Variable": "$.a", "NumericEquals": True}, "/NumericEquals", "must be a number"),
        ({"Variable": "$.a", "TimestampEquals": "2020-01-01"}, "/TimestampEquals", "timestamp"),
        ({"And": []}, "/And", "non-empty array"),
        ({"Or": {"Variable": "$.a", "IsNull": True}}, "/Or", "non-empty array"),
        ({"Not": {"Variable": "$.a", "IsNull": True, "Next": "X"}}, "/Not/Next", "top-level"),
        ({"Not": [{"Variable": "$.a", "IsNull": True}]}, "/Not", "must be an object"),
        ({"And": [{"Variable": "$.a", "IsNull": True}], "Variable": "$.a"}, "/Variable", "only operator"),
        ({"Condition": "{% true %}"}, "/Condition", "JSONata"),
    ],
)
def test_malformed_rules_are_located(rule: dict[str, Any], pointer: str, fragment: str) -> None:
    with pytest.raises(ChoiceRuleError) as err:
        compile_choice_rule({**rule, "Next": "X"})
    assert err.value.pointer == pointer
    assert fragment in err.value.message


def test_top_level_fields_are_ignored() -> None:
    rule = {"Variable": "$.a", "IsNull": True, "Next": "X", "Assign": {"v": 1}, "Output": {}, "Comment": "c"}
    assert compile_choice_rule(rule).evaluate(Scope({"a": None})) is True


# ---------------------------------------------------------------------------------------------
# AWS-recorded conformance cases whose machines use only Pass/Choice/Succeed/Fail
# ---------------------------------------------------------------------------------------------

_SIMPLE_STATES = {"Pass", "Choice", "Succeed", "Fail"}


@lru_cache(maxsize=1)
def _choice_cases() -> list[dict[str, Any]]:
    return [
        c
        for c in conformance_cases_for_collection()
        if any(f.startswith("Choice:") or f == "state:Choice" for f in c["features"])
        and {s.get("Type") for s in c["definition"]["States"].values()} <= _SIMPLE_STATES
    ]


def _is_jsonpath(definition: dict[str, Any]) -> bool:
    languages = {definition.get("QueryLanguage", "JSONPath")}
    languages |= {s.get("QueryLanguage", "JSONPath") for s in definition["States"].values()}
    return languages == {"JSONPath"}


def _params(jsonpath_only: bool) -> list[Any]:
    cases = [c for c in _choice_cases() if _is_jsonpath(c["definition"]) or not jsonpath_only]
    return [pytest.param(c, id=c["id"].split("::", 1)[1]) for c in cases] or [pytest.param(None, id="corpus")]


def _template(value: Any, scope: Scope) -> Any:
    """Enough of payload templates for these machines: ``"key.$": path`` fields, recursively."""
    if not isinstance(value, dict):
        return value
    return {
        k[:-2] if k.endswith(".$") else k: compile_path(v).resolve(scope) if k.endswith(".$") else _template(v, scope)
        for k, v in value.items()
    }


def _run_simple_machine(definition: dict[str, Any], data: Any) -> dict[str, Any]:
    """A deliberately tiny interpreter: just enough to watch the Choice decisions end to end."""
    states, name, variables = definition["States"], definition["StartAt"], {}
    for _ in range(1000):
        state = states[name]
        scope = Scope(data, variables=dict(variables))
        kind = state["Type"]
        if kind == "Fail":
            return {"status": "FAILED", "error": state.get("Error"), "cause": state.get("Cause")}
        if kind == "Succeed":
            return {"status": "SUCCEEDED", "output": data}
        if kind == "Choice":
            try:
                chosen = next((c for c in state["Choices"] if compile_choice_rule(c).evaluate(scope)), None)
            except StatesError as exc:
                return {"status": "FAILED", "error": exc.error, "cause": exc.cause}
            taken = chosen or {"Assign": state.get("Assign"), "Next": state.get("Default")}
            assign, name = taken.get("Assign"), taken["Next"]
            variables.update(_template(assign or {}, scope))
            if name is None:
                return {"status": "FAILED", "error": "States.NoChoiceMatched"}
            continue
        result = state["Result"] if "Result" in state else _template(state.get("Parameters", data), scope)
        data = compile_reference_path(state.get("ResultPath", "$")).assign(data, result)
        if state.get("End"):
            return {"status": "SUCCEEDED", "output": data}
        name = state["Next"]
    raise AssertionError("the machine did not stop")


def _assert_outcome(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual["status"] == expected["status"]
    if expected["status"] == "SUCCEEDED":
        assert actual["output"] == expected["output"]
    else:
        assert actual["error"] == expected.get("error")


@pytest.mark.parametrize("case", _params(jsonpath_only=True))
def test_recorded_choice_cases(case: dict[str, Any] | None) -> None:
    if case is None:
        shared_path(*CASES)  # the corpus is missing: skip, or fail on CI
    _assert_outcome(_run_simple_machine(case["definition"], case["input"]), case["expected"])


def _state_machine_class() -> Any:
    try:
        from sfnsim import StateMachine  # type: ignore[attr-defined]
    except ImportError as exc:
        pytest.skip(f"sfnsim.StateMachine is not available yet ({exc}); the Choice rules are checked above")
    return StateMachine


@pytest.mark.parametrize("case", _params(jsonpath_only=False))
def test_recorded_choice_cases_end_to_end(case: dict[str, Any] | None) -> None:
    state_machine = _state_machine_class()
    if case is None:
        shared_path(*CASES)  # the corpus is missing: skip, or fail on CI
    execution = state_machine.from_dict(case["definition"]).run(case["input"])
    actual = {"status": execution.status, "output": execution.output, "error": execution.error}
    _assert_outcome(actual, case["expected"])
