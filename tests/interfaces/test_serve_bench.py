"""benchmarks/serve_bench.py works (a handful of executions, no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "serve_bench.py"


def test_serve_bench_measures_sfnsim_and_moto_server(tmp_path: Path) -> None:
    pytest.importorskip("boto3")
    pytest.importorskip("flask")  # moto's server mode
    output = tmp_path / "serve.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--output", str(output)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(output.read_text())
    assert report["machine_states"] == 10
    assert [r["server"] for r in report["results"]] == ["sfnsim serve", "moto_server"]
    for result in report["results"]:
        assert result["executions"] == 5
        assert result["executions_per_second"] > 0 and 0 < result["p50_ms"] <= result["p99_ms"]
    assert "sfnsim serve" in done.stdout and "moto_server" in done.stdout
