"""`sfnsim serve` against moto's server mode, both driven through boto3 over HTTP.

    python benchmarks/serve_bench.py                 # 300 executions each
    python benchmarks/serve_bench.py --executions 50 --no-moto
    python benchmarks/serve_bench.py --quick         # a handful, to check the script works

Each server runs in its own process on 127.0.0.1 (``sfnsim serve --port 0`` and ``moto_server``,
both started here). The machine has 10 states (Pass states with Parameters and ResultPath, a
Choice, a Succeed), no Task and no Wait, so both servers can run it and neither waits on a clock.
One execution is timed from StartExecution until DescribeExecution reports SUCCEEDED (polled every
millisecond; sfnsim answers the first poll, since the execution has ended by the time
StartExecution returns). Executions run one after another; executions/s is their count over the
total time. moto interprets definitions only with its ``stepfunctions.execute_state_machine``
config on, which this script sets through moto's ``/moto-api/config`` endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/benchmark"
RESULTS = Path(__file__).resolve().parent / "results"
TEN_STATES: dict[str, Any] = {
    "StartAt": "S1",
    "States": {
        **{f"S{i}": {"Type": "Pass", "Parameters": {"step": i, "value.$": "$.value"}, "ResultPath": f"$.s{i}",
                     "Next": f"S{i + 1}"} for i in range(1, 8)},
        "S8": {"Type": "Pass", "Result": 1, "ResultPath": "$.checked", "Next": "Route"},
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.value", "NumericGreaterThan": 0, "Next": "Done"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> float:
    """Seconds until the port accepts connections."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


def start_sfnsim() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    sfnsim = shutil.which("sfnsim", path=os.path.dirname(sys.executable)) or "sfnsim"
    process = subprocess.Popen([sfnsim, "serve", "--port", str(port)], stdout=subprocess.DEVNULL)
    return process, port


def start_moto() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    moto = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
    if moto is None:
        raise RuntimeError("moto_server is not installed: pip install 'moto[server,stepfunctions]'")
    process = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return process, port


def enable_moto_interpreter(port: int) -> None:
    body = json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/config", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def client(port: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench",
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=4))


def measure(port: int, executions: int, label: str) -> dict[str, Any]:
    sfn = client(port)
    arn = sfn.create_state_machine(name=f"bench-{label.replace(' ', '-')}", definition=json.dumps(TEN_STATES),
                                   roleArn=ROLE)["stateMachineArn"]
    _run_one(sfn, arn, "warm-up", {"value": 1})  # connections, first-use imports
    latencies = []
    started = time.perf_counter()
    for index in range(executions):
        latencies.append(_run_one(sfn, arn, f"run-{index}", {"value": index + 1}))
    total = time.perf_counter() - started
    latencies.sort()
    return {
        "server": label, "executions": executions, "seconds": round(total, 4),
        "executions_per_second": round(executions / total, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 2),
    }


def _run_one(sfn: Any, arn: str, name: str, execution_input: dict[str, Any]) -> float:
    # Named: moto's server mode names every unnamed execution "None", so the second one clashes.
    started = time.perf_counter()
    execution_arn = sfn.start_execution(stateMachineArn=arn, name=name,
                                        input=json.dumps(execution_input))["executionArn"]
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    if described["status"] != "SUCCEEDED":
        raise RuntimeError(f"execution {execution_arn} ended {described['status']}: {described.get('error')}")
    return elapsed


def run_server(label: str, start: Any, executions: int) -> dict[str, Any]:
    process, port = start()
    try:
        startup = wait_until_listening(port, process)
        if label == "moto_server":
            enable_moto_interpreter(port)
        result = measure(port, executions, label)
        result["startup_seconds"] = round(startup, 3)
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="5 executions per server")
    parser.add_argument("--no-moto", action="store_true", help="measure sfnsim serve only")
    parser.add_argument("--output", type=Path, default=RESULTS / "serve.json")
    args = parser.parse_args(argv)
    executions = 5 if args.quick else args.executions
    results = [run_server("sfnsim serve", start_sfnsim, executions)]
    if not args.no_moto:
        results.append(run_server("moto_server", start_moto, executions))
    print(f"{'server':<14} {'executions':>10} {'exec/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'start-up s':>11}")
    for r in results:
        print(f"{r['server']:<14} {r['executions']:>10} {r['executions_per_second']:>9} {r['p50_ms']:>9} "
              f"{r['p99_ms']:>9} {r['startup_seconds']:>11}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"machine_states": len(TEN_STATES["States"]), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
