"""Checking a learner's definition against an exercise: every case's expectations, and where the
run first parts from the reference solution's when an expectation is not met."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sfnsim.errors import DefinitionError, HandlerError, SfnSimError
from sfnsim.i18n import _
from sfnsim.learn.catalog import Case, Exercise
from sfnsim.learn.feedback import Difference, first_difference
from sfnsim.learn.running import CaseRun, run_case
from sfnsim.walk.walkthrough import Step, build_walkthrough


@dataclass(frozen=True)
class Unmet:
    """One expectation of a case that the learner's run does not meet."""

    what: str  # status, error, output, path, calls, attempts, backoff, events, duration
    # ``state``: the state for calls/attempts/backoff, the history event type for events
    expected: Any
    actual: Any
    state: str | None = None


@dataclass
class CaseResult:
    case: Case
    unmet: list[Unmet] = field(default_factory=list)
    difference: Difference | None = None

    @property
    def passed(self) -> bool:
        return not self.unmet


@dataclass
class CheckResult:
    """The verdict on one exercise: ``problem`` when the definition could not be run at all."""

    exercise: Exercise
    cases: list[CaseResult] = field(default_factory=list)
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None and all(case.passed for case in self.cases)

    @property
    def first_failure(self) -> CaseResult | None:
        return next((case for case in self.cases if not case.passed), None)


def check_file(exercise: Exercise, path: Path) -> CheckResult:
    """Check the definition in ``path`` (JSON or YAML)."""
    from sfnsim.asl import load_definition

    try:
        definition = load_definition(path).raw
    except DefinitionError as exc:
        return CheckResult(exercise, problem=_definition_problem(exc))
    except OSError as exc:
        return CheckResult(exercise, problem=_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc))
    return check_definition(exercise, definition)


def check_definition(exercise: Exercise, definition: dict[str, Any]) -> CheckResult:
    """Run every case of ``exercise`` on ``definition`` and compare with what is expected."""
    from sfnsim.asl import load_definition

    try:
        definition = load_definition(definition).raw
    except DefinitionError as exc:
        return CheckResult(exercise, problem=_definition_problem(exc))
    result = CheckResult(exercise)
    for case in exercise.cases:
        try:
            run = run_case(definition, case)
        except HandlerError as exc:
            answered = ", ".join(sorted({state for c in exercise.cases for state in c.tasks})) or "-"
            reason = str(exc).splitlines()[0]
            return CheckResult(exercise, problem=_("the run could not start: {reason}").format(reason=reason) + "\n"
                               + _("This exercise answers the tasks named {names}: keep the state names of the "
                                   "starting definition.").format(names=answered))
        except SfnSimError as exc:
            return CheckResult(exercise, problem=_("the run could not start: {reason}").format(reason=exc))
        outcome = CaseResult(case, unmet_expectations(case, run))
        if outcome.unmet:
            reference = run_case(exercise.solution, case)
            outcome.difference = first_difference(build_walkthrough(run.execution),
                                                  build_walkthrough(reference.execution))
        result.cases.append(outcome)
    return result


def _definition_problem(exc: DefinitionError) -> str:
    from sfnsim.cli import definition_problems_message

    return definition_problems_message(exc)


def unmet_expectations(case: Case, run: CaseRun) -> list[Unmet]:
    execution = run.execution
    expect = case.expect
    unmet: list[Unmet] = []

    def compare(what: str, expected: Any, actual: Any, state: str | None = None) -> None:
        if expected != actual:
            unmet.append(Unmet(what, expected, actual, state))

    if "status" in expect:
        compare("status", expect["status"], execution.status)
    if "error" in expect:
        compare("error", expect["error"], execution.error)
    if "path" in expect:
        compare("path", expect["path"], execution.path)
    if "output" in expect and execution.status == "SUCCEEDED":
        compare("output", expect["output"], execution.output)
    for state, calls in expect.get("calls", {}).items():
        compare("calls", calls, run.calls(state), state)
    if "attempts" in expect or "backoff" in expect:
        steps = build_walkthrough(execution).all_steps()
        for state, attempts in expect.get("attempts", {}).items():
            compare("attempts", attempts, sum(1 + len(s.retries) for s in _visits(steps, state)), state)
        for state, backoff in expect.get("backoff", {}).items():
            compare("backoff", backoff, [r.backoff_seconds for s in _visits(steps, state) for r in s.retries], state)
    if "events" in expect:
        counts = Counter(event["type"] for event in execution.history)
        for event_type, count in expect["events"].items():
            compare("events", count, counts.get(event_type, 0), event_type)
    if "duration" in expect:
        history = execution.history
        seconds = (history[-1]["timestamp"] - history[0]["timestamp"]).total_seconds()
        compare("duration", expect["duration"], seconds)
    return unmet


def _visits(steps: list[Step], state: str) -> list[Step]:
    return [step for step in steps if step.name == state]
