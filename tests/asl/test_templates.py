"""Templates with several state machines: intrinsics resolved to what AWS gives, machines chosen by
logical id or name, and every unresolved value reported where it is.

Expected values come from the "Return values" sections of AWS's CloudFormation resource reference
(``Ref``/``Fn::GetAtt``) and from the public workflow corpus (definitions extracted from real
templates)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from corpus import jsonl_records

from sfnsim.asl import load_definition
from sfnsim.asl.templates import read_template, template_machines
from sfnsim.errors import DefinitionError

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def _template(states: dict[str, Any], resources: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    machine = {"Type": "AWS::StepFunctions::StateMachine",
               "Properties": {"Definition": {"StartAt": next(iter(states)), "States": states}}}
    return {**top, "Resources": {"Machine": machine, **(resources or {})}}


def _pass(result: Any) -> dict[str, Any]:
    return {"Type": "Pass", "Result": result, "End": True}


def _resolved(value: Any, resources: dict[str, Any] | None = None, **top: Any) -> Any:
    definition = load_definition(_template({"P": _pass(value)}, resources, **top), state_machine="Machine").raw
    return definition["States"]["P"]["Result"]


# --- what Ref and Fn::GetAtt give, per resource type ---------------------------------------------


@pytest.mark.parametrize(
    ("resource", "intrinsic", "expected"),
    [
        # Lambda: Ref is the function name, Arn its ARN.
        ({"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "extract"}}, {"Ref": "R"}, "extract"),
        ({"Type": "AWS::Serverless::Function"}, {"Fn::GetAtt": ["R", "Arn"]}, LAMBDA_ARN.format("R")),
        # SNS: Ref is the topic ARN.
        ({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}}, {"Ref": "R"},
         "arn:aws:sns:us-east-1:123456789012:alerts"),
        # SQS: Ref is the queue URL; Arn and QueueName.
        ({"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}}, {"Ref": "R"},
         "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"),
        ({"Type": "AWS::SQS::Queue"}, {"Fn::GetAtt": "R.Arn"}, "arn:aws:sqs:us-east-1:123456789012:R"),
        ({"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}}, {"Fn::GetAtt": ["R", "QueueName"]}, "R.fifo"),
        # DynamoDB: Ref is the table name, Arn table/NAME.
        ({"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}}, {"Ref": "R"}, "orders"),
        ({"Type": "AWS::Serverless::SimpleTable"}, {"Fn::GetAtt": ["R", "Arn"]},
         "arn:aws:dynamodb:us-east-1:123456789012:table/R"),
        # S3: Ref is the bucket name; Arn has no region or account.
        ({"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "raw"}}, {"Fn::GetAtt": ["R", "Arn"]}, "arn:aws:s3:::raw"),
        # Step Functions: Ref of a machine or activity is its ARN.
        ({"Type": "AWS::StepFunctions::Activity", "Properties": {"Name": "approve"}}, {"Ref": "R"},
         "arn:aws:states:us-east-1:123456789012:activity:approve"),
        ({"Type": "AWS::Serverless::StateMachine", "Properties": {"Name": "child"}}, {"Ref": "R"},
         "arn:aws:states:us-east-1:123456789012:stateMachine:child"),
        # EventBridge: Ref of a bus is its name, Arn event-bus/NAME.
        ({"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders"}}, {"Fn::GetAtt": ["R", "Arn"]},
         "arn:aws:events:us-east-1:123456789012:event-bus/orders"),
    ],
)
def test_ref_and_getatt_give_what_aws_gives(resource: dict[str, Any], intrinsic: Any, expected: str) -> None:
    assert _resolved(intrinsic, {"R": resource}) == expected


def test_a_name_property_may_itself_be_an_intrinsic() -> None:
    function = {"Type": "AWS::Serverless::Function",
                "Properties": {"FunctionName": {"Fn::Sub": "${AWS::StackName}-extract"}}}
    assert _resolved({"Fn::GetAtt": ["Fn", "Arn"]}, {"Fn": function}) == LAMBDA_ARN.format("sfnsim-stack-extract")


def test_pseudo_parameters_follow_the_region() -> None:
    template = _template({"P": _pass({"Fn::Sub": "${AWS::Partition}|${AWS::Region}|${AWS::AccountId}|${AWS::URLSuffix}"})})
    (machine,) = template_machines(template, region="cn-north-1", account="111122223333")
    assert machine.definition["States"]["P"]["Result"] == "aws-cn|cn-north-1|111122223333|amazonaws.com.cn"
    assert machine.arn == "arn:aws-cn:states:cn-north-1:111122223333:stateMachine:Machine"


# --- the intrinsic functions ----------------------------------------------------------------------


def test_join_select_split_and_sub_with_variables() -> None:
    value = {
        "joined": {"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}, "c"]]},
        "selected": {"Fn::Select": ["1", {"Fn::Split": [",", "x,y,z"]}]},
        "sub": {"Fn::Sub": ["${Greeting}, ${AWS::AccountId}", {"Greeting": {"Fn::Join": ["", ["he", "llo"]]}}]},
        "azs": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
    }
    assert _resolved(value) == {"joined": "a-us-east-1-c", "selected": "y", "sub": "hello, 123456789012",
                                "azs": "us-east-1a"}


def test_conditions_choose_values_and_no_value_removes_them() -> None:
    top = {
        "Parameters": {"Env": {"Type": "String", "Default": "prod"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                       "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
                       "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]}},
    }
    value = {
        "size": {"Fn::If": ["IsProd", "large", "small"]},
        "debug": {"Fn::If": ["IsDev", True, {"Ref": "AWS::NoValue"}]},
        "never": {"Fn::If": ["Both", 1, 2]},
    }
    assert _resolved(value, **top) == {"size": "large", "never": 2}


def test_parameter_defaults_and_list_parameters() -> None:
    top = {"Parameters": {"Retries": {"Type": "Number", "Default": 3},
                          "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"}}}
    # CloudFormation hands every parameter value over as text
    assert _resolved({"r": {"Ref": "Retries"}, "z": {"Ref": "Zones"}}, **top) == {"r": "3", "z": ["a", "b"]}


def test_cdk_definition_string_with_partition_resolves_to_the_lambda_integration() -> None:
    # The shape CDK synthesises: Fn::Join of JSON text and a Ref to AWS::Partition.
    template = {
        "Resources": {
            "ExtractFnABC123": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Machine1234": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": {"Fn::Join": ["", [
                        '{"StartAt":"Extract","States":{"Extract":{"End":true,"Type":"Task","Resource":"arn:',
                        {"Ref": "AWS::Partition"},
                        ':states:::lambda:invoke","Parameters":{"FunctionName":"',
                        {"Fn::GetAtt": ["ExtractFnABC123", "Arn"]},
                        '","Payload.$":"$"}}}}',
                    ]]},
                },
            },
        }
    }
    task = load_definition(template).raw["States"]["Extract"]
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"]["FunctionName"] == LAMBDA_ARN.format("ExtractFnABC123")


# --- unresolved values are located errors, or come from substitutions ----------------------------


def test_a_parameter_without_default_is_an_error_naming_it_and_where(tmp_path: Path) -> None:
    text = (
        "Parameters:\n  Bucket:\n    Type: String\n"
        "Resources:\n  Machine:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
        "      DefinitionSubstitutions:\n        BucketName: !Ref Bucket\n"
        "      Definition:\n        StartAt: P\n        States:\n"
        "          P: {Type: Pass, Result: '${BucketName}', End: true}\n"
    )
    path = tmp_path / "template.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    (problem,) = raised.value.problems
    assert problem.pointer == "/Resources/Machine/Properties/DefinitionSubstitutions/BucketName/Ref"
    assert (problem.line, problem.column) == (9, 21)
    assert "'Bucket' has no Default" in problem.message and "--substitute Bucket=VALUE" in problem.message
    loaded = load_definition(path, substitutions={"Bucket": "raw-data"})
    assert loaded.raw["States"]["P"]["Result"] == "raw-data"


def test_a_placeholder_in_a_definition_file_is_located_in_that_file(tmp_path: Path) -> None:
    text = '{"StartAt": "P",\n "States": {"P": {"Type": "Pass", "Result": "${Missing}", "End": true}}}'
    (tmp_path / "flow.asl.json").write_text(text)
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: flow.asl.json\n"
    )
    with pytest.raises(DefinitionError) as raised:
        load_definition(tmp_path / "template.yaml")
    (problem,) = raised.value.problems
    assert problem.source == str(tmp_path / "flow.asl.json")
    assert (problem.line, problem.column) == (2, text.splitlines()[1].index("${") + 1)
    assert "${Missing}" in problem.message
    assert load_definition(tmp_path / "template.yaml", substitutions={"Missing": 5}).raw["States"]["P"]["Result"] == "5"


def test_import_value_and_unknown_attributes_need_substitutions() -> None:
    template = _template({"P": _pass({"i": {"Fn::ImportValue": "shared-bus"}, "a": {"Fn::GetAtt": ["Q", "Nonsense"]}})},
                         {"Q": {"Type": "AWS::SQS::Queue"}})
    with pytest.raises(DefinitionError) as raised:
        load_definition(template)
    messages = sorted(p.message for p in raised.value.problems)
    assert "Fn::GetAtt Q.Nonsense" in messages[0] and "Fn::ImportValue 'shared-bus'" in messages[1]
    loaded = load_definition(template, substitutions={"shared-bus": "bus", "Q.Nonsense": "x"})
    assert loaded.raw["States"]["P"]["Result"] == {"i": "bus", "a": "x"}


# --- several machines: names, types, choice -------------------------------------------------------


ORCHESTRATOR = {
    "Resources": {
        "Orchestrator": {"Type": "AWS::Serverless::StateMachine",
                         "Properties": {"Name": "etl-orchestrator", "Type": "EXPRESS",
                                        "Definition": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}},
        "Job": {"Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"Definition": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}},
    }
}


def test_machines_have_names_types_and_arns() -> None:
    machines = {m.logical_id: m for m in template_machines(ORCHESTRATOR)}
    assert (machines["Orchestrator"].name, machines["Orchestrator"].type) == ("etl-orchestrator", "EXPRESS")
    assert (machines["Job"].name, machines["Job"].type) == ("Job", "STANDARD")
    assert machines["Job"].arn == "arn:aws:states:us-east-1:123456789012:stateMachine:Job"


def test_a_machine_is_chosen_by_logical_id_or_name() -> None:
    assert load_definition(ORCHESTRATOR, state_machine="etl-orchestrator").raw["StartAt"] == "A"
    assert load_definition(ORCHESTRATOR, state_machine="Job").raw["StartAt"] == "B"
    with pytest.raises(DefinitionError) as raised:
        load_definition(ORCHESTRATOR)
    message = raised.value.problems[0].message
    assert "Orchestrator (name 'etl-orchestrator'), Job" in message and "--machine" in message
    with pytest.raises(DefinitionError, match="no state machine 'Nope'"):
        read_template(ORCHESTRATOR).choose("Nope")


# --- measured on the corpus: a template's machine equals its definition file with substitutions ----


PSEUDO = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
          "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "sfnsim-stack"}
_NAME = re.compile(r"\$\{([^}]+)\}")


def _function_arn(name: str) -> str:
    """A stand-in value that is valid wherever the corpus uses it (most are Lambda ARNs)."""
    return LAMBDA_ARN.format(name.replace(".", "-").replace(":", "-"))


def _as_intrinsic(value: Any) -> tuple[Any, str | None, list[str]]:
    """The corpus writes an intrinsic substitution value as a placeholder (!Ref X is ${X}, !GetAtt F.Arn
    ${F.Arn}, !Sub keeps its text): (the intrinsic, its expected value, the names a user must give)."""
    if not isinstance(value, str) or "${" not in value:
        return value, None, []
    names = [n for n in _NAME.findall(value) if n not in PSEUDO]
    expected = _NAME.sub(lambda m: PSEUDO.get(m.group(1)) or _function_arn(m.group(1)), value)
    whole = _NAME.fullmatch(value)
    if whole and whole.group(1) not in PSEUDO:
        name = whole.group(1)
        intrinsic = {"Fn::GetAtt": name.split(".", 1)} if "." in name else {"Ref": name}
        return intrinsic, expected, names
    return {"Fn::Sub": value}, expected, names


def _replaced(value: Any, replacements: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {_replaced(k, replacements): _replaced(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, replacements) for v in value]
    if isinstance(value, str):
        for placeholder, text in replacements.items():
            value = value.replace(placeholder, text)
    return value


def test_corpus_template_machines_equal_their_definition_files_with_substitutions() -> None:
    records = {r["id"]: r for r in jsonl_records("corpora", "workflows.jsonl")}
    compared = 0
    for record in records.values():
        standalone = records.get(f"{record['repo']}:{record.get('definition_path')}")
        if record["source_kind"] != "sam-definitionuri" or standalone is None or record["definition"] is None:
            continue
        given, substitutions, replacements = {}, {}, {}
        for key, value in (record.get("definition_substitutions") or {}).items():
            given[key], expected, names = _as_intrinsic(value)
            # what a deployment would know, given as a user would with --substitute
            substitutions.update({name: _function_arn(name) for name in names})
            if expected is not None:
                replacements["${" + key + "}"] = expected
        template = {"Resources": {record["logical_id"]: {
            "Type": "AWS::Serverless::StateMachine",
            "Properties": {"Definition": standalone["definition"], "DefinitionSubstitutions": given},
        }}}
        (machine,) = template_machines(template, substitutions=substitutions)
        assert machine.definition == _replaced(record["definition"], replacements), record["id"]
        compared += 1
    assert compared >= 60


# --- the command line and the pytest fixture -----------------------------------------------------

PIPELINE = """\
Parameters:
  Env:
    Type: String
Resources:
  Orchestrator:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${Env}-orchestrator"
      Definition:
        StartAt: Greet
        States:
          Greet: {Type: Pass, Result: !Sub "hello from ${AWS::Region}", End: true}
  Job:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: Work
        States:
          Work: {Type: Pass, Result: {Ref: Env}, End: true}
"""


def test_cli_runs_a_machine_chosen_by_name_with_substitutions(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sfnsim.cli import main

    path = tmp_path / "template.yaml"
    path.write_text(PIPELINE)
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(path), "--machine", "prod-orchestrator", "--substitute", "Env=prod", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["output"] == "hello from us-east-1"
    result = runner.invoke(main, ["run", str(path), "--machine", "Job", "--substitute", "Env=dev", "--json"])
    assert json.loads(result.output)["output"] == "dev"
    # without the parameter's value: an error naming it and where it is (Name: !Sub "${Env}-...")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "template.yaml:8:13: Ref 'Env'" in result.output and "--substitute Env=VALUE" in result.output
    assert runner.invoke(main, ["validate", str(path), "--substitute", "Env=x"]).exit_code == 0
    result = runner.invoke(main, ["run", str(path), "--substitute", "Env=x"])
    assert result.exit_code == 2 and "choose one by its logical id or name" in result.output


def test_from_template_gives_every_machine_by_name(tmp_path: Path) -> None:
    from sfnsim import StateMachine

    path = tmp_path / "template.yaml"
    path.write_text(PIPELINE)
    machines = StateMachine.from_template(path, substitutions={"Env": "qa", "AWS::Region": "eu-west-1"})
    assert sorted(machines) == ["Job", "qa-orchestrator"]
    assert machines["qa-orchestrator"].run().output == "hello from eu-west-1"
    assert StateMachine.from_file(path, machine="Job", substitutions={"Env": "qa"}).name == "Job"



# --- Terraform ----------------------------------------------------------------------------------

TERRAFORM = '''\
variable "stage" {
  default = "dev"
}
variable "queue_url" {
  type = string
}
resource "aws_lambda_function" "worker" {
  function_name = "worker-${var.stage}"
}
resource "aws_sfn_state_machine" "flow" {
  name     = "flow-${var.stage}"
  type     = "EXPRESS"
  definition = <<EOF
{
  "StartAt": "Call",
  "States": {
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "${aws_lambda_function.worker.arn}", "Payload": {"q": "${var.queue_url}", "raw": "$${kept}"}},
             "End": true}
  }
}
EOF
  logging_configuration {
    level = "ALL"
  }
}
resource "aws_sfn_state_machine" "from_file" {
  name       = "templated"
  definition = templatefile("${path.module}/flow.asl.json", { greeting = "hello", region = data.aws_region.current.name })
}
'''


def test_terraform_heredoc_and_templatefile_machines(tmp_path: Path) -> None:
    (tmp_path / "flow.asl.json").write_text(
        '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${greeting} from ${region}", "End": true}}}')
    path = tmp_path / "main.tf"
    path.write_text(TERRAFORM)
    with pytest.raises(DefinitionError) as raised:
        load_definition(path, state_machine="flow-dev")
    (problem,) = raised.value.problems
    assert "${var.queue_url} is not known" in problem.message and problem.line == 18
    flow = load_definition(path, state_machine="flow", substitutions={"var.queue_url": "https://sqs/q"})
    assert (flow.machine_name, flow.state_machine_type) == ("flow-dev", "EXPRESS")
    parameters = flow.raw["States"]["Call"]["Parameters"]
    assert parameters == {"FunctionName": LAMBDA_ARN.format("worker-dev"),
                          "Payload": {"q": "https://sqs/q", "raw": "${kept}"}}
    templated = load_definition(path, state_machine="templated")
    assert templated.raw["States"]["P"]["Result"] == "hello from us-east-1"


def test_two_short_form_tags_in_a_row_are_named(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  S:\n    Type: AWS::EC2::Subnet\n    Properties:\n      AvailabilityZone: !Select\n"
                    "        - 0\n        - !GetAZs !Ref AWS::Region\n")
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    (problem,) = raised.value.problems
    assert (problem.line, problem.column) == (7, 11)
    assert "two short-form tags in a row (!GetAZs !Ref)" in problem.message


def test_a_pseudo_parameter_left_in_a_resource_is_refused_before_running() -> None:
    from sfnsim import StateMachine

    # What a CDK DefinitionString holds before CloudFormation fills it: run as-is, the task would be
    # taken for an unknown service and its Lambda result left unwrapped.
    definition = {"StartAt": "Extract", "States": {"Extract": {
        "Type": "Task", "Resource": "arn:${AWS::Partition}:states:::lambda:invoke",
        "Parameters": {"FunctionName": "extract", "Payload.$": "$"}, "End": True}}}
    with pytest.raises(DefinitionError) as raised:
        StateMachine.from_dict(definition)
    (problem,) = raised.value.problems
    assert problem.pointer == "/States/Extract/Resource" and "${AWS::Partition}" in problem.message
    machine = StateMachine.from_dict(definition, substitutions={"AWS::Partition": "aws"})
    assert machine.run({"n": 1}, handlers={"extract": lambda event: event}).output["Payload"] == {"n": 1}


def test_a_machine_asked_of_a_plain_definition_is_refused_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "single.asl.json"
    path.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    with pytest.raises(DefinitionError) as raised:
        load_definition(path, state_machine="Nope")
    assert "'Nope'" in str(raised.value) and "not a template" in str(raised.value)
    assert load_definition(path).raw["StartAt"] == "P"  # without machine= it loads as before


def test_a_template_file_name_given_as_a_str_is_told_to_be_a_path() -> None:
    with pytest.raises(DefinitionError) as raised:
        template_machines("template.yaml")
    assert "pass pathlib.Path('template.yaml')" in str(raised.value)
