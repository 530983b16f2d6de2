"""Every path of the daily ETL, proved locally on sfnsim's virtual clock: no AWS account, no waiting.

The ``sfn`` fixture comes with sfnsim (``pip install sfnsim``); no conftest.py is needed.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from handlers import LAMBDA_FUNCTIONS, load
from sfnsim import mock

MACHINE = "../statemachine/daily_etl.asl.json"
MIDNIGHT = datetime(2024, 6, 2, tzinfo=timezone.utc)  # the schedule starts each run at 00:00 UTC
TOPIC = "arn:aws:sns:us-east-1:123456789012:daily-etl-alerts"


def a_day(**manifest: Any) -> dict[str, Any]:
    """The input the schedule sends for 2024-06-01, with the upstream manifest changed by ``manifest``."""
    files = [
        {"region": "eu", "path": "s3://lake/raw/orders/dt=2024-06-01/region=eu/", "rows": 120},
        {"region": "us", "path": "s3://lake/raw/orders/dt=2024-06-01/region=us/", "rows": 250},
        {"region": "ap", "path": "s3://lake/raw/orders/dt=2024-06-01/region=ap/", "rows": 50},
    ]
    return {
        "run_date": "2024-06-01",
        "upstream_ready_at": "2024-06-02T02:00:00Z",
        "manifest": {"status": "COMPLETE", "schema_version": "v2", "files": files, **manifest},
    }


@pytest.fixture
def etl(sfn):
    return sfn.load(MACHINE)


@pytest.fixture
def alerts():
    """SNS publish, answered as SNS answers."""
    return mock.returns({"MessageId": "a1b2c3d4-0000-0000-0000-000000000001"})


def run(etl, day: dict[str, Any], alerts, **overrides: Any):
    handlers = {**LAMBDA_FUNCTIONS, "NotifyFailure": alerts, **overrides}
    return etl.run(day, handlers=handlers, start_time=MIDNIGHT)


# -- the five-line test ------------------------------------------------------------------------
def test_a_normal_day_succeeds(sfn):
    etl = sfn.load(MACHINE)
    ex = etl.run(a_day(), handlers=LAMBDA_FUNCTIONS, start_time=MIDNIGHT)
    ex.assert_succeeded(output={"run_date": "2024-06-01", "rows_extracted": 420,
                                "tables": ["orders_clean", "dim_customer"], "partitions_loaded": 3})


# -- the paths ---------------------------------------------------------------------------------
def test_a_normal_day_takes_every_step_and_sends_no_alert(etl, alerts):
    ex = run(etl, a_day(), alerts)

    ex.assert_path(["WaitForUpstreamWindow", "Extract", "ValidateExtract", "Transform",
                    "CleanOrders", "BuildCustomerDim", "LoadPartitions",
                    "LoadPartition", "LoadPartition", "LoadPartition", "Summarize"])
    assert ex.state("Transform").output["transform"] == [
        {"table": "orders_clean", "rows": 420}, {"table": "dim_customer", "rows": 3},
    ]
    assert alerts.calls == []


def test_an_unexpected_schema_is_rejected_by_the_choice_and_alerted(etl, alerts):
    ex = run(etl, a_day(schema_version="v3"), alerts)

    ex.assert_failed(error="DailyEtl.ValidationFailed",
                     cause="unexpected extract for 2024-06-01: schema v3, 420 rows")
    ex.assert_path(["WaitForUpstreamWindow", "Extract", "ValidateExtract", "RejectBatch", "NotifyFailure",
                    "Failed"])
    ex.state("Transform").assert_not_entered()
    assert alerts.calls == [{
        "TopicArn": TOPIC,
        "Subject": "daily_etl failed",
        "Message": "daily_etl 2024-06-01 failed with DailyEtl.ValidationFailed: "
                   "unexpected extract for 2024-06-01: schema v3, 420 rows",
    }]


def test_an_empty_day_succeeds_without_loading(etl, alerts):
    ex = run(etl, a_day(files=[]), alerts)

    ex.assert_succeeded()
    assert ex.path[-2:] == ["ValidateExtract", "NothingToLoad"]
    ex.state("LoadPartitions").assert_not_entered()


def test_a_throttled_load_is_retried_with_backoff_then_succeeds(etl, alerts):
    one_partition = a_day(files=[{"region": "eu", "path": "s3://lake/raw/orders/dt=2024-06-01/region=eu/",
                                  "rows": 120}])
    throttled = mock.raises("Lambda.TooManyRequestsException", cause="Rate exceeded", times=2)
    ex = run(etl, one_partition, alerts, LoadPartition=throttled.then(mock.wraps(load.handler)))

    ex.assert_succeeded()
    ex.state("LoadPartition").assert_retried(times=2)
    attempts = ex.state("LoadPartition").attempts
    assert [a["outcome"] for a in attempts] == ["failed", "failed", "succeeded"]
    # IntervalSeconds 2, BackoffRate 2: the retries start 2 s, then 4 s, after each failure.
    first = attempts[0]["timestamp"]
    assert [a["timestamp"] - first for a in attempts] == [timedelta(0), timedelta(seconds=2), timedelta(seconds=6)]
    assert ex.state("LoadPartition").output["rows_loaded"] == 120


def test_an_incomplete_upstream_export_is_caught_not_retried_and_alerted(etl, alerts):
    ex = run(etl, a_day(status="PARTIAL"), alerts)

    # An exception from a Lambda function is named after its type; the cause is Lambda's JSON.
    ex.assert_failed(error="UpstreamIncomplete", cause=re.compile("upstream export for 2024-06-01 is PARTIAL"))
    assert json.loads(ex.cause)["errorType"] == "UpstreamIncomplete"
    assert ex.state("Extract").retry_count == 0
    assert ex.path[-2:] == ["NotifyFailure", "Failed"]
    assert alerts.calls[0]["Message"].startswith("daily_etl 2024-06-01 failed with UpstreamIncomplete: ")


def test_a_hung_load_times_out_after_900_seconds_and_is_alerted(etl, alerts):
    one_partition = a_day(files=[{"region": "us", "path": "s3://lake/raw/orders/dt=2024-06-01/region=us/",
                                  "rows": 250}])
    hung = mock.returns({"rows_loaded": 250}, duration=3600)
    ex = run(etl, one_partition, alerts, LoadPartition=hung)

    ex.assert_failed(error="States.Timeout")
    (attempt,) = ex.state("LoadPartition").attempts  # States.Timeout is not in the Retry list
    assert attempt["outcome"] == "timed_out"
    assert attempt["seconds"] == 900
    assert alerts.call_count == 1


def test_the_map_loads_each_partition_with_its_own_input(etl, alerts):
    day = a_day()
    loader = mock.wraps(load.handler)
    ex = run(etl, day, alerts, LoadPartition=loader)

    partitions = day["manifest"]["files"]
    visits = ex.state("LoadPartition").visits
    assert [v.input for v in visits] == [{"run_date": "2024-06-01", "partition": p} for p in partitions]
    assert sorted(call["partition"]["region"] for call in loader.calls) == ["ap", "eu", "us"]
    loaded = ex.state("LoadPartitions").output["loaded"]  # in item order, whatever order they finished
    assert [(r["region"], r["rows_loaded"]) for r in loaded] == [("eu", 120), ("us", 250), ("ap", 50)]


@pytest.mark.parametrize(("ready_at", "extract_starts"), [
    ("2024-06-02T02:00:00Z", datetime(2024, 6, 2, 2, 0, tzinfo=timezone.utc)),  # waits two hours
    ("2024-06-01T23:00:00Z", MIDNIGHT),  # already past: no wait
])
def test_extract_waits_for_the_upstream_window(etl, alerts, ready_at, extract_starts):
    ex = run(etl, {**a_day(), "upstream_ready_at": ready_at}, alerts)

    ex.assert_succeeded()
    assert ex.state("Extract").visits[0].entered_at == extract_starts


def test_a_lambda_outage_exhausts_the_retries_with_a_mock_config_file(etl, sfn):
    """The same run with AWS Step Functions Local's MockConfigFile instead of Python handlers."""
    ex = etl.run(a_day(), mock_config=sfn.path("MockConfigFile.json"), test_case="LambdaOutage",
                 start_time=MIDNIGHT)

    ex.assert_failed(error="Lambda.ServiceException", cause="Lambda is unavailable")
    ex.state("Extract").assert_retried(times=6)  # MaxAttempts 6
    ex.assert_path(["WaitForUpstreamWindow", "Extract", "NotifyFailure", "Failed"])
