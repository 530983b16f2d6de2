"""The fidelity runner: placeholder matching, case judging, task replay, reporting, CLI, ratchet.

Expected values come from the corpus README's rules and from the AWS recording itself.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from corpus import CASES, conformance_case, shared_path

from sfnsim.conformance import runner
from sfnsim.conformance.cases import CorpusError, load_cases, select_cases
from sfnsim.conformance.cli import conformance_command
from sfnsim.conformance.compare import compare_case, normalise_parallel_events
from sfnsim.conformance.placeholders import WHOLE_VALUE_TOKENS, Matcher
from sfnsim.conformance.ratchet import (
    RATCHET_FILE,
    check_ratchet,
    load_ratchet,
    write_ratchet,
)
from sfnsim.conformance.replay import NO_RESULT_ERROR, TaskReplay, task_state_names
from sfnsim.conformance.report import ALL, Report
from sfnsim.errors import DefinitionError, Problem, UnsupportedFeatureError
from sfnsim.tasks.outcomes import TaskResponse


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    """The public corpus as the runner reads it (through load_cases)."""
    return load_cases(shared_path(*CASES))


# ---------------------------------------------------------------- placeholders (README rule 4)

ARN = "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>"


@pytest.mark.parametrize(
    ("expected", "actual", "agrees"),
    [
        ("<uuid:1>", "0d4c3c5e-8c1a-4d3e-9f53-5a4f3d2b1c0a", True),
        ("<uuid:1>", "anything at all", True),
        ("id-<uuid:1>", "id-42", True),
        ("id-<uuid:1>", "key-42", False),  # the text around a token is literal
        ("<<task_token>:1>", "AQB8AAAAKgAAAAMAAAAA", True),
        (ARN, "arn:aws:states:us-east-1:123456789012:execution:Machine:run-1", True),
        (ARN, "arn:aws:states:us-east-1:12345678901:execution:Machine:run-1", False),  # 11 digits
        (ARN, "arn:aws:lambda:us-east-1:123456789012:execution:Machine:run-1", False),
        ("111111111111", "000000000000", True),
        ("111111111111", "0000000000001", False),
        ("date", "2024-03-17T11:09:25.123Z", True),
        ("date", "2024-03-17T11:09:25+00:00", True),
        ("date", "last Tuesday", False),
        ("on date", "on 2024-03-17T11:09:25Z", False),  # `date` is a whole-value token only
        ("snf_role_arn", "arn:aws:iam::123456789012:role/sfn", True),
        ("role snf_role_arn", "role arn:aws:iam::123456789012:role/sfn", False),
        ("timestamp", 1710673765000, True),
        ("HelloWorld", "HelloWorld", True),
        ("HelloWorld", "Hello World", False),
        ("a < b and c > d", "a < x and c > d", False),  # not a token: has spaces
    ],
)
def test_placeholders_are_wildcards_and_nothing_else(expected: str, actual: Any, agrees: bool) -> None:
    assert Matcher().matches(expected, actual) is agrees


def test_case_placeholders_match_anywhere_in_a_string() -> None:
    assert Matcher(["bucket-name"]).matches("s3://bucket-name/file.csv", "s3://my-bucket-7f3a/file.csv")
    assert not Matcher().matches("s3://bucket-name/file.csv", "s3://my-bucket-7f3a/file.csv")


def test_case_placeholders_with_tokens_keep_their_literal_text() -> None:
    matcher = Matcher(['\\"requestId\\":<request-id>\\"'])
    assert matcher.matches('x \\"requestId\\":<request-id>\\" y', 'x \\"requestId\\":abc\\" y')
    assert not matcher.matches('x \\"requestId\\":<request-id>\\" y', "something else")


@pytest.mark.parametrize(
    ("expected", "actual", "where"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, "$: unexpected 'b'"),
        ({"a": 1, "b": 2}, {"a": 1}, "$: missing 'b'"),
        ([1, 2], [1, 2, 3], "$: expected 2 items, got 3"),
        ({"n": 1}, {"n": 1.0}, "$.n: expected 1 (integer), got 1.0 (float)"),
        ({"n": [True]}, {"n": [1]}, "$.n[0]: expected true (boolean), got 1 (integer)"),
        ({"n": None}, {"n": "null"}, '$.n: expected null (null), got "null" (string)'),
        ({"a": [{"b": "x"}]}, {"a": [{"b": "y"}]}, '$.a[0].b: expected "x" (string), got "y" (string)'),
    ],
)
def test_mismatch_says_where_values_differ(expected: Any, actual: Any, where: str) -> None:
    assert Matcher().mismatch(expected, actual) == where


def test_a_cause_recorded_as_an_object_is_compared_with_the_parsed_actual_cause() -> None:
    recorded = {"errorMessage": "boom", "errorType": "Exception", "requestId": "<uuid:1>"}
    matcher = Matcher()
    assert matcher.cause_mismatch(recorded, '{"errorMessage":"boom","errorType":"Exception","requestId":"r-1"}') is None
    assert matcher.cause_mismatch(recorded, '{"errorMessage":"bang","errorType":"Exception","requestId":"r-1"}')
    assert matcher.cause_mismatch(recorded, "boom") == 'cause: expected a JSON cause, got "boom" (string)'


# ---------------------------------------------------------------- judging a case (README rules 1-3)

def ev(event_id: Any, previous: int, event_type: str, **details: Any) -> dict:
    return {"id": event_id, "previousEventId": previous, "type": event_type, **details}


PASS_EVENTS = [
    ev(1, 0, "ExecutionStarted", executionStartedEventDetails={"input": {}, "roleArn": "snf_role_arn"}),
    ev(2, 0, "PassStateEntered", stateEnteredEventDetails={"name": "P", "input": {}}),
    ev(3, 2, "PassStateExited", stateExitedEventDetails={"name": "P", "output": {"id": "<uuid:1>"}}),
    ev(4, 3, "ExecutionSucceeded", executionSucceededEventDetails={"output": {"id": "<uuid:1>"}}),
]


def make_case(expected: dict, events: list | None = None, **extra: Any) -> dict:
    return {"id": "t::case", "definition": {}, "input": {}, "expected": expected, "events": events,
            "features": ["state:Pass"], "class": "pure", **extra}


def actual_run(status: str = "SUCCEEDED", output: Any = None, error: str | None = None,
               cause: str | None = None, events: list | None = None) -> dict:
    return {"status": status, "output": output, "error": error, "cause": cause, "events": events, "problem": None}


def concrete_events() -> list[dict]:
    text = json.dumps(PASS_EVENTS).replace("<uuid:1>", "f00d").replace("snf_role_arn", "arn:aws:iam::1:role/r")
    events = json.loads(text)
    for event in events:
        event["timestamp"] = "2024-01-01T00:00:00+00:00"  # the recording has none; it is ignored
    return events


def test_a_faithful_run_passes_with_placeholders_as_wildcards() -> None:
    case = make_case({"status": "SUCCEEDED", "output": {"id": "<uuid:1>"}}, PASS_EVENTS)
    result = compare_case(case, actual_run(output={"id": "f00d"}, events=concrete_events()))
    assert result.passed, result.detail
    assert result.checks == {"status": True, "result": True, "cause": None, "events": True, "details": True}


def test_status_is_judged_first() -> None:
    case = make_case({"status": "SUCCEEDED", "output": {}})
    result = compare_case(case, actual_run("FAILED", error="States.Runtime", cause="boom"))
    assert not result.passed
    assert result.reason == "status: expected SUCCEEDED, got FAILED"
    assert result.detail == "States.Runtime: boom"


def test_output_must_match_for_succeeded() -> None:
    result = compare_case(make_case({"status": "SUCCEEDED", "output": {"a": 1}}), actual_run(output={"a": 2}))
    assert (result.passed, result.reason) == (False, "output differs")
    assert result.detail == "$.a: expected 1 (integer), got 2 (integer)"


def test_failed_cases_compare_the_error_exactly_and_report_the_cause_separately() -> None:
    case = make_case({"status": "FAILED", "error": "States.Runtime", "cause": "exact text"})
    other_cause = compare_case(case, actual_run("FAILED", error="States.Runtime", cause="other text"))
    assert other_cause.passed and other_cause.checks["cause"] is False
    other_error = compare_case(case, actual_run("FAILED", error="States.TaskFailed", cause="exact text"))
    assert not other_error.passed
    assert other_error.reason == "error: expected 'States.Runtime', got 'States.TaskFailed'"


def test_a_recorded_failure_without_error_needs_none() -> None:
    # The corpus records a Fail state without Error as FAILED with no error at all.
    case = make_case({"status": "FAILED"})
    assert compare_case(case, actual_run("FAILED")).passed
    assert not compare_case(case, actual_run("FAILED", error="States.Fail")).passed


def test_event_types_decide_but_event_details_are_reported_separately() -> None:
    case = make_case({"status": "SUCCEEDED", "output": {"id": "<uuid:1>"}}, PASS_EVENTS)
    other_details = concrete_events()
    other_details[1]["stateEnteredEventDetails"]["name"] = "Q"
    result = compare_case(case, actual_run(output={"id": "x"}, events=other_details))
    assert result.passed and result.checks["details"] is False

    other_types = concrete_events()
    other_types[2]["type"] = "PassStateFailed"
    result = compare_case(case, actual_run(output={"id": "x"}, events=other_types))
    assert not result.passed
    assert result.reason == "event types: expected PassStateExited where we emit PassStateFailed"
    assert result.detail.endswith("(event #3)")

    result = compare_case(case, actual_run(output={"id": "x"}, events=concrete_events()[:3]))
    assert result.reason == "event types: history ends early: missing ExecutionSucceeded"


def test_a_case_that_could_not_run_fails_with_its_reason() -> None:
    case = make_case({"status": "SUCCEEDED", "output": {}})
    result = compare_case(case, runner._not_run("unsupported: JSONata function $foo"))
    assert not result.passed
    assert result.reason == "unsupported: JSONata function $foo"


def test_needs_service_cases_are_reported_failed_never_skipped() -> None:
    case = conformance_case("TestExpressSync::test_catch::")
    result = compare_case(case, runner.run_case(case))
    assert not result.passed
    assert result.reason == "needs-service: tasks_without_recorded_history"


# The nested Parallel case as recorded (ids and types), after LocalStack's normalisation lost
# three of its twelve events.
RECORDED_NESTED_PARALLEL = [
    (1, "ExecutionStarted"), (2, "ParallelStateEntered"), (3, "ParallelStateStarted"),
    ([0], "ParallelStateEntered"), (5, "ParallelStateStarted"), ([0], "PassStateEntered"),
    ([0], "PassStateExited"), (11, "ParallelStateExited"), (12, "ExecutionSucceeded"),
]
# The same execution as AWS emits it (AWS's Parallel events: Entered, Started, the branches,
# Succeeded, Exited).
FULL_NESTED_PARALLEL = [
    "ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "ParallelStateEntered",
    "ParallelStateStarted", "PassStateEntered", "PassStateExited", "ParallelStateSucceeded",
    "ParallelStateExited", "ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded",
]


def full_parallel_history() -> list[dict]:
    return [ev(i, i - 1 if i > 1 else 0, t) for i, t in enumerate(FULL_NESTED_PARALLEL, 1)]


def test_parallel_normalisation_reproduces_the_recording() -> None:
    normalised = normalise_parallel_events(full_parallel_history())
    assert [(e["id"], e["type"]) for e in normalised] == RECORDED_NESTED_PARALLEL


def test_sorted_parallel_events_compare_as_a_multiset() -> None:
    case = conformance_case("test_parallel_state_nested::")
    assert case["flags"]["events_parallel_normalised"]
    events = full_parallel_history()
    events[5], events[6] = events[6], events[5]  # branch events in another order
    actual = actual_run(output=[[[[1, 2, 3], [4, 5, 6]]]], events=events)
    result = compare_case(case, actual)
    assert result.passed, result.detail
    events[10]["type"] = "ParallelStateFailed"
    assert not compare_case(case, actual_run(output=actual["output"], events=events)).passed


def concretise(value: Any) -> Any:
    """A recorded value with every placeholder replaced by a plausible concrete value."""
    if isinstance(value, dict):
        return {k: concretise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [concretise(v) for v in value]
    if not isinstance(value, str):
        return value
    if value == "date":
        return "2024-05-06T07:08:09.123Z"
    if value == "generated-uuid":
        return "12345678-1234-1234-1234-123456789abc"
    if value in WHOLE_VALUE_TOKENS:
        return "concrete"
    value = re.sub(r"<(?:[^<>\s]|<[^<>\s]*>)+>", "Zq9", value)
    return re.sub(r"(?<!\d)111111111111(?!\d)", "987654321098", value)


def recorded_as_actual(case: dict) -> dict:
    expected = case["expected"]
    cause = expected.get("cause")
    events = concretise(case["events"])
    for event in events or []:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details.get("cause"), dict):
                details["cause"] = json.dumps(details["cause"])
    return actual_run(expected["status"], concretise(expected.get("output")), expected.get("error"),
                      json.dumps(concretise(cause)) if isinstance(cause, dict) else concretise(cause), events)


def test_the_recording_itself_passes_every_case(corpus: list[dict]) -> None:
    for case in corpus:
        result = compare_case(case, recorded_as_actual(case))
        assert result.passed, (case["id"], result.reason, result.detail)
        assert result.checks["cause"] in (True, None) and result.checks["details"] in (True, None), case["id"]


# ---------------------------------------------------------------- task replay

LAMBDA_TASK = {"state": "Invoke", "kind": "task", "resource": "invoke", "resourceType": "lambda"}


def test_tasks_are_answered_per_state_in_recorded_order() -> None:
    replay = TaskReplay([
        {**LAMBDA_TASK, "outcome": "failed", "attempt": 0, "parameters": {"x": 1}, "error": "E", "cause": "c"},
        {**LAMBDA_TASK, "outcome": "succeeded", "attempt": 1, "parameters": {"x": 1}, "output": {"Payload": 7}},
    ], Matcher())
    handler = replay.handlers(["Invoke"])["Invoke"]
    assert handler({"x": 1}, SimpleNamespace(attempt=0)) == TaskResponse(error="E", cause="c")
    assert handler({"x": 1}, SimpleNamespace(attempt=1)) == TaskResponse(value={"Payload": 7}, raw=True)
    third = handler({"x": 1}, SimpleNamespace(attempt=2))
    assert third.error == NO_RESULT_ERROR
    assert replay.misses == ["state 'Invoke' asked for a task result (3rd call, attempt 2) that was not recorded"]


def test_map_iterations_are_matched_on_parameters_first() -> None:
    replay = TaskReplay([
        {**LAMBDA_TASK, "outcome": "succeeded", "parameters": {"Payload": {"item": "a-<uuid:1>"}}, "output": "first"},
        {**LAMBDA_TASK, "outcome": "succeeded", "parameters": {"Payload": {"item": "b"}}, "output": "second"},
    ], Matcher())
    assert replay.answer("Invoke", {"Payload": {"item": "b"}}).value == "second"
    assert replay.answer("Invoke", {"Payload": {"item": "a-1f"}}).value == "first"


def test_callback_and_timeout_outcomes() -> None:
    submitted = {"MessageId": "<uuid:1>"}
    replay = TaskReplay([
        {**LAMBDA_TASK, "outcome": "succeeded", "parameters": {}, "output": {"ok": 1}, "submitted_output": submitted},
        {**LAMBDA_TASK, "outcome": "timed_out", "parameters": {}, "submitted_output": submitted},
        {**LAMBDA_TASK, "outcome": "pending", "parameters": {}},
    ], Matcher())
    assert replay.answer("Invoke", {}) == TaskResponse(value={"ok": 1}, raw=True, submitted=submitted)
    assert replay.answer("Invoke", {}) == TaskResponse(duration=math.inf, submitted=submitted)
    assert replay.answer("Invoke", {}) == TaskResponse(duration=math.inf)


@pytest.mark.parametrize(
    "id_part",
    [
        "TestTaskServiceLambda::test_raise_exception_catch_output_path[None]",  # lambda:invoke: compact
        "TestTaskLambda::test_no_such_function_catch",  # Lambda ARN: the runtime's spaced text
    ],
)
def test_a_replayed_json_cause_has_the_text_aws_reported(id_part: str) -> None:
    case = conformance_case(id_part)
    [entry] = case["task_results"]
    output = case["expected"]["output"]
    caught = output.get("InputValue", output)["Cause"]  # what a Catch saw on AWS
    assert TaskReplay([entry], Matcher()).answer(entry["state"], entry["parameters"]).cause == caught


def test_task_states_are_found_in_branches_and_map_bodies() -> None:
    definition = {"States": {
        "A": {"Type": "Task"},
        "P": {"Type": "Parallel", "Branches": [{"States": {"B": {"Type": "Task"}, "W": {"Type": "Wait"}}}]},
        "M": {"Type": "Map", "ItemProcessor": {"States": {"C": {"Type": "Task"}}}},
        "L": {"Type": "Map", "Iterator": {"States": {"D": {"Type": "Task"}}}},
    }}
    assert task_state_names(definition) == ["A", "B", "C", "D"]


# ---------------------------------------------------------------- run_case with a stand-in engine

class FakeExecution:
    def __init__(self, status: str, output: Any = None, error: str | None = None, cause: str | None = None,
                 history: list | None = None) -> None:
        self.status, self.output, self.error, self.cause, self.history = status, output, error, cause, history or []


class FakeMachine:
    """Calls the Task handler like the engine's contract says and echoes what it got."""

    behaviour: Any = None

    @classmethod
    def from_dict(cls, definition: dict, name: str = "StateMachine") -> FakeMachine:
        return cls()

    def run(self, input: Any, handlers: dict, seed: int, s3_objects: dict) -> FakeExecution:
        if FakeMachine.behaviour:
            FakeMachine.behaviour()
        response = handlers["Invoke"](input, SimpleNamespace(state_name="Invoke", attempt=0))
        stamp = datetime(2024, 1, 1, tzinfo=timezone.utc)
        return FakeExecution("SUCCEEDED", {"result": response.value, "s3": sorted(s3_objects)},
                             history=[{"id": 1, "type": "ExecutionStarted", "timestamp": stamp}])


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> type[FakeMachine]:
    FakeMachine.behaviour = None
    monkeypatch.setattr(runner, "_load_engine", lambda: FakeMachine)
    return FakeMachine


TASK_CASE = make_case(
    {"status": "SUCCEEDED", "output": {}},
    definition={"StartAt": "Invoke", "States": {"Invoke": {"Type": "Task", "Resource": "r", "End": True}}},
    input={"x": 1},
    task_results=[{**LAMBDA_TASK, "outcome": "succeeded", "parameters": {"x": 1}, "output": {"Payload": 3}}],
    resources={"s3_objects": [{"bucket": "b", "key": "k.csv", "body": "a,b\n"}]},
)


def test_run_case_replays_tasks_and_returns_aws_shaped_results(fake_engine: type[FakeMachine]) -> None:
    assert runner.run_case(TASK_CASE) == {
        "status": "SUCCEEDED", "output": {"result": {"Payload": 3}, "s3": [["b", "k.csv"]]},
        "error": None, "cause": None, "problem": None,
        "events": [{"id": 1, "type": "ExecutionStarted", "timestamp": "2024-01-01T00:00:00+00:00"}],
    }


@pytest.mark.parametrize(
    ("raised", "problem"),
    [
        (UnsupportedFeatureError("ItemBatcher is not simulated"), "unsupported: ItemBatcher is not simulated"),
        (DefinitionError([Problem("/States/A", "unknown field 'Foo'")]),
         "definition rejected: unknown field 'Foo' (at /States/A)"),
    ],
)
def test_run_case_reports_what_the_engine_cannot_do(
    fake_engine: type[FakeMachine], raised: Exception, problem: str
) -> None:
    def fail() -> None:
        raise raised

    fake_engine.behaviour = fail
    assert runner.run_case(TASK_CASE)["problem"] == problem


def test_run_case_reports_an_engine_crash_with_its_place(fake_engine: type[FakeMachine]) -> None:
    fake_engine.behaviour = lambda: {}["missing"]
    problem = runner.run_case(TASK_CASE)["problem"]
    assert problem.startswith("internal error: KeyError: 'missing' [test_conformance.py:")
    result = compare_case(TASK_CASE, runner.run_case(TASK_CASE))
    assert re.fullmatch(r"internal error: KeyError at test_conformance\.py:\d+ in <lambda>", result.reason)


def test_run_case_interrupts_a_hung_engine(fake_engine: type[FakeMachine]) -> None:
    def hang() -> None:
        while True:
            pass

    fake_engine.behaviour = hang
    assert runner.run_case(TASK_CASE, timeout=0.05)["problem"] == "timeout: the engine did not finish within 0.05 s"


def test_run_case_without_engine_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise ImportError("cannot import name 'StateMachine'")

    monkeypatch.setattr(runner, "_load_engine", missing)
    assert runner.run_case(TASK_CASE)["problem"] == "engine unavailable: cannot import name 'StateMachine'"


def test_test_actions_without_engine_support_are_reported(fake_engine: type[FakeMachine]) -> None:
    case = {**TASK_CASE, "test_actions": [{"action": "send_task_success", "output": {}}]}
    assert runner.run_case(case)["problem"] == "test_actions not supported yet"


# ---------------------------------------------------------------- cases file, report, CLI

def write_cases(path: Path, cases: list[dict]) -> Path:
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    return path


def two_cases() -> list[dict]:
    return [
        {**make_case({"status": "SUCCEEDED", "output": 1}), "id": "x::good", "features": ["state:Pass", "a"]},
        {**make_case({"status": "SUCCEEDED", "output": 1}), "id": "x::bad", "features": ["state:Pass"]},
    ]


def fake_run_case(case: dict, timeout: float | None = None) -> dict:
    return actual_run(output=1 if case["id"].endswith("good") else 2)


def test_load_cases_points_at_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(two_cases()[0]) + "\n\n{not json\n")
    with pytest.raises(CorpusError, match=r"cases\.jsonl:3:2: not valid JSON"):
        load_cases(path)
    path.write_text('{"id": "x"}\n')
    with pytest.raises(CorpusError, match=r"cases\.jsonl:1: case is missing 'definition', 'expected'"):
        load_cases(path)


def test_select_cases_by_feature_pattern_and_id() -> None:
    cases = two_cases()
    assert [c["id"] for c in select_cases(cases, features=["a"])] == ["x::good"]
    assert [c["id"] for c in select_cases(cases, features=["state:*"])] == ["x::good", "x::bad"]
    assert [c["id"] for c in select_cases(cases, ids=["::bad"])] == ["x::bad"]


def test_report_counts_per_feature_and_groups_failures() -> None:
    results = [compare_case(c, fake_run_case(c)) for c in two_cases()]
    report = Report(results)
    assert (report.by_feature["state:Pass"].cases, report.by_feature["state:Pass"].passed) == (2, 1)
    assert (report.by_feature["a"].cases, report.by_feature["a"].passed) == (1, 1)
    assert (report.total.cases, report.total.passed) == (2, 1)
    assert [(reason, [r.id for r in group]) for reason, group in report.failures_by_reason()] == [
        ("output differs", ["x::bad"])]
    assert report.feature_pass_counts() == {"a": 1, "state:Pass": 1}
    assert ALL not in report.feature_pass_counts()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[CliRunner, Path]:
    monkeypatch.setattr(runner, "run_case", fake_run_case)
    return CliRunner(), write_cases(tmp_path / "cases.jsonl", two_cases())


def test_cli_prints_the_table_and_failures(cli: tuple[CliRunner, Path]) -> None:
    invoke, path = cli
    result = invoke.invoke(conformance_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert "state:Pass" in result.output
    assert "1/2 cases pass (50.0%)" in result.output
    assert "output differs" in result.output and "x::bad" in result.output


def test_cli_min_pass_sets_the_exit_code(cli: tuple[CliRunner, Path]) -> None:
    invoke, path = cli
    assert invoke.invoke(conformance_command, [str(path), "--min-pass", "0.5"]).exit_code == 0
    under = invoke.invoke(conformance_command, [str(path), "--min-pass", "60%"])
    assert under.exit_code == 1
    assert "Pass rate 50.0% is below --min-pass 60.0%" in under.output
    bad = invoke.invoke(conformance_command, [str(path), "--min-pass", "85"])
    assert bad.exit_code == 2 and "outside 0..1" in bad.output


def test_cli_json_has_per_case_results(cli: tuple[CliRunner, Path], tmp_path: Path) -> None:
    invoke, path = cli
    out = tmp_path / "report.json"
    assert invoke.invoke(conformance_command, [str(path), "--json-out", str(out), "--case", "bad"]).exit_code == 0
    data = json.loads(out.read_text())
    [case] = data["cases"]
    assert (case["id"], case["passed"], case["reason"]) == ("x::bad", False, "output differs")
    assert case["actual"]["output"] == 2
    assert data["failures"] == {"output differs": ["x::bad"]}


def test_cli_unusable_input_exits_2_with_a_message(cli: tuple[CliRunner, Path], tmp_path: Path) -> None:
    invoke, path = cli
    missing = invoke.invoke(conformance_command, [str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "nope.jsonl: no such file" in missing.output
    (tmp_path / "broken.jsonl").write_text("[1,\n")
    broken = invoke.invoke(conformance_command, [str(tmp_path / "broken.jsonl")])
    assert broken.exit_code == 2 and "broken.jsonl:1:" in broken.output and "Traceback" not in broken.output
    nothing = invoke.invoke(conformance_command, [str(path), "--feature", "state:Map"])
    assert nothing.exit_code == 2 and "no case in" in nothing.output


def test_cli_writes_a_ratchet_that_check_accepts(cli: tuple[CliRunner, Path], tmp_path: Path) -> None:
    invoke, path = cli
    ratchet = tmp_path / "ratchet.json"
    assert invoke.invoke(conformance_command, [str(path), "--write-ratchet", str(ratchet)]).exit_code == 0
    data = load_ratchet(ratchet)
    assert (data["features"], data["total"]) == ({"a": 1, "state:Pass": 1}, 1)
    report = Report([compare_case(c, fake_run_case(c)) for c in two_cases()])
    assert check_ratchet(report, data).ok
    data["features"]["a"] = 2
    assert check_ratchet(report, data).regressions == ["a: 1 pass, ratchet says 2"]


# ---------------------------------------------------------------- the ratchet on the public corpus

def test_public_corpus_pass_counts_never_drop(corpus: list[dict]) -> None:
    report = Report(runner.run_cases(corpus), corpus=str(shared_path(*CASES)))
    check = check_ratchet(report, load_ratchet(RATCHET_FILE))
    hint = ("regenerate with: sfnsim conformance ../shared/conformance/cases.jsonl "
            f"--write-ratchet {RATCHET_FILE.relative_to(Path(__file__).resolve().parents[2])}")
    assert check.ok, "fidelity went down:\n  " + "\n  ".join(check.regressions)
    if check.improvements:
        message = "fidelity went up, raise the ratchet (" + hint + "):\n  " + "\n  ".join(check.improvements)
        print(message)
        warnings.warn(message, stacklevel=1)


def test_ratchet_file_was_written_from_a_full_run(corpus: list[dict]) -> None:
    features = {f for case in corpus for f in case.get("features") or []}
    data = load_ratchet(RATCHET_FILE)
    assert set(data["features"]) == features
    assert data["cases"] == len(corpus)


def test_write_ratchet_round_trips(tmp_path: Path) -> None:
    report = Report([compare_case(c, fake_run_case(c)) for c in two_cases()], corpus="c.jsonl")
    write_ratchet(report, tmp_path / "r.json")
    assert load_ratchet(tmp_path / "r.json")["corpus"] == "c.jsonl"


def test_a_callback_answered_by_a_test_action_replays_like_the_recording():
    # The recording answered the callback through the queue; here the same answer arrives as the
    # test's send_task_success, so the task must wait for it rather than answer from the recording.
    case = conformance_case("test_sqs_wait_for_task_token::get_execution_history")
    callback = next(t for t in case["task_results"] if t["resource"].endswith(".waitForTaskToken"))
    case["test_actions"] = [{"action": "send_task_success", "output": callback["output"]}]
    actual = runner.run_case(case)
    assert actual["problem"] is None
    assert compare_case(case, actual).passed


def test_a_stop_action_aborts_at_the_start_instant():
    case = conformance_case("test_sqs_wait_for_task_token::get_execution_history")
    case["definition"]["States"] = {"Hold": {"Type": "Wait", "Seconds": 60, "End": True}}
    case["definition"]["StartAt"] = "Hold"
    case["test_actions"] = [{"action": "stop_execution"}]
    actual = runner.run_case(case)
    assert actual["status"] == "ABORTED"
    assert [e["type"] for e in actual["events"]][-2:] == ["WaitStateAborted", "ExecutionAborted"]


def test_an_activity_the_recording_shows_never_scheduled_replays_as_a_missing_activity() -> None:
    # Recorded on AWS: TaskStateEntered, then ExecutionFailed (no ActivityScheduled): the activity
    # had been deleted, which the runner replays with mock.no_such_activity().
    case = conformance_case("TestActivities::test_activity_task_on_deleted::get_execution_history")
    from sfnsim.conformance.replay import missing_activities

    assert missing_activities(case["definition"], case["events"], case["task_results"]) == ["ActivityTask"]
    result = compare_case(case, runner.run_case(case))
    assert result.passed, result
    busy = conformance_case("TestActivities::test_activity_task::get_execution_history")
    assert missing_activities(busy["definition"], busy["events"], busy["task_results"]) == []
