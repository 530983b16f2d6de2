"""Smoke runs: every real state machine of the public workflow corpus runs to an end.

Each Task is answered by a mock returning ``{}`` and the input is ``{}``, so many runs fail on a
missing path, as they would on AWS with that input. What must hold is that sfnsim never crashes, that
every run ends with AWS's terminal event, and that failures carry States error names.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from corpus import jsonl_records

from sfnsim import StateMachine, mock
from sfnsim.errors import UnsupportedFeatureError

TERMINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut"}
KNOWN_INVALID = "shared-fallback-state-jsonata"  # AWS rejects these too (see test_corpora.py)


def task_states(flow: dict[str, Any]) -> Iterator[str]:
    for name, state in (flow.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        if state.get("Type") == "Task":
            yield name
        for branch in state.get("Branches") or ():
            yield from task_states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from task_states(state[key])


def corpus_workflows() -> list[dict[str, Any]]:
    return [w for w in jsonl_records("corpora", "workflows.jsonl")
            if w["definition"] is not None and KNOWN_INVALID not in w["id"]]


# What CloudFormation would have put in the definitions whose template the corpus did not resolve.
PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}


def run_with_empty_answers(definition: dict[str, Any]) -> Any:
    machine = StateMachine.from_dict(definition, substitutions=PSEUDO_PARAMETERS)
    answers = {name: mock.returns({}) for name in task_states(definition)}
    # Callback tasks answered at once; Distributed Maps reading S3 find no object and fail like AWS.
    return machine.run({}, handlers=answers)


def test_every_corpus_workflow_runs_to_a_terminal_event():
    outcomes: dict[str, int] = {}
    unsupported = []
    for workflow in corpus_workflows():
        try:
            execution = run_with_empty_answers(workflow["definition"])
        except UnsupportedFeatureError as exc:
            unsupported.append((workflow["id"], str(exc)))
            continue
        assert execution.history[-1]["type"] in TERMINAL, workflow["id"]
        if execution.status == "FAILED":
            # A States error, or the definition's own Fail state (whose Error may be absent).
            from_fail_state = execution.history[-2]["type"] == "FailStateEntered"
            assert from_fail_state or (execution.error or "").startswith("States."), (workflow["id"], execution.error)
        outcomes[execution.status] = outcomes.get(execution.status, 0) + 1
    assert not unsupported, unsupported
    # Every run ended (no RUNNING or TIMED_OUT: callbacks are answered at once, and nothing waits
    # for a year), and with empty answers both endings occur across the corpus.
    assert set(outcomes) == {"SUCCEEDED", "FAILED"}, outcomes


def test_jsonata_workflows_load_and_run_with_mocked_tasks():
    jsonata = [w for w in corpus_workflows() if w.get("query_language") in ("JSONata", "mixed")]
    if not jsonata:
        pytest.fail("the public corpus has JSONata workflows; none were found")
    for workflow in jsonata:
        execution = run_with_empty_answers(workflow["definition"])
        assert execution.history[-1]["type"] in TERMINAL, workflow["id"]
        if execution.status == "FAILED":
            # With {} as input, expressions reading absent input fields yield nothing: AWS's error.
            assert execution.error == "States.QueryEvaluationError", (workflow["id"], execution.error)
            assert "returned nothing (undefined)" in execution.cause
            assert "EvaluationFailed" in [e["type"] for e in execution.history]
