"""YAML definition text read safely, as data only: never a Python object.

The values follow YAML 1.2's core schema (``true``/``false`` are the only booleans, timestamps stay
strings), which is what a JSON-minded author expects. CloudFormation's short-form tags (``!Ref``,
``!Sub``, ``!GetAtt``...) become their long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``) so
templates can be read; any other tag is refused.

Its own module so that reading JSON (``sfnsim.asl.loading``) does not import PyYAML.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from sfnsim.errors import DefinitionError, Problem



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


def parse_yaml(text: str, source: str | None) -> tuple[Any, yaml.Node | None]:
    """The data of YAML text and its composed node tree (for locations); raises DefinitionError
    (with line/column) when the text is malformed, uses a refused tag, or is an alias bomb."""
    try:
        return _load_yaml(text)
    except _AliasBomb as exc:
        raise DefinitionError([Problem("", exc.message, exc.mark.line + 1, exc.mark.column + 1, source)]) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_problem(exc, source, text) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise DefinitionError([Problem("", f"not valid YAML: {exc}", source=source)]) from None
