"""Paths with ``[*]`` walked without jsonpath-ng give exactly jsonpath-ng's matches.

sfnsim.dataflow.jsonpath walks ``$.lines[*].summary``-like paths itself and leaves anything unusual
to jsonpath-ng; hypothesis (fixed seed) draws such paths and documents and compares the results
with jsonpath-ng's own, value by value (the very same objects, in the same order).
"""

from __future__ import annotations

import sys
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from sfnsim.dataflow.jsonpath import (
    PathSyntaxError,
    _compile_ng,
    _walk_wildcards,
    compile_path,
    parse_wildcard_steps,
)
from sfnsim.dataflow.scope import Scope

NAMES = ["a", "b", "lines", "summary", "x_1", "_id", "where", "true", "null", "A-b", "1a"]
keys = st.sampled_from(NAMES)
documents = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=2),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)
PLAIN_STEPS = [".a", ".b", ".lines", ".summary", ".x_1", "._id", "[0]", "[1]", "[3]", "[*]", ".[*]", ".[0]"]
ODD_STEPS = [".where", ".true", ".null", "[-1]", ".*", "['a']", "..a", "[0:2]", "[?(@.a)]"]
# Mostly paths of plain steps with a [*] somewhere (the ones walked directly), sometimes odd ones.
steps = st.builds(
    lambda before, after, odd: [*before, "[*]", *after, *odd],
    st.lists(st.sampled_from(PLAIN_STEPS), max_size=3), st.lists(st.sampled_from(PLAIN_STEPS), max_size=2),
    st.lists(st.sampled_from(ODD_STEPS), max_size=1),
) | st.lists(st.sampled_from(PLAIN_STEPS + ODD_STEPS), min_size=1, max_size=4)


def _ng_matches(text: str, data: Any) -> list[Any]:
    return [m.value for m in _compile_ng(text.replace(".[", "["), text).find(data)]


def _along(draw: st.DrawFn, path_steps: list[str]) -> Any:
    """A document of the path's shape (so the walk goes deep), now and then with the wrong kind of
    value at a step: an array where an object is expected, an object where an array is, a scalar."""
    if not path_steps:
        return draw(documents)
    step, rest = path_steps[0].lstrip("."), path_steps[1:]
    array = step.startswith("[")
    items = [_along(draw, rest) for _ in range(draw(st.integers(0, 3)))]
    shape = draw(st.sampled_from(["right"] * 5 + ["array", "object", "scalar"]))
    if shape == "scalar":
        return draw(documents)
    if (shape == "right") == array or shape == "array":
        return items
    named = {step: items[0]} if items and not array else {}
    return {**dict(zip(draw(st.lists(keys, max_size=2)), items)), **named}


@seed(14)
@settings(max_examples=600, deadline=None, database=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(path_steps=steps, choice=st.data())
def test_a_wildcard_path_matches_what_jsonpath_ng_matches(path_steps: list[str], choice: st.DataObject) -> None:
    data = _along(choice.draw, path_steps)
    text = "$" + "".join(path_steps)
    wildcards = parse_wildcard_steps("".join(path_steps))
    try:
        expected = _ng_matches(text, data)
    except PathSyntaxError:  # what jsonpath-ng cannot parse is never walked without it
        assert wildcards is None
        return
    if wildcards is not None:
        walked = _walk_wildcards(data, wildcards)
        if walked is not None:
            assert [id(v) for v in walked] == [id(v) for v in expected]
    compiled = compile_path(text)
    if not compiled.definite:  # a definite path is walked as before, and fails when a step is missing
        resolved = compiled.resolve(Scope(data=data))
        assert [id(v) for v in resolved] == [id(v) for v in expected]


def test_the_usual_wildcard_paths_are_walked_without_jsonpath_ng() -> None:
    data = {"lines": [{"summary": "a"}, {"summary": "b"}, {"other": 1}], "rows": [[1, 2], [3]]}
    for text, expected in [("$.lines[*].summary", ["a", "b"]), ("$.rows[*][0]", [1, 3]), ("$[*]", None),
                           ("$.lines.[*].summary", ["a", "b"]), ("$.rows[1][*]", [3])]:
        steps = parse_wildcard_steps(text[1:])
        assert steps is not None, text
        assert _walk_wildcards(data, steps) == expected, text
    for text in ("$.where[*]", "$.a[*].true", "$..a", "$.a[?(@.b)]", "$.a[-1][*]", "$.a.*", "$['a'][*]"):
        assert parse_wildcard_steps(text[1:]) is None, text


def test_walking_a_wildcard_path_does_not_import_jsonpath_ng() -> None:
    import subprocess

    code = ("import sys; from sfnsim.dataflow.jsonpath import compile_path; from sfnsim.dataflow.scope import Scope; "
            "print(compile_path('$.a[*].b').resolve(Scope(data={'a': [{'b': 1}, {}]})), 'jsonpath_ng' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["[1]", "False"], done.stderr
