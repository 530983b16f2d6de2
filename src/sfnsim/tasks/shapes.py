"""Turning a handler's return value into the response the real integration would give.

Only ``lambda:invoke`` changes the value: Step Functions wraps the function's result in the Lambda
Invoke API response, so ``$.Payload`` is the function's return value. Other integrations (and the
legacy Lambda ARN form, which returns the function's result directly) pass the value through.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from sfnsim.dataflow.jsontypes import compact_json
from sfnsim.tasks.resources import LAMBDA_FUNCTION, Resource


def shape_result(resource: Resource, value: Any, *, new_request_id: Callable[[], str], now: datetime) -> Any:
    """``now`` is the (virtual) UTC time of the response; ``new_request_id`` is only called when the
    response carries one, so the run's seeded ids stay as they are for other integrations."""
    if resource.kind == LAMBDA_FUNCTION or not resource.is_lambda:
        return value
    return lambda_invoke_response(value, new_request_id(), now)


def lambda_invoke_response(payload: Any, request_id: str, now: datetime) -> dict[str, Any]:
    return _invoke_response(payload, request_id, http_date(now), str(len(compact_json(payload, ascii_only=True))))


def size_bound(resource: Resource, result: Any) -> int | None:
    """At least the payload size (UTF-8 bytes of compact JSON) of a ``result`` that ``shape_result``
    made, when that is known without writing the result out again; None when it is not.

    A ``lambda:invoke`` response is its payload in an envelope of fixed text and three strings:
    the Content-Length (the payload written with non-ASCII escaped, never fewer bytes than its
    UTF-8) plus the envelope bound every Task's result-size check, so only a payload near the
    quota is measured to the byte."""
    if resource.kind == LAMBDA_FUNCTION or not resource.is_lambda or type(result) is not dict:
        return None
    headers = result["SdkHttpMetadata"]["HttpHeaders"]
    request_id, date, length = headers["x-amzn-RequestId"], headers["Date"], headers["Content-Length"]
    # The strings are ASCII with nothing to escape: an id, an HTTP date and digits.
    return _ENVELOPE_BYTES + 3 * len(request_id) + 2 * len(date) + 2 * len(length) + int(length)


def _invoke_response(payload: Any, request_id: str, date: str, length: str) -> dict[str, Any]:
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [request_id],
                "Content-Length": [length],
                "Date": [date],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/json",
                "Date": date,
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }


# The envelope's own bytes: a response with empty strings, less its payload's "null".
_ENVELOPE_BYTES = len(compact_json(_invoke_response(None, "", "", ""))) - len("null")


# The tasks of a Map mostly answer at one virtual instant: its text is kept (strftime is slow,
# slower still through freezegun's patched ``time.strftime`` while a run's handlers see frozen time).
@lru_cache(maxsize=1)
def http_date(now: datetime) -> str:
    """The ``Date`` header of an AWS response at ``now``, e.g. ``Mon, 01 Jan 2024 00:00:00 GMT``."""
    return now.strftime("%a, %d %b %Y %H:%M:%S GMT")


# What AWS checks in an integration's parameters before it schedules the task. A failure is a
# States.Runtime error and no TaskScheduled event is recorded.
def _headers_are_lists_of_strings(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, list) and all(isinstance(item, str) for item in v) for v in value.values()
    )


_REQUEST_CHECKS: dict[tuple[str, str], list[tuple[str, Any]]] = {
    ("apigateway", "invoke"): [("Headers", _headers_are_lists_of_strings)],
}


def check_request(resource: Resource, parameters: Any) -> str | None:
    """AWS's reason for refusing ``parameters`` before starting the task, or None if they pass."""
    checks = _REQUEST_CHECKS.get((resource.resource_type, resource.action))
    if not checks or not isinstance(parameters, dict):
        return None
    invalid = [field for field, valid in checks if field in parameters and not valid(parameters[field])]
    if not invalid:
        return None
    reasons = ", ".join(f"The value of the field '{field}' has an invalid format" for field in invalid)
    return f"The Parameters '{compact_json(parameters, ascii_only=True)}' could not be used to start the Task: [{reasons}]"
