"""The AWS resources the order-reports workflow expects (bucket, table, topic, and a queue subscribed
to the topic so a test can read the alerts), created with plain boto3 wherever the test points
sfnsim: moto in-process or an endpoint."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INPUT = json.loads((Path(__file__).parent / "input" / "2024-06-01.json").read_text())


@dataclass
class Resources:
    """What the workflow writes to, and clients to look at it afterwards."""

    s3: Any
    dynamodb: Any
    sqs: Any
    bucket: str
    table: str
    topic_arn: str
    alerts_queue: str

    def keys(self, prefix: str = "") -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]

    def read_json(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def status(self, run_id: str) -> dict[str, Any]:
        return self.dynamodb.get_item(TableName=self.table, Key={"run_id": {"S": run_id}})["Item"]

    def alerts(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.alerts_queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]


def create_resources(backend: Any) -> Resources:
    """The pipeline's AWS resources, created through ``backend`` (what ``sfn.use_aws`` returns)."""
    s3, dynamodb, sns, sqs = (backend.client(name) for name in ("s3", "dynamodb", "sns", "sqs"))
    s3.create_bucket(Bucket=INPUT["bucket"])
    dynamodb.create_table(TableName=INPUT["table"], BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "run_id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "run_id", "AttributeType": "S"}])
    topic_arn = sns.create_topic(Name=INPUT["topic_arn"].rsplit(":", 1)[-1])["TopicArn"]
    queue_url = sqs.create_queue(QueueName="order-reports-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Resources(s3, dynamodb, sqs, INPUT["bucket"], INPUT["table"], topic_arn, queue_url)
