"""The daily ETL as deployed: template.yaml (SAM) holds an orchestrator and a load-partition machine
that the orchestrator starts once per partition (``states:startExecution.sync:2``). sfnsim resolves
the template's intrinsics and runs each child execution in-process, on the same virtual clock.

cdk/DailyEtlStack.template.json is the same stack as ``cdk synth`` writes it (``Fn::Join`` with
``AWS::Partition``, generated logical ids); it loads to the same machines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from handlers import LAMBDA_FUNCTIONS
from sfnsim import mock

HERE = Path(__file__).resolve().parents[1]
SAM = "../template.yaml"
CDK = "../cdk/DailyEtlStack.template.json"
MIDNIGHT = datetime(2024, 6, 2, tzinfo=timezone.utc)
DAY = json.loads((HERE / "input" / "2024-06-01.json").read_text())
SUMMARY = {"run_date": "2024-06-01", "rows_extracted": 420, "tables": ["orders_clean", "dim_customer"],
           "partitions_loaded": 3}


@pytest.fixture(params=[SAM, CDK], ids=["sam", "cdk"])
def orchestrator(sfn, request):
    return sfn.load(request.param, machine="daily-etl")  # by its Name; the logical id works too


def test_the_orchestrator_starts_one_load_partition_execution_per_partition(orchestrator):
    ex = orchestrator.run(DAY, handlers=LAMBDA_FUNCTIONS, start_time=MIDNIGHT)
    ex.assert_succeeded(output=SUMMARY)
    assert [child.status for child in ex.children] == ["SUCCEEDED"] * 3
    assert {child.state_machine_arn for child in ex.children} == {
        "arn:aws:states:us-east-1:123456789012:stateMachine:daily-etl-load-partition"}
    # each child has its own history, and knows which execution started it
    eu = ex.children[0]
    eu.state("LoadPartition").assert_entered(times=1)
    assert eu.input["partition"]["region"] == "eu"
    assert eu.output["rows_loaded"] == 120
    assert eu.started_by == ex.execution_arn


def test_a_throttled_load_is_retried_inside_its_child_execution(orchestrator):
    throttled = mock.raises("Lambda.TooManyRequestsException", "Rate exceeded", times=2).then(
        returns={"table": "orders_20240601", "rows_loaded": 1})
    ex = orchestrator.run(DAY, handlers={**LAMBDA_FUNCTIONS, "daily-etl-load": throttled}, start_time=MIDNIGHT)
    ex.assert_succeeded()
    # the Map starts the children side by side: the first two loads are throttled, in two children
    assert [child.state("LoadPartition").retry_count for child in ex.children] == [1, 1, 0]


def test_a_failed_child_fails_its_task_and_the_orchestrator_alerts(orchestrator):
    alerts = mock.returns({"MessageId": "m-1"})
    broken = mock.raises("Warehouse.Unavailable", "the warehouse is down")
    handlers = {**LAMBDA_FUNCTIONS, "daily-etl-load": broken, "NotifyFailure": alerts}
    ex = orchestrator.run(DAY, handlers=handlers, start_time=MIDNIGHT)
    # the startExecution.sync:2 task fails with States.TaskFailed; its cause is the child's description
    ex.assert_failed("States.TaskFailed")
    described = json.loads(ex.cause)
    assert (described["Status"], described["Error"]) == ("FAILED", "Warehouse.Unavailable")
    assert alerts.calls[0]["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:daily-etl-alerts"


def test_the_cdk_and_sam_templates_give_the_same_machines(sfn):
    for name in ("daily-etl", "daily-etl-load-partition"):
        assert sfn.load(CDK, machine=name).definition == sfn.load(SAM, machine=name).definition


def test_the_command_line_runs_the_orchestrator_from_the_template():
    command = [sys.executable, "-m", "sfnsim.cli", "run", "template.yaml", "--machine", "DailyEtlOrchestrator",
               "--input-file", "input/2024-06-01.json", "--handlers", "handlers:LAMBDA_FUNCTIONS",
               "--start-time", "2024-06-02T00:00:00Z", "--json"]
    done = subprocess.run(command, cwd=HERE, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["output"] == SUMMARY
    assert len(result["children"]) == 3
