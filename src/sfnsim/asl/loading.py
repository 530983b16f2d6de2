"""Reading definition text (JSON or YAML) and remembering where every value came from.

``parse_text`` returns the data together with a ``Locator`` that answers "which line and column
holds the value at this JSON pointer?", so a problem found later can point at the user's line.
Positions are worked out lazily: a definition that loads cleanly never pays for them.

YAML is read safely, as data only: never a Python object. The values follow YAML 1.2's core
schema (``true``/``false`` are the only booleans, timestamps stay strings), which is what a
JSON-minded author expects. CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt``...)
become their long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``) so templates can be read; any
other tag is refused.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from typing import Any, Callable

import yaml

from sfnsim.dataflow.jsontypes import loads_json
from sfnsim.errors import DefinitionError, Problem

# --------------------------------------------------------------------------------------------
# JSON pointers


def escape_token(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(parent: str, *tokens: Any) -> str:
    if len(tokens) == 1:  # the common case while validating, made cheap: one plain name
        token = tokens[0]
        if type(token) is str and "~" not in token and "/" not in token:
            return parent + "/" + token
    return parent + "".join("/" + escape_token(t) for t in tokens)


def split_pointer(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


# --------------------------------------------------------------------------------------------
# Locators


class Locator:
    """Where the value at a JSON pointer sits in the text it was parsed from (1-based)."""

    def position(self, pointer: str) -> tuple[int, int] | None:  # pragma: no cover - interface
        raise NotImplementedError

    def nearest(self, pointer: str) -> tuple[int, int] | None:
        """The position of ``pointer`` or, if it does not exist (a missing field), of its parent."""
        tokens = split_pointer(pointer)
        while True:
            found = self.position(join_pointer("", *tokens))
            if found is not None or not tokens:
                return found
            tokens.pop()


class JsonLocator(Locator):
    """Positions in JSON text, found by one scan of the text the first time they are asked for."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offsets: dict[str, int] | None = None
        self._line_starts: list[int] | None = None

    def position(self, pointer: str) -> tuple[int, int] | None:
        if self._offsets is None:
            self._offsets = {}
            # The text parsed as JSON, so the scan cannot fail; if it somehow does, keep what it found.
            with contextlib.suppress(IndexError, ValueError):
                _scan_json_value(self._text, 0, "", self._offsets)
            self._line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", self._text)]
        offset = self._offsets.get(pointer)
        if offset is None:
            return None
        assert self._line_starts is not None
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1


_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


def _scan_json_value(text: str, pos: int, pointer: str, out: dict[str, int]) -> int:
    """Record the offset of every value below ``pointer``; returns the offset after the value."""
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    out[pointer] = pos
    opener = text[pos]
    if opener == '"':
        return json.decoder.scanstring(text, pos + 1)[1]  # type: ignore[attr-defined]
    if opener not in "{[":
        match = _SCALAR.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected text at offset {pos}")
        return match.end()
    closer = "}" if opener == "{" else "]"
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text[pos] == closer:
        return pos + 1
    index = 0
    while True:
        if opener == "{":
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
            pos = _WS.match(text, pos).end() + 1  # type: ignore[union-attr]  # skip ':'
            pos = _scan_json_value(text, pos, join_pointer(pointer, key), out)
        else:
            pos = _scan_json_value(text, pos, join_pointer(pointer, index), out)
            index += 1
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos] == closer:
            return pos + 1
        pos += 1  # skip ','


class YamlLocator(Locator):
    """Positions in YAML text, read from the composed node tree."""

    def __init__(self, root: yaml.Node) -> None:
        self._root = root

    def position(self, pointer: str) -> tuple[int, int] | None:
        node: yaml.Node | None = self._root
        for token in split_pointer(pointer):
            node = _yaml_child(node, token)
            if node is None:
                return None
        mark = node.start_mark  # type: ignore[union-attr]
        return mark.line + 1, mark.column + 1


def _yaml_child(node: yaml.Node | None, token: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        found = None
        for key, value in node.value:  # the last duplicate wins, as in the constructed data
            if isinstance(key, yaml.ScalarNode) and key.value == token:
                found = value
        return found
    if isinstance(node, yaml.SequenceNode) and token.isdigit():
        index = int(token)
        return node.value[index] if index < len(node.value) else None
    return None


class PrefixedLocator(Locator):
    """Positions of a definition embedded at ``prefix`` in a larger document (a template)."""

    def __init__(self, base: Locator, prefix: str, *, flat: bool = False) -> None:
        self._base = base
        self._prefix = prefix
        self._flat = flat  # the definition is a string inside the template: all of it is at prefix

    def position(self, pointer: str) -> tuple[int, int] | None:
        return self._base.position(self._prefix if self._flat else self._prefix + pointer)


# --------------------------------------------------------------------------------------------
# YAML loading


_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"

# CloudFormation short-form tags and the key of their long form.
_CFN_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "ForEach",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}


class _SafeDataLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """SafeLoader restricted to plain data with YAML 1.2 core scalars."""


_SafeDataLoader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in {_TAG + "bool", _TAG + "int", _TAG + "float", _TAG + "timestamp"}
    ]
    for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
}
_SafeDataLoader.add_implicit_resolver(
    _TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_SafeDataLoader.add_implicit_resolver(
    _TAG + "int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_SafeDataLoader.add_implicit_resolver(
    _TAG + "float", re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"), list("-+.0123456789")
)


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # YAML 1.2: a leading zero is not octal


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _construct_map(loader: Any, node: yaml.MappingNode) -> Any:
    data: dict[str, Any] = {}
    yield data
    mapping = loader.construct_mapping(node, deep=True)
    data.update((k if isinstance(k, str) else _json_key(k), v) for k, v in mapping.items())


def _construct_cfn_tag(loader: Any, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _CFN_TAGS.get(suffix)
    if name is None:
        _refuse_tag(node)
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt" and "." in value:
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = dict(_construct_map_now(loader, node))
    return {name: value}


def _construct_map_now(loader: Any, node: yaml.MappingNode) -> dict[str, Any]:
    generator = _construct_map(loader, node)
    data = next(generator)
    for _ in generator:
        pass
    return data


class _RefusedTag(yaml.constructor.ConstructorError):
    """A YAML tag that would build something other than plain data."""


def _refuse_tag(node: yaml.Node) -> None:
    tag = node.tag.replace(_TAG, "!!")
    message = f"The YAML tag {tag!r} is not allowed: only plain data (and CloudFormation's short-form tags) can be read"
    raise _RefusedTag(None, None, message, node.start_mark)


_SafeDataLoader.yaml_constructors = {
    _TAG + "null": _BASE_LOADER.yaml_constructors[_TAG + "null"],
    _TAG + "bool": _BASE_LOADER.yaml_constructors[_TAG + "bool"],
    _TAG + "float": _BASE_LOADER.yaml_constructors[_TAG + "float"],
    _TAG + "str": _BASE_LOADER.yaml_constructors[_TAG + "str"],
    _TAG + "seq": _BASE_LOADER.yaml_constructors[_TAG + "seq"],
    _TAG + "int": _construct_int,
    _TAG + "map": _construct_map,
    None: lambda loader, node: _refuse_tag(node),
}
_SafeDataLoader.yaml_multi_constructors = {"!": _construct_cfn_tag}


# Aliases let a few hundred bytes of YAML stand for billions of values (the "billion laughs"):
# refuse a document whose aliases multiply it past this many values.
MAX_ALIAS_EXPANSION = 100_000


class _AliasBomb(yaml.YAMLError):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


def _load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    loader = _SafeDataLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_alias_expansion(node)
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def _check_alias_expansion(root: yaml.Node) -> None:
    """Count the values the document stands for with its aliases expanded, without expanding them
    (an aliased node is one object in the composed tree, so its size is worked out once)."""
    sizes: dict[int, int] = {}
    uses: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _yaml_children(node)
        if children_done:
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            continue
        uses[key] = uses.get(key, 0) + 1
        if key in sizes or uses[key] > 1:
            if key not in sizes:  # reached again before it was sized: an alias to one of its parents
                raise _AliasBomb("a YAML alias refers to a node that contains it (a recursive structure)",
                                 node.start_mark)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children)
    total = sizes[id(root)]
    if total > MAX_ALIAS_EXPANSION and total > 10 * len(sizes):
        anchor = max((n for n in _yaml_nodes(root) if uses[id(n)] > 1), key=lambda n: sizes[id(n)] * uses[id(n)])
        raise _AliasBomb(
            f"YAML aliases expand this document to {total:,} values (sfnsim reads at most "
            f"{MAX_ALIAS_EXPANSION:,}); the anchor here is repeated {uses[id(anchor)]:,} times", anchor.start_mark)


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _yaml_nodes(root: yaml.Node) -> list[yaml.Node]:
    seen: dict[int, yaml.Node] = {}
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            todo.extend(_yaml_children(node))
    return list(seen.values())


# --------------------------------------------------------------------------------------------
# parse_text


def parse_text(text: str, *, source: str | None = None) -> tuple[Any, Locator]:
    """Parse JSON or YAML text; raises DefinitionError (with line/column) when it is malformed."""
    if not isinstance(text, str):
        raise DefinitionError([Problem("", f"expected text, got {type(text).__name__}", source=source)])
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DefinitionError([Problem("", "the text is empty: a definition must be a JSON object", 1, 1, source)])
    yaml_source = bool(source) and source.lower().endswith((".yaml", ".yml"))  # type: ignore[union-attr]
    if text.lstrip()[0] in "{[" and not yaml_source:
        # Text that looks like JSON is read as JSON, so a stray comma is reported, not guessed at.
        try:
            return loads_json(text), JsonLocator(text)
        except json.JSONDecodeError as exc:
            raise _json_problem(exc, source) from None
    try:
        data, node = _load_yaml(text)
    except _AliasBomb as exc:
        raise DefinitionError([Problem("", exc.message, exc.mark.line + 1, exc.mark.column + 1, source)]) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_problem(exc, source, text) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise DefinitionError([Problem("", f"not valid YAML: {exc}", source=source)]) from None
    return data, YamlLocator(node) if node is not None else _NoLocator()


class _NoLocator(Locator):
    def position(self, pointer: str) -> tuple[int, int] | None:
        return None


def _json_problem(exc: json.JSONDecodeError, source: str | None) -> DefinitionError:
    return DefinitionError([Problem("", f"not valid JSON: {exc.msg}", exc.lineno, exc.colno, source)])


def _yaml_problem(exc: yaml.MarkedYAMLError, source: str | None, text: str = "") -> DefinitionError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    if isinstance(exc, _RefusedTag):
        return DefinitionError([Problem("", str(exc.problem), line, column, source)])
    what = ", ".join(part for part in (exc.context, exc.problem) if part) or "malformed YAML"
    lines = text.splitlines()
    tags = _CONSECUTIVE_TAGS.search(lines[mark.line]) if mark is not None and mark.line < len(lines) else None
    if tags is not None:
        # A YAML node has one tag; CloudFormation documents the same rule for its short forms.
        outer, inner = tags.groups()
        what = (f"two short-form tags in a row (!{outer} !{inner}): a YAML value takes one tag, and "
                f"CloudFormation rejects this too; write one in its long form, e.g. "
                f"{_CFN_TAGS.get(outer, outer)}: !{inner} ...")
        return DefinitionError([Problem("", what, line, tags.start() + 1, source)])
    return DefinitionError([Problem("", f"not valid YAML: {what}", line, column, source)])


_CONSECUTIVE_TAGS = re.compile(r"!([A-Za-z]+)[ \t]+!([A-Za-z]+)\b")


def locator_for(locator: Locator | None) -> Callable[[str], tuple[int | None, int | None]]:
    """A function giving (line, column) for a pointer, or (None, None) without a locator."""
    if locator is None:
        return lambda pointer: (None, None)

    def locate(pointer: str) -> tuple[int | None, int | None]:
        found = locator.nearest(pointer)
        return found if found is not None else (None, None)

    return locate
