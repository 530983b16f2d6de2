"""The order-reports pipeline end to end against moto: what it leaves in S3, DynamoDB and SNS."""

from __future__ import annotations

import copy
import json
from typing import Any

from aws_resources import INPUT, create_resources
from functions import LAMBDA_FUNCTIONS

MACHINE = "../statemachine/order_reports.asl.json"


def a_run(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(INPUT), **changes}


def test_reports_per_region_are_written_to_s3_and_the_run_is_recorded(sfn, aws):
    ex = sfn.load(MACHINE).run(a_run(), handlers=LAMBDA_FUNCTIONS)

    ex.assert_succeeded()
    manifest_key = ex.output["Key"]
    assert ex.output == {"Bucket": "order-reports", "Key": manifest_key}
    # Extract handed the orders to Split through S3, and Split wrote one object per region.
    assert aws.read_json("raw/2024-06-01/orders.json") == INPUT["orders"]
    assert aws.keys("parts/") == ["parts/2024-06-01/ap.json", "parts/2024-06-01/eu.json", "parts/2024-06-01/us.json"]
    # The Distributed Map read those objects and its ResultWriter wrote the results as AWS lays them out.
    assert manifest_key.startswith("reports/2024-06-01/") and manifest_key.endswith("/manifest.json")
    manifest = aws.read_json(manifest_key)
    assert manifest["DestinationBucket"] == "order-reports"
    [succeeded] = manifest["ResultFiles"]["SUCCEEDED"]
    summaries = {json.loads(r["Output"])["region"]: json.loads(r["Output"]) for r in aws.read_json(succeeded["Key"])}
    assert summaries == {
        "ap": {"region": "ap", "orders": 1, "total": 99.99},
        "eu": {"region": "eu", "orders": 2, "total": 19.75},
        "us": {"region": "us", "orders": 1, "total": 40.0},
    }
    # The status record, and no alert.
    assert aws.status("2024-06-01") == {"run_id": {"S": "2024-06-01"}, "status": {"S": "SUCCEEDED"},
                                        "reports": {"S": manifest_key}}
    assert aws.alerts() == []


def test_a_failed_run_notifies_the_team_and_records_the_error(sfn, aws):
    orders = INPUT["orders"] + [{"id": "o-5", "amount": 3.0}]  # no region
    ex = sfn.load(MACHINE).run(a_run(orders=orders), handlers=LAMBDA_FUNCTIONS)

    ex.assert_failed("ValueError")
    assert json.loads(ex.cause)["errorMessage"] == "order o-5 has no region"
    [alert] = aws.alerts()
    assert alert["Subject"] == "Order reports failed"
    assert json.loads(alert["Message"]) == {"run_id": "2024-06-01", "error": "ValueError", "cause": ex.cause}
    assert aws.status("2024-06-01")["status"] == {"S": "FAILED"}
    assert aws.keys() == []  # nothing was handed on


def test_the_service_calls_are_recorded_as_aws_records_them(sfn, aws):
    ex = sfn.load(MACHINE).run(a_run(), handlers=LAMBDA_FUNCTIONS)

    scheduled = next(e["taskScheduledEventDetails"] for e in ex.history if e["type"] == "TaskScheduled")
    assert scheduled == {"resourceType": "dynamodb", "resource": "putItem", "region": "us-east-1",
                         "parameters": {"TableName": "pipeline-runs",
                                        "Item": {"run_id": {"S": "2024-06-01"}, "status": {"S": "RUNNING"}}}}
    succeeded = next(e["taskSucceededEventDetails"] for e in ex.history if e["type"] == "TaskSucceeded")
    assert set(succeeded["output"]) == {"SdkHttpMetadata", "SdkResponseMetadata"}  # putItem returns no attributes


def test_the_same_workflow_against_a_moto_server_endpoint(sfn, moto_server):
    endpoint = f"endpoint={moto_server}"
    resources = create_resources(sfn.use_aws(endpoint))

    ex = sfn.load(MACHINE).run(a_run(), handlers=LAMBDA_FUNCTIONS)

    ex.assert_succeeded()
    assert resources.keys("parts/") == ["parts/2024-06-01/ap.json", "parts/2024-06-01/eu.json",
                                        "parts/2024-06-01/us.json"]
    assert resources.read_json(ex.output["Key"])["DestinationBucket"] == "order-reports"
    assert resources.status("2024-06-01")["status"] == {"S": "SUCCEEDED"}
