"""AWS's 25,000-event history quota (Standard workflows), in the API, the CLI and replay.

Expected shape, from AWS (issue #16 and the quotas page): event 25,000 *is* the ``ExecutionFailed``
event, linked to event 24,999, with error ``States.Runtime`` and cause
``The execution reached the maximum number of history events (25000).``. Nothing can catch it.
A Distributed Map child execution has its own history, and so its own budget.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from sfnsim import StateMachine
from sfnsim.cli import main

CAUSE = "The execution reached the maximum number of history events (25000)."
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"

# The reproducer: a Choice that loops back for ever.
ENDLESS_LOOP = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": False, "Next": "A"}], "Default": "D"},
    "D": {"Type": "Succeed"}}}


def assert_history_quota_shape(history: list[dict[str, Any]]) -> None:
    assert len(history) == 25_000
    last = history[-1]
    assert (last["id"], last["type"], last["previousEventId"]) == (25_000, "ExecutionFailed", 24_999)
    assert last["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": CAUSE}
    assert [e["id"] for e in history[-3:]] == [24_998, 24_999, 25_000]


def test_an_endless_choice_loop_fails_at_event_25000() -> None:
    execution = StateMachine.from_dict(ENDLESS_LOOP).run({})
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "States.Runtime", CAUSE)
    assert_history_quota_shape(execution.history)


def test_a_poll_loop_with_a_wait_ends_at_the_quota() -> None:
    poll = {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 5, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.done", "IsPresent": True, "Next": "D"}], "Default": "W"},
        "D": {"Type": "Succeed"}}}
    execution = StateMachine.from_dict(poll).run({})
    assert_history_quota_shape(execution.history)


def test_catch_all_cannot_catch_the_quota() -> None:
    # States.ALL matches no States.Runtime error (AWS's error-handling page).
    machine = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [ENDLESS_LOOP], "End": True,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}}}
    execution = StateMachine.from_dict(machine).run({})
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "States.Runtime", CAUSE)
    assert_history_quota_shape(execution.history)


def test_an_almost_endless_retry_ends_at_the_quota() -> None:
    def always_fails(_: Any) -> None:
        raise ValueError("down")

    machine = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": LAMBDA, "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99999999, "BackoffRate": 1.0}]}}}
    execution = StateMachine.from_dict(machine).run({}, handlers={"T": always_fails})
    assert_history_quota_shape(execution.history)


def test_an_exponential_retry_that_outgrows_a_year_times_out_instead_of_overflowing() -> None:
    # Back-off doubles from 1 s: the delay passes AWS's one-year execution limit long before the
    # history fills up, so the execution times out (AWS: States.Timeout after a year).
    def always_fails(_: Any) -> None:
        raise ValueError("down")

    machine = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": LAMBDA, "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99999999}]}}}
    execution = StateMachine.from_dict(machine).run({}, handlers={"T": always_fails})
    assert execution.status == "TIMED_OUT"
    last = execution.history[-1]
    assert last["type"] == "ExecutionTimedOut"
    assert last["timestamp"] - execution.history[0]["timestamp"] == timedelta(days=366)


def test_a_map_over_100000_items_fails_at_the_quota() -> None:
    machine = {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {
        "Type": "Map", "Items": "{% [1..100000] %}", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                          "States": {"P": {"Type": "Pass", "End": True}}}}}}
    execution = StateMachine.from_dict(machine).run({})
    assert execution.error == "States.Runtime"
    assert_history_quota_shape(execution.history)


def test_distributed_map_children_have_budgets_of_their_own() -> None:
    # Each child loops for ever: each fails on its own quota; the parent's history stays short.
    machine = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemsPath": "$.items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **ENDLESS_LOOP},
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}}
    execution = StateMachine.from_dict(machine).run({"items": [1, 2, 3]})
    assert execution.status == "SUCCEEDED"  # the Map failed (children failed), and was caught
    assert len(execution.history) < 50
    assert execution.output["error"]["Error"] == "States.ExceedToleratedFailureThreshold"
    assert execution.children, "the Distributed Map's child executions are visible"
    for child in execution.children:
        assert (child.status, child.error, child.cause) == ("FAILED", "States.Runtime", CAUSE)
        assert_history_quota_shape(child.history)


def test_a_distributed_map_child_is_not_charged_to_the_parent() -> None:
    # 3 children of ~20,000 events each: 60,000 together, under the quota one by one.
    child = {"StartAt": "Inner", "States": {"Inner": {
        "Type": "Map", "Items": "{% [1..4000] %}", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                          "States": {"P": {"Type": "Pass", "End": True}}}}}}
    machine = {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **child}}}}
    execution = StateMachine.from_dict(machine).run([1, 2, 3])
    assert execution.status == "SUCCEEDED"
    assert len(execution.output) == 3


def test_the_cli_reports_the_quota_as_a_failed_execution(tmp_path: Path) -> None:
    definition = tmp_path / "loop.asl.json"
    definition.write_text(json.dumps(ENDLESS_LOOP), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(definition), "--input", "{}", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "FAILED"
    assert (report["error"], report["cause"]) == ("States.Runtime", CAUSE)


def aws_loop_history() -> dict[str, Any]:
    """The history AWS records for ENDLESS_LOOP, built from the quota's shape: ExecutionStarted,
    then Pass/Choice entered/exited pairs, each linked to the one before, until event 24,999."""
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    events: list[dict[str, Any]] = [{"id": 1, "previousEventId": 0, "type": "ExecutionStarted",
                                     "executionStartedEventDetails": {"input": "{}", "roleArn": "arn:aws:iam::1:role/r"}}]
    cycle = [("PassStateEntered", "A"), ("PassStateExited", "A"), ("ChoiceStateEntered", "C"), ("ChoiceStateExited", "C")]
    while len(events) < 24_999:
        kind, name = cycle[(len(events) - 1) % 4]
        key = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
        payload = "input" if kind.endswith("Entered") else "output"
        events.append({"id": len(events) + 1, "previousEventId": len(events), "type": kind,
                       key: {"name": name, payload: "{}"}})
    events.append({"id": 25_000, "previousEventId": 24_999, "type": "ExecutionFailed",
                   "executionFailedEventDetails": {"error": "States.Runtime", "cause": CAUSE}})
    for event in events:
        event["timestamp"] = start.isoformat()
    return {"events": events}


def test_replay_reproduces_an_aws_history_that_hit_the_quota(tmp_path: Path) -> None:
    history, definition = tmp_path / "history.json", tmp_path / "loop.asl.json"
    history.write_text(json.dumps(aws_loop_history()), encoding="utf-8")
    definition.write_text(json.dumps(ENDLESS_LOOP), encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", str(history), "--definition", str(definition), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["reproduced"] is True
    assert report["outcome"]["recorded"]["error"] == "States.Runtime"


def test_express_executions_have_no_history_quota() -> None:
    # AWS captures no execution history for Express workflows ("Execution guarantees", Developer Guide),
    # so an inline Map of 10,000 items, 40,000+ events, succeeds there where a Standard one fails.
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    machine = StateMachine.from_dict(definition)
    items = {"items": list(range(10_000))}
    standard = machine.run(items)
    assert (standard.status, standard.cause) == ("FAILED", CAUSE)
    express = machine.run(items, machine_type="EXPRESS")
    assert express.status == "SUCCEEDED" and express.output == items["items"] and len(express.history) > 25_000


def test_an_endless_express_loop_is_stopped_by_a_named_sfnsim_limit() -> None:
    import pytest

    from sfnsim.errors import SimulationLimitError

    with pytest.raises(SimulationLimitError, match="Express execution recorded 250,000 events"):
        StateMachine.from_dict(ENDLESS_LOOP).run({}, machine_type="EXPRESS")


def test_express_children_of_a_distributed_map_have_no_quota_but_standard_ones_do() -> None:
    def distributed(execution_type: str) -> dict[str, Any]:
        return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                                  "StartAt": "Inner", "States": {"Inner": {
                                      "Type": "Map", "ItemsPath": "$.rows", "End": True,
                                      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}}}}

    rows = {"items": [{"rows": list(range(10_000))}]}
    assert StateMachine.from_dict(distributed("EXPRESS")).run(rows).status == "SUCCEEDED"
    failed = StateMachine.from_dict(distributed("STANDARD")).run(rows)
    assert failed.status == "FAILED"
