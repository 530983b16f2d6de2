"""The baseline: moto's in-process Step Functions interpreter, driven through boto3.

moto (>= 5) only interprets definitions when its ``stepfunctions.execute_state_machine`` config is
on; otherwise executions "succeed" without running anything. Each execution runs on moto's own
worker thread, so the run time is measured from ``start_execution`` until that thread ends
(joined directly, which costs nothing; polling ``describe_execution`` is the fallback and adds up
to one poll interval).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

ROLE_ARN = "arn:aws:iam::123456789012:role/benchmark"
REGION = "us-east-1"
POLL_SECONDS = 0.002


@dataclass(frozen=True)
class MotoRun:
    create_seconds: float  # create_state_machine: moto parses the definition here
    run_seconds: float
    status: str
    transitions: int
    output: Any


def moto_version() -> str | None:
    """moto's version, or None when moto (with boto3) is not installed."""
    try:
        import boto3  # noqa: F401
        import moto
    except ImportError:
        return None
    return str(moto.__version__)


class MotoBaseline:
    """A moto mock for the duration of a ``with`` block; ``run`` executes one definition."""

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self._mock: Any = None
        self._client: Any = None
        self._count = 0

    def __enter__(self) -> "MotoBaseline":
        import boto3
        from moto import mock_aws

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self._client = boto3.client("stepfunctions", region_name=REGION)
        return self

    def __exit__(self, *exc: object) -> None:
        self._mock.stop()

    def run(self, definition: dict[str, Any], input: Any) -> MotoRun:
        self._count += 1
        started = time.perf_counter()
        machine_arn = self._client.create_state_machine(
            name=f"bench{self._count}", definition=json.dumps(definition), roleArn=ROLE_ARN,
        )["stateMachineArn"]
        create_seconds = time.perf_counter() - started

        threads = _moto_threads()
        known = len(threads) if threads is not None else 0
        started = time.perf_counter()
        execution_arn = self._client.start_execution(stateMachineArn=machine_arn, input=json.dumps(input))[
            "executionArn"]
        status = self._wait(execution_arn, threads[known:] if threads is not None else None, started)
        run_seconds = time.perf_counter() - started

        if status == "RUNNING":
            self._client.stop_execution(executionArn=execution_arn)
        described = self._client.describe_execution(executionArn=execution_arn)
        output = json.loads(described["output"]) if described.get("output") else None
        return MotoRun(create_seconds, run_seconds, described["status"], self._transitions(execution_arn), output)

    def _wait(self, execution_arn: str, new_threads: list[Any] | None, started: float) -> str:
        deadline = started + self.timeout
        if new_threads:
            for thread in new_threads:
                thread.join(max(0.0, deadline - time.perf_counter()))
        while True:
            status = self._client.describe_execution(executionArn=execution_arn)["status"]
            if status != "RUNNING" or time.perf_counter() > deadline:
                return str(status)
            time.sleep(POLL_SECONDS)

    def _transitions(self, execution_arn: str) -> int:
        pages = self._client.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return sum(event["type"].endswith("StateEntered") for page in pages for event in page["events"])


def _moto_threads() -> list[Any] | None:
    """moto's registry of the worker threads it starts (an internal detail, hence the fallback)."""
    try:
        from moto.stepfunctions.parser.utils import TMP_THREADS
    except ImportError:
        return None
    return TMP_THREADS if isinstance(TMP_THREADS, list) else None
