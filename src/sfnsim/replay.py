"""Replaying a recorded AWS execution on sfnsim.

Replaying runs the definition locally on the recorded input, on the virtual clock starting at the
recorded start time, and answers every task attempt (``Task*``, ``LambdaFunction*``, ``Activity*``)
with what AWS recorded for it, taking the time it took on AWS. The local history is then compared
with the recorded one (:mod:`sfnsim.history.replay`) and the first divergence is reported.

This driver sits beside :mod:`sfnsim.api` because it runs the engine; the comparison it reports
stays in the history layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from sfnsim.api import Execution, StateMachine
from sfnsim.asl import load_definition
from sfnsim.engine.execution import ExecutionOptions, ExecutionRunner
from sfnsim.errors import HandlerError, InputError
from sfnsim.history.aws_files import DefinitionSource
from sfnsim.history.replay import Divergence, Matches, Outcome, Recording, Sameness, first_divergence
from sfnsim.history.steps import Attempt, StepTree, details_of, seconds_between, step_tree
from sfnsim.tasks.dispatch import Handler, TaskDispatcher, call_handler
from sfnsim.tasks.outcomes import TaskResponse
from sfnsim.tasks.resources import Resource

NO_RECORDED_RESULT = "sfnsim.NoRecordedResult"


# ---------------------------------------------------------------------------------------------
# Answering tasks from the recording


@dataclass(eq=False)
class RecordedAttempt:
    state: str
    attempt: Attempt
    used: bool = False

    def response(self) -> TaskResponse:
        """The recorded answer, taking the time it took on AWS (never reaching a timeout it did not hit)."""
        attempt = self.attempt
        result = attempt.result
        extra: dict[str, Any] = {}
        if attempt.submitted is not None:
            extra["submitted"] = details_of(attempt.submitted).get("output")
        outcome = attempt.outcome
        if outcome in ("timed_out", "pending", "aborted"):
            return TaskResponse(duration=math.inf, **extra)
        duration = self._duration()
        if outcome == "succeeded":
            return TaskResponse(value=result.get("output"), raw=True, duration=duration, **extra)
        # A failure without an error name still fails, and stays without one (as recorded).
        return TaskResponse(error=result.get("error"), cause=result.get("cause"), failed=True,
                            duration=duration, **extra)

    def _duration(self) -> float:
        seconds = self.attempt.seconds or 0.0
        details = details_of(self.attempt.scheduled)
        limits = [details.get(k) for k in ("timeoutInSeconds", "heartbeatInSeconds")]
        limits = [float(v) for v in limits if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if limits:
            seconds = min(seconds, min(limits) - 0.001)  # it answered in time on AWS, so it does here
        return max(seconds, 0.0)


class RecordedAnswers:
    """The recorded task attempts, served per state in order; a matching request is preferred."""

    def __init__(self, tree: StepTree) -> None:
        self.by_state: dict[str, list[RecordedAttempt]] = {}
        for step in tree.steps():
            for attempt in step.attempts:
                self.by_state.setdefault(step.name, []).append(RecordedAttempt(step.name, attempt))

    def take(self, state: str, request: Any) -> RecordedAttempt | None:
        unused = [r for r in self.by_state.get(state, ()) if not r.used]
        chosen = next((r for r in unused if r.attempt.request == request), unused[0] if unused else None)
        if chosen is not None:
            chosen.used = True
        return chosen

    def unused(self) -> list[RecordedAttempt]:
        return [r for attempts in self.by_state.values() for r in attempts if not r.used]


class ReplayDispatcher(TaskDispatcher):
    """Answers from the recording first, then from the user's handlers; otherwise the task fails
    with ``sfnsim.NoRecordedResult`` and the attempt is listed as unanswered."""

    def __init__(self, answers: RecordedAnswers, handlers: Mapping[str, Handler] | None = None) -> None:
        super().__init__(handlers)
        self.answers = answers
        self.unanswered: list[str] = []
        self.task_tokens: set[str] = set()
        self._asked: dict[str, int] = {}

    def find(self, state_name: str, resource: Resource, parameters: Any) -> Handler:
        number = self._asked[state_name] = self._asked.get(state_name, 0) + 1
        recorded = self.answers.take(state_name, parameters)
        if recorded is not None:
            response = recorded.response()
            return self._noting_token(lambda payload: response)
        try:
            return self._noting_token(super().find(state_name, resource, parameters))
        except HandlerError:
            pass
        message = (f'the recording has no result for call {number} of task state "{state_name}" '
                   f"(resource {resource.arn}); give one with --handlers")
        self.unanswered.append(message)
        return lambda payload: TaskResponse(error=NO_RECORDED_RESULT, cause=message)

    def _noting_token(self, handler: Handler) -> Handler:
        """Keep the task tokens the local run generates: they stand for AWS's own tokens."""

        def answer(payload: Any, context: Any) -> Any:
            if context.task_token:
                self.task_tokens.add(context.task_token)
            return call_handler(handler, payload, context)

        return answer



# ---------------------------------------------------------------------------------------------
# Replaying


@dataclass
class ReplayResult:
    recording: Recording
    execution: Any  # sfnsim.Execution
    divergence: Divergence | None
    recorded: Outcome
    local: Outcome
    unanswered: list[str]
    unused: list[RecordedAttempt]
    outcome_changed: bool
    # Differences between the recording and today's AWS that the replay allowed for, in words.
    known_differences: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return self.divergence is None and not self.outcome_changed

    def to_json(self) -> dict[str, Any]:
        return {
            "reproduced": self.reproduced,
            "divergence": self.divergence.to_json() if self.divergence is not None else None,
            "outcome": {"recorded": self.recorded.to_json(), "local": self.local.to_json(),
                        "changed": self.outcome_changed},
            "unanswered": list(self.unanswered),
            "unusedRecordedAttempts": [
                {"state": r.state, "event": r.attempt.scheduled.get("id")} for r in self.unused
            ],
            "events": {"recorded": len(self.recording.events), "local": len(self.execution.history)},
            "knownDifferences": list(self.known_differences),
        }


def replay(recording: Recording, *, definition: DefinitionSource | None = None,
           handlers: Mapping[str, Handler] | None = None, seed: int = 0,
           matches: Matches | None = None) -> ReplayResult:
    """Run ``definition`` (default: the recording's) on the recorded input and task results, then compare.

    ``handlers`` answer the task attempts the recording cannot (e.g. in an edited definition);
    ``matches`` is passed on to :func:`first_divergence`.
    """
    source = definition or recording.definition
    if source is None:
        raise InputError("no definition to replay: give the definition file or the output of "
                         "`aws stepfunctions describe-state-machine-for-execution`")
    machine = _load_machine(StateMachine, source)
    tree = recording.tree
    answers = RecordedAnswers(tree)
    dispatcher = ReplayDispatcher(answers, handlers)
    known = []
    if predates_redrive_count(recording.events):
        known.append(PREDATES_REDRIVE_COUNT)
    execution = _run(machine, recording, source, dispatcher, seed, context_redrive_count=not known)
    generated = _generated_strings(recording, execution, dispatcher)
    recorded, local = Outcome.of(tree), Outcome.of(step_tree(execution.history))
    return ReplayResult(
        recording=recording,
        execution=execution,
        divergence=first_divergence(recording.events, execution.history, generated=generated, matches=matches),
        recorded=recorded,
        local=local,
        unanswered=dispatcher.unanswered,
        unused=answers.unused(),
        outcome_changed=not recorded.same_as(local, Sameness(frozenset(generated), matches).equal),
        known_differences=known,
    )


PREDATES_REDRIVE_COUNT = ("recorded before AWS added $$.Execution.RedriveCount (redrive, November 2023): "
                          "replayed with a context object without it")
_EXECUTION_CONTEXT_KEYS = frozenset({"Id", "Input", "Name", "RoleArn", "StartTime"})


def predates_redrive_count(events: list[dict[str, Any]]) -> bool:
    """Whether the history shows a context object's ``Execution`` without ``RedriveCount``.

    Old exports (and old recordings of ``$$``) have one; replaying them with today's context
    object would report every such payload as a divergence.
    """
    pending: list[Any] = [details for event in events for key, details in event.items() if key.endswith("EventDetails")]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if _EXECUTION_CONTEXT_KEYS <= value.keys() and "RedriveCount" not in value:
                return True
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _generated_strings(recording: Recording, execution: Any, dispatcher: ReplayDispatcher) -> set[str]:
    generated = set(dispatcher.task_tokens)
    if recording.execution_arn is None:  # the execution's name is not in a history file
        generated |= {execution.execution_arn, execution.execution_arn.rsplit(":", 1)[-1]}
    return generated


def _load_machine(state_machine: Any, source: DefinitionSource) -> Any:
    loaded = load_definition(source.definition, source_name=source.source_name,
                             state_machine_type=source.state_machine_type)
    return state_machine(loaded.raw, name=source.state_machine_name or _name_from(source), source=source.source_name)


def _name_from(source: DefinitionSource) -> str:
    if source.path is not None:
        return source.path.name.split(".", 1)[0] or "StateMachine"
    return "StateMachine"


def _run(machine: Any, recording: Recording, source: DefinitionSource, dispatcher: ReplayDispatcher, seed: int,
         *, context_redrive_count: bool = True) -> Any:
    started = recording.started
    arn = recording.execution_arn
    options = ExecutionOptions(
        seed=seed,
        start_time=started.get("timestamp"),
        name=arn.rsplit(":", 1)[-1] if arn else None,
        role_arn=details_of(started).get("roleArn"),
        context_redrive_count=context_redrive_count,
        **_region_account(recording.execution_arn, source.state_machine_arn),
    )
    runner = ExecutionRunner(machine._compiled, machine.name, recording.input, dispatcher, options)
    runner.start()
    end = recording.tree.end_event
    if end is not None and end["type"] == "ExecutionAborted":
        # Stopped from outside on AWS: stop the local run at the same moment.
        seconds = seconds_between(started, end)
        runner.advance_time(seconds or 0.0)
        details = details_of(end)
        runner.stop(details.get("error"), details.get("cause"))
    else:
        runner.finish()
    return Execution(machine, runner)


def _region_account(*arns: str | None) -> dict[str, str]:
    """Region and account from the ARNs the recording knows, so ARNs in the context object match."""
    for arn in arns:
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) > 4 and parts[3] and parts[4].isdigit():
            return {"region": parts[3], "account": parts[4]}
    return {}
