"""One behaviour across the CLI: with --json, results and errors are JSON on stdout for every command;
handler files import as under pytest; `graph --history` refuses another machine's history;
`conformance` runs anywhere on the AWS-recorded sample that ships in the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_runner import invoke
from click.testing import Result
from corpus import jsonl_records

from sfnsim.cli import main
from sfnsim.conformance.cli import SAMPLE_CASES

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
HELLO = FIXTURES / "examples" / "hello.asl.json"
HELLO_INPUT = FIXTURES / "examples" / "hello.input.json"
INVALID = FIXTURES / "invalid" / "several-problems.asl.json"
REPO = FIXTURES / "cli" / "pipeline_repo"




def json_error(result: Result, exit_code: int) -> dict[str, Any]:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.stdout + result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == exit_code
    return error


@pytest.mark.parametrize("command", [["run"], ["walk"], ["graph"]])
def test_an_invalid_definition_under_json_is_a_json_error_with_located_problems(command: list[str]) -> None:
    error = json_error(invoke(*command, INVALID, "--json"), 2)
    assert error["type"] == "InputError"
    pointers = {problem["pointer"] for problem in error["problems"]}
    # the fixture's four problems, as `validate` locates them
    assert pointers == {"/States/Load/Retry/0/MaxAttempts", "/States/Load/Next", "/States/Done", "/States/Done/Foo"}
    assert all(problem["line"] and problem["column"] for problem in error["problems"])


def test_bad_usage_and_unreadable_input_under_json_are_json_errors(tmp_path: Path) -> None:
    usage = json_error(invoke("run", HELLO, "--json", "--no-such-option"), 2)
    assert usage["type"] == "UsageError" and "--no-such-option" in usage["message"]
    missing = json_error(invoke("run", tmp_path / "nope.asl.json", "--json"), 2)
    assert "nope.asl.json" in missing["message"]
    bad_input = json_error(invoke("run", HELLO, "--json", "--input", "{oops"), 2)
    assert "--input is not valid JSON" in bad_input["message"]
    replay = json_error(invoke("replay", "--json"), 2)
    assert "give HISTORY" in replay["message"]
    conformance = json_error(invoke("conformance", tmp_path / "none.jsonl", "--json"), 2)
    assert "none.jsonl" in conformance["message"]


def test_without_json_errors_stay_text_on_stderr() -> None:
    result = invoke("run", INVALID)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and "MaxAttempts must be an integer" in result.stderr


def test_graph_json_lists_states_edges_and_the_path_a_run_took(tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    assert invoke("run", HELLO, "--input-file", HELLO_INPUT, "--history-out", history).exit_code == 0
    result = invoke("graph", HELLO, "--json", "--history", history)
    assert result.exit_code == 0, result.output
    graph = json.loads(result.stdout)
    definition = json.loads(HELLO.read_text())
    states = {node["name"] for node in graph["nodes"] if node["type"] not in ("Start", "End")}
    assert set(definition["States"]) <= states
    visited = {node["name"] for node in graph["nodes"] if node["visited"]}
    assert {"Greet", "AnyOrders?", "WaitForWarehouse", "PriceEachOrder"} <= visited
    assert any(edge["kind"] == "start" and edge["taken"] for edge in graph["edges"])
    assert invoke("graph", HELLO, "--format", "json").stdout == invoke("graph", HELLO, "--json").stdout


def test_graph_refuses_the_history_of_another_machine(tmp_path: Path) -> None:
    other = tmp_path / "other.asl.json"
    other.write_text(json.dumps({"StartAt": "Elsewhere", "States": {"Elsewhere": {"Type": "Succeed"}}}))
    history = tmp_path / "history.json"
    assert invoke("run", other, "--history-out", history).exit_code == 0
    result = invoke("graph", HELLO, "--history", history)
    assert result.exit_code == 2, result.output
    assert "Elsewhere" in result.stderr and "another state machine" in result.stderr


def test_walk_json_has_each_visit_with_its_data_flow_stages() -> None:
    result = invoke("walk", HELLO, "--input-file", HELLO_INPUT, "--json")
    assert result.exit_code == 0, result.output
    walk = json.loads(result.stdout)
    assert walk["status"] == "SUCCEEDED"
    first = walk["steps"][0]
    assert first["name"] == json.loads(HELLO.read_text())["StartAt"]
    stages = [stage["stage"] for stage in first["stages"]]
    # a Pass state's stages in the order of AWS's TestState inspection data
    assert stages[0] == "input" and stages.index("afterInputPath") < stages.index("afterResultPath")
    only = json.loads(invoke("walk", HELLO, "--input-file", HELLO_INPUT, "--json", "--state", "Greet").stdout)
    assert [step["name"] for step in only["steps"]] == ["Greet"]


def test_a_handlers_file_imports_its_project_like_pytest_does() -> None:
    # Run as a user would, from the project root: the file's own imports (a sibling helper module,
    # the project's `handlers` package) must resolve.
    process = subprocess.run(
        [sys.executable, "-m", "sfnsim.cli", "run", "price.asl.json", "--handlers", "tests/cli_handlers.py:HANDLERS",
         "--input", '{"quantity": 3, "unit_price": 2.5}', "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""})
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout)["output"] == {"total": 7.5, "vat": 0.2}


def test_conformance_json_is_a_flag_and_the_file_goes_to_json_out(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = invoke("conformance", "--json", "--json-out", out, "--case", "test_is_operators")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(out.read_text())
    assert printed["cases"] and all("test_is_operators" in case["id"] for case in printed["cases"])


def test_conformance_runs_anywhere_on_the_bundled_sample() -> None:
    result = invoke("conformance", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["cases"]) == sum(1 for _ in SAMPLE_CASES.open(encoding="utf-8"))
    assert (SAMPLE_CASES.parent / "NOTICE.md").read_text().count("localstack/localstack") == 1


def test_the_bundled_sample_is_unchanged_aws_recorded_cases() -> None:
    recorded = {case["id"]: case for case in jsonl_records("conformance", "cases.jsonl")}
    sample = [json.loads(line) for line in SAMPLE_CASES.read_text(encoding="utf-8").splitlines()]
    assert len(sample) >= 50
    for case in sample:
        assert case == recorded[case["id"]], case["id"]
    features = {feature for case in recorded.values() if case.get("class") == "pure" for feature in case["features"]}
    assert features == {feature for case in sample for feature in case["features"]}  # every feature represented


def test_the_documented_pre_commit_hook_is_usable_as_written() -> None:
    import re

    import yaml

    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = docs.split("### As a pre-commit hook", 1)[1]
    [snippet] = re.findall(r"```yaml\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    assert "<" not in snippet  # no placeholder left for the reader to guess
    [hook] = yaml.safe_load(snippet)["repos"][0]["hooks"]
    assert hook["id"] == "sfnsim-validate" and hook["entry"].split() == ["sfnsim", "validate"]
    shipped = {entry["id"]: entry for entry in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert shipped["sfnsim-validate"]["entry"] == hook["entry"]
    assert re.search(shipped["sfnsim-validate"]["files"], "statemachine/etl.asl.json")
    assert re.search(hook["files"], "statemachine/etl.asl.yaml")


def test_the_cli_synopsis_names_every_command() -> None:
    synopsis = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").split("```", 2)[1]
    listed = {line.split()[1] for line in synopsis.splitlines() if line.startswith("sfnsim ")}
    assert set(main.list_commands(None)) <= listed  # type: ignore[arg-type]
