"""The fast shape check (sfnsim.asl.shape) may only vouch for definitions the pydantic models accept.

* its tables name the same fields as the models, with the same required ones;
* soundness: whenever it says "certainly well shaped", the models accept the definition, over
  every definition of the shared corpora and the fixtures, and over hypothesis-mutated copies of
  them (fixed seed);
* it vouches for nearly every valid definition (else validation would gain nothing from it).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pydantic
import pytest
from corpus import jsonl_records
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from pydantic.alias_generators import to_pascal

from sfnsim.asl import load_definition, models, parse_text, shape
from sfnsim.asl.shape import certainly_well_shaped
from sfnsim.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[2]

# Each table of the fast check and the model it stands for.
PAIRS = [
    (shape.STATE_MACHINE, models.StateMachine), (shape.BRANCH, models.Branch), (shape.PROCESSOR, models.Processor),
    (shape.PROCESSOR_CONFIG, models.ProcessorConfig), (shape.RETRIER, models.Retrier),
    (shape.CATCHER, models.Catcher), (shape.CHOICE_RULE, models.ChoiceRule), (shape.ITEM_READER, models.ItemReader),
    (shape.READER_CONFIG, models.ReaderConfig), (shape.ITEM_BATCHER, models.ItemBatcher),
    (shape.RESULT_WRITER, models.ResultWriter), (shape.WRITER_CONFIG, models.WriterConfig),
    *((shape.STATE_PARTS[name], model) for name, model in models.STATE_MODELS.items()),
]


def models_accept(definition: Any) -> bool:
    try:
        models.StateMachine.model_validate(definition)
    except pydantic.ValidationError:
        return False
    return True


def _fields(model: type[pydantic.BaseModel]) -> tuple[set[str], set[str]]:
    # Fields typed by a forward reference keep no alias in model_fields; the generator gives it.
    names = {name: field.alias or to_pascal(name) for name, field in model.model_fields.items()}
    return set(names.values()), {names[name] for name, field in model.model_fields.items() if field.is_required()}


def test_the_tables_name_the_fields_of_the_models() -> None:
    assert list(shape.STATE_PARTS) == list(models.STATE_MODELS)
    for part, model in PAIRS:
        assert (set(part.fields), set(part.required)) == _fields(model), model.__name__


# --------------------------------------------------------------------------------------------
# The definitions: fixtures and the shared corpora (CI=true fails when a corpus is missing)


def _parsed(text: str, source: str | None = None) -> Any:
    try:
        return parse_text(text, source=source)[0]
    except DefinitionError:
        return None


@functools.cache
def fixture_definitions() -> tuple[Any, ...]:
    paths = [*ROOT.joinpath("fixtures").rglob("*.asl.*"), *ROOT.joinpath("examples").rglob("*.asl.*")]
    found = (_parsed(path.read_text(encoding="utf-8"), str(path)) for path in sorted(paths))
    return tuple(data for data in found if isinstance(data, dict))


def corpus_definitions() -> list[Any]:
    found: list[Any] = []
    for record in jsonl_records("corpora", "workflows.jsonl"):
        found.append(record.get("definition"))
    for record in jsonl_records("corpora", "validation.jsonl"):
        found += [record.get("definition"), _parsed(record["raw"]) if record.get("raw") else None]
    for case in jsonl_records("conformance", "cases.jsonl"):
        definition = case["definition"]
        found.append(_parsed(definition) if isinstance(definition, str) else definition)
    return [data for data in found if isinstance(data, dict)]


def test_it_vouches_only_for_what_the_models_accept_and_for_nearly_every_valid_definition() -> None:
    definitions = [*fixture_definitions(), *corpus_definitions()]
    vouched = [d for d in definitions if certainly_well_shaped(d)]
    assert [d for d in vouched if not models_accept(d)] == []
    accepted = [d for d in definitions if models_accept(d)]
    assert len(definitions) > 900 and len(accepted) > 800
    # Left to the models today: a CloudFormation intrinsic as a Task's Resource.
    assert len(vouched) >= 0.97 * len(accepted), f"{len(vouched)} of {len(accepted)} valid definitions"


def test_a_definition_it_cannot_vouch_for_is_still_checked_by_the_models() -> None:
    intrinsic = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": {"Fn::GetAtt": ["F", "Arn"]},
                                                   "End": True}}}
    assert not certainly_well_shaped(intrinsic) and models_accept(intrinsic)
    load_definition(intrinsic)  # valid: the models said so
    wrong = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": "5", "End": True}}}
    with pytest.raises(DefinitionError, match="Seconds must be an integer from 0 to 99999999, got '5'"):
        load_definition(wrong)


def test_deep_nesting_is_left_to_the_models() -> None:
    rule: dict[str, Any] = {"Variable": "$.x", "IsPresent": True, "Next": "E"}
    for _ in range(2000):
        rule = {"Not": rule}
    definition = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [dict(rule, Next="E")]},
                                              "E": {"Type": "Succeed"}}}
    assert certainly_well_shaped(definition) is False


# --------------------------------------------------------------------------------------------
# Every field of every part, set to each of many values

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"
# A valid definition holding every part of the language once; PLACES says where each part is.
EVERY_PART = {
    "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA, "Retry": [{"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}], "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "W"}], "Default": "W"},
        "W": {"Type": "Wait", "Seconds": 1, "Next": "Par"},
        "Par": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}], "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "I",
                                               "States": {"I": {"Type": "Succeed"}}},
              "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV"}},
              "ItemBatcher": {"MaxItemsPerBatch": 2},
              "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "WriterConfig": {"OutputType": "JSON"}},
              "Next": "S"},
        "S": {"Type": "Succeed"}, "F": {"Type": "Fail"},
    },
}
PLACES = [
    (shape.STATE_MACHINE, ()), (shape.RETRIER, ("States", "T", "Retry", 0)),
    (shape.CATCHER, ("States", "T", "Catch", 0)), (shape.CHOICE_RULE, ("States", "C", "Choices", 0)),
    (shape.BRANCH, ("States", "Par", "Branches", 0)), (shape.PROCESSOR, ("States", "M", "ItemProcessor")),
    (shape.PROCESSOR_CONFIG, ("States", "M", "ItemProcessor", "ProcessorConfig")),
    (shape.ITEM_READER, ("States", "M", "ItemReader")), (shape.READER_CONFIG, ("States", "M", "ItemReader", "ReaderConfig")),
    (shape.ITEM_BATCHER, ("States", "M", "ItemBatcher")), (shape.RESULT_WRITER, ("States", "M", "ResultWriter")),
    (shape.WRITER_CONFIG, ("States", "M", "ResultWriter", "WriterConfig")),
    *((shape.STATE_PARTS[t], ("States", name)) for name, t in [("P", "Pass"), ("T", "Task"), ("C", "Choice"),
      ("W", "Wait"), ("Par", "Parallel"), ("M", "Map"), ("S", "Succeed"), ("F", "Fail")]),
]
# The edges of every numeric range the models have, and values of every JSON type.
EDGES = [0, 1, -1, 0.5, 1.0, 100, 100.5, 101, 262_144, 262_145, 31_622_400, 31_622_401, 99_999_999, 100_000_000,
         100_000_001, "{% 1 %}", "{%", "FULL", "NONE", "GIVEN", "PIPE", "CSV", "JSONL", "COMPACT", "EXPRESS",
         ["a", 1], {"a": 1, "b": [2]}]


def test_every_field_of_every_part_with_hostile_values() -> None:
    assert {id(part) for part, _ in PLACES} == {id(part) for part, _ in PAIRS}
    assert models_accept(EVERY_PART) and certainly_well_shaped(EVERY_PART)
    wrongly_vouched = []
    for part, place in PLACES:
        for name in [*part.fields, "Unknown", "comment"]:
            for value in [*HOSTILE, *EDGES, "delete"]:
                definition = copy.deepcopy(EVERY_PART)
                node: Any = definition
                for step in place:
                    node = node[step]
                if value == "delete":
                    node.pop(name, None)
                else:
                    node[name] = copy.deepcopy(value)
                if certainly_well_shaped(definition) and not models_accept(definition):
                    wrongly_vouched.append((place, name, value))
    assert wrongly_vouched == []


# --------------------------------------------------------------------------------------------
# Mutated definitions

HOSTILE = [None, True, False, 0, -1, 1, 1.5, 2 ** 63, float("inf"), float("nan"), "", "x", "$.x", "{% $x %}",
           "INLINE", "JSONata", "States.ALL", [], ["States.ALL"], [1], {}, {"x": 1}, {"Fn::GetAtt": ["F", "Arn"]},
           {"StartAt": "A", "States": {}}, {"Type": "Pass", "End": True}]
NAMES = ["Type", "Next", "End", "Resource", "Choices", "Branches", "Seconds", "ItemProcessor", "ErrorEquals",
         "Unknown", "type", "StartAt", "States", "QueryLanguage", "Mode", "Not", "And"]


def _places(node: Any) -> list[tuple[Any, Any]]:
    """(container, key) for every value below ``node``."""
    found = []
    todo = [node]
    while todo:
        current = todo.pop()
        items = current.items() if isinstance(current, dict) else enumerate(current) if isinstance(current, list) else ()
        for key, child in items:
            found.append((current, key))
            todo.append(child)
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    base = fixture_definitions() + tuple(mutation_bases())
    definition = copy.deepcopy(draw(st.sampled_from(base)))
    for _ in range(draw(st.integers(1, 3))):
        places = _places(definition)
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        operation = draw(st.sampled_from(["replace", "delete", "add", "wrap"]))
        if operation == "replace":
            container[key] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        elif operation == "delete":
            del container[key]
        elif operation == "add" and isinstance(container, dict):
            container[draw(st.sampled_from(NAMES))] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        elif operation == "wrap":
            container[key] = [container[key]]
    return definition


@functools.cache
def mutation_bases() -> tuple[Any, ...]:
    # Small corpus definitions: mutations of them reach every part in few steps.
    return tuple(d for d in corpus_definitions() if len(repr(d)) < 3000)


@pytest.fixture(scope="module", autouse=True)
def _corpus_present() -> None:
    mutation_bases()  # skips (or fails under CI=true) when the corpus is missing, before hypothesis runs


@seed(14)
@settings(max_examples=600, deadline=None, database=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(definition=mutated())
def test_on_mutated_definitions_it_vouches_only_for_what_the_models_accept(definition: Any) -> None:
    if certainly_well_shaped(definition):
        assert models_accept(definition)
