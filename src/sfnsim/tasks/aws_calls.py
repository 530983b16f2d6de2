"""One Task's call to an AWS API through boto3, shaped as Step Functions shapes it.

* ``aws-sdk:SERVICE:ACTION``: the parameters are the API's, in PascalCase even where the API's own
  names are camelCase (Step Functions' ``StateMachineArn`` is the API's ``stateMachineArn``), and so
  are the result's members; a JSON value given for a string or blob member is sent as its JSON text
  (``sfn:startExecution``'s ``Input``, S3's ``Body``), a ``null`` member is left out, and the result
  is the API's response without the HTTP metadata; timestamps read as ``Instant`` text
  (``2024-01-01T00:00:00.123Z``). Errors are named by ``sfnsim.tasks.aws_sdk_names``.
* The optimised integrations ``dynamodb:getItem/putItem/updateItem/deleteItem``, ``sqs:sendMessage``,
  ``sns:publish``, ``glue:startJobRun`` return the response plus ``SdkHttpMetadata`` and
  ``SdkResponseMetadata`` (the Java 1.x SDK's view of the HTTP exchange); ``events:putEvents`` returns
  ``Entries``/``FailedEntryCount`` and fails with ``EventBridge.FailedEntry`` when an entry failed.
  DynamoDB attribute values stay typed (``{"S": "..."}``), as AWS returns them.
* ``.waitForTaskToken``: the call is made, its response is the ``TaskSubmitted`` output, and the task
  waits for ``send_task_success``/``send_task_failure``. ``glue:startJobRun.sync`` polls the job run
  until it ends and returns the ``JobRun``.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.errors import HandlerError, StatesError
from sfnsim.tasks.aws_sdk_names import (
    OPTIMISED_SERVICES,
    OptimisedService,
    botocore_service,
    operation_name,
    optimised_error_cause,
    optimised_error_name,
    pascal_case,
    sdk_error_cause,
    sdk_error_name,
)
from sfnsim.tasks.outcomes import PENDING, TaskResponse
from sfnsim.tasks.resources import SERVICE, SYNC, WAIT_FOR_TASK_TOKEN, Resource
from sfnsim.tasks.virtual_time import real_clock

if TYPE_CHECKING:
    from sfnsim.tasks.aws_backend import AwsBackend

_OPTIMISED_ACTIONS = {
    "dynamodb": {"getItem", "putItem", "updateItem", "deleteItem"},
    "sqs": {"sendMessage"},
    "sns": {"publish"},
    "events": {"putEvents"},
    "glue": {"startJobRun"},
    "lambda": {"invoke"},
}
_GLUE_DONE = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"}
_GLUE_MAX_POLLS = 100


def service_call(backend: "AwsBackend", state_name: str, resource: Resource, parameters: Any) -> Any:
    """The handler that sends this Task to AWS, or None when the backend does not serve it."""
    if resource.kind != SERVICE:
        return None
    if resource.resource_type.startswith("aws-sdk:"):
        return _sdk_call(backend, state_name, resource)
    optimised = OPTIMISED_SERVICES.get(resource.resource_type)
    if optimised is None or not backend.covers(optimised.client):
        return None
    if resource.action not in _OPTIMISED_ACTIONS[resource.resource_type]:
        supported = ", ".join(sorted(_OPTIMISED_ACTIONS[resource.resource_type]))
        raise HandlerError(
            f"Task state {state_name!r}: the AWS backend does not call the optimised integration {resource.arn!r} "
            f"(it calls {resource.resource_type}: {supported}); give the state a handler, or use "
            f"arn:aws:states:::aws-sdk:{resource.resource_type}:{resource.action}"
        )
    if resource.pattern == SYNC and resource.resource_type != "glue":
        raise HandlerError(f"Task state {state_name!r}: the AWS backend does not run {resource.arn!r} (.sync); "
                           f"give the state a handler")
    if resource.resource_type == "lambda":
        return _LambdaInvoke(backend, state_name, resource, parameters)
    return _OptimisedCall(backend, state_name, resource, optimised)


def _sdk_call(backend: "AwsBackend", state_name: str, resource: Resource) -> "_SdkCall | None":
    from sfnsim.tasks.aws_backend import available_services

    sdk_service = resource.resource_type.split(":", 1)[1]
    service = botocore_service(sdk_service, available_services())
    if service is None:
        if backend.targets.get("*") is None:
            return None
        raise HandlerError(f"Task state {state_name!r}: {resource.arn!r} names service {sdk_service!r}, which boto3 "
                           f"does not know; give the state a handler")
    if not backend.covers(service):
        return None
    if resource.pattern == SYNC:
        raise HandlerError(f"Task state {state_name!r}: AWS SDK integrations do not support .sync ({resource.arn!r})")
    return _SdkCall(backend, state_name, resource, service)


class _ServiceCall:
    """Common to the handlers below: they read no clock (requests are signed with real time).

    Subclasses name failures: ``service_failure`` for an error the service answered with,
    ``client_side_failure`` for parameters the SDK refused to send, ``error_prefix`` for the rest.
    """

    reads_clock = False
    error_prefix = ""

    def __init__(self, backend: "AwsBackend", state_name: str, resource: Resource, service: str) -> None:
        self.backend = backend
        self.state_name = state_name
        self.resource = resource
        self.service = service
        self.client = backend.client(service)
        model = self.client.meta.service_model
        self.service_id: str = str(model.service_id)
        self.operation = _operation(model, resource, state_name)
        self.method: Callable[..., Any] = getattr(self.client, _python_name(self.operation.name))

    def send(self, payload: Any) -> dict[str, Any]:
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise StatesError("States.Runtime", f"The Parameters of {self.resource.arn} must be a JSON object, "
                              f"got: {compact_json(payload)}", runtime=True)
        request = _request(payload, self.operation.input_shape)
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError

        try:
            with real_clock():  # requests are signed, and moto stamps what it stores, with the real time
                return self.method(**request)
        except ClientError as exc:
            raise self.service_failure(_ServiceError.of(exc)) from None
        except ParamValidationError as exc:
            report = str(exc).split("\n", 1)[-1].strip()
            if "Unknown parameter" in report:
                raise HandlerError(f"Task state {self.state_name!r}: {self.resource.arn} does not take these "
                                   f"parameters: {report}") from None
            raise self.client_side_failure(_validation_message(report)) from None
        except NotImplementedError as exc:
            raise HandlerError(
                f"Task state {self.state_name!r}: {self.backend.describe(self.service)} does not implement "
                f"{self.service_id} {self.operation.name} ({exc}); give the state a handler: "
                f"handlers={{{self.state_name!r}: ...}}"
            ) from None
        except NoCredentialsError as exc:
            raise HandlerError(f"Task state {self.state_name!r}: no AWS credentials for "
                               f"{self.backend.describe(self.service)}: {exc}") from None
        except BotoCoreError as exc:
            # The SDK did not get an answer (endpoint unreachable, ...): AWS names it SdkClientException.
            raise StatesError(f"{self.error_prefix}.SdkClientException", f"Unable to execute HTTP request: {exc}") from None

    def service_failure(self, error: "_ServiceError") -> StatesError:
        raise NotImplementedError

    def client_side_failure(self, message: str) -> StatesError:
        raise NotImplementedError


@dataclass(frozen=True)
class _ServiceError:
    """What an AWS error response says, read from botocore's ClientError."""

    modeled: str | None  # the service model's error shape, when the error is one it declares
    code: str
    message: str
    status: int
    request_id: str | None
    extended_request_id: str | None

    @classmethod
    def of(cls, exc: Any) -> "_ServiceError":
        error, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
        # botocore raises a class named after the service model's error shape, or plain ClientError.
        modeled = None if type(exc).__name__ == "ClientError" else type(exc).__name__
        code = error.get("Code") or "Unknown"
        message = error.get("Message") or error.get("message") or code
        return cls(modeled, code, message, meta.get("HTTPStatusCode", 400), meta.get("RequestId"), meta.get("HostId"))


class _SdkCall(_ServiceCall):
    """``arn:aws:states:::aws-sdk:SERVICE:ACTION``."""

    def __init__(self, backend: "AwsBackend", state_name: str, resource: Resource, service: str) -> None:
        super().__init__(backend, state_name, resource, service)
        self.error_prefix = pascal_case(self.service_id)

    def __call__(self, payload: Any, context: Any) -> TaskResponse:
        response = self.send(payload)
        result = json_value(_without_metadata(response), _instant, self.operation.output_shape)
        if self.resource.pattern == WAIT_FOR_TASK_TOKEN:
            return TaskResponse(PENDING, submitted=result)
        return TaskResponse(result, raw=True)

    def service_failure(self, error: _ServiceError) -> StatesError:
        # S3's errors always carry an extended request id; the Java SDK prints a missing one as null.
        extended = (error.extended_request_id or "null") if self.service == "s3" else None
        cause = sdk_error_cause(error.message, self.service_id, error.status, error.request_id, extended)
        return StatesError(sdk_error_name(self.service_id, error.modeled), cause)

    def client_side_failure(self, message: str) -> StatesError:
        return StatesError(sdk_error_name(self.service_id, None),
                           sdk_error_cause(message, self.service_id, 400, str(uuid.uuid4())))


class _OptimisedCall(_ServiceCall):
    """``arn:aws:states:::dynamodb:putItem``, ``sqs:sendMessage``, ``sns:publish``, ``events:putEvents``, glue."""

    def __init__(self, backend: "AwsBackend", state_name: str, resource: Resource, optimised: OptimisedService) -> None:
        super().__init__(backend, state_name, resource, optimised.client)
        self.optimised = optimised
        self.error_prefix = optimised.prefix

    def __call__(self, payload: Any, context: Any) -> TaskResponse:
        response = self.send(payload)
        result = json_value(_without_metadata(response), _epoch_millis, self.operation.output_shape)
        if self.resource.resource_type == "events":
            if result.get("FailedEntryCount"):
                raise StatesError("EventBridge.FailedEntry", compact_json(result))
        else:
            result.update(sdk_v1_metadata(response))
        if self.resource.pattern == WAIT_FOR_TASK_TOKEN:
            return TaskResponse(PENDING, submitted=result)
        if self.resource.pattern == SYNC:
            return self._wait_for_job_run((payload or {}).get("JobName"), result)
        return TaskResponse(result, raw=True)

    def _wait_for_job_run(self, name: Any, submitted: dict[str, Any]) -> TaskResponse:
        """glue:startJobRun.sync: poll GetJobRun until the run ends; its JobRun is the task's result."""
        run_id = submitted.get("JobRunId")
        for _ in range(_GLUE_MAX_POLLS):
            with real_clock():
                run = self.client.get_job_run(JobName=name, RunId=run_id)["JobRun"]
            if run.get("JobRunState") in _GLUE_DONE:
                job_run = json_value(run, _epoch_millis)
                if job_run["JobRunState"] == "SUCCEEDED":
                    return TaskResponse(job_run, raw=True, submitted=submitted)
                return TaskResponse(error="States.TaskFailed", cause=compact_json(job_run), submitted=submitted)
        raise HandlerError(f"Task state {self.state_name!r}: Glue job run {run_id} of {name!r} did not finish after "
                           f"{_GLUE_MAX_POLLS} polls of {self.backend.describe('glue')}; give the state a handler")

    def service_failure(self, error: _ServiceError) -> StatesError:
        cause = optimised_error_cause(error.message, self.optimised, error.status, error.code, error.request_id)
        return StatesError(optimised_error_name(self.optimised, error.modeled), cause)

    def client_side_failure(self, message: str) -> StatesError:
        return StatesError(optimised_error_name(self.optimised, None),
                           optimised_error_cause(message, self.optimised, 400, "ValidationException", str(uuid.uuid4())))


class _LambdaInvoke(_OptimisedCall):
    """``lambda:invoke`` sent to a Lambda endpoint (only when the ``aws`` mapping names ``lambda``)."""

    def __init__(self, backend: "AwsBackend", state_name: str, resource: Resource, parameters: Any) -> None:
        super().__init__(backend, state_name, resource, OPTIMISED_SERVICES["lambda"])
        self.parameters = parameters if isinstance(parameters, dict) else {}

    def __call__(self, payload: Any, context: Any) -> TaskResponse:
        request = {**self.parameters, "Payload": compact_json(payload)}
        response = self.send(request)
        body = response["Payload"].read().decode("utf-8") if response.get("Payload") is not None else ""
        value = json.loads(body) if body.strip() else None
        if response.get("FunctionError"):
            error = value.get("errorType") if isinstance(value, dict) else None
            return TaskResponse(error=error or "Lambda.Unknown", cause=body)
        return TaskResponse(value)  # shaped as the Invoke response (Payload, StatusCode, ...) by the engine


# -- names -----------------------------------------------------------------------------------------
def _operation(model: Any, resource: Resource, state_name: str) -> Any:
    wanted = operation_name(resource.action)
    if wanted in model.operation_names:
        return model.operation_model(wanted)
    close = difflib.get_close_matches(wanted, model.operation_names, n=1)
    hint = f" (did you mean {close[0][:1].lower() + close[0][1:]!r}?)" if close else ""
    raise HandlerError(f"Task state {state_name!r}: {resource.arn!r}: {model.service_id} has no action "
                       f"{resource.action!r}{hint}")


def _python_name(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))


# -- requests: JSON in, botocore's types out ---------------------------------------------------------
def _request(value: Any, shape: Any) -> Any:
    """``value`` as botocore takes it for ``shape``: nulls left out, JSON as text for strings and blobs."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = {_member_name(shape, key): item for key, item in value.items() if item is not None}
        return {name: _request(item, shape.members.get(name)) for name, item in members.items()}
    if kind == "list" and isinstance(value, list):
        return [_request(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _request(item, shape.value) for key, item in value.items() if item is not None}
    if kind in ("string", "blob") and not isinstance(value, str) and isinstance(value, (dict, list, int, float, bool)):
        return compact_json(value)
    if kind in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _member_name(shape: Any, key: str) -> str:
    """The API's member for a Step Functions parameter: PascalCase there even when the API's own is
    camelCase (``StateMachineArn`` is Step Functions' ``stateMachineArn``)."""
    if key in shape.members:
        return key
    camel = key[:1].lower() + key[1:]
    return camel if camel in shape.members else key


def _validation_message(report: str) -> str:
    """botocore's client-side check in AWS's words where AWS has them (a required member left out)."""
    missing = re.findall(r'Missing required parameter in input: "([^"]+)"', report)
    lines = [line for line in report.splitlines() if line.strip()]
    if missing and len(missing) == len(lines):
        count = len(missing)
        problems = "; ".join(f"Value null at '{name[:1].lower() + name[1:]}' failed to satisfy constraint: "
                             f"Member must not be null" for name in missing)
        return f"{count} validation error{'s' if count > 1 else ''} detected: {problems}"
    return " ".join(lines)


# -- responses: botocore's types in, JSON out ---------------------------------------------------------
def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def json_value(value: Any, timestamp: Callable[[datetime], Any], shape: Any = None) -> Any:
    """A botocore response as Step Functions returns it: structure members in PascalCase (map keys
    as they are), timestamps by ``timestamp``, streams as their text, bytes as base64."""
    kind = shape.type_name if shape is not None else None
    if isinstance(value, dict) and kind == "structure":
        return {key[:1].upper() + key[1:]: json_value(item, timestamp, shape.members.get(key))
                for key, item in value.items()}
    if isinstance(value, dict):
        return {key: json_value(item, timestamp, shape.value if kind == "map" else None) for key, item in value.items()}
    if isinstance(value, list):
        return [json_value(item, timestamp, shape.member if kind == "list" else None) for item in value]
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "read"):  # a streaming body (S3 GetObject's Body): its content as text
        return value.read().decode("utf-8", errors="replace")
    return value


def _instant(moment: datetime) -> str:
    """As Java's ``Instant.toString()``: whole seconds, or 3/6 fraction digits as needed, and ``Z``."""
    moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def _epoch_millis(moment: datetime) -> int:
    """The Java 1.x SDK's ``Date`` as Step Functions writes it: epoch milliseconds."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return int(aware.timestamp() * 1000)


# Header names as the Java SDK reports them; others keep the case the service sent.
_HEADER_NAMES = {name.lower(): name for name in (
    "Connection", "Content-Length", "Content-Type", "Date", "Server", "x-amzn-RequestId",
)}


def sdk_v1_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """``SdkHttpMetadata``/``SdkResponseMetadata``: the HTTP exchange, as an optimised integration returns it."""
    meta = response.get("ResponseMetadata", {})
    # "status" is moto's own pseudo-header, not one AWS sends.
    headers = {_HEADER_NAMES.get(name, name): value for name, value in meta.get("HTTPHeaders", {}).items()
               if name != "status"}
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": meta.get("HTTPStatusCode", 200),
        },
        "SdkResponseMetadata": {"RequestId": meta.get("RequestId")},
    }


__all__ = ["json_value", "sdk_v1_metadata", "service_call"]
