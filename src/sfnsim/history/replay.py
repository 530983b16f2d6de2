"""Replaying a recorded AWS execution on sfnsim, and finding where the two diverge.

Replaying runs the definition locally on the recorded input, on the virtual clock starting at the
recorded start time, and answers every task attempt (``Task*``, ``LambdaFunction*``, ``Activity*``)
with what AWS recorded for it, taking the time it took on AWS. The local history is then compared
with the recorded one and the first divergence is reported.

Reading the files lives in ``history.aws_files`` (re-exported here), grouping events into visits and
threads in ``history.steps``; this module answers tasks, replays and compares
(:func:`replay`, :func:`first_divergence`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from sfnsim.errors import HandlerError, InputError
from sfnsim.history.aws_files import (
    TRUNCATION,
    DefinitionSource,
    fetch_execution,
    is_truncated,
    parse_timestamp,
    read_definition,
    read_history,
)
from sfnsim.history.steps import (
    Attempt,
    Step,
    StepTree,
    _seconds_between,
    details_of,
    step_tree,
)
from sfnsim.tasks.dispatch import Handler, TaskDispatcher, call_handler
from sfnsim.tasks.outcomes import TaskResponse
from sfnsim.tasks.resources import Resource

NO_RECORDED_RESULT = "sfnsim.NoRecordedResult"


# ---------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Outcome:
    """How an execution ended: status, output or error/cause, and the state that failed."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    state: str | None = None

    @classmethod
    def of(cls, tree: StepTree) -> "Outcome":
        end = tree.end_event
        details = details_of(end) if end is not None else {}
        failed = tree.failed_step()
        return cls(tree.status, details.get("output"), details.get("error"), details.get("cause"),
                   failed.name if failed is not None else None)

    def same_as(self, other: "Outcome", equal: Callable[[Any, Any], bool] | None = None) -> bool:
        """Same status and error, and for a success the same output (by ``equal``, default JSON equality)."""
        if (self.status, self.error) != (other.status, other.error):
            return False
        return self.status != "SUCCEEDED" or (equal or _Sameness(frozenset(), None).equal)(self.output, other.output)

    def describe(self) -> str:
        """E.g. ``FAILED at "Load" (States.TaskFailed)`` or ``SUCCEEDED``."""
        text = self.status
        if self.state is not None:
            text += f' at "{self.state}"'
        if self.error is not None:
            text += f" ({self.error})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "output": self.output, "error": self.error, "cause": self.cause,
                "state": self.state}


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
        if outcome in ("timed_out", "pending"):
            return TaskResponse(duration=math.inf, **extra)
        duration = self._duration()
        if outcome == "succeeded":
            return TaskResponse(value=result.get("output"), raw=True, duration=duration, **extra)
        # A failure without an error name still fails (TaskResponse succeeds when error is None).
        error = result.get("error")
        return TaskResponse(error=error if error is not None else "", cause=result.get("cause"),
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
# Comparing histories

# The details that say what happened; ids, timestamps, ARNs and resource names may legitimately
# differ between AWS and a local run.
COMPARED_FIELDS = ("name", "index", "length", "input", "parameters", "output", "error", "cause", "assignedVariables")


@dataclass(frozen=True)
class Divergence:
    """Where the local run first differs from the recording."""

    event_id: Any  # the recorded event's id (None when the local run has an event AWS did not record)
    local_event_id: Any
    state: str | None
    field: str  # "type", one of COMPARED_FIELDS, "missing" or "extra"
    recorded: Any
    local: Any

    def describe(self) -> str:
        where = f"event #{self.event_id}" if self.event_id is not None else f"local event #{self.local_event_id}"
        if self.state:
            where += f' (state "{self.state}")'
        if self.field == "missing":
            return f"{where}: AWS recorded {self.recorded}, sfnsim recorded nothing there"
        if self.field == "extra":
            return f"{where}: sfnsim recorded {self.local}, which AWS did not"
        if self.field == "type":
            return f"{where}: AWS recorded {self.recorded}, sfnsim recorded {self.local}"
        return f"{where}: {self.field} differs: AWS recorded {_short(self.recorded)}, sfnsim {_short(self.local)}"

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event_id, "localEvent": self.local_event_id, "state": self.state,
                "field": self.field, "recorded": self.recorded, "local": self.local,
                "message": self.describe()}


_MISSING: Any = object()
Matches = Callable[[Any, Any], bool]


def first_divergence(recorded: list[dict[str, Any]], local: list[dict[str, Any]], *,
                     generated: Iterable[str] = (), matches: Matches | None = None) -> Divergence | None:
    """The first recorded event the local history does not reproduce, else the first extra local event.

    Events are compared per thread (the main flow, each Parallel branch, each Map iteration), in
    order within the thread: how concurrent branches interleave depends on real timing on AWS.
    ``generated`` are strings the local run made up where AWS had its own (task tokens, an
    execution name nobody told us): as a whole value, each matches whatever AWS recorded.
    ``matches(recorded, local)`` replaces JSON equality for payloads (e.g. to honour placeholders).
    """
    same = _Sameness(frozenset(generated), matches)
    recorded_tree, local_tree = step_tree(recorded), step_tree(local)
    local_threads: dict[tuple[Any, ...], list[int]] = {}
    for position, thread in enumerate(local_tree.threads):
        local_threads.setdefault(_hashable(thread), []).append(position)
    consumed: dict[tuple[Any, ...], int] = {}
    for position, event in enumerate(recorded):
        key = _hashable(recorded_tree.threads[position])
        index = consumed.get(key, 0)
        consumed[key] = index + 1
        candidates = local_threads.get(key, [])
        if index >= len(candidates):
            return Divergence(event.get("id"), None, _state_of(recorded_tree, position), "missing", event["type"], None)
        difference = same.difference(event, local[candidates[index]])
        if difference is not None:
            field_name, was, now = difference
            return Divergence(event.get("id"), local[candidates[index]].get("id"),
                              _state_of(recorded_tree, position), field_name, was, now)
    extra = sorted(p for key, positions in local_threads.items() for p in positions[consumed.get(key, 0):])
    if extra:
        position = extra[0]
        return Divergence(None, local[position].get("id"), _state_of(local_tree, position), "extra",
                          None, local[position]["type"])
    return None


def _hashable(thread: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(tuple(part) if isinstance(part, list) else part for part in thread)


def _state_of(tree: StepTree, position: int) -> str | None:
    """The state an event belongs to; for an execution-level event, the state it followed."""
    owner = tree.owners[position]
    if owner is not None:
        return owner.name
    event = tree.events[position]
    previous = event.get("previousEventId")
    for index in range(position - 1, -1, -1):
        if tree.events[index].get("id") == previous:
            return tree.owners[index].name if tree.owners[index] is not None else None
    return None


class _Sameness:
    """Whether a local event says the same as the recorded one (type, then COMPARED_FIELDS)."""

    def __init__(self, generated: frozenset[str], matches: Matches | None) -> None:
        self.generated = generated
        self.matches = matches

    def difference(self, recorded: dict[str, Any], local: dict[str, Any]) -> tuple[str, Any, Any] | None:
        if recorded["type"] != local["type"]:
            return "type", recorded["type"], local["type"]
        was, now = details_of(recorded), details_of(local)
        for name in COMPARED_FIELDS:
            if name in TRUNCATION and is_truncated(was, name):
                continue
            a, b = was.get(name, _MISSING), now.get(name, _MISSING)
            if not self.same(name, a, b):
                return name, None if a is _MISSING else a, None if b is _MISSING else b
        return None

    def same(self, name: str, recorded: Any, local: Any) -> bool:
        if recorded is _MISSING or local is _MISSING:
            # AWS leaves out an empty error/cause: a missing field matches a missing or empty one.
            other = local if recorded is _MISSING else recorded
            return other is _MISSING or other in ("", None)
        if self.equal(recorded, local):
            return True
        if name == "cause" and isinstance(recorded, str) and isinstance(local, str):
            return self._same_json_text(recorded, local)  # one JSON object, written with other spacing
        return False

    def equal(self, a: Any, b: Any) -> bool:
        if isinstance(b, str) and b in self.generated:
            return isinstance(a, str)
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(self.equal(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(self.equal(x, y) for x, y in zip(a, b))
        if self.matches is not None:
            return self.matches(a, b)
        if isinstance(a, bool) or isinstance(b, bool):  # 1 and 1.0 are one JSON number; true is not 1
            return type(a) is type(b) and a == b
        return a == b

    def _same_json_text(self, a: str, b: str) -> bool:
        try:
            return self.equal(json.loads(a), json.loads(b))
        except (json.JSONDecodeError, RecursionError):
            return False


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Replaying


@dataclass
class Recording:
    """A recorded execution: its history, and the definition it ran."""

    events: list[dict[str, Any]]
    definition: DefinitionSource | None = None
    execution_arn: str | None = None

    @property
    def tree(self) -> StepTree:
        return step_tree(self.events)

    @property
    def started(self) -> dict[str, Any]:
        first = self.events[0] if self.events else None
        if first is None or first["type"] != "ExecutionStarted":
            raise InputError("the history does not begin with an ExecutionStarted event (is it complete?)")
        return first

    @property
    def input(self) -> Any:
        details = details_of(self.started)
        if "input" not in details:
            raise InputError(
                "the history has no execution data (no input in ExecutionStarted): fetch it with "
                "`aws stepfunctions get-execution-history --include-execution-data`"
            )
        if is_truncated(details, "input"):
            raise InputError("the recorded execution input was truncated by AWS, so it cannot be replayed")
        return details["input"]


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
        }


def replay(recording: Recording, *, definition: DefinitionSource | None = None,
           handlers: Mapping[str, Handler] | None = None, seed: int = 0,
           matches: Matches | None = None) -> ReplayResult:
    """Run ``definition`` (default: the recording's) on the recorded input and task results, then compare.

    ``handlers`` answer the task attempts the recording cannot (e.g. in an edited definition);
    ``matches`` is passed on to :func:`first_divergence`.
    """
    from sfnsim.api import StateMachine  # noqa: PLC0415 - the engine is only needed to replay

    source = definition or recording.definition
    if source is None:
        raise InputError("no definition to replay: give the definition file or the output of "
                         "`aws stepfunctions describe-state-machine-for-execution`")
    machine = _load_machine(StateMachine, source)
    tree = recording.tree
    answers = RecordedAnswers(tree)
    dispatcher = ReplayDispatcher(answers, handlers)
    execution = _run(machine, recording, source, dispatcher, seed)
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
        outcome_changed=not recorded.same_as(local, _Sameness(frozenset(generated), matches).equal),
    )


def _generated_strings(recording: Recording, execution: Any, dispatcher: ReplayDispatcher) -> set[str]:
    generated = set(dispatcher.task_tokens)
    if recording.execution_arn is None:  # the execution's name is not in a history file
        generated |= {execution.execution_arn, execution.execution_arn.rsplit(":", 1)[-1]}
    return generated


def _load_machine(state_machine: Any, source: DefinitionSource) -> Any:
    from sfnsim.asl import load_definition  # noqa: PLC0415

    loaded = load_definition(source.definition, source_name=source.source_name,
                             state_machine_type=source.state_machine_type)
    return state_machine(loaded.raw, name=source.state_machine_name or _name_from(source), source=source.source_name)


def _name_from(source: DefinitionSource) -> str:
    if source.path is not None:
        return source.path.name.split(".", 1)[0] or "StateMachine"
    return "StateMachine"


def _run(machine: Any, recording: Recording, source: DefinitionSource, dispatcher: ReplayDispatcher, seed: int) -> Any:
    from sfnsim.api import Execution  # noqa: PLC0415
    from sfnsim.engine.execution import ExecutionOptions, ExecutionRunner  # noqa: PLC0415

    started = recording.started
    arn = recording.execution_arn
    options = ExecutionOptions(
        seed=seed,
        start_time=started.get("timestamp"),
        name=arn.rsplit(":", 1)[-1] if arn else None,
        role_arn=details_of(started).get("roleArn"),
        **_region_account(recording.execution_arn, source.state_machine_arn),
    )
    runner = ExecutionRunner(machine._compiled, machine.name, recording.input, dispatcher, options)
    runner.start()
    end = recording.tree.end_event
    if end is not None and end["type"] == "ExecutionAborted":
        # Stopped from outside on AWS: stop the local run at the same moment.
        seconds = _seconds_between(started, end)
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


__all__ = [
    "Attempt",
    "DefinitionSource",
    "Divergence",
    "Outcome",
    "Recording",
    "ReplayDispatcher",
    "ReplayResult",
    "Step",
    "StepTree",
    "fetch_execution",
    "first_divergence",
    "parse_timestamp",
    "read_definition",
    "read_history",
    "replay",
    "step_tree",
]
