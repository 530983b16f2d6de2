"""Child executions: executions a running one starts, each with its own AWS-shaped history.

Two kinds, kept in ``Run.children`` so they can be inspected from the parent (``Execution.children``):

* ``states:startExecution`` Tasks whose target machine is known (a sibling machine of the same
  template, or one given with ``run(..., state_machines=...)``), run in-process. AWS's "Start a new
  AWS Step Functions state machine from a running execution" page defines the patterns:

  - request-response: the child is started and the Task succeeds at once with the StartExecution
    response (``ExecutionArn``, ``StartDate``); the child runs to its end on its own timeline.
  - ``.sync`` / ``.sync:2``: the Task waits for the child on the parent's virtual clock and succeeds
    with the DescribeExecution response, ``Input``/``Output`` as JSON text (``.sync``) or as JSON
    (``.sync:2``). A child that fails, times out (its own TimeoutSeconds) or is aborted fails the
    Task with ``States.TaskFailed`` and that response as the cause.
  - ``.waitForTaskToken``: the child is started as for request-response; the Task waits for
    ``send_task_success``/``send_task_failure`` with the token it passed in the child's input.

  Names follow StartExecution's rules (``MachineCatalog.started``): a name used before is
  ``ExecutionAlreadyExists`` unless it is a running execution's with the same input, which is that
  execution again.

* Distributed Map child executions (``engine.states.map_distributed``), registered here too.

A handler, mock or MockConfigFile response given for the Task still wins over running the child.
"""

from __future__ import annotations

import json
from collections import ChainMap
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Generator, Hashable

from sfnsim.dataflow.context import ExecutionInfo
from sfnsim.engine.clock import VirtualClock, iso_millis
from sfnsim.engine.runtime import Branch, Run
from sfnsim.engine.scheduler import ExecutionDeadline, Gather, Park, Scheduler, Sleep
from sfnsim.errors import StatesError, runtime_error, task_failure
from sfnsim.history.events import MAX_HISTORY_EVENTS, HistoryRecorder
from sfnsim.tasks.resources import SYNC, WAIT_FOR_TASK_TOKEN, Resource
from sfnsim.tasks.shapes import http_date

if TYPE_CHECKING:
    from sfnsim.engine.compiler import CompiledMachine
    from sfnsim.engine.states.base import Outcome, Visit

RUNNING, SUCCEEDED, FAILED, TIMED_OUT = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"
STARTED_BY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"
ALREADY_EXISTS = "StepFunctions.ExecutionAlreadyExistsException"


@dataclass(eq=False)
class ChildExecution:
    """One child execution: what it ran, its history, and how it ended."""

    kind: str  # "startExecution" or "map"
    parent_state: str  # the Task or Map state that started it
    execution_arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    definition: dict[str, Any]  # what it runs (a Distributed Map's ItemProcessor for a map child)
    input: Any
    history: HistoryRecorder
    start_date: datetime
    status: str = RUNNING
    output: Any = None
    error: str | None = None
    cause: str | None = None
    stop_date: datetime | None = None
    started_by: str | None = None  # AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID, when its input had it
    children: list["ChildExecution"] = field(default_factory=list)
    inspector: Any = None  # its data-flow stages, when the parent runs with inspect=True
    # ``.sync`` Tasks that started it again by name while it ran (AWS's idempotent StartExecution),
    # parked on the scheduler until it ends.
    joiners: list[tuple[Scheduler, Hashable]] = field(default_factory=list, repr=False)

    def finish(self, run: Run, *, output: Any = None, error: StatesError | None = None) -> None:
        """Record how it ended (``ExecutionSucceeded``/``ExecutionFailed``) at the current virtual time."""
        self.stop_date = run.clock.now()
        if error is None:
            self.status, self.output = SUCCEEDED, output
            self.history.add("ExecutionSucceeded", run.last_event_id, {"output": output})
        else:
            self.status, self.error, self.cause = FAILED, error.error, error.cause
            details = {k: v for k, v in (("error", error.error), ("cause", error.cause)) if v is not None}
            self.history.add("ExecutionFailed", run.last_event_id, details)
        self.finish_joiners()

    def time_out(self, run: Run) -> None:
        """Record that its TimeoutSeconds passed (``ExecutionTimedOut``, without an error, as AWS's)."""
        self.status, self.stop_date = TIMED_OUT, run.clock.now()
        self.history.add("ExecutionTimedOut", run.last_event_id, {})
        self.finish_joiners()

    def finish_joiners(self) -> None:
        """Resume the ``.sync`` Tasks that joined it by name, now that it has ended."""
        for scheduler, key in self.joiners:
            try:
                scheduler.wake(key)
            except KeyError:  # that Task was cancelled meanwhile (a sibling branch failed)
                pass
        self.joiners.clear()


def start_child(parent: Run, *, kind: str, parent_state: str, name: str, machine_name: str, machine_arn: str,
                definition: dict[str, Any], child_input: Any, clock: VirtualClock | None = None,
                scheduler: Scheduler | None = None, express: bool = False) -> tuple[Run, ChildExecution]:
    """A child's Run (its own history and context object; tasks, randomness, S3 and callback tokens
    shared with the parent) and its record, registered with the parent."""
    clock = clock or parent.clock
    info = ExecutionInfo(
        execution_arn=execution_arn(machine_arn, machine_name, name), name=name, input=child_input,
        start_time=iso_millis(clock.now()), role_arn=parent.info.role_arn, state_machine_arn=machine_arn,
        state_machine_name=machine_name,
    )
    history = HistoryRecorder(clock.now, limit=None if express else MAX_HISTORY_EVENTS)
    history.add("ExecutionStarted", 0, {"input": child_input, "roleArn": info.role_arn})
    record = ChildExecution(kind, parent_state, info.execution_arn, name, machine_arn, machine_name, definition,
                            child_input, history, clock.now())
    if isinstance(child_input, dict) and isinstance(child_input.get(STARTED_BY), str):
        record.started_by = child_input[STARTED_BY]
    # A Distributed Map child's states belong to the parent's definition, and are inspected with
    # the parent's; another machine's states are inspected on their own (a walkthrough of their own).
    inspector = parent.inspector
    if inspector is not None and kind != "map":
        inspector = record.inspector = type(inspector)()
    child_run = Run(clock, scheduler or parent.scheduler, history, parent.rng, info, parent.tasks, parent.s3_objects,
                    last_event_id=1, pending_tokens=parent.pending_tokens, inspector=inspector,
                    machines=parent.machines, children=record.children)
    parent.children.append(record)
    return child_run, record


def execution_arn(machine_arn: str, machine_name: str, name: str) -> str:
    """The ARN of the execution called ``name`` of the machine ``machine_arn``."""
    prefix = machine_arn.split(":stateMachine:", 1)[0]
    return f"{prefix}:execution:{machine_name}:{name}"


def run_child(child_run: Run, record: ChildExecution, flow: Any, child_input: Any,
              timeout: float | None = None) -> Generator[Any, Any, ChildExecution]:
    """Run a child's flow on its own history; it sees no variables of its parent. With ``timeout``
    (the child machine's TimeoutSeconds), a child still running then ends TIMED_OUT."""
    branch = flow.run(child_run, Branch(child_run.history, 0, ChainMap()), child_input)
    try:
        output = yield from (branch if timeout is None else _within(branch, timeout))
    except _Expired:
        record.time_out(child_run)
        return record
    except StatesError as error:
        record.finish(child_run, error=error)
        return record
    record.finish(child_run, output=output)
    return record


class _Ended(StatesError):
    """How a branch raced against an alarm reports that it ended first (it carries the result)."""

    def __init__(self, result: Any) -> None:
        super().__init__(None)
        self.result = result


class _Expired(StatesError):
    """The alarm a branch raced against went off first."""

    def __init__(self) -> None:
        super().__init__(None)


def _within(branch: Generator[Any, Any, Any], seconds: float) -> Generator[Any, Any, Any]:
    """``branch`` run as a fiber of its own beside an alarm: whichever ends first cancels the other
    (the scheduler's fail-fast Gather), so a branch still running after ``seconds`` is stopped."""
    def finishing() -> Generator[Any, Any, Any]:
        raise _Ended((yield from branch))

    def alarm() -> Generator[Any, Any, Any]:
        yield Sleep(seconds)
        raise _Expired()

    try:
        yield Gather([finishing, alarm], 0, True)
    except _Ended as ended:
        return ended.result
    raise AssertionError("a fail-fast race ends with an error")  # pragma: no cover


# -- states:startExecution ------------------------------------------------------------------------


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class NestedMachine:
    """A machine a startExecution Task can run: compiled, with its name, ARN and definition."""

    __slots__ = ("compiled", "name", "arn", "definition")

    def __init__(self, compiled: CompiledMachine, name: str, arn: str, definition: dict[str, Any]) -> None:
        self.compiled = compiled
        self.name = name
        self.arn = arn
        self.definition = definition


class MachineCatalog:
    """The machines an execution may start, found by ARN (or by the name an ARN ends with)."""

    def __init__(self, lookup: Callable[[str], NestedMachine | None]) -> None:
        self._lookup = lookup
        # execution ARN -> (the execution, its input as JSON text): the names StartExecution has used.
        # AWS keeps a name for 90 days; a run (with its children) is far shorter, so: for the whole run.
        self.started: dict[str, tuple[ChildExecution, str]] = {}

    def find(self, arn_or_name: Any) -> NestedMachine | None:
        if not isinstance(arn_or_name, str):
            return None
        return self._lookup(arn_or_name)


def is_start_execution(resource: Resource) -> bool:
    return resource.resource_type == "states" and resource.action == "startExecution"


def nested_target(run: Run, resource: Resource, parameters: Any) -> NestedMachine | None:
    """The machine a ``states:startExecution`` Task starts, if it is known to this run."""
    if run.machines is None or not is_start_execution(resource) or not isinstance(parameters, dict):
        return None
    return run.machines.find(parameters.get("StateMachineArn"))


def start_execution_task(visit: "Visit", resource: Resource, events: Any, parameters: dict[str, Any],
                         target: NestedMachine,
                         await_callback: Callable[[Any], Generator[Any, Any, "Outcome"]],
                         output: Callable[[Any], "Outcome"]) -> Generator[Any, Any, "Outcome"]:
    """A ``states:startExecution`` Task that runs ``target`` in-process (TaskScheduled and
    TaskStarted are recorded by the caller); ``output`` runs the Task's result through its data flow."""
    run = visit.run
    child_input, input_text = _child_input(parameters.get("Input"))
    name = parameters.get("Name")
    if not isinstance(name, str) or not name:
        name = run.new_uuid()
    started = run.machines.started if run.machines is not None else {}
    earlier = started.get(execution_arn(target.arn, target.name, name))
    if earlier is not None:
        return (yield from _start_again(visit, resource, events, earlier, input_text, await_callback, output))
    if resource.pattern == SYNC:
        child_run, record = start_child(run, kind="startExecution", parent_state=visit.state.name, name=name,
                                        machine_name=target.name, machine_arn=target.arn,
                                        definition=target.definition, child_input=child_input)
        started[record.execution_arn] = (record, input_text)
        visit.record(*events.submitted(resource, start_response(record)))
        yield from run_child(child_run, record, target.compiled.flow, child_input, target.compiled.timeout_seconds)
        return _sync_result(visit, resource, events, record, input_text, output)
    record = _run_detached(run, visit.state.name, name, target, child_input)
    started[record.execution_arn] = (record, input_text)
    response = start_response(record)
    if resource.pattern == WAIT_FOR_TASK_TOKEN:
        return (yield from await_callback(response))
    visit.record(*events.succeeded(resource, response))
    return output(response)


def _sync_result(visit: "Visit", resource: Resource, events: Any, record: ChildExecution, input_text: str,
                 output: Callable[[Any], "Outcome"]) -> "Outcome":
    """A ``.sync`` Task's end once its child has ended: DescribeExecution's answer, or States.TaskFailed."""
    described = describe_execution(record, input_text, as_json=resource.resource.endswith(":2"))
    if record.status != SUCCEEDED:
        cause = json.dumps(described, separators=(",", ":"))
        visit.record(*events.failed(resource, "States.TaskFailed", cause))
        raise task_failure("States.TaskFailed", cause)
    visit.record(*events.succeeded(resource, described))
    return output(described)


def _start_again(visit: "Visit", resource: Resource, events: Any, earlier: tuple[ChildExecution, str],
                 input_text: str, await_callback: Callable[[Any], Generator[Any, Any, "Outcome"]],
                 output: Callable[[Any], "Outcome"]) -> Generator[Any, Any, "Outcome"]:
    """StartExecution with a name already used. AWS's API reference: for a Standard workflow, the same
    name and input as an open execution succeed with the original response (nothing new runs); a
    closed execution, or a different input, is a 400 ExecutionAlreadyExists."""
    run = visit.run
    record, earlier_input = earlier
    now = run.clock.now()
    still_open = record.status == RUNNING or (record.stop_date is not None and record.stop_date > now)
    if not still_open or earlier_input != input_text:
        # The error and cause as AWS's integration reports them.
        cause = (f"Execution Already Exists: '{record.execution_arn}' (Service: AWSStepFunctions; Status Code: 400; "
                 f"Error Code: ExecutionAlreadyExists; Request ID: {_request_id(f'{record.execution_arn}#{now}')}; "
                 "Proxy: null)")
        visit.record(*events.failed(resource, ALREADY_EXISTS, cause))
        raise task_failure(ALREADY_EXISTS, cause)
    response = start_response(record)
    if resource.pattern == WAIT_FOR_TASK_TOKEN:
        return (yield from await_callback(response))
    if resource.pattern != SYNC:
        visit.record(*events.succeeded(resource, response))
        return output(response)
    visit.record(*events.submitted(resource, response))
    if record.status == RUNNING:  # running beside this one, on the same scheduler
        key = ("join", record.execution_arn, len(record.joiners), id(visit))
        record.joiners.append((run.scheduler, key))
        yield Park(key)
    elif record.stop_date is not None:  # ran on a timeline of its own: ends later on this one
        yield Sleep((record.stop_date - now).total_seconds())
    return _sync_result(visit, resource, events, record, input_text, output)


def _run_detached(parent: Run, state_name: str, name: str, target: NestedMachine, child_input: Any) -> ChildExecution:
    """A child the parent does not wait for, run to its end now on a timeline of its own that starts
    at the parent's present instant (so its events carry the right virtual times)."""
    clock = VirtualClock(parent.clock.start)
    clock.elapsed = parent.clock.elapsed
    scheduler = Scheduler(clock, target.compiled.timeout_seconds)
    child_run, record = start_child(parent, kind="startExecution", parent_state=state_name, name=name,
                                    machine_name=target.name, machine_arn=target.arn, definition=target.definition,
                                    child_input=child_input, clock=clock, scheduler=scheduler)
    scheduler.start(run_child(child_run, record, target.compiled.flow, child_input))
    try:
        scheduler.run()
    except ExecutionDeadline:  # the child's own TimeoutSeconds
        scheduler.cancel_all()
        record.time_out(child_run)
    return record


def _child_input(value: Any) -> tuple[Any, str]:
    """The child's input and its JSON text: ``Input`` is JSON text or a value (serialised); none is {}."""
    if value is None:
        value = {}
    if isinstance(value, str):
        try:
            return json.loads(value), value
        except json.JSONDecodeError:
            raise runtime_error(
                f"The Input parameter of startExecution must be JSON text or a JSON value, got {value!r}"
            ) from None
    return value, json.dumps(value, separators=(",", ":"))


def _epoch_millis(moment: datetime | None) -> int | None:
    # Step Functions' integration responses give the SDK's dates as epoch milliseconds.
    return None if moment is None else round(moment.timestamp() * 1000)


def start_response(record: ChildExecution) -> dict[str, Any]:
    """What StartExecution answers, as the optimized integration passes it on (AWS's recorded shape)."""
    request_id = _request_id(record.execution_arn)
    body = json.dumps({"executionArn": record.execution_arn, "startDate": record.start_date.timestamp()},
                      separators=(",", ":"))
    date = http_date(record.start_date)
    return {
        "ExecutionArn": record.execution_arn,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {"x-amzn-RequestId": [request_id], "connection": ["keep-alive"],
                               "Content-Length": [str(len(body))], "Date": [date],
                               "Content-Type": ["application/x-amz-json-1.0"]},
            "HttpHeaders": {"connection": "keep-alive", "Content-Length": str(len(body)),
                            "Content-Type": "application/x-amz-json-1.0", "Date": date,
                            "x-amzn-RequestId": request_id},
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StartDate": _epoch_millis(record.start_date),
    }


def describe_execution(record: ChildExecution, input_text: str, *, as_json: bool) -> dict[str, Any]:
    """What DescribeExecution answers for a finished child, keys in AWS's (alphabetical) order;
    ``.sync:2`` gives Input and Output as JSON, ``.sync`` as JSON text."""
    described: dict[str, Any] = {}
    if record.cause is not None:
        described["Cause"] = record.cause
    if record.error is not None:
        described["Error"] = record.error
    described.update({
        "ExecutionArn": record.execution_arn,
        "Input": record.input if as_json else input_text,
        "InputDetails": {"Included": True},
        "Name": record.name,
    })
    if record.status == SUCCEEDED:
        described["Output"] = record.output if as_json else json.dumps(record.output, separators=(",", ":"))
        described["OutputDetails"] = {"Included": True}
    described["RedriveCount"] = 0
    if record.status == SUCCEEDED:
        described["RedriveStatus"] = "NOT_REDRIVABLE"
        described["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    else:
        described["RedriveStatus"] = "REDRIVABLE"
    described.update({
        "StartDate": _epoch_millis(record.start_date),
        "StateMachineArn": record.state_machine_arn,
        "Status": record.status,
        "StopDate": _epoch_millis(record.stop_date),
    })
    return described


def _request_id(seed: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


__all__ = [
    "ChildExecution",
    "MachineCatalog",
    "NestedMachine",
    "describe_execution",
    "nested_target",
    "start_child",
    "start_execution_task",
]
