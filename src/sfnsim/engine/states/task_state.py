"""Task: hands its effective input to a handler standing in for a service, then runs the result
through the data flow. Retry, Catch, TimeoutSeconds and HeartbeatSeconds apply.

Events follow the resource's form (see ``sfnsim.tasks.resources``):
``TaskScheduled → TaskStarted → [TaskSubmitted] → TaskSucceeded | TaskFailed | TaskTimedOut``,
``LambdaFunctionScheduled → LambdaFunctionStarted → LambdaFunction{Succeeded,Failed,TimedOut}`` for the
legacy Lambda ARN, and ``Activity*`` for activities.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Generator

from sfnsim.dataflow.jsonpath import PathNotFound, compile_path
from sfnsim.dataflow.jsontypes import copy_json
from sfnsim.dataflow.pipeline import MAX_PAYLOAD_BYTES, data_limit_cause, payload_size
from sfnsim.engine.child_executions import nested_target, start_execution_task
from sfnsim.engine.clock import utc
from sfnsim.engine.scheduler import NOW, Park, ParkTimeout, Sleep
from sfnsim.engine.states.base import Outcome, StateExecutor, Visit
from sfnsim.engine.states.fields import template_field
from sfnsim.errors import HandlerError, StatesError, runtime_error, task_failure
from sfnsim.tasks.dispatch import TaskCall, TaskContext
from sfnsim.tasks.outcomes import PENDING, is_missing_activity
from sfnsim.tasks.resources import (
    ACTIVITY,
    LAMBDA_FUNCTION,
    SERVICE,
    SYNC,
    WAIT_FOR_TASK_TOKEN,
    Resource,
    parse_resource,
)
from sfnsim.tasks.shapes import check_request, shape_result, size_bound


class TaskState(StateExecutor):
    state_type: ClassVar[str] = "Task"
    has_retry_count: ClassVar[bool] = True

    def __init__(self, name: str, spec: dict[str, Any], compiler: Any) -> None:
        super().__init__(name, spec, compiler)
        self.resource: Resource = parse_resource(spec["Resource"])
        self.timeout = _limit(spec, "TimeoutSeconds", self.query_language)
        self.heartbeat = _limit(spec, "HeartbeatSeconds", self.query_language)
        self.credentials = _credentials(spec.get("Credentials"), self.query_language)

    def body(self, visit: Visit) -> Generator[Any, Any, Outcome]:
        return (yield from self.attempt_with_recovery(visit, self._attempt))

    # -- one attempt ----------------------------------------------------------------------------
    def _attempt(self, visit: Visit, number: int) -> Generator[Any, Any, Outcome]:
        if self.resource.pattern in (WAIT_FOR_TASK_TOKEN, SYNC):
            # The context object's Task.Token exists for both patterns that wait on the service
            # (AWS's context-object page: "Task" is null only outside a task state; recorded .sync
            # executions carry one too).
            visit.task_token = visit.run.new_uuid()
        payload = self.io.effective_input(visit)
        timeout = self.timeout(visit)
        heartbeat = self.heartbeat(visit)
        events = _EVENTS[self.resource.kind]
        refusal = check_request(self.resource, payload)
        if refusal is not None:
            raise runtime_error(refusal)
        if self.resource.kind == ACTIVITY and is_missing_activity(visit.run.tasks.given(self.name, self.resource, payload)):
            # As AWS records it: States.Runtime right after TaskStateEntered, nothing scheduled.
            raise runtime_error(f"The activity {self.resource.arn} does not exist.")
        self._record_scheduled(visit, payload, timeout, heartbeat)
        # AWS starts a task a moment after scheduling it: concurrent branches record all their
        # TaskScheduled events before the TaskStarted ones (recorded inline Map histories).
        yield NOW
        # An activity is started when a worker takes it; a handler that leaves it to one (PENDING)
        # records ActivityStarted later, through Execution.start_activity_task.
        is_activity = self.resource.kind == ACTIVITY
        if not is_activity:
            visit.record(*events.started(self.resource))
        token = visit.run.new_activity_token() if is_activity else visit.task_token

        target = nested_target(visit.run, self.resource, payload)
        if target is not None and visit.run.tasks.given(self.name, self.resource, payload) is None:
            # states:startExecution of a machine this run knows: the child runs in-process.
            return (yield from start_execution_task(
                visit, self.resource, events, payload, target,
                lambda submitted: self._await_callback(visit, events, TaskCall(submitted=submitted, has_submitted=True),
                                                       timeout, heartbeat, token),
                lambda result: self.io.output(visit, result, self.next)))
        handler = visit.run.tasks.find(self.name, self.resource, payload)
        context = TaskContext(self.name, self.resource.arn, number, token,
                              visit.run.info.execution_arn, visit.entered_time, visit.run.now_iso())
        # The handler gets its own copy: what it does to its event must not change the recorded history.
        call = visit.run.tasks.call(handler, copy_json(_function_input(self.resource, payload)), context, self.resource)

        if call.value is PENDING and not call.fails:
            return (yield from self._await_callback(visit, events, call, timeout, heartbeat, token))
        if is_activity:
            visit.record(*events.started(self.resource))
        if call.has_submitted or self.resource.pattern in (WAIT_FOR_TASK_TOKEN, SYNC):
            # AWS records the submission of every callback/.sync task; without a recorded service
            # response we have only an empty one to show.
            visit.record(*events.submitted(self.resource, call.submitted if call.has_submitted else {}))
        expiry = self._expiry(timeout, heartbeat, call.duration)
        if expiry is not None:
            seconds, error = expiry
            if math.isinf(seconds):  # never answers and nothing times it out: the branch waits for good
                yield Park(("unanswered-task", visit.entered_id, number))
            yield Sleep(seconds)
            visit.record(*events.timed_out(self.resource, error))
            raise StatesError(error, None)
        if call.duration > 0:
            yield Sleep(call.duration)
        if call.fails:
            visit.record(*events.failed(self.resource, call.error, call.cause))
            raise task_failure(call.error, call.cause)
        result = call.value if call.raw else shape_result(
            self.resource, call.value, new_request_id=visit.run.new_uuid, now=utc(visit.run.clock.now()))
        bound = None if call.raw else size_bound(self.resource, result)
        if (bound is None or bound > MAX_PAYLOAD_BYTES) and payload_size(result) > MAX_PAYLOAD_BYTES:
            # AWS records an oversized service result as the task's failure, which Retry and Catch
            # can handle (unlike the state's own output over the quota, checked after ResultPath).
            cause = data_limit_cause(self.resource.resource_type if self.resource.kind == SERVICE else self.resource.arn)
            visit.record(*events.failed(self.resource, "States.DataLimitExceeded", cause))
            raise task_failure("States.DataLimitExceeded", cause)
        visit.record(*events.succeeded(self.resource, result))
        return self.io.output(visit, result, self.next)

    def _await_callback(self, visit: Visit, events: "_Events", call: TaskCall, timeout: float | None,
                        heartbeat: float | None, token: str | None) -> Generator[Any, Any, Outcome]:
        """Wait for send_task_success/failure on the task token (or a timeout).

        An activity waits for its worker: first ``("started", worker_name)`` when the worker takes
        the task (ActivityStarted; its heartbeat clock restarts), then the answer.
        """
        is_activity = self.resource.kind == ACTIVITY
        if token is None or not (is_activity or self.resource.pattern == WAIT_FOR_TASK_TOKEN):
            raise HandlerError(
                f"Task state {self.name!r}: the handler returned sfnsim.PENDING, but the resource "
                f"{self.resource.arn!r} does not use the .waitForTaskToken pattern"
            )
        if not is_activity:
            visit.record(*events.submitted(self.resource, call.submitted if call.has_submitted else {}))
        run = visit.run
        deadline = run.clock.elapsed + timeout if timeout is not None else None
        run.pending_tokens[token] = (heartbeat, deadline)
        try:
            while True:
                try:
                    answer = yield Park(("token", token), _first_expiry(run.clock.elapsed, heartbeat, deadline))
                except ParkTimeout:
                    missed_heartbeat = is_activity and (deadline is None or run.clock.elapsed < deadline)
                    error = "States.HeartbeatTimeout" if missed_heartbeat else "States.Timeout"
                    visit.record(*events.timed_out(self.resource, error))
                    raise StatesError(error, None) from None
                if answer[0] != "started":
                    break
                if is_activity:
                    visit.record("ActivityStarted", {"workerName": answer[1]})
        finally:
            run.pending_tokens.pop(token, None)
        kind, value, cause = answer
        if kind == "failure":
            visit.record(*events.failed(self.resource, value, cause))
            raise task_failure(value, cause)
        visit.record(*events.succeeded(self.resource, value))
        return self.io.output(visit, value, self.next)

    def _expiry(self, timeout: float | None, heartbeat: float | None, duration: float) -> tuple[float, str] | None:
        """When and how an attempt that takes ``duration`` virtual seconds times out, if it does.

        Heartbeats only exist for activities and callback tasks, whose worker could send them; a
        handler that takes longer than HeartbeatSeconds has missed its heartbeat.
        """
        limits = []
        if timeout is not None:
            limits.append((timeout, "States.Timeout"))
        # AWS's recorded callback tasks that missed their heartbeat failed with States.Timeout, not
        # the States.HeartbeatTimeout the error-name list suggests; activities keep the documented name.
        if heartbeat is not None and self.resource.kind == ACTIVITY:
            limits.append((heartbeat, "States.HeartbeatTimeout"))
        elif heartbeat is not None and self.resource.pattern == WAIT_FOR_TASK_TOKEN:
            limits.append((heartbeat, "States.Timeout"))
        for seconds, error in sorted(limits):
            if duration >= seconds:
                return seconds, error
        if math.isinf(duration):
            return math.inf, "States.Timeout"
        return None

    def _record_scheduled(self, visit: Visit, payload: Any, timeout: float | None, heartbeat: float | None) -> None:
        kind = self.resource.kind
        credentials = self.credentials(visit) if self.credentials is not None else None
        if kind == LAMBDA_FUNCTION:
            details = {"resource": self.resource.arn, "input": payload}
            if timeout is not None:
                details["timeoutInSeconds"] = int(timeout)
            if credentials is not None:
                details["taskCredentials"] = credentials
            visit.record("LambdaFunctionScheduled", details)
            return
        if kind == ACTIVITY:
            details = {"resource": self.resource.arn, "input": payload}
            if timeout is not None:
                details["timeoutInSeconds"] = int(timeout)
            if heartbeat is not None:
                details["heartbeatInSeconds"] = int(heartbeat)
            visit.record("ActivityScheduled", details)
            return
        details = {
            "resourceType": self.resource.resource_type,
            "resource": self.resource.resource,
            "region": self.resource.region,
            "parameters": payload,
        }
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat is not None:
            details["heartbeatInSeconds"] = int(heartbeat)
        if credentials is not None:
            details["taskCredentials"] = credentials
        visit.record("TaskScheduled", details)


def _credentials(spec: Any, query_language: str) -> Any:
    """``Credentials: {"RoleArn": ...}`` as ``visit -> {"roleArn": ...}`` (the TaskScheduled field)."""
    if not isinstance(spec, dict):
        return None
    if query_language == "JSONata":
        from sfnsim.dataflow.jsonata import compile_template as compile_jsonata
        from sfnsim.engine.states.jsonata_io import evaluate_template

        template = compile_jsonata(spec, "Credentials")
        return lambda visit: {"roleArn": evaluate_template(visit, template).get("RoleArn")}
    from sfnsim.dataflow.templates import compile_template

    evaluate = compile_template(spec)
    return lambda visit: {"roleArn": evaluate(visit.scope(visit.input)).get("RoleArn")}


def _first_expiry(now: float, heartbeat: float | None, deadline: float | None) -> float | None:
    candidates = [x for x in (heartbeat, None if deadline is None else deadline - now) if x is not None]
    return min(candidates) if candidates else None


def _function_input(resource: Resource, payload: Any) -> Any:
    """What the handler receives: for ``lambda:invoke`` the function's event (``Payload``)."""
    if resource.kind not in (LAMBDA_FUNCTION, ACTIVITY) and resource.is_lambda and isinstance(payload, dict):
        return payload.get("Payload", {})
    return payload


def _limit(spec: dict[str, Any], field: str, query_language: str) -> Any:
    """TimeoutSeconds/HeartbeatSeconds (or their Path form) as ``visit -> seconds | None``."""
    if field in spec:
        value = spec[field]
        if query_language == "JSONata" and isinstance(value, str):
            expression = template_field(value, field, jsonata=True, expect="number")
            return lambda visit: float(expression.evaluate(visit, visit.input))
        return lambda visit, _v=float(value): _v
    if f"{field}Path" in spec:
        path = compile_path(spec[f"{field}Path"])

        def resolve(visit: Visit) -> float:
            try:
                value = path.resolve(visit.scope(visit.input))
            except PathNotFound as missing:
                raise runtime_error(f"Invalid path '{path.text}' : {missing.jayway_message()}") from None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise runtime_error(f"The {field}Path '{path.text}' must reference a positive integer, got: {value!r}")
            return float(value)

        return resolve
    return lambda visit: None


class _Events:
    """Event types and details for one resource form."""

    def __init__(self, prefix: str, typed: bool, started_details: bool) -> None:
        self.prefix = prefix
        self.typed = typed
        self.started_details = started_details

    def _details(self, resource: Resource, **fields: Any) -> dict[str, Any]:
        details = {"resourceType": resource.resource_type, "resource": resource.resource} if self.typed else {}
        for key, value in fields.items():
            if value is not None:
                details[key] = value
        return details

    def started(self, resource: Resource) -> tuple[str, Any]:
        if self.prefix == "Activity":
            return "ActivityStarted", {"workerName": "sfnsim"}
        return f"{self.prefix}Started", (self._details(resource) if self.started_details else None)

    def submitted(self, resource: Resource, output: Any) -> tuple[str, Any]:
        return f"{self.prefix}Submitted", self._details(resource, output=output)

    def succeeded(self, resource: Resource, output: Any) -> tuple[str, Any]:
        details = self._details(resource)
        details["output"] = output
        return f"{self.prefix}Succeeded", details

    def failed(self, resource: Resource, error: str | None, cause: str | None) -> tuple[str, Any]:
        return f"{self.prefix}Failed", self._details(resource, error=error, cause=cause)

    def timed_out(self, resource: Resource, error: str) -> tuple[str, Any]:
        return f"{self.prefix}TimedOut", self._details(resource, error=error)


_EVENTS = {
    "service": _Events("Task", typed=True, started_details=True),
    LAMBDA_FUNCTION: _Events("LambdaFunction", typed=False, started_details=False),
    ACTIVITY: _Events("Activity", typed=False, started_details=True),
}

__all__ = ["TaskState", "TaskCall", "ParkTimeout"]
