"""The loader and validator measured on real definitions (/work/shared, next to the repository).

* every deployed workflow of the public corpus loads (AWS accepted them);
* every definition AWS ran in the conformance corpus loads;
* the validator agrees with the recorded verdicts of validation.jsonl, at or above a ratchet.
"""

from __future__ import annotations

import collections
from typing import Any

from corpus import jsonl_records as records

from sfnsim.asl import load_definition, parse_text, validate_definition
from sfnsim.errors import DefinitionError

# Corpus definitions that AWS cannot have accepted as they are written; each one is checked to
# still fail, so this list cannot hide a regression.
KNOWN_INVALID_WORKFLOWS = {
    # "QueryLanguage": "JSONata" was put inside States (as if it were a state), so the machine is
    # JSONPath and its JSONata fields (Arguments, Output) are not allowed.
    "aws-samples/step-functions-workflows-collection:shared-fallback-state-jsonata/statemachine/statemachine.asl.json",
    "aws-samples/step-functions-workflows-collection:shared-fallback-state-jsonata/template.yaml#StateMachine",
}

# Records where the source's verdict is known to differ from AWS's: the source itself says so.
AWS_WOULD_REJECT = "AWS would reject"

# Ratchet: the number of records whose verdict the validator reproduces, by verdict confidence.
# Raise these when agreement improves; never lower them to make a change pass.
AGREEMENT_FLOOR = {"aws-recorded": 15, "inferred": 106, "suite": 98}


def _problems(definition: Any, machine_type: str | None) -> list[str]:
    try:
        load_definition(definition, state_machine_type=machine_type)
    except DefinitionError as error:
        return [str(p) for p in error.problems]
    return []


def test_every_deployed_workflow_loads() -> None:
    failures: dict[str, list[str]] = {}
    still_invalid = set()
    count = 0
    for record in records("corpora", "workflows.jsonl"):
        if record.get("definition") is None:
            continue
        count += 1
        found = _problems(record["definition"], record.get("state_machine_type"))
        if record["id"] in KNOWN_INVALID_WORKFLOWS:
            if found:
                still_invalid.add(record["id"])
        elif found:
            failures[record["id"]] = found[:3]
    assert count > 100
    assert failures == {}
    assert still_invalid == KNOWN_INVALID_WORKFLOWS, "known-invalid records now load: update the list"


def test_every_conformance_definition_loads() -> None:
    failures = {}
    for case in records("conformance", "cases.jsonl"):
        found = _problems(case["definition"], case.get("state_machine_type"))
        if found:
            failures[case["id"]] = found[:3]
    assert failures == {}


def _verdict(record: dict[str, Any]) -> bool:
    try:
        data, locator = parse_text(record["raw"])
    except DefinitionError:
        return False
    return not validate_definition(data, locator=locator, state_machine_type=record.get("state_machine_type"))


def _expected(record: dict[str, Any]) -> bool:
    caveats = " ".join(record.get("verdict_caveats") or [])
    return False if AWS_WOULD_REJECT in caveats else bool(record["valid"])


def test_validation_verdicts_agree_at_or_above_the_ratchet() -> None:
    agree: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    disagreements = []
    for record in records("corpora", "validation.jsonl"):
        confidence = record["verdict_confidence"]
        total[confidence] += 1
        if _verdict(record) == _expected(record):
            agree[confidence] += 1
        else:
            disagreements.append((confidence, record["id"]))
    report = {c: f"{agree[c]}/{total[c]}" for c in total}
    # every verdict AWS itself returned is reproduced
    assert agree["aws-recorded"] == total["aws-recorded"], (report, disagreements)
    for confidence, floor in AGREEMENT_FLOOR.items():
        assert agree[confidence] >= floor, (report, disagreements)
