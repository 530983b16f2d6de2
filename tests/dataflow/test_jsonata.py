"""JSONata as Step Functions evaluates it: AWS's functions, undefined vs null, AWS's cause texts.

Expected values come from the AWS documentation (the JSONata page and the equivalent intrinsic
functions), the JSONata / JavaScript specifications, or executions recorded against AWS
(/work/shared/conformance/cases.jsonl).
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from corpus import conformance_cases, conformance_cases_for_collection, jsonl_records

from sfnsim.dataflow.jsonata import (
    UNDEFINED,
    JsonataEvaluationError,
    JsonataSyntaxError,
    compile_expression,
    compile_template,
    is_jsonata_expression,
    java_random_double,
)
from sfnsim.errors import StatesError

NOW = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
STATE_PREFIX = re.compile(r"^An error occurred while executing the state '[^']+' \(entered at the event id #\d+\)\. ")


def evaluate(text: str, input_: Any = None, variables: dict[str, Any] | None = None, seed: int = 1) -> Any:
    states = {"input": {} if input_ is None else input_, "context": {}}
    return compile_expression(text).evaluate(states, variables or {}, random.Random(seed), NOW)


def error_of(text: str, **kwargs: Any) -> JsonataEvaluationError:
    with pytest.raises(JsonataEvaluationError) as caught:
        evaluate(text, **kwargs)
    return caught.value


# --- what is an expression ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% $states.input.title %}", True),  # the docs' own example
        ("{%$states.input%}", True),
        ("$customerName", False),  # "not-evaluated" in the docs' conversion sample
        (" {% 1 %}", False),  # AWS: the string must start with {% and end with %}
        ("{% 1 %} ", False),
        ("Hello {% $x %}", False),  # no interpolation
        ("{% 1", False),
        ({"a": "{% 1 %}"}, False),
        (1, False),
        (None, False),
    ],
)
def test_is_jsonata_expression(value: Any, expected: bool) -> None:
    assert is_jsonata_expression(value) is expected


# --- the functions AWS adds ----------------------------------------------------------------------


def test_partition_matches_the_documented_array_partition_example() -> None:
    # $partition is documented as the JSONata form of States.ArrayPartition, whose docs example
    # chunks [1..9] by 4 into [[1,2,3,4],[5,6,7,8],[9]].
    assert evaluate("$partition($states.input.inputArray, 4)", {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}) == [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9],
    ]


def partition_cases() -> Iterator[tuple[dict[str, Any], Any, Any]]:
    for case in conformance_cases():
        if "JSONata:$partition" in case["features"] and case["expected"]["status"] == "SUCCEEDED":
            yield case["definition"], case["input"], case["expected"]["output"]


def test_partition_reproduces_every_recorded_execution() -> None:
    cases = list(partition_cases())
    assert cases, "the corpus has recorded $partition executions"
    for definition, input_, expected in cases:
        (state,) = definition["States"].values()
        template = compile_template(state["Output"], "Output")
        assert template.evaluate({"input": input_, "context": {}}, {}, random.Random(0), NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$range(0, 10, 2)", [0, 2, 4, 6, 8, 10]),  # the docs' $range example
        ("$range(1, 10, 2)", [1, 3, 5, 7, 9]),  # States.ArrayRange(1, 10, 2) as recorded on AWS
    ],
)
def test_range(text: str, expected: list[int]) -> None:
    assert evaluate(text) == expected


def test_hash_equals_the_recorded_states_hash() -> None:
    # Recorded on AWS: States.Hash('Hash this string', 'SHA-256'), which $hash replaces.
    assert evaluate("$hash($states.input.s, 'SHA-256')", {"s": "Hash this string"}) == (
        "1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e"
    )


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [  # test vectors of RFC 1321 and FIPS 180 for "abc"
        ("MD5", "900150983cd24fb0d6963f7d28e17f72"),
        ("SHA-1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("SHA-256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "SHA-384",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            "SHA-512",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
            "454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ],
)
def test_hash_supports_the_documented_algorithms(algorithm: str, digest: str) -> None:
    assert evaluate(f"$hash('abc', '{algorithm}')") == digest


def test_hash_rejects_an_unsupported_algorithm() -> None:
    error = error_of("$hash('abc', 'SHA3-256')")
    assert error.code == "D3137"
    assert "SHA3-256" in error.message


def test_random_without_seed_draws_from_the_execution_generator() -> None:
    first = evaluate("[$random(), $random()]", seed=7)
    assert all(0 <= value < 1 for value in first)
    assert first[0] != first[1]
    assert evaluate("[$random(), $random()]", seed=7) == first  # reproducible from the seed


def test_random_with_seed_is_the_same_whatever_the_execution_generator() -> None:
    # Documented: "the same seed always produces the same random number".
    values = {evaluate("$random($states.input.seed)", {"seed": 1234}, seed=s) for s in range(5)}
    assert len(values) == 1
    assert 0 <= values.pop() < 1


def test_java_random_double_follows_the_java_specification() -> None:
    # new java.util.Random(42).nextDouble() and new Random(0).nextDouble(), per the LCG that the
    # java.util.Random documentation specifies.
    assert java_random_double(42) == 0.7275636800328681
    assert java_random_double(0) == 0.730967787376657


def test_uuid_is_a_version_4_uuid_from_the_execution_generator() -> None:
    first = evaluate("$uuid()", seed=3)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert evaluate("$uuid()", seed=3) == first
    assert evaluate("$uuid() = $uuid()") is False


def test_shuffle_is_reproducible_from_the_execution_generator() -> None:
    assert evaluate("$shuffle([1,2,3,4,5,6,7,8])", seed=5) == evaluate("$shuffle([1,2,3,4,5,6,7,8])", seed=5)
    assert sorted(evaluate("$shuffle([1,2,3,4,5,6,7,8])", seed=5)) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_parse_deserialises_json_text() -> None:
    # Same input as the recorded States.StringToJson('{"key":"value"}').
    assert evaluate("$parse($states.input.jsonString)", {"jsonString": '{"key":"value"}'}) == {"key": "value"}


def test_parse_of_null_text_is_null_not_undefined() -> None:
    assert evaluate("$parse('null')") is None
    assert evaluate("$type($parse('null'))") == "null"


def test_parse_rejects_text_that_is_not_json() -> None:
    assert error_of("$parse('{a: 1}')").code == "D3137"


def test_eval_is_not_available() -> None:
    # Documented: "$eval is not available - use $parse instead". Calling a name that is not a
    # function is JSONata's T1006 (the corpus shows the same text for an unknown $randomSeeded).
    error = error_of("$eval('1 + 1')")
    assert (error.code, error.message) == ("T1006", "Attempted to invoke a non-function")


@pytest.mark.parametrize("text", ["$states.input.a ?? 0", "$states.input.a ?: 0"])
def test_operators_newer_than_jsonata_2_0_6_are_rejected(text: str) -> None:
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_expression(text)
    assert caught.value.code == "S0211"


def test_newer_operator_characters_inside_literals_are_fine() -> None:
    assert evaluate("'a ?? b' & \"?:\"") == "a ?? b?:"
    assert evaluate("$contains('ab', /ab??/)") is True


def test_now_and_millis_read_the_virtual_clock() -> None:
    assert evaluate("$now()") == "2024-01-02T03:04:05.678Z"
    assert evaluate("$millis()") == 1704164645678


def test_regular_expression_as_recorded() -> None:
    # Recorded: Output "{% $contains('hello$world', /^hello\\ /) %}" gave false.
    assert evaluate("$contains('hello$world', /^hello\\ /)") is False


def test_string_comparison_with_escaped_quote_as_recorded() -> None:
    # Recorded: input "\"" and Output "{% $states.input = '\"' %}" gave true.
    assert evaluate("$states.input = '\"'", '"') is True


# --- undefined, null, variables --------------------------------------------------------------------


def test_missing_field_is_undefined_and_null_is_a_value() -> None:
    assert evaluate("$states.input.missing", {"present": None}) is UNDEFINED
    assert evaluate("$states.input.present", {"present": None}) is None


def test_template_keeps_a_null_result() -> None:
    template = compile_template({"v": "{% $states.input.present %}"}, "Output")
    states = {"input": {"present": None}, "context": {}}
    assert template.evaluate(states, {}, random.Random(0), NOW) == {"v": None}


def test_variables_are_bound_by_name() -> None:
    # Recorded (BASE_EXPR): $sum($states.input.input_values) + $var_constant_1 with input
    # values [1, 2, 3] and var_constant_1 = 1 gave 7.
    result = evaluate(
        "$sum($states.input.input_values) + $var_constant_1", {"input_values": [1, 2, 3]}, {"var_constant_1": 1}
    )
    assert result == 7


def test_states_is_reserved_over_a_variable_of_that_name() -> None:
    assert evaluate("$states.input.a", {"a": 1}, {"states": {"input": {"a": 2}}}) == 1


def test_expression_reads_whole_objects_when_it_needs_them() -> None:
    data = {"b": 1, "a": {"x": 1}, "items": [{"id": 1, "n": "p"}, {"id": 2, "n": "q"}]}
    assert evaluate("$keys($states.input)", data) == ["b", "a", "items"]
    assert evaluate("$states.input.items{n: id}", data) == {"p": 1, "q": 2}
    assert evaluate("$count($states.input.items)", data) == 2
    assert evaluate("$string($v)", data, {"v": {"k": [1, None]}, "w": 5}) == '{"k":[1,null]}'


def test_functions_in_results_serialise_as_json_stringify_does() -> None:
    # JSON.stringify drops a function inside an object and writes null for one inside an array.
    assert evaluate("[1, $sum, {'a': $sum, 'b': 2}]") == [1, None, {"b": 2}]


# --- templates and cause texts ---------------------------------------------------------------------


def test_template_evaluates_nested_expressions_and_keeps_literals() -> None:
    template = compile_template(
        {"static": "Hello", "title": "{% $states.input.title %}", "name": "{% $customerName %}",
         "not-evaluated": "$customerName", "list": [1, "{% $states.input.n * 2 %}", {"deep": "{% true %}"}]},
        "Arguments",
    )
    states = {"input": {"title": "Doctor", "n": 21}, "context": {}}
    result = template.evaluate(states, {"customerName": "María"}, random.Random(0), NOW)
    # The docs' conversion sample: title "Doctor", name "María", "$customerName" left as text.
    assert result == {"static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName",
                      "list": [1, 42, {"deep": True}]}


def test_literal_parts_are_fresh_on_every_evaluation() -> None:
    template = compile_template({"fixed": {"a": [1]}, "v": "{% 1 %}"}, "Output")
    first = template.evaluate({"input": {}}, {}, random.Random(0), NOW)
    first["fixed"]["a"].append(2)
    assert template.evaluate({"input": {}}, {}, random.Random(0), NOW)["fixed"] == {"a": [1]}


def test_undefined_inside_an_array_names_the_position() -> None:
    # Object keys are joined with "/" (recorded: 'Output/result'); array positions are written
    # "[i]", as other emulators observed on AWS (the corpus has no such failure).
    template = compile_template({"items": [1, "{% $nothing %}"]}, "Output")
    with pytest.raises(StatesError) as caught:
        template.evaluate({"input": {}}, {}, random.Random(0), NOW)
    assert caught.value.cause == (
        "The JSONata expression '$nothing' specified for the field 'Output/items[1]' returned nothing (undefined)."
    )


def test_syntax_error_names_the_field() -> None:
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_template({"a": ["x", "{% 1 + %}"]}, "Output")
    error = caught.value
    assert (error.code, error.message, error.field) == ("S0207", "Unexpected end of expression", "Output/a[1]")
    assert "Output/a[1]" in str(error)


def failed_jsonata_cases(cases: list[dict[str, Any]]) -> list[Any]:
    params = []
    for case in cases:
        cause = case["expected"].get("cause")
        if case["expected"]["status"] == "FAILED" and isinstance(cause, str) and "The JSONata expression '" in cause:
            params.append(pytest.param(case, id=case["id"].split("::", 2)[-1][-70:]))
    return params


# Without the corpus this collects no case; the coverage test below reports the missing corpus.
@pytest.mark.parametrize("case", failed_jsonata_cases(conformance_cases_for_collection()))
def test_cause_texts_match_recorded_failures(case: dict[str, Any]) -> None:
    expected = case["expected"]
    state_name = re.match(r"An error occurred while executing the state '([^']+)'", expected["cause"]).group(1)
    field = re.search(r"specified for the field '([^']+)'", expected["cause"]).group(1)
    top_field = re.split(r"[/\[]", field)[0]
    states_by_name = case["definition"]["States"]
    rng = random.Random(0)
    # Variables come from the Assign of the states before the failing one (linear machines).
    variables: dict[str, Any] = {}
    for name, state in states_by_name.items():
        if name == state_name:
            break
        if "Assign" in state:
            variables.update(compile_template(state["Assign"], "Assign").evaluate(
                {"input": case["input"], "context": {}}, variables, rng, NOW))
    template = compile_template(states_by_name[state_name][top_field], top_field)
    with pytest.raises(StatesError) as caught:
        template.evaluate({"input": case["input"], "context": {}}, variables, rng, NOW,
                          expect="array" if top_field == "Items" else None)
    assert caught.value.error == expected["error"] == "States.QueryEvaluationError"
    assert caught.value.runtime is True
    assert caught.value.cause == STATE_PREFIX.sub("", expected["cause"])


def test_recorded_failures_cover_undefined_errors_and_types() -> None:
    params = failed_jsonata_cases(conformance_cases())
    causes = " ".join(param.values[0]["expected"]["cause"] for param in params)
    for fragment in ("returned nothing (undefined)", "threw an error during evaluation", "unexpected result type"):
        assert fragment in causes


# --- the corpus ------------------------------------------------------------------------------------


def corpus_expressions() -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if is_jsonata_expression(value):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for case in conformance_cases():
        walk(case["definition"])
    for record in jsonl_records("corpora", "workflows.jsonl"):
        walk(record.get("definition"))
    return found


def test_every_corpus_expression_compiles() -> None:
    expressions = corpus_expressions()
    assert len(expressions) > 100
    failures = {}
    for value in sorted(expressions):
        try:
            compile_template(value, "Field")
        except JsonataSyntaxError as error:
            failures[value] = str(error)
    assert failures == {}
