"""States.* intrinsic functions: AWS documentation examples, escaping, nesting, errors, corpus.

Expected values come from the AWS page "Intrinsic functions for JSONPath states in Step Functions"
(quoted per test) or from executions recorded against AWS in /work/shared/conformance/cases.jsonl.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any, Iterator

import pytest
from corpus import conformance_case, conformance_cases

from sfnsim.dataflow.intrinsics import (
    FUNCTIONS,
    IntrinsicSyntaxError,
    compile_intrinsic,
    java_string,
    looks_like_intrinsic,
)
from sfnsim.dataflow.scope import Scope
from sfnsim.errors import StatesError

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def run(text: str, data: Any = None, **scope: Any) -> Any:
    return compile_intrinsic(text).evaluate(Scope(data, **scope))


def runtime_failure(text: str, data: Any = None) -> StatesError:
    with pytest.raises(StatesError) as info:
        run(text, data)
    assert info.value.error == "States.Runtime"
    assert info.value.runtime is True  # the engine prefixes the cause with the state name
    return info.value


def syntax_error(text: str) -> IntrinsicSyntaxError:
    with pytest.raises(IntrinsicSyntaxError) as info:
        compile_intrinsic(text)
    return info.value


def test_the_registry_holds_the_eighteen_documented_functions() -> None:
    assert sorted(FUNCTIONS) == sorted(
        "States." + name
        for name in (
            "Format StringToJson JsonToString Array ArrayPartition ArrayContains ArrayRange "
            "ArrayGetItem ArrayLength ArrayUnique Base64Encode Base64Decode Hash JsonMerge "
            "MathRandom MathAdd StringSplit UUID"
        ).split()
    )


# ------------------------------------------------------------------------------------------
# The documentation's examples
# ------------------------------------------------------------------------------------------

DOC_NAME_INPUT = {"name": "Arnav", "template": "Hello, my name is {}."}
ONE_TO_NINE = [1, 2, 3, 4, 5, 6, 7, 8, 9]

DOC_EXAMPLES = [
    ("States.Format('Hello, my name is {}.', $.name)", DOC_NAME_INPUT, "Hello, my name is Arnav."),
    ("States.Format($.template, $.name)", DOC_NAME_INPUT, "Hello, my name is Arnav."),
    ("States.StringToJson($.escapedJsonString)", {"escapedJsonString": '{"foo": "bar"}'}, {"foo": "bar"}),
    ("States.JsonToString($.unescapedJson)", {"unescapedJson": {"foo": "bar"}}, '{"foo":"bar"}'),
    ("States.Array($.Id)", {"Id": 123456}, [123456]),
    (
        "States.Array('Foo', 2020, $.someJson, null)",
        {"someJson": {"random": "abcdefg"}},
        ["Foo", 2020, {"random": "abcdefg"}, None],
    ),
    ("States.ArrayPartition($.inputArray,4)", {"inputArray": ONE_TO_NINE}, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayContains($.inputArray, $.lookingFor)", {"inputArray": ONE_TO_NINE, "lookingFor": 5}, True),
    ("States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
    ("States.ArrayGetItem($.inputArray, $.index)", {"inputArray": ONE_TO_NINE, "index": 5}, 6),
    ("States.ArrayLength($.inputArray)", {"inputArray": ONE_TO_NINE}, 9),
    ("States.ArrayUnique($.inputArray)", {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4]),
    ("States.Base64Encode($.input)", {"input": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),
    (
        "States.JsonMerge($.json1, $.json2, false)",
        {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
        {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
    ),
    ("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110),
    (
        "States.StringSplit($.inputString, $.splitter)",
        {"inputString": "1,2,3,4,5", "splitter": ","},
        ["1", "2", "3", "4", "5"],
    ),
    (
        "States.StringSplit($.inputString, $.splitter)",
        {"inputString": "This.is+a,test=string", "splitter": ".+,="},
        ["This", "is", "a", "test", "string"],
    ),
]


@pytest.mark.parametrize(("text", "data", "expected"), DOC_EXAMPLES, ids=[e[0] for e in DOC_EXAMPLES])
def test_documentation_example(text: str, data: Any, expected: Any) -> None:
    assert run(text, data) == expected


def test_hash_documentation_input_gives_the_recorded_digests() -> None:
    # The doc's example (data "input data"); digests as recorded by AWS in test_hash.
    data = "input data"
    assert run("States.Hash($.d, 'MD5')", {"d": data}) == "812f45842bc6d66ee14572ce20db8e86"
    assert run("States.Hash($.d, 'SHA-1')", {"d": data}) == "aaff4a450a104cd177d28d18d74485e8cae074b7"
    assert run("States.Hash($.d, 'SHA-256')", {"d": data}) == (
        "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"
    )


def test_math_random_stays_in_the_documented_range() -> None:
    # "return a random number between the specified start number (inclusive) and end number (exclusive)"
    text, data = "States.MathRandom($.start, $.end)", {"start": 1, "end": 4}
    values = {run(text, data, rng=random.Random(i)) for i in range(60)}
    assert values == {1, 2, 3}


def test_math_random_with_a_seed_returns_an_identical_number() -> None:
    # "If you use this function with a fixed seed value, it will return an identical number."
    first = run("States.MathRandom(1, 999, 42)", rng=random.Random(1))
    second = run("States.MathRandom(1, 999, 42)", rng=random.Random(2))
    assert first == second and 1 <= first < 999


def test_math_random_without_a_seed_follows_the_execution_rng() -> None:
    draws = [run("States.MathRandom(0, 1000000)", rng=random.Random(7)) for _ in range(2)]
    assert draws[0] == draws[1]  # same execution seed, same number: runs are reproducible
    assert run("States.MathRandom(0, 1000000)", rng=random.Random(8)) != draws[0]


def test_uuid_is_a_version_4_uuid_reproducible_from_the_execution_seed() -> None:
    rng = random.Random(3)
    first, second = run("States.UUID()", rng=rng), run("States.UUID()", rng=rng)
    assert UUID_V4.match(first) and UUID_V4.match(second) and first != second
    assert run("States.UUID()", rng=random.Random(3)) == first


def test_the_documentations_nine_call_example_parses() -> None:
    # From the page's nesting paragraph. Its template has three {} but only two values, so it
    # compiles and then fails: "There must be as many remaining arguments ... as occurrences of {}".
    text = (
        "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
        "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit("
        "States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))"
    )
    compiled = compile_intrinsic(text)
    data = {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.2.3"}}
    with pytest.raises(StatesError, match="3 placeholder"):
        compiled.evaluate(Scope(data))


# ------------------------------------------------------------------------------------------
# Rounding and edge cases recorded against AWS
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fst", "snd", "expected"),
    [(1.49, 1.5, 3), (-1.5, 0, -1), (-2.5, 0, -2), (2.5, 0, 3), (-1.51, 0, -2), (-0.5, 0.5, 1), (-1.5, -1.51, -3)],
)
def test_math_add_rounds_halves_up_like_aws(fst: float, snd: float, expected: int) -> None:
    assert run("States.MathAdd($.a, $.b)", {"a": fst, "b": snd}) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("", None), (" ", None), ("-0", 0), ("1.1", 1.1), ('"HelloWorld"', "HelloWorld")]
)
def test_string_to_json_edge_cases_recorded_by_aws(text: str, expected: Any) -> None:
    assert run("States.StringToJson($.s)", {"s": text}) == expected


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(None, "null"), (1, "1"), (1.1, "1.1"), ("", ""), ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}")],
)
def test_format_renders_non_strings_as_aws_recorded(value: Any, rendered: str) -> None:
    assert run("States.Format('<{}>', $.v)", {"v": value}) == f"<{rendered}>"


def test_format_uses_javas_double_to_string_outside_the_plain_range() -> None:
    # AWS renders arguments with Java's toString (see the {Arg1=1, Arg2=[]} recording); Java's
    # Double.toString switches to computerized scientific notation below 1e-3 and from 1e7 on.
    assert [java_string(v) for v in (1e7, 1.5e-5, 1234567.0, 0.001, -2.5e20)] == [
        "1.0E7",
        "1.5E-5",
        "1234567.0",
        "0.001",
        "-2.5E20",
    ]
    assert java_string([True, None, "a", [1, {"k": False}]]) == "[true, null, a, [1, {k=false}]]"


def test_array_contains_compares_json_values_not_python_truthiness() -> None:
    # Recorded: ArrayContains([[1,2,3],2], [1,2,3]) is true, ArrayContains([], null) is false.
    assert run("States.ArrayContains($.a, $.b)", {"a": [[1, 2, 3], 2], "b": [1, 2, 3]}) is True
    assert run("States.ArrayContains($.a, $.b)", {"a": [], "b": None}) is False
    assert run("States.ArrayContains($.a, $.b)", {"a": [1], "b": True}) is False  # true is not 1
    assert run("States.ArrayContains($.a, $.b)", {"a": [{"x": 1, "y": 2}], "b": {"y": 2, "x": 1}}) is True


def test_array_range_includes_the_end_only_when_a_step_lands_on_it() -> None:
    # Recorded in the Assign corpus case: ArrayRange(1, 10, 2) is [1, 3, 5, 7, 9].
    assert run("States.ArrayRange(1, 10, 2)") == [1, 3, 5, 7, 9]
    assert run("States.ArrayRange(9, 1, -4)") == [9, 5, 1]
    assert run("States.ArrayRange(5, 1, 1)") == []


def test_array_range_allows_exactly_1000_items() -> None:
    # "The newly generated array can't contain more than 1000 items."
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000
    failure = runtime_failure("States.ArrayRange(1, 1001, 1)")
    assert "1001 items" in failure.cause and "1000" in failure.cause


# ------------------------------------------------------------------------------------------
# Escapes, literals, nesting
# ------------------------------------------------------------------------------------------


def test_string_literal_escapes() -> None:
    # "\' represents ', \{ represents {, \} represents }, \\ represents \"
    assert run(r"States.Array('it\'s', '\{', '\}', 'a\\b')") == ["it's", "{", "}", "a\\b"]


def test_escaped_braces_in_a_format_template_are_text_not_placeholders() -> None:
    assert run(r"States.Format('\{\} is {}', 'x')") == "{} is x"
    assert run(r"States.Format('unload (\'{}\') to \'s3://{}\'', 'q', 'b')") == "unload ('q') to 's3://b'"


def test_unescaped_braces_outside_format_are_plain_text() -> None:
    # Recorded: JsonMerge(StringToJson('{"constant_in_literal": "false"}'), ...) ran on AWS.
    assert run("States.StringToJson('{\"a\": \"}\"}')") == {"a": "}"}


def test_an_open_escape_backslash_fails_at_run_time() -> None:
    # "If an open escape backslash \ is found in the intrinsic invocation string, the interpreter
    # will throw a runtime error." It compiles (AWS accepts such a definition) but cannot run.
    compiled = compile_intrinsic(r"States.Format('a\nb')")
    with pytest.raises(StatesError) as info:
        compiled.evaluate(Scope({}))
    assert info.value.error == "States.Runtime" and "escape" in info.value.cause


def test_literals_of_every_kind() -> None:
    expected = [1, -2, 3.5, -0.25, 100.0, True, False, None, ""]
    assert run("States.Array(1, -2, 3.5, -0.25, 1e2, true, false, null, '')") == expected


def test_paths_of_every_root() -> None:
    scope = Scope(
        {"items": [{"k": "a", "v": 1}, {"k": "b", "v": 2}]},
        context={"Execution": {"Id": "arn:x"}},
        variables={"cfg": {"n": 3}},
    )
    text = "States.Array($, $$.Execution.Id, $cfg.n, $.items[1].v, $.items[?(@.k == 'b')].v)"
    assert compile_intrinsic(text).evaluate(scope) == [scope.data, "arn:x", 3, 2, [2]]


def test_recorded_nested_call_on_the_state_machine_name() -> None:
    # The shape of test_nested_calls_2: the last '-'-separated part of $$.StateMachine.Name.
    text = (
        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
        "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))"
    )
    assert compile_intrinsic(text).evaluate(Scope({}, context={"StateMachine": {"Name": "a-b-c"}})) == "c"


def test_looks_like_intrinsic() -> None:
    assert looks_like_intrinsic("States.UUID()")
    assert not looks_like_intrinsic("$.States.x")
    assert not looks_like_intrinsic(" States.UUID()")
    assert not looks_like_intrinsic(42)


# ------------------------------------------------------------------------------------------
# Syntax errors: what and where
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("States.format('x')", 1, "did you mean States.Format"),
        ("States.Format('a', States.Nope())", 20, "unknown intrinsic function 'States.Nope'"),
        ("States.ArrayLength($.a, $.b)", 1, "exactly 1 argument"),
        ("States.UUID(1)", 1, "exactly 0 argument"),
        ("States.MathRandom(1)", 1, "2 to 3 arguments"),
        ("States.Format()", 1, "at least 1 argument"),
        ("States.Array('abc)", 14, "unterminated string"),
        ("States.Array(1.2.3)", 17, "expected ',' or ')'"),
        ("States.Array(+1)", 14, "unexpected '+'"),
        ("States.Array(undefined)", 14, "unexpected 'undefined'"),
        ("States.Array(1", 15, "found the end of the text"),
        ("States.Array(1))", 16, "unexpected text after"),
        (" States.Array(1)", 1, "must start with 'States.'"),
        ("States.Array($.a[0)", 19, "unbalanced brackets"),
        ("States.Array($.a['x)", 14, "unbalanced brackets or quotes"),
        ("States.Array($.a..)", 14, "invalid path"),
        ("States.MathAdd(1,'-1')", 18, "argument 2 (step) must be a number"),
        ("States.JsonMerge($.a, $.b, true)", 28, "must be false"),
        ("States.Hash('x', 'SHA-3')", 18, "must be one of MD5, SHA-1"),
        ("States.Array($.a b)", 18, "expected ',' or ')'"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, column: int, words: str) -> None:
    error = syntax_error(text)
    assert words in str(error)
    assert error.column == column
    assert f"column {column}" in str(error)


# ------------------------------------------------------------------------------------------
# Runtime errors
# ------------------------------------------------------------------------------------------


def test_a_path_argument_that_matches_nothing_names_the_path_field_and_input() -> None:
    # AWS's wording for a Parameters path that matches nothing, from test_invalid_jsonpath.
    with pytest.raises(StatesError) as info:
        compile_intrinsic("States.Format('{}', $.no_such_jsonpath)").evaluate(Scope({"a": 1}), field="value.$")
    assert info.value.error == "States.Runtime" and info.value.runtime
    assert info.value.cause == (
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' "
        "could not be found in the input '{\"a\":1}'"
    )


@pytest.mark.parametrize(
    ("text", "data", "words"),
    [
        ("States.ArrayGetItem($.a, 3)", {"a": [1, 2, 3]}, "index 3 is out of bounds"),
        ("States.ArrayGetItem($.a, -1)", {"a": [1, 2, 3]}, "index -1 is out of bounds"),
        ("States.ArrayGetItem($.a, $.i)", {"a": [1], "i": 0.5}, "must be an integer"),
        ("States.ArrayLength($.a)", {"a": "abc"}, "argument 1 (array) must be an array, got string"),
        ("States.ArrayPartition($.a, 0)", {"a": [1]}, "chunk size must be a positive integer"),
        ("States.ArrayRange(1, 5, 0)", {}, "must not be 0"),
        ("States.Hash($.d, $.alg)", {"d": "x", "alg": "SHA-3"}, "must be one of MD5, SHA-1, SHA-256, SHA-384"),
        ("States.Hash($.d, 'MD5')", {"d": "x" * 10_001}, "at most 10000 characters"),
        ("States.Hash($.d, 'MD5')", {"d": {"not": "a string"}}, "must be a string, got object"),
        ("States.Base64Encode($.d)", {"d": "x" * 10_001}, "at most 10000 characters"),
        ("States.Base64Decode($.d)", {"d": "x" * 10_004}, "at most 10000 characters"),
        ("States.Base64Decode($.d)", {"d": "not base64!"}, "not valid Base64"),
        ("States.StringToJson($.s)", {"s": "{not json"}, "not valid JSON"),
        ("States.StringToJson($.s)", {"s": "NaN"}, "not valid JSON"),
        ("States.StringToJson($.s)", {"s": {"a": 1}}, "must be a string, got object"),
        ("States.JsonMerge($.a, $.b, $.deep)", {"a": {}, "b": {}, "deep": True}, "must be false"),
        ("States.JsonMerge($.a, $.b, false)", {"a": {}, "b": [1]}, "argument 2 (object) must be an object"),
        ("States.MathAdd($.a, 1)", {"a": 2_147_483_648}, "between -2147483648 and 2147483647"),
        ("States.MathAdd($.a, 1)", {"a": "1"}, "must be a number, got string"),
        ("States.MathAdd($.a, 1)", {"a": True}, "must be a number, got boolean"),
        ("States.MathRandom(5, 5)", {}, "must be greater than the start"),
        ("States.Format($.t, 1)", {"t": "no placeholder"}, "0 placeholder(s)"),
        ("States.Format($.t)", {"t": 42}, "must be a string, got number"),
        ("States.StringSplit($.s, ',')", {"s": None}, "must be a string, got null"),
    ],
)
def test_invalid_arguments_fail_with_states_runtime(text: str, data: Any, words: str) -> None:
    """The error name is AWS's (``runtime_failure`` checks ``States.Runtime``). The cause texts are
    sfnsim's own: AWS documents none for invalid intrinsic arguments and the recorded corpus holds
    none, so ``words`` pins our wording (what is wrong, and which argument), not AWS's."""
    failure = runtime_failure(text, data)
    assert words in failure.cause
    assert failure.cause.startswith(f"Invalid arguments in {text}")


def test_a_nested_call_error_names_the_inner_call() -> None:
    failure = runtime_failure("States.Format('{}', States.ArrayGetItem($.a, 5))", {"a": []})
    assert failure.cause.startswith("Invalid arguments in States.ArrayGetItem($.a, 5)")


def test_limits_are_inclusive() -> None:
    assert len(run("States.Hash($.d, 'SHA-512')", {"d": "x" * 10_000})) == 128
    assert run("States.MathAdd(2147483646, 1)") == 2147483647


# ------------------------------------------------------------------------------------------
# The recorded AWS corpus
# ------------------------------------------------------------------------------------------


def _intrinsic_values(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith(".$") and isinstance(value, str) and value.startswith("States."):
                yield value
            yield from _intrinsic_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _intrinsic_values(value)


def test_every_intrinsic_call_in_the_corpus_compiles() -> None:
    expressions = {text for case in conformance_cases() for text in _intrinsic_values(case["definition"])}
    assert len(expressions) >= 30  # the public half has 32 distinct calls
    failures = {}
    for text in sorted(expressions):
        try:
            compile_intrinsic(text)
        except IntrinsicSyntaxError as exc:
            failures[text] = str(exc)
    assert failures == {}


def _has_placeholder(value: Any) -> bool:
    return "<" in json.dumps(value)


def _single_pass_parameters(case: dict[str, Any]) -> dict[str, Any] | None:
    """The Parameters of a machine that is one Pass state and nothing else acting on the data."""
    states = case["definition"]["States"]
    if len(states) != 1:
        return None
    (state,) = states.values()
    plain = {"Type", "Parameters", "End", "Comment"}
    if state.get("Type") != "Pass" or set(state) - plain or "Parameters" not in state:
        return None
    return state["Parameters"]


def _pass_cases() -> list[dict[str, Any]]:
    chosen = []
    for case in conformance_cases():
        if case["expected"]["status"] != "SUCCEEDED" or "nondeterministic" in case["features"]:
            continue
        if not any(f.startswith("intrinsic:") for f in case["features"]) or "ContextObject" in case["features"]:
            continue
        params = _single_pass_parameters(case)
        if params and all(k.endswith(".$") and v.startswith("States.") for k, v in params.items()):
            chosen.append(case)
    return chosen


def test_single_pass_intrinsic_cases_give_the_recorded_output() -> None:
    cases = _pass_cases()
    assert len(cases) >= 50  # 56 in the public half
    mismatches = []
    for case in cases:
        params = _single_pass_parameters(case) or {}
        scope = Scope(case["input"])
        actual = {key[:-2]: compile_intrinsic(text).evaluate(scope, field=key) for key, text in params.items()}
        if actual != case["expected"]["output"]:
            mismatches.append((case["id"], actual, case["expected"]["output"]))
    assert mismatches == []


def test_assign_from_every_intrinsic_gives_the_recorded_variables() -> None:
    # BASE_ASSIGN_FROM_INTRINSIC_FUNCTION: a Pass state whose Assign uses all of them on its Result.
    case = conformance_case("BASE_ASSIGN_FROM_INTRINSIC_FUNCTION")
    state = case["definition"]["States"]["State0"]
    recorded = next(e for e in case["events"] if e["type"] == "PassStateExited")["stateExitedEventDetails"]
    scope = Scope(state["Result"])
    checked = 0
    for group, template in state["Assign"].items():
        for key, text in template.items():
            expected = recorded["assignedVariables"][group][key[:-2]]
            actual = compile_intrinsic(text).evaluate(scope, field=key)
            if _has_placeholder(expected):  # the UUID
                assert UUID_V4.match(actual)
            else:
                assert actual == expected, text
            checked += 1
    assert checked == 17
