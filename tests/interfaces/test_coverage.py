"""Workflow coverage: the pytest options, the reports, xdist merging, the CLI, real AWS histories.

The pipeline repository under fixtures/coverage/pipeline has one state machine, orders.asl.json,
and a suite of three tests. Its figures, counted by hand from the definition:

  states (14): Route, Review, Reject, Ship, Backorder, Alert, Pack, Label, Invoice, Items, Check, Ok,
               Skip, Done  (Label and Invoice are Parallel branches, Check/Ok/Skip the Map's processor)
  branches (10): Route: Choices[0] (express → Ship), Choices[1] (priority → Ship), Choices[2] (→ Review),
                 Default (→ Reject); Ship: Retry[0] (Carrier.Busy), Retry[1] (States.Timeout),
                 Catch[0] (Carrier.Down → Backorder), Catch[1] (States.ALL → Alert);
                 Check: Choices[0] (→ Ok), Default (→ Skip)

  test_express_order_ships        Route -Choices[0]-> Ship -> Pack (Label, Invoice) -> Items (Check -Choices[0]-> Ok) -> Done
  test_busy_carrier_is_retried    Route -Choices[1]-> Ship (fails Carrier.Busy, Retry[0], succeeds) -> Pack ... Items (no item) -> Done
  test_carrier_down_is_backordered Route -Choices[0]-> Ship -Catch[0]-> Backorder -> Pack ... Items (Check -Default-> Skip) -> Done

  covered states: 14 - {Review, Reject, Alert} = 11; covered branches: Route Choices[0], Choices[1],
  Ship Retry[0], Catch[0], Check Choices[0], Default = 6; total (11 + 6) / (14 + 10) = 17/24 = 70.83%.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from sfnsim import StateMachine, mock
from sfnsim.cli import main
from sfnsim.coverage.data import CoverageData
from sfnsim.history.aws_files import read_history
from corpus import conformance_case

pytest_plugins = ["pytester"]

PIPELINE = Path(__file__).resolve().parents[2] / "fixtures" / "coverage" / "pipeline"
ORDERS = PIPELINE / "statemachine" / "orders.asl.json"

MISSING_STATES = ["Review", "Reject", "Alert"]
MISSING_BRANCHES = [
    "Route → Review (Choices[2])",
    "Route → Reject (Default)",
    "Ship → Alert (Catch[1]: States.ALL)",
    "Ship ↻ retried (Retry[1]: States.Timeout)",
]


def copy_pipeline(pytester: pytest.Pytester) -> None:
    shutil.copytree(PIPELINE, pytester.path, dirs_exist_ok=True)


def assert_pipeline_figures(report: dict, executions: int = 3) -> None:
    (machine,) = report["machines"]
    assert (machine["source"], machine["name"]) == ("statemachine/orders.asl.json", "orders")
    assert machine["executions"] == executions
    assert machine["states"] == {"covered": 11, "total": 14, "missing": MISSING_STATES}
    assert machine["branches"] == {"covered": 6, "total": 10, "missing": MISSING_BRANCHES}
    assert report["totals"] == {"states": {"covered": 11, "total": 14}, "branches": {"covered": 6, "total": 10},
                                "covered": 17, "total": 24}
    assert report["percent"] == 70.83


# ---------------------------------------------------------------------------------------------
# The pytest options, run as a pipeline repository runs them


def test_the_suite_is_measured_and_every_report_is_written(pytester: pytest.Pytester):
    copy_pipeline(pytester)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--sfn-cov", "--sfn-cov-report=term", "--sfn-cov-report=json:out/cov.json",
        "--sfn-cov-report=html:out/cov.html", "--sfn-cov-report=markdown:out/cov.md", "--sfn-cov-report=xml:out/cov.xml",
        "--sfn-cov-fail-under=70.83")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([
        "*sfnsim workflow coverage*",
        "statemachine/orders.asl.json * 11/14 * 6/10 * 70.83%",
        "    missing states: Review, Reject, Alert",
        "    missing branch: Route → Review (Choices[2])",
        "    missing branch: Route → Reject (Default)",
        "    missing branch: Ship → Alert (Catch[1]: States.ALL)",
        "    missing branch: Ship ↻ retried (Retry[1]: States.Timeout)",
        "TOTAL * 11/14 * 6/10 * 70.83%",
        "*",
        "Required workflow coverage of 70.83% reached: 70.83%",
    ])
    out = pytester.path / "out"
    assert_pipeline_figures(json.loads((out / "cov.json").read_text(encoding="utf-8")))

    page = (out / "cov.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page
    assert "Workflow coverage: 70.83%" in page
    assert "<li>branch Route → Reject (Default)</li>" in page and "<li>state <code>Alert</code></li>" in page

    markdown = (out / "cov.md").read_text(encoding="utf-8")
    assert "| `statemachine/orders.asl.json` | 11/14 | 6/10 | 70.83% |" in markdown
    assert "- branch Ship → Alert (Catch[1]: States.ALL)" in markdown

    cobertura = ElementTree.parse(out / "cov.xml").getroot()
    assert (cobertura.get("lines-covered"), cobertura.get("lines-valid")) == ("17", "24")
    assert (cobertura.get("branches-covered"), cobertura.get("branches-valid")) == ("6", "10")
    assert cobertura.get("line-rate") == "0.7083"
    (machine_class,) = cobertura.iter("class")
    assert machine_class.get("filename") == "statemachine/orders.asl.json"
    lines = {int(line.get("number")): line for line in machine_class.iter("line")}
    # Every state and branch sits on its own line of orders.asl.json, so the lines are the file's.
    source_lines = ORDERS.read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> ElementTree.Element:
        return lines[next(n for n, source in enumerate(source_lines, 1) if text in source)]

    assert len(lines) == 24
    assert line_of('"Route": {').get("hits") == "3" and line_of('"Route": {').get("branch") is None
    assert [line_of(f'"{name}": {{').get("hits") for name in MISSING_STATES] == ["0", "0", "0"]
    assert line_of('"Default": "Reject"').attrib == {"number": str(default_line := next(
        n for n, source in enumerate(source_lines, 1) if '"Default": "Reject"' in source)),
        "hits": "0", "branch": "true", "condition-coverage": "0% (0/1)"}
    assert line_of('"Carrier.Busy"').get("hits") == "1" and default_line > 0


def test_under_xdist_the_workers_data_is_added_up_and_the_threshold_applies(pytester: pytest.Pytester):
    copy_pipeline(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--sfn-cov-report=json:cov.json",
                                           "--sfn-cov-fail-under=71")
    result.assert_outcomes(passed=3)
    assert_pipeline_figures(json.loads((pytester.path / "cov.json").read_text(encoding="utf-8")))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL: workflow coverage 70.83% is below --sfn-cov-fail-under=71%"])


def test_a_bad_report_type_is_a_usage_error(pytester: pytest.Pytester):
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest("--sfn-cov-report=pdf:x.pdf")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sfn-cov-report=pdf:x.pdf: unknown report type 'pdf'*"])


# ---------------------------------------------------------------------------------------------
# What counts, in process


def machine_coverage(definition: dict) -> tuple[CoverageData, StateMachine]:
    data = CoverageData()
    machine = StateMachine.from_dict(definition, name="m")
    data.machine("m.asl.json", "m", machine.definition)
    return data, machine


def run_orders(machine: StateMachine, order: dict, ship) -> object:
    return machine.run(order, handlers={"Ship": ship})


def test_the_retrier_and_catcher_are_the_first_whose_errors_match():
    definition = json.loads(ORDERS.read_text(encoding="utf-8"))
    data, machine = machine_coverage(definition)
    entry = data.machines[("m.asl.json", "m")]
    # States.Timeout is retried by Retry[1] (Retry[0] is only Carrier.Busy), then Carrier.Lost is
    # caught by Catch[1] (States.ALL), not Catch[0] (Carrier.Down).
    ship = mock.raises("States.Timeout", times=1).then(raises="Carrier.Lost")
    entry.add_execution(run_orders(machine, {"kind": "express", "items": []}, ship))
    assert dict(entry.hits.branches) == {"Route/Choices/0": 1, "Ship/Retry/1": 1, "Ship/Catch/1": 1}
    assert entry.missing_states == ["Review", "Reject", "Backorder", "Pack", "Label", "Invoice", "Items", "Check",
                                    "Ok", "Skip", "Done"]


def test_a_rule_sharing_its_next_is_told_apart_in_sfnsim_runs_and_re_evaluated_in_histories():
    # Both rules lead to Go; the second reads $$, which a history does not hold.
    definition = {"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Default": "Go", "Choices": [
            {"Variable": "$.fast", "BooleanEquals": True, "Next": "Go"},
            {"Variable": "$$.Execution.Input.vip", "BooleanEquals": True, "Next": "Go"}]},
        "Go": {"Type": "Succeed"}}}
    data, machine = machine_coverage(definition)
    entry = data.machines[("m.asl.json", "m")]
    fast, vip = machine.run({"fast": True}), machine.run({"fast": False, "vip": True})
    # The events stay AWS's: a ChoiceStateExited names the state and its output, nothing more.
    exited = next(e for e in vip.history if e["type"] == "ChoiceStateExited")
    assert set(exited["stateExitedEventDetails"]) == {"name", "output", "outputDetails"}

    entry.add_execution(vip)
    assert dict(entry.hits.branches) == {"Pick/Choices/1": 1}

    from_histories = CoverageData().machine("m.asl.json", "m", machine.definition)
    from_histories.add_history(read_history(fast.to_aws_history()))  # re-evaluated: $.fast matches Choices[0]
    from_histories.add_history(read_history(vip.to_aws_history()))  # $.fast does not match, Choices[1] needs $$
    assert dict(from_histories.hits.branches) == {"Pick/Choices/0": 1}
    assert dict(from_histories.hits.undetermined) == {
        "Pick → Go: Choices[0] or Choices[1] or Default (the history does not say which matched)": 1}


def test_a_caught_parallel_is_credited_with_the_error_from_its_branch():
    definition = {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:w",
                                                    "End": True}}}],
                 "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"]}],
                 "Catch": [{"ErrorEquals": ["Flaky"], "Next": "Done"}, {"ErrorEquals": ["States.ALL"], "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}}
    data, machine = machine_coverage(definition)
    execution = machine.run({}, handlers={"Work": mock.raises("Flaky")})
    # From the history alone: each run of the branches failed with Flaky, the Parallel was retried
    # once by Retry[0] (MaxAttempts 1) and then caught by Catch[0], though both catchers lead to Done.
    entry = data.machines[("m.asl.json", "m")]
    entry.add_history(read_history(execution.to_aws_history()))
    assert dict(entry.hits.branches) == {"Both/Retry/0": 1, "Both/Catch/0": 1}
    assert dict(entry.hits.states) == {"Both": 1, "Work": 2, "Done": 1}


def test_a_distributed_maps_child_executions_count():
    definition = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "One", "States": {"One": {"Type": "Pass", "End": True}}}}}}
    data, machine = machine_coverage(definition)
    entry = data.machines[("m.asl.json", "m")]
    execution = machine.run([1, 2, 3])
    assert "PassStateEntered" not in {e["type"] for e in execution.history}  # children are apart, as on AWS
    entry.add_execution(execution)
    assert dict(entry.hits.states) == {"Each": 1, "One": 3}


# ---------------------------------------------------------------------------------------------
# Real AWS histories, from the conformance corpus


def test_a_retried_then_caught_lambda_on_aws():
    case = conformance_case("test_lambda_service_invoke_with_retry_extended_input::get_execution_history")
    entry = CoverageData().machine("case", "case", case["definition"])
    entry.add_history(case["events"])
    # Retry[0] (States.ALL, MaxAttempts 3): four failed attempts; then Catch[0] → HandleError.
    assert entry.summary()["states"] == {"covered": 2, "total": 2, "missing": []}
    assert dict(entry.hits.branches) == {"InvokeLambdaWithRetry/Retry/0": 3, "InvokeLambdaWithRetry/Catch/0": 1}
    assert entry.percent == 100.0


def test_a_jsonata_task_caught_on_aws_leaves_its_success_path_uncovered():
    case = conformance_case("test_task_catch_error_with_retry[TASK_CATCH_ERROR_OUTPUT_WITH_RETRY]::get_execution")
    entry = CoverageData().machine("case", "case", case["definition"])
    entry.add_history(case["events"])
    # Task retried once then caught into Fallback; Finish never entered: (2 + 2) / (3 + 2).
    assert entry.missing_states == ["Finish"] and entry.missing_branches == []
    assert entry.percent == 80.0


def test_sfnsims_history_and_awss_give_the_same_coverage_on_the_corpus():
    # Every execution of the AWS-recorded corpus that sfnsim reproduces (same status, faithful
    # replay): the coverage read from AWS's history is the coverage read from sfnsim's, visit for
    # visit and branch for branch. The history alone, as for any saved history.
    from corpus import conformance_cases
    from sfnsim.conformance.runner import run_case

    compared, with_branches, disagreeing = 0, 0, []
    for case in conformance_cases():
        if case.get("kind") != "execution" or not isinstance(case.get("events"), list):
            continue
        ours = run_case(case)
        if ours.get("problem") or ours.get("status") != case["expected"]["status"]:
            continue
        from_aws = CoverageData().machine("case", "case", case["definition"])
        from_aws.add_history(case["events"])
        from_sfnsim = CoverageData().machine("case", "case", case["definition"])
        from_sfnsim.add_history(ours["events"])
        compared += 1
        with_branches += bool(from_aws.items.branches)
        if (from_aws.hits.states, from_aws.hits.branches, from_aws.hits.undetermined) != (
                from_sfnsim.hits.states, from_sfnsim.hits.branches, from_sfnsim.hits.undetermined):
            disagreeing.append(case["id"])
    assert disagreeing == []
    assert compared >= 300 and with_branches >= 25, (compared, with_branches)  # 307 and 29 when written


# ---------------------------------------------------------------------------------------------
# sfnsim coverage DEF --histories DIR


def write_histories(directory: Path) -> None:
    machine = StateMachine.from_file(ORDERS)
    runs = [
        ({"kind": "express", "items": [{"ok": True}]}, mock.returns({"id": 1})),
        ({"kind": "priority", "items": []}, mock.raises("Carrier.Busy", times=1).then(returns={"id": 2})),
        ({"kind": "express", "items": [{"ok": False}]}, mock.raises("Carrier.Down")),
    ]
    directory.mkdir()
    for number, (order, ship) in enumerate(runs, 1):
        history = machine.run(order, handlers={"Ship": ship}).to_aws_history()
        (directory / f"run-{number}.json").write_text(json.dumps(history), encoding="utf-8")


def test_the_cli_measures_saved_histories_like_the_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_histories(tmp_path / "histories")
    shutil.copytree(PIPELINE / "statemachine", tmp_path / "statemachine")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["coverage", "statemachine/orders.asl.json", "--histories", "histories",
                                       "--json"])
    assert result.exit_code == 0, result.output
    # The histories do not say which of Route's two rules to Ship matched; evaluating the rules
    # again on the recorded input does, so the figures are the suite's.
    assert_pipeline_figures(json.loads(result.output))

    gate = CliRunner().invoke(main, ["coverage", "statemachine/orders.asl.json", "--histories", "histories",
                                     "--fail-under", "75"])
    assert gate.exit_code == 1
    assert "FAIL: workflow coverage 70.83% is below --fail-under=75%" in gate.output


def test_the_cli_says_what_is_wrong_with_a_history(tmp_path: Path):
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "bad.json").write_text('{"not": "a history"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["coverage", str(ORDERS), "--histories", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert "bad.json: not an execution history" in result.output


def test_a_state_entered_event_without_a_state_name_is_refused_not_counted_as_none(tmp_path: Path):
    events = [{"id": 1, "type": "ExecutionStarted"}, {"id": 2, "type": "PassStateEntered", "stateEnteredEventDetails": {}}]
    (tmp_path / "h.json").write_text(json.dumps({"events": events}), encoding="utf-8")
    result = CliRunner().invoke(main, ["coverage", str(ORDERS), "--histories", str(tmp_path / "h.json")])
    assert result.exit_code == 2
    assert "h.json: event #2 (PassStateEntered) has no stateEnteredEventDetails.name" in result.output


TEMPLATE = """
Resources:
  Intake:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Check
        States:
          Check: {Type: Choice, Choices: [{Variable: "$.ok", BooleanEquals: true, Next: Archive}], Default: Drop}
          Archive:
            Type: Task
            Resource: arn:aws:states:::states:startExecution.sync:2
            Parameters: {StateMachineArn: !Ref Archiver, Input: {}}
            End: true
          Drop: {Type: Fail, Error: Dropped}
  Archiver:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: archive-orders
      Definition:
        StartAt: Store
        States:
          Store: {Type: Pass, End: true}
"""


def test_machines_of_one_template_are_apart_and_a_started_child_counts_for_its_own(pytester: pytest.Pytester):
    (pytester.path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (pytester.path / "hello.asl.json").write_text('{"StartAt": "Hi", "States": {"Hi": {"Type": "Succeed"}}}',
                                                  encoding="utf-8")
    pytester.makepyfile(test_template="""
        def test_intake(sfn):
            sfn.load("template.yaml", machine="Intake").run({"ok": True}).assert_succeeded()

        def test_only_loads(sfn):
            sfn.load("hello.asl.json")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sfn-cov-report=json:cov.json")
    result.assert_outcomes(passed=2)
    report = json.loads((pytester.path / "cov.json").read_text(encoding="utf-8"))
    figures = {(m["source"], m["name"]): (m["executions"], m["states"]["covered"], m["states"]["total"],
                                          m["branches"]["covered"], m["branches"]["total"]) for m in report["machines"]}
    # Intake: Check and Archive of its 3 states, Choices[0] of its 2 branches. Archive started the
    # sibling machine (named by its StateMachineName) as a child execution: its one state counts there.
    # hello was loaded and never run: 0 of its 1 state.
    assert figures == {("template.yaml", "Intake"): (1, 2, 3, 1, 2), ("template.yaml", "archive-orders"): (1, 1, 1, 0, 0),
                       ("hello.asl.json", "hello"): (0, 0, 1, 0, 0)}
    assert report["percent"] == 57.14  # (2 + 1 + 1 + 0) / (3 + 2 + 1 + 1)


def test_the_cli_reads_one_machine_of_a_template(tmp_path: Path):
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    intake = StateMachine.from_file(tmp_path / "template.yaml", machine="Intake")
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "dropped.json").write_text(json.dumps(intake.run({"ok": False}).to_aws_history()),
                                                encoding="utf-8")
    result = CliRunner().invoke(main, ["coverage", str(tmp_path / "template.yaml"), "--machine", "Intake",
                                       "--histories", str(tmp_path / "h"), "--json"])
    assert result.exit_code == 0, result.output
    (machine,) = json.loads(result.output)["machines"]
    # Check → Drop by Default: Check and Drop of 3 states, Default of 2 branches.
    assert machine["name"] == "Intake"
    assert (machine["states"]["missing"], machine["branches"]["missing"]) == (["Archive"], ["Check → Archive (Choices[0])"])


def test_a_fail_under_above_100_percent_is_bad_usage_not_a_gate_no_suite_can_pass(tmp_path: Path):
    result = CliRunner().invoke(main, ["coverage", str(ORDERS), "--histories", str(tmp_path), "--fail-under", "150"])
    assert result.exit_code == 2
    assert "150" in result.output and "0<=x<=100" in result.output


def test_the_pytest_gate_refuses_a_percentage_above_100(pytester: pytest.Pytester):
    result = pytester.runpytest("--sfn-cov-fail-under=150")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sfn-cov-fail-under: 150 is not a percentage from 0 to 100*"])
