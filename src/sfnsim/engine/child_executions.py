"""Child executions: executions a running one starts, each with its own AWS-shaped history.

Two kinds, kept in ``Run.children`` so they can be inspected from the parent (``Execution.children``):

* ``states:startExecution`` Tasks whose target machine is known (a sibling machine of the same
  template, or one given with ``run(..., state_machines=...)``), run in-process. AWS's "Start a new
  AWS Step Functions state machine from a running execution" page defines the patterns:

  - request-response: the child is started and the Task succeeds at once with the StartExecution
    response (``ExecutionArn``, ``StartDate``); the child runs to its end on its own timeline.
  - ``.sync`` / ``.sync:2``: the Task waits for the child on the parent's virtual clock and succeeds
    with the DescribeExecution response, ``Input``/``Output`` as JSON text (``.sync``) or as JSON
    (``.sync:2``). A child that fails, times out or is aborted fails the Task with
    ``States.TaskFailed`` and that response as the cause.
  - ``.waitForTaskToken``: the child is started as for request-response; the Task waits for
    ``send_task_success``/``send_task_failure`` with the token it passed in the child's input.

* Distributed Map child executions (``engine.states.map_distributed``), registered here too.

A handler, mock or MockConfigFile response given for the Task still wins over running the child.
"""

from __future__ import annotations

import json
from collections import ChainMap
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Generator

from sfnsim.dataflow.context import ExecutionInfo
from sfnsim.engine.clock import VirtualClock, iso_millis
from sfnsim.engine.runtime import Branch, Run
from sfnsim.engine.scheduler import ExecutionDeadline, Scheduler
from sfnsim.errors import StatesError, runtime_error, task_failure
from sfnsim.history.events import MAX_HISTORY_EVENTS, HistoryRecorder
from sfnsim.tasks.resources import SYNC, WAIT_FOR_TASK_TOKEN, Resource

if TYPE_CHECKING:
    from sfnsim.engine.compiler import CompiledMachine
    from sfnsim.engine.states.base import Outcome, Visit

RUNNING, SUCCEEDED, FAILED, TIMED_OUT = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"
STARTED_BY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"


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

    def finish(self, run: Run, *, output: Any = None, error: StatesError | None = None) -> None:
        """Record how it ended (``ExecutionSucceeded``/``ExecutionFailed``) at the current virtual time."""
        self.stop_date = run.clock.now()
        if error is None:
            self.status, self.output = SUCCEEDED, output
            self.history.add("ExecutionSucceeded", run.last_event_id, {"output": output})
            return
        self.status, self.error, self.cause = FAILED, error.error, error.cause
        details = {k: v for k, v in (("error", error.error), ("cause", error.cause)) if v is not None}
        self.history.add("ExecutionFailed", run.last_event_id, details)


def start_child(parent: Run, *, kind: str, parent_state: str, name: str, machine_name: str, machine_arn: str,
                definition: dict[str, Any], child_input: Any, clock: VirtualClock | None = None,
                scheduler: Scheduler | None = None, express: bool = False) -> tuple[Run, ChildExecution]:
    """A child's Run (its own history and context object; tasks, randomness, S3 and callback tokens
    shared with the parent) and its record, registered with the parent."""
    clock = clock or parent.clock
    prefix = machine_arn.split(":stateMachine:", 1)[0]
    info = ExecutionInfo(
        execution_arn=f"{prefix}:execution:{machine_name}:{name}", name=name, input=child_input,
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


def run_child(child_run: Run, record: ChildExecution, flow: Any, child_input: Any) -> Generator[Any, Any, ChildExecution]:
    """Run a child's flow on its own history; it sees no variables of its parent."""
    try:
        output = yield from flow.run(child_run, Branch(child_run.history, 0, ChainMap()), child_input)
    except StatesError as error:
        record.finish(child_run, error=error)
        return record
    record.finish(child_run, output=output)
    return record


# -- states:startExecution ------------------------------------------------------------------------


@dataclass(frozen=True)
class NestedMachine:
    """A machine a startExecution Task can run: compiled, with its name, ARN and definition."""

    compiled: "CompiledMachine"
    name: str
    arn: str
    definition: dict[str, Any]


class MachineCatalog:
    """The machines an execution may start, found by ARN (or by the name an ARN ends with)."""

    def __init__(self, lookup: Callable[[str], NestedMachine | None]) -> None:
        self._lookup = lookup

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
    if resource.pattern == SYNC:
        child_run, record = start_child(run, kind="startExecution", parent_state=visit.state.name, name=name,
                                        machine_name=target.name, machine_arn=target.arn,
                                        definition=target.definition, child_input=child_input)
        visit.record(*events.submitted(resource, start_response(record)))
        yield from run_child(child_run, record, target.compiled.flow, child_input)
        described = describe_execution(record, input_text, as_json=resource.resource.endswith(":2"))
        if record.status != SUCCEEDED:
            cause = json.dumps(described, separators=(",", ":"))
            visit.record(*events.failed(resource, "States.TaskFailed", cause))
            raise task_failure("States.TaskFailed", cause)
        visit.record(*events.succeeded(resource, described))
        return output(described)
    record = _run_detached(run, visit.state.name, name, target, child_input)
    response = start_response(record)
    if resource.pattern == WAIT_FOR_TASK_TOKEN:
        return (yield from await_callback(response))
    visit.record(*events.succeeded(resource, response))
    return output(response)


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
        record.status, record.stop_date = TIMED_OUT, clock.now()
        record.history.add("ExecutionTimedOut", child_run.last_event_id, {})
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
    date = record.start_date.strftime("%a, %d %b %Y %H:%M:%S GMT")
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
