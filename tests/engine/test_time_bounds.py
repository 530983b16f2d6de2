"""Waits and timeouts at the edge of the calendar (issue #16): never an OverflowError.

AWS's bounds (Wait page; quotas page): Seconds is an integer from 0 to 99999999; SecondsPath is read
as a Java long; a Standard execution runs for at most a year, then times out (States.Timeout).
sfnsim takes the year as 366 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from sfnsim import PENDING, StateMachine
from sfnsim.errors import InputError

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
A_YEAR = timedelta(days=366)


def wait(field: str, value: Any, language: str = "JSONPath") -> StateMachine:
    return StateMachine.from_dict({"QueryLanguage": language, "StartAt": "W",
                                   "States": {"W": {"Type": "Wait", field: value, "End": True}}})


def assert_timed_out_after_a_year(execution: Any) -> None:
    assert execution.status == "TIMED_OUT"
    assert execution.history[-1]["type"] == "ExecutionTimedOut"
    assert execution.history[-1]["timestamp"] - START == A_YEAR


def test_seconds_path_of_1e18_times_out_after_a_year() -> None:
    assert_timed_out_after_a_year(wait("SecondsPath", "$.s").run({"s": 1e18}, start_time=START))


def test_seconds_path_beyond_a_java_long_cannot_be_parsed() -> None:
    execution = wait("SecondsPath", "$.s").run({"s": 1e300}, start_time=START)
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert execution.cause.endswith("The SecondsPath parameter cannot be parsed as a long value: $.s == 1e+300")


def test_the_largest_seconds_aws_accepts_waits_until_the_execution_limit() -> None:
    assert_timed_out_after_a_year(wait("Seconds", 99999999).run({}, start_time=START))


def test_a_timestamp_at_the_end_of_the_calendar_is_waited_for() -> None:
    # 9999-12-31T23:59:59-14:00 is after datetime.max in UTC: a valid timestamp, far in the future.
    execution = wait("TimestampPath", "$.t").run({"t": "9999-12-31T23:59:59-14:00"}, start_time=START)
    assert_timed_out_after_a_year(execution)


def test_a_timestamp_at_the_start_of_the_calendar_is_already_past() -> None:
    execution = wait("TimestampPath", "$.t").run({"t": "0001-01-01T00:00:00+14:00"}, start_time=START)
    assert execution.status == "SUCCEEDED"
    assert execution.history[-1]["timestamp"] == START


def test_a_jsonata_wait_of_millis_is_out_of_the_seconds_range() -> None:
    execution = wait("Seconds", "{% $millis() %}", "JSONata").run({}, start_time=START)
    assert (execution.status, execution.error) == ("FAILED", "States.QueryEvaluationError")
    assert "The Seconds field must be an integer from 0 to 99999999, but was: 1704067200000" in execution.cause


def test_a_start_time_too_close_to_year_9999_is_refused() -> None:
    with pytest.raises(InputError, match="start_time 9999-12-31T00:00:00\\+00:00 is too late"):
        wait("Seconds", 5).run({}, start_time=datetime(9999, 12, 31, tzinfo=timezone.utc))


def test_a_callback_without_timeout_times_out_at_the_year_when_time_is_advanced_past_it() -> None:
    machine = StateMachine.from_dict({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True,
        "Arguments": {"FunctionName": "f", "Payload": {"token": "{% $states.context.Task.Token %}"}},
        "QueryLanguage": "JSONata"}}})
    execution = machine.start({}, handlers={"T": lambda payload: PENDING}, start_time=START)
    assert execution.status == "RUNNING"
    execution.advance_time(1e300)
    assert_timed_out_after_a_year(execution)


def test_an_exponential_retry_never_overflows() -> None:
    def always_fails(_: Any) -> None:
        raise ValueError("down")

    machine = StateMachine.from_dict({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99999999, "BackoffRate": 10}]}}})
    assert_timed_out_after_a_year(machine.run({}, handlers={"T": always_fails}, start_time=START))


@pytest.mark.parametrize("seconds", [float("nan"), -1, "10"])
def test_run_for_and_advance_time_take_a_number_of_seconds(seconds: Any) -> None:
    machine = wait("Seconds", 5)
    with pytest.raises(InputError, match="run_for: expected a number of virtual seconds >= 0"):
        machine.start({}, run_for=seconds)
    execution = machine.start({}, run_for=0)
    with pytest.raises(InputError, match=r"advance_time\(seconds\): expected a number of virtual seconds >= 0"):
        execution.advance_time(seconds)
    assert execution.advance_time(5).status == "SUCCEEDED"
