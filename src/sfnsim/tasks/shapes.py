"""Turning a handler's return value into the response the real integration would give.

Only ``lambda:invoke`` changes the value: Step Functions wraps the function's result in the Lambda
Invoke API response, so ``$.Payload`` is the function's return value. Other integrations (and the
legacy Lambda ARN form, which returns the function's result directly) pass the value through.
"""

from __future__ import annotations

from datetime import datetime
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
    date = _http_date(now)
    length = str(len(compact_json(payload, ascii_only=True)))
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


def _http_date(now: datetime) -> str:
    # The tasks of a Map mostly answer at one virtual instant: its text is kept (strftime is slow,
    # slower still through freezegun's patched ``time.strftime`` while a run's handlers see frozen time).
    global _last_date
    last = _last_date  # read once: another thread may replace it meanwhile
    if last[0] != now:
        last = _last_date = (now, now.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    return last[1]


_last_date: tuple[datetime | None, str] = (None, "")


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
