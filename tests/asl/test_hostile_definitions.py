"""Hostile definitions and inputs (issue #16): the validator locates every problem instead of
crashing, deep nesting and YAML alias bombs are refused with a located error, and JSONata
evaluation is bounded as AWS bounds it (a nesting depth near 100, a memory limit)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sfnsim import StateMachine
from sfnsim.asl import load_definition
from sfnsim.cli import main
from sfnsim.errors import DefinitionError, InputError

PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def problems_of(definition: Any) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        load_definition(definition)
    return [f"{p.pointer}: {p.message}" for p in raised.value.problems]


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


# -- the validator -----------------------------------------------------------------------------


def test_snake_case_field_names_are_not_accepted() -> None:
    # ASL field names are PascalCase; pydantic's Python names must not pass for them.
    problems = problems_of({"states": {"A": {"type": "Pass", "end": True}}, "start_at": "A"})
    assert "/states: Field 'states' is not supported" in problems
    assert "/start_at: Field 'start_at' is not supported" in problems
    assert ": These fields are required: [StartAt, States]" in problems  # at the root (pointer "")
    resource = problems_of({"StartAt": "T", "States": {"T": {"Type": "Task", "resource": "arn:aws:lambda:x",
                                                           "End": True}}})
    assert "/States/T/resource: Field 'resource' is not supported in a Task state" in resource


@pytest.mark.parametrize("state_type", [{"x": 1}, ["Pass"], 7, None])
def test_a_type_that_is_not_text_is_a_located_problem(state_type: Any) -> None:
    problems = problems_of({"StartAt": "A", "States": {"A": {"Type": state_type, "End": True}}})
    assert problems and all(p.startswith("/States/A") for p in problems)


def test_catch_that_is_not_a_list_is_a_located_problem() -> None:
    lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    problems = problems_of({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": lambda_arn,
                                                           "End": True, "Catch": 1.5}}})
    assert problems == ["/States/T/Catch: Catch must be an array, got 1.5"]


def test_non_text_keys_are_a_located_problem() -> None:
    problems = problems_of({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, 5: "x"}}})
    assert problems == ["/States/A: not JSON: the key 5 is an int; JSON object keys are text"]


@pytest.mark.parametrize("command", ["validate", "run", "graph"])
def test_the_cli_reports_a_broken_type_as_a_user_error(tmp_path: Path, command: str) -> None:
    definition = tmp_path / "bad.asl.json"
    definition.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": {"x": 1}, "End": True}}}))
    result = cli(command, str(definition))
    assert result.exit_code in (1, 2), result.output
    assert "internal error" not in result.output and "/States/A/Type" in result.output


# -- deep nesting ------------------------------------------------------------------------------


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return value


def test_a_result_1000_levels_deep_is_refused_with_its_place() -> None:
    problems = problems_of({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": nested(1000), "End": True}}})
    assert len(problems) == 1
    assert problems[0].startswith("/States/A/Result/0/0/")
    assert "not JSON: nested more than 250 levels deep (sfnsim's limit) (at depth 250)" in problems[0]


def test_values_240_levels_deep_still_run() -> None:
    machine = StateMachine.from_dict({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": nested(240),
                                                                         "ResultPath": "$.r", "End": True}}})
    execution = machine.run({"input": nested(99)})
    assert execution.status == "SUCCEEDED"
    assert execution.output["r"] == nested(240)


@pytest.mark.parametrize("command", ["validate", "run", "graph"])
def test_a_definition_10000_levels_deep_is_a_user_error(tmp_path: Path, command: str) -> None:
    definition = tmp_path / "deep.asl.json"
    definition.write_text('{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Result":'
                          + "[" * 10_000 + "]" * 10_000 + "}}}")
    result = cli(command, str(definition))
    assert result.exit_code in (1, 2), result.output
    assert "nested more than 250 levels deep" in result.output


def test_an_input_10000_levels_deep_is_an_input_error(tmp_path: Path) -> None:
    definition = tmp_path / "pass.asl.json"
    definition.write_text(json.dumps(PASS))
    result = cli("run", str(definition), "--input", "[" * 10_000 + "]" * 10_000)
    assert result.exit_code == 2, result.output
    assert "nested more than 250 levels deep" in result.output
    with pytest.raises(InputError, match="nested more than 250 levels deep"):
        StateMachine.from_dict(PASS).run(nested(10_000))


# -- YAML alias bomb ---------------------------------------------------------------------------


def alias_bomb() -> str:
    """The issue's reproducer: 9 levels of 9 aliases each, about 400 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines.append("StartAt: A")
    lines.append("States: {A: {Type: Pass, End: true, Result: *i}}")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_quickly_with_a_location(tmp_path: Path) -> None:
    path = tmp_path / "bomb.asl.yaml"
    path.write_text(alias_bomb())
    assert path.stat().st_size < 410
    began = time.perf_counter()
    result = cli("validate", str(path))
    assert time.perf_counter() - began < 30  # a hang guard (expanded, the bomb is 10^9 nodes), not a speed test
    assert result.exit_code == 1, result.output
    assert "YAML aliases expand this document to" in result.output
    assert f"{path}:9:" in result.output  # the line of the anchor repeated most


def test_a_few_yaml_aliases_are_fine() -> None:
    text = ("StartAt: A\nStates:\n  A: {Type: Pass, Result: &row {id: 1, tags: [a, b]}, Next: B}\n"
            "  B: {Type: Pass, Result: [*row, *row], End: true}\n")
    assert StateMachine.from_yaml(text).run({}).output == [{"id": 1, "tags": ["a", "b"]}] * 2


# -- JSONata bounds ----------------------------------------------------------------------------


def jsonata_pass(expression: str) -> StateMachine:
    return StateMachine.from_dict({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}}})


@pytest.mark.parametrize("expression", [
    "($f := function($n){ $f($n + 1) }; $f(0))",  # tail recursion: no depth, only steps
    "($f := function($n){ 1 + $f($n + 1) }; $f(0))",  # deep recursion
    "$reduce([1..30], function($acc, $i){ $acc & $acc }, 'xx')",  # doubling text: memory
])
def test_runaway_expressions_fail_fast_with_a_query_evaluation_error(expression: str) -> None:
    began = time.perf_counter()
    execution = jsonata_pass(expression).run({})
    assert time.perf_counter() - began < 30  # a hang guard, generous for a loaded CI machine, not a speed test
    assert (execution.status, execution.error) == ("FAILED", "States.QueryEvaluationError")


def test_recursion_about_100_deep_is_refused_and_shallower_runs() -> None:
    recursion = "($f := function($n){ $n > 0 ? 1 + $f($n - 1) : 0 }; $f({depth}))"
    assert jsonata_pass(recursion.replace("{depth}", "80")).run({}).output == 80
    deep = jsonata_pass(recursion.replace("{depth}", "150")).run({})
    assert deep.error == "States.QueryEvaluationError"


def test_a_memory_bound_is_named_as_aws_names_it() -> None:
    execution = jsonata_pass("$reduce([1..30], function($acc, $i){ $acc & $acc }, 'xx')").run({})
    assert "Expression evaluation memory limit exceeded" in execution.cause


# -- text and runtime nesting ------------------------------------------------------------------


def test_a_lone_surrogate_in_the_input_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    definition = tmp_path / "pass.asl.json"
    definition.write_text(json.dumps(PASS))
    result = cli("run", str(definition), "--input", '{"x": "\\ud800"}')
    assert result.exit_code == 2, result.output
    assert "$.x: the text holds a lone surrogate" in result.output
    assert "SUCCEEDED" not in result.output


def test_an_integer_over_4300_digits_is_an_input_error(tmp_path: Path) -> None:
    definition = tmp_path / "pass.asl.json"
    definition.write_text(json.dumps(PASS))
    result = cli("run", str(definition), "--input", '{"x": ' + "7" * 5000 + "}")
    assert result.exit_code == 2, result.output
    assert "an integer of more than 4300 digits cannot be read (line 1, column 7)" in result.output
    with pytest.raises(InputError, match=r"\$.x: an integer of more than 4300 digits"):
        StateMachine.from_dict(PASS).run({"x": 10 ** 5000})


def test_data_a_loop_nests_past_what_sfnsim_follows_is_a_named_error() -> None:
    from sfnsim.errors import SimulationLimitError

    wraps = StateMachine.from_dict({"StartAt": "Wrap", "States": {
        "Wrap": {"Type": "Pass", "Parameters": {"a.$": "$"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.done", "IsPresent": True, "Next": "End"}],
                  "Default": "Wrap"},
        "End": {"Type": "Succeed"}}})
    with pytest.raises(SimulationLimitError, match="state 'Wrap': its data is nested more deeply than sfnsim"):
        wraps.run({})


def test_replay_and_conformance_report_deep_files_as_user_errors(tmp_path: Path) -> None:
    deep_text = "[" * 10_000 + "]" * 10_000
    definition = tmp_path / "pass.asl.json"
    definition.write_text(json.dumps(PASS))
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"events": [{
        "id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": "2024-01-01T00:00:00Z",
        "executionStartedEventDetails": {"input": deep_text}}]}))
    replayed = cli("replay", str(history), "--definition", str(definition))
    assert replayed.exit_code == 2, replayed.output
    assert "nested more than 250 levels deep" in replayed.output
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "deep", "definition": ' + json.dumps(PASS) + ', "input": ' + deep_text
                     + ', "expected": {"status": "SUCCEEDED"}}\n')
    measured = cli("conformance", str(cases))
    assert measured.exit_code == 2, measured.output
    assert "nested more than 250 levels deep" in measured.output


def test_a_csv_reader_field_given_as_null_reads_as_absent() -> None:
    # Found by benchmarks/fuzz.py: "CSVHeaders": null crashed compiling the Map.
    machine = StateMachine.from_dict({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVHeaders": None},
                       "Parameters": {"Bucket": "b", "Key": "rows.csv"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})
    execution = machine.run({}, s3_objects={("b", "rows.csv"): "id\n1\n"})
    assert (execution.status, execution.output) == ("SUCCEEDED", [{"id": "1"}])


def test_a_ten_million_item_range_fails_fast_on_the_memory_bound() -> None:
    began = time.perf_counter()
    execution = jsonata_pass("[1..10000000]").run({})
    assert time.perf_counter() - began < 30  # a hang guard, not a speed test
    assert execution.error == "States.QueryEvaluationError"
    assert "Expression evaluation memory limit exceeded" in execution.cause
