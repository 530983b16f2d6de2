"""Executions in threads (issue #16): handlers reading the clock see their own execution's virtual
time, and runs in 4 threads give exactly the results of the same runs one after another.

freezegun patches the whole process, so sfnsim serialises the stretches of a run in which
handlers see frozen time (tasks/virtual_time.py); this test would fail without that (freezegun's
own AttributeError, or one execution's handler reading another's time)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from sfnsim import StateMachine

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"
MACHINE = StateMachine.from_dict({"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 10, "Next": "First"},
    "First": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.first", "Next": "Second"},
    "Second": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.second", "End": True}}})
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def reads_the_clock(payload: Any) -> dict[str, Any]:
    return {"aware": datetime.now(timezone.utc).isoformat(), "naive": datetime.now().isoformat(), "epoch": time.time()}


def run(day: int) -> str:
    # On odd days the second handler provably cannot read the clock: it runs without the lock,
    # possibly while another thread's handlers see their frozen time.
    second = reads_the_clock if day % 2 == 0 else (lambda payload: {"keys": sorted(payload)})
    try:
        execution = MACHINE.run({}, handlers={"First": reads_the_clock, "Second": second},
                                start_time=START + timedelta(days=day))
    except Exception as exc:  # noqa: BLE001 - any escape is a difference from the serial run
        return f"{type(exc).__name__}: {exc}"
    return json.dumps([execution.status, execution.output])


def test_runs_in_threads_match_runs_one_after_another() -> None:
    days = range(160)
    serial = [run(day) for day in days]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(run, days))
    assert threaded == serial
    # Each handler saw its own execution's virtual time: its start plus the 10 s Wait.
    assert json.loads(serial[41])[1]["second"] == {"keys": ["first"]}
    first = json.loads(serial[41])[1]["first"]
    assert first["aware"] == "2024-02-11T00:00:10+00:00"
    assert first["naive"] == "2024-02-11T00:00:10"
    assert first["epoch"] == (START + timedelta(days=41, seconds=10)).timestamp()
