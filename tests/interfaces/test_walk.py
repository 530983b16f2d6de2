"""``sfnsim walk``: the walkthrough of a run, state by state and stage by stage.

Expected values come from AWS's documentation: the data-flow examples of "Processing input and
output" (InputPath ``$.dataset2``, the Parameters and ResultSelector examples, ResultPath,
OutputPath), the Choice state page's rules, the ASL spec's Retry example (IntervalSeconds 3,
BackoffRate 1.5: waits of 3 s then 4.5 s), the Catch error output ``{"Error", "Cause"}``, the
TestState API's inspection names, and the documented semantics of Map, Parallel, JSONata and
variables applied to small machines.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from cli_runner import invoke as run_cli
from click.testing import Result

from sfnsim import StateMachine, mock
from sfnsim.walk import build_walkthrough
from sfnsim.walk.command import walk_command
from sfnsim.walk.details import MISSING
from sfnsim.walk.markdown import inline_code, render_markdown
from sfnsim.walk.narrate import narrate, narrate_chunks
from sfnsim.walk.walkthrough import Step, Walkthrough

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def walk(definition: dict[str, Any], data: Any = None, **run: Any) -> Walkthrough:
    machine = StateMachine.from_dict(definition, name="Lesson")
    return build_walkthrough(machine.run(data, inspect=True, **run))


def single(state: dict[str, Any], data: Any = None, **run: Any) -> Walkthrough:
    return walk({"StartAt": "S", "States": {"S": {**state, "End": True}}}, data, **run)


def flat(text: str) -> str:
    """Narration with its line wrapping undone, for looking up sentences."""
    return " ".join(text.split())


def stages(step: Step) -> dict[str, Any]:
    return {stage.key: stage.value for stage in step.stages}


def invoke(*arguments: Any, input: str | None = None) -> Result:
    return run_cli(*arguments, input=input, command=walk_command)


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


# -- JSONPath data flow ---------------------------------------------------------------------------------
DATASETS = {
    "comment": "Example for InputPath.",
    "dataset1": {"val1": 1, "val2": 2, "val3": 3},
    "dataset2": {"val1": "a", "val2": "b", "val3": "c"},
}
EMR_RESULT = {
    "resourceType": "elasticmapreduce",
    "resource": "createCluster.sync",
    "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"},
}


def test_every_jsonpath_stage_of_a_task_in_aws_order_with_aws_names() -> None:
    # InputPath "$.dataset2" (AWS's InputPath example), then ResultSelector and ResultPath from
    # AWS's ResultSelector example, then OutputPath keeping the placed result.
    walkthrough = single({
        "Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:createCluster.sync",
        "InputPath": "$.dataset2", "Parameters": {"first.$": "$.val1"},
        "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
        "ResultPath": "$.EMROutput", "OutputPath": "$.EMROutput",
    }, DATASETS, handlers={"S": lambda _: EMR_RESULT})
    step = walkthrough.steps[0]
    assert [s.key for s in step.stages] == ["input", "afterInputPath", "afterParameters", "result",
                                            "afterResultSelector", "afterResultPath", "afterOutputPath"]
    values = stages(step)
    assert values["afterInputPath"] == {"val1": "a", "val2": "b", "val3": "c"}
    assert values["afterParameters"] == {"first": "a"}
    assert values["result"] == EMR_RESULT
    emr_output = {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}
    assert values["afterResultSelector"] == emr_output
    # ResultPath applies to the raw state input, not to what InputPath selected.
    assert values["afterResultPath"] == {**DATASETS, "EMROutput": emr_output}
    assert values["afterOutputPath"] == emr_output
    text = narrate(walkthrough)
    for label, field in [("afterInputPath", 'InputPath: "$.dataset2"'),
                         ("afterResultPath", 'ResultPath: "$.EMROutput"'),
                         ("afterOutputPath", 'OutputPath: "$.EMROutput"')]:
        assert f"{label:<22}{field}" in text
    assert '"ClusterId": "AKIAIOSFODNN7EXAMPLE"' in text
    assert "Calls `arn:aws:states:::elasticmapreduce:createCluster.sync`" in text


def test_fields_a_state_does_not_set_are_named_as_unchanged() -> None:
    walkthrough = single({"Type": "Pass", "Parameters": {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"}}},
        {"product": {"details": {"color": "blue", "size": "small"}, "availability": "in stock"}})
    step = walkthrough.steps[0]
    assert stages(step)["afterParameters"] == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}}
    unchanged = {s.key for s in step.stages if not s.is_set and not s.changed}
    assert unchanged == {"afterInputPath", "result", "afterResultSelector", "afterResultPath", "afterOutputPath"}
    text = narrate(walkthrough)
    assert "afterInputPath        = no `InputPath`: the whole input goes on" in text
    assert "result                = the effective input: a Pass state without `Result` passes it on" in text
    assert ("afterResultPath       = no `ResultPath`: the result replaces the input (`ResultPath` defaults to `$`)"
            in text)


def test_a_state_input_already_shown_is_referred_to() -> None:
    walkthrough = walk({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355}, "ResultPath": "$.coords",
              "Next": "B"},
        "B": {"Type": "Pass", "End": True}}}, {"georefOf": "Home"})
    a, b = walkthrough.steps
    assert b.previous is a
    coords = {"x-datum": 0.381018, "y-datum": 622.2269926397355}
    assert stages(a)["afterResultPath"] == {"georefOf": "Home", "coords": coords}
    text = narrate(walkthrough)
    assert "input                 = the execution input" in text
    assert "input                 = the output of `A`" in text
    assert 'result                Result: {"x-datum": 0.381018, "y-datum": 622.2269926397355}' in text


def test_wait_tells_the_virtual_time_it_took() -> None:
    walkthrough = walk({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
                                                   "Done": {"Type": "Succeed"}}}, {})
    wait, done = walkthrough.steps
    assert (wait.entered_offset, wait.exited_offset, done.entered_offset) == (0.0, 3600.0, 3600.0)
    text = narrate(walkthrough)
    assert "Waits 1h of virtual time (`Seconds`: `3600`); no real time passes." in text
    assert "── 2. Done · Succeed" in text and "+1h" in text
    assert "The execution ended SUCCEEDED after 1h of virtual time." in text


# -- Choice -------------------------------------------------------------------------------------------
CHOICE = {  # AWS's Choice state example (the "Public/ValueIsZero/ValueInTwenties" rules)
    "StartAt": "ChoiceStateX",
    "States": {
        "ChoiceStateX": {
            "Type": "Choice",
            "Choices": [
                {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
                {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                         {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"},
            ],
            "Default": "DefaultState",
        },
        "Public": {"Type": "Succeed"}, "ValueIsZero": {"Type": "Succeed"},
        "ValueInTwenties": {"Type": "Succeed"}, "DefaultState": {"Type": "Succeed"},
    },
}


def test_choice_shows_each_rule_tried_and_the_values_it_compared() -> None:
    walkthrough = walk(CHOICE, {"type": "Private", "value": 22})
    checks = walkthrough.steps[0].choice
    assert [(c.index, c.next, c.matched) for c in checks] == [
        (0, "Public", False), (1, "ValueIsZero", False), (2, "ValueInTwenties", True)]
    # Rule 0 is a Not: its inner test holds, so the rule does not match.
    assert [(t.variable, t.value, t.operator, t.operand, t.holds) for t in checks[0].comparisons] == [
        ("$.type", "Private", "StringEquals", "Private", True)]
    assert [(t.value, t.operator, t.operand, t.holds) for t in checks[2].comparisons] == [
        (22, "NumericGreaterThanEquals", 20, True), (22, "NumericLessThan", 30, True)]
    text = narrate(walkthrough)
    assert "Rule 1 (→ `ValueIsZero`) did not match." in text
    assert "• `$.value` is `22`; `NumericEquals` `0` → false." in text
    assert "Rule 2 (→ `ValueInTwenties`) matched." in text
    assert "→ `Next`: `ValueInTwenties`." in text


def test_choice_default_and_path_operands() -> None:
    walkthrough = walk(CHOICE, {"type": "Private", "value": 35})
    checks = walkthrough.steps[0].choice
    assert [(c.index, c.next, c.matched) for c in checks][-1] == (None, "DefaultState", True)
    assert "No rule matched, so `Default` sends the execution to `DefaultState`." in narrate(walkthrough)

    compare = walk({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEqualsPath": "$.b", "Next": "Same"},
                                            {"Variable": "$.missing", "IsPresent": False, "Next": "Absent"}]},
        "Same": {"Type": "Succeed"}, "Absent": {"Type": "Succeed"}}}, {"a": "x", "b": "y"})
    first, second = compare.steps[0].choice
    assert (first.comparisons[0].operand_value, first.comparisons[0].holds) == ("y", False)
    assert second.comparisons[0].value is MISSING and second.matched
    text = narrate(compare)
    assert '`$.a` is `"x"`; `StringEqualsPath` `$.b` = `"y"` → false.' in text
    assert "`$.missing` is nothing (the path matched nothing); `IsPresent` `false` → true." in text


# -- Retry and Catch ----------------------------------------------------------------------------------
def retry_catch_machine(retry: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": LAMBDA_INVOKE, "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                 "Retry": [{"ErrorEquals": ["Other"], "MaxAttempts": 5}, retry],
                 "Catch": [{"ErrorEquals": ["Other"], "Next": "Never"},
                           {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
                 "End": True},
        "Recover": {"Type": "Pass", "End": True}, "Never": {"Type": "Succeed"}}}


def test_retry_names_the_retrier_attempt_and_the_back_off_it_computed() -> None:
    # The ASL spec's example retrier: IntervalSeconds 3, BackoffRate 1.5 → waits of 3 s, then 4.5 s.
    retrier = {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.5}
    flaky = mock.raises("States.Timeout", times=2).then(returns={"ok": True})
    walkthrough = walk(retry_catch_machine(retrier), {"n": 1}, handlers={"Call": flaky})
    step = walkthrough.steps[0]
    assert [(r.retrier, r.attempt, r.backoff_seconds, r.error) for r in step.retries] == [
        (1, 1, 3.0, "States.Timeout"), (1, 2, 4.5, "States.Timeout")]
    assert step.retries[1].formula == "IntervalSeconds 3 × BackoffRate 1.5^1"
    assert (step.entered_offset, step.exited_offset) == (0.0, 7.5)
    assert stages(step)["result"]["Payload"] == {"ok": True}  # lambda:invoke wraps the function's result
    text = flat(narrate(walkthrough))
    assert "Retrier 1 (`ErrorEquals` `[\"States.Timeout\"]`) takes it: retry 2 of that retrier, after 4.5s" in text
    assert 'errorDetails {"retryIndex": 1, "retryBackoffIntervalSeconds": 4.5}' in text


def test_catch_names_the_catcher_its_error_output_and_where_it_goes() -> None:
    retrier = {"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "MaxAttempts": 1}
    failing = mock.raises("Busy", "Try again later")
    walkthrough = walk(retry_catch_machine(retrier), {"n": 1}, handlers={"Call": failing})
    call, recover = walkthrough.steps
    assert call.catch == {"kind": "catch", "catcher": 1, "errorOutput": {"Error": "Busy", "Cause": "Try again later"},
                          "next": "Recover"}
    assert call.output == {"n": 1, "error": {"Error": "Busy", "Cause": "Try again later"}}
    assert (recover.entered_offset, recover.visit.input) == (2.0, call.output)
    text = flat(narrate(walkthrough))
    assert "The state failed with `Busy`; catcher 1 (`ErrorEquals` `[\"States.ALL\"]`) catches it." in text
    assert 'errorDetails {"catchIndex": 1}' in text
    assert 'afterResultPath ResultPath: "$.error"' in text
    assert "→ `Next`: `Recover` (the catcher's)." in text


def test_an_uncaught_error_is_shown_as_error_details_and_the_command_exits_1(tmp_path: Path) -> None:
    definition = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "OrderRejected",
                                                         "Cause": "The order has no items"}}}
    walkthrough = walk(definition, {})
    assert walkthrough.steps[0].error == {"error": "OrderRejected", "cause": "The order has no items"}
    text = narrate(walkthrough)
    assert 'errorDetails          {"error": "OrderRejected", "cause": "The order has no items"}' in text
    assert "`Boom` failed with `OrderRejected`; nothing caught it." in text
    assert "The execution ended FAILED" in text
    result = invoke(write(tmp_path, "boom.asl.json", definition))
    assert result.exit_code == 1
    assert "nothing caught it" in result.stdout


# -- Map and Parallel ---------------------------------------------------------------------------------
def test_map_shows_its_items_each_iteration_and_then_its_result() -> None:
    walkthrough = walk({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.shipped", "MaxConcurrency": 0,
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "item.$": "$$.Map.Item.Value", "partner.$": "$.partner"},
        "ItemProcessor": {"StartAt": "Ship", "States": {
            "Ship": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ship", "End": True}}},
        "ResultPath": "$.receipts", "End": True}}},
        {"partner": "UQS", "shipped": ["a", "b", "c"]},
        # Later items finish first, so the iterations' events interleave in the history.
        handlers={"Ship": lambda item: mock.returns(item["item"].upper(), duration=3 - item["index"])(item)})
    each = walkthrough.steps[0]
    assert each.items == ["a", "b", "c"]
    assert each.item_inputs == [{"index": i, "item": v, "partner": "UQS"} for i, v in enumerate("abc")]
    lanes = {child.lane.index: child.visit.input["item"] for child in each.children}
    assert lanes == {0: "a", 1: "b", 2: "c"}
    assert [c.trail for c in each.children][0] == ["Map Each", "iteration 0"]
    assert stages(each)["result"] == ["A", "B", "C"]
    assert [(b.step.name, b.part) for b in walkthrough.blocks()] == [
        ("Each", "enter"), ("Ship", "state"), ("Ship", "state"), ("Ship", "state"), ("Each", "leave")]
    assert each.exited_offset == 3.0
    text = narrate(walkthrough)
    assert "Runs its item processor once per item: 3 iterations, all at once (`MaxConcurrency`: `0`)." in text
    assert "in Map Each › iteration 2" in text
    assert "Back in `Each`: its 3 iteration(s) are done" in text


def test_parallel_shows_its_branches_and_their_outputs_in_branch_order() -> None:
    walkthrough = walk({"StartAt": "Both", "States": {"Both": {
        "Type": "Parallel", "ResultPath": "$.out", "End": True,
        "Branches": [
            {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 5, "Next": "Left"},
                                            "Left": {"Type": "Pass", "Result": "L", "End": True}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": "R", "End": True}}},
        ]}}}, {"x": 1})
    both = walkthrough.steps[0]
    assert both.branch_input == {"x": 1}
    assert [(c.name, str(c.lane)) for c in both.children] == [("Slow", "branch 0"), ("Right", "branch 1"),
                                                              ("Left", "branch 0")]
    assert stages(both)["result"] == ["L", "R"]
    assert stages(both)["afterResultPath"] == {"x": 1, "out": ["L", "R"]}
    text = narrate(walkthrough)
    assert "Runs its 2 branches side by side, each on the same input." in text
    assert "input                 = the input of `Both`'s branches" in text


# -- JSONata and variables ----------------------------------------------------------------------------
def test_jsonata_stages_and_variables_before_and_after() -> None:
    walkthrough = walk({"QueryLanguage": "JSONata", "StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Assign": {"limit": 10}, "Output": "{% $states.input.n %}", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": LAMBDA_INVOKE,
                 "Arguments": {"FunctionName": "f", "Payload": {"n": "{% $states.input %}", "limit": "{% $limit %}"}},
                 "Assign": {"total": "{% $states.result.Payload.n + 1 %}"},
                 "Output": "{% $states.result.Payload %}", "Next": "Big?"},
        "Big?": {"Type": "Choice", "Choices": [{"Condition": "{% $total > $limit %}", "Next": "Big"}],
                 "Default": "Small"},
        "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}},
        {"n": 4}, handlers={"Call": lambda event: event})
    prepare, call, choice, small = walkthrough.steps
    assert [s.key for s in call.stages] == ["input", "afterArguments", "result", "variables", "output"]
    assert stages(call)["afterArguments"] == {"FunctionName": "f", "Payload": {"n": 4, "limit": 10}}
    assert stages(call)["output"] == {"n": 4, "limit": 10}
    assert (prepare.variables_before, prepare.variables_after) == ({}, {"limit": 10})
    assert (call.variables_before, call.variables_after) == ({"limit": 10}, {"limit": 10, "total": 5})
    assert [(c.index, c.matched, c.condition) for c in choice.choice] == [
        (0, False, "{% $total > $limit %}"), (None, True, None)]
    assert small.name == "Small"
    text = narrate(walkthrough)
    assert "`Assign` sets `$total`; the new values are visible from the next state on." in text
    assert 'variables before      {"limit": 10}' in text
    assert "• `Condition`: `{% $total > $limit %}` was false." in text


def test_variables_assigned_inside_a_map_iteration_stay_inside() -> None:
    walkthrough = walk({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "Each"},
        "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Inner", "States": {
            "Inner": {"Type": "Pass", "Assign": {"inner.$": "$"}, "End": True}}}, "Next": "After"},
        "After": {"Type": "Pass", "End": True}}}, [7, 8])
    each, after = walkthrough.steps[1], walkthrough.steps[2]
    assert [(c.variables_before, c.variables_after) for c in each.children] == [
        ({"outer": 1}, {"outer": 1, "inner": 7}), ({"outer": 1}, {"outer": 1, "inner": 8})]
    assert after.variables_before == {"outer": 1}


# -- the command ----------------------------------------------------------------------------------------
HELLO = ROOT / "fixtures" / "examples" / "hello.asl.json"
HELLO_INPUT = ROOT / "fixtures" / "examples" / "hello.input.json"


def test_state_option_narrates_only_that_state() -> None:
    result = invoke(HELLO, "--input-file", HELLO_INPUT, "--state", "Total")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("· Pass") == 2 and "Greet ·" not in result.stdout
    assert "in Map PriceEachOrder › iteration 1" in result.stdout


@pytest.mark.parametrize(("state", "fragment"), [
    ("Nope", "--state 'Nope': the definition has no such state"),
    ("NothingToDo", "--state 'NothingToDo': this run never entered it (states entered: Greet, AnyOrders?"),
])
def test_state_option_errors(state: str, fragment: str) -> None:
    result = invoke(HELLO, "--input-file", HELLO_INPUT, "--state", state)
    assert result.exit_code == 2 and fragment in result.stderr


def test_step_pauses_after_each_state_until_enter_and_q_stops_pausing() -> None:
    result = invoke(HELLO, "--input-file", HELLO_INPUT, "--step", input="\n\nq\n")
    assert result.exit_code == 0, result.output
    # Seven stops (Greet, AnyOrders?, WaitForWarehouse, Map entry, Total ×2, Map return, Done): it
    # pauses after the first three, then "q" lets the rest run on.
    assert result.stdout.count("── Enter: next state") == 3
    assert flat(result.stdout).endswith("Total → Total → Done.")


def test_handlers_and_mock_config_options(tmp_path: Path) -> None:
    module = write(tmp_path, "lesson_handlers.py", "HANDLERS = {'Call': lambda event: {'echo': event}}\n")
    definition = write(tmp_path, "call.asl.json", {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": True}}})
    result = invoke(definition, "--input", '{"a": 1}', "--handlers", f"{module}:HANDLERS")
    assert result.exit_code == 0, result.output
    assert 'result                {"echo": {"a": 1}}' in result.stdout
    lone = invoke(definition, "--mock-config", module)
    assert lone.exit_code == 2 and "--mock-config and --test-case go together" in lone.stderr
    missing = invoke(definition)
    assert missing.exit_code == 2 and "--handlers MODULE:ATTR" in missing.stderr


def test_markdown_and_html_files(tmp_path: Path) -> None:
    markdown, report = tmp_path / "walk.md", tmp_path / "walk.html"
    result = invoke(HELLO, "--input-file", HELLO_INPUT, "--markdown", markdown, "--html", report, "--title", "Hello")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the files hold the walkthrough
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("# Hello\n\n*Generated by `sfnsim walk ")
    assert "### 1. `Greet` · Pass state" in text and "#### 5. `Total` · Pass state" in text
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    to_stdout = invoke(HELLO, "--input-file", HELLO_INPUT, "--markdown", "-")
    assert to_stdout.exit_code == 0 and to_stdout.stdout.startswith("# Walkthrough of hello\n")


def test_markdown_cannot_be_broken_by_payloads() -> None:
    hostile = {"text": "``` <script>alert(1)</script> *bold* [link](x) | " + "padding " * 10}
    walkthrough = single({"Type": "Pass", "Comment": "A comment with <b>markup</b> and `code`."}, hostile)
    text = render_markdown(walkthrough)
    fence: str | None = None
    for line in text.splitlines():  # the payload only ever appears inside a fenced code block
        if fence is None and line.startswith("```"):
            fence = line[: len(line) - len(line.lstrip("`"))]
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            assert "<script>" not in line, line
    assert "````json" in text  # a fence longer than the payload's own ```
    assert "A comment with &lt;b&gt;markup&lt;/b&gt; and `code`." in text
    assert inline_code("a`b") == "`` a`b ``"
    assert inline_code("{}") == "`{}`"


def test_an_execution_run_without_inspection_still_walks_from_its_history() -> None:
    machine = StateMachine.from_dict({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"}, "B": {"Type": "Succeed"}}})
    walkthrough = build_walkthrough(machine.run({"x": 0}))
    assert not walkthrough.inspected
    assert [(s.name, s.visit.input, s.output) for s in walkthrough.steps] == [
        ("A", {"x": 0}, {"x": 0, "a": 1}), ("B", {"x": 0, "a": 1}, {"x": 0, "a": 1})]
    assert "only each state's input and output are shown" in narrate(walkthrough)


def test_a_state_still_waiting_for_its_callback_is_told_as_unfinished() -> None:
    machine = StateMachine.from_dict({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}})
    execution = machine.start({"order": 1}, handlers={"Approve": mock.pending()}, inspect=True)
    waiting = build_walkthrough(execution)
    assert waiting.status == "RUNNING" and not waiting.steps[0].finished and waiting.ended_offset is None
    assert "`Approve` had not finished when this walkthrough was made" in flat(narrate(waiting))
    execution.send_task_success(execution.pending_tokens[0], {"approved": True})
    done = build_walkthrough(execution)
    assert done.steps[0].finished and stages(done.steps[0])["result"] == {"approved": True}


def test_narration_comes_in_one_chunk_per_stop() -> None:
    walkthrough = walk(CHOICE, {"type": "Public", "value": 0})
    chunks = narrate_chunks(walkthrough)
    assert len(chunks) == 1 + len(walkthrough.blocks()) + 1
    assert chunks[1].lstrip("\n").startswith("── 1. ChoiceStateX · Choice")


# -- the tutorials ----------------------------------------------------------------------------------------
def test_the_tutorials_match_their_fixtures() -> None:
    spec = importlib.util.spec_from_file_location("tutorials_generate", ROOT / "docs" / "tutorials" / "generate.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    stale = generator.stale_pages(ROOT / "docs" / "tutorials")
    assert not stale, f"stale tutorials {stale}: run python docs/tutorials/generate.py"
    lesson = (ROOT / "docs" / "tutorials" / "03-retry-catch.md").read_text(encoding="utf-8")
    # IntervalSeconds 2, BackoffRate 2: the two retries wait 2 s, then 4 s; the catcher sends on to NotifyTeam.
    assert "after 2s = IntervalSeconds 2 × BackoffRate 2^0" in lesson
    assert "after 4s = IntervalSeconds 2 × BackoffRate 2^1" in lesson
    assert "→ `Next`: `NotifyTeam` (the catcher's)." in lesson
    assert len(generator.LESSONS) == len(list((ROOT / "docs" / "tutorials").glob("0*.md"))) == 6
