"""`sfnsim serve` as a process: start-up, machines from --template, clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Orders": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineName": "orders", "RoleArn": "arn:aws:iam::123456789012:role/OrdersRole",
            "DefinitionSubstitutions": {"Greeting": "ok"},
            "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Greeting}", "End": True}}}}},
        "Quick": {"Type": "AWS::Serverless::StateMachine", "Properties": {
            "Type": "EXPRESS",
            "Definition": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}}},
    },
}


def _serve(*args: str, account: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_DEFAULT_REGION", "AWS_ACCOUNT_ID")}
    if account is not None:
        env["AWS_ACCOUNT_ID"] = account  # as Step Functions Local reads it
    return subprocess.Popen([sys.executable, "-c", "from sfnsim.cli import main; main()", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _url(process: subprocess.Popen[str], lines: list[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if "listening on" in line:
            return line.rsplit(" ", 1)[-1].strip()
    raise AssertionError(f"no start-up line; stderr: {process.stderr.read() if process.stderr else ''}")


@pytest.mark.parametrize("signum, account", [(signal.SIGTERM, "123456789012"), (signal.SIGINT, "111122223333")])
def test_serve_creates_the_template_machines_and_stops_cleanly_on_a_signal(tmp_path: Path, signum: int,
                                                                            account: str) -> None:
    template = tmp_path / "template.json"
    template.write_text(json.dumps(TEMPLATE))
    started = time.monotonic()
    process = _serve("--port", "0", "--template", str(template), account=account)
    try:
        lines: list[str] = []
        url = _url(process, lines)
        sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="t", aws_secret_access_key="t")
        machines = {m["name"]: m["type"] for m in sfn.list_state_machines()["stateMachines"]}
        assert machines == {"orders": "STANDARD", "Quick": "EXPRESS"}
        described = sfn.describe_state_machine(
            stateMachineArn=f"arn:aws:states:us-east-1:{account}:stateMachine:orders")
        assert described["roleArn"] == "arn:aws:iam::123456789012:role/OrdersRole"
        execution_arn = sfn.start_execution(stateMachineArn=described["stateMachineArn"])["executionArn"]
        assert sfn.describe_execution(executionArn=execution_arn)["output"] == '"ok"'  # substitution resolved
        assert any(f"created arn:aws:states:us-east-1:{account}:stateMachine:orders" in line for line in lines)
        assert time.monotonic() - started < 10  # interpreter start included; the server itself takes ms
    finally:
        process.send_signal(signum)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "sfnsim serve: stopped" in out


def test_serve_refuses_a_missing_mock_config_with_a_message(tmp_path: Path) -> None:
    process = _serve("--port", "0", "--mock-config", str(tmp_path / "nope.json"))
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "--mock-config: no such file" in err


def test_serve_refuses_a_broken_mock_config_before_listening(tmp_path: Path) -> None:
    broken = tmp_path / "MockConfigFile.json"
    broken.write_text('{"StateMachines": {}, "MockedResponses": {"R": {"0": {"Returns": 1}}}}')
    process = _serve("--port", "0", "--mock-config", str(broken))
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "invalid MockConfigFile" in err
    assert "/MockedResponses/R/0/Returns" in err and "line 1:" in err
    assert "listening" not in out


def test_serve_refuses_an_unknown_aws_backend_before_listening() -> None:
    process = _serve("--port", "0", "--aws", "bogus")
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "--aws: 'bogus' is not an AWS backend" in err
    assert "listening" not in out


def test_serve_takes_substitute_for_a_template_parameter_without_a_default(tmp_path: Path) -> None:
    template = {"Parameters": {"Env": {"Type": "String"}}, "Resources": {"M": {
        "Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": {"Fn::Sub": "m-${Env}"},
            "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}}
    (tmp_path / "t.json").write_text(json.dumps(template))
    process = _serve("--port", "0", "--template", str(tmp_path / "t.json"), "--substitute", "Env=prod")
    lines: list[str] = []
    try:
        _url(process, lines)
        assert "created arn:aws:states:us-east-1:123456789012:stateMachine:m-prod\n" in lines
    finally:
        process.terminate()
        process.communicate(timeout=20)
    refused = _serve("--port", "0", "--template", str(tmp_path / "t.json"), "--machine", "M")
    out, err = refused.communicate(timeout=20)
    assert refused.returncode == 2 and "--machine does not apply to serve" in err


def test_serve_with_aws_moto_sends_service_tasks_to_moto() -> None:
    # A server process of its own: moto's mock patches botocore process-wide, which would also
    # catch this test's own client if the server ran in the test's process.
    pytest.importorskip("moto")
    process = _serve("--port", "0", "--aws", "moto")
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=_url(process, []), region_name="us-east-1",
                           aws_access_key_id="t", aws_secret_access_key="t")
        arn = sfn.create_state_machine(name="buckets", roleArn="arn:aws:iam::123456789012:role/r", definition=json.dumps(
            {"StartAt": "Make", "States": {
                "Make": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket",
                         "Parameters": {"Bucket": "reports"}, "Next": "List"},
                "List": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Parameters": {},
                         "ResultSelector": {"names.$": "$.Buckets[*].Name"}, "End": True}}}))["stateMachineArn"]
        execution_arn = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        described = sfn.describe_execution(executionArn=execution_arn)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"]) == {"names": ["reports"]}
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
