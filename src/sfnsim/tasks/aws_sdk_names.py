"""Names across the Step Functions / botocore boundary, and AWS's error names for service calls.

* ``arn:aws:states:::aws-sdk:SERVICE:ACTION`` names the service as the AWS SDK for Java 2.x
  module does (``sfn``, ``eventbridge``, ``cloudwatchlogs``) and the action in camelCase
  (``putItem``); botocore calls the same service ``stepfunctions``/``events``/``logs`` and the
  operation ``PutItem``. Parameters are PascalCase in both, as the service API spells them.
* AWS's rule for SDK integration errors ("Handling errors in SDK integrations"): the error is
  ``ServiceName.ErrorName``, both PascalCase, and the error name always ends in ``Exception``, even
  when the service's own error code does not (S3's ``NoSuchBucket`` is ``S3.NoSuchBucketException``).
  The service name is the SDK's PascalCase client name: ``DynamoDb``, ``S3``, ``SecretsManager``,
  ``Sfn``, ``AcmPca``. An error the service model does not declare is reported under the service's
  base exception, ``DynamoDb.DynamoDbException`` (as recorded on AWS for a DynamoDB
  ``ValidationException``).
* The optimised integrations (``arn:aws:states:::dynamodb:putItem``, ``sqs:sendMessage``, …) go
  through the AWS SDK for Java 1.x and are named as it names them: ``DynamoDB.ConditionalCheckFailedException``,
  ``DynamoDB.AmazonDynamoDBException`` for an undeclared error, with a cause ending
  ``(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: …; Proxy: null)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# aws-sdk service names whose botocore name is not the same letters (hyphens aside).
_BOTOCORE_NAMES = {
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "cloudwatchevents": "events",
    "cloudwatchlogs": "logs",
    "cognitoidentityprovider": "cognito-idp",
    "costexplorer": "ce",
    "elasticloadbalancing": "elb",
    "elasticloadbalancingv2": "elbv2",
    "databasemigration": "dms",
    "applicationautoscaling": "application-autoscaling",
    "sagemakerruntime": "sagemaker-runtime",
}


@dataclass(frozen=True)
class OptimisedService:
    """How the Java 1.x SDK behind an optimised integration names a service in errors."""

    prefix: str  # DynamoDB, SQS, ...: the error's "ServiceName."
    client: str  # the botocore service
    cause_name: str  # AmazonDynamoDBv2: the "(Service: ...)" in a cause
    base_exception: str  # AmazonDynamoDBException: an error the model does not declare


OPTIMISED_SERVICES = {
    "dynamodb": OptimisedService("DynamoDB", "dynamodb", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "sqs": OptimisedService("SQS", "sqs", "AmazonSQS", "AmazonSQSException"),
    "sns": OptimisedService("SNS", "sns", "AmazonSNS", "AmazonSNSException"),
    "events": OptimisedService("EventBridge", "events", "AmazonEventBridge", "AmazonEventBridgeException"),
    "glue": OptimisedService("Glue", "glue", "AWSGlue", "AWSGlueException"),
    "lambda": OptimisedService("Lambda", "lambda", "AWSLambda", "AWSLambdaException"),
}


def operation_name(action: str) -> str:
    """``putItem`` → ``PutItem``: the API operation a camelCase Step Functions action names."""
    return action[:1].upper() + action[1:]


def botocore_service(sdk_service: str, available: frozenset[str]) -> str | None:
    """The botocore service for an ``aws-sdk:SERVICE`` name, or None if botocore has none."""
    name = sdk_service.lower()
    if name in _BOTOCORE_NAMES:
        return _BOTOCORE_NAMES[name]
    if name in available:
        return name
    by_letters = {service.replace("-", ""): service for service in available}
    return by_letters.get(name)


@lru_cache(maxsize=256)
def pascal_case(service_id: str) -> str:
    """A service's PascalCase SDK client name from its ``serviceId``.

    Words are split at non-alphanumerics, at a lower-to-upper change, after a run of capitals that
    starts a new word, and after a digit; each word is then capitalised with the rest lowercase:
    ``DynamoDB`` → ``DynamoDb``, ``ACM PCA`` → ``AcmPca``, ``Secrets Manager`` → ``SecretsManager``.
    """
    text = re.sub(r"[^A-Za-z0-9]+", " ", service_id)
    text = re.sub(r"(?<=[a-z])(?=[A-Z][A-Za-z0-9])", " ", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"([0-9])([A-Za-z])", r"\1 \2", text)
    return "".join(word[:1].upper() + word[1:].lower() for word in text.split())


def with_exception_suffix(name: str) -> str:
    """AWS appends ``Exception`` to an error name that lacks it."""
    return name if name.endswith("Exception") else f"{name}Exception"


def sdk_error_name(service_id: str, modeled_shape: str | None) -> str:
    """``S3.NoSuchBucketException`` / ``DynamoDb.DynamoDbException`` for an aws-sdk Task's failure."""
    service = pascal_case(service_id)
    return f"{service}.{with_exception_suffix(modeled_shape or service)}"


def sdk_error_cause(message: str, service_id: str, status: int | str, request_id: str | None,
                    extended_request_id: str | None = None) -> str:
    """The cause text of an aws-sdk Task's failure, as the Java 2.x SDK words an AWS error."""
    details = [f"Service: {pascal_case(service_id)}", f"Status Code: {status}", f"Request ID: {request_id}"]
    if extended_request_id is not None:
        details.append(f"Extended Request ID: {extended_request_id}")
    return f"{message} ({', '.join(details)})"


def optimised_error_name(service: OptimisedService, modeled_shape: str | None) -> str:
    """``DynamoDB.ConditionalCheckFailedException`` / ``DynamoDB.AmazonDynamoDBException``."""
    return f"{service.prefix}.{with_exception_suffix(modeled_shape) if modeled_shape else service.base_exception}"


def optimised_error_cause(message: str, service: OptimisedService, status: int | str, code: str,
                          request_id: str | None) -> str:
    """The cause text of an optimised integration's failure, as the Java 1.x SDK words it."""
    return (f"{message} (Service: {service.cause_name}; Status Code: {status}; Error Code: {code}; "
            f"Request ID: {request_id}; Proxy: null)")


__all__ = [
    "OPTIMISED_SERVICES", "OptimisedService", "botocore_service", "operation_name", "optimised_error_cause",
    "optimised_error_name", "pascal_case", "sdk_error_cause", "sdk_error_name",
    "with_exception_suffix",
]
