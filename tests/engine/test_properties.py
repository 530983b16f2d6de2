"""Property: whatever definition and input it is given, sfnsim ends in an AWS-shaped outcome or a
named sfnsim error (issue #16). Hypothesis generates small machines from ASL's parts, with hostile
values mixed in, and inputs of every JSON shape; a fixed seed and a bounded number of examples keep
the test reproducible and to a few seconds. benchmarks/fuzz.py runs the long version.

An AWS-shaped outcome: a status AWS reports; a FAILED execution's error is text (or none); the
history's ids count up from 1, each ``previousEventId`` points back, and the last event is the one
the status implies; the whole history is JSON text as get-execution-history prints it.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

from sfnsim import StateMachine, TaskFailed
from sfnsim.errors import SfnSimError

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"
NAMES = ["A", "B", "C", "D"]
CLOSING_EVENT = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed",
                 "TIMED_OUT": "ExecutionTimedOut", "ABORTED": "ExecutionAborted"}

json_scalars = st.none() | st.booleans() | st.integers(-10 ** 20, 10 ** 20) | \
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
# Values a careless or hostile author writes where a field's value goes.
hostile = st.sampled_from([
    None, -1, 0, 1.5, 99999999, 10 ** 19, 1e300, "", "$", "$.x", "$..x", "$$.Execution.Input", "$.x[0]",
    "{% $x %}", "{% $states.input.x %}", "{% $sum([1..1000000]) %}", "{% ($f := function($n){ $f($n) }; $f(1)) %}",
    "States.Format('{}', $.x)", "States.ArrayRange(1, 2000000, 1)", "9999-12-31T23:59:59-14:00",
    "2024-01-01T00:00:00Z", [], {}, ["States.ALL"], {"x": 1}, "\u202e",
]) | json_values
plain_waits = st.sampled_from([("Seconds", 5), ("Seconds", 99999999), ("SecondsPath", "$.n"),
                               ("Timestamp", "2030-01-01T00:00:00Z"), ("TimestampPath", "$.t")])


@st.composite
def states(draw: Any, index: int, count: int, jsonata: bool) -> dict[str, Any]:
    """The state at ``index``: it goes on to the next one (or ends, when last), sometimes back to
    an earlier one (a loop), so most generated machines are valid and run."""
    names = NAMES[:count]
    following = names[index + 1] if index + 1 < count else None
    targets = st.sampled_from(names + ["Nowhere"]) if draw(st.integers(0, 9)) == 0 else st.sampled_from(names)
    kind = draw(st.sampled_from(["Pass", "Wait", "Choice", "Task", "Succeed", "Fail", "Parallel", "Map"]))
    if kind == "Choice" and (following is None or jsonata) or kind in ("Succeed", "Fail") and following:
        kind = "Pass"  # a Choice needs somewhere to go; an early Succeed leaves the rest unreachable
    state: dict[str, Any] = {"Type": kind}
    if kind == "Choice":
        state["Choices"] = [{"Variable": draw(st.sampled_from(["$.x", "$.n", "$"])),
                             draw(st.sampled_from(["IsPresent", "NumericGreaterThan", "StringEquals"])): draw(
                                 st.sampled_from([True, False, 3, "a"]) | hostile),
                             "Next": draw(targets)}]
        state["Default"] = following
    elif kind not in ("Succeed", "Fail"):
        if following is None:
            state["End"] = True
        else:
            state["Next"] = following if draw(st.integers(0, 4)) else draw(targets)
    if kind == "Wait":
        field, value = draw(plain_waits)
        state[field] = draw(st.just(value) | hostile)
    if kind == "Task":
        state["Resource"] = LAMBDA
        if draw(st.booleans()):
            state["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": draw(st.sampled_from([1, 3, 99999999]))}]
    if kind in ("Parallel", "Map"):
        inner = {"StartAt": f"In{index}", "States": {f"In{index}": {"Type": "Pass", "End": True}}}
        state["Branches" if kind == "Parallel" else "ItemProcessor"] = [inner] if kind == "Parallel" else inner
    if kind in ("Task", "Parallel", "Map") and draw(st.booleans()):
        state["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": draw(targets)}]
    if kind == "Fail" and draw(st.booleans()):
        state["Error"], state["Cause"] = "Custom.Failure", draw(st.text(max_size=8))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # a field set to something odd, or one that should not be there
        fields = ["Output", "Arguments", "Assign"] if jsonata else ["InputPath", "OutputPath", "ResultPath", "Parameters"]
        state[draw(st.sampled_from([*fields, "Result", "ItemsPath", "TimeoutSeconds", "Comment", "type"]))] = draw(hostile)
    return state


@st.composite
def machines(draw: Any) -> dict[str, Any]:
    count = draw(st.integers(1, len(NAMES)))
    jsonata = draw(st.integers(0, 3)) == 0
    definition: dict[str, Any] = {"StartAt": "A", "States": {
        name: draw(states(index, count, jsonata)) for index, name in enumerate(NAMES[:count])}}
    if jsonata:
        definition["QueryLanguage"] = "JSONata"
    return definition


def handler_for(behaviour: str) -> Any:
    def handler(payload: Any) -> Any:
        if behaviour == "fail":
            raise TaskFailed("Custom.Error", "on purpose")
        if behaviour == "crash":
            raise ZeroDivisionError("oops")
        if behaviour == "set":
            return {1, 2}
        return payload

    return handler


def assert_aws_shaped(execution: Any) -> None:
    assert execution.status in {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "RUNNING"}
    history = execution.history
    assert [event["id"] for event in history] == list(range(1, len(history) + 1))
    assert len(history) <= 25_000
    assert all(0 <= event["previousEventId"] < event["id"] for event in history)
    if execution.status != "RUNNING":
        assert history[-1]["type"] == CLOSING_EVENT[execution.status]
    if execution.status == "FAILED":
        assert execution.error is None or isinstance(execution.error, str)
    json.dumps(execution.to_aws_history(), allow_nan=False)


@seed(16)
@settings(max_examples=300, deadline=None, database=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(definition=machines(), execution_input=st.fixed_dictionaries({"x": json_scalars, "n": st.integers(-5, 10 ** 19),
                                              "t": st.sampled_from(["2030-01-01T00:00:00Z", "x"])}) | json_values | hostile,
       behaviour=st.sampled_from(["echo", "echo", "fail", "crash", "set"]))
def test_every_run_ends_aws_shaped_or_in_a_named_error(definition: dict[str, Any], execution_input: Any,
                                                       behaviour: str) -> None:
    try:
        machine = StateMachine.from_dict(definition)
        execution = machine.run(execution_input, handlers={name: handler_for(behaviour) for name in NAMES})
    except SfnSimError as error:
        assert str(error)  # named, and says something
        event(type(error).__name__)
        return
    event(execution.status)
    assert_aws_shaped(execution)
