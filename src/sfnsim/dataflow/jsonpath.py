"""Amazon States Language paths (JSONPath as AWS evaluates it).

AWS evaluates paths with Jayway JsonPath. Two properties of that dialect matter here:

* A *definite* path (only ``.name``, ``['name']`` and ``[index]`` steps) yields one value, or fails
  when a step is missing. An *indefinite* path (wildcard, filter, slice, deep scan, union) yields
  the list of every match, which may be empty.
* The failure texts AWS shows in causes are Jayway's: a missing intermediate property is
  ``Missing property in path $['a']`` and a missing leaf is ``No results for path: $['a']['b']``.

Definite paths are compiled to a tuple of steps walked directly (most paths in real machines are
like that, and this is the hot path); everything else goes through jsonpath-ng. A path whose only
indefinite steps are ``[*]`` over plain names and indexes (``$.lines[*].summary``) is walked
directly too, as long as each ``[*]`` meets an array, each name an object and each index an array;
anything else it meets is left to jsonpath-ng (imported then: it costs more than a small run), so
the matches are always jsonpath-ng's. ``tests/dataflow/test_jsonpath_wildcards.py`` compares both.

A path starts at one of three roots: ``$`` (the data), ``$$`` (the context object) or ``$name``
(a workflow variable).
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any, Union

from sfnsim.dataflow.scope import Scope

Step = Union[str, int]

_VARIABLE_ROOT = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME_STEP = re.compile(r"\.([^.\[\]]+)")
_INDEX_STEP = re.compile(r"\[\s*(-?\d+)\s*\]")
_QUOTED_STEP = re.compile(r"\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]")
_INDEFINITE_MARKERS = ("*", "?(", "..", ":", ",", "(")


class PathSyntaxError(ValueError):
    """Text that is not a valid ASL path."""


class PathNotFound(LookupError):
    """A definite path whose step is missing from the data it was applied to."""

    def __init__(self, path: str, failed_at: str, leaf: bool) -> None:
        self.path = path
        self.failed_at = failed_at
        self.leaf = leaf
        super().__init__(self.jayway_message())

    def jayway_message(self) -> str:
        if self.leaf:
            return f"No results for path: {self.failed_at}"
        return f"Missing property in path {self.failed_at}"


def _render(steps: tuple[Step, ...]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f"['{s}']" for s in steps)


def _parse_definite_steps(rest: str) -> tuple[Step, ...] | None:
    """Steps of ``rest`` (the text after the root) if every step is definite, else None."""
    steps: list[Step] = []
    pos = 0
    rest = rest.replace(".[", "[")  # `$.[0]` and `$.a.[0].b` appear in AWS's own samples
    while pos < len(rest):
        for pattern in (_NAME_STEP, _INDEX_STEP, _QUOTED_STEP):
            m = pattern.match(rest, pos)
            if m:
                break
        else:
            return None
        if pattern is _INDEX_STEP:
            steps.append(int(m.group(1)))
        elif pattern is _QUOTED_STEP:
            steps.append(m.group(1) if m.group(1) is not None else m.group(2))
        else:
            name = m.group(1)
            if any(marker in name for marker in ("*", "(", ")", "?", "@", " ", ",")):
                return None
            steps.append(name)
        pos = m.end()
    return tuple(steps)


# CompiledPath and ReferencePath are plain slotted classes, not dataclasses: they are built on every
# run's import path and nothing compares, hashes or copies them.
class CompiledPath:
    """A compiled ASL path; call ``resolve`` with a Scope."""

    __slots__ = ("text", "root", "variable", "steps", "_ng", "wildcard_steps", "_ng_text")

    def __init__(self, text: str, root: str, variable: str | None, steps: tuple[Step, ...] | None, _ng: Any = None,
                 wildcard_steps: tuple[Step | None, ...] | None = None, _ng_text: str = "") -> None:
        self.text = text
        self.root = root  # "data", "context" or "variable"
        self.variable = variable
        self.steps = steps  # None when the path is indefinite
        self._ng = _ng  # jsonpath-ng expression for indefinite paths
        self.wildcard_steps = wildcard_steps  # names, indexes and [*] (None), walked directly
        self._ng_text = _ng_text  # the jsonpath-ng expression, compiled when a wildcard walk cannot answer

    @property
    def definite(self) -> bool:
        return self.steps is not None

    def root_value(self, scope: Scope) -> Any:
        if self.root == "data":
            return scope.data
        if self.root == "context":
            return scope.context_value()
        try:
            return scope.variables[self.variable]  # type: ignore[index]
        except KeyError:
            raise PathNotFound(self.text, f"${self.variable}", leaf=not self.steps) from None

    def resolve(self, scope: Scope) -> Any:
        """The value the path selects; raises PathNotFound when a definite path matches nothing."""
        value = self.root_value(scope)
        if self.steps is None:
            if self.wildcard_steps is not None:
                found = _walk_wildcards(value, self.wildcard_steps)
                if found is not None:
                    return found
                return [m.value for m in _ng_expression(self._ng_text, self.text).find(value)]
            return [m.value for m in self._ng.find(value)]
        return walk(value, self.steps, self.text)

    def exists(self, scope: Scope) -> bool:
        try:
            value = self.resolve(scope)
        except PathNotFound:
            return False
        return self.definite or bool(value)


def walk(value: Any, steps: tuple[Step, ...], text: str = "") -> Any:
    last = len(steps) - 1
    for i, step in enumerate(steps):
        if isinstance(step, int):
            if isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
                continue
        elif isinstance(value, dict) and step in value:
            value = value[step]
            continue
        raise PathNotFound(text, _render(steps[: i + 1]), leaf=i == last)
    return value


def _split_root(text: str) -> tuple[str, str | None, str]:
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError(f"a path must start with '$', got {text!r}")
    if text.startswith("$$"):
        return "context", None, text[2:]
    m = _VARIABLE_ROOT.match(text)
    if m:
        return "variable", m.group(1), text[m.end():]
    return "data", None, text[1:]


@lru_cache(maxsize=4096)
def compile_path(text: str) -> CompiledPath:
    """Compile an ASL path (``$...``, ``$$...`` or ``$var...``); raises PathSyntaxError."""
    root, variable, rest = _split_root(text)
    stripped = rest.strip()
    steps = _parse_definite_steps(stripped)
    if steps is not None:
        return CompiledPath(text, root, variable, steps)
    if not any(marker in stripped for marker in _INDEFINITE_MARKERS):
        raise PathSyntaxError(f"invalid path {text!r}")
    expression = "$" + stripped.replace(".[", "[")
    wildcards = parse_wildcard_steps(stripped)
    if wildcards is not None:
        return CompiledPath(text, root, variable, None, wildcard_steps=wildcards, _ng_text=expression)
    return CompiledPath(text, root, variable, None, _compile_ng(expression, text))


# Names jsonpath-ng reads as plain field names (its lexer makes words such as `where` and `true` tokens).
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NG_WORDS = frozenset({"where", "wherenot", "null", "true", "false"})
_WILDCARD_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\*)\]")


def parse_wildcard_steps(rest: str) -> tuple[Step | None, ...] | None:
    """The steps of ``rest`` (after the root) when it is only ``.name``, ``[index]`` and at least one
    ``[*]`` (None stands for it), written plainly; else None (jsonpath-ng compiles it)."""
    rest = rest.replace(".[", "[")
    steps: list[Step | None] = []
    pos = 0
    while pos < len(rest):
        m = _WILDCARD_PART.match(rest, pos)
        if m is None:
            return None
        name, index, star = m.groups()
        if name is not None:
            if name in _NG_WORDS:
                return None
            steps.append(name)
        else:
            steps.append(int(index) if index is not None else None)
        pos = m.end()
    return tuple(steps) if None in steps else None


def _walk_wildcards(value: Any, steps: tuple[Step | None, ...]) -> list[Any] | None:
    """Every match, in order; None when a step meets a value jsonpath-ng treats in its own way
    (``[*]`` on an object or a scalar, a name on an array...)."""
    current = [value]
    for step in steps:
        found: list[Any] = []
        for item in current:
            if step is None or type(step) is int:
                if type(item) is not list:
                    return None
                if step is None:
                    found.extend(item)
                elif step < len(item):
                    found.append(item[step])
            elif type(item) is not dict:
                return None
            elif step in item:
                found.append(item[step])
        current = found
    return current


@lru_cache(maxsize=256)
def _ng_expression(expression: str, original: str) -> Any:
    return _compile_ng(expression, original)


def _compile_ng(expression: str, original: str) -> Any:
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext import parse

    try:
        with warnings.catch_warnings():  # jsonpath-ng's deprecation notes are about its own 2.0, not ASL
            warnings.simplefilter("ignore", DeprecationWarning)
            return parse(expression)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # ply raises plain Exception too
        raise PathSyntaxError(f"invalid path {original!r}: {exc}") from None


def is_path(text: Any) -> bool:
    """True if ``text`` compiles as an ASL path."""
    if not isinstance(text, str):
        return False
    try:
        compile_path(text)
    except PathSyntaxError:
        return False
    return True


class ReferencePath:
    """A ResultPath: a definite path into the data where a value is written.

    Writing creates missing objects along the way, as AWS does; ``$`` replaces the whole input.
    """

    __slots__ = ("text", "steps")

    def __init__(self, text: str, steps: tuple[Step, ...]) -> None:
        self.text = text
        self.steps = steps

    def assign(self, target: Any, value: Any) -> Any:
        """A copy of ``target`` with ``value`` written at this path (the input is left untouched)."""
        if not self.steps:
            return value
        return _assign(target, self.steps, value, self.text)


class ResultPathMismatch(ValueError):
    """The data at a ResultPath's parent is not an object (or list) the path can write into."""


def _assign(target: Any, steps: tuple[Step, ...], value: Any, text: str) -> Any:
    step, rest = steps[0], steps[1:]
    if isinstance(step, int):
        if not isinstance(target, list) or not -len(target) <= step < len(target):
            raise ResultPathMismatch(text)
        copy = list(target)
        copy[step] = _assign(copy[step], rest, value, text) if rest else value
        return copy
    if target is None:
        target = {}
    if not isinstance(target, dict):
        raise ResultPathMismatch(text)
    copy = dict(target)
    copy[step] = _assign(copy.get(step), rest, value, text) if rest else value
    return copy


@lru_cache(maxsize=1024)
def compile_reference_path(text: str) -> ReferencePath:
    root, _variable, rest = _split_root(text)
    if root != "data":
        raise PathSyntaxError(f"a reference path must start with '$.' or be '$', got {text!r}")
    steps = _parse_definite_steps(rest.strip())
    if steps is None:
        raise PathSyntaxError(f"{text!r} is not a reference path: only '.name', ['name'] and [index] steps are allowed")
    return ReferencePath(text, steps)
