"""Per-state views (``ex.state(...)``) and the execution assertions, over real runs and over
histories recorded on AWS (the conformance corpus); and handler code seeing the virtual clock."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from corpus import conformance_cases

from sfnsim import StateMachine, TaskFailed, mock
from sfnsim.history.trace import Trace, state_types
from sfnsim.tasks.virtual_time import as_utc, clock_scope, frozen_at, library_modules

START = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def machine(states: dict[str, Any], start_at: str, **top: Any) -> StateMachine:
    return StateMachine.from_dict({"StartAt": start_at, "States": states, **top})


def task(next_state: str | None = None, **fields: Any) -> dict[str, Any]:
    spec = {"Type": "Task", "Resource": LAMBDA_INVOKE, "Parameters": {"Payload.$": "$"},
            "OutputPath": "$.Payload", **fields}
    spec.update({"Next": next_state} if next_state else {"End": True})
    return spec


# ---------------------------------------------------------------------------------------------
# Attempts and retries


def test_attempts_follow_the_retry_policy_interval_and_backoff():
    # AWS: IntervalSeconds before the first retry, multiplied by BackoffRate for each next one.
    retry = [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 2}]
    sm = machine({"Load": task(Retry=retry)}, "Load")
    load = mock.raises("Lambda.ServiceException", cause="Rate exceeded", times=2).then(returns={"rows": 3})
    ex = sm.run({"day": 1}, handlers={"Load": load}, start_time=START)

    ex.assert_succeeded(output={"rows": 3})
    view = ex.state("Load").assert_retried(times=2)
    assert view.retry_count == 2
    assert [a["timestamp"] - START for a in view.attempts] == [timedelta(0), timedelta(seconds=3), timedelta(seconds=9)]
    assert [(a["number"], a["outcome"], a["error"], a["cause"]) for a in view.attempts] == [
        (1, "failed", "Lambda.ServiceException", "Rate exceeded"),
        (2, "failed", "Lambda.ServiceException", "Rate exceeded"),
        (3, "succeeded", None, None),
    ]
    assert view.attempts[0]["input"] == {"Payload": {"day": 1}}  # TaskScheduled's parameters
    assert view.error is None  # the last attempt succeeded
    assert view.output == {"rows": 3}


def test_a_state_in_a_map_has_one_visit_per_item_with_its_own_attempts():
    retry = [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    sm = machine({"Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
                           "ItemProcessor": {"StartAt": "Load", "States": {"Load": task(Retry=retry)}}}}, "Each")

    def load(event: dict[str, Any]) -> dict[str, Any]:
        if event["n"] == 2 and load.throttled < 1:  # type: ignore[attr-defined]
            load.throttled += 1  # type: ignore[attr-defined]
            raise TaskFailed("Lambda.TooManyRequestsException", "Rate exceeded")
        return {"loaded": event["n"]}

    load.throttled = 0  # type: ignore[attr-defined]
    ex = sm.run({"items": [{"n": 1}, {"n": 2}, {"n": 3}]}, handlers={"Load": load})

    ex.assert_succeeded(output=[{"loaded": 1}, {"loaded": 2}, {"loaded": 3}])
    view = ex.state("Load").assert_entered(times=3)
    assert [v.input for v in view.visits] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert [v.iteration for v in view.visits] == [0, 1, 2]
    assert [v.retry_count for v in view.visits] == [0, 1, 0]
    assert view.retry_count == 1
    assert [(a["visit"], a["number"], a["outcome"]) for a in view.attempts] == [
        (1, 1, "succeeded"), (2, 1, "failed"), (2, 2, "succeeded"), (3, 1, "succeeded")]
    assert view.input == {"n": 3} and view.output == {"loaded": 3}  # the last visit's


def test_states_in_parallel_branches_are_told_apart():
    sm = machine({"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Left", "States": {"Left": task()}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": "r", "End": True}}},
    ]}}, "Both")
    ex = sm.run({"x": 1}, handlers={"Left": mock.returns("l")})

    ex.assert_succeeded(output=["l", "r"])
    assert ex.state("Left").output == "l"
    assert ex.state("Right").output == "r"
    assert [len(ex.state(name).attempts) for name in ("Left", "Right")] == [1, 0]


def test_legacy_lambda_arn_and_activity_attempts_read_their_input():
    sm = machine({
        "Legacy": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Next": "Ask"},
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:approve", "End": True},
    }, "Legacy")
    ex = sm.run({"q": 1}, handlers={"Legacy": lambda e: {**e, "f": True}, "Ask": mock.raises("Rejected", "no")})

    (legacy,) = ex.state("Legacy").attempts
    assert (legacy["input"], legacy["outcome"], legacy["output"]) == ({"q": 1}, "succeeded", {"q": 1, "f": True})
    (ask,) = ex.state("Ask").attempts
    assert (ask["input"], ask["outcome"], ask["error"], ask["cause"]) == ({"q": 1, "f": True}, "failed", "Rejected", "no")


# ---------------------------------------------------------------------------------------------
# Errors, outputs and never-entered states


def test_a_caught_error_stays_on_the_state_that_raised_it():
    sm = machine({"Load": task("Done", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Alert"}]),
                  "Alert": {"Type": "Pass", "End": True}, "Done": {"Type": "Succeed"}}, "Load")
    ex = sm.run({}, handlers={"Load": mock.raises("Load.Failed", cause="disk full")})

    ex.assert_succeeded(output={"Error": "Load.Failed", "Cause": "disk full"})  # Catch's default ResultPath $
    assert (ex.state("Load").error, ex.state("Load").cause) == ("Load.Failed", "disk full")
    assert ex.state("Load").output == {"Error": "Load.Failed", "Cause": "disk full"}
    assert ex.state("Alert").error is None
    ex.state("Done").assert_not_entered()


def test_the_failing_state_carries_the_executions_error():
    sm = machine({"Check": {"Type": "Choice", "Default": "Reject",
                            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Fine"}]},
                  "Reject": {"Type": "Fail", "Error": "Check.Rejected", "Cause": "not ok"},
                  "Fine": {"Type": "Succeed"}}, "Check")
    ex = sm.run({"ok": False})

    ex.assert_failed(error="Check.Rejected", cause="not ok")
    assert (ex.state("Reject").error, ex.state("Reject").cause) == ("Check.Rejected", "not ok")
    assert ex.state("Check").error is None
    assert ex.trace.failed_visit().name == "Reject"


def test_output_of_a_state_that_never_exited_is_an_assertion_naming_its_error():
    ex = machine({"Load": task()}, "Load").run({}, handlers={"Load": mock.raises("Boom", cause="bad")})

    with pytest.raises(AssertionError, match=r"'Load' \(visit 1\) has no output: it never exited \(it failed with error='Boom'\)"):
        _ = ex.state("Load").output
    assert ex.state("Load").input == {}


def test_reading_a_state_that_was_never_entered_lists_the_states_that_were():
    sm = machine({"A": {"Type": "Pass", "Next": "B"},
                  "B": {"Type": "Choice", "Choices": [{"Variable": "$.rare", "IsPresent": True, "Next": "Unused"}],
                        "Default": "End"},
                  "Unused": {"Type": "Pass", "End": True}, "End": {"Type": "Succeed"}}, "A")
    ex = sm.run({})

    with pytest.raises(AssertionError, match=r"state 'Unused' was never entered\nstates entered: A, B, End"):
        _ = ex.state("Unused").input
    assert ex.state("Unused").visits == []
    ex.state("Unused").assert_not_entered()


def test_a_name_that_is_not_a_state_is_refused_with_a_suggestion():
    ex = machine({"Load": {"Type": "Pass", "End": True}}, "Load").run({})

    with pytest.raises(AssertionError, match=r"no state named 'Lod' \(did you mean 'Load'\?\)\nits states: Load"):
        ex.state("Lod").assert_not_entered()


def test_state_types_reach_into_branches_and_item_processors():
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}]},
        "M": {"Type": "Map", "End": True, "Iterator": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x", "End": True}}}},
    }}
    assert state_types(definition) == {"P": "Parallel", "A": "Pass", "M": "Map", "T": "Task"}


def test_the_trace_follows_a_running_execution():
    sm = machine({"Approve": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                              "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                              "End": True}}, "Approve")
    ex = sm.start({}, handlers={"Approve": mock.pending()})
    assert [a["outcome"] for a in ex.state("Approve").attempts] == ["pending"]
    with pytest.raises(AssertionError, match=r"^expected the execution to succeed, but it is still RUNNING"):
        ex.assert_succeeded()

    ex.send_task_success(ex.pending_tokens[0], {"approved": True})
    assert [a["outcome"] for a in ex.state("Approve").attempts] == ["succeeded"]
    ex.assert_succeeded(output={"approved": True})


# ---------------------------------------------------------------------------------------------
# Assertion messages


def failing_load() -> Any:
    sm = machine({"Extract": {"Type": "Pass", "Result": {"rows": 3}, "Next": "Load"},
                  "Load": task("Done"), "Done": {"Type": "Succeed"}}, "Extract")
    return sm.run({"day": "2024-03-01"}, handlers={"Load": mock.raises("Lambda.Unknown", cause="out of memory")},
                  start_time=START)


def test_assert_succeeded_on_a_failed_execution_shows_the_failing_state_and_history():
    ex = failing_load()
    with pytest.raises(AssertionError) as raised:
        ex.assert_succeeded()
    message = str(raised.value)
    assert message.startswith("expected the execution to succeed, but it FAILED\n")
    assert "  error: Lambda.Unknown\n  cause: out of memory\n" in message
    assert "failing state: 'Load' (Task), entered at event #4 (+0:00:00.000)\n  input: {\"rows\":3}" in message
    assert re.search(r"#7 +\+0:00:00\.000 +TaskFailed +Load +error=Lambda\.Unknown cause=out of memory", message)
    assert message.rstrip().splitlines()[-1].split()[:3] == ["#8", "+0:00:00.000", "ExecutionFailed"]


def test_assert_path_shows_both_paths_side_by_side_from_the_first_difference():
    ex = failing_load()
    with pytest.raises(AssertionError) as raised:
        ex.assert_path(["Extract", "Load", "Done"])
    lines = str(raised.value).splitlines()
    assert lines[0] == "execution path differs from the expected one at step 3:"
    assert lines[1].split() == ["expected", "actual"]
    assert lines[2].split() == ["1", "Extract", "Extract"]
    assert lines[4].split() == [">", "3", "Done", "(end)"]


def test_assert_failed_reports_what_differs():
    ex = failing_load()
    ex.assert_failed().assert_failed(error="Lambda.Unknown", cause=re.compile("memory"))
    with pytest.raises(AssertionError) as raised:
        ex.assert_failed(error="States.Timeout", cause="out of memory")
    message = str(raised.value)
    assert message.startswith("the execution failed, but not as expected with error='States.Timeout', "
                              "cause 'out of memory':\n  error: expected 'States.Timeout', got 'Lambda.Unknown'\n")
    assert "  cause:" not in message.split("execution: FAILED")[0]  # the cause matched

    ok = machine({"A": {"Type": "Pass", "End": True}}, "A").run({"v": 1})
    with pytest.raises(AssertionError, match=r"^expected the execution to fail with error='X', but it SUCCEEDED\n"
                                             r"execution: SUCCEEDED, output: \{\"v\":1\}"):
        ok.assert_failed(error="X")


def test_assert_succeeded_with_an_output_compares_it():
    ex = machine({"A": {"Type": "Pass", "Result": [1, 2], "End": True}}, "A").run({})
    ex.assert_succeeded(output=[1, 2])
    with pytest.raises(AssertionError, match=r"expected output: \[1,2,3\]\n  actual output:   \[1,2\]"):
        ex.assert_succeeded(output=[1, 2, 3])


def test_assert_timed_out_when_the_machine_timeout_passes():
    sm = machine({"Hold": {"Type": "Wait", "Seconds": 120, "End": True}}, "Hold", TimeoutSeconds=60)
    ex = sm.run({})
    ex.assert_timed_out()
    with pytest.raises(AssertionError, match="expected the execution to succeed, but it TIMED_OUT"):
        ex.assert_succeeded()


def test_assert_retried_failure_lists_the_attempts():
    retry = [{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 3}]
    ex = machine({"Load": task(Retry=retry)}, "Load").run(
        {}, handlers={"Load": mock.raises("Lambda.ServiceException", times=1).then(returns=1)}, start_time=START)
    with pytest.raises(AssertionError) as raised:
        ex.state("Load").assert_retried(times=2)
    lines = str(raised.value).splitlines()
    assert lines[0] == "expected state 'Load' to be retried twice, but it was retried once"
    assert lines[1:4] == ["attempts:",
                          "  #1  +0:00:00.000  failed  Lambda.ServiceException",
                          "  #2  +0:00:01.000  succeeded"]  # IntervalSeconds defaults to 1
    with pytest.raises(AssertionError, match="expected state 'Load' to be entered 3 times, but it was entered once"):
        ex.state("Load").assert_entered(times=3)


def test_a_caught_error_is_traced_back_to_where_it_was_raised():
    sm = machine({"Load": task("Done", Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure",
                                              "Next": "Notify"}]),
                  "Notify": {"Type": "Pass", "Next": "Failed"},
                  "Failed": {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"},
                  "Done": {"Type": "Succeed"}}, "Load")
    lambda_cause = json.dumps({"errorMessage": "no such partition", "errorType": "KeyError",
                               "stackTrace": ['  File "/var/task/load.py", line 9, in handler\n    x = y["p"]\n']})
    ex = sm.run({"p": 1}, handlers={"Load": mock.raises("KeyError", cause=lambda_cause)})

    with pytest.raises(AssertionError) as raised:
        ex.assert_succeeded()
    message = str(raised.value)
    assert "  cause: KeyError: no such partition  (Lambda error JSON)\n" in message
    assert '           File "/var/task/load.py", line 9, in handler\n' in message
    assert "failing state: 'Failed' (Fail)" in message
    assert "root failure: 'Load' (Task), entered at event #2 (+0:00:00.000), passed on by a Catch\n  input: {\"p\":1}" in message
    assert message.index("root failure:") < message.index("execution: FAILED") < message.index("failing state:")


def test_a_custom_fail_after_a_catch_names_the_task_that_failed_first():
    # Catch → notify → a Fail state with an error of its own: the execution's error (EtlFailed) is
    # not the task's, yet the task whose attempts all failed is what the message must lead with.
    sm = machine({"Extract": task("Done", Retry=[{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 3}],
                                  Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Notify"}]),
                  "Notify": {"Type": "Pass", "Next": "Failed"},
                  "Failed": {"Type": "Fail", "Error": "EtlFailed", "Cause": "see the alert"},
                  "Done": {"Type": "Succeed"}}, "Extract")
    ex = sm.run({}, handlers={"Extract": mock.raises("Lambda.ServiceException", cause="upstream down")})

    with pytest.raises(AssertionError) as raised:
        ex.assert_succeeded()
    lines = str(raised.value).splitlines()
    assert lines[1].startswith("root failure: 'Extract' (Task)")
    # MaxAttempts 3 retries after the first attempt: four attempts, every one failed
    assert "  error: Lambda.ServiceException" in lines[2:6] and "  cause: upstream down" in lines[2:6]
    assert "  attempts: 4 (Lambda.ServiceException, Lambda.ServiceException, Lambda.ServiceException, " \
           "Lambda.ServiceException)" in lines
    assert "  error: EtlFailed" in lines and "failing state: 'Failed' (Fail)" in "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Over histories recorded on AWS


def test_attempts_match_the_task_results_recorded_on_aws():
    checked, mismatches = 0, []
    for case in conformance_cases():
        if not case.get("events") or case.get("task_results") is None \
                or (case.get("flags") or {}).get("events_parallel_normalised"):
            continue
        trace = Trace(case["events"], case["definition"])
        got = sorted((v.name, v.entered["id"], a["number"] - 1, a["outcome"], a["error"] or "")
                     for v in trace.visits for a in v.attempts)
        want = sorted((t["state"], t["visit"], t["attempt"], t["outcome"], t.get("error") or "")
                      for t in case["task_results"])
        assert trace.path == [details["name"] for e in case["events"]
                              for key, details in e.items() if key == "stateEnteredEventDetails"]
        if case["expected"]["status"] == "FAILED":
            assert trace.execution_failure()[0] == case["expected"].get("error"), case["id"]
        checked += 1
        if got != want:
            mismatches.append(case["id"])
    assert checked > 100
    assert mismatches == []


# ---------------------------------------------------------------------------------------------
# Virtual time inside handlers


# Kept in a dict: freezegun swaps module-level names that refer to the real objects.
REAL = {"datetime": dt.datetime, "time": time.time}


def clock_is_real() -> bool:
    return dt.datetime is REAL["datetime"] and time.time is REAL["time"]


def test_frozen_at_freezes_the_clock_for_the_block_only():
    moment = datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    with frozen_at(moment):
        assert datetime.now(timezone.utc) == moment  # a name imported before the freeze is patched too
        assert dt.datetime.now() == moment.replace(tzinfo=None)  # naive now() is UTC, as on Lambda
        assert time.time() == moment.timestamp()
        assert dt.date.today() == dt.date(2001, 2, 3)
    assert clock_is_real()
    assert datetime.now(timezone.utc).year > 2020


def test_frozen_at_restores_the_clock_when_the_handler_raises():
    with pytest.raises(ValueError), frozen_at("2001-02-03T04:05:06.000Z"):
        assert time.time() == datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc).timestamp()
        raise ValueError("handler bug")
    assert clock_is_real()


def test_calls_in_a_clock_scope_each_see_their_own_moment_and_the_scope_restores_the_clock():
    first, second = datetime(2001, 1, 1, tzinfo=timezone.utc), datetime(2001, 1, 1, 0, 5, tzinfo=timezone.utc)
    with clock_scope():
        with frozen_at(first):
            assert datetime.now(timezone.utc) == first
        with clock_scope(), frozen_at(second):  # a nested scope shares the outer one
            assert datetime.now(timezone.utc) == second
        assert not clock_is_real()  # still frozen between calls: only the engine runs here
    assert clock_is_real()
    assert datetime.now(timezone.utc).year > 2020


def test_a_clock_scope_without_handler_calls_patches_nothing():
    with clock_scope():
        assert clock_is_real()


def test_the_modules_freezegun_skips_are_the_libraries_named_by_their_shortest_prefixes():
    import sys

    skipped = tuple(library_modules(frozenset({"corpus"})))
    assert "json" in skipped and "sfnsim" in skipped and not any(n.startswith("json.") for n in skipped)
    assert all(not a.startswith(b) for a in skipped for b in skipped if a != b)
    assert not __name__.startswith(skipped) and not "corpus".startswith(skipped)  # the tests' own code is scanned
    assert all(name.startswith(skipped) for name in ("json.decoder", "email.utils", "sfnsim.engine.clock")
               if name in sys.modules)


def test_frozen_at_none_leaves_the_clock_alone():
    with frozen_at(None):
        assert clock_is_real()


def test_as_utc_reads_aws_timestamps_and_naive_datetimes():
    assert as_utc("2024-01-01T00:00:00.000Z") == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert as_utc(datetime(2024, 1, 1, 2)) == datetime(2024, 1, 1, 2, tzinfo=timezone.utc)
    assert as_utc(datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))) == datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_a_handler_sees_the_virtual_time_of_its_state():
    sm = machine({"Later": {"Type": "Wait", "Seconds": 7200, "Next": "Stamp"}, "Stamp": task()}, "Later")
    ex = sm.run({}, handlers={"Stamp": lambda event: {"now": datetime.now(timezone.utc).isoformat()}},
                start_time=START)
    assert ex.state("Stamp").visits[0].entered_at == START + timedelta(hours=2)
    assert ex.output == {"now": (START + timedelta(hours=2)).isoformat()}


def test_a_handler_that_runs_an_execution_sees_its_own_moment_before_and_after_the_inner_handlers():
    # The calls of a scope share one nested freezer: the inner run's calls must not move the outer
    # call's moment, and each call of a Map sees the moment its own state was entered.
    inner = machine({"Later": {"Type": "Wait", "Seconds": 3600, "Next": "Stamp"}, "Stamp": task()}, "Later")
    stamp = {"Stamp": lambda event: datetime.now(timezone.utc).isoformat()}

    def outer(event: Any) -> dict[str, Any]:
        before = time.time()
        run = inner.run({}, handlers=stamp, start_time=START + timedelta(days=1))
        return {"before": before, "inner": run.output, "after": time.time(), "naive": dt.datetime.now().isoformat()}

    body = {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "SecondsPath": "$", "Next": "Outer"},
                                            "Outer": task()}}
    sm = machine({"Each": {"Type": "Map", "ItemProcessor": body, "End": True}}, "Each")
    ex = sm.run([5, 90], handlers={"Outer": outer}, start_time=START)
    ex.assert_succeeded()
    for seconds, seen in zip([5, 90], ex.output):
        moment = START + timedelta(seconds=seconds)
        assert seen["before"] == seen["after"] == moment.timestamp()
        assert seen["naive"] == moment.replace(tzinfo=None).isoformat()
        assert seen["inner"] == (START + timedelta(days=1, hours=1)).isoformat()
    assert clock_is_real()


def test_a_map_iteration_that_timed_out_is_the_states_error_not_an_aborted_sibling():
    # Iteration 0 hangs past TimeoutSeconds; the Map fails with States.Timeout and AWS aborts the
    # iterations still running (TaskStateAborted): those attempts were cut off, not pending.
    # (Iterations that time out at the same instant each record TaskTimedOut on AWS, so the
    # siblings here have a longer timeout and are still running when iteration 0 times out.)
    body = {"StartAt": "LoadPartition", "States": {"LoadPartition": task(TimeoutSecondsPath="$.timeout")}}
    sm = machine({"LoadPartitions": {"Type": "Map", "ItemProcessor": body, "End": True}}, "LoadPartitions")
    hangs = mock.returns({"ok": True}, duration=3600)
    quick_then_hangs = {0: hangs, 1: mock.returns({"ok": True}, duration=1200),
                        2: mock.returns({"ok": True}, duration=1200)}
    items = [{"n": 0, "timeout": 900}, {"n": 1, "timeout": 3000}, {"n": 2, "timeout": 3000}]
    ex = sm.run(items, handlers={"LoadPartition": lambda event: quick_then_hangs[event["n"]](event)})
    ex.assert_failed(error="States.Timeout")
    view = ex.state("LoadPartition")
    assert view.error == "States.Timeout"
    outcomes = [attempt["outcome"] for attempt in view.attempts]
    assert outcomes.count("timed_out") == 1 and "pending" not in outcomes
    assert outcomes.count("aborted") == 2
