"""Replaying AWS-recorded executions: reading histories, the event structure, answering tasks from
the recording, comparing, and ``sfnsim replay`` (click runner, subprocess, boto3 against moto).

Ground truth is the AWS-recorded corpus (../shared/conformance/cases.jsonl): its histories are
turned back into the files `aws stepfunctions get-execution-history` writes (JSON text fields,
timestamps), and its ``task_results`` (extracted independently) check which attempt is which.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from corpus import conformance_case, conformance_cases

from sfnsim import StateMachine, mock
from sfnsim.cli import main
from sfnsim.errors import InputError
from sfnsim.history.replay import (
    DefinitionSource,
    Recording,
    first_divergence,
    read_definition,
    read_history,
    step_tree,
)
from sfnsim.replay import replay

START = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def replayable(case: dict) -> bool:
    """Cases whose history can be replayed: recorded events with real ids, no external actions."""
    return (bool(case.get("events")) and case.get("class") == "pure" and not case.get("test_actions")
            and not (case.get("flags") or {}).get("events_parallel_normalised"))


# ---------------------------------------------------------------- corpus case -> AWS files


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _cause_text(event_type: str, cause: Any) -> Any:
    # The corpus parsed causes that were JSON objects. As text, a Lambda runtime's cause (legacy
    # Lambda ARN) uses Python's default separators; service integrations re-serialise compactly.
    if cause is None or isinstance(cause, str):
        return cause
    separators = (", ", ": ") if event_type.startswith("LambdaFunction") else (",", ":")
    return json.dumps(cause, separators=separators, ensure_ascii=False)


def aws_history(case: dict) -> dict:
    """The case's events as `get-execution-history` prints them (10 ms apart, as timestamps go)."""
    events = []
    for event in case["events"]:
        out = dict(event)
        out["timestamp"] = (START + timedelta(milliseconds=10 * event["id"])).isoformat()
        for key, details in event.items():
            if key.endswith("EventDetails"):
                details = dict(details)
                for name in ("input", "output", "parameters"):
                    if name in details:
                        details[name] = _json_text(details[name])
                if "assignedVariables" in details:
                    details["assignedVariables"] = {k: _json_text(v) for k, v in details["assignedVariables"].items()}
                if "cause" in details:
                    details["cause"] = _cause_text(event["type"], details["cause"])
                out[key] = details
        events.append(out)
    return {"events": events}


def describe_output(case: dict) -> dict:
    """What `describe-state-machine-for-execution` prints for the case's machine."""
    return {
        "stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:Recorded",
        "name": "Recorded",
        "definition": json.dumps(case["definition"]),
        "roleArn": "arn:aws:iam::111111111111:role/StepFunctionsRole",
        "updateDate": "2024-05-01T11:00:00+00:00",
    }


def write_case(tmp_path: Path, case: dict) -> tuple[Path, Path]:
    history, definition = tmp_path / "history.json", tmp_path / "describe.json"
    history.write_text(json.dumps(aws_history(case), indent=1), encoding="utf-8")
    definition.write_text(json.dumps(describe_output(case), indent=1), encoding="utf-8")
    return history, definition


def placeholder_matcher(case: dict) -> Any:
    """LocalStack replaced volatile values in the recording (README rule 4); those are wildcards."""
    from sfnsim.conformance.placeholders import Matcher

    return Matcher(case.get("placeholders")).matches


def replay_case(case: dict, definition: dict | None = None, **options: Any) -> Any:
    recording = Recording(read_history(aws_history(case)),
                          DefinitionSource(definition or case["definition"], "definition"))
    return replay(recording, matches=placeholder_matcher(case), **options)


# ---------------------------------------------------------------- the corpus


def test_replay_reproduces_the_recorded_outcome_of_every_case_with_task_results() -> None:
    cases = [c for c in conformance_cases() if replayable(c) and c.get("task_results")]
    assert len(cases) >= 90, "the public corpus has 94 replayable cases with task results"
    wrong_outcome, diverged = [], []
    for case in cases:
        result = replay_case(case)
        expected = case["expected"]
        if (result.local.status, result.local.error) != (expected["status"], expected.get("error")):
            wrong_outcome.append(f"{case['id']}: {result.local.describe()} != {expected['status']} {expected.get('error')}")
        if result.recorded.status != expected["status"]:
            wrong_outcome.append(f"{case['id']}: read the recorded status as {result.recorded.status}")
        if not result.reproduced:
            diverged.append(f"{case['id']}: {result.divergence.describe() if result.divergence else 'outcome'}")
    assert wrong_outcome == []
    # Full event-by-event reproduction also depends on every engine detail (e.g. the context object).
    assert len(diverged) <= len(cases) // 20, "\n".join(diverged)


def test_recorded_attempts_are_the_ones_the_corpus_extracted() -> None:
    """Which state each task attempt belongs to, its request and its result, as task_results says."""
    cases = [c for c in conformance_cases() if replayable(c) and c.get("task_results")]
    for case in cases:
        tree = step_tree(read_history(aws_history(case)))
        found: dict[str, list[tuple]] = {}
        for step in tree.steps():
            for attempt in step.attempts:
                result = attempt.result
                found.setdefault(step.name, []).append(
                    (attempt.outcome, attempt.request, result.get("output"), result.get("error")))
        expected: dict[str, list[tuple]] = {}
        for entry in case["task_results"]:
            expected.setdefault(entry["state"], []).append(
                (entry["outcome"], entry.get("parameters"), entry.get("output"), entry.get("error")))
        assert found == expected, case["id"]


def test_a_map_iteration_is_its_own_thread_with_the_states_inside_it() -> None:
    case = conformance_case("test_map_catch_error[MAP_CATCH_ERROR_OUTPUT]")
    tree = step_tree(read_history(aws_history(case)))
    [map_step] = tree.roots
    assert (map_step.name, map_step.state_type) == ("ProcessItems", "Map")
    entered = [e for e in case["events"] if e["type"].endswith("StateEntered") and e["id"] != 2]
    assert [(c.iteration, c.name) for c in map_step.children] == [
        (i, e["stateEnteredEventDetails"]["name"]) for i, e in zip([0, 0, 1, 1, 2, 2], entered)
    ]
    # Each iteration catches its task's failure and goes on to Fallback.
    for child in map_step.children:
        assert child.parent is map_step
        if child.name == "ProcessItem":
            assert child.caught and child.attempts[-1].result["error"] == "Exception"
    assert tree.status == "SUCCEEDED" and tree.failed_step() is None


def test_the_failed_state_is_found_by_following_the_links() -> None:
    case = conformance_case("TestBaseScenarios::test_retry_interval_features::")
    tree = step_tree(read_history(aws_history(case)))
    [step] = tree.roots
    assert tree.status == "FAILED"
    assert tree.failed_step() is step and step.name == "LambdaTask"
    assert [a.outcome for a in step.attempts] == ["failed"] * 3  # MaxAttempts 2: three tries


# ---------------------------------------------------------------- divergence with an edited definition


def test_an_added_catch_changes_the_outcome_and_is_reported_at_the_failure() -> None:
    case = conformance_case("TestBaseScenarios::test_retry_interval_features::")
    edited = copy.deepcopy(case["definition"])
    task = edited["States"]["LambdaTask"]
    task["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}]
    task.pop("End")
    task["Next"] = "Recovered"
    edited["States"]["Recovered"] = {"Type": "Pass", "End": True}

    result = replay_case(case, edited)

    failed_event = case["events"][-1]
    assert failed_event["type"] == "ExecutionFailed"
    assert not result.reproduced and result.outcome_changed
    assert result.divergence.event_id == failed_event["id"]
    assert (result.divergence.field, result.divergence.recorded, result.divergence.local) == (
        "type", "ExecutionFailed", "TaskStateExited")
    assert result.recorded.describe() == f'FAILED at "LambdaTask" ({case["expected"]["error"]})'
    assert result.local.describe() == "SUCCEEDED"
    assert result.unanswered == []


def test_an_extra_retry_names_the_attempt_the_recording_cannot_answer() -> None:
    case = conformance_case("TestBaseScenarios::test_retry_interval_features::")
    edited = copy.deepcopy(case["definition"])
    edited["States"]["LambdaTask"]["Retry"][0]["MaxAttempts"] = 3

    result = replay_case(case, edited)
    assert len(result.unanswered) == 1 and 'call 4 of task state "LambdaTask"' in result.unanswered[0]
    assert result.divergence.event_id == case["events"][-1]["id"]
    assert result.divergence.local == "LambdaFunctionScheduled"
    assert result.local.error == "sfnsim.NoRecordedResult"

    # A handler answers what the recording cannot.
    answered = replay_case(case, edited, handlers={"LambdaTask": lambda payload: {"ok": True}})
    assert answered.unanswered == []
    assert answered.local.status == "SUCCEEDED" and answered.local.output == {"ok": True}
    assert answered.outcome_changed


def test_a_changed_parameter_is_the_first_divergence() -> None:
    case = conformance_case("TestTaskServiceDynamoDB::test_put_item_invalid_table_name")
    edited = copy.deepcopy(case["definition"])
    edited["States"]["PutItem"]["Parameters"]["TableName"] = "orders"
    del edited["States"]["PutItem"]["Parameters"]["TableName.$"]

    result = replay_case(case, edited)
    [scheduled] = [e for e in case["events"] if e["type"] == "TaskScheduled"]
    divergence = result.divergence
    assert (divergence.event_id, divergence.state, divergence.field) == (scheduled["id"], "PutItem", "parameters")
    assert divergence.recorded["TableName"] == scheduled["taskScheduledEventDetails"]["parameters"]["TableName"]
    assert divergence.local["TableName"] == "orders"
    # The recorded answer is still used (matched by state and order): the outcome stays the same.
    assert not result.outcome_changed and result.local.error == case["expected"]["error"]


# ---------------------------------------------------------------- comparing


PARALLEL = {
    "StartAt": "Both",
    "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A1", "States": {"A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": True}}},
        {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
    ]}},
}


def _aws_text(history: dict) -> list[dict]:
    return read_history(json.loads(json.dumps(history)))


def test_branch_interleaving_is_not_a_divergence_but_branch_content_is() -> None:
    # The recorded side is constructed (sfnsim's own export with branch B moved first): the corpus
    # holds no replayable Parallel recording (their branch events are normalised), and AWS documents
    # no order between branches, which is the point.
    execution = StateMachine.from_dict(PARALLEL).run({"n": 1})
    local = execution.history
    recorded = _aws_text(execution.to_aws_history())
    # AWS may run branch B first: move B1's two events before A1's.
    b_events = [e for e in recorded if e.get("stateEnteredEventDetails", e.get("stateExitedEventDetails", {})).get("name") == "B1"]
    others = [e for e in recorded if e not in b_events]
    started = next(i for i, e in enumerate(others) if e["type"] == "ParallelStateStarted")
    reordered = others[: started + 1] + b_events + others[started + 1:]
    assert [e["type"] for e in reordered] != [e["type"] for e in recorded] or reordered != recorded
    assert first_divergence(reordered, local) is None

    changed = copy.deepcopy(recorded)
    exited = next(e for e in changed if e["type"] == "PassStateExited" and e["stateExitedEventDetails"]["name"] == "B1")
    exited["stateExitedEventDetails"]["output"] = {"n": 2}
    divergence = first_divergence(changed, local)
    assert (divergence.event_id, divergence.state, divergence.field) == (exited["id"], "B1", "output")


def test_a_cause_written_with_other_spacing_is_the_same_cause() -> None:
    # Recorded on AWS: the Lambda runtime writes the function's error JSON with ", " and ": ", and
    # ExecutionFailed carries the same error compactly; the local run passes the text on as it got it.
    case = conformance_case("TestTaskLambda::test_raise_exception::get_execution_history")
    recorded = read_history(aws_history(case))
    local = replay_case(case).execution.history
    recorded_cause = recorded[-1]["executionFailedEventDetails"]["cause"]
    assert recorded_cause != local[-1]["executionFailedEventDetails"]["cause"]
    assert json.loads(recorded_cause) == json.loads(local[-1]["executionFailedEventDetails"]["cause"])
    assert first_divergence(recorded, local) is None
    changed = dict(json.loads(recorded_cause), errorMessage="another message")
    recorded[-1]["executionFailedEventDetails"]["cause"] = json.dumps(changed)
    assert first_divergence(recorded, local).field == "cause"


def test_missing_and_extra_events_are_divergences() -> None:
    case = conformance_case("TestSnfBase::test_state_fail::get_execution_history")  # recorded on AWS
    recorded = read_history(aws_history(case))
    local = replay_case(case).execution.history
    assert first_divergence(recorded, local) is None
    shorter = first_divergence(recorded, local[:-1])
    assert (shorter.field, shorter.recorded, shorter.local) == ("missing", "ExecutionFailed", None)
    longer = first_divergence(recorded[:-1], local)
    assert (longer.field, longer.event_id, longer.local) == ("extra", None, "ExecutionFailed")


# ---------------------------------------------------------------- reading files


def test_read_history_parses_json_text_pages_and_order(tmp_path: Path) -> None:
    events = [
        {"id": 2, "previousEventId": 0, "timestamp": 1714564800.5, "type": "PassStateEntered",
         "stateEnteredEventDetails": {"name": "P", "input": "{\"a\":[1,2]}", "inputDetails": {"truncated": False}}},
        {"id": 1, "previousEventId": 0, "timestamp": "2024-05-01T12:00:00Z", "type": "ExecutionStarted",
         "executionStartedEventDetails": {"input": "{\"a\":[1,2]}", "roleArn": "arn:aws:iam::1:role/r"}},
    ]
    path = tmp_path / "pages.json"
    path.write_text(json.dumps([{"events": events[:1]}, {"events": events[1:], "nextToken": None}]))
    parsed = read_history(path)
    assert [e["id"] for e in parsed] == [1, 2]  # --reverse-order or pages out of order
    assert parsed[0]["executionStartedEventDetails"]["input"] == {"a": [1, 2]}
    assert parsed[0]["timestamp"] == START
    assert parsed[1]["timestamp"] == START + timedelta(milliseconds=500)


@pytest.mark.parametrize(("content", "message"), [
    ("{\"events\": [", "not valid JSON"),
    ("{\"executions\": []}", "not an execution history"),
    ("{\"events\": [{\"id\": 1}]}", "event #1 is not a history event"),
    ("{\"events\": [{\"id\": 1, \"type\": \"ExecutionStarted\", \"timestamp\": \"yesterday\"}]}", "unreadable timestamp"),
    ("{\"events\": [{\"id\": 1, \"type\": \"ExecutionStarted\", \"executionStartedEventDetails\": {\"input\": \"{oops\"}}]}",
     "event #1: input is not JSON text"),
])
def test_unusable_histories_say_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "history.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_history(path)


def test_read_definition_accepts_a_describe_output_and_a_plain_file(tmp_path: Path) -> None:
    described = tmp_path / "describe.json"
    described.write_text(json.dumps({"stateMachineArn": "arn:aws:states:eu-west-1:210987654321:stateMachine:etl",
                                     "name": "etl", "definition": json.dumps(PARALLEL), "type": "EXPRESS"}))
    source = read_definition(described)
    assert (source.state_machine_name, source.state_machine_type) == ("etl", "EXPRESS")
    assert json.loads(source.definition) == PARALLEL
    plain = tmp_path / "plain.asl.json"
    plain.write_text(json.dumps(PARALLEL))
    assert read_definition(plain).definition == plain


def test_a_history_without_execution_data_cannot_be_replayed() -> None:
    recording = Recording(read_history({"events": [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": "2024-05-01T12:00:00Z",
         "executionStartedEventDetails": {"roleArn": "arn:aws:iam::1:role/r"}}]}), DefinitionSource(PARALLEL, "d"))
    with pytest.raises(InputError, match="include-execution-data"):
        replay(recording)


# ---------------------------------------------------------------- the command


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()


def test_cli_replay_reports_reproduction_as_text_and_json(tmp_path: Path) -> None:
    # A callback task: the recorded token differs from the one sfnsim makes up, and that is fine.
    case = conformance_case("TestCallback::test_sqs_wait_for_task_token::")
    history, definition = write_case(tmp_path, case)
    result = _runner().invoke(main, ["replay", str(history), "--definition", str(definition)])
    assert result.exit_code == 0, result.output
    assert "Reproduced" in result.stdout and f"{len(case['events'])} recorded events" in result.stdout

    result = _runner().invoke(main, ["replay", str(history), "--definition", str(definition), "--json"])
    data = json.loads(result.stdout)
    assert data["reproduced"] is True and data["divergence"] is None
    assert data["outcome"]["recorded"]["status"] == data["outcome"]["local"]["status"] == "SUCCEEDED"
    assert data["outcome"]["local"]["output"] == case["expected"]["output"]


def test_cli_replay_of_an_edited_definition_exits_1_with_the_divergence(tmp_path: Path) -> None:
    case = conformance_case("TestBaseScenarios::test_retry_interval_features::")
    history, _ = write_case(tmp_path, case)
    edited = copy.deepcopy(case["definition"])
    edited["States"]["LambdaTask"]["Retry"][0]["MaxAttempts"] = 3
    edited_path = tmp_path / "edited.asl.json"
    edited_path.write_text(json.dumps(edited))
    handlers = tmp_path / "answers.py"
    handlers.write_text("HANDLERS = {'LambdaTask': lambda payload: {'fixed': True}}\n")

    result = _runner().invoke(main, ["replay", str(history), "--definition", str(edited_path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["reproduced"] is False
    assert data["divergence"]["event"] == case["events"][-1]["id"] and data["divergence"]["state"] == "LambdaTask"
    assert data["outcome"]["recorded"] == {"status": "FAILED", "output": None, "error": "Exception",
                                           "cause": data["outcome"]["recorded"]["cause"], "state": "LambdaTask"}
    assert "LambdaTask" in data["unanswered"][0]

    result = _runner().invoke(main, ["replay", str(history), "--definition", str(edited_path),
                                     "--handlers", f"{handlers}:HANDLERS"])
    assert result.exit_code == 1
    assert 'Outcome changed: FAILED at "LambdaTask" (Exception) → SUCCEEDED' in result.stdout
    assert "First divergence at event #12" in result.stdout


@pytest.mark.parametrize(("arguments", "message"), [
    ([], "give HISTORY"),
    (["HISTORY"], "give the definition with --definition"),
    (["HISTORY", "--definition", "BROKEN"], "not a valid"),
    (["NOT_JSON", "--definition", "DEFINITION"], "not valid JSON"),
])
def test_cli_replay_bad_usage_exits_2_without_a_traceback(tmp_path: Path, arguments: list[str], message: str) -> None:
    files = {"HISTORY": tmp_path / "h.json", "BROKEN": tmp_path / "broken.json",
             "NOT_JSON": tmp_path / "n.json", "DEFINITION": tmp_path / "d.asl.json"}
    files["HISTORY"].write_text(json.dumps(StateMachine.from_dict(PARALLEL).run({}).to_aws_history()))
    files["BROKEN"].write_text('{"StartAt": "X", "States": {}}')
    files["NOT_JSON"].write_text("{")
    files["DEFINITION"].write_text(json.dumps(PARALLEL))
    result = _runner().invoke(main, ["replay", *[str(files.get(a, a)) for a in arguments]])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_replay_as_a_real_process(tmp_path: Path) -> None:
    case = conformance_case("TestTaskServiceDynamoDB::test_put_item_invalid_table_name")
    history, definition = write_case(tmp_path, case)
    done = subprocess.run([sys.executable, "-m", "sfnsim.cli", "replay", str(history), "--definition", str(definition)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Reproduced" in done.stdout and "FAILED" in done.stdout and case["expected"]["error"] in done.stdout


def test_replay_fetches_with_execution_arn_from_a_fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3", reason="the replay-aws extra (boto3) is not installed")
    moto = pytest.importorskip("moto", reason="moto is needed to fake AWS for this test")
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    definition = {"StartAt": "Tag", "States": {
        "Tag": {"Type": "Pass", "Result": {"tagged": True}, "ResultPath": "$.tag", "Next": "Stop"},
        "Stop": {"Type": "Fail", "Error": "Halted", "Cause": "on purpose"}}}
    with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        machine = client.create_state_machine(name="fake", definition=json.dumps(definition),
                                              roleArn="arn:aws:iam::123456789012:role/sfn")
        arn = client.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"id": 7}')["executionArn"]
        for _ in range(200):
            if client.describe_execution(executionArn=arn)["status"] != "RUNNING":
                break
            time.sleep(0.01)
        result = _runner().invoke(main, ["replay", "--execution-arn", arn, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reproduced"] is True
    assert data["outcome"]["recorded"] == {"status": "FAILED", "output": None, "error": "Halted",
                                           "cause": "on purpose", "state": "Stop"}


def test_the_documented_what_if_replay(tmp_path: Path) -> None:
    """docs/cli.md: a run whose payment service never answered, replayed with more retries."""
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "cli"
    handlers = fixtures / "order_handlers.py"
    history = tmp_path / "payment-failed.json"
    recorded = _runner().invoke(main, ["run", str(fixtures / "orders.asl.json"), "--input-file", str(fixtures / "order.json"),
                                       "--handlers", f"{handlers}:PAYMENT_DOWN", "--history-out", str(history)])
    assert recorded.exit_code == 1
    retries = str(fixtures / "orders-more-retries.asl.json")

    alone = json.loads(_runner().invoke(main, ["replay", str(history), "--definition", retries, "--json"]).stdout)
    # MaxAttempts 3 made 4 attempts; with 5 the 5th is one the recording never saw.
    assert alone["unanswered"] == ['the recording has no result for call 5 of task state "Charge" '
                                   "(resource arn:aws:states:::lambda:invoke); give one with --handlers"]
    assert alone["divergence"]["state"] == "Charge" and alone["divergence"]["local"] == "TaskScheduled"

    answered = _runner().invoke(main, ["replay", str(history), "--definition", retries, "--handlers", f"{handlers}:HANDLERS"])
    assert answered.exit_code == 1
    assert 'Outcome changed: FAILED at "PaymentFailed" (PaymentFailed) → SUCCEEDED' in answered.stdout


def test_the_known_event_types_are_exactly_those_of_aws_api_model() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("stepfunctions")
    from sfnsim.history.steps import KNOWN_EVENT_TYPES

    assert KNOWN_EVENT_TYPES == set(model.shape_for("HistoryEventType").enum)


def test_an_event_of_an_unknown_type_belongs_to_the_event_it_links_to() -> None:
    # Branch 0 waits on a task; branch 1 passes. An event type newer than sfnsim, whose name starts
    # with "Task" but which links to branch 1's Pass state, is that Pass state's: not the open task's.
    from sfnsim.history.replay import first_divergence
    from sfnsim.history.steps import step_tree

    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                "Parameters": {"FunctionName": "slow"}, "End": True}}},
        {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "End": True}}}]}}}
    events = StateMachine.from_dict(definition).run(
        {}, handlers={"Slow": mock.returns({}, duration=60)}).to_aws_history()["events"]
    at = next(i for i, e in enumerate(events) if e["type"] == "PassStateEntered")
    assert any(e["type"] == "TaskStateExited" for e in events[at:])  # the task is still open there
    novel = {"id": len(events) + 1, "previousEventId": events[at]["id"], "type": "TaskSomethingNew",
             "timestamp": events[at]["timestamp"]}
    recorded = [*events[:at + 1], novel, *events[at + 1:]]
    tree = step_tree(recorded)
    assert tree.owners[at + 1].name == "Quick"
    divergence = first_divergence(recorded, events)
    assert divergence is not None and divergence.state == "Quick" and divergence.recorded == "TaskSomethingNew"
