"""What CloudFormation gives for ``Ref`` and ``Fn::GetAtt`` of the resources a state machine uses.

The values follow each resource type's "Return values" section in the CloudFormation resource
reference (``Ref`` of a Lambda function is its name, of an SNS topic its ARN, of an SQS queue its
URL...). A resource's physical name is the one its template sets (``FunctionName``, ``TopicName``...)
or else its logical id: AWS would generate ``stack-LogicalId-RANDOM``, which nothing can predict,
and the logical id lets a test key its handlers by a name it can read in the template.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Place:
    """Where the stack is deployed: partition, region, account, stack name and URL suffix."""

    region: str
    account: str
    stack_name: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    @property
    def stack_id(self) -> str:
        return f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/{_uuid(self.stack_name)}"

    def arn(self, service: str, resource: str, *, regional: bool = True, with_account: bool = True) -> str:
        region = self.region if regional else ""
        account = self.account if with_account else ""
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"


@dataclass(frozen=True)
class ResourceType:
    """How to name one resource type: the property holding its name, its ``Ref`` and its attributes."""

    name_property: str | None
    ref: Callable[[Place, str], str]  # (place, physical name) -> Ref value
    attributes: dict[str, Callable[[Place, str], Any]]
    name_suffix: Callable[[dict[str, Any]], str] = lambda properties: ""


def _name(place: Place, name: str) -> str:
    return name


def _uuid(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _generated_id(seed: str, length: int = 10) -> str:
    """A stable stand-in for an id AWS generates (an API id, a VPC id...)."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _lambda_arn(place: Place, name: str) -> str:
    return place.arn("lambda", f"function:{name}")


def _machine_arn(place: Place, name: str) -> str:
    return place.arn("states", f"stateMachine:{name}")


def _activity_arn(place: Place, name: str) -> str:
    return place.arn("states", f"activity:{name}")


def _topic_arn(place: Place, name: str) -> str:
    return place.arn("sns", name)


def _queue_url(place: Place, name: str) -> str:
    return f"https://sqs.{place.region}.{place.url_suffix}/{place.account}/{name}"


def _queue_arn(place: Place, name: str) -> str:
    return place.arn("sqs", name)


def _table_arn(place: Place, name: str) -> str:
    return place.arn("dynamodb", f"table/{name}")


def _bucket_arn(place: Place, name: str) -> str:
    return place.arn("s3", name, regional=False, with_account=False)


def _fifo_suffix(properties: dict[str, Any]) -> str:
    return ".fifo" if properties.get("FifoQueue") in (True, "true") else ""


_MACHINE = ResourceType("StateMachineName", _machine_arn, {"Arn": _machine_arn, "Name": _name})
_SAM_MACHINE = ResourceType("Name", _machine_arn, {"Arn": _machine_arn, "Name": _name})
_FUNCTION = ResourceType("FunctionName", _name, {"Arn": _lambda_arn})
_TABLE = ResourceType(
    "TableName", _name,
    {"Arn": _table_arn, "StreamArn": lambda p, n: f"{_table_arn(p, n)}/stream/2024-01-01T00:00:00.000"},
)

RESOURCE_TYPES: dict[str, ResourceType] = {
    "AWS::StepFunctions::StateMachine": _MACHINE,
    "AWS::Serverless::StateMachine": _SAM_MACHINE,
    "AWS::StepFunctions::Activity": ResourceType("Name", _activity_arn, {"Name": _name}),
    "AWS::Lambda::Function": _FUNCTION,
    "AWS::Serverless::Function": _FUNCTION,
    "AWS::SNS::Topic": ResourceType("TopicName", _topic_arn, {"TopicArn": _topic_arn, "TopicName": _name}),
    "AWS::SQS::Queue": ResourceType(
        "QueueName", _queue_url,
        {"Arn": _queue_arn, "QueueName": _name, "QueueUrl": _queue_url},
        name_suffix=_fifo_suffix,
    ),
    "AWS::DynamoDB::Table": _TABLE,
    "AWS::DynamoDB::GlobalTable": _TABLE,
    "AWS::Serverless::SimpleTable": _TABLE,
    "AWS::S3::Bucket": ResourceType(
        "BucketName", _name,
        {
            "Arn": _bucket_arn,
            "DomainName": lambda p, n: f"{n}.s3.{p.url_suffix}",
            "RegionalDomainName": lambda p, n: f"{n}.s3.{p.region}.{p.url_suffix}",
            "WebsiteURL": lambda p, n: f"http://{n}.s3-website-{p.region}.{p.url_suffix}",
        },
    ),
    "AWS::Events::EventBus": ResourceType(
        "Name", _name, {"Arn": lambda p, n: p.arn("events", f"event-bus/{n}"), "Name": _name}
    ),
    "AWS::Events::Rule": ResourceType("Name", _name, {"Arn": lambda p, n: p.arn("events", f"rule/{n}")}),
    "AWS::IAM::Role": ResourceType(
        "RoleName", _name,
        {"Arn": lambda p, n: p.arn("iam", f"role/{n}", regional=False), "RoleId": lambda p, n: "AROA" + _generated_id(n, 17).upper()},
    ),
    "AWS::Logs::LogGroup": ResourceType(
        "LogGroupName", _name, {"Arn": lambda p, n: p.arn("logs", f"log-group:{n}:*")}
    ),
    "AWS::ECS::Cluster": ResourceType("ClusterName", _name, {"Arn": lambda p, n: p.arn("ecs", f"cluster/{n}")}),
    "AWS::ECS::TaskDefinition": ResourceType(
        "Family", lambda p, n: p.arn("ecs", f"task-definition/{n}:1"),
        {"TaskDefinitionArn": lambda p, n: p.arn("ecs", f"task-definition/{n}:1")},
    ),
    "AWS::Batch::JobQueue": ResourceType(
        "JobQueueName", lambda p, n: p.arn("batch", f"job-queue/{n}"),
        {"JobQueueArn": lambda p, n: p.arn("batch", f"job-queue/{n}")},
    ),
    "AWS::Batch::JobDefinition": ResourceType(
        "JobDefinitionName", lambda p, n: p.arn("batch", f"job-definition/{n}:1"), {}
    ),
    "AWS::Glue::Job": ResourceType("Name", _name, {}),
    "AWS::Glue::Crawler": ResourceType("Name", _name, {}),
    "AWS::Glue::Database": ResourceType(None, _name, {}),
    "AWS::Athena::WorkGroup": ResourceType("Name", _name, {}),
    "AWS::CodeBuild::Project": ResourceType("Name", _name, {"Arn": lambda p, n: p.arn("codebuild", f"project/{n}")}),
    "AWS::Kinesis::Stream": ResourceType("Name", _name, {"Arn": lambda p, n: p.arn("kinesis", f"stream/{n}")}),
    "AWS::SSM::Parameter": ResourceType("Name", _name, {}),
    "AWS::SecretsManager::Secret": ResourceType(
        "Name", lambda p, n: p.arn("secretsmanager", f"secret:{n}-AbCdEf"), {}
    ),
    "AWS::ApiGateway::RestApi": ResourceType(
        None, lambda p, n: _generated_id(n), {"RootResourceId": lambda p, n: _generated_id(n + "/", 10)}
    ),
    "AWS::Serverless::Api": ResourceType(None, lambda p, n: _generated_id(n), {}),
    "AWS::Serverless::HttpApi": ResourceType(None, lambda p, n: _generated_id(n), {}),
    "AWS::ApiGatewayV2::Api": ResourceType(
        None, lambda p, n: _generated_id(n),
        {"ApiEndpoint": lambda p, n: f"https://{_generated_id(n)}.execute-api.{p.region}.{p.url_suffix}"},
    ),
}


def physical_name(resource_type: str, logical_id: str, properties: dict[str, Any], name: Any) -> str:
    """The resource's name: its name property when the template sets one (``name``), else its logical id."""
    kind = RESOURCE_TYPES.get(resource_type)
    if isinstance(name, str) and name:
        return name
    suffix = kind.name_suffix(properties) if kind is not None else ""
    return logical_id + suffix
