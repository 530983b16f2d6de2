"""Reading definition text (JSON or YAML) and remembering where every value came from.

``parse_text`` returns the data together with a ``Locator`` that answers "which line and column
holds the value at this JSON pointer?", so a problem found later can point at the user's line.
Positions are worked out lazily: a definition that loads cleanly never pays for them.

YAML is read safely, as data only (``sfnsim.asl.yaml_reader``, imported only for text that is
not JSON).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from typing import TYPE_CHECKING, Any, Callable

from sfnsim.dataflow.jsontypes import loads_json
from sfnsim.errors import DefinitionError, Problem

if TYPE_CHECKING:
    import yaml

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
    """Positions in YAML text, read from the composed node tree (PyYAML is imported by then)."""

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
    import yaml

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
    from sfnsim.asl.yaml_reader import parse_yaml

    data, node = parse_yaml(text, source)
    return data, YamlLocator(node) if node is not None else _NoLocator()


class _NoLocator(Locator):
    def position(self, pointer: str) -> tuple[int, int] | None:
        return None


def _json_problem(exc: json.JSONDecodeError, source: str | None) -> DefinitionError:
    return DefinitionError([Problem("", f"not valid JSON: {exc.msg}", exc.lineno, exc.colno, source)])


def locator_for(locator: Locator | None) -> Callable[[str], tuple[int | None, int | None]]:
    """A function giving (line, column) for a pointer, or (None, None) without a locator."""
    if locator is None:
        return lambda pointer: (None, None)

    def locate(pointer: str) -> tuple[int | None, int | None]:
        found = locator.nearest(pointer)
        return found if found is not None else (None, None)

    return locate
