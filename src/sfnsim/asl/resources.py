"""Which Task ``Resource`` values AWS accepts.

A Task resource is one of: a Lambda function ARN, an activity ARN, an optimized service integration
``arn:aws:states:::service:action[.sync|.sync:2|.waitForTaskToken]``, an AWS SDK integration
``arn:aws:states:::aws-sdk:service:action[.waitForTaskToken]`` or an HTTP task. AWS rejects anything
else at creation ("The resource provided ... is not recognized"), and Express machines reject the
``.sync`` and ``.waitForTaskToken`` patterns and activities.

Resources holding an unresolved template substitution (``${LambdaArn}``) or a CloudFormation
intrinsic are accepted as they are: their value is only known at deploy time.
"""

from __future__ import annotations

import re
from typing import Any

# The optimized integrations from AWS's "Integrating optimized services" pages:
# service -> action -> the patterns it supports in a Standard machine
# ("r" request/response, "s" .sync, "2" .sync:2, "w" .waitForTaskToken).
OPTIMIZED: dict[str, dict[str, str]] = {
    "lambda": {"invoke": "rw"},
    "batch": {"submitJob": "rsw"},
    "dynamodb": {"getItem": "r", "putItem": "r", "updateItem": "r", "deleteItem": "r"},
    "ecs": {"runTask": "rsw"},
    "sns": {"publish": "rw"},
    "sqs": {"sendMessage": "rw"},
    "glue": {"startJobRun": "rsw"},
    "sagemaker": {
        "createEndpoint": "r",
        "createEndpointConfig": "r",
        "createHyperParameterTuningJob": "rs",
        "createLabelingJob": "rs",
        "createModel": "r",
        "createProcessingJob": "rs",
        "createTrainingJob": "rs",
        "createTransformJob": "rs",
        "updateEndpoint": "r",
    },
    "elasticmapreduce": {
        "createCluster": "rs",
        "terminateCluster": "rs",
        "addStep": "rs",
        "cancelStep": "r",
        "setClusterTerminationProtection": "r",
        "modifyInstanceFleetByName": "r",
        "modifyInstanceGroupByName": "r",
    },
    "emr-containers": {"createVirtualCluster": "r", "deleteVirtualCluster": "rs", "startJobRun": "rs"},
    "emr-serverless": {
        "createApplication": "rs",
        "startApplication": "rs",
        "stopApplication": "rs",
        "deleteApplication": "rs",
        "startJobRun": "rs",
        "cancelJobRun": "rs",
    },
    "codebuild": {
        "startBuild": "rs",
        "stopBuild": "r",
        "batchDeleteBuilds": "r",
        "batchGetReports": "r",
        "startBuildBatch": "rs",
        "retryBuild": "rs",
        "retryBuildBatch": "rs",
        "stopBuildBatch": "r",
        "deleteBuildBatch": "r",
    },
    "athena": {
        "startQueryExecution": "rs",
        "stopQueryExecution": "r",
        "getQueryExecution": "r",
        "getQueryResults": "r",
    },
    "eks": {
        "createCluster": "rs",
        "deleteCluster": "rs",
        "createFargateProfile": "rs",
        "deleteFargateProfile": "rs",
        "createNodegroup": "rs",
        "deleteNodegroup": "rs",
        "runJob": "rs",
        "call": "r",
    },
    "apigateway": {"invoke": "rw"},
    "databrew": {"startJobRun": "rs"},
    "events": {"putEvents": "rw"},
    "states": {"startExecution": "rs2w"},
    "bedrock": {"invokeModel": "r", "createModelCustomizationJob": "rs"},
    "mediaconvert": {"createJob": "rs"},
    "http": {"invoke": "r"},
}

# Item readers and result writers of a Distributed Map use S3 through their own resources.
ITEM_READERS = {"s3:getObject", "s3:listObjectsV2"}
RESULT_WRITERS = {"s3:putObject"}

PATTERN_SUFFIXES = {"": "r", ".sync": "s", ".sync:2": "2", ".waitForTaskToken": "w"}
PATTERN_NAMES = {"s": ".sync", "2": ".sync:2", "w": ".waitForTaskToken"}

_PARTITION = r"aws(?:-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?"
_STATES_ARN = re.compile(rf"^arn:{_PARTITION}:states:[a-z0-9-]*:\d*:(?P<rest>.+)$")
_LAMBDA_ARN = re.compile(
    rf"^arn:{_PARTITION}:lambda:[a-z0-9-]*:\d*:function:[A-Za-z0-9_-]+(?::(?:\$LATEST|[A-Za-z0-9_-]+))?$"
)
_ACTIVITY = re.compile(r"^activity:[A-Za-z0-9_.-]+$")
_SERVICE_ACTION = re.compile(
    r"^(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)(?P<suffix>\.sync(?::2)?|\.waitForTaskToken)?$"
)
_SDK = re.compile(r"^aws-sdk:(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)(?P<suffix>\.waitForTaskToken)?$")


# A plain class, not a dataclass: it is built on every run's import path and nothing compares or copies it.
class ResourceKind:
    __slots__ = ("kind", "pattern")

    def __init__(self, kind: str, pattern: str = "") -> None:
        self.kind = kind  # "lambda", "activity", "optimized", "sdk", "placeholder"
        self.pattern = pattern  # "", ".sync", ".sync:2" or ".waitForTaskToken"


def has_placeholder(value: Any) -> bool:
    """True for a value whose text depends on a deploy-time substitution or intrinsic."""
    return (isinstance(value, str) and "${" in value) or isinstance(value, dict)


def classify_task_resource(resource: str) -> ResourceKind | str:
    """What a Task resource is, or the reason AWS would not recognize it."""
    if _LAMBDA_ARN.match(resource):
        return ResourceKind("lambda")
    match = _STATES_ARN.match(resource)
    if match is None:
        return _not_recognized(resource)
    rest = match.group("rest")
    if _ACTIVITY.match(rest):
        return ResourceKind("activity")
    sdk = _SDK.match(rest)
    if sdk:
        return ResourceKind("sdk", sdk.group("suffix") or "")
    optimized = _SERVICE_ACTION.match(rest)
    if optimized is None:
        return _not_recognized(resource)
    actions = OPTIMIZED.get(optimized.group("service"), {})
    patterns = actions.get(optimized.group("action"))
    suffix = optimized.group("suffix") or ""
    if patterns is None or PATTERN_SUFFIXES[suffix] not in patterns:
        return _not_recognized(resource)
    return ResourceKind("optimized", suffix)


def _not_recognized(resource: str) -> str:
    # AWS's recorded answer for an unknown Resource (SCHEMA_VALIDATION_FAILED "... is not
    # recognized ... at /States/<state>/Resource", LocalStack's aws-validated snapshots). It covers
    # the ASL specification's illustrative "arn:aws:swf:...:task:X", which AWS has no integration for.
    return (
        f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, "
        "or the resource is not available in this region."
    )


def service_resource_name(resource: str) -> str | None:
    """``s3:getObject`` for ``arn:aws:states:::s3:getObject``; None for other ARNs."""
    match = _STATES_ARN.match(resource)
    return match.group("rest") if match else None


def express_problem(kind: ResourceKind) -> str | None:
    """Why an Express machine cannot use this resource, if it cannot."""
    if kind.kind == "activity":
        return "Express state machine does not support Activity ARN"
    if kind.pattern in (".sync", ".sync:2", ".waitForTaskToken"):
        name = ".sync" if kind.pattern.startswith(".sync") else kind.pattern
        return f"Express state machine does not support '{name}' service integration"
    return None
