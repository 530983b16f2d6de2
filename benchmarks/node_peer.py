"""The Node peer: aws-local-stepfunctions (npm), run on the same definitions in the same benchmark run.

It needs ``node`` and ``npm``; the package is installed into ``benchmarks/node/node_modules`` on
first use (``npm install``, the version pinned in ``benchmarks/node/package.json``). Each scenario
runs in one Node process: construction is timed as the peer's compile, then the median of several
runs. The peer records no history unless asked, so its figure is a lower bound on what it would
cost with one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
PACKAGE = NODE_DIR / "node_modules" / "aws-local-stepfunctions"


def node_peer_version(install: bool = True) -> str | None:
    """The peer's version, installing it first when node and npm are present; None when unavailable."""
    if shutil.which("node") is None:
        return None
    if not PACKAGE.exists():
        npm = shutil.which("npm")
        if not install or npm is None:
            return None
        completed = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR,
                                   capture_output=True, text=True, timeout=300)
        if completed.returncode != 0 or not PACKAGE.exists():
            return None
    return str(json.loads((PACKAGE / "package.json").read_text())["version"])


def run_peer(definition: dict[str, Any], input: Any, runs: int, seconds: float, timeout: float = 300) -> dict[str, Any]:
    """Timings of the peer on one definition: compile_seconds, run_seconds (median), runs, output."""
    job = json.dumps({"definition": definition, "input": input, "runs": runs, "seconds": seconds})
    completed = subprocess.run(["node", str(NODE_DIR / "peer.mjs")], input=job, capture_output=True, text=True,
                               cwd=NODE_DIR, timeout=timeout)
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        raise RuntimeError(next((line.strip() for line in lines if "Error" in line and ":" in line),
                                lines[-1] if lines else "node failed"))
    return dict(json.loads(completed.stdout))
