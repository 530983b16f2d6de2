"""Running a definition the way an exercise case says: task answers, S3 objects, callbacks.

Every run starts at the same virtual instant with the same seed, so a learner's run and the
reference solution's run of a case can be compared value by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sfnsim import mock
from sfnsim.api import Execution, StateMachine
from sfnsim.learn.catalog import Case

START_TIME = datetime(2024, 6, 1, 6, 0, tzinfo=timezone.utc)
MACHINE_NAME = "Exercise"


@dataclass
class CaseRun:
    execution: Execution
    mocks: dict[str, mock.Mock]  # state name -> the mock that answered it (its .calls)

    def calls(self, state: str) -> list[Any]:
        found = self.mocks.get(state)
        return list(found.calls) if found is not None else []


def run_case(definition: dict[str, Any], case: Case) -> CaseRun:
    """Run ``definition`` (already validated) on one case, with inspection, to its end."""
    machine = StateMachine.from_dict(definition, name=MACHINE_NAME)
    mocks = {state: _mock(answers) for state, answers in case.tasks.items()}
    s3_objects = {tuple(path.split("/", 1)): body for path, body in case.s3.items()}
    execution = machine.start(case.input, handlers=mocks, start_time=START_TIME, inspect=True,
                              s3_objects=s3_objects)  # type: ignore[arg-type]
    for answer in case.callbacks:
        if execution.status != "RUNNING" or not execution.pending_tokens:
            break
        execution.advance_time(float(answer.get("after", 0)))
        if execution.status != "RUNNING" or not execution.pending_tokens:
            break
        token = execution.pending_tokens[0]
        if "success" in answer:
            execution.send_task_success(token, answer["success"])
        else:
            failure = answer.get("failure", {})
            execution.send_task_failure(token, failure.get("error"), failure.get("cause"))
    execution.finish()
    return CaseRun(execution, mocks)


def _mock(answers: list[dict[str, Any]]) -> mock.Mock:
    """``[{"raises": "E", "cause": "...", "times": 2}, {"returns": {...}}]`` as a mock."""
    steps = [_step(answer) for answer in answers]
    built = steps[0]
    for step in steps[1:]:
        built = built.then(step)
    return built


def _step(answer: dict[str, Any]) -> mock.Mock:
    times = int(answer.get("times", 1))
    if "raises" in answer:
        return mock.raises(answer["raises"], answer.get("cause"), times=times)
    if answer.get("pending"):
        return mock.pending(times=times)
    return mock.returns(answer.get("returns"), times=times)
