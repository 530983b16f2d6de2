"""Where other validators disagree with AWS, sfnsim follows AWS (sources in asl/validation.py and
asl/resources.py comments). Each case is a record of ../shared/corpora/validation.jsonl whose
suite verdict comes from asl-validator, not from AWS."""

from __future__ import annotations

import pytest
from corpus import jsonl_records as records

from sfnsim.asl import parse_text, validate_definition

# record id -> (AWS's verdict, a phrase of sfnsim's message when it refuses)
AWS_VERDICTS = {
    # variable names follow Unicode identifier rules (AWS's variables page): no hyphen
    "ChristopheBougere/asl-validator:valid-assign.asl.json": (False, "'top-level' is not a valid variable name"),
    # AWS's recorded ValidateStateMachineDefinition answer refuses a JSONPath state in a JSONata machine
    "ChristopheBougere/asl-validator:valid-map-with-item-batcher-jsonata.json": (
        False, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"),
    # Jayway JsonPath (AWS's) has no script expressions
    "ChristopheBougere/asl-validator:valid-path-array-context.json": (False, "is not a valid JSONPath"),
    # AWS has no arn:aws:swf integration: "The resource provided ... is not recognized"
    "ChristopheBougere/asl-validator:valid-task-parameters.json": (False, "is not recognized"),
    # "10 %}" does not open with "{%": a plain string value, not a JSONata expression
    "ChristopheBougere/asl-validator:invalid-jsonata-surround-syntax-no-open.json": (True, ""),
}


def _record(record_id: str) -> dict:
    for record in records("corpora", "validation.jsonl"):
        if record["id"] == record_id:
            return record
    pytest.fail(f"{record_id} is not in validation.jsonl")


@pytest.mark.parametrize("record_id", sorted(AWS_VERDICTS))
def test_sfnsim_gives_aws_verdict_where_asl_validator_differs(record_id: str) -> None:
    record = _record(record_id)
    expected_valid, phrase = AWS_VERDICTS[record_id]
    assert record["valid"] is not expected_valid  # the record states the other validator's verdict
    data, locator = parse_text(record["raw"])
    found = validate_definition(data, locator=locator)
    assert (not found) is expected_valid, [str(p) for p in found]
    if phrase:
        assert any(phrase in problem.message for problem in found), [str(p) for p in found]
