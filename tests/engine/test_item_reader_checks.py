"""Distributed Map input checks, with AWS's recorded error names, cause texts and events.

Values from AWS recordings in LocalStack's test_base_scenarios snapshots (the source of the
conformance corpus): duplicate CSV headers, a JSON file that is an object, a negative
MaxItemsPath, a negative ToleratedFailureCountPath and a JSONata Items that yields a function.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfnsim import StateMachine

PASS_ITEM = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
             "StartAt": "PassItem", "States": {"PassItem": {"Type": "Pass", "End": True}}}
READER_FAILED_EVENTS = ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunFailed",
                        "MapStateFailed", "ExecutionFailed"]


def _reader_machine(config: dict[str, Any]) -> StateMachine:
    return StateMachine.from_dict({"StartAt": "MapState", "States": {"MapState": {
        "Type": "Map", "MaxConcurrency": 1, "ItemProcessor": PASS_ITEM, "End": True,
        "ItemReader": {"ReaderConfig": config, "Resource": "arn:aws:states:::s3:getObject",
                       "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}}}}})


@pytest.mark.parametrize("config, key, body, extra_input, cause", [
    ({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1", "H1"]}, "file.csv",
     "Value1,Value2\n", {}, "CSV headers cannot contain duplicates."),
    ({"InputType": "JSON"}, "file.json", json.dumps({"Hello": "world"}), {},
     "Attempting to map over non-iterable node."),
    ({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.MaxItems"}, "file.csv",
     "Col1,Col2\nValue1,Value2\n", {"MaxItems": -1}, "field MaxItems must be positive"),
], ids=["duplicate-csv-headers", "json-object-file", "negative-max-items-path"])
def test_bad_reader_input_fails_the_map_run_with_item_reader_failed(config, key, body, extra_input, cause):
    ex = _reader_machine(config).run({"Bucket": "bucket-name", "Key": key, **extra_input},
                                     s3_objects={("bucket-name", key): body})
    assert (ex.status, ex.error, ex.cause) == ("FAILED", "States.ItemReaderFailed", cause)
    assert [event["type"] for event in ex.history] == READER_FAILED_EVENTS
    assert ex.history[4]["mapRunFailedEventDetails"] == {"error": "States.ItemReaderFailed", "cause": cause}


def test_a_negative_tolerated_failure_count_path_is_a_runtime_error():
    sm = StateMachine.from_dict({"StartAt": "MapState", "States": {"MapState": {
        "Type": "Map", "ItemsPath": "$.Items", "MaxConcurrency": 1, "End": True,
        "ToleratedFailureCountPath": "$.ToleratedFailureCount", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": True}}}}}})
    ex = sm.run({"Items": [0], "ToleratedFailureCount": -1})
    assert (ex.status, ex.error) == ("FAILED", "States.Runtime")
    assert ex.cause == ("An error occurred while executing the state 'MapState' (entered at the event id #2). "
                        "ToleratedFailureCount cannot be negative.")
    assert [event["type"] for event in ex.history] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted",
                                                       "ExecutionFailed"]


def test_jsonata_items_that_give_a_function_are_an_unsupported_result_type():
    sm = StateMachine.from_dict({"QueryLanguage": "JSONata", "StartAt": "MapIterateState", "States": {
        "MapIterateState": {"Type": "Map", "MaxConcurrency": 1, "Items": "{% $fn := function($x){$x} %}", "End": True,
                            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Pass",
                                              "States": {"Pass": {"Type": "Pass", "End": True}}}}}})
    ex = sm.run({})
    assert (ex.status, ex.error) == ("FAILED", "States.QueryEvaluationError")
    assert ex.cause == ("An error occurred while executing the state 'MapIterateState' (entered at the event id #2). "
                        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned "
                        "an unsupported result type.")
    assert [event["type"] for event in ex.history] == ["ExecutionStarted", "MapStateEntered", "EvaluationFailed",
                                                       "MapStateFailed", "ExecutionFailed"]
