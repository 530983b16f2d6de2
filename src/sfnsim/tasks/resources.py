"""What a Task's ``Resource`` names, in the terms AWS's history uses.

* ``arn:aws:states:::sqs:sendMessage.waitForTaskToken`` is an optimised integration:
  ``resourceType`` ``sqs``, ``resource`` ``sendMessage.waitForTaskToken``, pattern ``waitForTaskToken``.
* ``arn:aws:states:::aws-sdk:s3:listBuckets``: ``resourceType`` ``aws-sdk:s3``, ``resource`` ``listBuckets``.
* ``arn:aws:lambda:us-east-1:123456789012:function:Name`` is the legacy Lambda form, recorded with
  ``LambdaFunction*`` events.
* ``arn:aws:states:us-east-1:123456789012:activity:Name`` is an activity (``Activity*`` events).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

REQUEST_RESPONSE = "request-response"
SYNC = "sync"
WAIT_FOR_TASK_TOKEN = "waitForTaskToken"

LAMBDA_FUNCTION = "lambda-function"
ACTIVITY = "activity"
SERVICE = "service"


@dataclass(frozen=True)
class Resource:
    arn: str
    kind: str  # LAMBDA_FUNCTION, ACTIVITY or SERVICE
    resource_type: str  # e.g. "lambda", "sqs", "aws-sdk:s3"
    resource: str  # e.g. "invoke", "sendMessage.waitForTaskToken"
    pattern: str  # REQUEST_RESPONSE, SYNC or WAIT_FOR_TASK_TOKEN
    region: str = "us-east-1"

    # Computed once per resource (cached_property writes the instance's __dict__, which a frozen
    # dataclass allows): each Task attempt asks several times.
    @cached_property
    def is_lambda(self) -> bool:
        return self.kind == LAMBDA_FUNCTION or (self.resource_type == "lambda" and self.action == "invoke")

    @cached_property
    def action(self) -> str:
        return self.resource.split(".", 1)[0]

    @property
    def function_name(self) -> str | None:
        """For the legacy Lambda form: the function's name (no qualifier)."""
        if self.kind != LAMBDA_FUNCTION:
            return None
        return lambda_function_name(self.arn)


def lambda_function_name(name_or_arn: str) -> str:
    """``my-fn`` from ``my-fn``, ``my-fn:prod``, ``arn:aws:lambda:r:a:function:my-fn[:qualifier]``."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        return parts[6] if len(parts) > 6 else name_or_arn
    return name_or_arn.split(":", 1)[0]


def _pattern(action: str) -> str:
    if action.endswith(".waitForTaskToken"):
        return WAIT_FOR_TASK_TOKEN
    if ".sync" in action:
        return SYNC
    return REQUEST_RESPONSE


@lru_cache(maxsize=1024)
def parse_resource(arn: str) -> Resource:
    """Classify a Task ``Resource``; unknown shapes are treated as a service named by the ARN."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "lambda" and parts[5] == "function":
        return Resource(arn, LAMBDA_FUNCTION, "lambda", arn, REQUEST_RESPONSE, parts[3] or "us-east-1")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "states" and parts[5] == "activity":
        return Resource(arn, ACTIVITY, "activity", arn, REQUEST_RESPONSE, parts[3] or "us-east-1")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "states" and parts[3] == "" and parts[4] == "":
        service_parts = parts[5:]
        if service_parts[0] == "aws-sdk" and len(service_parts) >= 3:
            resource_type = f"aws-sdk:{service_parts[1]}"
            action = ":".join(service_parts[2:])
        else:
            resource_type = service_parts[0]
            action = ":".join(service_parts[1:])
        return Resource(arn, SERVICE, resource_type, action, _pattern(action))
    return Resource(arn, SERVICE, "unknown", arn, REQUEST_RESPONSE)
