"""The Step Functions API operations: request members in, response members out, AWS's errors.

Each operation is a thin layer over sfnsim's Python API (``StateMachine``, ``Execution``) and the
``Backend`` that keeps what was created; field names and error names follow the Step Functions API
Reference so SDKs parse every answer into their own types.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.history.events import to_aws_event
from sfnsim.server.backend import (
    ActivityRecord,
    Backend,
    ExecutionRecord,
    MachineRecord,
    check_arn,
    compile_definition,
)
from sfnsim.server.protocol import Params, ServiceError, epoch, validation_error
from sfnsim.server.single_state import run_test_state

Operation = Callable[[Backend, Params], dict[str, Any]]
OPERATIONS: dict[str, Operation] = {}

# AWS: 1-80 characters, none of whitespace, brackets, wildcards, these marks or control characters.
_VALID_NAME = re.compile(r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}")
_MAX_TAGS = 50
_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def operation(function: Operation) -> Operation:
    """Register ``create_state_machine`` as ``CreateStateMachine``."""
    OPERATIONS["".join(part.capitalize() for part in function.__name__.split("_"))] = function
    return function


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _checked_name(name: str) -> str:
    if not _VALID_NAME.fullmatch(name):
        raise ServiceError("InvalidName", f"Invalid Name: '{name}'")
    return name


# -- state machines -------------------------------------------------------------------------------
def _machine_type(params: Params) -> str:
    machine_type = params.text("type", default="STANDARD")
    if machine_type not in ("STANDARD", "EXPRESS"):
        raise validation_error(f"Value '{machine_type}' at 'type' failed to satisfy constraint: "
                               "Member must satisfy enum value set: [STANDARD, EXPRESS]")
    assert machine_type is not None
    return machine_type


@operation
def create_state_machine(backend: Backend, params: Params) -> dict[str, Any]:
    name = _checked_name(params.required("name"))
    definition = params.required("definition")
    role_arn = params.required("roleArn")
    machine_type = _machine_type(params)
    arn = backend.arn("stateMachine", name)
    existing = backend.machines.get(arn)
    if existing is not None:
        if existing.definition == definition and existing.role_arn == role_arn and existing.type == machine_type:
            return {"stateMachineArn": arn, "creationDate": epoch(existing.created)}  # idempotent, as AWS
        raise ServiceError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
    tags = _tags_to_add(params)
    record = backend.add_machine(name, definition, role_arn, machine_type)
    backend.tags[arn] = tags
    return {"stateMachineArn": arn, "creationDate": epoch(record.created)}


@operation
def describe_state_machine(backend: Backend, params: Params) -> dict[str, Any]:
    return _describe_machine(backend.machine(params.required("stateMachineArn")))


def _describe_machine(record: MachineRecord, definition: str | None = None) -> dict[str, Any]:
    return {
        "stateMachineArn": record.arn, "name": record.name, "status": record.status,
        "definition": definition or record.definition, "roleArn": record.role_arn, "type": record.type,
        "creationDate": epoch(record.created), "revisionId": str(record.revision),
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }


@operation
def update_state_machine(backend: Backend, params: Params) -> dict[str, Any]:
    record = backend.machine(params.required("stateMachineArn"))
    definition = params.text("definition")
    role_arn = params.text("roleArn")
    if definition is None and role_arn is None and "loggingConfiguration" not in params.body \
            and "tracingConfiguration" not in params.body:
        raise ServiceError("MissingRequiredParameter",
                           "Either the definition, the roleArn, the loggingConfiguration or the "
                           "tracingConfiguration must be specified")
    if definition is not None:
        record.machine = compile_definition(definition, record.type, record.name)
        record.definition = definition
    if role_arn is not None:
        record.role_arn = role_arn
    record.updated = _now()
    record.revision += 1
    return {"updateDate": epoch(record.updated), "revisionId": str(record.revision)}


@operation
def delete_state_machine(backend: Backend, params: Params) -> dict[str, Any]:
    arn = params.required("stateMachineArn")
    check_arn(arn, "stateMachine")
    backend.machines.pop(arn, None)  # deleting what is not there succeeds, as on AWS
    backend.tags.pop(arn, None)
    return {}


@operation
def list_state_machines(backend: Backend, params: Params) -> dict[str, Any]:
    items = [{"stateMachineArn": m.arn, "name": m.name, "type": m.type, "creationDate": epoch(m.created)}
             for m in backend.machines.values()]
    page, token = _page(items, params)
    return _with_token({"stateMachines": page}, token)


@operation
def validate_state_machine_definition(backend: Backend, params: Params) -> dict[str, Any]:
    """sfnsim's validator, answered in AWS's diagnostic shape (every problem is an ERROR)."""
    from sfnsim.asl import load_definition
    from sfnsim.errors import DefinitionError

    definition = params.required("definition")
    machine_type = _machine_type(params)
    severity = params.text("severity", default="ERROR")
    if severity not in ("ERROR", "WARNING"):
        raise validation_error(f"Value '{severity}' at 'severity' failed to satisfy constraint: "
                               "Member must satisfy enum value set: [ERROR, WARNING]")
    limit = params.integer("maxResults", default=100, high=100) or 100
    if not definition.strip():
        diagnostics = [{"severity": "ERROR", "code": "MISSING_DESCRIPTION", "message": "The definition is empty"}]
    else:
        try:
            load_definition(definition, state_machine_type=machine_type)
            diagnostics = []
        except DefinitionError as bad:
            diagnostics = [_diagnostic(p) for p in bad.problems]
    return {"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics[:limit],
            "truncated": len(diagnostics) > limit}


def _diagnostic(problem: Any) -> dict[str, Any]:
    if problem.pointer == "" and ("JSON" in problem.message or "YAML" in problem.message):
        code = "INVALID_JSON_DESCRIPTION"
    elif "terminal state" in problem.message:
        code = "MISSING_END_STATE"
    else:
        code = "SCHEMA_VALIDATION_FAILED"
    return {"severity": "ERROR", "code": code, "message": problem.message, "location": problem.pointer or "/"}


# -- executions -----------------------------------------------------------------------------------
def _machine_and_test_case(backend: Backend, arn: str) -> tuple[MachineRecord, str | None]:
    """``arn:...:stateMachine:Name#TestCase`` picks a MockConfigFile test case, as Step Functions Local."""
    machine_arn, _, test_case = arn.partition("#")
    return backend.machine(machine_arn), (test_case or None)


def _start(backend: Backend, params: Params, *, sync: bool) -> tuple[ExecutionRecord, str | None]:
    machine, test_case = _machine_and_test_case(backend, params.required("stateMachineArn"))
    if sync and machine.type != "EXPRESS":
        raise ServiceError("StateMachineTypeNotSupported",
                           "This operation is not supported by this type of state machine")
    name = _checked_name(params.text("name") or str(uuid.uuid4()))
    input_text = params.text("input", default="{}") or "{}"
    try:
        value = json.loads(input_text)
    except json.JSONDecodeError as exc:
        raise ServiceError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{exc}'") from None
    record = backend.start_execution(machine, name, value, input_text, test_case, sync=sync)
    return record, test_case


@operation
def start_execution(backend: Backend, params: Params) -> dict[str, Any]:
    record, _ = _start(backend, params, sync=False)
    return {"executionArn": record.arn, "startDate": epoch(record.started)}


@operation
def start_sync_execution(backend: Backend, params: Params) -> dict[str, Any]:
    record, _ = _start(backend, params, sync=True)
    response = record.execution.sync_response()
    for key in ("startDate", "stopDate"):
        response[key] = epoch(response[key])
    response["input"] = record.input_text
    if "output" in response:
        response["output"] = compact_json(response["output"])
    return response


@operation
def describe_execution(backend: Backend, params: Params) -> dict[str, Any]:
    return _describe_execution(backend.execution(params.required("executionArn")))


def _describe_execution(record: ExecutionRecord) -> dict[str, Any]:
    execution = record.execution
    out: dict[str, Any] = {
        "executionArn": record.arn, "stateMachineArn": record.machine.arn, "name": record.name,
        "status": execution.status, "startDate": epoch(record.started),
        "input": record.input_text, "inputDetails": {"included": True},
    }
    stop = record.stop_date()
    if stop is not None:
        out["stopDate"] = epoch(stop)
    if execution.status == "SUCCEEDED":
        out["output"] = compact_json(execution.output)
        out["outputDetails"] = {"included": True}
    for key, value in (("error", execution.error), ("cause", execution.cause)):
        if value is not None:
            out[key] = value
    return out


@operation
def describe_state_machine_for_execution(backend: Backend, params: Params) -> dict[str, Any]:
    record = backend.execution(params.required("executionArn"))
    machine = _describe_machine(record.machine, record.definition)
    keep = ("stateMachineArn", "name", "definition", "roleArn", "revisionId",
            "loggingConfiguration", "tracingConfiguration")
    return {k: machine[k] for k in keep} | {"updateDate": epoch(record.machine.updated)}


@operation
def list_executions(backend: Backend, params: Params) -> dict[str, Any]:
    if params.text("mapRunArn") is not None:
        raise validation_error("sfnsim does not keep Distributed Map runs as executions: mapRunArn is not supported")
    machine = backend.machine(params.required("stateMachineArn"))
    status = params.text("statusFilter")
    if status is not None and status not in _STATUSES:
        raise validation_error(f"Value '{status}' at 'statusFilter' failed to satisfy constraint: "
                               f"Member must satisfy enum value set: [{', '.join(_STATUSES)}]")
    records = [r for r in backend.executions_of(machine) if status is None or r.status == status]
    records.reverse()  # newest first, as AWS lists them
    items = []
    for r in records:
        item = {"executionArn": r.arn, "stateMachineArn": machine.arn, "name": r.name,
                "status": r.status, "startDate": epoch(r.started)}
        stop = r.stop_date()
        if stop is not None:
            item["stopDate"] = epoch(stop)
        items.append(item)
    page, token = _page(items, params)
    return _with_token({"executions": page}, token)


@operation
def get_execution_history(backend: Backend, params: Params) -> dict[str, Any]:
    record = backend.execution(params.required("executionArn"))
    include_data = params.flag("includeExecutionData", default=True)
    events = [_wire_event(e, include_data) for e in record.execution.history]
    if params.flag("reverseOrder"):
        events.reverse()
    page, token = _page(events, params)
    return _with_token({"events": page}, token)


_DATA_FIELDS = ("input", "output")


def _wire_event(event: dict[str, Any], include_data: bool) -> dict[str, Any]:
    out = to_aws_event(event)
    out["timestamp"] = epoch(event["timestamp"])
    if not include_data:
        for key, details in out.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                out[key] = {k: v for k, v in details.items() if k not in _DATA_FIELDS}
    return out


@operation
def stop_execution(backend: Backend, params: Params) -> dict[str, Any]:
    record = backend.execution(params.required("executionArn"))
    backend.stop_execution(record, params.text("error"), params.text("cause"))
    stop = record.stop_date()
    assert stop is not None
    return {"stopDate": epoch(stop)}


# -- callbacks ------------------------------------------------------------------------------------
@operation
def send_task_success(backend: Backend, params: Params) -> dict[str, Any]:
    token = params.required("taskToken")
    output = params.json_text("output", what="Output", error="InvalidOutput")
    if "output" not in params.body:
        params.required("output")
    backend.answer(token, lambda execution: execution.send_task_success(token, output))
    return {}


@operation
def send_task_failure(backend: Backend, params: Params) -> dict[str, Any]:
    token = params.required("taskToken")
    error, cause = params.text("error"), params.text("cause")
    backend.answer(token, lambda execution: execution.send_task_failure(token, error, cause))
    return {}


@operation
def send_task_heartbeat(backend: Backend, params: Params) -> dict[str, Any]:
    token = params.required("taskToken")
    backend.answer(token, lambda execution: execution.send_task_heartbeat(token))
    return {}


# -- activities -----------------------------------------------------------------------------------
@operation
def create_activity(backend: Backend, params: Params) -> dict[str, Any]:
    name = _checked_name(params.required("name"))
    arn = backend.arn("activity", name)
    existing = backend.activities.get(arn)
    if existing is None:
        existing = backend.activities[arn] = ActivityRecord(arn, name, _now())
        backend.tags[arn] = _tags_to_add(params)
    return {"activityArn": arn, "creationDate": epoch(existing.created)}


@operation
def describe_activity(backend: Backend, params: Params) -> dict[str, Any]:
    record = backend.activity(params.required("activityArn"))
    return {"activityArn": record.arn, "name": record.name, "creationDate": epoch(record.created)}


@operation
def delete_activity(backend: Backend, params: Params) -> dict[str, Any]:
    arn = params.required("activityArn")
    check_arn(arn, "activity")
    backend.activities.pop(arn, None)
    backend.tags.pop(arn, None)
    return {}


@operation
def list_activities(backend: Backend, params: Params) -> dict[str, Any]:
    items = [{"activityArn": a.arn, "name": a.name, "creationDate": epoch(a.created)}
             for a in backend.activities.values()]
    page, token = _page(items, params)
    return _with_token({"activities": page}, token)


@operation
def get_activity_task(backend: Backend, params: Params) -> dict[str, Any]:
    activity = backend.activity(params.required("activityArn"))
    worker = params.text("workerName") or "worker"
    task = backend.take_activity_task(activity, worker)
    if task is None:
        return {}  # the long poll ended without a task: AWS answers with no taskToken
    return {"taskToken": task.token, "input": task.input_text}


# -- tags -----------------------------------------------------------------------------------------
def _tagged(backend: Backend, arn: str) -> dict[str, str]:
    check_arn(arn, "stateMachine", "activity")
    if arn not in backend.machines and arn not in backend.activities:
        raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'", resourceName=arn)
    return backend.tags.setdefault(arn, {})


def _tags_to_add(params: Params, existing: dict[str, str] | None = None) -> dict[str, str]:
    tags = {**(existing or {}), **params.tags()}
    if len(tags) > _MAX_TAGS:
        raise ServiceError("TooManyTags", f"Too many tags: a resource can have at most {_MAX_TAGS}")
    return tags


@operation
def tag_resource(backend: Backend, params: Params) -> dict[str, Any]:
    arn = params.required("resourceArn")
    tags = _tagged(backend, arn)
    backend.tags[arn] = _tags_to_add(params, tags)
    return {}


@operation
def untag_resource(backend: Backend, params: Params) -> dict[str, Any]:
    tags = _tagged(backend, params.required("resourceArn"))
    keys = params.body.get("tagKeys")
    if not isinstance(keys, list):
        raise validation_error("'tagKeys' must be a list of tag keys")
    for key in keys:
        tags.pop(key, None)
    return {}


@operation
def list_tags_for_resource(backend: Backend, params: Params) -> dict[str, Any]:
    tags = _tagged(backend, params.required("resourceArn"))
    return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}


# -- TestState ------------------------------------------------------------------------------------
OPERATIONS["TestState"] = run_test_state


# -- paging ---------------------------------------------------------------------------------------
def _page(items: list[Any], params: Params) -> tuple[list[Any], str | None]:
    size = params.integer("maxResults", default=100) or 100
    start = _offset(params.text("nextToken"), len(items))
    end = start + size
    return items[start:end], (_token(end) if end < len(items) else None)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str | None, count: int) -> int:
    if token is None:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError):
        offset = None
    if not isinstance(offset, int) or not 0 <= offset <= count:
        raise ServiceError("InvalidToken", f"Invalid Token: '{token}'")
    return offset


def _with_token(response: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        response["nextToken"] = token
    return response


__all__ = ["OPERATIONS"]
