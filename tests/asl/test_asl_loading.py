"""Loading definitions: JSON/YAML text with line/column positions, files, templates, refusals."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pydantic
import pytest

from sfnsim.asl import Definition, PassState, StateMachine, load_definition, parse_text
from sfnsim.errors import DefinitionError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "invalid"

MINIMAL = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def position_of(text: str, needle: str, *, after: str = "") -> tuple[int, int]:
    """1-based line and column of ``needle`` (searched after ``after``) in ``text``."""
    offset = text.index(needle, text.index(after) + len(after) if after else 0)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def problems_of(source, **kwargs) -> list:
    with pytest.raises(DefinitionError) as caught:
        load_definition(source, **kwargs)
    return caught.value.problems


# --- parse_text and Locator ----------------------------------------------------------------


def test_json_locator_points_at_values() -> None:
    text = '{\n  "StartAt": "A",\n  "States": {"A/B": {"Type": "Pass", "x": [1, {"y~": "z"}]}}\n}'
    data, locator = parse_text(text)
    assert data["States"]["A/B"]["x"][1] == {"y~": "z"}
    assert locator.position("") == (1, 1)
    assert locator.position("/StartAt") == position_of(text, '"A"')
    # JSON pointer escaping: "/" is ~1 and "~" is ~0
    assert locator.position("/States/A~1B/Type") == position_of(text, '"Pass"')
    assert locator.position("/States/A~1B/x/1/y~0") == position_of(text, '"z"')
    assert locator.position("/States/nope") is None


def test_yaml_locator_points_at_values() -> None:
    text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: [1, 2]\n    End: true\n"
    data, locator = parse_text(text)
    assert data == {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": [1, 2], "End": True}}}
    assert locator.position("/States/A/Type") == position_of(text, "Pass")
    assert locator.position("/States/A/Result/1") == position_of(text, "2]")
    assert locator.position("/States/B") is None


def test_yaml_reads_core_schema_scalars_as_json_would() -> None:
    # YAML 1.1 would turn `yes` into true, `012` into 10 and the date into a datetime.
    data, _ = parse_text("a: yes\nb: 012\nc: 2024-01-01\nd: 1e3\ne: true\nf: null\n200: ok\n")
    assert data == {"a": "yes", "b": 12, "c": "2024-01-01", "d": 1000.0, "e": True, "f": None, "200": "ok"}


def test_yaml_cloudformation_short_tags_become_long_form() -> None:
    data, _ = parse_text("a: !Ref Fn\nb: !GetAtt Fn.Arn\nc: !Sub 'arn:${AWS::Partition}:x'\nd: !Join [':', [a, b]]\n")
    assert data == {
        "a": {"Ref": "Fn"},
        "b": {"Fn::GetAtt": ["Fn", "Arn"]},
        "c": {"Fn::Sub": "arn:${AWS::Partition}:x"},
        "d": {"Fn::Join": [":", ["a", "b"]]},
    }


@pytest.mark.parametrize(
    "text, tag",
    [
        ("a: !!python/object/apply:os.system ['echo hi']", "!!python/object/apply:os.system"),
        ("a: !!python/name:os.system ''", "!!python/name:os.system"),
        ("a: !!binary aGVsbG8=", "!!binary"),
        ("a: !Custom x", "!Custom"),
    ],
)
def test_yaml_tags_other_than_plain_data_are_refused(text: str, tag: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_text(text)
    (problem,) = caught.value.problems
    assert tag in problem.message and "not allowed" in problem.message
    assert (problem.line, problem.column) == position_of(text, "!")


def test_malformed_json_reports_line_and_column() -> None:
    path = FIXTURES / "trailing-comma.asl.json"
    text = path.read_text()
    (problem,) = problems_of(path)
    assert problem.message.startswith("not valid JSON")
    # the parser stops at the "}" that follows the trailing comma
    assert (problem.line, problem.column) == position_of(text, "}", after='"End": true},')
    assert problem.source == str(path)
    assert str(path) in str(DefinitionError([problem])) and "Traceback" not in str(DefinitionError([problem]))


def test_malformed_yaml_reports_line_and_column() -> None:
    path = FIXTURES / "bad-indentation.asl.yaml"
    (problem,) = problems_of(path)
    assert problem.message.startswith("not valid YAML")
    assert (problem.line, problem.column) == position_of(path.read_text(), "End")


def test_yaml_file_with_python_tag_is_refused() -> None:
    path = FIXTURES / "python-tag.asl.yaml"
    (problem,) = problems_of(path)
    assert "!!python/object/apply:os.system" in problem.message
    assert problem.line == position_of(path.read_text(), "!!python")[0]


@pytest.mark.parametrize("text", ["", "   \n", "\ufeff"])
def test_empty_text_is_a_definition_error(text: str) -> None:
    (problem,) = problems_of(text)
    assert "empty" in problem.message


def test_text_that_is_not_an_object_is_refused() -> None:
    # AWS: "Definition must be a valid JSON object" for anything but an object
    (problem,) = problems_of("not a definition")
    assert problem.message == "Definition must be a valid JSON object"
    (problem,) = problems_of("[1, 2]")
    assert problem.message == "Definition must be a valid JSON object"


# --- load_definition -----------------------------------------------------------------------


def test_load_from_dict_text_and_path_give_the_same_definition(tmp_path: Path) -> None:
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(MINIMAL))
    yaml_path = tmp_path / "machine.asl.yaml"
    yaml_path.write_text("StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n")
    loaded = [
        load_definition(MINIMAL),
        load_definition(json.dumps(MINIMAL)),
        load_definition(path),
        load_definition(yaml_path),
    ]
    assert all(d.raw == MINIMAL for d in loaded)
    assert loaded[2].source_name == str(path)
    assert isinstance(loaded[0].model, StateMachine)
    assert isinstance(loaded[0].model.states["A"], PassState)
    assert loaded[0].query_language == "JSONPath"


def test_definition_is_immutable() -> None:
    definition = load_definition(MINIMAL)
    assert isinstance(definition, Definition)
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.raw = {}  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        definition.model.start_at = "B"  # a frozen pydantic model


def test_query_language_comes_from_the_top_level() -> None:
    raw = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}},
    }
    assert load_definition(raw).query_language == "JSONata"


def test_a_path_given_as_text_gets_a_hint() -> None:
    (problem,) = problems_of("statemachines/etl.asl.json")
    assert "pathlib.Path('statemachines/etl.asl.json')" in problem.message


def test_later_changes_to_the_callers_dict_do_not_reach_the_definition() -> None:
    raw = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    definition = load_definition(raw)
    raw["States"]["A"]["Type"] = "Fail"
    assert definition.raw["States"]["A"]["Type"] == "Pass"


def test_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nope.json")
    assert "cannot read the file" in problem.message


def test_unsupported_source_type_is_a_definition_error() -> None:
    (problem,) = problems_of(42)  # type: ignore[arg-type]
    assert "int" in problem.message


# --- CloudFormation / SAM templates -----------------------------------------------------------


def test_sam_template_with_inline_definition_and_substitutions(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "  Machine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      Type: EXPRESS\n"
        "      DefinitionSubstitutions:\n"
        "        TableName: orders\n"
        "        FnArn: !GetAtt Fn.Arn\n"
        "      Definition:\n"
        "        StartAt: Call\n"
        "        States:\n"
        "          Call:\n"
        "            Type: Task\n"
        "            Resource: ${FnArn}\n"
        "            Parameters:\n"
        "              Table: ${TableName}\n"
        "            Next: Other\n"
        "          Other:\n"
        "            Type: Task\n"
        "            Resource: !GetAtt Fn.Arn\n"
        "            End: true\n"
    )
    definition = load_definition(template)
    call = definition.raw["States"]["Call"]
    # substitutions and intrinsics resolve to what AWS gives: GetAtt Arn of a function is its ARN,
    # named after the logical id when the template sets no FunctionName
    assert call["Parameters"] == {"Table": "orders"}
    assert call["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:Fn"
    assert definition.raw["States"]["Other"]["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:Fn"
    assert definition.state_machine_type == "EXPRESS"


def test_cloudformation_definition_string_with_fn_sub() -> None:
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": {
                        "Fn::Sub": json.dumps(
                            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${Arn}", "End": True}}}
                        )
                    },
                },
            }
        }
    }
    (problem,) = problems_of(template)
    assert "${Arn}" in problem.message and "--substitute Arn=VALUE" in problem.message
    assert problem.pointer == "/Resources/Machine/Properties/DefinitionString/Fn::Sub"
    resolved = load_definition(template, substitutions={"Arn": "arn:aws:states:::sqs:sendMessage"})
    assert resolved.raw["States"]["A"]["Resource"] == "arn:aws:states:::sqs:sendMessage"


def test_sam_definition_uri_is_read_relative_to_the_template(tmp_path: Path) -> None:
    (tmp_path / "statemachine").mkdir()
    (tmp_path / "statemachine" / "flow.asl.json").write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${Greeting}", "End": true}}}'
    )
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
        "      DefinitionUri: statemachine/flow.asl.json\n      DefinitionSubstitutions:\n        Greeting: hello\n"
    )
    definition = load_definition(tmp_path / "template.yaml")
    assert definition.raw["States"]["A"]["Result"] == "hello"
    assert definition.source_name.endswith("flow.asl.json")


def test_template_problems_point_into_the_template(tmp_path: Path) -> None:
    text = (
        "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n"
        "        StartAt: A\n        States:\n          A:\n"
        "            Type: Pass\n            Bogus: 1\n            End: true\n"
    )
    path = tmp_path / "template.yaml"
    path.write_text(text)
    (problem,) = problems_of(path)
    assert problem.pointer == "/States/A/Bogus"
    assert (problem.line, problem.column) == position_of(text, "1", after="Bogus")


def test_template_with_two_state_machines_needs_a_choice() -> None:
    path = FIXTURES / "two-state-machines.template.yaml"
    (problem,) = problems_of(path)
    assert "First" in problem.message and "Second" in problem.message
    assert load_definition(path, state_machine="Second").raw["StartAt"] == "B"
