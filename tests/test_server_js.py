"""`sfnsim serve` driven by the AWS SDK for JavaScript v3 from npm (tests/js/drive.mjs).

Needs node and `npm ci --prefix tests/js` (.ci/run does it). Locally a missing node or package
skips the test with the reason; under CI=true it fails, so CI cannot pass by skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import sfnsim

JS_DIR = Path(__file__).parent / "js"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the JavaScript SDK test must run)")
    pytest.skip(reason)


def test_the_javascript_sdk_v3_drives_the_endpoint_unmodified() -> None:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-sfn").is_dir():
        _unavailable("@aws-sdk/client-sfn is not installed: run `npm ci --prefix tests/js`")
    with sfnsim.serve(port=0) as endpoint:
        done = subprocess.run([node, str(JS_DIR / "drive.mjs"), endpoint.url], capture_output=True, text=True,
                              timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["executionArn"] == "arn:aws:states:us-east-1:123456789012:execution:js-orders:js-run"
    assert seen["startDateIsDate"] is True  # epoch-seconds timestamps parse into Date objects
    assert (seen["statusBefore"], seen["statusAfter"], seen["output"]) == ("RUNNING", "SUCCEEDED", {"approved": True})
    assert seen["historyTypes"] == [
        "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "TaskStateEntered", "TaskScheduled",
        "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert seen["waitSeconds"] == 3600  # an hour's Wait, on the virtual clock
    assert (seen["missing"], seen["missingStatus"]) == ("ExecutionDoesNotExist", 400)  # the SDK's typed error
    assert seen["sync"] == {"status": "SUCCEEDED", "output": {"ok": 1}}
    assert seen["testState"] == {"status": "SUCCEEDED", "nextState": "After", "output": {"doubled": 42},
                                 "afterParameters": {"doubled": 42}}
