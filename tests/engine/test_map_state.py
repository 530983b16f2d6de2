"""Map state completeness: Distributed mode, ItemReader, ItemBatcher, ResultWriter, tolerated failures.

Expected values come from the AWS-recorded corpus (../shared/conformance) and from AWS's pages
"Map state in Distributed mode", "ItemReader (Map)", "ItemBatcher (Map)", "ResultWriter (Map)" and
"Tolerated failure threshold for Distributed Map state".
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from corpus import CASES, conformance_cases_for_collection, shared_path

from sfnsim import StateMachine
from sfnsim.conformance import compare_case, run_case
from sfnsim.errors import UnsupportedFeatureError

MAP_FEATURES = ("field:ItemBatcher", "Map:DISTRIBUTED")


def _is_map_case(case: dict[str, Any]) -> bool:
    return any(f.startswith(("ItemReader", "field:Tolerated")) or f in MAP_FEATURES for f in case["features"])


def _map_cases() -> list[Any]:
    cases = conformance_cases_for_collection()
    if not cases:
        return [pytest.param(None, id="corpus-missing")]
    # needs-service cases run Tasks inside child executions, whose results were never recorded.
    return [pytest.param(c, id=c["id"].split("::", 2)[2]) for c in cases if _is_map_case(c) and c["class"] == "pure"]


@pytest.mark.parametrize("case", _map_cases())
def test_recorded_distributed_map_cases_match_aws(case: dict[str, Any] | None) -> None:
    if case is None:
        shared_path(*CASES)  # the corpus is missing: skip, or fail on CI
    result = compare_case(case, run_case(case))
    assert result.passed, (result.reason, result.detail)
    if case["expected"]["status"] == "FAILED":
        assert result.actual["cause"] == case["expected"]["cause"]


# -- helpers --------------------------------------------------------------------------------------
PROCESSOR_PASS = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                  "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}
# A child fails (error "Boom", cause "bad item") when its input has "fail": true.
PROCESSOR_FAILING = {
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "Check",
    "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Boom"}],
                  "Default": "Done"},
        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "bad item"},
        "Done": {"Type": "Pass", "End": True},
    },
}
VERDICTS = [  # the dataset of AWS's ItemBatcher page
    {"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"},
    {"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"},
    {"verdict": "true", "statement_date": "5/18/2016", "statement_source": "news"},
]


def distributed(processor: dict[str, Any] = PROCESSOR_PASS, **fields: Any) -> StateMachine:
    state = {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}
    return StateMachine.from_dict({"StartAt": "Map", "States": {"Map": state}})


def reader(resource: str = "getObject", **config: Any) -> dict[str, Any]:
    return {"Resource": f"arn:aws:states:::s3:{resource}", "ReaderConfig": config,
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}}


def event_types(execution: Any) -> list[str]:
    return [event["type"] for event in execution.history]


def s3_of(execution: Any) -> dict[tuple[str, str], str]:
    return execution.s3_objects


FAILING_ITEMS = [{"fail": False}, {"fail": True}, {"fail": False}, {"fail": False}]


# -- events ---------------------------------------------------------------------------------------
def test_child_executions_stay_out_of_the_parent_history() -> None:
    execution = distributed(PROCESSOR_FAILING, ItemsPath="$.items").run({"items": [{"fail": False}] * 3})
    assert execution.status == "SUCCEEDED"
    assert event_types(execution) == [
        "ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded",
        "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded",
    ]
    assert execution.history[2]["mapStateStartedEventDetails"] == {"length": 3}


def test_the_label_names_the_map_run() -> None:
    # "Step Functions adds the label to the Map Run ARN": ...:mapRun:<machine>/<label>:<id>
    execution = distributed(Label="demoLabel").run([1])
    arn = execution.history[3]["mapRunStartedEventDetails"]["mapRunArn"]
    assert arn.startswith("arn:aws:states:") and ":mapRun:StateMachine/demoLabel:" in arn


def test_a_child_execution_has_its_own_context_object() -> None:
    processor = {**PROCESSOR_PASS, "States": {"Item": {"Type": "Pass", "End": True,
                                                       "Parameters": {"id.$": "$$.Execution.Id",
                                                                      "input.$": "$$.Execution.Input"}}}}
    execution = distributed(processor).run([{"n": 1}])
    [child] = execution.output
    assert child["input"] == {"n": 1}
    assert child["id"] != execution.execution_arn and ":execution:StateMachine/Map:" in child["id"]


# -- tolerated failures ---------------------------------------------------------------------------
def test_by_default_one_failed_child_fails_the_map_run() -> None:
    execution = distributed(PROCESSOR_FAILING).run(FAILING_ITEMS)
    assert (execution.status, execution.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert event_types(execution)[3:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]


@pytest.mark.parametrize("threshold", [{"ToleratedFailureCount": 1}, {"ToleratedFailurePercentage": 25},
                                       {"ToleratedFailurePercentage": 100}])
def test_failures_within_the_threshold_do_not_fail_the_map(threshold: dict[str, Any]) -> None:
    execution = distributed(PROCESSOR_FAILING, **threshold).run(FAILING_ITEMS)
    assert execution.status == "SUCCEEDED"
    ok, failed, *_ = execution.output
    assert ok == {"fail": False} and len(execution.output) == 4
    # A failed child is reported unchanged, as the NONE transformation shows it.
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Boom", "bad item")
    assert json.loads(failed["Input"]) == {"fail": True}


@pytest.mark.parametrize("threshold", [{"ToleratedFailureCount": 0}, {"ToleratedFailurePercentage": 24.9},
                                       {"ToleratedFailureCount": 5, "ToleratedFailurePercentage": 10}])
def test_exceeding_the_threshold_fails_with_exceed_tolerated_failure_threshold(threshold: dict[str, Any]) -> None:
    # 1 of 4 items (25%) fails; with both fields the Map fails when either is exceeded.
    execution = distributed(PROCESSOR_FAILING, **threshold).run(FAILING_ITEMS)
    assert (execution.status, execution.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_the_threshold_error_can_be_caught() -> None:
    definition = {"StartAt": "Map", "States": {
        "Map": {"Type": "Map", "ItemProcessor": PROCESSOR_FAILING, "Next": "After",
                "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True}, "After": {"Type": "Succeed"}}}
    execution = StateMachine.from_dict(definition).run(FAILING_ITEMS)
    assert execution.status == "SUCCEEDED"
    assert execution.output["Error"] == "States.ExceedToleratedFailureThreshold"
    assert execution.path == ["Map", "Caught"]


# -- ItemReader -----------------------------------------------------------------------------------
def test_csv_with_another_delimiter() -> None:
    body = "Col1|Col2\nValue1|Value2\nValue3|\n"
    execution = distributed(ItemReader=reader(InputType="CSV", CSVHeaderLocation="FIRST_ROW", CSVDelimiter="PIPE")).run(
        {"bucket": "b", "key": "k.csv"}, s3_objects={("b", "k.csv"): body})
    assert execution.output == [{"Col1": "Value1", "Col2": "Value2"}, {"Col1": "Value3", "Col2": ""}]


def test_jsonl_gives_one_item_per_line() -> None:
    body = "".join(json.dumps(v) + "\n" for v in VERDICTS)
    execution = distributed(ItemReader=reader(InputType="JSONL", MaxItems=2)).run(
        {"bucket": "b", "key": "k.jsonl"}, s3_objects={("b", "k.jsonl"): body})
    assert execution.output == VERDICTS[:2]


def test_list_objects_v2_lists_the_prefix_in_key_order() -> None:
    item_reader = {"Resource": "arn:aws:states:::s3:listObjectsV2",
                   "Parameters": {"Bucket": "b", "Prefix": "in/"}}
    objects = {("b", "in/2.txt"): "22", ("b", "in/1.txt"): "1", ("b", "other.txt"): "x"}
    execution = distributed(ItemReader=item_reader).run({}, s3_objects=objects)
    assert [(o["Key"], o["Size"], o["StorageClass"]) for o in execution.output] == [
        ("in/1.txt", 1, "STANDARD"), ("in/2.txt", 2, "STANDARD")]


def test_load_and_flatten_reads_every_listed_object() -> None:
    # Transformation is not in the validator's field list yet: compile without it.
    item_reader = {"Resource": "arn:aws:states:::s3:listObjectsV2",
                   "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"},
                   "Parameters": {"Bucket": "b", "Prefix": "in/"}}
    definition = {"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "ItemProcessor": PROCESSOR_PASS, "End": True, "ItemReader": item_reader}}}
    objects = {("b", "in/1.json"): json.dumps(VERDICTS[:2]), ("b", "in/2.json"): json.dumps(VERDICTS[2:])}
    assert StateMachine.from_dict(definition).run({}, s3_objects=objects).output == VERDICTS


@pytest.mark.parametrize("objects", [{}, {("b", "other.json"): "[]"}], ids=["no-bucket", "no-key"])
def test_a_missing_object_fails_with_item_reader_failed(objects: dict[tuple[str, str], str]) -> None:
    execution = distributed(ItemReader=reader(InputType="JSON")).run({"bucket": "b", "key": "k.json"}, s3_objects=objects)
    assert (execution.status, execution.error) == ("FAILED", "States.ItemReaderFailed")
    assert event_types(execution)[3:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_a_json_object_dataset_gives_key_value_items() -> None:
    # An object found through ItemsPointer; a file that *is* an object fails on AWS (recorded:
    # "Attempting to map over non-iterable node.", see tests/engine/test_item_reader_checks.py).
    selector = {"key.$": "$$.Map.Item.Key", "index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"}
    body = json.dumps({"rows": {"a": {"x": 1}, "b": {"x": 2}}})
    plain = StateMachine.from_dict({"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "ItemProcessor": PROCESSOR_PASS, "End": True,
        "ItemReader": reader(InputType="JSON", ItemsPointer="/rows")}}}).run(
        {"bucket": "b", "key": "k"}, s3_objects={("b", "k"): body})
    assert plain.output == [{"Key": "a", "Value": {"x": 1}}, {"Key": "b", "Value": {"x": 2}}]
    selected = StateMachine.from_dict({"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "ItemProcessor": PROCESSOR_PASS, "End": True, "ItemSelector": selector,
        "ItemReader": reader(InputType="JSON", ItemsPointer="/rows")}}}).run(
        {"bucket": "b", "key": "k"}, s3_objects={("b", "k"): body})
    assert selected.output == [{"key": "a", "index": 0, "value": {"x": 1}}, {"key": "b", "index": 1, "value": {"x": 2}}]


def test_a_json_object_dataset_gives_the_key_to_a_jsonata_item_selector_too() -> None:
    state = {"Type": "Map", "QueryLanguage": "JSONata", "ItemProcessor": PROCESSOR_PASS, "End": True,
             "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                            "ReaderConfig": {"InputType": "JSON", "ItemsPointer": "/rows"},
                            "Arguments": {"Bucket": "b", "Key": "k"}},
             "ItemSelector": {"key": "{% $states.context.Map.Item.Key %}",
                              "x": "{% $states.context.Map.Item.Value.x %}"}}
    machine = StateMachine.from_dict({"StartAt": "Map", "States": {"Map": state}})
    execution = machine.run({}, s3_objects={("b", "k"): json.dumps({"rows": {"a": {"x": 1}, "b": {"x": 2}}})})
    assert execution.output == [{"key": "a", "x": 1}, {"key": "b", "x": 2}]


def test_items_pointer_selects_a_nested_node() -> None:
    # ItemsPointer is not in the validator's field list yet: compile without it.
    definition = {"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "ItemProcessor": PROCESSOR_PASS, "End": True,
        "ItemReader": reader(InputType="JSON", ItemsPointer="/records")}}}
    machine = StateMachine.from_dict(definition)
    found = machine.run({"bucket": "b", "key": "k"}, s3_objects={("b", "k"): json.dumps({"records": VERDICTS})})
    assert found.output == VERDICTS
    missing = machine.run({"bucket": "b", "key": "k"}, s3_objects={("b", "k"): json.dumps({"other": []})})
    assert missing.error == "States.ItemReaderFailed"
    # Like every recorded States.ItemReaderFailed cause, without the state prefix.
    assert missing.cause == "The provided ReaderConfig.ItemsPointer does not match any valid path in the JSON structure."


def test_item_reader_on_an_inline_map_is_a_runtime_error() -> None:
    definition = {"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        "ItemReader": reader(InputType="JSON"), "End": True}}}
    execution = StateMachine.from_dict(definition).run({"bucket": "b", "key": "k"}, s3_objects={("b", "k"): "[1]"})
    assert execution.error == "States.Runtime"
    assert execution.cause.endswith("The ItemReader, ItemBatcher and ResultWriter fields are not supported for INLINE maps")


def test_an_unsupported_input_type_is_a_clear_error() -> None:
    definition = {"StartAt": "Map", "States": {"Map": {
        "Type": "Map", "ItemProcessor": PROCESSOR_PASS, "End": True, "ItemReader": reader(InputType="PARQUET")}}}
    with pytest.raises(UnsupportedFeatureError, match="Map state 'Map' ItemReader: ReaderConfig InputType 'PARQUET'"):
        StateMachine.from_dict(definition)


# -- ItemBatcher ----------------------------------------------------------------------------------
def test_item_batcher_groups_items_as_documented() -> None:
    execution = distributed(ItemBatcher={"MaxItemsPerBatch": 2}).run(VERDICTS)
    assert execution.output == [{"Items": VERDICTS[:2]}, {"Items": VERDICTS[2:]}]


def test_batch_input_and_max_input_bytes() -> None:
    # Each batch input is {"BatchInput": {"job": "j-1"}, "Items": [...]}; leave room for one item only.
    one_item_bytes = max(len(json.dumps({"BatchInput": {"job": "j-1"}, "Items": [v]}, separators=(",", ":")))
                         for v in VERDICTS)
    batcher = {"MaxInputBytesPerBatchPath": "$.bytes", "BatchInput": {"job.$": "$.job"}}
    execution = distributed(ItemBatcher=batcher, ItemsPath="$.items").run(
        {"items": VERDICTS, "job": "j-1", "bytes": one_item_bytes + 20})
    assert execution.output == [{"BatchInput": {"job": "j-1"}, "Items": [item]} for item in VERDICTS]


def test_a_failed_batch_counts_all_its_items() -> None:
    processor = {**PROCESSOR_FAILING, "States": {**PROCESSOR_FAILING["States"], "Check": {
        "Type": "Choice", "Choices": [{"Variable": "$.Items[0].fail", "BooleanEquals": True, "Next": "Boom"}],
        "Default": "Done"}}}
    items = [{"fail": True}, {"fail": False}, {"fail": False}, {"fail": False}]
    # One failed batch of two items out of four is 50%.
    tolerated = distributed(processor, ItemBatcher={"MaxItemsPerBatch": 2}, ToleratedFailurePercentage=50).run(items)
    assert tolerated.status == "SUCCEEDED"
    exceeded = distributed(processor, ItemBatcher={"MaxItemsPerBatch": 2}, ToleratedFailureCount=1).run(items)
    assert exceeded.error == "States.ExceedToleratedFailureThreshold"


def test_a_bad_max_items_per_batch_path_is_a_runtime_error() -> None:
    execution = distributed(ItemBatcher={"MaxItemsPerBatchPath": "$.n"}, ItemsPath="$.items").run(
        {"items": [1], "n": "many"})
    assert execution.error == "States.Runtime"
    assert "MaxItemsPerBatchPath" in execution.cause and "$.n" in execution.cause


# -- ResultWriter ---------------------------------------------------------------------------------
def test_result_writer_exports_to_s3_and_returns_the_details() -> None:
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "csvProcessJobs"}}
    execution = distributed(PROCESSOR_FAILING, ResultWriter=writer, ToleratedFailureCount=1).run(FAILING_ITEMS)
    assert execution.status == "SUCCEEDED"
    output = execution.output
    run_id = output["MapRunArn"].rsplit(":", 1)[1]
    assert output["ResultWriterDetails"] == {"Bucket": "out", "Key": f"csvProcessJobs/{run_id}/manifest.json"}
    objects = s3_of(execution)
    manifest = json.loads(objects[("out", f"csvProcessJobs/{run_id}/manifest.json")])
    assert manifest["DestinationBucket"] == "out" and manifest["MapRunArn"] == output["MapRunArn"]
    assert manifest["ResultFiles"]["PENDING"] == []
    [succeeded] = manifest["ResultFiles"]["SUCCEEDED"]
    [failed] = manifest["ResultFiles"]["FAILED"]
    assert succeeded["Key"] == f"csvProcessJobs/{run_id}/SUCCEEDED_0.json"
    records = json.loads(objects[("out", succeeded["Key"])])
    assert succeeded["Size"] == len(objects[("out", succeeded["Key"])].encode())
    # NONE (the default when exporting): each child's output unchanged plus its metadata.
    assert [(r["Status"], json.loads(r["Output"])) for r in records] == [("SUCCEEDED", {"fail": False})] * 3
    [failure] = json.loads(objects[("out", failed["Key"])])
    assert (failure["Status"], failure["Error"], failure["Cause"]) == ("FAILED", "Boom", "bad item")


@pytest.mark.parametrize(("transformation", "expected"), [
    ("COMPACT", [[1, 2], [3]]),
    ("FLATTEN", [1, 2, 3]),
])
def test_writer_config_shapes_the_output(transformation: str, expected: list[Any]) -> None:
    writer = {"WriterConfig": {"Transformation": transformation, "OutputType": "JSON"}}
    execution = distributed(ResultWriter=writer).run([[1, 2], [3]])
    assert execution.output == expected
